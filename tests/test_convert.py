"""numrnn.convert without any framework installed: layouts against the frameworks'
published equations, file round trips, a Keras 2.1.6 file written by hand, bad files."""

import io
import json
import zipfile

import numpy as np
import pytest

from numrnn import convert
from numrnn.convert import layouts
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

h5py = pytest.importorskip("h5py", reason="numrnn[convert] (h5py) is not installed")
pytestmark = pytest.mark.convert

RNG = np.random.default_rng(7)


def _randomize(model, scale=0.5):
    model.set_weights([w + RNG.normal(0, scale, w.shape).astype(w.dtype)
                       for w in model.get_weights()])
    return model


def _ids(n=5, t=6, vocab=11):
    x = RNG.integers(1, vocab, (n, t))
    x[:2, :2] = 0
    return x


def _models():
    """One model per supported layer kind and setting."""
    return {
        "ff": lambda: Sequential([Embedding(11, 3, input_length=6), Flatten(),
                                  Dense(1, activation="sigmoid")]),
        "lstm_seq": lambda: Sequential([Embedding(11, 3, input_length=6),
                                        LSTM(4, return_sequences=True), Flatten(),
                                        Dense(2, activation="softmax")]),
        "lstm_sigmoid": lambda: Sequential([Embedding(11, 3), LSTM(1, activation="sigmoid")]),
        "gru_after": lambda: Sequential([Embedding(11, 3), GRU(3, reset_after=True),
                                         Dense(1, activation="sigmoid")]),
        "gru_before": lambda: Sequential([Embedding(11, 3),
                                          GRU(3, reset_after=False, go_backwards=True)]),
        "simple_masked": lambda: Sequential([Embedding(11, 3, mask_zero=True),
                                             SimpleRNN(2, return_sequences=True), LSTM(2)]),
        "float_input": lambda: Sequential([LSTM(3, input_shape=(6, 2), use_bias=False),
                                           Dense(2, activation="tanh")]),
        "wrappers": lambda: Sequential([
            Embedding(11, 3, input_length=6), Dropout(0.2, noise_shape=(None, 1, 3), seed=1),
            SpatialDropout1D(0.1), Bidirectional(LSTM(2, return_sequences=True)),
            TimeDistributed(Dense(3)), Activation("hard_sigmoid_keras3"),
            Bidirectional(GRU(2, reset_after=False), merge_mode="ave"), Dense(1)]),
        "shapes": lambda: Sequential([
            Permute((2, 1), input_shape=(6, 2)), Reshape((6, 2)), Masking(0.0),
            Bidirectional(SimpleRNN(2), merge_mode="mul"), RepeatVector(3),
            Bidirectional(LSTM(2, return_sequences=True), merge_mode="sum"),
            GlobalMaxPooling1D(), Dense(2)]),
        "masked_pooling": lambda: Sequential([
            Embedding(11, 3, mask_zero=True), LSTM(2, return_sequences=True),
            GlobalAveragePooling1D(), Dense(1)]),
    }


def _built(name):
    model = _models()[name]()
    if not model.built:
        model.build((None, 6, 2))
    return model


def _input(model):
    if isinstance(model.layers[0], Embedding):
        return _ids()
    return RNG.normal(size=(5, 6, 2)).astype(np.float32)


# ---- layouts: the conversions against the frameworks' equations, written out here -------
def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


def test_torch_lstm_layout_follows_pytorch_equations():
    """One LSTM step from the state dict with PyTorch's documented equations (i, f, g, o;
    two biases) equals numrnn's step."""
    model = _randomize(Sequential([LSTM(3, input_shape=(1, 2))]))
    sd = convert.torch_state_dict(model)
    name = "lstm"
    x = RNG.normal(size=(4, 1, 2)).astype(np.float32)
    gates = (x[:, 0] @ sd[f"{name}.weight_ih_l0"].T + sd[f"{name}.bias_ih_l0"]
             + sd[f"{name}.bias_hh_l0"])  # h0 = 0
    i, f, g, o = np.split(gates, 4, axis=1)
    c = _sigmoid(i) * np.tanh(g)
    h = _sigmoid(o) * np.tanh(c)
    np.testing.assert_allclose(model.predict(x), h, rtol=1e-5, atol=1e-6)


