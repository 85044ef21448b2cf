"""Regression tests for the engine defects of issue 8 (each failed on the code before the fix),
and the tests that catch broken masking and checkpointing ("Tests that can fail")."""

import inspect
import json
import os
import stat
from pathlib import Path

import numpy as np
import pytest

import numrnn
from numrnn import callbacks as cbks
from numrnn.io_utils import atomic_write
from numrnn.layers import GRU, LSTM, Concatenate, Dense, Dot, Embedding, Input, SimpleRNN
from numrnn.models import Model, Sequential, load_model
from numrnn.optimizers import RMSprop


def toy(rng, n=64, t=6, vocab=20):
    x = rng.integers(1, vocab, (n, t))
    return x, rng.integers(0, 2, n)


def emb_lstm(**kwargs):
    model = Sequential([Embedding(20, 4, input_length=6), LSTM(3), Dense(1, activation="sigmoid")],
                       **kwargs)
    model.compile(RMSprop(), "binary_crossentropy", ["acc"])
    return model


# 1 ------------------------------------------------------------------------------------------
def test_1_layer_names_must_be_unique(tmp_path):
    model = Sequential([Dense(2, input_dim=3, name="twin")])
    with pytest.raises(ValueError, match="All layer names should be unique.*'twin'"):
        model.add(Dense(2, name="twin"))
    assert len(model.layers) == 1
    x = Input(shape=(3,))
    with pytest.raises(ValueError, match="All layer names should be unique; twin"):
        Model(x, Dense(2, name="twin")(Dense(2, name="twin")(x)))
    # a crafted file with two layers of one name is refused on load
    model.add(Dense(1, name="other"))
    path = tmp_path / "m.npz"
    model.save(path)
    with np.load(path) as data:
        arrays = {k: data[k] for k in data.files}
    meta = json.loads(str(arrays["__meta__"]))
    meta["model_config"]["config"]["layers"][1]["config"]["name"] = "twin"
    arrays["__meta__"] = np.array(json.dumps(meta))
    np.savez(path, **arrays)
    with pytest.raises(ValueError, match="All layer names should be unique; the file has twin"):
        load_model(path)


# 2 ------------------------------------------------------------------------------------------
def test_2_model_built_from_data_saves_and_loads(rng, tmp_path):
    model = Sequential([LSTM(3), Dense(1)])  # no input shape: built by the first fit
    model.compile("sgd", "mse")
    x = rng.standard_normal((8, 5, 2))
    model.fit(x, rng.standard_normal(8), epochs=1, verbose=0,
              callbacks=[cbks.ModelCheckpoint(str(tmp_path / "c.npz"))])
    for path in (tmp_path / "c.npz", tmp_path / "m.npz"):
        model.save(tmp_path / "m.npz")
        loaded = load_model(path)
        assert loaded.input_shape == (None, 5, 2)
        np.testing.assert_array_equal(loaded.predict(x), model.predict(x))


# 6 ------------------------------------------------------------------------------------------
def test_6_accuracy_is_resolved_after_the_model_is_built(rng):
    model = Sequential([Dense(1, activation="sigmoid")])  # built by the first data
    model.compile("sgd", "mse", metrics=["acc"])
    x, y = rng.standard_normal((50, 3)), rng.integers(0, 2, 50)
    _, acc = model.evaluate(x, y, verbose=0)
    p = model.predict(x)[:, 0]
    assert acc == pytest.approx(np.mean((p > 0.5) == y))  # binary, not categorical


# 7 ------------------------------------------------------------------------------------------
def test_7_every_hook_is_called_in_order(rng):
    calls = []

    class Recorder(cbks.Callback):
        def on_train_begin(self, logs=None):
            calls.append("train_begin")

        def on_epoch_begin(self, epoch, logs=None):
            calls.append(f"epoch_begin {epoch}")

        def on_batch_begin(self, batch, logs=None):
            calls.append(f"batch_begin {batch}")

        def on_batch_end(self, batch, logs=None):
            calls.append(f"batch_end {batch}")

        def on_epoch_end(self, epoch, logs=None):
            calls.append(f"epoch_end {epoch}")

        def on_train_end(self, logs=None):
            calls.append("train_end")

    x, y = toy(rng, n=40)
    emb_lstm().fit(x, y, epochs=2, batch_size=32, verbose=0, callbacks=[Recorder()])
    epoch = ["batch_begin 0", "batch_end 0", "batch_begin 1", "batch_end 1"]
    assert calls == (["train_begin", "epoch_begin 0", *epoch, "epoch_end 0", "epoch_begin 1",
                      *epoch, "epoch_end 1", "train_end"])


