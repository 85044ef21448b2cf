"""Bidirectional and TimeDistributed: values from the Keras definitions written out here,
gradient checks, masks, states, weights order, configs, training through Sequential.fit."""

import itertools

import numpy as np
import pytest

from numrnn.gradcheck import gradcheck
from numrnn.layers import (
    GRU,
    LSTM,
    Bidirectional,
    Dense,
    Dropout,
    Embedding,
    Flatten,
    SimpleRNN,
    TimeDistributed,
    deserialize,
)
from numrnn.models import Sequential

TOL = 1e-6
B, T, D, H = 3, 5, 4, 3


def _mask():
    m = np.ones((B, T), bool)
    m[0, :2] = False
    m[1, 3:] = False
    return m


def simple_rnn_reference(x, w, u, b, mask=None):
    """Keras SimpleRNN: h_t = tanh(x_t W + h_{t-1} U + b); a masked step keeps h."""
    h = np.zeros((x.shape[0], w.shape[1]))
    outs = []
    for t in range(x.shape[1]):
        new = np.tanh(x[:, t] @ w + h @ u + b)
        if mask is not None:
            new = np.where(mask[:, t:t + 1], new, h)
        h = new
        outs.append(h)
    return np.stack(outs, axis=1)


@pytest.mark.parametrize("merge_mode", ["concat", "sum", "mul", "ave", None])
@pytest.mark.parametrize("return_sequences", [False, True])
def test_bidirectional_simple_rnn_against_the_keras_definition(float64, rng, merge_mode,
                                                               return_sequences):
    x = rng.standard_normal((B, T, D))
    mask = _mask()
    layer = Bidirectional(SimpleRNN(H, return_sequences=return_sequences),
                          merge_mode=merge_mode)
    out = layer.forward(x, mask=mask) if layer.built else layer(x, mask=mask)
    wf, uf, bf, wb, ub, bb = layer.get_weights()
    fwd = simple_rnn_reference(x, wf, uf, bf, mask)
    # backward direction: the same recurrence over the reversed sequence ...
    bwd = simple_rnn_reference(x[:, ::-1], wb, ub, bb, mask[:, ::-1])
    if return_sequences:
        fwd, bwd = fwd, bwd[:, ::-1]        # ... whose outputs are put back in input order
    else:
        fwd, bwd = fwd[:, -1], bwd[:, -1]
    expected = {"concat": np.concatenate([fwd, bwd], -1), "sum": fwd + bwd, "mul": fwd * bwd,
                "ave": (fwd + bwd) / 2, None: [fwd, bwd]}[merge_mode]
    if merge_mode is None:
        for o, e in zip(out, expected):
            np.testing.assert_allclose(o, e, atol=1e-12)
    else:
        np.testing.assert_allclose(out, expected, atol=1e-12)
    shape = layer.compute_output_shape((None, T, D))
    if merge_mode is None:
        assert [tuple(s[1:]) for s in shape] == [o.shape[1:] for o in out]
    else:
        assert tuple(shape[1:]) == out.shape[1:]


@pytest.mark.parametrize("cls, merge_mode, return_sequences, masked", [
    (LSTM, "concat", True, True), (LSTM, "mul", False, False), (GRU, "ave", True, False),
    (SimpleRNN, "sum", False, True), (LSTM, None, True, True)])
def test_bidirectional_gradients(float64, rng, cls, merge_mode, return_sequences, masked):
    layer = Bidirectional(cls(H, return_sequences=return_sequences), merge_mode=merge_mode)
    report = gradcheck(layer, rng.standard_normal((B, T, D)), mask=_mask() if masked else None)
    assert len(report.relative_error) == len(layer.params) + 1
    assert report.worst < TOL, str(report)


def test_bidirectional_return_state_order_and_gradients(float64, rng):
    x = rng.standard_normal((B, T, D))
    layer = Bidirectional(LSTM(H, return_state=True, return_sequences=True))
    states0 = [rng.standard_normal((B, H)) for _ in range(4)]
    out = layer(x, initial_state=states0)
    assert len(out) == 5 and out[0].shape == (B, T, 2 * H)
    fwd = LSTM(H, return_state=True, return_sequences=True)
    bwd = LSTM(H, return_state=True, return_sequences=True, go_backwards=True)
    for sub, ws in ((fwd, layer.get_weights()[:3]), (bwd, layer.get_weights()[3:])):
        sub.build((None, T, D))
        sub.set_weights(ws)
    f = fwd.forward(x, initial_state=states0[:2])
    b = bwd.forward(x, initial_state=states0[2:])
    np.testing.assert_allclose(out[0], np.concatenate([f[0], b[0][:, ::-1]], -1), atol=1e-12)
    for got, want in zip(out[1:], f[1:] + b[1:]):       # forward h, c then backward h, c
        np.testing.assert_allclose(got, want, atol=1e-12)
    assert len(layer.compute_output_shape((None, T, D))) == 5
    report = gradcheck(layer, x, initial_state=states0)
    assert report.worst < TOL, str(report)


