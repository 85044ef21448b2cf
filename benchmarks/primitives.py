"""The NumPy primitives behind numrnn's design choices, timed one by one (microseconds).

    python benchmarks/primitives.py

Shapes are those of the tutorial's LSTM(32) step: batch 128, 4 gates x 32 units, 20 steps,
an 88579 x 8 embedding. Each figure is the best of 5 repeats of many calls.
"""

from __future__ import annotations

import sys
import timeit
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def best(fn, number=2000) -> float:
    return min(timeit.repeat(fn, number=number, repeat=5)) / number * 1e6


def main() -> int:
    from threadpoolctl import ThreadpoolController, threadpool_limits

    from numrnn.sparse import RowSparseGrad

    rng = np.random.default_rng(0)
    f32 = lambda *shape: rng.standard_normal(shape).astype(np.float32)  # noqa: E731
    z, out = f32(128, 128), np.empty((128, 128), np.float32)
    rows = []

    def add(label, us):
        rows.append((label, us))

    # gate activations: sigmoid through tanh vs scipy's expit vs exp
    try:
        from scipy.special import expit

        add("sigmoid via scipy.special.expit, (128, 128)", best(lambda: expit(z, out=out)))
    except ImportError:
        pass
    add("np.tanh, (128, 128)", best(lambda: np.tanh(z, out=out)))
    add("np.exp, (128, 128)", best(lambda: np.exp(z, out=out)))
    scale = np.repeat(np.array([0.5, 0.5, 1, 0.5], np.float32), 32)
    shift = np.repeat(np.array([0.5, 0.5, 0, 0.5], np.float32), 32)

    def fused():
        np.tanh(z, out=out)
        np.multiply(out, scale, out=out)
        np.add(out, shift, out=out)

    def per_gate():  # sigmoid as 1 / (1 + exp(-z)) on i, f, o; tanh on c
        np.tanh(z[:, 64:96], out=out[:, 64:96])
        for sl in (slice(0, 64), slice(96, 128)):
            np.negative(z[:, sl], out=out[:, sl])
            np.exp(out[:, sl], out=out[:, sl])
            np.add(out[:, sl], 1, out=out[:, sl])
            np.reciprocal(out[:, sl], out=out[:, sl])

    add("4 LSTM gates: one tanh + affine (numrnn)", best(fused))
    add("4 LSTM gates: one call chain per gate", best(per_gate))

    # embedding gather
    table = rng.uniform(-0.05, 0.05, (88579, 8)).astype(np.float32)
    ids = np.minimum(rng.zipf(1.3, (128, 20)), 88578)
    add("embedding gather: np.take (numrnn)", best(lambda: np.take(table, ids, axis=0), 500))
    add("embedding gather: table[ids]", best(lambda: table[ids], 500))

    # embedding gradient scatter
    g = f32(2560, 8)
    add("scatter: unique + bincount per column (numrnn)",
        best(lambda: RowSparseGrad.from_ids(ids, g, 88579), 300))

    def add_at():
        u, inv = np.unique(ids.ravel(), return_inverse=True)
        v = np.zeros((len(u), 8), np.float32)
        np.add.at(v, inv, g)

    add("scatter: unique + np.add.at", best(add_at, 300))

    def dense_scatter():
        d = np.zeros_like(table)
        np.add.at(d, ids.ravel(), g)

    add("scatter: into a dense zero table", best(dense_scatter, 100))

    # thread-pool control
    add("threadpool_limits(...) context, per entry", best(
        lambda: threadpool_limits(limits=1, user_api="blas").__exit__(None, None, None), 50))
    controller = ThreadpoolController()
    add("cached ThreadpoolController.limit, per entry", best(
        lambda: controller.limit(limits=1, user_api="blas").__exit__(None, None, None), 500))

    # the big matmul of the backward pass with 1 and 2 BLAS threads
    hs, dz = f32(2560, 32), f32(2560, 128)
    h, u = f32(128, 32), f32(32, 128)
    for n in (1, 2):
        with controller.limit(limits=n, user_api="blas"):
            add(f"dU = H^T dZ (32x2560 @ 2560x128), {n} BLAS thread(s)",
                best(lambda: hs.T @ dz, 300))
            add(f"h U per step (128x32 @ 32x128), {n} BLAS thread(s)",
                best(lambda: np.matmul(h, u, out=out)))
    width = max(len(label) for label, _ in rows)
    for label, us in rows:
        print(f"{label:<{width}}  {us:9.1f} us")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
