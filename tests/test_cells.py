"""numrnn.cells: a loop over the readable step functions equals the fast layers, and each
step's backward equals central finite differences."""

import numpy as np
import pytest

from numrnn import cells
from numrnn.layers import GRU, LSTM, SimpleRNN

SHAPES = [(1, 1, 1, 1), (3, 5, 4, 2), (2, 7, 3, 6), (4, 2, 6, 3)]  # (B, T, D, H)


def run_cells(kind, x, states0, weights, d_seq, d_last, reset_after=True):
    """Forward over time with the step functions, then BPTT with their backward twins."""
    step, back = {"rnn": (cells.rnn_step, cells.rnn_step_backward),
                  "lstm": (cells.lstm_step, cells.lstm_step_backward),
                  "gru": (cells.gru_step, cells.gru_step_backward)}[kind]
    W, U, b = weights
    extra = {"reset_after": reset_after} if kind == "gru" else {}
    states, caches, outputs = list(states0), [], []
    for t in range(x.shape[1]):
        *states, cache = step(x[:, t], *states, W, U, b, **extra)
        caches.append(cache)
        outputs.append(states[0])
    d_states = [g.copy() for g in d_last]
    dW, dU, db = np.zeros_like(W), np.zeros_like(U), np.zeros_like(b)
    dx = np.zeros_like(x)
    for t in reversed(range(x.shape[1])):
        d_states[0] = d_states[0] + d_seq[:, t]
        dx[:, t], *d_states, dW_t, dU_t, db_t = back(*d_states, caches[t])
        dW, dU, db = dW + dW_t, dU + dU_t, db + db_t
    return np.stack(outputs, axis=1), states, dx, d_states, [dW, dU, db]


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("kind, reset_after", [("rnn", None), ("lstm", None), ("gru", True),
                                               ("gru", False)])
def test_loop_over_cells_equals_the_fast_layer(kind, reset_after, shape):
    batch, steps, d, h = shape
    rng = np.random.default_rng(sum(shape))
    if kind == "rnn":
        layer = SimpleRNN(h, return_sequences=True, return_state=True, dtype="float64")
    elif kind == "lstm":
        layer = LSTM(h, return_sequences=True, return_state=True, dtype="float64")
    else:
        layer = GRU(h, reset_after=reset_after, return_sequences=True, return_state=True,
                    dtype="float64")
    layer.build((None, steps, d))
    # random weights (a non-zero bias everywhere, so every bias path is exercised)
    layer.set_weights([rng.normal(0, 0.7, w.shape) for w in layer.get_weights()])
    n_states = len(layer.state_names)
    x = rng.standard_normal((batch, steps, d))
    states0 = [rng.standard_normal((batch, h)) for _ in range(n_states)]
    d_seq = rng.standard_normal((batch, steps, h))
    d_last = [rng.standard_normal((batch, h)) for _ in range(n_states)]

    out, *final = layer.forward(x, initial_state=[s.copy() for s in states0])
    dx_fast = layer.backward([d_seq] + d_last)
    seq, states, dx, d_states0, grads = run_cells(
        kind, x, states0, layer.get_weights(), d_seq, d_last, bool(reset_after))

    np.testing.assert_allclose(seq, out, rtol=0, atol=1e-12)
    for mine, fast in zip(states, final):
        np.testing.assert_allclose(mine, fast, rtol=0, atol=1e-12)
    np.testing.assert_allclose(dx, dx_fast, rtol=0, atol=1e-12)
    for mine, fast in zip(d_states0, layer.d_initial_state):
        np.testing.assert_allclose(mine, fast, rtol=0, atol=1e-12)
    for mine, name in zip(grads, ["kernel", "recurrent_kernel", "bias"]):
        assert mine.shape == layer.grads[name].shape
        np.testing.assert_allclose(mine, layer.grads[name], rtol=0, atol=1e-12)


def central_difference(loss, array, eps=1e-6):
    grad = np.zeros_like(array)
    for k in range(array.size):
        old = array.flat[k]
        array.flat[k] = old + eps
        plus = loss()
        array.flat[k] = old - eps
        minus = loss()
        array.flat[k] = old
        grad.flat[k] = (plus - minus) / (2 * eps)
    return grad


def assert_close(analytic, numeric, name):
    err = np.linalg.norm(analytic - numeric) / (np.linalg.norm(analytic) + np.linalg.norm(numeric))
    assert err < 1e-7, f"{name}: relative error {err:.2e}"