# 8 ------------------------------------------------------------------------------------------
def test_8_nested_lists_of_numbers_are_data(rng):
    model = Sequential([Dense(2, input_dim=3)])
    np.testing.assert_allclose(model.predict([[1, 2, 3]]), model.predict(np.array([[1, 2, 3]])))
    layer = Dense(2)
    assert layer([[1.0, 2.0, 3.0]]).shape == (1, 2)
    ids = Sequential([Embedding(10, 2, input_length=3)])
    assert ids.predict([[1, 2, 3], [4, 5, 6]]).shape == (2, 3, 2)


# 9 ------------------------------------------------------------------------------------------
def test_9_saving_does_not_change_training(rng, tmp_path):
    """RMSprop's lazy (row-sparse) state is saved as it is held: a run that checkpoints every
    epoch repeats bit for bit a run that does not."""
    x, y = toy(rng, n=96, vocab=500)  # a large vocabulary: rows wait many steps for an update

    def emb_lstm():
        model = Sequential([Embedding(500, 4, input_length=6), LSTM(3),
                            Dense(1, activation="sigmoid")])
        model.compile(RMSprop(), "binary_crossentropy", ["acc"])
        return model

    runs = []
    for checkpoint in (False, True):
        numrnn.set_seed(3)
        model = emb_lstm()
        cb = [cbks.ModelCheckpoint(str(tmp_path / "c-{epoch}.npz"))] if checkpoint else []
        model.fit(x, y, epochs=3, batch_size=16, verbose=0, seed=1, callbacks=cb)
        runs.append(model.get_weights())
    for a, b in zip(*runs):
        np.testing.assert_array_equal(a, b)
    # and the loaded checkpoint continues exactly like the model that wrote it
    numrnn.set_seed(3)
    model = emb_lstm()
    model.fit(x, y, epochs=1, batch_size=16, verbose=0, seed=1)
    model.save(tmp_path / "m.npz")
    loaded = load_model(tmp_path / "m.npz")
    for m in (model, loaded):
        m.fit(x, y, epochs=2, batch_size=16, verbose=0, seed=5)
    for a, b in zip(model.get_weights(), loaded.get_weights()):
        np.testing.assert_array_equal(a, b)


# 10 -----------------------------------------------------------------------------------------
def test_10_written_files_get_ordinary_permissions(tmp_path):
    old = os.umask(0o022)
    try:
        target = tmp_path / "f.bin"
        with atomic_write(target) as f:
            f.write(b"x")
        assert stat.S_IMODE(target.stat().st_mode) == 0o644
        plain = tmp_path / "plain.bin"
        plain.write_bytes(b"x")  # what open() gives
        assert stat.S_IMODE(plain.stat().st_mode) == 0o644
        target.chmod(0o640)  # replacing a file keeps its mode, as open('w') does
        with atomic_write(target) as f:
            f.write(b"y")
        assert stat.S_IMODE(target.stat().st_mode) == 0o640
        Sequential([Dense(1, input_dim=2)]).save(tmp_path / "m.npz")
        assert stat.S_IMODE((tmp_path / "m.npz").stat().st_mode) == 0o644
    finally:
        os.umask(old)


# 11 -----------------------------------------------------------------------------------------
def _rewrite_meta(path: Path, **changes):
    with np.load(path) as data:
        arrays = {k: data[k] for k in data.files}
    meta = json.loads(str(arrays["__meta__"]))
    meta.update(changes)
    arrays["__meta__"] = np.array(json.dumps(meta))
    np.savez(path, **arrays)
    return meta


def test_11_files_carry_format_and_numrnn_version(tmp_path):
    model = Sequential([Dense(1, input_dim=2)])
    model.save(tmp_path / "m.npz")
    model.save_weights(tmp_path / "w.npz")
    for name, fmt in (("m.npz", "numrnn-model"), ("w.npz", "numrnn-weights")):
        with np.load(tmp_path / name) as data:
            meta = json.loads(str(data["__meta__"]))
        assert meta["format"] == fmt and meta["format_version"] == 2
        assert meta["numrnn_version"] == numrnn.__version__
    _rewrite_meta(tmp_path / "m.npz", format_version=7, numrnn_version="9.0")
    with pytest.raises(ValueError, match=r"version 7, written by numrnn 9.0; this numrnn "
                                         r"\(.*\) reads .*versions 1, 2"):
        load_model(tmp_path / "m.npz")
    with pytest.raises(ValueError, match=r"holds weights only \(format numrnn-weights version 2"):
        load_model(tmp_path / "w.npz")