def test_torch_gru_layout_follows_pytorch_equations():
    model = _randomize(Sequential([GRU(3, input_shape=(2, 2))]))
    sd = convert.torch_state_dict(model)
    name = "gru"
    w_ih, w_hh = sd[f"{name}.weight_ih_l0"], sd[f"{name}.weight_hh_l0"]
    b_ih, b_hh = sd[f"{name}.bias_ih_l0"], sd[f"{name}.bias_hh_l0"]
    x = RNG.normal(size=(4, 2, 2)).astype(np.float32)
    h = np.zeros((4, 3), np.float32)
    for t in range(2):  # r, z, n as in torch.nn.GRU's documentation
        gi, gh = x[:, t] @ w_ih.T + b_ih, h @ w_hh.T + b_hh
        r = _sigmoid(gi[:, :3] + gh[:, :3])
        z = _sigmoid(gi[:, 3:6] + gh[:, 3:6])
        n = np.tanh(gi[:, 6:] + r * gh[:, 6:])
        h = (1 - z) * n + z * h
    np.testing.assert_allclose(model.predict(x), h, rtol=1e-5, atol=1e-6)


def test_layout_permutations():
    w = np.arange(8.0)[None, :].repeat(2, 0)  # blocks of 2: i f c o
    assert layouts.reorder_blocks(w, layouts.LSTM_KERAS_TO_ONNX)[0].tolist() == [
        0, 1, 6, 7, 2, 3, 4, 5]  # i o f c
    for order in (layouts.LSTM_KERAS_TO_ONNX, layouts.GRU_KERAS_TO_TORCH):
        k = RNG.normal(size=(3, 2 * len(order)))
        np.testing.assert_array_equal(
            layouts.torch_to_keras(layouts.keras_to_torch(k, order), order), k)


@pytest.mark.parametrize("name", list(_models()))
def test_torch_state_dict_round_trip(name):
    model = _randomize(_built(name))
    x = _input(model)
    if name in ("lstm_sigmoid", "gru_before", "simple_masked", "wrappers", "shapes",
                "masked_pooling"):
        with pytest.raises(ValueError, match="another function|no PyTorch mapping"):
            convert.torch_state_dict(model)
        return
    sd = convert.torch_state_dict(model)
    other = _built(name)
    convert.load_torch_state_dict(other, sd)
    np.testing.assert_array_equal(other.predict(x), model.predict(x))


def test_load_torch_state_dict_errors_leave_model_unchanged():
    model = _randomize(Sequential([Embedding(11, 3), LSTM(2), Dense(1)]))
    before = [w.copy() for w in model.get_weights()]
    sd = convert.torch_state_dict(model)
    lstm = "lstm"
    cases = [
        ({**sd, f"{lstm}.weight_hr_l0": np.zeros((2, 2))}, "unexpected keys"),  # proj_size
        ({k: v for k, v in sd.items() if not k.endswith("bias_hh_l0")}, "missing keys"),
        ({**sd, f"{lstm}.weight_ih_l0": np.zeros((8, 4))}, "shape"),
        ({**sd, f"{lstm}.weight_hh_l0": np.full((8, 2), np.nan)}, "NaN"),
        ({**sd, f"{lstm}.weight_hh_l0": np.zeros((8, 2), int)}, "dtype"),
    ]
    for bad, message in cases:
        sd_bad = {k: v * 0 + 1 if v.dtype.kind == "f" and k != f"{lstm}.weight_hh_l0" else v
                  for k, v in bad.items()}
        with pytest.raises((ValueError, TypeError), match=message):
            convert.load_torch_state_dict(model, sd_bad)
        for w, b in zip(model.get_weights(), before):
            np.testing.assert_array_equal(w, b)


def test_load_torch_state_dict_accepts_array_likes():
    class Tensor:  # what a torch tensor offers: detach / cpu / numpy
        def __init__(self, a):
            self.a = a

        def detach(self):
            return self

        def cpu(self):
            return self

        def numpy(self):
            return self.a

    model = _randomize(Sequential([Dense(2, input_dim=3)]))
    sd = convert.torch_state_dict(model)
    other = Sequential([Dense(2, input_dim=3)])
    convert.load_torch_state_dict(other, {k: Tensor(v) for k, v in sd.items()})
    np.testing.assert_array_equal(other.get_weights()[0], model.get_weights()[0])


# ---- Keras files written and read by numrnn ---------------------------------------------
def _nameless(config):
    """A layer config without the names (wrapped layers' included), which may differ."""
    if isinstance(config, dict):
        return {k: _nameless(v) for k, v in config.items() if k != "name"}
    return config


