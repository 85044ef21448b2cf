"""Keras 2.1 options of the recurrent layers (issue 9): dropout and recurrent_dropout,
stateful, regularizer/constraint arguments, explicit signatures."""

import inspect
import itertools

import numpy as np
import pytest

from numrnn import backend
from numrnn.gradcheck import gradcheck
from numrnn.layers import GRU, LSTM, Dense, Embedding, SimpleRNN
from numrnn.layers.recurrent import NotStatefulError
from numrnn.models import Sequential

RECURRENT = [SimpleRNN, LSTM, GRU]
B, T, D, H = 3, 5, 4, 3

COMMON = ["units", "activation", "use_bias", "kernel_initializer", "recurrent_initializer",
          "bias_initializer", "kernel_regularizer", "recurrent_regularizer", "bias_regularizer",
          "activity_regularizer", "kernel_constraint", "recurrent_constraint", "bias_constraint",
          "dropout", "recurrent_dropout", "return_sequences", "return_state", "go_backwards",
          "stateful", "unroll"]
KERAS21_ARGS = {
    SimpleRNN: COMMON,
    LSTM: COMMON + ["recurrent_activation", "unit_forget_bias", "implementation"],
    GRU: COMMON + ["recurrent_activation", "implementation", "reset_after"],
}


def sig(x):
    return 1 / (1 + np.exp(-x))


# ---- signatures and argument checks ---------------------------------------------------------
@pytest.mark.parametrize("cls", RECURRENT)
def test_every_keras21_argument_is_in_the_signature(cls):
    params = inspect.signature(cls).parameters
    missing = [a for a in KERAS21_ARGS[cls] if a not in params]
    assert not missing
    assert params["dropout"].default == 0.0 and params["stateful"].default is False


@pytest.mark.parametrize("cls, arg, value", [
    (LSTM, "dropout", 1.0), (GRU, "dropout", -0.1), (SimpleRNN, "recurrent_dropout", "0.5"),
    (LSTM, "recurrent_dropout", True), (LSTM, "implementation", 3), (GRU, "implementation", 0),
])
def test_bad_option_is_a_clear_error(cls, arg, value):
    with pytest.raises(ValueError, match=arg):
        cls(2, **{arg: value})


@pytest.mark.parametrize("cls", [LSTM, GRU])
def test_implementation_and_unroll_do_not_change_the_result(rng, cls):
    x = rng.standard_normal((B, T, D)).astype(np.float32)
    ref = cls(H)
    out = ref(x)
    for kw in ({"implementation": 2}, {"unroll": True}):
        other = cls(H, **kw)
        other.build((None, T, D))
        other.set_weights(ref.get_weights())
        np.testing.assert_array_equal(other(x), out)


def test_config_round_trip_keeps_the_new_options():
    layer = LSTM(4, dropout=0.25, recurrent_dropout=0.5, implementation=2, stateful=True,
                 unroll=True, batch_input_shape=(2, 3, 5))
    config = layer.get_config()
    assert config["kernel_regularizer"] is None and config["bias_constraint"] is None
    again = LSTM.from_config(config)
    assert again.get_config() == config
    simple = SimpleRNN(3)
    assert "recurrent_activation" not in simple.get_config()
    SimpleRNN.from_config({**simple.get_config(), "recurrent_activation": "sigmoid"})


def test_regularizers_and_constraints_are_resolved_and_stored():
    regularizers = pytest.importorskip("numrnn.regularizers")
    constraints = pytest.importorskip("numrnn.constraints")
    layer = LSTM(3, kernel_regularizer=regularizers.get("l2"), activity_regularizer="l1",
                 recurrent_constraint=constraints.get("max_norm"))
    assert layer.kernel_regularizer is not None and layer.activity_regularizer is not None
    assert layer.recurrent_constraint is not None and layer.bias_regularizer is None
    config = layer.get_config()
    assert config["kernel_regularizer"]["class_name"]
    layer.build((None, 4, 2))


