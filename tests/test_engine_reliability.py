"""Engine items of issue 15: no call half-done, nothing silently wrong, clear errors on bad
files; no code runs from a model or weights file."""

import json
import os
import pickle
import subprocess
import sys

import numpy as np
import pytest

from numrnn import callbacks as cbks
from numrnn.layers import LSTM, Dense, Embedding, Input
from numrnn.models import Model, Sequential, load_model
from numrnn.optimizers import SGD, Adam, RMSprop


def small():
    model = Sequential([Embedding(10, 3, input_length=4), LSTM(2), Dense(3, activation="softmax")])
    model.compile(RMSprop(), "sparse_categorical_crossentropy", ["acc"])
    return model


X = np.array([[1, 2, 3, 4], [0, 0, 5, 9], [3, 3, 3, 3]])
Y = np.array([0, 2, 1])


def same(a, b) -> bool:
    return all(np.array_equal(u, v) for u, v in zip(a, b))


# 2 ------------------------------------------------------------------------------------------
def test_2_set_weights_and_load_weights_check_everything_first(tmp_path):
    model = small()
    before = model.get_weights()
    bad = [w.copy() for w in before]
    bad[-1] = np.full_like(bad[-1], np.nan)  # only the last layer is wrong
    with pytest.raises(ValueError, match=r"dense_1/bias contains 3 NaN"):
        model.set_weights(bad)
    assert same(model.get_weights(), before)
    bad[-1] = np.array(["a", "b", "c"])
    with pytest.raises(TypeError, match="dense_1/bias has dtype"):
        model.set_weights(bad)
    other = small()
    other.set_weights(before)
    other.layers[-1].params["bias"][0] = np.inf
    other.save_weights(tmp_path / "w.npz")
    with pytest.raises(ValueError, match=r"w.npz: dense_1/bias contains 1 NaN or infinite"):
        model.load_weights(tmp_path / "w.npz")
    assert same(model.get_weights(), before)


# 3 ------------------------------------------------------------------------------------------
def test_3_building_is_all_or_nothing():
    model = Sequential([LSTM(2), Dense(1)])
    with pytest.raises(ValueError, match=r"accepted: \(batch, timesteps, features\)"):
        model.predict(np.ones((2, 5)))  # wrong rank: the LSTM cannot be built
    assert not model.built and not any(layer.built for layer in model.layers)
    assert model.predict(np.ones((2, 5, 3))).shape == (2, 1)
    model = Sequential([Dense(4), LSTM(2)])  # Dense builds, then the LSTM cannot
    with pytest.raises(ValueError):
        model.predict(np.ones((2, 3)))
    assert not any(layer.built for layer in model.layers)
    assert not model.layers[0].params


# 4 ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("val, pattern", [
    ((X, np.array([0, 1])), r"validation_data x and validation_data y have different lengths"),
    ((X, np.array([0, 1, 3])), r"validation_data y: .*class id 3; accepted: ids < 3"),
    ((X, np.ones((3, 2))), r"validation_data y: .*shape"),
])
def test_4_bad_validation_data_is_found_before_training(val, pattern):
    model = small()
    before = model.get_weights()
    with pytest.raises(ValueError, match=pattern):
        model.fit(X, Y, validation_data=val, epochs=2, verbose=0)
    assert same(model.get_weights(), before) and model.optimizer.iterations == 0


@pytest.mark.parametrize("path, pattern", [
    ("c-{val_acc:.3f}.npz", r"the field \{val_acc\} is not logged by this fit; accepted: "
                            r"epoch, loss, acc"),
    ("c-{epoch.npz", r"c-\{epoch.npz': expected '\}'.*accepted: a path with format fields"),
    ("c-{epoch}.hdf5", r"promises a HDF5 file"),
])
def test_4_checkpoint_path_is_checked_at_train_begin(tmp_path, path, pattern):
    model = small()
    before = model.get_weights()
    with pytest.raises(ValueError, match=pattern):
        model.fit(X, Y, epochs=2, verbose=0,
                  callbacks=[cbks.ModelCheckpoint(str(tmp_path / path))])
    assert same(model.get_weights(), before) and not list(tmp_path.iterdir())


def test_4_checkpoint_accepts_logged_fields(tmp_path):
    small().fit(X, Y, epochs=1, verbose=0, validation_data=(X, Y), callbacks=[
        cbks.ModelCheckpoint(str(tmp_path / "c-{epoch:02d}-{val_accuracy:.2f}.npz"))])
    assert len(list(tmp_path.glob("c-01-*.npz"))) == 1


# 5 ------------------------------------------------------------------------------------------
def test_5_one_optimizer_serves_one_model():
    opt = Adam()
    first = small()
    first.compile(opt, "sparse_categorical_crossentropy")
    first.compile(opt, "sparse_categorical_crossentropy")  # recompiling the same model is fine
    second = small()
    with pytest.raises(ValueError, match=r"already compiled into model 'sequential_1'"):
        second.compile(opt, "sparse_categorical_crossentropy")
    assert second.optimizer is not opt
    second.compile(Adam(**opt.get_config()), "sparse_categorical_crossentropy")


# 6 ------------------------------------------------------------------------------------------
def test_6_no_samples_is_an_error():
    model = small()
    empty = X[:0], Y[:0]
    with pytest.raises(ValueError, match="0 samples"):
        model.evaluate(*empty, verbose=0)
    with pytest.raises(ValueError, match="0 samples"):
        model.test_on_batch(*empty)
    with pytest.raises(ValueError, match="0 samples"):
        model.train_on_batch(*empty)
    with pytest.raises(ValueError, match=r"validation_data: 0 samples"):
        model.fit(X, Y, validation_data=empty, verbose=0)
    assert model.optimizer.iterations == 0


