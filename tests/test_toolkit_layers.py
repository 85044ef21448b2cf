"""Dropout, SpatialDropout1D, Activation, RepeatVector, Masking, global pooling, Reshape,
Permute: values against the Keras formulas written out here, inference behaviour, float64
gradient checks (dropout masks held fixed), configs."""

import numpy as np
import pytest

import numrnn
from numrnn.gradcheck import gradcheck
from numrnn.layers import (
    LSTM,
    Activation,
    Dense,
    Dropout,
    GlobalAveragePooling1D,
    GlobalMaxPooling1D,
    Layer,
    Masking,
    Permute,
    RepeatVector,
    Reshape,
    SpatialDropout1D,
    deserialize,
)
from numrnn.models import Sequential

TOL = 1e-6
B, T, D = 3, 5, 4


class TrainingCall(Layer):
    """Calls the wrapped layer with training=True (gradcheck calls forward without it)."""

    def __init__(self, layer):
        self.layer = layer
        super().__init__(dtype="float64")

    def build(self, input_shape):
        self.layer.build(input_shape)
        self.params = self.layer.params
        super().build(input_shape)

    def compute_output_shape(self, input_shape):
        return self.layer.compute_output_shape(input_shape)

    def forward(self, inputs, mask=None, training=False):
        return self.layer.forward(inputs, mask=mask, training=True)

    def backward(self, dout):
        dx = self.layer.backward(dout)
        self.grads = self.layer.grads
        return dx


def roundtrip(layer):
    spec = {"class_name": type(layer).__name__, "config": layer.get_config()}
    return deserialize(spec)


def _mask():
    m = np.ones((B, T), bool)
    m[0, :2] = False
    m[1, 3:] = False
    m[2, 2] = False
    return m


# ---- Dropout ---------------------------------------------------------------------------
def test_dropout_is_identity_at_inference_and_scales_kept_entries_in_training(rng):
    x = rng.standard_normal((B, T, D)).astype("float32")
    layer = Dropout(0.4, seed=7)
    assert np.array_equal(layer(x), x)                       # plain call: inference
    y = layer.forward(x, training=True)
    keep = layer.last_mask
    assert set(np.unique(keep)) <= {0.0, 1.0}
    np.testing.assert_allclose(y, x * keep / 0.6, rtol=1e-6)  # Keras: x * keep / (1 - rate)


def test_dropout_new_mask_every_batch_and_seed_fixes_the_sequence(rng):
    x = np.ones((4, 50), "float32")
    a, b = Dropout(0.5, seed=3), Dropout(0.5, seed=3)
    a1, a2 = a.forward(x, training=True), a.forward(x, training=True)
    b1, b2 = b.forward(x, training=True), b.forward(x, training=True)
    assert not np.array_equal(a1, a2)
    assert np.array_equal(a1, b1) and np.array_equal(a2, b2)
    c = Dropout(0.5, seed=4).forward(x, training=True)
    assert not np.array_equal(a1, c)


def test_dropout_rate_and_noise_shape():
    x = np.ones((200, 10, 30), "float32")
    y = Dropout(0.25, seed=0).forward(x, training=True)
    assert abs(np.mean(y == 0) - 0.25) < 0.01
    shared = Dropout(0.5, noise_shape=(None, 1, 30), seed=0)
    y = shared.forward(x, training=True)
    assert shared.last_mask.shape == (200, 1, 30)
    assert np.array_equal(y, np.broadcast_to(y[:, :1], y.shape))  # same mask at every step


def test_dropout_gradient_with_mask_held_fixed(float64, rng):
    x = rng.standard_normal((B, T, D))
    layer = Dropout(0.3)
    layer.fixed_mask = (rng.random((B, T, D)) > 0.3).astype(float)
    report = gradcheck(TrainingCall(layer), x)
    assert report.worst < TOL, str(report)
    spatial = SpatialDropout1D(0.5)
    spatial.fixed_mask = (rng.random((B, 1, D)) > 0.5).astype(float)
    report = gradcheck(TrainingCall(spatial), x)
    assert report.worst < TOL, str(report)


def test_spatial_dropout_drops_whole_channels(rng):
    x = rng.standard_normal((8, 6, 5)).astype("float32") + 10
    layer = SpatialDropout1D(0.5, seed=1)
    y = layer.forward(x, training=True)
    zero = (y == 0)
    assert np.array_equal(zero, np.broadcast_to(zero[:, :1], zero.shape))
    assert 0 < zero.mean() < 1
    np.testing.assert_allclose(y[~zero], 2 * x[~zero], rtol=1e-6)
    assert np.array_equal(layer(x), x)


