"""Vanishing and exploding gradients, first as the chapter's formula, then in real layers.

What it teaches:
1. For A_t = sigmoid(w A_(t-1)), dA_n/dA_0 is a product of n factors w * sigmoid'(.). Since
   sigmoid' <= 1/4, the product shrinks geometrically unless w is large; for a linear
   recurrence A_t = w A_(t-1) it is w^n: vanishing for |w| < 1, exploding for |w| > 1.
2. In a SimpleRNN every step back multiplies dL/dh by U^T diag(tanh'), so the gradient
   that reaches early steps vanishes. An LSTM also carries c_t, and along that path each
   step back multiplies by the forget gate f_t only: with f_t near 1 (a cell that has
   learnt to remember) the gradient survives tens of steps.
3. A SimpleRNN with large recurrent weights explodes instead; clipping the gradient norm
   (RMSprop/SGD(clipnorm=1.0)) keeps training alive.

    python examples/vanishing_gradient.py          # tables, and a plot in examples/output/
    python examples/vanishing_gradient.py --quick  # smaller runs
"""

from __future__ import annotations

import argparse
import warnings
from pathlib import Path

import numpy as np

import numrnn
from numrnn.layers import LSTM, Dense, SimpleRNN
from numrnn.models import Sequential
from numrnn.optimizers import SGD

STEPS = 60


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def scalar_products(n_max: int = 30) -> dict[str, np.ndarray]:
    """prod_{t=1..n} w * sigmoid'(w A_(t-1)) for A_t = sigmoid(w A_(t-1)), A_0 = 0.5."""
    out = {}
    for w in (0.5, 1.0, 4.0, 8.0):
        a, product, curve = 0.5, 1.0, []
        for _ in range(n_max):
            s = sigmoid(w * a)
            product *= w * s * (1 - s)
            a = s
            curve.append(product)
        out[f"sigmoid, w={w:g}"] = np.array(curve)
    for w in (0.9, 1.1):
        out[f"linear, w={w:g}"] = w ** np.arange(1, n_max + 1)
    return out


def gradient_by_distance(layer, x) -> np.ndarray:
    """Mean ||dL/d(state)|| at distance n = 0, 1, ... from the loss (which sees the last h)."""
    out = layer(x)
    layer.backward(np.ones_like(out) / len(x))
    parts = layer.internals()
    state = parts["dc"] if "dc" in parts else parts["dh"]  # the memory each layer carries
    return np.linalg.norm(state, axis=2).mean(axis=0)[::-1]


def vanishing(batch: int, seed: int) -> dict[str, np.ndarray]:
    numrnn.set_seed(seed)
    x = np.random.default_rng(seed).standard_normal((batch, STEPS, 8))
    rnn = SimpleRNN(32)
    lstm = LSTM(32)
    open_lstm = LSTM(32)
    open_lstm.build((None, STEPS, 8))
    open_lstm.params["bias"][32:64] = 3.0  # forget gate f = sigmoid(3 + ...) ~ 0.95
    return {"SimpleRNN: dL/dh_t": gradient_by_distance(rnn, x),
            "LSTM, default init (f ~ 0.73): dL/dc_t": gradient_by_distance(lstm, x),
            "LSTM, forget gate open (f ~ 0.95): dL/dc_t": gradient_by_distance(open_lstm, x)}


def exploding(seeds: int, epochs: int) -> list[dict]:
    """Train a ReLU SimpleRNN with recurrent weights 1.3*I, with and without clipnorm."""
    rng = np.random.default_rng(0)
    x = rng.uniform(0, 1, (512, 30, 1))
    y = x.mean(axis=1)  # target: the mean of the sequence
    runs = []
    for seed in range(seeds):
        for clipnorm in (None, 1.0):
            numrnn.set_seed(seed)
            model = Sequential([SimpleRNN(8, activation="relu", input_shape=(30, 1)), Dense(1)])
            model.layers[0].params["recurrent_kernel"][...] = 1.3 * np.eye(8)
            model.compile(SGD(lr=0.01, clipnorm=clipnorm), "mse")
            with warnings.catch_warnings(record=True) as caught, np.errstate(all="ignore"):
                warnings.simplefilter("always")
                history = model.fit(x, y, epochs=epochs, batch_size=32, verbose=0)
            blew_up = any("NaN or infinite" in str(w.message) for w in caught)
            runs.append({"seed": seed, "clipnorm": clipnorm, "blew_up": blew_up,
                         "losses": history.history["loss"]})
    return runs


