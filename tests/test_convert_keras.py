"""numrnn.convert against real Keras: models trained in Keras open in numrnn with the same
predictions and gradients, and numrnn's files open in Keras (numrnn[convert-test])."""

import os

import numpy as np
import pytest

from numrnn import convert
from numrnn.layers import (
    GRU,
    LSTM,
    Activation,
    Bidirectional,
    Dense,
    Dropout,
    Embedding,
    Flatten,
    GlobalAveragePooling1D,
    GlobalMaxPooling1D,
    Masking,
    Permute,
    RepeatVector,
    Reshape,
    SimpleRNN,
    SpatialDropout1D,
    TimeDistributed,
)
from numrnn.models import Sequential

pytestmark = pytest.mark.convert
pytest.importorskip("h5py", reason="numrnn[convert] (h5py) is not installed")

V, T = 30, 20  # the tutorial's shapes, with a small vocabulary


@pytest.fixture(scope="module")
def keras():
    """Keras 3 on TensorFlow, imported once for the module (the import takes seconds)."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    keras = pytest.importorskip("keras", reason="numrnn[convert-test] (keras) is not installed")
    pytest.importorskip("tensorflow", reason="numrnn[convert-test] (tensorflow) is not installed")
    if not keras.__version__.startswith("3."):
        pytest.skip(f"these tests need Keras 3, found {keras.__version__}")
    keras.utils.set_random_seed(0)
    return keras


def _keras_layers(keras, name):
    L = keras.layers
    emb = L.Embedding(V, 8, mask_zero=(name == "masked"))
    return {
        "ff": [emb, L.Flatten(), L.Dense(1, activation="sigmoid")],
        "lstm1": [emb, L.LSTM(1, activation="sigmoid")],
        "lstm32": [emb, L.LSTM(32), L.Dense(1, activation="sigmoid")],
        "lstm4": [emb, L.LSTM(4, return_sequences=True), L.Flatten(),
                  L.Dense(1, activation="sigmoid")],
        "gru_reset_after": [emb, L.GRU(3), L.Dense(1, activation="sigmoid")],
        "gru_reset_before": [emb, L.GRU(3, reset_after=False, go_backwards=True),
                             L.Dense(1, activation="sigmoid")],
        "masked": [emb, L.SimpleRNN(3, return_sequences=True), L.LSTM(2),
                   L.Dense(1, activation="sigmoid")],
    }[name]


def _numrnn_model(name):
    emb = Embedding(V, 8, input_length=T, mask_zero=(name == "masked"))
    return Sequential([emb] + {
        "ff": [Flatten(), Dense(1, activation="sigmoid")],
        "lstm1": [LSTM(1, activation="sigmoid")],
        "lstm32": [LSTM(32), Dense(1, activation="sigmoid")],
        "lstm4": [LSTM(4, return_sequences=True), Flatten(), Dense(1, activation="sigmoid")],
        "gru_reset_after": [GRU(3), Dense(1, activation="sigmoid")],
        "gru_reset_before": [GRU(3, reset_after=False, go_backwards=True),
                             Dense(1, activation="sigmoid")],
        "masked": [SimpleRNN(3, return_sequences=True), LSTM(2), Dense(1, activation="sigmoid")],
    }[name])


NAMES = ["ff", "lstm1", "lstm32", "lstm4", "gru_reset_after", "gru_reset_before", "masked"]


def _data(n=16):
    rng = np.random.default_rng(3)
    x = rng.integers(1, V, (n, T))
    x[: n // 2, : T // 2] = 0  # pre-padding, as pad_sequences makes
    return x, (rng.random(n) < 0.5).astype(np.float32)


def _keras_gradients(keras, model, x, y):
    import tensorflow as tf

    with tf.GradientTape() as tape:
        p = model(x, training=True)
        loss = tf.reduce_mean(keras.losses.binary_crossentropy(y[:, None], p))
    return [tf.convert_to_tensor(g).numpy() for g in tape.gradient(loss,
                                                                    model.trainable_weights)]


@pytest.mark.parametrize("name", NAMES)
def test_model_trained_in_keras_opens_in_numrnn(keras, name, tmp_path):
    x, y = _data()
    km = keras.Sequential([keras.Input((T,), dtype="int32")] + _keras_layers(keras, name))
    km.compile(optimizer="rmsprop", loss="binary_crossentropy")
    km.fit(x, y, batch_size=8, epochs=1, verbose=0)  # two steps
    km.save(tmp_path / "m.keras")
    km.save(tmp_path / "m.h5")  # Keras 3's legacy full-model HDF5
    km.save_weights(tmp_path / "m.weights.h5")
    expected = km.predict(x, verbose=0)
    for fname in ("m.keras", "m.h5"):
        net = convert.from_keras(tmp_path / fname)
        np.testing.assert_allclose(net.predict(x), expected, rtol=1e-5, atol=1e-6)
    net.compile(optimizer="rmsprop", loss="binary_crossentropy")
    _, grads = net.compute_gradients(x, y[:, None])
    grads = [g.to_dense() if hasattr(g, "to_dense") else g for g in grads]
    for ours, theirs in zip(grads, _keras_gradients(keras, km, x, y), strict=True):
        np.testing.assert_allclose(ours, theirs, rtol=1e-4, atol=1e-6)
    fresh = _numrnn_model(name)
    convert.load_keras_weights(fresh, tmp_path / "m.weights.h5")
    np.testing.assert_allclose(fresh.predict(x), expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", NAMES)
def test_numrnn_model_opens_in_keras(keras, name, tmp_path):
    x, y = _data()
    net = _numrnn_model(name)
    net.compile(optimizer="rmsprop", loss="binary_crossentropy")
    net.fit(x, y, batch_size=8, epochs=1, verbose=0, seed=0)
    expected = net.predict(x)
    convert.save_keras(net, tmp_path / "n.keras")
    km = keras.models.load_model(tmp_path / "n.keras")
    np.testing.assert_allclose(km.predict(x, verbose=0), expected, rtol=1e-5, atol=1e-6)
    for fname in ("n.weights.h5", "n2.h5"):
        convert.save_keras_weights(net, tmp_path / fname)
        km.set_weights([np.zeros_like(w) for w in km.get_weights()])
        km.load_weights(tmp_path / fname)
        np.testing.assert_allclose(km.predict(x, verbose=0), expected, rtol=1e-5, atol=1e-6)


# ---- the layer kinds beyond the tutorial's: one tiny model per group, both directions ----
def _keras_kinds(keras, name):
    L = keras.layers
    return {
        "wrappers": [keras.Input((T,), dtype="int32"), L.Embedding(V, 4), L.Dropout(0.3),
                     L.SpatialDropout1D(0.2),
                     L.Bidirectional(L.LSTM(3, return_sequences=True)),
                     L.TimeDistributed(L.Dense(4)), L.Activation("tanh"),
                     L.Bidirectional(L.GRU(2), merge_mode="sum"), L.Dense(1)],
        "shapes": [keras.Input((T, 2)), L.Permute((2, 1)), L.Reshape((T, 2)), L.Masking(0.5),
                   L.Bidirectional(L.SimpleRNN(3), merge_mode="mul"), L.RepeatVector(4),
                   L.Bidirectional(L.LSTM(2, return_sequences=True), merge_mode="ave"),
                   L.GlobalMaxPooling1D(), L.Dense(2, activation="softmax")],
        "masked_pooling": [keras.Input((T,), dtype="int32"), L.Embedding(V, 4, mask_zero=True),
                           L.TimeDistributed(L.Dense(3)),
                           L.GRU(3, reset_after=False, return_sequences=True),
                           L.GlobalAveragePooling1D(), L.Dense(1)],
    }[name]


def _numrnn_kinds(name):
    if name == "wrappers":
        return Sequential([Embedding(V, 4, input_length=T), Dropout(0.3), SpatialDropout1D(0.2),
                           Bidirectional(LSTM(3, return_sequences=True)),
                           TimeDistributed(Dense(4)), Activation("tanh"),
                           Bidirectional(GRU(2), merge_mode="sum"), Dense(1)])
    if name == "shapes":
        return Sequential([Permute((2, 1), input_shape=(T, 2)), Reshape((T, 2)), Masking(0.5),
                           Bidirectional(SimpleRNN(3), merge_mode="mul"), RepeatVector(4),
                           Bidirectional(LSTM(2, return_sequences=True), merge_mode="ave"),
                           GlobalMaxPooling1D(), Dense(2, activation="softmax")])
    return Sequential([Embedding(V, 4, input_length=T, mask_zero=True),
                       TimeDistributed(Dense(3)), GRU(3, reset_after=False, return_sequences=True),
                       GlobalAveragePooling1D(), Dense(1)])


def _kinds_input(name):
    rng = np.random.default_rng(6)
    if name == "shapes":
        x = rng.normal(size=(8, T, 2)).astype(np.float32)
        x[:3, :5] = 0.5  # masked steps
        return x
    return _data(8)[0]


@pytest.mark.parametrize("name", ["wrappers", "shapes", "masked_pooling"])
def test_more_layer_kinds_both_ways(keras, name, tmp_path):
    x = _kinds_input(name)
    rng = np.random.default_rng(8)
    km = keras.Sequential(_keras_kinds(keras, name))
    km.set_weights([w + rng.normal(0, 0.5, w.shape) for w in km.get_weights()])
    km.save(tmp_path / "k.keras")
    km.save(tmp_path / "k.h5")
    km.save_weights(tmp_path / "k.weights.h5")
    expected = km.predict(x, verbose=0)
    for fname in ("k.keras", "k.h5"):
        net = convert.from_keras(tmp_path / fname)
        np.testing.assert_allclose(net.predict(x), expected, rtol=1e-5, atol=1e-6)
    fresh = _numrnn_kinds(name)
    convert.load_keras_weights(fresh, tmp_path / "k.weights.h5")
    np.testing.assert_allclose(fresh.predict(x), expected, rtol=1e-5, atol=1e-6)
    # numrnn -> Keras
    net = _numrnn_kinds(name)
    net.set_weights([w + rng.normal(0, 0.5, w.shape).astype(w.dtype)
                     for w in net.get_weights()])
    ours = net.predict(x)
    convert.save_keras(net, tmp_path / "n.keras")
    back = keras.models.load_model(tmp_path / "n.keras")
    np.testing.assert_allclose(back.predict(x, verbose=0), ours, rtol=1e-5, atol=1e-6)
    for fname in ("n.weights.h5", "n.h5"):
        convert.save_keras_weights(net, tmp_path / fname)
        km.load_weights(tmp_path / fname)
        np.testing.assert_allclose(km.predict(x, verbose=0), ours, rtol=1e-5, atol=1e-6)


def test_masked_bidirectional_sequences_are_refused(keras, tmp_path):
    """Keras' Bidirectional zeroes masked steps of its returned sequence; numrnn's repeats
    the last output, so that combination is refused both ways."""
    L = keras.layers
    km = keras.Sequential([keras.Input((T,), dtype="int32"), L.Embedding(V, 4, mask_zero=True),
                           L.Bidirectional(L.GRU(2, return_sequences=True)), L.GRU(1)])
    km.save(tmp_path / "b.keras")
    with pytest.raises(ValueError, match="Bidirectional outputs zeros at masked steps"):
        convert.from_keras(tmp_path / "b.keras")
    net = Sequential([Embedding(V, 4, input_length=T, mask_zero=True),
                      Bidirectional(GRU(2, return_sequences=True)), GRU(1)])
    with pytest.raises(ValueError, match="receives a mask"):
        convert.save_keras(net, tmp_path / "n.keras")
    assert not (tmp_path / "n.keras").exists()


def test_keras3_hard_sigmoid_both_ways(keras, tmp_path):
    """Keras 3's hard_sigmoid (x/6 + 0.5) opens as numrnn's 'hard_sigmoid_keras3' and is
    written back as Keras 3's 'hard_sigmoid'; numrnn's 'hard_sigmoid' (Keras 2's) is refused."""
    L = keras.layers
    km = keras.Sequential([keras.Input((T, 2)),
                           L.LSTM(3, recurrent_activation="hard_sigmoid", return_sequences=True),
                           L.GRU(2, recurrent_activation="hard_sigmoid"),
                           L.Dense(2, activation="hard_sigmoid")])
    rng = np.random.default_rng(4)
    km.set_weights([3 * w + rng.normal(0, 1, w.shape) for w in km.get_weights()])  # gates clip
    km.save(tmp_path / "hs.keras")
    x = rng.normal(0, 2, (8, T, 2)).astype(np.float32)
    expected = km.predict(x, verbose=0)
    net = convert.from_keras(tmp_path / "hs.keras")
    assert net.layers[0].recurrent_activation.name == "hard_sigmoid_keras3"
    np.testing.assert_allclose(net.predict(x), expected, rtol=1e-5, atol=1e-6)
    convert.save_keras(net, tmp_path / "back.keras")
    back = keras.models.load_model(tmp_path / "back.keras")
    assert back.layers[0].get_config()["recurrent_activation"] == "hard_sigmoid"
    np.testing.assert_allclose(back.predict(x, verbose=0), expected, rtol=1e-5, atol=1e-6)
    keras2_gates = Sequential([LSTM(3, input_shape=(T, 2), recurrent_activation="hard_sigmoid")])
    with pytest.raises(ValueError, match="Keras 3 has no built-in"):
        convert.save_keras(keras2_gates, tmp_path / "k2.keras")
    assert not (tmp_path / "k2.keras").exists()


def test_keras3_unsupported_layer_is_named(keras, tmp_path):
    km = keras.Sequential([keras.Input((T,), dtype="int32"), keras.layers.Embedding(V, 4),
                           keras.layers.LayerNormalization(), keras.layers.LSTM(2)])
    km.save(tmp_path / "d.keras")
    with pytest.raises(ValueError, match="'LayerNormalization' is not supported"):
        convert.from_keras(tmp_path / "d.keras")


def test_tf_keras2_h5_file(keras, tmp_path):
    """A real Keras 2 file (tf.keras 2.x via tf_keras): its hard_sigmoid is 0.2x + 0.5."""
    tf_keras = pytest.importorskip("tf_keras", reason="tf_keras (Keras 2) is not installed")
    L = tf_keras.layers
    km = tf_keras.Sequential([L.Embedding(V, 4, input_length=T),
                              L.LSTM(3, recurrent_activation="hard_sigmoid",
                                     return_sequences=True),
                              L.GRU(2, reset_after=False), L.Dense(1, activation="sigmoid")])
    km.compile(optimizer="rmsprop", loss="binary_crossentropy")
    x, y = _data()
    km.fit(x, y, batch_size=8, epochs=1, verbose=0)
    km.save(tmp_path / "k2.h5")
    net = convert.from_keras(tmp_path / "k2.h5")
    assert net.layers[1].recurrent_activation.name == "hard_sigmoid"
    np.testing.assert_allclose(net.predict(x), km.predict(x, verbose=0), rtol=1e-5, atol=1e-6)