@pytest.mark.parametrize("bad", [1.0, -0.1, 1.5, "0.5", float("nan")])
def test_dropout_rejects_bad_rate(bad):
    with pytest.raises(ValueError, match="rate"):
        Dropout(bad)


def test_dropout_config_and_bad_noise_shape():
    layer = Dropout(0.2, noise_shape=(None, 1, 4), seed=5, name="drop")
    copy = roundtrip(layer)
    assert (copy.rate, copy.noise_shape, copy.seed, copy.name) == (0.2, (None, 1, 4), 5, "drop")
    assert roundtrip(SpatialDropout1D(0.3, seed=2)).rate == 0.3
    with pytest.raises(ValueError, match="noise_shape"):
        Dropout(0.2, noise_shape=(None, 0))
    with pytest.raises(ValueError, match="noise_shape"):
        Dropout(0.2, noise_shape=(None, 3)).forward(np.ones((2, 4)), training=True)


def test_dropout_in_a_model_trains_and_predicts_deterministically(rng):
    x = rng.standard_normal((64, 6)).astype("float32")
    y = (x[:, 0] > 0).astype("float32")
    model = Sequential([Dense(8, activation="relu", input_dim=6), Dropout(0.5, seed=0),
                        Dense(1, activation="sigmoid")])
    model.compile("adam", "binary_crossentropy", ["acc"])
    history = model.fit(x, y, epochs=3, batch_size=16, verbose=0)
    assert len(history.history["loss"]) == 3
    assert np.array_equal(model.predict(x), model.predict(x))
    # inference equals the same model without dropout
    plain = Sequential([Dense(8, activation="relu", input_dim=6), Dense(1, activation="sigmoid")])
    plain.set_weights(model.get_weights())
    np.testing.assert_allclose(model.predict(x), plain.predict(x), rtol=1e-6)


# ---- Activation ------------------------------------------------------------------------
KERAS_FORMULAS = {
    "elu": lambda x: np.where(x > 0, x, np.exp(x) - 1),
    "selu": lambda x: 1.0507009873554805 * np.where(x > 0, x, 1.6732632423543772 * (np.exp(x) - 1)),
    "softplus": lambda x: np.log(np.exp(x) + 1),
    "softsign": lambda x: x / (np.abs(x) + 1),
    "relu": lambda x: np.maximum(x, 0),
    "linear": lambda x: x,
    "tanh": np.tanh,
    "sigmoid": lambda x: 1 / (1 + np.exp(-x)),
    "hard_sigmoid": lambda x: np.clip(0.2 * x + 0.5, 0, 1),
    "hard_sigmoid_keras3": lambda x: np.clip(x / 6 + 0.5, 0, 1),
    "softmax": lambda x: np.exp(x) / np.exp(x).sum(-1, keepdims=True),
}


@pytest.mark.parametrize("name", sorted(KERAS_FORMULAS))
def test_activation_layer_values_and_gradient(float64, rng, name):
    x = rng.uniform(-4, 4, (B, T, D))
    x[np.abs(x) < 0.05] = 0.3   # keep away from kinks
    layer = Activation(name)
    np.testing.assert_allclose(layer(x), KERAS_FORMULAS[name](x), rtol=1e-12, atol=1e-12)
    report = gradcheck(Activation(name), x)
    assert report.worst < TOL, str(report)
    assert roundtrip(layer).activation.name == name


# ---- RepeatVector, Reshape, Permute --------------------------------------------------
def test_repeat_vector(float64, rng):
    x = rng.standard_normal((B, D))
    layer = RepeatVector(3)
    y = layer(x)
    assert layer.output_shape == (None, 3, D)
    assert np.array_equal(y, np.stack([x, x, x], axis=1))
    assert gradcheck(RepeatVector(3), x).worst < TOL
    assert roundtrip(layer).n == 3
    with pytest.raises(ValueError, match="n="):
        RepeatVector(0)


def test_reshape(float64, rng):
    x = rng.standard_normal((B, 6, 2))
    layer = Reshape((3, -1))
    y = layer(x)
    assert layer.output_shape == (None, 3, 4)
    assert np.array_equal(y, x.reshape(B, 3, 4))
    assert gradcheck(Reshape((4, 3)), x).worst < TOL
    assert roundtrip(layer).target_shape == (3, -1)
    with pytest.raises(ValueError, match="total size"):
        Reshape((5,)).build((None, 6, 2))
    with pytest.raises(ValueError, match="target_shape"):
        Reshape((-1, -1))


