"""Scaling grid: numrnn's recurrent layers against PyTorch, side by side in one run.

    python benchmarks/grid.py --quick          # a subset (LSTM/GRU/SimpleRNN, H<=128, T<=100)
    python benchmarks/grid.py                  # the full grid of issue 12
    python benchmarks/grid.py --plot FILE.json # only redraw docs/results/grid.png

Grid: cell in {LSTM, GRU, SimpleRNN}, hidden units H in {32, 128, 512}, steps T in
{20, 100, 400}, batch B in {1, 32, 128}; input width D = 64; float32; the layer alone,
``return_sequences=False``. Two measurements per cell:

* ``train``: forward with training=True, then backward of L = sum(R * h_T) with a fixed
  random R, computing every weight gradient and dL/dx (PyTorch: x.requires_grad, the same
  loss, ``.backward()``; no optimizer step for either);
* ``forward``: inference (numrnn training=False; PyTorch under ``torch.inference_mode``).

Contenders: numrnn (BLAS pinned to one thread, its default), PyTorch 2.13 at 1 and at 2
threads, and with ``--auto`` numrnn under the 'auto' BLAS policy. They take turns in blocks
of calls (one untimed call first) in a rotating order, as imdb_speed.py does, so a change in
the machine's load hits all alike; the median per call is kept (and the minimum, the least
disturbed call on a busy machine; "r(min)" is the ratio of minimums), and the load average
is recorded with every cell. Also per cell:

* GFLOP/s of the matmul work, 2 B T (D + H) G H for a forward (G = 4, 3, 1 blocks) and three
  times that for a training pass (with ``--clock cpu``: per CPU second), next to what
  ``np.matmul`` alone achieves (wall clock) on the same shapes (one (T B, D) x (D, G H)
  projection + T times (B, H) x (H, G H)) at 1 and 2 BLAS threads: the distance to the
  hardware;
* numrnn's phase split: input projection, the rest of the forward loop, backward.

Peak memory (``--memory``, in fresh subprocesses, ru_maxrss growth over the step): an LSTM
training pass at several B*T*H, and inference over 1x and 8x the batch size, for both
libraries; and numrnn's bytes per cached (B T H) element from its workspace shapes.
Results: a table, JSON in benchmarks/results/grid-*.json, and docs/results/grid.png.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from numrnn import backend  # noqa: E402
from numrnn.io_utils import atomic_write  # noqa: E402

D = 64
CELLS = {"LSTM": 4, "GRU": 3, "SimpleRNN": 1}
FULL = {"H": (32, 128, 512), "T": (20, 100, 400), "B": (1, 32, 128)}
QUICK = {"H": (32, 128), "T": (20, 100), "B": (1, 128)}


# ---- contenders ------------------------------------------------------------------------------
class Numrnn:
    label = "numrnn"

    def __init__(self, cell, h, t, b):
        from numrnn import layers

        backend.set_seed(0)
        self.layer = getattr(layers, cell)(h)
        self.layer.build((None, t, D))
        rng = np.random.default_rng(0)
        self.x = rng.standard_normal((b, t, D)).astype(np.float32)
        self.r = rng.standard_normal((b, h)).astype(np.float32)

    def train(self):
        self.layer.forward(self.x, training=True)
        self.layer.backward(self.r)

    def forward(self):
        self.layer.forward(self.x)

    def phases(self, reps: int = 3) -> dict:
        """Median ms of: the input projection alone, the forward (training=True) minus it,
        and the backward."""
        layer, x = self.layer, self.x
        xs = np.ascontiguousarray(x.transpose(1, 0, 2))
        w = layer.params["kernel"]
        out = np.empty(xs.shape[:2] + (w.shape[1],), np.float32)
        proj, fwd, bwd = [], [], []
        for _ in range(reps):
            proj.append(_timed(np.matmul, xs, w, out=out))
            fwd.append(_timed(layer.forward, x, training=True))
            bwd.append(_timed(layer.backward, self.r))
        p = statistics.median(proj)
        return {"projection_ms": p * 1e3, "loop_ms": (statistics.median(fwd) - p) * 1e3,
                "backward_ms": statistics.median(bwd) * 1e3}


class NumrnnAuto(Numrnn):
    """numrnn with the 'auto' BLAS policy: every core for matmuls above
    numrnn.backend.AUTO_MIN_FLOPS (--auto)."""

    label = "numrnn auto"

    def train(self):
        backend.set_blas_threads("auto")
        try:
            super().train()
        finally:
            backend.set_blas_threads(1)

    def forward(self):
        backend.set_blas_threads("auto")
        try:
            super().forward()
        finally:
            backend.set_blas_threads(1)


class Torch:
    def __init__(self, cell, h, t, b, threads):
        import torch

        self.torch, self.threads = torch, threads
        self.label = f"torch {threads}t"
        torch.manual_seed(0)
        cls = {"LSTM": torch.nn.LSTM, "GRU": torch.nn.GRU, "SimpleRNN": torch.nn.RNN}[cell]
        self.module = cls(D, h, batch_first=True)
        rng = np.random.default_rng(0)
        self.x = torch.from_numpy(rng.standard_normal((b, t, D)).astype(np.float32))
        self.xg = self.x.clone().requires_grad_(True)
        self.r = torch.from_numpy(rng.standard_normal((b, h)).astype(np.float32))

    def train(self):
        self.torch.set_num_threads(self.threads)
        self.module.zero_grad(set_to_none=True)
        self.xg.grad = None
        out, _ = self.module(self.xg)
        (out[:, -1] * self.r).sum().backward()

    def forward(self):
        self.torch.set_num_threads(self.threads)
        with self.torch.inference_mode():
            self.module(self.x)


CLOCK = {"wall": time.perf_counter, "cpu": time.process_time}
_clock = time.perf_counter


def _timed(fn, *args, **kwargs) -> float:
    start = _clock()
    fn(*args, **kwargs)
    return _clock() - start


def interleaved(contenders, mode: str, budget: float, rounds: int = 3) -> dict:
    """(median, minimum) seconds per call of ``mode`` for each contender, in rotating
    blocks. On a busy machine the minimum is the least disturbed call."""
    calls = {c.label: getattr(c, mode) for c in contenders}
    first = {label: _timed(fn) for label, fn in calls.items()}  # also warms up
    slowest = max(first.values())
    block = max(1, min(20, int(budget / rounds / max(slowest, 1e-6))))
    times = {label: [] for label in calls}
    labels = list(calls)
    for k in range(rounds):
        for label in labels[k % len(labels):] + labels[:k % len(labels)]:
            calls[label]()  # untimed: this contender's data back into the caches
            times[label] += [_timed(calls[label]) for _ in range(block)]
    return {label: (statistics.median(v), min(v)) for label, v in times.items()}


def _wall(fn, *args, **kwargs) -> float:
    start = time.perf_counter()
    fn(*args, **kwargs)
    return time.perf_counter() - start


# ---- the hardware reference: np.matmul alone on the same shapes --------------------------------
_GEMM_CACHE: dict = {}


def _gemm_seconds(m, k, n, threads, controller) -> float:
    key = (m, k, n, threads)
    if key not in _GEMM_CACHE:
        a = np.random.default_rng(0).standard_normal((m, k)).astype(np.float32)
        b = np.random.default_rng(1).standard_normal((k, n)).astype(np.float32)
        out = np.empty((m, n), np.float32)
        with controller.limit(limits=threads, user_api="blas"):
            np.matmul(a, b, out=out)
            reps = max(3, min(2000, int(0.02 / max(_wall(np.matmul, a, b, out=out), 1e-7))))
            samples = [_wall(np.matmul, a, b, out=out) for _ in range(reps)]
        _GEMM_CACHE[key] = statistics.median(samples)
    return _GEMM_CACHE[key]


def sgemm_gflops(cell, h, t, b, threads, controller) -> float:
    """GFLOP/s of np.matmul alone on a forward pass's matmul shapes."""
    gh = CELLS[cell] * h
    seconds = _gemm_seconds(t * b, D, gh, threads, controller) \
        + t * _gemm_seconds(b, h, gh, threads, controller)
    return forward_flops(cell, h, t, b) / seconds / 1e9