# ---- dropout -------------------------------------------------------------------------------
def _with_fixed_masks(layer, in_mask, rec_mask):
    """Hold the dropout masks fixed and make a plain forward a training one."""
    layer._dropout_masks = lambda batch, d: (in_mask, rec_mask)
    forward = type(layer).forward

    def training_forward(inputs, mask=None, training=None, **kw):
        return forward(layer, inputs, mask=mask, training=True, **kw)

    layer.forward = training_forward
    return layer


def _masks(rng, rate_in, rate_rec, dtype=np.float64):
    mx = (rng.random((B, D)) >= rate_in) / (1 - rate_in)
    mh = (rng.random((B, H)) >= rate_rec) / (1 - rate_rec)
    return mx.astype(dtype), mh.astype(dtype)


@pytest.mark.parametrize("cls, return_sequences, masked",
                         list(itertools.product(RECURRENT, [False, True], [False, True])))
def test_dropout_gradcheck_with_masks_held_fixed(float64, rng, cls, return_sequences, masked):
    layer = cls(H, dropout=0.3, recurrent_dropout=0.4, return_sequences=return_sequences)
    layer.build((None, T, D))
    layer.params["bias"][...] = rng.standard_normal(layer.params["bias"].shape)
    _with_fixed_masks(layer, *_masks(rng, 0.3, 0.4))
    mask = None
    if masked:
        mask = np.ones((B, T), bool)
        mask[0, :2] = False
    report = gradcheck(layer, rng.standard_normal((B, T, D)), mask=mask)
    assert report.worst < 1e-6, str(report)


def test_dropout_gradcheck_gru_reset_before(float64, rng):
    layer = GRU(H, dropout=0.3, recurrent_dropout=0.4, reset_after=False, return_sequences=True)
    layer.build((None, T, D))
    layer.params["bias"][...] = rng.standard_normal(layer.params["bias"].shape)
    _with_fixed_masks(layer, *_masks(rng, 0.3, 0.4))
    report = gradcheck(layer, rng.standard_normal((B, T, D)),
                       initial_state=[rng.standard_normal((B, H))])
    assert report.worst < 1e-6, str(report)


def _reference(cls, x, weights, mx, mh, reset_after=True):
    """Keras 2.1's recurrences with dropout masks (one mask for all gates), from the formulas."""
    W, U, b = weights
    h = np.zeros((x.shape[0], H))
    c = np.zeros_like(h)
    outs = []
    for t in range(x.shape[1]):
        xt, hd = x[:, t] * mx, h * mh
        if cls is SimpleRNN:
            h = np.tanh(xt @ W + hd @ U + b)
        elif cls is LSTM:
            z = xt @ W + hd @ U + b
            i, f, g, o = sig(z[:, :H]), sig(z[:, H:2 * H]), np.tanh(z[:, 2 * H:3 * H]), \
                sig(z[:, 3 * H:])
            c = f * c + i * g
            h = o * np.tanh(c)
        elif reset_after:
            xz, hz = xt @ W + b[0], hd @ U + b[1]
            z, r = sig(xz[:, :H] + hz[:, :H]), sig(xz[:, H:2 * H] + hz[:, H:2 * H])
            hh = np.tanh(xz[:, 2 * H:] + r * hz[:, 2 * H:])
            h = z * h + (1 - z) * hh          # the direct path uses the undropped state
        else:
            xz = xt @ W + b
            z, r = sig(xz[:, :H] + hd @ U[:, :H]), sig(xz[:, H:2 * H] + hd @ U[:, H:2 * H])
            hh = np.tanh(xz[:, 2 * H:] + (r * hd) @ U[:, 2 * H:])
            h = z * h + (1 - z) * hh
        outs.append(h)
    return np.stack(outs, 1)


