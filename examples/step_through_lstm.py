"""Step through one LSTM (and one SimpleRNN) by hand: every gate, state and gradient as numbers.

What it teaches: what happens inside an LSTM cell at each time step, forward
(z = x W + h U + b; i, f, o = sigmoid(z); g = tanh(z); c = f*c_prev + i*g; h = o*tanh(c))
and backward (how dL/dh and dL/dc flow back through time), on 3 steps, 2 input
features and 2 units with fixed weights. Every gradient is then checked against
finite differences, so you can trust the numbers.

    python examples/step_through_lstm.py            # prints the tables
    python examples/step_through_lstm.py --plot     # also draws gates and gradients over time
    python examples/step_through_lstm.py --plot --plot-dir docs/images   # the guide's figure
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

import numrnn
from numrnn.gradcheck import gradcheck
from numrnn.layers import LSTM, SimpleRNN

np.set_printoptions(precision=4, suppress=True, floatmode="fixed")

X = np.array([[[1.0, 0.0], [0.5, -1.0], [0.0, 2.0]]])   # 1 sample, 3 steps, 2 features
TARGET = np.array([[0.5, -0.5]])                          # we want h_3 close to this

# Fixed weights in Keras' layout: kernel (2, 4*2), recurrent_kernel (2, 4*2), bias (4*2,),
# column blocks [i | f | c | o], two units each.
W = np.array([[0.5, -0.3, 0.2, 0.1, 0.4, -0.6, 0.3, 0.2],
              [-0.2, 0.4, 0.1, -0.5, 0.3, 0.2, -0.4, 0.6]])
U = np.array([[0.3, 0.1, -0.2, 0.4, 0.2, 0.1, 0.5, -0.3],
              [-0.1, 0.2, 0.3, 0.1, -0.4, 0.3, 0.1, 0.2]])
B = np.array([0.0, 0.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0])   # forget-gate bias starts at 1
OUTPUT = Path(__file__).resolve().parent / "output"


def loss_and_grad(h_last):
    """L = 1/2 ||h_3 - target||^2, and dL/dh_3 = h_3 - target."""
    diff = h_last - TARGET
    return 0.5 * float(np.sum(diff**2)), diff


def show(label, values):
    print(f"    {label:<26} {values}")


def numeric_state_grads(layer, x, states, eps=1e-6):
    """dL/d(state entering the run) by finite differences, through the public forward."""
    grads = []
    for k in range(len(states)):
        g = np.zeros_like(states[k])
        for j in range(states[k].size):
            plus = [s.copy() for s in states]
            minus = [s.copy() for s in states]
            plus[k].flat[j] += eps
            minus[k].flat[j] -= eps
            lp = loss_and_grad(layer.forward(x, initial_state=plus))[0]
            lm = loss_and_grad(layer.forward(x, initial_state=minus))[0]
            g.flat[j] = (lp - lm) / (2 * eps)
        grads.append(g)
    return grads


def step_through_lstm(plot_dir: Path | None):
    layer = LSTM(2)
    layer.build((None, 3, 2))
    layer.set_weights([W, U, B])
    h = layer(X)
    loss, dh_last = loss_and_grad(h)
    layer.backward(dh_last)
    p = {k: v[0] for k, v in layer.internals().items()}  # sample 0: (steps, units)

    print("LSTM forward, step by step (h_0 = c_0 = 0)")
    for t in range(3):
        print(f"  t = {t + 1}: x_t = {X[0, t]}")
        show("z_i, z_f (pre-activation)", np.concatenate([p["z_i"][t], p["z_f"][t]]))
        show("z_c, z_o (pre-activation)", np.concatenate([p["z_g"][t], p["z_o"][t]]))
        show("i = sigmoid(z_i)", p["i"][t])
        show("f = sigmoid(z_f)", p["f"][t])
        show("o = sigmoid(z_o)", p["o"][t])
        show("g = C~ = tanh(z_c)", p["g"][t])
        show("c = f*c_prev + i*g", p["c"][t])
        show("h = o*tanh(c)", p["h"][t])
    print(f"  loss L = 1/2 ||h_3 - {TARGET[0]}||^2 = {loss:.6f}")

    print("\nLSTM backward, from the last step to the first")
    print("  dL/dh_t comes from the loss (t = 3) or from step t+1; then")
    print("  dL/dc_t = (what step t+1 sent along the cell path) + dL/dh_t * o_t * tanh'(c_t)")
    for t in reversed(range(3)):
        print(f"  t = {t + 1}:")
        show("dL/dh_t", p["dh"][t])
        show("dL/dc_t", p["dc"][t])
        show("dL/dz_i, dL/dz_f", np.concatenate([p["dz_i"][t], p["dz_f"][t]]))
        show("dL/dz_c, dL/dz_o", np.concatenate([p["dz_g"][t], p["dz_o"][t]]))
        if t:
            show("sent back: dz_t U^T", p["dh"][t - 1])
            show("sent back: dL/dc_t * f_t", p["dc"][t] * p["f"][t])
    print("\nChecking what each step sends back, with finite differences. The state (h_t, c_t)")
    print("is the initial state of a run over the remaining steps: nudging one entry of it and")
    print("watching L measures what flows back into it (h_t and c_t moved independently):")
    worst = 0.0
    for t in (2, 1):
        sub = LSTM(2)
        sub.build((None, 3 - t, 2))
        sub.set_weights([W, U, B])
        states = [p["h"][t - 1:t].copy(), p["c"][t - 1:t].copy()]
        num_h, num_c = numeric_state_grads(sub, X[:, t:], states)
        sent_h, sent_c = p["dh"][t - 1], p["dc"][t] * p["f"][t]
        err = max(np.abs(num_h[0] - sent_h).max(), np.abs(num_c[0] - sent_c).max())
        worst = max(worst, err)
        print(f"  into h_{t}: numeric {num_h[0]} vs sent back {sent_h}")
        print(f"  into c_{t}: numeric {num_c[0]} vs sent back {sent_c}  (max |diff| {err:.1e})")
    report = gradcheck(layer, X)
    print("\nnumrnn.gradcheck on the weights and inputs:")
    print("  " + str(report).replace("\n", "\n  "))
    if plot_dir is not None:
        plot_gates(p, plot_dir)
    return max(worst, report.worst)


def step_through_simple_rnn():
    layer = SimpleRNN(2)
    layer.build((None, 3, 2))
    layer.set_weights([W[:, 4:6], U[:, 4:6], np.zeros(2)])
    h = layer(X)
    loss, dh_last = loss_and_grad(h)
    layer.backward(dh_last)
    p = {k: v[0] for k, v in layer.internals().items()}
    print("\nSimpleRNN: h_t = tanh(x_t W + h_(t-1) U + b)")
    for t in range(3):
        print(f"  t = {t + 1}: z = {p['z'][t]}  h = {p['h'][t]}")
    print(f"  loss L = {loss:.6f}; backward:")
    for t in reversed(range(3)):
        print(f"  t = {t + 1}: dL/dh_t = {p['dh'][t]}  dL/dz_t = {p['dz'][t]}")
    report = gradcheck(layer, X)
    print(f"  numrnn.gradcheck worst relative error: {report.worst:.1e}")
    return report.worst


def plot_gates(p, plot_dir: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    steps = np.arange(1, 4)
    fig, axes = plt.subplots(2, 2, figsize=(9, 6.5), sharex=True)
    for unit in range(2):
        ax = axes[0, unit]
        for name, style in (("i", "-o"), ("f", "-s"), ("o", "-^"), ("g", "--"), ("c", ":"),
                            ("h", "-")):
            ax.plot(steps, p[name][:, unit], style, label=name)
        ax.set_title(f"forward, unit {unit + 1}")
        ax = axes[1, unit]
        ax.plot(steps, p["dh"][:, unit], "-o", label="dL/dh_t")
        ax.plot(steps, p["dc"][:, unit], "-s", label="dL/dc_t")
        ax.axhline(0, color="grey", lw=0.5)
        ax.set_title(f"backward, unit {unit + 1}")
        ax.set_xlabel("time step t")
        ax.set_xticks(steps)
    for ax in axes.flat:
        ax.grid(alpha=0.3)
    axes[0, 1].legend(ncol=1, fontsize=8, loc="upper left", bbox_to_anchor=(1.02, 1))
    axes[1, 1].legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.02, 1))
    fig.suptitle("LSTM gates, states and gradients over time")
    fig.tight_layout()
    out = plot_dir / "step_through_lstm.png"
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=80)
    plt.close(fig)
    print(f"\nwrote {out}")
    return out


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--plot", action="store_true", help="draw the gates over time (matplotlib)")
    p.add_argument("--quick", action="store_true", help="(already quick; for the smoke tests)")
    p.add_argument("--plot-dir", type=Path, default=OUTPUT, help=f"default {OUTPUT}")
    args = p.parse_args(argv)
    numrnn.backend.set_floatx("float64")  # exact numbers for checking
    try:
        lstm_error = step_through_lstm(args.plot_dir if args.plot else None)
        rnn_error = step_through_simple_rnn()
    finally:
        numrnn.backend.set_floatx("float32")
    print(f"\nlargest disagreement with finite differences: {max(lstm_error, rnn_error):.1e}")
    return {"lstm_error": lstm_error, "simple_rnn_error": rnn_error}


if __name__ == "__main__":
    main()
