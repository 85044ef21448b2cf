"""Recurrent forward passes against a plain, step-by-step reference written from the equations."""

import numpy as np
import pytest

from numrnn import activations
from numrnn.layers import GRU, LSTM, SimpleRNN


def sig(x):
    return 1 / (1 + np.exp(-x))


def reference_lstm(x, W, U, b, act=np.tanh, gate=sig, mask=None, h=None, c=None):
    B, T, _ = x.shape
    H = U.shape[0]
    h = np.zeros((B, H)) if h is None else h
    c = np.zeros((B, H)) if c is None else c
    outs = []
    for t in range(T):
        z = x[:, t] @ W + h @ U + b
        i, f, g, o = gate(z[:, :H]), gate(z[:, H:2 * H]), act(z[:, 2 * H:3 * H]), gate(z[:, 3 * H:])
        c_new = f * c + i * g
        h_new = o * act(c_new)
        if mask is not None:
            m = mask[:, t:t + 1]
            c_new, h_new = np.where(m, c_new, c), np.where(m, h_new, h)
        h, c = h_new, c_new
        outs.append(h)
    return np.stack(outs, 1), h, c


def reference_gru(x, W, U, b, reset_after):
    B, T, _ = x.shape
    H = U.shape[0]
    h = np.zeros((B, H))
    for t in range(T):
        if reset_after:
            xz, hz = x[:, t] @ W + b[0], h @ U + b[1]
            z, r = sig(xz[:, :H] + hz[:, :H]), sig(xz[:, H:2 * H] + hz[:, H:2 * H])
            hh = np.tanh(xz[:, 2 * H:] + r * hz[:, 2 * H:])
        else:
            xz = x[:, t] @ W + b
            z = sig(xz[:, :H] + h @ U[:, :H])
            r = sig(xz[:, H:2 * H] + h @ U[:, H:2 * H])
            hh = np.tanh(xz[:, 2 * H:] + (r * h) @ U[:, 2 * H:])
        h = z * h + (1 - z) * hh
    return h


@pytest.fixture
def x(rng):
    return rng.standard_normal((4, 6, 3))


def test_lstm_matches_reference(float64, x):
    layer = LSTM(5, return_sequences=True)
    out = layer(x)
    W, U, b = layer.get_weights()
    ref, _, _ = reference_lstm(x, W, U, b)
    np.testing.assert_allclose(out, ref, rtol=1e-12, atol=1e-12)


def test_lstm_float32_close_to_float64(x):
    layer = LSTM(5, return_sequences=True)
    out = layer(x.astype(np.float32))
    assert out.dtype == np.float32
    ref, _, _ = reference_lstm(x, *[w.astype(np.float64) for w in layer.get_weights()])
    np.testing.assert_allclose(out, ref, atol=1e-5)


def test_lstm_keras21_variant(float64, x):
    """Keras 2.1: hard_sigmoid gates; activation='sigmoid' also squashes c_t (tutorial's lstm1)."""
    layer = LSTM(2, activation="sigmoid", recurrent_activation="hard_sigmoid")
    out = layer(x)
    W, U, b = layer.get_weights()
    _, h, _ = reference_lstm(x, W, U, b, act=sig, gate=lambda v: np.clip(0.2 * v + 0.5, 0, 1))
    np.testing.assert_allclose(out, h, rtol=1e-12)
    assert ((out >= 0) & (out < 1)).all()