@pytest.mark.parametrize("kind", ["rnn", "lstm", "gru", "gru-reset-before"])
def test_each_step_backward_is_gradient_checked(kind):
    rng = np.random.default_rng(7)
    batch, d, h = 3, 4, 2
    gates = {"rnn": 1, "lstm": 4}.get(kind, 3)
    inputs = {"x_t": rng.standard_normal((batch, d)), "h_prev": rng.standard_normal((batch, h))}
    if kind == "lstm":
        inputs["c_prev"] = rng.standard_normal((batch, h))
    inputs["W"] = rng.normal(0, 0.7, (d, gates * h))
    inputs["U"] = rng.normal(0, 0.7, (h, gates * h))
    inputs["b"] = rng.normal(0, 0.7, (2, 3 * h) if kind == "gru" else (gates * h,))
    step, back = {"rnn": (cells.rnn_step, cells.rnn_step_backward),
                  "lstm": (cells.lstm_step, cells.lstm_step_backward)}.get(
        kind, (cells.gru_step, cells.gru_step_backward))
    extra = {"reset_after": kind == "gru"} if kind.startswith("gru") else {}
    # L = sum(R_h * h_t) (+ sum(R_c * c_t)): random weights on every output entry
    r_out = [rng.standard_normal((batch, h)) for _ in range(2 if kind == "lstm" else 1)]

    def loss():
        *outs, _ = step(*inputs.values(), **extra)
        return sum(float(np.sum(r * o)) for r, o in zip(r_out, outs))

    *_, cache = step(*inputs.values(), **extra)
    analytic = back(*r_out, cache)
    # backward returns dx_t, dh_prev, (dc_prev), dW, dU, db: the inputs' order
    for (name, array), grad in zip(inputs.items(), analytic):
        assert grad.shape == array.shape, name
        assert_close(grad, central_difference(loss, array), f"{kind} d{name}")


def test_lstm_step_follows_its_equations():
    """c_t = f c_prev + i g, h_t = o tanh(c_t); with dL/dh_t = 0 only the belt carries back."""
    rng = np.random.default_rng(3)
    x, h0, c0 = (rng.standard_normal(s) for s in [(2, 3), (2, 2), (2, 2)])
    W, U, b = rng.standard_normal((3, 8)), rng.standard_normal((2, 8)), rng.standard_normal(8)
    h, c, cache = cells.lstm_step(x, h0, c0, W, U, b)
    z = x @ W + h0 @ U + b
    i, f, g, o = 1 / (1 + np.exp(-z[:, :2])), 1 / (1 + np.exp(-z[:, 2:4])), \
        np.tanh(z[:, 4:6]), 1 / (1 + np.exp(-z[:, 6:]))
    np.testing.assert_allclose(c, f * c0 + i * g, rtol=0, atol=1e-14)
    np.testing.assert_allclose(h, o * np.tanh(c), rtol=0, atol=1e-14)
    dc_t = rng.standard_normal((2, 2))
    _, _, dc_prev, *_ = cells.lstm_step_backward(np.zeros((2, 2)), dc_t, cache)
    np.testing.assert_allclose(dc_prev, dc_t * f, rtol=0, atol=1e-14)


def test_sigmoid_is_the_logistic_function_and_does_not_overflow():
    z = np.array([-800.0, -3.0, 0.0, 2.5, 800.0])
    with np.errstate(all="raise"):
        s = cells.sigmoid(z)
    np.testing.assert_allclose(s[1:4], 1 / (1 + np.exp(-z[1:4])), rtol=1e-15)
    assert s[0] == 0.0 and s[-1] == 1.0


@pytest.mark.parametrize("bad, message", [
    ({"W": np.zeros((3, 5))}, "W: shape (3, 5); accepted: (3, 8)"),
    ({"h_prev": np.zeros((4, 2))}, "h_prev: shape (4, 2); accepted: (2, 2)"),
    ({"b": np.zeros(4)}, "b: shape (4,); accepted: (8,)"),
    ({"c_prev": np.zeros((2, 3))}, "c_prev: shape (2, 3); accepted: (2, 2)"),
])
def test_wrong_shapes_name_the_argument(bad, message):
    args = {"x_t": np.zeros((2, 3)), "h_prev": np.zeros((2, 2)), "c_prev": np.zeros((2, 2)),
            "W": np.zeros((3, 8)), "U": np.zeros((2, 8)), "b": np.zeros(8)}
    args.update(bad)
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        cells.lstm_step(**args)


def test_gru_bias_shape_follows_reset_after():
    x, h0 = np.zeros((1, 2)), np.zeros((1, 3))
    W, U = np.zeros((2, 9)), np.zeros((3, 9))
    with pytest.raises(ValueError, match=r"b: shape \(9,\); accepted: \(2, 9\)"):
        cells.gru_step(x, h0, W, U, np.zeros(9))
    h, _ = cells.gru_step(x, h0, W, U, np.zeros(9), reset_after=False)
    assert h.shape == (1, 3)
