"""Cross-check numrnn's LSTM and GRU against PyTorch's nn.LSTM / nn.GRU (float64).

    pip install -e '.[bench]' && python benchmarks/crosscheck_torch.py

The same weights go into both: numrnn keeps Keras' layout, so PyTorch gets the transposes
(and, for the GRU, the gate blocks reordered from Keras' [z|r|h] to PyTorch's [r|z|n]).
Then outputs, final states and the gradients of every weight and of the input, for the loss
sum(R * output), must agree to rounding. PyTorch is only used here, never by numrnn.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numrnn  # noqa: E402
from numrnn.layers import GRU, LSTM  # noqa: E402


def check(kind: str, batch=4, steps=7, features=5, units=3) -> float:
    import torch

    rng = np.random.default_rng(0)
    x = rng.standard_normal((batch, steps, features))
    layer = (LSTM if kind == "lstm" else GRU)(units, return_sequences=True, return_state=True)
    out, *states = layer(x)
    r_out = rng.standard_normal(out.shape)
    layer.backward([r_out] + [None] * len(states))
    ours = {"output": out, "h_T": states[0], **{f"d{k}": g for k, g in layer.grads.items()}}
    dx = layer.backward([r_out] + [None] * len(states))
    ours["dinputs"] = dx

    h = units
    kernel, recurrent, bias = (layer.params[k] for k in ("kernel", "recurrent_kernel", "bias"))
    if kind == "lstm":  # Keras [i|f|c|o] == PyTorch [i|f|g|o]
        net = torch.nn.LSTM(features, units, batch_first=True).double()
        order = np.arange(4 * h)
        b_ih, b_hh = bias, np.zeros_like(bias)
    else:  # Keras [z|r|h] -> PyTorch [r|z|n]; bias rows: input, recurrent (reset_after=True)
        net = torch.nn.GRU(features, units, batch_first=True).double()
        order = np.concatenate([np.arange(h, 2 * h), np.arange(h), np.arange(2 * h, 3 * h)])
        b_ih, b_hh = bias[0][order], bias[1][order]
    with torch.no_grad():
        net.weight_ih_l0.copy_(torch.from_numpy(kernel.T[order]))
        net.weight_hh_l0.copy_(torch.from_numpy(recurrent.T[order]))
        net.bias_ih_l0.copy_(torch.from_numpy(np.ascontiguousarray(b_ih)))
        net.bias_hh_l0.copy_(torch.from_numpy(np.ascontiguousarray(b_hh)))
    tx = torch.from_numpy(x).requires_grad_(True)
    t_out, t_state = net(tx)
    (t_out * torch.from_numpy(r_out)).sum().backward()
    inverse = np.argsort(order)
    theirs = {"output": t_out.detach().numpy(),
              "h_T": (t_state[0] if kind == "lstm" else t_state)[0].detach().numpy(),
              "dkernel": net.weight_ih_l0.grad.numpy()[inverse].T,
              "drecurrent_kernel": net.weight_hh_l0.grad.numpy()[inverse].T,
              "dinputs": tx.grad.numpy()}
    if kind == "lstm":  # one Keras bias = PyTorch's two biases added
        theirs["dbias"] = net.bias_ih_l0.grad.numpy()
    else:
        theirs["dbias"] = np.stack([net.bias_ih_l0.grad.numpy()[inverse],
                                    net.bias_hh_l0.grad.numpy()[inverse]])
    worst = 0.0
    for name in theirs:
        diff = float(np.abs(ours[name] - theirs[name]).max())
        worst = max(worst, diff)
        print(f"  {kind} {name:<18} max |numrnn - PyTorch| = {diff:.1e}")
    return worst


def main() -> int:
    numrnn.backend.set_floatx("float64")
    numrnn.set_seed(0)
    worst = max(check("lstm"), check("gru"))
    print(f"worst difference: {worst:.1e} ({'agree' if worst < 1e-10 else 'DISAGREE'})")
    return 0 if worst < 1e-10 else 1


if __name__ == "__main__":
    raise SystemExit(main())