# 9 ------------------------------------------------------------------------------------------
def _saved(tmp_path):
    model = small()
    model.fit(X, Y, epochs=1, verbose=0)
    path = tmp_path / "m.npz"
    model.save(path)
    return path


def _edit(path, meta_change=None, arrays_change=None):
    with np.load(path) as data:
        arrays = {k: data[k] for k in data.files}
    meta = json.loads(str(arrays["__meta__"]))
    if meta_change:
        meta_change(meta)
    arrays["__meta__"] = np.array(json.dumps(meta))
    if arrays_change:
        arrays_change(arrays)
    np.savez(path, **arrays)


def _set_opt_name(meta):
    meta["training_config"]["optimizer"]["name"] = "ftrl"


@pytest.mark.parametrize("damage, pattern", [
    (lambda p: p.write_bytes(p.read_bytes()[:300]), r"unreadable or truncated"),
    (lambda p: p.write_text("hello, I am text"), r"is not a numrnn model or weights file"),
    (lambda p: p.write_bytes(np.random.default_rng(0).bytes(2000)), r"not a numrnn model"),
    (lambda p: np.save(open(p, "wb"), np.ones(3)), r"holds a single .npy array"),
    (lambda p: _edit(p, arrays_change=lambda a: a.update(__meta__=np.array("{no json"))),
     r"its metadata is damaged"),
    (lambda p: _edit(p, lambda m: m.pop("weight_names")), r"metadata is damaged \(weight_names"),
    (lambda p: _edit(p, _set_opt_name), r"optimizer 'ftrl' is not known"),
    (lambda p: _edit(p, arrays_change=lambda a: a.update({"opt/99/accumulator": np.ones(2)})),
     r"optimizer entry 'opt/99/accumulator' does not fit this model"),
    (lambda p: _edit(p, arrays_change=lambda a: a.update({"opt/0/accumulator": np.ones(2)})),
     r"optimizer entry 'opt/0/accumulator' has shape \(2,\)"),
    (lambda p: _edit(p, arrays_change=lambda a: a.pop("w1")), r"the arrays \['w1'\] are missing"),
])
def test_9_damaged_files_get_errors_naming_the_file(tmp_path, damage, pattern):
    path = _saved(tmp_path)
    damage(path)
    with pytest.raises(ValueError, match=pattern) as info:
        load_model(path)
    assert "m.npz" in str(info.value)


class _Payload:
    def __reduce__(self):
        return (os.makedirs, ("PWNED_BY_PICKLE",))


@pytest.mark.parametrize("loader", ["load_model", "load_weights"])
def test_9_pickles_are_never_unpickled(tmp_path, monkeypatch, loader):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "evil.npz"
    path.write_bytes(pickle.dumps(_Payload()))
    with pytest.raises(ValueError, match=r"evil.npz.*never unpickles"):
        load_model(path) if loader == "load_model" else small().load_weights(path)
    assert not (tmp_path / "PWNED_BY_PICKLE").exists()


# 10 -----------------------------------------------------------------------------------------
def test_10_model_api_misuse_gets_clear_errors():
    with pytest.raises(ValueError, match="the model has no layers"):
        Sequential().predict(np.ones((2, 3)))
    model = small()
    with pytest.raises(ValueError, match=r"y=1 is a single value; accepted: an array"):
        model.fit(X, 1, verbose=0)
    with pytest.raises(TypeError, match=r"write callbacks=\[EarlyStopping\(...\)\]"):
        model.fit(X, Y, verbose=0, callbacks=cbks.EarlyStopping())
    assert model.optimizer.iterations == 0


def test_10_empty_batch_with_unknown_length():
    model = Sequential([Embedding(10, 2), LSTM(3, return_sequences=True)])
    assert model.predict(np.zeros((0, 5), int)).shape == (0, 5, 3)
    ids = Input(shape=(None,), dtype="int32")
    two = Model(ids, [Dense(2)(LSTM(3)(Embedding(10, 2)(ids))), Embedding(10, 4)(ids)])
    assert [p.shape for p in two.predict(np.zeros((0, 7), int))] == [(0, 2), (0, 7, 4)]


# 11 -----------------------------------------------------------------------------------------
def test_11_stale_temporaries_of_killed_writers_are_removed(tmp_path):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    dead_pid = int(dead.stdout)
    stale = tmp_path / f".m.npz.{dead_pid}.abc123.tmp"
    live = tmp_path / f".m.npz.{os.getpid()}.xyz789.tmp"
    legacy_old, legacy_new = tmp_path / ".m.npz.k2j4h5g6.tmp", tmp_path / ".m.npz.q1w2e3r4.tmp"
    other = tmp_path / f".other.npz.{dead_pid}.abc123.tmp"
    for f in (stale, live, legacy_old, legacy_new, other):
        f.write_bytes(b"partial")
    os.utime(legacy_old, (0, 0))  # from an old numrnn, hours ago
    Sequential([Dense(1, input_dim=2)]).save(tmp_path / "m.npz")
    assert not stale.exists() and not legacy_old.exists()
    assert live.exists() and legacy_new.exists() and other.exists()


def test_sgd_state_round_trip(tmp_path):
    model = small()
    model.compile(SGD(lr=0.1, momentum=0.9), "sparse_categorical_crossentropy")
    model.fit(X, Y, epochs=2, verbose=0)
    model.save(tmp_path / "m.npz")
    loaded = load_model(tmp_path / "m.npz")
    for a, b in zip(loaded.optimizer.state, model.optimizer.state):
        np.testing.assert_array_equal(a["velocity"], b["velocity"])