def test_11_version_1_files_still_load(rng, tmp_path):
    """Files as numrnn 0.1.0 wrote them (format 'numrnn-model-1'; weights without a format)."""
    model = emb_lstm()
    x, y = toy(rng, n=32)
    model.fit(x, y, epochs=1, verbose=0)
    names = [layer.name for layer in model.layers]
    weights = {f"{layer.name}/{n}": w for layer in model.layers for n, w in layer.params.items()}
    numbered = {f"w{i}": w for i, w in enumerate(weights.values())}
    meta = {"format": "numrnn-model-1", "model_config": {"name": model.name, "layers": [
        {"class_name": type(layer).__name__, "config": layer.get_config()}
        for layer in model.layers]}, "layer_names": names, "weight_names": list(weights),
        "training_config": {"optimizer": {"name": "rmsprop",
                                          "config": model.optimizer.get_config(),
                                          "iterations": model.optimizer.iterations},
                            "loss": "binary_crossentropy", "metrics": ["acc"]}}
    accumulators = model.optimizer.accumulators()  # v1 stored them caught up
    opt = {f"opt/{i}/{k}": (accumulators[i] if k == "accumulator" else v)
           for i, s in enumerate(model.optimizer.state) for k, v in s.items()}
    np.savez(tmp_path / "v1.npz", __meta__=np.array(json.dumps(meta)), **numbered, **opt)
    loaded = load_model(tmp_path / "v1.npz")
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))
    assert loaded.optimizer.iterations == model.optimizer.iterations
    np.savez(tmp_path / "w1.npz", __meta__=np.array(json.dumps(
        {"layer_names": names, "weight_names": list(weights)})), **numbered)
    other = emb_lstm()
    other.load_weights(tmp_path / "w1.npz")
    for a, b in zip(other.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(a, b)


# 12 -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("call, pattern", [
    (lambda: Dense(1, kernel_regulariser="l2"),
     r"Dense got an unexpected keyword argument 'kernel_regulariser'; accepted: units, "
     r".*name, input_shape"),
    (lambda: Concatenate(axis=1, bogus=True), r"Concatenate got an unexpected keyword argument "
                                              r"'bogus'; accepted: axis, name"),
    (lambda: LSTM(2, time_major=True), r"LSTM got an unexpected keyword argument 'time_major'; "
                                       r"accepted: units, activation"),
    (lambda: emb_lstm().fit(np.ones((2, 6), int), [0, 1], steps_per_epoch=2),
     r"fit: the Keras argument 'steps_per_epoch' is not supported: numrnn's fit"),
    (lambda: emb_lstm().fit(np.ones((2, 6), int), [0, 1], nb_epoch=2),
     r"fit got an unexpected keyword argument 'nb_epoch'; accepted: x, y, batch_size"),
    (lambda: emb_lstm().compile("sgd", "mse", weighted_metrics=["acc"]),
     r"compile got an unexpected keyword argument 'weighted_metrics'"),
])
def test_12_unknown_arguments_name_the_callee(call, pattern):
    with pytest.raises(TypeError, match=pattern):
        call()


# 14 -----------------------------------------------------------------------------------------
def test_14_summary_of_an_unbuilt_model_says_how_to_build_it(tmp_path):
    model = Sequential([LSTM(3), Dense(1)])
    with pytest.raises(ValueError, match=r"not built yet.*model.build\(input_shape\)"):
        model.summary()
    model.build((None, 4, 2))
    lines = []
    model.summary(print_fn=lines.append)
    assert "Total params: 76" in lines


@pytest.mark.parametrize("name", ["model.h5", "model.hdf5", "model.keras"])
def test_14_an_extension_of_another_format_is_refused(tmp_path, name):
    model = Sequential([Dense(1, input_dim=2)])
    with pytest.raises(ValueError, match=r"promises a .* file, but numrnn writes NumPy .npz"):
        model.save(tmp_path / name)
    with pytest.raises(ValueError, match="promises"):
        model.save_weights(tmp_path / name)
    assert not list(tmp_path.iterdir())


# 15 -----------------------------------------------------------------------------------------
def test_15_coverage_data_is_ignored():
    root = Path(__file__).resolve().parents[1]
    assert ".coverage" in (root / ".gitignore").read_text().split()


# 16 -----------------------------------------------------------------------------------------
def test_16_signatures_show_the_arguments():
    assert list(inspect.signature(Dot).parameters)[:2] == ["axes", "normalize"]
    assert "axis" in inspect.signature(Concatenate).parameters
    for name in ("name", "input_shape", "batch_input_shape", "dtype", "trainable", "weights"):
        assert name in inspect.signature(numrnn.layers.Layer).parameters
    fit = inspect.signature(Model.fit).parameters
    for name in ("sample_weight", "class_weight", "validation_data", "initial_epoch"):
        assert name in fit
    assert list(inspect.signature(Input).parameters)[:4] == ["shape", "batch_shape", "name",
                                                            "dtype"]


