"""Time numrnn against PyTorch on the tutorial's four IMDB models, in one interleaved run.

    python benchmarks/imdb_speed.py                 # all four, 200 timed steps each
    python benchmarks/imdb_speed.py lstm32 --steps 100 --no-memory

For each experiment (batch 128, MAXLEN 20, Embedding 8, RMSprop) it measures
- one training step (forward + backward + update): median over --steps steps after warm-up;
- one forward pass (inference);
- one epoch over the 20,000 training samples (157 steps, as fit runs it);
for numrnn float32 (the default), numrnn float64, and PyTorch on the CPU with its default
threads and with one thread. The contenders take turns in blocks of 10 steps (see
bench_experiment), so a change in the machine's load hits all of them alike.
Results: a table, and JSON in benchmarks/results/.
"""

from __future__ import annotations

import argparse
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
sys.path.insert(0, str(Path(__file__).resolve().parent))

from numrnn import backend  # noqa: E402
from numrnn.experiments import build_model  # noqa: E402
from numrnn.io_utils import atomic_write  # noqa: E402

NAMES = ("ff", "lstm1", "lstm32", "lstm4")
BATCH, MAXLEN, VOCAB = 128, 20, 88579


def load_data(synthetic: bool):
    if not synthetic:
        from numrnn.experiments import load_imdb

        (x, y), _, vocab = load_imdb()
        return x[:20000], y[:20000], vocab
    rng = np.random.default_rng(0)
    ranks = np.minimum(rng.zipf(1.3, (20000, MAXLEN)), VOCAB - 1)  # word-frequency-like ids
    return ranks.astype(np.int32), rng.integers(0, 2, 20000), VOCAB


class NumrnnRunner:
    def __init__(self, name, vocab, dtype):
        backend.clear_session()
        backend.set_seed(0)
        self.model = build_model(name, vocab, dtype=dtype)
        self.label = f"numrnn {dtype}"

    def step(self, xb, yb):
        self.model._train_step(xb, yb.astype(self.model.layers[-1].dtype))

    def forward(self, xb):
        self.model._forward(xb)

    def epoch(self, x, y):
        self.model.fit(x, y, batch_size=BATCH, epochs=1, verbose=0, seed=0)


class TorchRunner:
    def __init__(self, name, vocab, threads):
        import torch
        from torch_models import build

        self.torch = torch
        torch.manual_seed(0)
        self.threads = threads
        self.model, self.loss, self.opt = build(name, vocab)
        self.label = f"torch {threads} thread{'s' if threads > 1 else ''}"

    def _batch(self, xb, yb=None):
        t = self.torch
        return t.from_numpy(xb.astype(np.int64)), (
            None if yb is None else t.from_numpy(yb.astype(np.float32)))

    def step(self, xb, yb):
        self.torch.set_num_threads(self.threads)
        x, y = self._batch(xb, yb)
        self.opt.zero_grad()
        self.loss(self.model(x), y).backward()
        self.opt.step()

    def forward(self, xb):
        self.torch.set_num_threads(self.threads)
        with self.torch.no_grad():
            self.model(self._batch(xb)[0])

    def epoch(self, x, y):
        order = np.random.default_rng(0).permutation(len(x))
        for start in range(0, len(x), BATCH):
            idx = order[start:start + BATCH]
            self.step(x[idx], y[idx])


def machine_info() -> dict:
    from threadpoolctl import threadpool_info

    info = {"cores": os.cpu_count(), "python": platform.python_version(),
            "numpy": np.__version__, "processor": platform.processor() or platform.machine(),
            "blas": [{k: p.get(k) for k in ("internal_api", "version", "num_threads",
                                            "architecture")} for p in threadpool_info()],
            "numrnn_blas_threads": backend._blas_threads}
    try:
        import torch

        info["torch"] = torch.__version__
        info["torch_default_threads"] = torch.get_num_threads()
    except ImportError:
        info["torch"] = None
    return info


CLOCKS = {"wall": time.perf_counter, "cpu": time.process_time}
_clock = time.perf_counter


def timed(fn, *args) -> float:
    start = _clock()
    fn(*args)
    return _clock() - start


