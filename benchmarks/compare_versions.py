"""This checkout's recurrent layers against an earlier commit's, interleaved in one process.

    python benchmarks/compare_versions.py                 # against HEAD~1
    python benchmarks/compare_versions.py --base 104aa90 --steps 200

The earlier ``numrnn`` package is extracted with ``git archive`` into a temporary folder and
imported under the name ``numrnn_base`` (numrnn imports itself relatively, so both copies load
side by side). For each layer and shape both versions get the same weights and inputs and take
turns in blocks of steps (as imdb_speed.py does), so a change in the machine's load hits both
alike. Prints the median time of a training pass (forward with training=True, then backward)
and of a forward pass, and the ratio this/base. BLAS is pinned to one thread.
"""

from __future__ import annotations

import argparse
import functools
import importlib.util
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numrnn  # noqa: E402
from numrnn import backend  # noqa: E402

SHAPES = [  # (cell, H, T, B), input width 64
    ("LSTM", 32, 20, 128), ("LSTM", 128, 100, 32), ("GRU", 32, 20, 128),
    ("GRU", 128, 100, 32), ("SimpleRNN", 32, 20, 128), ("SimpleRNN", 128, 100, 32),
]
D = 64
STAT = {"median": statistics.median, "min": min}


def load_base(ref: str):
    """The numrnn package of git commit ``ref``, imported as ``numrnn_base``."""
    tmp = Path(tempfile.mkdtemp(prefix="numrnn_base_"))
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", ref, "numrnn"],
                             check=True, capture_output=True).stdout
    tar_path = tmp / "base.tar"
    tar_path.write_bytes(archive)
    with tarfile.open(tar_path) as tar:
        tar.extractall(tmp, filter="data")
    spec = importlib.util.spec_from_file_location(
        "numrnn_base", tmp / "numrnn" / "__init__.py",
        submodule_search_locations=[str(tmp / "numrnn")])
    module = importlib.util.module_from_spec(spec)
    sys.modules["numrnn_base"] = module
    spec.loader.exec_module(module)
    return module


def make(package, cell, h, t, b, weights=None):
    layer = getattr(package.layers, cell)(h)
    layer.build((None, t, D))
    if weights is not None:
        layer.set_weights(weights)
    return layer


def train_pass(layer, x, dout):
    layer.forward(x, training=True)
    layer.backward(dout)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--base", default="HEAD~1", help="git commit to compare with")
    p.add_argument("--steps", type=int, default=100, help="timed passes per contender")
    p.add_argument("--block", type=int, default=10)
    p.add_argument("--stat", choices=STAT, default="median",
                   help="median (default), or min: on a busy machine the least disturbed call")
    p.add_argument("--only", help="comma-separated cells to run (default all)")
    p.add_argument("--clock", choices=("wall", "cpu"), default="wall",
                   help="wall (default) or cpu: this process's CPU time, which a busy machine "
                        "disturbs far less (both contenders use one thread)")
    args = p.parse_args(argv)
    base = load_base(args.base)
    clock = time.perf_counter if args.clock == "wall" else time.process_time
    print(f"base {args.base}; {args.stat} of {args.steps} calls, {args.clock} clock; "
          "load average before: "
          f"{os.getloadavg()[0]:.2f}")
    print(f"{'cell':<10}{'H':>4}{'T':>5}{'B':>5} | {'train base':>11}{'this':>9}{'ratio':>7} | "
          f"{'fwd base':>9}{'this':>9}{'ratio':>7}")
    backend.set_blas_threads(1)
    rng = np.random.default_rng(0)
    with backend.blas_threads():
        for cell, h, t, b in SHAPES:
            if args.only and cell not in args.only.split(","):
                continue
            numrnn.set_seed(0)
            new = make(numrnn, cell, h, t, b)
            old = make(base, cell, h, t, b, new.get_weights())
            x = rng.standard_normal((b, t, D)).astype(np.float32)
            dout = rng.standard_normal((b, h)).astype(np.float32)
            times = {k: [] for k in ("train base", "train this", "fwd base", "fwd this")}

            jobs = {"train base": functools.partial(train_pass, old, x, dout),
                    "train this": functools.partial(train_pass, new, x, dout),
                    "fwd base": functools.partial(old.forward, x),
                    "fwd this": functools.partial(new.forward, x)}
            for k in range(-(-args.steps // args.block)):
                order = list(jobs)[k % 4:] + list(jobs)[:k % 4]
                for name in order:
                    jobs[name]()  # untimed: warms the caches for this contender
                    for _ in range(args.block):
                        start = clock()
                        jobs[name]()
                        times[name].append(clock() - start)
            med = {k: STAT[args.stat](v) * 1e3 for k, v in times.items()}
            print(f"{cell:<10}{h:>4}{t:>5}{b:>5} | {med['train base']:>9.3f}ms"
                  f"{med['train this']:>7.3f}ms{med['train this'] / med['train base']:>7.2f} | "
                  f"{med['fwd base']:>7.3f}ms{med['fwd this']:>7.3f}ms"
                  f"{med['fwd this'] / med['fwd base']:>7.2f}")
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