@pytest.mark.parametrize("cls, reset_after", [(SimpleRNN, True), (LSTM, True), (GRU, True),
                                              (GRU, False)])
def test_dropout_forward_matches_the_keras_formula(float64, rng, cls, reset_after):
    kw = {"reset_after": reset_after} if cls is GRU else {}
    layer = cls(H, dropout=0.5, recurrent_dropout=0.25, return_sequences=True, **kw)
    layer.build((None, T, D))
    layer.params["bias"][...] = rng.standard_normal(layer.params["bias"].shape)
    mx, mh = _masks(rng, 0.5, 0.25)
    x = rng.standard_normal((B, T, D))
    out = _with_fixed_masks(layer, mx, mh)(x)
    expected = _reference(cls, x, layer.get_weights(), mx, mh, reset_after)
    np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("cls", RECURRENT)
def test_dropout_is_the_identity_at_inference(rng, cls):
    x = rng.standard_normal((B, T, D)).astype(np.float32)
    plain = cls(H, return_sequences=True)
    dropped = cls(H, return_sequences=True, dropout=0.5, recurrent_dropout=0.5)
    expected = plain(x)
    dropped.build((None, T, D))
    dropped.set_weights(plain.get_weights())
    np.testing.assert_array_equal(dropped(x), expected)                  # a plain call
    np.testing.assert_array_equal(dropped(x, training=False), expected)
    a, b = dropped(x, training=True), dropped(x, training=True)
    assert not np.allclose(a, expected) and not np.allclose(a, b)       # a new mask per batch


def test_masks_are_per_sequence_and_scaled():
    """Linear SimpleRNN, W = I, U = 0: h_t = x_t * m_x; with W = 0, U = I, h0 = 1:
    h_t = m_h^t. One mask per sequence: every step sees the same m, entries 0 or 1/(1-rate)."""
    n, rate = 2000, 0.25
    backend.set_seed(3)
    layer = SimpleRNN(8, activation="linear", dropout=rate, use_bias=False,
                      return_sequences=True)
    layer.build((None, 4, 8))
    layer.set_weights([np.eye(8), np.zeros((8, 8))])
    out = layer(np.ones((n, 4, 8), np.float32), training=True)
    for t in range(1, 4):
        np.testing.assert_array_equal(out[:, t], out[:, 0])
    np.testing.assert_allclose(np.unique(out), [0.0, 1 / (1 - rate)], rtol=1e-6)
    assert abs(np.mean(out[:, 0] == 0) - rate) < 0.02
    rec = SimpleRNN(8, activation="linear", recurrent_dropout=0.5, use_bias=False,
                    return_sequences=True)
    rec.build((None, 4, 8))
    rec.set_weights([np.zeros((8, 8)), np.eye(8)])
    out = rec(np.zeros((n, 4, 8), np.float32), training=True,
              initial_state=[np.ones((n, 8), np.float32)])
    # one mask for all steps: a unit is 0 or 2^4; per-step masks would give 2, 4, 8 too
    np.testing.assert_array_equal(np.unique(out[:, 3]), [0.0, 16.0])


# ---- stateful --------------------------------------------------------------------------------
@pytest.mark.parametrize("cls, training", list(itertools.product(RECURRENT, [False, True])))
def test_stateful_chunks_equal_one_long_sequence(rng, cls, training):
    x = rng.standard_normal((2, 12, D)).astype(np.float32)
    whole = cls(H, return_sequences=True)
    expected = whole(x)
    layer = cls(H, return_sequences=True, stateful=True, batch_input_shape=(2, None, D))
    layer.build((2, None, D))
    layer.set_weights(whole.get_weights())
    parts = [layer.forward(x[:, k:k + 4], training=training) for k in range(0, 12, 4)]
    np.testing.assert_allclose(np.concatenate(parts, axis=1), expected, rtol=1e-5, atol=1e-6)
    layer.reset_states()
    np.testing.assert_allclose(layer(x[:, :4]), expected[:, :4], rtol=1e-5, atol=1e-6)