def bench_experiment(name, x, y, vocab, steps, epochs, use_torch, torch_threads, block=10):
    """Median seconds per training step, forward pass and epoch for every contender.

    The contenders take turns in blocks of ``block`` timed steps, each block preceded by one
    untimed step, in an order that rotates from block to block. Why blocks and not single
    steps: one library's step evicts the other's data from the CPU caches (PyTorch's dense
    embedding update alone streams ~8 MB), so a numrnn step right after a PyTorch step ran
    ~50% slower than inside a run of numrnn steps, which is what a user sees. Blocks still
    spread any change in machine load evenly over the contenders.
    """
    runners = [NumrnnRunner(name, vocab, "float32"), NumrnnRunner(name, vocab, "float64")]
    if use_torch:
        runners += [TorchRunner(name, vocab, n) for n in torch_threads]
    rng = np.random.default_rng(1)
    n_blocks = -(-steps // block)
    batches = [rng.choice(len(x), BATCH, replace=False) for _ in range(block + 1)]
    times = {r.label: {"step": [], "forward": [], "epoch": []} for r in runners}
    with backend.blas_threads():
        for idx in batches * 2:  # warm-up
            for r in runners:
                r.step(x[idx], y[idx])
                r.forward(x[idx])
        for b in range(n_blocks):
            k = b % len(runners)
            for r in runners[k:] + runners[:k]:
                for j, idx in enumerate(batches):
                    step_time = timed(r.step, x[idx], y[idx])
                    forward_time = timed(r.forward, x[idx])
                    if j:  # the first step of a block only warms the caches
                        times[r.label]["step"].append(step_time)
                        times[r.label]["forward"].append(forward_time)
    for _ in range(epochs):
        for r in runners:
            times[r.label]["epoch"].append(timed(r.epoch, x, y))
    return {label: {k: statistics.median(v) if v else float("nan") for k, v in t.items()}
            for label, t in times.items()}


def peak_memory_of_experiments() -> dict:
    """Peak RSS of the experiments command, from ``getrusage(RUSAGE_CHILDREN)``.

    Call it before this process grows: Linux charges a child's ru_maxrss with the pages it
    shared with its parent at fork time, so launched from a process that holds PyTorch and
    the data set it would report ~560 MiB for a command that peaks at ~380 MiB.
    """
    cmd = [sys.executable, "-m", "numrnn.experiments", "imdb", "--verbose", "0",
           "--out", str(ROOT / "runs" / "memory-check")]
    start = time.perf_counter()
    result = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    if result.returncode != 0:
        return {"error": result.stderr[-2000:]}
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return {"command": " ".join(["python"] + cmd[1:]), "peak_rss_mib": round(peak_kib / 1024, 1),
            "seconds": round(seconds, 1)}


def table(results: dict) -> str:
    lines = []
    for name, by_runner in results.items():
        torch_best = min((v["step"] for k, v in by_runner.items() if k.startswith("torch")),
                         default=None)
        lines.append(f"\n{name}")
        lines.append(f"  {'contender':<18}{'train step ms':>14}{'forward ms':>12}"
                     f"{'epoch s':>9}{'step / best torch':>19}")
        for label, v in by_runner.items():
            ratio = f"{v['step'] / torch_best:.2f}" if torch_best else "-"
            lines.append(f"  {label:<18}{v['step'] * 1e3:>14.2f}{v['forward'] * 1e3:>12.2f}"
                         f"{v['epoch']:>9.2f}{ratio:>19}")
    return "\n".join(lines)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("experiments", nargs="*", metavar="NAME",
                   help=f"which to time (default all): {', '.join(NAMES)}")
    p.add_argument("--steps", type=int, default=200, help="timed training steps (200)")
    p.add_argument("--epochs", type=int, default=2, help="timed epochs per contender (2)")
    p.add_argument("--synthetic", action="store_true",
                   help="Zipf-distributed random ids instead of the IMDB file")
    p.add_argument("--no-torch", action="store_true", help="time numrnn only")
    p.add_argument("--no-memory", action="store_true",
                   help="skip the peak-memory run of python -m numrnn.experiments imdb")
    p.add_argument("--clock", choices=CLOCKS, default="wall",
                   help="wall (default), or cpu: process CPU time, far less disturbed by a busy "
                        "machine; then PyTorch runs with one thread only")
    p.add_argument("--out", default=str(ROOT / "benchmarks" / "results"))
    args = p.parse_args(argv)
    for name in args.experiments:
        if name not in NAMES:
            p.error(f"unknown experiment {name!r}; choose from {', '.join(NAMES)}")
    use_torch = not args.no_torch
    if use_torch:
        import importlib.util

        if importlib.util.find_spec("torch") is None:
            print("PyTorch is not installed: pip install torch==2.13.0 (the CPU build), or "
                  "pass --no-torch", file=sys.stderr)
            return 2
    torch_threads = []
    memory = None if args.no_memory else peak_memory_of_experiments()  # while this is small
    if use_torch:
        import torch  # imported after the memory run, see above

        torch_threads = sorted({torch.get_num_threads(), 1}, reverse=True)
        if args.clock == "cpu":  # CPU time of 2 threads is not comparable to wall time
            torch_threads = [1]
    global _clock
    _clock = CLOCKS[args.clock]
    x, y, vocab = load_data(args.synthetic)
    load_before = os.getloadavg()
    results = {}
    for name in args.experiments or NAMES:
        print(f"timing {name} ...", flush=True)
        results[name] = bench_experiment(name, x, y, vocab, args.steps, args.epochs, use_torch,
                                         torch_threads)
    record = {"command": "python benchmarks/imdb_speed.py " + " ".join(
                  sys.argv[1:] if argv is None else argv),
              "date": time.strftime("%Y-%m-%d %H:%M:%S"), "machine": machine_info(),
              "load_average_before": load_before, "load_average_after": os.getloadavg(),
              "clock": args.clock,
              "steps": args.steps, "protocol": "blocks of 10 timed steps (after 1 untimed), "
              "rotating order; medians", "data": "synthetic" if args.synthetic else "imdb",
              "seconds": results}
    print(table(results))
    print(f"\nload average before {load_before[0]:.2f}, after {os.getloadavg()[0]:.2f}")
    if memory is not None:
        record["experiments_peak_memory"] = memory
        print(f"peak memory of python -m numrnn.experiments imdb: {memory}")
    out = Path(args.out)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    for path in (out / f"imdb_speed-{stamp}.json", out / "latest.json"):
        with atomic_write(path, "w", encoding="utf-8") as f:
            json.dump(record, f, indent=1)
    print(f"wrote {out / 'latest.json'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
