"""What a training step allocates (tracemalloc), after warm-up has created the buffers.

    python benchmarks/allocations.py lstm32

Prints, for one step, the numrnn source lines whose allocations are still alive at the
end of the step (step outputs, gradients, caches for the next backward) and the peak
of temporary memory during the step, averaged over --steps steps.
"""

from __future__ import annotations

import argparse
import sys
import tracemalloc
from collections import defaultdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from numrnn import backend  # noqa: E402
from numrnn.experiments import build_model  # noqa: E402


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("experiment", nargs="?", default="lstm32",
                   choices=["ff", "lstm1", "lstm32", "lstm4"])
    p.add_argument("--steps", type=int, default=20)
    args = p.parse_args(argv)
    rng = np.random.default_rng(0)
    vocab = 88579
    x = np.minimum(rng.zipf(1.3, (2560, 20)), vocab - 1).astype(np.int32)
    y = rng.integers(0, 2, 2560).astype(np.float32)
    backend.set_seed(0)
    model = build_model(args.experiment, vocab)
    batches = [rng.choice(len(x), 128, replace=False) for _ in range(args.steps + 5)]
    package = str(ROOT / "numrnn")
    alive: dict[str, list[int]] = defaultdict(list)
    peaks, counts = [], []
    with backend.blas_threads():
        for idx in batches[:5]:  # warm-up: workspaces and optimizer state are created here
            model._train_step(x[idx], y[idx])
        for idx in batches[5:]:
            xb, yb = x[idx], y[idx]
            tracemalloc.start()
            model._train_step(xb, yb)
            snapshot = tracemalloc.take_snapshot()
            current, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            peaks.append(peak - current)
            stats = snapshot.statistics("lineno")
            ours = [s for s in stats if s.traceback[0].filename.startswith(package)]
            counts.append(sum(s.count for s in ours))
            for s in stats:
                frame = s.traceback[0]
                if frame.filename.startswith(package):
                    key = f"{Path(frame.filename).relative_to(ROOT)}:{frame.lineno}"
                    alive[key].append(s.size)
    print(f"{args.experiment}: allocations made during one training step and alive at its end "
          f"(mean of {args.steps} steps)")
    for key, sizes in sorted(alive.items(), key=lambda kv: -sum(kv[1])):
        line = open(ROOT / key.split(":")[0]).read().splitlines()[int(key.split(":")[1]) - 1]
        print(f"  {sum(sizes) / len(sizes) / 1024:8.1f} KiB  {key:<34} {line.strip()[:60]}")
    print(f"blocks alive per step: {np.mean(counts):.0f}; peak of temporaries above that: "
          f"{np.mean(peaks) / 1024:.0f} KiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