@pytest.mark.parametrize("name", list(_models()))
def test_keras_files_round_trip(name, tmp_path):
    model = _randomize(_built(name))
    x = _input(model)
    convert.save_keras(model, tmp_path / "m.keras")
    again = convert.from_keras(tmp_path / "m.keras")
    assert [type(a) for a in again.layers] == [type(b) for b in model.layers]
    assert [_nameless(a.get_config()) for a in again.layers] == [
        _nameless(b.get_config()) for b in model.layers]
    np.testing.assert_array_equal(again.predict(x), model.predict(x))
    for fname in ("m.weights.h5", "m.h5"):
        convert.save_keras_weights(model, tmp_path / fname)
        other = _built(name)
        convert.load_keras_weights(other, tmp_path / fname)
        np.testing.assert_array_equal(other.predict(x), model.predict(x))


def _keras216_file(path, model):
    """A full-model .h5 in Keras 2.1.6's layout (docs: keras21_semantics.md section 10)."""
    layers = []
    for layer in model.layers:
        cfg = {"name": layer.name, "trainable": True}
        if isinstance(layer, Embedding):
            cfg |= {"input_dim": layer.input_dim, "output_dim": layer.output_dim,
                    "embeddings_initializer": {"class_name": "RandomUniform", "config": {}},
                    "embeddings_regularizer": None, "mask_zero": False,
                    "input_length": layer.input_length, "dtype": "float32",
                    "batch_input_shape": [None, layer.input_length]}
        elif isinstance(layer, LSTM):
            cfg |= {"units": layer.units, "activation": layer.activation.name,
                    "recurrent_activation": "hard_sigmoid", "use_bias": True,
                    "unit_forget_bias": True, "kernel_regularizer": None, "dropout": 0.0,
                    "recurrent_dropout": 0.0, "implementation": 1, "return_sequences": False,
                    "return_state": False, "go_backwards": False, "stateful": False,
                    "unroll": False}
        elif isinstance(layer, Dense):
            cfg |= {"units": layer.units, "activation": layer.activation.name,
                    "use_bias": True}
        layers.append({"class_name": type(layer).__name__, "config": cfg})
    with h5py.File(path, "w") as f:
        f.attrs["keras_version"] = b"2.1.6"
        f.attrs["backend"] = b"tensorflow"
        f.attrs["model_config"] = json.dumps({"class_name": "Sequential",
                                              "config": layers}).encode()
        g = f.create_group("model_weights")
        g.attrs["layer_names"] = [layer.name.encode() for layer in model.layers]
        for layer in model.layers:
            lg = g.create_group(layer.name)
            names = [f"{layer.name}/{p}:0" for p in layer.params]
            lg.attrs["weight_names"] = [n.encode() for n in names]
            for n, w in zip(names, layer.params.values()):
                lg.create_dataset(n, data=w)


def test_keras_216_file_means_its_hard_sigmoid(tmp_path):
    """A Keras 2.1.6 file's hard_sigmoid is 0.2x + 0.5 clipped: numrnn's 'hard_sigmoid'."""
    model = Sequential([Embedding(11, 3, input_length=6),
                        LSTM(2, recurrent_activation="hard_sigmoid"),
                        Dense(1, activation="sigmoid")])
    _randomize(model, 1.0)
    _keras216_file(tmp_path / "old.h5", model)
    loaded = convert.from_keras(tmp_path / "old.h5")
    assert loaded.layers[1].recurrent_activation.name == "hard_sigmoid"
    x = _ids()
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))
    # the formula, independently: step 1 of the LSTM on the first sample
    lstm = loaded.layers[1]
    e = loaded.layers[0].params["embeddings"][x[:1, 0]]
    z = e @ lstm.params["kernel"] + lstm.params["bias"]
    i, f, c, o = np.split(z, 4, axis=1)
    hs = np.clip(0.2 * z + 0.5, 0, 1)
    i, o = hs[:, :2], hs[:, 6:]
    h1 = o * np.tanh(i * np.tanh(c))
    out = Sequential([Embedding(11, 3, input_length=1),
                      LSTM(2, recurrent_activation="hard_sigmoid")])
    out.set_weights(loaded.get_weights()[:4])
    np.testing.assert_allclose(out.predict(x[:1, :1]), h1, rtol=1e-5, atol=1e-6)


def _edit_keras(src, dst, edit_config=None, edit_meta=None):
    with zipfile.ZipFile(src) as z:
        files = {n: z.read(n) for n in z.namelist()}
    if edit_config:
        cfg = json.loads(files["config.json"])
        edit_config(cfg["config"]["layers"])
        files["config.json"] = json.dumps(cfg).encode()
    if edit_meta is not None:
        files["metadata.json"] = json.dumps(edit_meta).encode()
    with zipfile.ZipFile(dst, "w") as z:
        for n, data in files.items():
            z.writestr(n, data)