def test_lstm_mask_carries_state(float64, x):
    mask = np.ones(x.shape[:2], bool)
    mask[0, :3] = False
    mask[1, 4:] = False
    layer = LSTM(3, return_sequences=True)
    out = layer(x, mask=mask)
    ref, _, _ = reference_lstm(x, *layer.get_weights(), mask=mask)
    np.testing.assert_allclose(out, ref, rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(out[0, :3], 0)  # nothing seen yet: the initial state
    np.testing.assert_array_equal(out[1, 4], out[1, 3])
    # masking all-but-the-real-tokens equals running on the real tokens only
    short = LSTM(3)
    short.build((None, 6, 3))
    short.set_weights(layer.get_weights())
    np.testing.assert_allclose(short(x[:1], mask=mask[:1]), short(x[:1, 3:]), rtol=1e-12)


def test_go_backwards_returns_processing_order(float64, x):
    fwd = LSTM(3, return_sequences=True)
    fwd.build((None, 6, 3))
    back = LSTM(3, return_sequences=True, go_backwards=True)
    back.build((None, 6, 3))
    back.set_weights(fwd.get_weights())
    np.testing.assert_allclose(back(x), fwd(x[:, ::-1]), rtol=1e-12)


def test_return_state_and_initial_state(float64, x, rng):
    layer = LSTM(3, return_sequences=True, return_state=True)
    h0, c0 = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
    seq, h, c = layer(x, initial_state=[h0, c0])
    ref, rh, rc = reference_lstm(x, *layer.get_weights(), h=h0, c=c0)
    np.testing.assert_allclose(seq, ref, rtol=1e-12)
    np.testing.assert_allclose(h, rh, rtol=1e-12)
    np.testing.assert_allclose(c, rc, rtol=1e-12)
    assert layer.compute_output_shape((None, 6, 3)) == [(None, 6, 3), (None, 3), (None, 3)]


@pytest.mark.parametrize("reset_after", [True, False])
def test_gru_matches_reference(float64, x, reset_after):
    layer = GRU(4, reset_after=reset_after)
    out = layer(x)
    np.testing.assert_allclose(out, reference_gru(x, *layer.get_weights(), reset_after),
                               rtol=1e-12)


def test_simple_rnn_matches_reference(float64, x):
    layer = SimpleRNN(4)
    W, U, b = (layer.build((None, 6, 3)), layer.get_weights())[1]
    h = np.zeros((4, 4))
    for t in range(6):
        h = np.tanh(x[:, t] @ W + h @ U + b)
    np.testing.assert_allclose(layer(x), h, rtol=1e-12)


def test_keras_weight_layout_and_initialisers():
    layer = LSTM(32)
    layer.build((None, 20, 8))
    W, U, b = layer.get_weights()
    assert W.shape == (8, 128) and U.shape == (32, 128) and b.shape == (128,)
    np.testing.assert_array_equal(b[32:64], 1)                      # unit forget bias
    np.testing.assert_array_equal(np.delete(b, np.s_[32:64]), 0)
    np.testing.assert_allclose(U @ U.T, np.eye(32), atol=1e-5)     # orthonormal rows
    assert np.abs(W).max() <= np.sqrt(6 / (8 + 128))                # glorot over the fused matrix
    assert layer.count_params() == 4 * 32 * (8 + 32 + 1)


def test_internals_expose_gates_and_gradients(float64, x, rng):
    layer = LSTM(2, return_sequences=True)
    out = layer(x)
    parts = layer.internals()
    assert set(parts) == {"z_i", "z_f", "z_g", "z_o", "i", "f", "g", "o", "c", "act_c", "h"}
    sig = 1 / (1 + np.exp(-parts["z_f"]))
    np.testing.assert_allclose(parts["f"], sig, rtol=1e-12)
    np.testing.assert_allclose(parts["g"], np.tanh(parts["z_g"]), rtol=1e-12)
    np.testing.assert_allclose(parts["h"], out)
    np.testing.assert_allclose(parts["h"], parts["o"] * np.tanh(parts["c"]))
    c_prev = np.concatenate([np.zeros((4, 1, 2)), parts["c"][:, :-1]], axis=1)
    np.testing.assert_allclose(parts["c"], parts["f"] * c_prev + parts["i"] * parts["g"])
    layer.backward(rng.standard_normal(out.shape))
    parts = layer.internals()
    assert parts["dh"].shape == parts["dc"].shape == (4, 6, 2)
    # dz_f = dc * c_{t-1} * f (1 - f)
    np.testing.assert_allclose(parts["dz_f"], parts["dc"] * c_prev * parts["f"] * (1 - parts["f"]),
                               rtol=1e-10, atol=1e-14)


def test_internals_before_forward_is_an_error():
    with pytest.raises(RuntimeError, match="forward"):
        LSTM(2).internals()


def test_activation_tanh_forms_are_exact():
    x = np.linspace(-5, 5, 101)
    for act in (activations.sigmoid, activations.tanh):
        a, b, c = act.tanh_form
        np.testing.assert_allclose(act(x), b * np.tanh(a * x) + c, rtol=1e-12)
    np.testing.assert_allclose(activations.sigmoid(x), sig(x), rtol=1e-12)