# Tests that can fail ----------------------------------------------------------------------
def test_checkpoint_save_best_only_saves_only_improvements():
    saved = []

    class FakeModel:
        def save(self, path):
            saved.append(path)

    cb = cbks.ModelCheckpoint("m-{epoch}.npz", monitor="val_loss", save_best_only=True)
    cb.set_model(FakeModel())
    cb.set_params({"metrics": ["loss", "val_loss"]})
    cb.on_train_begin()
    for epoch, v in enumerate([0.5, 0.6, 0.4, 0.4, 0.1]):
        cb.on_epoch_end(epoch, {"loss": 1.0, "val_loss": v})
    assert saved == ["m-1.npz", "m-3.npz", "m-5.npz"]


def _random_weights(model, rng):
    """Random weights *and biases*: with zero biases a padded step changes nothing and a broken
    mask would go unnoticed."""
    for layer in model.layers:
        if layer.params:
            layer.set_weights([rng.uniform(-0.8, 0.8, w.shape) for w in layer.get_weights()])


def _left_padded(x, pad=3):
    return np.concatenate([np.zeros((len(x), pad), x.dtype), x], axis=1)


@pytest.mark.parametrize("rnn", [SimpleRNN, GRU, LSTM])
@pytest.mark.parametrize("stacked", [False, True])
def test_left_padding_changes_nothing(rng, rnn, stacked):
    """Embedding(mask_zero) must emit a mask and every recurrent layer must pass it on."""
    layers = [Embedding(15, 4, mask_zero=True)]
    if stacked:
        layers.append(rnn(5, return_sequences=True))
    layers += [rnn(5), Dense(1, activation="sigmoid")]
    model = Sequential(layers)
    model.compile("sgd", "binary_crossentropy")
    x, y = rng.integers(1, 15, (6, 4)), rng.integers(0, 2, 6)
    model.build((None, 4))
    _random_weights(model, rng)
    padded = _left_padded(x)
    np.testing.assert_allclose(model.predict(padded), model.predict(x), rtol=1e-5, atol=1e-6)
    assert model.evaluate(padded, y, verbose=0) == pytest.approx(
        model.evaluate(x, y, verbose=0), rel=1e-5)


@pytest.mark.parametrize("rnn", [SimpleRNN, GRU, LSTM])
def test_per_step_loss_ignores_padded_steps(rng, rnn, float64):
    """A per-step (many-to-many) loss averages over the real steps only: left padding gives
    the same outputs at the real steps and the same loss; the value matches a hand formula."""
    model = Sequential([Embedding(15, 4, mask_zero=True), rnn(5, return_sequences=True),
                        rnn(4, return_sequences=True), Dense(3, activation="softmax")])
    model.compile("sgd", "sparse_categorical_crossentropy", ["acc"])
    model.build((None, 4))
    _random_weights(model, rng)
    x, y = rng.integers(1, 15, (5, 4)), rng.integers(0, 3, (5, 4))
    padded = _left_padded(x)
    y_padded = np.concatenate([rng.integers(0, 3, (5, 3)), y], axis=1)  # junk at padding
    p, pp = model.predict(x), model.predict(padded)
    np.testing.assert_allclose(pp[:, 3:], p, rtol=1e-9)
    loss, acc = model.evaluate(padded, y_padded, verbose=0)
    by_hand = -np.mean(np.log(np.take_along_axis(p, y[..., None], -1)))
    assert loss == pytest.approx(by_hand, rel=1e-9)
    assert model.evaluate(x, y, verbose=0)[0] == pytest.approx(by_hand, rel=1e-9)
    assert acc == pytest.approx(np.mean(p.argmax(-1) == y))  # metrics are masked too


def test_masked_loss_in_a_functional_model(rng, float64):
    ids = Input(shape=(None,), dtype="int32")
    out = Dense(2, activation="softmax")(LSTM(3, return_sequences=True)(
        Embedding(9, 3, mask_zero=True)(ids)))
    model = Model(ids, out)
    model.compile("sgd", "sparse_categorical_crossentropy")
    _random_weights(model, rng)
    x = np.array([[0, 0, 4, 5], [1, 2, 3, 4]])
    y = np.array([[1, 1, 0, 1], [0, 1, 1, 0]])
    p = model.predict(x)
    real = x != 0
    by_hand = -np.log(np.take_along_axis(p, y[..., None], -1))[..., 0][real].mean()
    assert model.evaluate(x, y, verbose=0) == pytest.approx(by_hand, rel=1e-9)
