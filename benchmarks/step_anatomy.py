"""Where the time of one training step goes, and what each optimisation buys.

    python benchmarks/step_anatomy.py            # lstm32 (the tutorial's main model)
    python benchmarks/step_anatomy.py lstm4

Part 1 times each phase of a step (median over --steps steps): embedding gather,
recurrent forward, head (Dense/Flatten + loss), head backward, recurrent backward,
embedding gradient scatter, optimizer update.
Part 2 switches single optimisations off, one at a time, and times whole steps of
all variants interleaved in one run (so machine load hits them alike).
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from numrnn import backend, optimizers  # noqa: E402
from numrnn.experiments import build_model  # noqa: E402
from numrnn.layers import RNN  # noqa: E402

VOCAB = 88579


def data(n=20000):
    rng = np.random.default_rng(0)
    x = np.minimum(rng.zipf(1.3, (n, 20)), VOCAB - 1).astype(np.int32)
    return x, rng.integers(0, 2, n).astype(np.float32)


def phases(name: str, steps: int) -> dict[str, float]:
    backend.set_seed(0)
    model = build_model(name, VOCAB)
    x, y = data()
    rng = np.random.default_rng(1)
    emb, layers = model.layers[0], model.layers[1:]
    rec = [layer for layer in layers if isinstance(layer, RNN)][0]
    head = layers[layers.index(rec) + 1:]
    fused = model._fused_outputs()[0]
    times: dict[str, list[float]] = {}

    def clock(label, fn, *args):
        start = time.perf_counter()
        out = fn(*args)
        times.setdefault(label, []).append(time.perf_counter() - start)
        return out

    with backend.blas_threads():
        for k in range(steps + 10):
            idx = rng.choice(len(x), 128, replace=False)
            xb, yb = x[idx], y[idx]
            e = clock("1 embedding gather", emb.forward, xb)
            # training=True: the recording forward, as fit runs it (a plain call takes the
            # forward-only path, and backward would then re-record inside phase 5)
            r = clock("2 recurrent forward", lambda v: rec.forward(v, training=True), e)

            def head_forward(v, targets):
                for layer in head:
                    v = layer.forward(v)
                total, _, grads, _ = model._loss_terms([targets], [v], [None])
                return v, (total, grads[0])

            out, (loss, grad) = clock("3 head forward + loss", head_forward, r, yb)

            def head_backward(g):
                layers_back = head
                if fused:
                    g = head[-1].backward_from_preactivation(g)
                    layers_back = head[:-1]
                for layer in reversed(layers_back):
                    g = layer.backward(g)
                return g

            dr = clock("4 head backward", head_backward, grad)
            de = clock("5 recurrent backward (BPTT)", rec.backward, dr)
            clock("6 embedding gradient scatter", emb.backward, de)
            grads = [layer.grads[n] for layer, n in model.trainable_layers_params()]
            clock("7 optimizer update (RMSprop)", model.optimizer.apply_gradients,
                  model.trainable_weights, grads)
            if k < 10:
                times.clear()
    return {k: statistics.median(v) for k, v in sorted(times.items())}


def ablations(name: str, steps: int) -> dict[str, float]:
    x, y = data()

    def variant(label):
        backend.set_seed(0)
        model = build_model(name, VOCAB)
        if label == "dense RMSprop on the embedding":
            model.compile(optimizers.RMSprop(lazy=False), "binary_crossentropy", ["acc"])
        if label == "one activation call per gate":
            for layer in model.layers:
                if hasattr(layer, "_fused"):
                    layer._fused = None
        return model

    labels = ["numrnn as shipped", "dense RMSprop on the embedding",
              "one activation call per gate", "BLAS with its default threads"]
    models = {label: variant(label) for label in labels}
    rng = np.random.default_rng(2)
    times: dict[str, list[float]] = {label: [] for label in labels}
    block = 10  # the variants take turns in blocks of 10 steps
    for k in range(0, steps + block, block):
        batches = [rng.choice(len(x), 128, replace=False) for _ in range(block)]
        for label, model in models.items():
            default_threads = label == "BLAS with its default threads"
            with contextlib.nullcontext() if default_threads else backend.blas_threads():
                for idx in batches:
                    start = time.perf_counter()
                    model._train_step(x[idx], y[idx])
                    if k:  # the first block warms up
                        times[label].append(time.perf_counter() - start)
    return {label: statistics.median(v) for label, v in times.items()}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("experiment", nargs="?", default="lstm32", choices=["lstm1", "lstm32", "lstm4"])
    p.add_argument("--steps", type=int, default=200)
    p.add_argument("--busy-neighbour", action="store_true",
                   help="run a second process that keeps one core busy, as on a shared machine")
    args = p.parse_args(argv)
    neighbour = None
    if args.busy_neighbour:
        import subprocess

        neighbour = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    part1 = phases(args.experiment, args.steps)
    total = sum(part1.values())
    print(f"{args.experiment}: one training step, phase by phase (median of {args.steps})")
    for label, sec in part1.items():
        print(f"  {label:<34} {sec * 1e3:7.3f} ms  {100 * sec / total:5.1f}%")
    print(f"  {'sum':<34} {total * 1e3:7.3f} ms")
    part2 = ablations(args.experiment, args.steps)
    base = part2["numrnn as shipped"]
    print(f"\n{args.experiment}: whole training step with one optimisation switched off "
          f"(interleaved, median of {args.steps})")
    for label, sec in part2.items():
        print(f"  {label:<34} {sec * 1e3:7.3f} ms  {sec / base:5.2f}x")
    if neighbour is not None:
        neighbour.kill()
        print("(with a second process keeping one core busy)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