def test_reset_states_with_values_and_errors(rng):
    layer = LSTM(H, stateful=True, batch_input_shape=(2, 4, D))
    layer.build((2, 4, D))
    x = rng.standard_normal((2, 4, D)).astype(np.float32)
    h0, c0 = rng.standard_normal((2, 2, H)).astype(np.float32)
    layer.reset_states([h0, c0])
    out = layer(x)
    plain = LSTM(H)
    plain.build((None, 4, D))
    plain.set_weights(layer.get_weights())
    np.testing.assert_allclose(out, plain(x, initial_state=[h0, c0]), rtol=1e-6)
    before = [s.copy() for s in layer.states]
    with pytest.raises(ValueError, match="batch of 3 samples.*exactly 2"):
        layer(rng.standard_normal((3, 4, D)))
    with pytest.raises(ValueError, match="reset_states c: shape"):
        layer.reset_states([h0, np.zeros((3, H))])
    with pytest.raises(ValueError, match="list of 2 arrays"):
        layer.reset_states([h0])
    for s, b in zip(layer.states, before):   # nothing changed
        np.testing.assert_array_equal(s, b)
    with pytest.raises(NotStatefulError, match="stateful=True"):
        plain.reset_states()
    with pytest.raises(AttributeError):      # what Keras raises
        plain.reset_states()
    with pytest.raises(ValueError, match="fixed batch size"):
        LSTM(2, stateful=True).build((None, 4, D))


def test_stateful_model_carries_states_between_predict_calls(rng):
    """Through Sequential: the batch size comes from the first layer's batch_input_shape."""
    ids = rng.integers(1, 20, (2, 12))

    def model(stateful):
        backend.set_seed(5)
        m = Sequential()
        m.add(Embedding(20, 4, batch_input_shape=(2, None)))
        m.add(LSTM(H, stateful=stateful))
        m.add(Dense(1, activation="sigmoid"))
        m.compile("rmsprop", "binary_crossentropy")
        return m

    stateful, plain = model(True), model(False)
    stateful.predict(ids[:, :6], batch_size=2)
    np.testing.assert_allclose(stateful.predict(ids[:, 6:], batch_size=2), plain.predict(ids),
                               rtol=1e-5)
    with pytest.raises(ValueError, match="exactly 2"):
        stateful.predict(ids[:1], batch_size=1)
    stateful.fit(ids[:, :6], np.ones(2), batch_size=2, shuffle=False, verbose=0)


# ---- BLAS thread policy ----------------------------------------------------------------------
def test_auto_blas_policy_uses_every_core_only_for_big_matmuls(rng):
    import os

    from threadpoolctl import threadpool_info

    def blas_threads_now():
        return {p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"}

    with pytest.raises(ValueError, match="'auto'"):
        backend.set_blas_threads("fast")
    try:
        backend.set_blas_threads("auto")
        with backend.blas_threads():
            assert blas_threads_now() == {1}
            with backend.blas_threads_for(backend.AUTO_MIN_FLOPS / 2):
                assert blas_threads_now() == {1}
            with backend.blas_threads_for(backend.AUTO_MIN_FLOPS):
                assert blas_threads_now() == {os.cpu_count()}
            assert blas_threads_now() == {1}
            layer = LSTM(64, return_sequences=True)     # its projection is above the bound
            x = rng.standard_normal((64, 50, 64)).astype(np.float32)
            out = layer(x, training=True)
            dx = layer.backward(np.ones_like(out))
        backend.set_blas_threads(1)
        with backend.blas_threads():
            np.testing.assert_allclose(layer(x, training=True), out, rtol=1e-5, atol=1e-6)
            np.testing.assert_allclose(layer.backward(np.ones_like(out)), dx, rtol=1e-4,
                                       atol=1e-5)
    finally:
        backend.set_blas_threads(1)