def plot(products, norms, runs) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 3, figsize=(15, 4))
    for label, curve in products.items():
        axes[0].semilogy(np.arange(1, len(curve) + 1), curve, label=label)
    axes[0].set(title="dA_n/dA_0: product of n factors", xlabel="n (steps back)")
    for label, curve in norms.items():
        axes[1].semilogy(curve, label=label)
    axes[1].set(title="gradient reaching n steps back", xlabel="distance n from the loss")
    for run in runs:
        style = "-o" if run["clipnorm"] else "--x"
        label = f"seed {run['seed']}, " + ("clipnorm=1" if run["clipnorm"] else "no clipping")
        if run["blew_up"]:
            label += " (stopped: NaN)"
        axes[2].semilogy(np.arange(1, len(run["losses"]) + 1), run["losses"], style, ms=7,
                         label=label)
    axes[2].set(title="exploding: ReLU SimpleRNN, U = 1.3 I", xlabel="epoch", ylabel="loss")
    for ax in axes:
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    fig.tight_layout()
    out = Path(__file__).resolve().parent / "output" / "vanishing_gradient.png"
    out.parent.mkdir(exist_ok=True)
    fig.savefig(out, dpi=90)
    return out


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="smaller runs (for the smoke tests)")
    p.add_argument("--no-plot", action="store_true")
    args = p.parse_args(argv)
    numrnn.backend.set_floatx("float64")
    try:
        products = scalar_products()
        norms = vanishing(batch=16 if args.quick else 64, seed=0)
    finally:
        numrnn.backend.set_floatx("float32")
    runs = exploding(seeds=2 if args.quick else 4, epochs=8 if args.quick else 15)

    print("1. dA_n/dA_0 = product of n factors w * sigmoid'(w A):")
    print(f"   {'recurrence':<18}" + "".join(f"{'n=' + str(n):>11}" for n in (1, 5, 10, 20)))
    for label, curve in products.items():
        print(f"   {label:<18}" + "".join(f"{curve[n - 1]:>11.2e}" for n in (1, 5, 10, 20)))

    print("\n2. Mean gradient norm of the memory state, n steps before the loss "
          f"({STEPS} steps, 32 units):")
    print(f"   {'layer':<46}" + "".join(f"{'n=' + str(n):>10}" for n in (0, 10, 20, 40)))
    for label, curve in norms.items():
        print(f"   {label:<46}" + "".join(f"{curve[n]:>10.2e}" for n in (0, 10, 20, 40)))
    rnn20 = norms["SimpleRNN: dL/dh_t"][20]
    ratio_open = norms["LSTM, forget gate open (f ~ 0.95): dL/dc_t"][20] / rnn20
    ratio_default = norms["LSTM, default init (f ~ 0.73): dL/dc_t"][20] / rnn20
    print(f"   at n = 20 the LSTM's cell gradient is {ratio_default:.0f}x the SimpleRNN's with the "
          f"default forget bias and {ratio_open:.0f}x with the gate open")

    print("\n3. Exploding: ReLU SimpleRNN with U = 1.3 I, SGD(lr=0.01), 30 steps")
    for run in runs:
        clip = "clipnorm=1  " if run["clipnorm"] else "no clipping"
        end = "loss became NaN/inf: training stopped" if run["blew_up"] else \
            f"final loss {run['losses'][-1]:.3g}"
        print(f"   seed {run['seed']}, {clip}: first epoch loss {run['losses'][0]:.3g}; {end} "
              f"after {len(run['losses'])} epoch(s)")
    if not args.no_plot:
        print(f"\nwrote {plot(products, norms, runs)}")
    return {"ratio_open_at_20": ratio_open, "ratio_default_at_20": ratio_default, "runs": runs,
            "products": products}


if __name__ == "__main__":
    main()