def forward_flops(cell, h, t, b) -> float:
    return 2.0 * b * t * (D + h) * CELLS[cell] * h


# ---- memory ------------------------------------------------------------------------------------
def _peak_rss_kib() -> int:
    """This process's peak resident memory. Linux: VmHWM, which starts afresh at exec
    (ru_maxrss does not: it keeps the parent's peak at fork time)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def memory_probe(lib: str, cell: str, h: int, t: int, b: int, mode: str, batches: int) -> int:
    """Run in a fresh process: KiB by which the peak RSS grows over the measured calls."""
    if lib == "numrnn":
        c = Numrnn(cell, h, t, b)
    else:
        import torch

        torch.set_num_threads(1)
        c = Torch(cell, h, t, b, 1)
    before = _peak_rss_kib()
    for _ in range(batches):
        getattr(c, mode)()
    return _peak_rss_kib() - before


def memory_table(use_torch: bool) -> list[dict]:
    rows = []
    libs = ["numrnn"] + (["torch"] if use_torch else [])
    cases = [("train", 128, t, b, 1) for t, b in ((100, 32), (100, 128), (400, 128))]
    cases += [("forward", 128, 100, 128, n) for n in (1, 8)]
    for mode, h, t, b, batches in cases:
        row = {"cell": "LSTM", "mode": mode, "H": h, "T": t, "B": b, "batches": batches}
        for lib in libs:
            cmd = [sys.executable, __file__, "--memory-probe", lib, "LSTM", str(h), str(t),
                   str(b), mode, str(batches)]
            out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
            row[f"{lib}_peak_growth_mib"] = round(int(out.split()[-1]) / 1024, 1)
        rows.append(row)
    return rows


def numrnn_bytes_per_element() -> dict:
    """Bytes numrnn caches for backward per (B T H) element, from its workspace shapes."""
    from numrnn import layers

    out = {}
    for cell in CELLS:
        layer = getattr(layers, cell)(64)
        per_bt = sum(int(np.prod(s[2:])) for s in layer._workspace_shapes(10, 8).values()
                     if len(s) == 3 and s[0] in (10, 11))
        out[cell] = per_bt / 64 * 4  # float32
    return out


# ---- run ---------------------------------------------------------------------------------------
def machine_info() -> dict:
    from threadpoolctl import threadpool_info

    info = {"cores": os.cpu_count(), "python": platform.python_version(),
            "numpy": np.__version__, "processor": platform.processor() or platform.machine(),
            "blas": [{k: p.get(k) for k in ("internal_api", "version", "num_threads",
                                            "architecture")} for p in threadpool_info()]}
    try:
        import torch

        info["torch"] = torch.__version__
    except ImportError:
        info["torch"] = None
    return info


def run_grid(args) -> list[dict]:
    from threadpoolctl import ThreadpoolController

    controller = ThreadpoolController()
    grid = QUICK if args.quick else FULL
    cells = args.cells.split(",")
    rows = []
    configs = list(itertools.product(cells, grid["H"], grid["T"], grid["B"]))
    print(f"{'cell':<10}{'H':>4}{'T':>5}{'B':>5} {'mode':<8}{'numrnn':>10}{'torch 1t':>10}"
          f"{'torch 2t':>10}{'ratio':>7}{'GF/s':>7}{'gemm1':>7}{'gemm2':>7}{'r(min)':>7}  load")
    for n, (cell, h, t, b) in enumerate(configs):
        load = os.getloadavg()[0]
        contenders = [Numrnn(cell, h, t, b)] + ([NumrnnAuto(cell, h, t, b)] if args.auto else [])
        if not args.no_torch:
            contenders += [Torch(cell, h, t, b, n) for n in ((1,) if args.clock == "cpu"
                                                             else (1, 2))]
        row = {"cell": cell, "H": h, "T": t, "B": b, "load_average": load}
        backend.set_blas_threads(1)
        with backend.blas_threads():
            for mode in ("train", "forward"):
                timing = interleaved(contenders, mode, args.budget)
                row[mode] = {k: v[0] * 1e3 for k, v in timing.items()}
                row[f"{mode}_min"] = {k: v[1] * 1e3 for k, v in timing.items()}
            row["phases"] = contenders[0].phases()
        flops = forward_flops(cell, h, t, b)
        row["gflop_forward"] = flops / 1e9
        row["sgemm_gflops"] = {str(k): sgemm_gflops(cell, h, t, b, k, controller)
                               for k in (1, 2)}
        for mode, factor in (("train", 3), ("forward", 1)):
            ms = row[mode]
            torch_best = min((v for k, v in ms.items() if k.startswith("torch")), default=None)
            row[f"{mode}_ratio"] = ms["numrnn"] / torch_best if torch_best else None
            mins = row[f"{mode}_min"]
            row[f"{mode}_ratio_of_minimums"] = mins["numrnn"] / min(
                v for k, v in mins.items() if k.startswith("torch")) if torch_best else None
            if args.auto:
                row[f"{mode}_auto_vs_1thread"] = ms["numrnn auto"] / ms["numrnn"]
            row[f"{mode}_gflops"] = factor * flops / (ms["numrnn"] / 1e3) / 1e9
            ratio = f"{row[f'{mode}_ratio']:.2f}" if torch_best else "-"
            ratio_min = f"{row[f'{mode}_ratio_of_minimums']:.2f}" if torch_best else "-"
            t1 = f"{ms.get('torch 1t', float('nan')):.3f}"
            t2 = f"{ms.get('torch 2t', float('nan')):.3f}"
            print(f"{cell:<10}{h:>4}{t:>5}{b:>5} {mode:<8}{ms['numrnn']:>10.3f}{t1:>10}{t2:>10}"
                  f"{ratio:>7}{row[f'{mode}_gflops']:>7.1f}{row['sgemm_gflops']['1']:>7.1f}"
                  f"{row['sgemm_gflops']['2']:>7.1f}{ratio_min:>7}  {load:.1f}"
                  + (f"  auto/1t {row[f'{mode}_auto_vs_1thread']:.2f}" if args.auto else ""),
                  flush=True)
        row["load_average_after"] = os.getloadavg()[0]
        rows.append(row)
        print(f"  [{n + 1}/{len(configs)}]", end="\r", file=sys.stderr, flush=True)
    return rows


def plot(record: dict, path: Path) -> None:
    """Heat maps of numrnn / best PyTorch per cell and mode (rows H x T, columns B)."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("the plot needs matplotlib: pip install 'numrnn[plots]'", file=sys.stderr)
        return
    rows = [r for r in record["rows"] if r.get("train_ratio") is not None]
    if not rows:
        return
    cells = sorted({r["cell"] for r in rows}, key=list(CELLS).index)
    hs, ts, bs = (sorted({r[k] for r in rows}) for k in ("H", "T", "B"))
    fig, axes = plt.subplots(2, len(cells), figsize=(3.6 * len(cells), 7), squeeze=False)
    for j, cell in enumerate(cells):
        for i, mode in enumerate(("train", "forward")):
            grid = np.full((len(hs) * len(ts), len(bs)), np.nan)
            for r in rows:
                if r["cell"] == cell:
                    grid[hs.index(r["H"]) * len(ts) + ts.index(r["T"]), bs.index(r["B"])] = \
                        r[f"{mode}_ratio"]
            ax = axes[i][j]
            ax.imshow(np.log2(grid), cmap="RdYlGn_r", vmin=-2, vmax=2, aspect="auto")
            for (y, x), v in np.ndenumerate(grid):
                if np.isfinite(v):
                    ax.text(x, y, f"{v:.2f}", ha="center", va="center", fontsize=8)
            ax.set_xticks(range(len(bs)), [f"B={b}" for b in bs])
            ax.set_yticks(range(len(hs) * len(ts)), [f"H={h} T={t}" for h in hs for t in ts])
            ax.set_title(f"{cell} {mode}: numrnn / best torch", fontsize=9)
    fig.suptitle(f"{record['date']}, {record.get('clock', 'wall')} clock, load "
                 f"{record['load_average_before']:.1f}; "
                 "< 1: numrnn faster", fontsize=9)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_write(path, "wb") as f:
        fig.savefig(f, format="png", dpi=90)
    plt.close(fig)
    print(f"wrote {path}")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true",
                   help="H in {32,128}, T in {20,100}, B in {1,128}")
    p.add_argument("--cells", default=",".join(CELLS), help="comma-separated (all three)")
    p.add_argument("--budget", type=float, default=None,
                   help="seconds per contender and mode and cell (quick 0.3, full 1.0)")
    p.add_argument("--no-torch", action="store_true")
    p.add_argument("--auto", action="store_true",
                   help="also numrnn with set_blas_threads('auto') (a 4th contender)")
    p.add_argument("--memory", action="store_true", help="also the peak-memory table")
    p.add_argument("--clock", choices=CLOCK, default="wall",
                   help="wall (default), or cpu: the process's CPU time, far less disturbed by "
                        "a busy machine; single-threaded contenders only (drops torch 2t)")
    p.add_argument("--out", default=str(ROOT / "benchmarks" / "results"))
    p.add_argument("--plot", metavar="JSON", help="only draw docs/results/grid.png from JSON")
    p.add_argument("--memory-probe", nargs=7, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.memory_probe:
        lib, cell, h, t, b, mode, batches = args.memory_probe
        print(memory_probe(lib, cell, int(h), int(t), int(b), mode, int(batches)))
        return 0
    png = ROOT / "docs" / "results" / ("grid-cpu.png" if args.clock == "cpu" else "grid.png")
    if args.plot:
        plot(json.loads(Path(args.plot).read_text(encoding="utf-8")), png)
        return 0
    global _clock
    _clock = CLOCK[args.clock]
    if args.budget is None:
        args.budget = 0.3 if args.quick else 1.0
    record = {"command": "python benchmarks/grid.py " + " ".join(
                  sys.argv[1:] if argv is None else argv),
              "date": time.strftime("%Y-%m-%d %H:%M:%S"), "machine": machine_info(),
              "load_average_before": os.getloadavg()[0], "input_width": D, "dtype": "float32",
              "clock": args.clock,
              "units": "ms per call (median); GFLOP/s of the matmul work"}
    record["memory"] = memory_table(not args.no_torch) if args.memory else None
    record["numrnn_training_bytes_per_BTH_element"] = numrnn_bytes_per_element()
    record["rows"] = run_grid(args)
    record["load_average_after"] = os.getloadavg()[0]
    if record["memory"]:
        print("\npeak RSS growth, MiB (LSTM H=128):")
        for r in record["memory"]:
            print(f"  {r['mode']:<8} T={r['T']:<4} B={r['B']:<4} x{r['batches']} batches: "
                  + ", ".join(f"{k.split('_')[0]} {v}" for k, v in r.items()
                              if k.endswith("_mib")))
    print("numrnn training cache, bytes per (B T H) element:",
          record["numrnn_training_bytes_per_BTH_element"])
    print(f"load average before {record['load_average_before']:.2f}, "
          f"after {record['load_average_after']:.2f}")
    out = Path(args.out)
    kind = ("-quick" if args.quick else "") + ("-cpu" if args.clock == "cpu" else "")
    name = f"grid{kind}-{time.strftime('%Y%m%d-%H%M%S')}.json"
    for path in (out / name, out / f"grid{kind}-latest.json"):
        with atomic_write(path, "w", encoding="utf-8") as f:
            json.dump(record, f, indent=1)
    print(f"wrote {out / name}")
    plot(record, png)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
