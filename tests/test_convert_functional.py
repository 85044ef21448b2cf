"""numrnn.convert and functional models (several inputs/outputs, merge layers, shared layers,
states fed to initial_state, masks) against real Keras 3 (numrnn[convert-test]); the
refusals need no framework."""

import json
import os
import zipfile

import numpy as np
import pytest

from numrnn import convert
from numrnn.convert import keras_graph
from numrnn.layers import (
    GRU,
    LSTM,
    Add,
    Average,
    Bidirectional,
    Concatenate,
    Dense,
    Dot,
    Embedding,
    GlobalAveragePooling1D,
    Input,
    Multiply,
    SimpleRNN,
    Subtract,
)
from numrnn.models import Model

pytestmark = pytest.mark.convert
pytest.importorskip("h5py", reason="numrnn[convert] (h5py) is not installed")

V, T, T_DEC = 12, 6, 5  # vocabulary, encoder and decoder lengths


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


# ---- the three models, built the same way in Keras and in numrnn --------------------------
def _keras_model(keras, name):
    L = keras.layers
    if name == "two_inputs":
        a, b = keras.Input((5,), name="a"), keras.Input((3,), name="b")
        return keras.Model([a, b], L.Dense(1, activation="sigmoid")(L.Concatenate()([a, b])))
    if name == "shared":
        x1, x2 = keras.Input((T,), dtype="int32"), keras.Input((T,), dtype="int32")
        emb, lstm = L.Embedding(V, 4, mask_zero=True), L.LSTM(3)
        h1, h2 = lstm(emb(x1)), lstm(emb(x2))
        summed = L.Add()([h1, h2])
        return keras.Model([x1, x2], [L.Dot(axes=1)([h1, h2]), L.Dense(1)(summed)])
    enc_in, dec_in = keras.Input((None,), dtype="int32"), keras.Input((None,), dtype="int32")
    _, h, c = L.LSTM(5, return_state=True)(L.Embedding(V, 4)(enc_in))
    seq = L.LSTM(5, return_sequences=True)(L.Embedding(V, 4)(dec_in), initial_state=[h, c])
    return keras.Model([enc_in, dec_in], L.Dense(V, activation="softmax")(seq))


def _numrnn_model(name):
    if name == "two_inputs":
        a, b = Input((5,), name="a"), Input((3,), name="b")
        return Model([a, b], Dense(1, activation="sigmoid")(Concatenate()([a, b])))
    if name == "shared":
        x1, x2 = Input((T,), dtype="int32"), Input((T,), dtype="int32")
        emb, lstm = Embedding(V, 4, mask_zero=True), LSTM(3, recurrent_activation="sigmoid")
        h1, h2 = lstm(emb(x1)), lstm(emb(x2))
        return Model([x1, x2], [Dot(axes=1)([h1, h2]), Dense(1)(Add()([h1, h2]))])
    enc_in, dec_in = Input((None,), dtype="int32"), Input((None,), dtype="int32")
    _, h, c = LSTM(5, return_state=True, recurrent_activation="sigmoid")(Embedding(V, 4)(enc_in))
    seq = LSTM(5, return_sequences=True, recurrent_activation="sigmoid")(
        Embedding(V, 4)(dec_in), initial_state=[h, c])
    return Model([enc_in, dec_in], Dense(V, activation="softmax")(seq))


NAMES = ["two_inputs", "shared", "seq2seq"]
LOSSES = {"two_inputs": "binary_crossentropy", "shared": "mse",
          "seq2seq": "sparse_categorical_crossentropy"}