def test_permute(float64, rng):
    x = rng.standard_normal((B, T, D))
    layer = Permute((2, 1))
    y = layer(x)
    assert layer.output_shape == (None, D, T)
    assert np.array_equal(y, np.swapaxes(x, 1, 2))
    x3 = rng.standard_normal((2, 3, 4, 5))
    p = Permute((3, 1, 2))
    assert np.array_equal(p(x3), x3.transpose(0, 3, 1, 2))
    assert gradcheck(Permute((3, 1, 2)), x3).worst < TOL
    assert roundtrip(layer).dims == (2, 1)
    with pytest.raises(ValueError, match="dims"):
        Permute((1, 3))


# ---- Masking ---------------------------------------------------------------------------
def test_masking_mask_output_and_downstream_lstm(float64, rng):
    x = rng.standard_normal((B, T, D))
    x[0, :2] = 0.0
    x[2, 4] = 0.0
    x[1, 1, 0] = 0.0  # one zero feature is not a masked step
    layer = Masking(0.0)
    mask = layer.compute_mask(x, None)
    expected = np.array([[any(x[b, t] != 0) for t in range(T)] for b in range(B)])
    assert np.array_equal(mask, expected)
    assert np.array_equal(layer(x), x * expected[..., None])
    # a masked step is a jump (any change unmasks it), so finite differences check the
    # unmasked data and the masked steps' zero gradient is checked directly
    assert gradcheck(Masking(0.0), rng.standard_normal((B, T, D))).worst < TOL
    layer(x)
    assert np.array_equal(layer.backward(np.ones_like(x)), np.ones_like(x) * expected[..., None])
    # in a model, the LSTM skips the masked steps exactly as with an explicit mask
    lstm = LSTM(3)
    model = Sequential([Masking(0.0, input_shape=(T, D)), lstm])
    direct = LSTM(3)
    direct.build((None, T, D))
    direct.set_weights(lstm.get_weights())
    np.testing.assert_allclose(model.predict(x), direct.forward(x, mask=expected), atol=1e-12)
    assert roundtrip(Masking(-1.0)).mask_value == -1.0


# ---- global pooling --------------------------------------------------------------------
def test_global_average_pooling_masked_mean(float64, rng):
    x = rng.standard_normal((B, T, D))
    mask = _mask()
    layer = GlobalAveragePooling1D()
    np.testing.assert_allclose(layer(x), x.mean(axis=1), atol=1e-12)
    y = layer.forward(x, mask=mask)
    for b in range(B):
        np.testing.assert_allclose(y[b], x[b][mask[b]].mean(axis=0), atol=1e-12)
    assert layer.compute_mask(x, mask) is None
    assert gradcheck(GlobalAveragePooling1D(), x, mask=mask).worst < TOL
    assert gradcheck(GlobalAveragePooling1D(), x).worst < TOL
    empty = np.zeros((B, T), bool)
    assert np.array_equal(layer.forward(x, mask=empty), np.zeros((B, D)))


def test_global_max_pooling_masked_max(float64, rng):
    x = rng.standard_normal((B, T, D))
    mask = _mask()
    layer = GlobalMaxPooling1D()
    np.testing.assert_allclose(layer(x), x.max(axis=1), atol=1e-12)
    y = layer.forward(x, mask=mask)
    for b in range(B):
        np.testing.assert_allclose(y[b], x[b][mask[b]].max(axis=0), atol=1e-12)
    assert gradcheck(GlobalMaxPooling1D(), x, mask=mask).worst < TOL
    assert gradcheck(GlobalMaxPooling1D(), x).worst < TOL
    empty = mask.copy()
    empty[1] = False
    y = layer.forward(x, mask=empty)
    assert np.array_equal(y[1], np.zeros(D))
    assert np.array_equal(layer.backward(np.ones((B, D)))[1], np.zeros((T, D)))


def test_pooling_after_masked_embedding_in_a_model(rng):
    ids = rng.integers(1, 20, (16, 7))
    ids[:, :3] = 0
    y = rng.integers(0, 2, 16)
    model = Sequential([numrnn.layers.Embedding(20, 4, mask_zero=True, input_length=7),
                        GlobalAveragePooling1D(), Dense(1, activation="sigmoid")])
    model.compile("rmsprop", "binary_crossentropy", ["acc"])
    model.fit(ids, y, epochs=1, verbose=0)
    emb = model.layers[0].params["embeddings"]
    manual = emb[ids[:, 3:]].mean(axis=1) @ model.layers[2].params["kernel"] \
        + model.layers[2].params["bias"]
    np.testing.assert_allclose(model.predict(ids), 1 / (1 + np.exp(-manual)), rtol=1e-5)


def test_layers_show_their_own_arguments():
    import inspect

    assert list(inspect.signature(Dropout).parameters)[:3] == ["rate", "noise_shape", "seed"]
    assert "mask_value" in inspect.signature(Masking).parameters
    assert "target_shape" in inspect.signature(Reshape).parameters