@pytest.fixture
def keras_file(tmp_path):
    model = _randomize(Sequential([Embedding(11, 3, input_length=6), LSTM(2),
                                   Dense(1, activation="sigmoid")]))
    convert.save_keras(model, tmp_path / "m.keras")
    return model, tmp_path / "m.keras"


def test_keras3_hard_sigmoid_means_x_over_6(keras_file, tmp_path):
    """A Keras 3 file's hard_sigmoid is clip(x/6 + 0.5, 0, 1): numrnn's 'hard_sigmoid_keras3'."""
    model, path = keras_file

    def use_hard_sigmoid(layers):
        layers[2]["config"]["recurrent_activation"] = "hard_sigmoid"
        layers[3]["config"]["activation"] = "hard_sigmoid"

    _edit_keras(path, tmp_path / "hs.keras", use_hard_sigmoid)
    loaded = convert.from_keras(tmp_path / "hs.keras")
    lstm, dense = loaded.layers[1], loaded.layers[2]
    assert lstm.recurrent_activation.name == dense.activation.name == "hard_sigmoid_keras3"
    # the formula, independently: one LSTM step, then the Dense layer
    x = _ids()[:, :1]
    e = loaded.layers[0].params["embeddings"][x[:, 0]]
    z = e @ lstm.params["kernel"] + lstm.params["bias"]
    hs3 = np.clip(z / 6 + 0.5, 0, 1)
    i, c, o = hs3[:, :2], np.tanh(z[:, 4:6]), hs3[:, 6:]
    h1 = o * np.tanh(i * c)
    y = np.clip((h1 @ dense.params["kernel"] + dense.params["bias"]) / 6 + 0.5, 0, 1)
    short = Sequential([Embedding(11, 3, input_length=1),
                        LSTM(2, recurrent_activation="hard_sigmoid_keras3"),
                        Dense(1, activation="hard_sigmoid_keras3")])
    short.set_weights(loaded.get_weights())
    np.testing.assert_allclose(short.predict(x), y, rtol=1e-5, atol=1e-6)
    # and back: numrnn's hard_sigmoid_keras3 is written as Keras 3's hard_sigmoid
    convert.save_keras(loaded, tmp_path / "again.keras")
    with zipfile.ZipFile(tmp_path / "again.keras") as z:
        layers = json.loads(z.read("config.json"))["config"]["layers"]
    assert layers[2]["config"]["recurrent_activation"] == "hard_sigmoid"
    assert layers[3]["config"]["activation"] == "hard_sigmoid"


def test_save_keras_refuses_keras2_hard_sigmoid(tmp_path):
    model = Sequential([LSTM(2, input_shape=(3, 2), recurrent_activation="hard_sigmoid")])
    with pytest.raises(ValueError, match=r"Keras 3 has no built-in for it"):
        convert.save_keras(model, tmp_path / "x.keras")
    assert not (tmp_path / "x.keras").exists()
    convert.save_keras_weights(model, tmp_path / "x.weights.h5")  # weights alone are fine


@pytest.mark.parametrize("setting, value, message", [
    ("stateful", True, "stateful=True"),
    ("return_state", True, "return_state=True"),
    ("zero_output_for_mask", True, "zero_output_for_mask"),
    ("some_future_option", 3, "some_future_option=3"),
])
def test_inference_changing_settings_are_refused(keras_file, tmp_path, setting, value, message):
    _, path = keras_file

    def edit(layers):
        layers[2]["config"][setting] = value
        if setting == "zero_output_for_mask":  # it matters only for masked sequences
            layers[1]["config"]["mask_zero"] = True
            layers[2]["config"]["return_sequences"] = True

    _edit_keras(path, tmp_path / "bad.keras", edit)
    with pytest.raises(ValueError, match=message) as info:
        convert.from_keras(tmp_path / "bad.keras")
    assert "'lstm_1'" in str(info.value)


def test_training_only_settings_load_with_a_warning(keras_file, tmp_path):
    model, path = keras_file

    def edit(layers):
        layers[2]["config"]["kernel_regularizer"] = {"class_name": "L2", "config": {}}
        layers[2]["config"]["recurrent_dropout"] = 0.25

    _edit_keras(path, tmp_path / "reg.keras", edit)
    with pytest.warns(UserWarning, match=r"kernel_regularizer=L2, recurrent_dropout=0.25"):
        loaded = convert.from_keras(tmp_path / "reg.keras")
    x = _ids()
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))