def _data(name, n=8):
    rng = np.random.default_rng(5)
    if name == "two_inputs":
        x = [rng.normal(size=(n, 5)).astype(np.float32), rng.normal(size=(n, 3)).astype(np.float32)]
        return x, [(rng.random((n, 1)) < 0.5).astype(np.float32)]
    if name == "shared":
        x = [rng.integers(1, V, (n, T)), rng.integers(1, V, (n, T))]
        x[0][: n // 2, :2] = 0  # padding: the shared Embedding's mask reaches the LSTM
        x[1][n // 2:, :3] = 0
        return x, [rng.normal(size=(n, 1)).astype(np.float32) for _ in range(2)]
    x = [rng.integers(0, V, (n, T)), rng.integers(0, V, (n, T_DEC))]
    return x, [rng.integers(0, V, (n, T_DEC))]


def _randomize(weights, rng):
    """Distinct random weights (the two seq2seq Embeddings must differ to catch a swap)."""
    return [w + rng.normal(0, 0.5, w.shape).astype(w.dtype) for w in weights]


def _listed(p):
    return p if isinstance(p, list) else [p]


def _assert_same(ours, theirs):
    ours, theirs = _listed(ours), _listed(theirs)
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def _keras_gradients(keras, model, name, x, ys):
    """dL/dW per layer name, L the summed mean losses of the outputs (as numrnn's)."""
    import tensorflow as tf

    loss_fn = keras.losses.get(LOSSES[name])
    weights = [(layer.name, w) for layer in model.layers for w in layer.trainable_weights]
    with tf.GradientTape() as tape:
        preds = _listed(model(x, training=True))
        loss = sum(tf.reduce_mean(loss_fn(y, p)) for y, p in zip(ys, preds))
    grads = tape.gradient(loss, [w for _, w in weights])
    out: dict[str, list] = {}
    for (layer_name, _), g in zip(weights, grads):
        out.setdefault(layer_name, []).append(tf.convert_to_tensor(g).numpy())
    return out


def _numrnn_gradients(net, x, ys):
    _, grads = net.compute_gradients(x, ys)
    out: dict[str, list] = {}
    for (layer, _), g in zip(net.trainable_layers_params(), grads, strict=True):
        out.setdefault(layer.name, []).append(g.to_dense() if hasattr(g, "to_dense") else g)
    return out


@pytest.mark.parametrize("name", NAMES)
def test_functional_keras_model_opens_in_numrnn(keras, name, tmp_path):
    x, ys = _data(name)
    km = _keras_model(keras, name)
    km.set_weights(_randomize(km.get_weights(), np.random.default_rng(1)))
    km.save(tmp_path / "m.keras")
    km.save(tmp_path / "m.h5")  # Keras 3's legacy full-model HDF5
    km.save_weights(tmp_path / "m.weights.h5")
    expected = km.predict(x, verbose=0)
    for fname in ("m.keras", "m.h5"):
        net = convert.from_keras(tmp_path / fname)
        assert isinstance(net, Model) and len(net.inputs) == 2
        _assert_same(net.predict(x), expected)
    net.compile(optimizer="sgd", loss=LOSSES[name])
    ours, theirs = _numrnn_gradients(net, x, ys), _keras_gradients(keras, km, name, x, ys)
    assert sorted(ours) == sorted(theirs)
    for layer_name, grads in theirs.items():
        for a, b in zip(ours[layer_name], grads, strict=True):
            np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6, err_msg=layer_name)
    # a numrnn model of the same architecture (its own layer names and graph order)
    fresh = _numrnn_model(name)
    convert.load_keras_weights(fresh, tmp_path / "m.weights.h5")
    _assert_same(fresh.predict(x), expected)
    fresh = _numrnn_model(name)
    convert.load_keras_weights(fresh, tmp_path / "m.h5")
    _assert_same(fresh.predict(x), expected)


@pytest.mark.parametrize("name", NAMES)
def test_numrnn_functional_model_opens_in_keras(keras, name, tmp_path):
    x, _ = _data(name)
    net = _numrnn_model(name)
    net.set_weights(_randomize(net.get_weights(), np.random.default_rng(2)))
    expected = net.predict(x)
    convert.save_keras(net, tmp_path / "n.keras")
    km = keras.models.load_model(tmp_path / "n.keras")
    _assert_same(km.predict(x, verbose=0), expected)
    for fname in ("n.weights.h5", "n.h5"):
        convert.save_keras_weights(net, tmp_path / fname)
        km.set_weights([np.zeros_like(w) for w in km.get_weights()])
        km.load_weights(tmp_path / fname)
        _assert_same(km.predict(x, verbose=0), expected)
    back = convert.from_keras(tmp_path / "n.keras")  # and back into numrnn
    _assert_same(back.predict(x), expected)


def test_keras2_functional_h5_states_as_inputs(keras, tmp_path):
    """A Keras 2 (tf.keras 2.x) functional .h5: a recurrent layer's initial states are the
    node's inputs after the sequence, not a keyword."""
    tf_keras = pytest.importorskip("tf_keras", reason="tf_keras (Keras 2) is not installed")
    L = tf_keras.layers
    enc_in, dec_in = tf_keras.Input((None,), dtype="int32"), tf_keras.Input((None,), dtype="int32")
    _, h, c = L.LSTM(5, return_state=True)(L.Embedding(V, 4)(enc_in))
    seq = L.LSTM(5, return_sequences=True)(L.Embedding(V, 4)(dec_in), initial_state=[h, c])
    km = tf_keras.Model([enc_in, dec_in], L.Dense(V, activation="softmax")(seq))
    km.set_weights(_randomize(km.get_weights(), np.random.default_rng(3)))
    km.save(tmp_path / "k2.h5")
    x, _ = _data("seq2seq")
    net = convert.from_keras(tmp_path / "k2.h5")
    assert net.outputs[0].node.input_tensors[0].node.n_states == 2  # h and c
    _assert_same(net.predict(x), km.predict(x, verbose=0))


# ---- without a framework: the layer order, configs written by hand, refusals ---------------
def test_keras_order_is_by_depth():
    """Keras lists a functional model's layers deepest first (ties: first met walking back
    from the outputs); numrnn's own graph order differs for the seq2seq model."""
    net = _numrnn_model("seq2seq")
    enc_in, dec_in = (t._keras_history[0] for t in net.inputs)
    dense_node = net.outputs[0].node
    dec_node = dense_node.input_tensors[0].node
    enc_node = dec_node.input_tensors[1].node  # the decoder's initial state h
    emb_dec, emb_enc = dec_node.input_tensors[0].node.layer, enc_node.input_tensors[0].node.layer
    expected = [enc_in, dec_in, emb_enc, emb_dec, enc_node.layer, dec_node.layer,
                dense_node.layer]
    order = keras_graph.keras_order(net)
    assert [id(layer) for layer in order] == [id(layer) for layer in expected]
    assert [id(layer) for layer in net.layers] != [id(layer) for layer in expected]


def _config_file(tmp_path, config, weights=None):
    """A .keras archive holding ``config`` and an empty Keras 3 weights file."""
    import h5py

    path = tmp_path / "hand.keras"
    weights_path = tmp_path / "w.h5"
    with h5py.File(weights_path, "w") as f:
        f.create_group("layers")
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("metadata.json", json.dumps({"keras_version": "3.5.0"}))
        zf.writestr("config.json", json.dumps(config))
        zf.writestr("model.weights.h5", weights_path.read_bytes())
    return path


def _tensor(name, node=0, index=0, shape=(None, 3)):
    return {"class_name": "__keras_tensor__",
            "config": {"shape": list(shape), "dtype": "float32",
                       "keras_history": [name, node, index]}}


def _functional(layers, outputs):
    inputs = [{"class_name": "InputLayer", "name": "x", "inbound_nodes": [],
               "config": {"batch_shape": [None, 3], "dtype": "float32", "name": "x"}}]
    return {"class_name": "Functional",
            "config": {"name": "hand", "layers": inputs + layers, "input_layers": ["x", 0, 0],
                       "output_layers": outputs}}


def test_hand_written_config_with_merges(tmp_path):
    """Subtract and Multiply read from a Keras 3 config; a single input/output stays single."""
    layers = [
        {"class_name": "Subtract", "name": "sub", "config": {"name": "sub"},
         "inbound_nodes": [{"args": [[_tensor("x"), _tensor("x")]], "kwargs": {}}]},
        {"class_name": "Multiply", "name": "mul", "config": {"name": "mul"},
         "inbound_nodes": [{"args": [[_tensor("x"), _tensor("x")]], "kwargs": {}}]},
        {"class_name": "Add", "name": "add", "config": {"name": "add"},
         "inbound_nodes": [{"args": [[_tensor("sub"), _tensor("mul")]], "kwargs": {}}]}]
    net = convert.from_keras(_config_file(tmp_path, _functional(layers, ["add", 0, 0])))
    x = np.array([[1.0, -2.0, 3.0]], np.float32)
    np.testing.assert_allclose(net.predict(x), x * x)  # (x - x) + x * x


@pytest.mark.parametrize("change, message", [
    (lambda layers: layers[0]["inbound_nodes"][0]["kwargs"].update(
        {"mask": _tensor("not_equal", shape=(None,))}), "receives a mask in the file"),
    (lambda layers: layers[0]["inbound_nodes"][0]["args"].__setitem__(
        0, _tensor("not_equal")), "output of a Keras operation as data"),
    (lambda layers: layers[0]["inbound_nodes"][0]["kwargs"].update({"foo": 1}),
     "argument\\(s\\) foo"),
    (lambda layers: layers[0].__setitem__("class_name", "LayerNormalization"),
     "'LayerNormalization' is not supported"),
    (lambda layers: layers[0]["inbound_nodes"][0]["args"].__setitem__(
        0, _tensor("nowhere")), "nowhere are referenced"),
])
def test_bad_functional_configs_are_named(tmp_path, change, message):
    layers = [
        {"class_name": "Activation", "name": "d", "config": {"name": "d", "activation": "tanh"},
         "inbound_nodes": [{"args": [_tensor("x")], "kwargs": {}}]},
        {"class_name": "NotEqual", "module": "keras.src.ops.numpy", "name": "not_equal",
         "config": {"name": "not_equal"},
         "inbound_nodes": [{"args": [_tensor("x"), 0], "kwargs": {}}]}]
    path = _config_file(tmp_path, _functional(layers, ["d", 0, 0]))
    convert.from_keras(path)  # the unchanged config reads
    change(layers)
    path = _config_file(tmp_path, _functional(layers, ["d", 0, 0]))
    with pytest.raises(ValueError, match=message):
        convert.from_keras(path)


def test_functional_refusals_leave_no_file(tmp_path):
    x = Input((4, 2))
    out = Bidirectional(LSTM(2, return_state=True, recurrent_activation="sigmoid"))(x)
    net = Model(x, out[0])
    with pytest.raises(ValueError, match="Bidirectional with return_state"):
        convert.save_keras(net, tmp_path / "b.keras")
    assert not (tmp_path / "b.keras").exists()
    y = LSTM(2, recurrent_activation="hard_sigmoid")(x)  # Keras 2's hard_sigmoid
    with pytest.raises(ValueError, match="Keras 3 has no built-in"):
        convert.save_keras(Model(x, Subtract()([y, y])), tmp_path / "h.keras")
    assert not (tmp_path / "h.keras").exists()
    convert.save_keras_weights(_numrnn_model("two_inputs"), tmp_path / "w.weights.h5")
    other = _numrnn_model("shared")
    before = other.get_weights()
    with pytest.raises(ValueError, match="architecture differs"):
        convert.load_keras_weights(other, tmp_path / "w.weights.h5")
    for a, b in zip(before, other.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


# ---- PyTorch: the seq2seq module docs/convert.md defines, both ways -------------------------
def _torch_seq2seq(torch):
    nn = torch.nn

    class Seq2Seq(nn.Module):
        """numrnn's seq2seq model in PyTorch: submodules named by class in Keras' order."""

        def __init__(self):
            super().__init__()
            self.embedding = nn.Embedding(V, 4)      # the encoder's (deeper: first)
            self.embedding_1 = nn.Embedding(V, 4)    # the decoder's
            self.lstm = nn.LSTM(4, 5, batch_first=True)
            self.lstm_1 = nn.LSTM(4, 5, batch_first=True)
            self.dense = nn.Linear(5, V)

        def forward(self, enc_ids, dec_ids):
            _, (h, c) = self.lstm(self.embedding(enc_ids))
            seq, _ = self.lstm_1(self.embedding_1(dec_ids), (h, c))
            return torch.softmax(self.dense(seq), -1)

    return Seq2Seq()


def test_seq2seq_state_dict_both_ways():
    torch = pytest.importorskip("torch", reason="numrnn[convert-test] (torch) is not installed")
    torch.manual_seed(0)
    module = _torch_seq2seq(torch).eval()
    x, _ = _data("seq2seq")
    with torch.no_grad():
        expected = module(*(torch.from_numpy(a) for a in x)).numpy()
    net = _numrnn_model("seq2seq")
    convert.load_torch_state_dict(net, module.state_dict())
    np.testing.assert_allclose(net.predict(x), expected, rtol=1e-5, atol=1e-6)
    net.set_weights(_randomize(net.get_weights(), np.random.default_rng(4)))
    fresh = _torch_seq2seq(torch).eval()
    fresh.load_state_dict({k: torch.from_numpy(v) for k, v in
                           convert.torch_state_dict(net).items()}, strict=True)
    with torch.no_grad():
        ours = fresh(*(torch.from_numpy(a) for a in x)).numpy()
    np.testing.assert_allclose(ours, net.predict(x), rtol=1e-5, atol=1e-6)


# ---- ONNX: the graph with several inputs, merges and initial states ------------------------
@pytest.mark.parametrize("name", ["two_inputs", "seq2seq", "merges"])
def test_functional_model_runs_in_onnxruntime(name, tmp_path):
    pytest.importorskip("onnx", reason="numrnn[convert] (onnx) is not installed")
    ort = pytest.importorskip("onnxruntime", reason="onnxruntime is not installed")
    if name == "merges":  # every merge op; GRU and SimpleRNN states as initial_h
        a, b = Input((T, 3)), Input((T, 3))
        seq, h = GRU(4, return_sequences=True, return_state=True, reset_after=True,
                     recurrent_activation="sigmoid")(a)
        h2 = SimpleRNN(4, go_backwards=True)(b, initial_state=h)
        att = Dot(axes=(2, 2))([seq, seq])                      # (B, T, T)
        ctx = Dot(axes=(2, 1))([att, seq])                      # (B, T, 4)
        mixed = Concatenate(axis=-1)([ctx, Subtract()([seq, ctx])])
        pooled = GlobalAveragePooling1D()(mixed)
        v = Average()([Multiply()([h, h2]), Add()([h, h2, h])])
        net = Model([a, b], [Dense(2)(Concatenate()([pooled, v])), Dot(axes=1)([h, v])])
        rng = np.random.default_rng(9)
        x = [rng.normal(size=(5, T, 3)).astype(np.float32) for _ in range(2)]
    else:
        net = _numrnn_model(name)
        x, _ = _data(name)
    net.set_weights(_randomize(net.get_weights(), np.random.default_rng(7)))
    convert.to_onnx(net, tmp_path / "m.onnx")
    sess = ort.InferenceSession(str(tmp_path / "m.onnx"), providers=["CPUExecutionProvider"])
    feeds = {i.name: (a.astype(np.int64) if a.dtype.kind in "iu" else a)
             for i, a in zip(sess.get_inputs(), x)}
    _assert_same(sess.run(None, feeds), net.predict(x))
    if name == "seq2seq":  # the batch size and both lengths are dynamic
        short = [a[:3, :4] for a in x]
        feeds = {i.name: a.astype(np.int64) for i, a in zip(sess.get_inputs(), short)}
        _assert_same(sess.run(None, feeds), net.predict(short))


def test_onnx_refusals_name_what_is_missing(tmp_path):
    pytest.importorskip("onnx", reason="numrnn[convert] (onnx) is not installed")
    with pytest.raises(ValueError, match="mask_zero=True"):
        convert.to_onnx(_numrnn_model("shared"), tmp_path / "s.onnx")
    a, b = Input((3,)), Input((3,))
    with pytest.raises(ValueError, match="normalize=True is not exported"):
        convert.to_onnx(Model([a, b], Dot(axes=1, normalize=True)([a, b])), tmp_path / "d.onnx")
    assert not list(tmp_path.iterdir())