def test_bidirectional_weights_config_and_mask():
    template = LSTM(H, return_sequences=True, name="enc")
    layer = Bidirectional(template, merge_mode="sum")
    layer.build((None, T, D))
    assert layer.forward_layer.name == "forward_enc"
    assert layer.backward_layer.go_backwards and not layer.forward_layer.go_backwards
    assert [w.shape for w in layer.get_weights()] == [(D, 4 * H), (H, 4 * H), (4 * H,)] * 2
    weights = [np.full(w.shape, k, "float32") for k, w in enumerate(layer.get_weights())]
    layer.set_weights(weights)
    assert np.all(layer.forward_layer.params["bias"] == 2)
    assert np.all(layer.backward_layer.params["kernel"] == 3)
    copy = deserialize({"class_name": "Bidirectional", "config": layer.get_config()})
    assert copy.merge_mode == "sum" and copy.return_sequences
    mask = np.ones((B, T), bool)
    assert layer.compute_mask(None, mask) is mask
    assert Bidirectional(LSTM(H)).compute_mask(None, mask) is None
    with pytest.raises(ValueError, match="merge_mode"):
        Bidirectional(LSTM(H), merge_mode="max")
    with pytest.raises(TypeError, match="recurrent"):
        Bidirectional(Dense(3))


def test_bidirectional_copies_a_built_templates_weights(rng):
    template = LSTM(H)
    template.build((None, T, D))
    layer = Bidirectional(template)
    for w, t in zip(layer.get_weights(), template.get_weights() * 2):
        assert np.array_equal(w, t)


def test_bidirectional_lstm_trains_in_a_sequential(rng):
    ids = rng.integers(1, 30, (48, 8))
    y = (ids[:, 0] > 15).astype("float32")
    model = Sequential([Embedding(30, 6, input_length=8, mask_zero=True),
                        Bidirectional(LSTM(5)), Dense(1, activation="sigmoid")])
    model.compile("adam", "binary_crossentropy", ["acc"])
    before = [w.copy() for w in model.get_weights()]
    model.fit(ids, y, epochs=2, batch_size=16, verbose=0)
    after = model.get_weights()
    assert all(not np.array_equal(a, b) for a, b in zip(after[1:], before[1:]))
    assert model.layers[1].output_shape == (None, 10)


# ---- TimeDistributed -------------------------------------------------------------------
def test_time_distributed_dense_is_the_same_dense_at_every_step(float64, rng):
    x = rng.standard_normal((B, T, D))
    layer = TimeDistributed(Dense(2, activation="tanh"))
    y = layer(x)
    w, b = layer.get_weights()
    expected = np.stack([np.tanh(x[:, t] @ w + b) for t in range(T)], axis=1)
    np.testing.assert_allclose(y, expected, atol=1e-12)
    assert layer.output_shape == (None, T, 2)
    assert list(layer.params) == ["kernel", "bias"]
    report = gradcheck(TimeDistributed(Dense(2, activation="tanh")), x)
    assert report.worst < TOL, str(report)
    copy = deserialize({"class_name": "TimeDistributed", "config": layer.get_config()})
    assert copy.layer.units == 2 and copy.layer.activation.name == "tanh"
    mask = np.ones((B, T), bool)
    assert layer.compute_mask(x, mask) is mask


def test_time_distributed_recurrent_layer_on_4d_input(float64, rng):
    x = rng.standard_normal((2, 3, 4, D))          # (batch, outer steps, inner steps, features)
    layer = TimeDistributed(LSTM(H))
    y = layer(x)
    assert y.shape == (2, 3, H) and layer.output_shape == (None, 3, H)
    inner = LSTM(H)
    inner.build((None, 4, D))
    inner.set_weights(layer.get_weights())
    for t in range(3):
        np.testing.assert_allclose(y[:, t], inner.forward(x[:, t]), atol=1e-12)
    assert gradcheck(layer, x).worst < TOL


def test_time_distributed_dropout_follows_the_training_flag(rng):
    x = np.ones((2, 4, 50), "float32")
    layer = TimeDistributed(Dropout(0.5, seed=0))
    assert np.array_equal(layer(x), x)
    assert np.mean(layer.forward(x, training=True) == 0) > 0.3


def test_time_distributed_in_a_sequence_tagger(rng):
    ids = rng.integers(1, 12, (32, 6))
    tags = (ids % 3).astype(np.int64)
    model = Sequential([Embedding(12, 5, input_length=6), LSTM(8, return_sequences=True),
                        TimeDistributed(Dense(3, activation="softmax"))])
    model.compile("adam", "sparse_categorical_crossentropy", ["acc"])
    history = model.fit(ids, tags, epochs=15, batch_size=8, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert model.predict(ids).shape == (32, 6, 3)
    with pytest.raises(ValueError, match="rank >= 3"):
        Sequential([Dense(3, input_dim=4), TimeDistributed(Dense(2))])


def test_wrappers_need_a_layer():
    with pytest.raises(TypeError, match="layer"):
        TimeDistributed("dense")
    assert list(itertools.islice(Bidirectional(LSTM(2)).params, 1)) == []
    assert Flatten  # imported for Keras-style models in other tests