def test_unsupported_layer_is_named(keras_file, tmp_path):
    _, path = keras_file

    def edit(layers):
        layers.insert(2, {"class_name": "Conv1D", "config": {"name": "conv1d"}})

    _edit_keras(path, tmp_path / "conv.keras", edit)
    with pytest.raises(ValueError, match="'Conv1D' is not supported"):
        convert.from_keras(tmp_path / "conv.keras")


@pytest.mark.parametrize("version", ["1.2.2", "4.0.0", None])
def test_files_of_other_keras_versions(keras_file, tmp_path, version):
    _, path = keras_file
    _edit_keras(path, tmp_path / "v.keras", edit_meta={} if version is None
                else {"keras_version": version})
    with pytest.raises(ValueError, match="Keras 2.x"):
        convert.from_keras(tmp_path / "v.keras")


def test_truncated_and_foreign_files(keras_file, tmp_path):
    model, path = keras_file
    data = path.read_bytes()
    (tmp_path / "cut.keras").write_bytes(data[: len(data) // 2])
    convert.save_keras_weights(model, tmp_path / "w.h5")
    h5 = (tmp_path / "w.h5").read_bytes()
    (tmp_path / "cut.h5").write_bytes(h5[: len(h5) // 2])
    (tmp_path / "text.h5").write_text("not a model")
    before = [w.copy() for w in model.get_weights()]
    for name in ("cut.keras", "cut.h5", "text.h5"):
        with pytest.raises(ValueError, match="truncated or damaged"):
            convert.load_keras_weights(model, tmp_path / name)
    with pytest.raises(ValueError, match="truncated or damaged"):
        convert.from_keras(tmp_path / "cut.keras")
    with pytest.raises(FileNotFoundError):
        convert.from_keras(tmp_path / "missing.keras")
    for w, b in zip(model.get_weights(), before):
        np.testing.assert_array_equal(w, b)


def test_architecture_mismatch_leaves_model_unchanged(keras_file, tmp_path):
    _, path = keras_file
    for other in (Sequential([Embedding(11, 3, input_length=6), LSTM(3), Dense(1)]),
                  Sequential([Embedding(11, 3, input_length=6), GRU(2), Dense(1)]),
                  Sequential([Embedding(11, 3, input_length=6), Flatten(), Dense(1)])):
        before = [w.copy() for w in other.get_weights()]
        with pytest.raises(ValueError, match="architecture differs|holds weights for"):
            convert.load_keras_weights(other, path)
        for w, b in zip(other.get_weights(), before):
            np.testing.assert_array_equal(w, b)


def test_failed_save_leaves_no_file_and_bad_arguments(tmp_path):
    model = Sequential([Dense(2, input_dim=3)])
    with pytest.raises(ValueError, match="format='npz'"):
        convert.save_keras_weights(model, tmp_path / "w.h5", format="npz")
    with pytest.raises(TypeError, match="accepted: a numrnn Sequential"):
        convert.save_keras([], tmp_path / "w.keras")
    with pytest.raises(ValueError, match="not built"):
        convert.save_keras(Sequential([Dense(2)]), tmp_path / "w.keras")
    assert list(tmp_path.iterdir()) == []


def test_keras3_weights_layout(tmp_path):
    """Keras 3 addresses a Sequential's layers by class: lstm, flatten, lstm_1, ..."""
    model = Sequential([Embedding(11, 3, input_length=6), LSTM(2, return_sequences=True),
                        LSTM(2, return_sequences=True), Flatten(), Dense(1)])
    convert.save_keras_weights(model, tmp_path / "m.weights.h5")
    with h5py.File(tmp_path / "m.weights.h5") as f:
        assert list(f["layers"]) == ["embedding", "lstm", "lstm_1", "flatten", "dense"]
        np.testing.assert_array_equal(f["layers/lstm_1/cell/vars/1"],
                                      model.layers[2].params["recurrent_kernel"])


def test_keras_file_is_read_by_content_not_extension(keras_file, tmp_path):
    model, path = keras_file
    (tmp_path / "renamed.h5").write_bytes(path.read_bytes())
    x = _ids()
    np.testing.assert_array_equal(convert.from_keras(tmp_path / "renamed.h5").predict(x),
                                  model.predict(x))
    with zipfile.ZipFile(path) as z:
        assert json.loads(z.read("metadata.json"))["keras_version"].startswith("3.")
        assert h5py.File(io.BytesIO(z.read("model.weights.h5")), "r")["layers"]
