"""Behaviour the other test files leave out: validation_data, categorical metrics, Attention's
public call, downloads with a checksum, Adam/AMSGrad, GRU internals, config round trips."""

import hashlib
import io
from contextlib import redirect_stdout

import numpy as np
import pytest

import numrnn
from numrnn import optimizers
from numrnn.layers import GRU, LSTM, Attention, Dense, Embedding, Flatten
from numrnn.models import Sequential, load_model


def classifier(loss="binary_crossentropy", units=1, activation="sigmoid", metrics=("acc",)):
    model = Sequential([Embedding(20, 4, input_length=6), LSTM(5),
                        Dense(units, activation=activation)])
    model.compile("rmsprop", loss, list(metrics))
    return model


def test_fit_with_validation_data(rng):
    x, y = rng.integers(1, 20, (60, 6)), rng.integers(0, 2, 60)
    xv, yv = rng.integers(1, 20, (25, 6)), rng.integers(0, 2, 25)
    model = classifier()
    out = io.StringIO()
    with redirect_stdout(out):
        history = model.fit(x, y, epochs=2, batch_size=16, validation_data=(xv, yv), verbose=2)
    assert "Train on 60 samples, validate on 25 samples" in out.getvalue()
    loss, acc = model.evaluate(xv, yv, batch_size=16, verbose=0)
    assert history.history["val_loss"][-1] == pytest.approx(loss, rel=1e-5)
    assert history.history["val_acc"][-1] == pytest.approx(acc)
    with pytest.raises(ValueError, match=r"validation_data: accepted a tuple \(x_val, y_val\)"):
        model.fit(x, y, validation_data=xv, verbose=0)
    with pytest.raises(ValueError, match="validation_data x and validation_data y have different"):
        model.fit(x, y, validation_data=(xv, yv[:3]), verbose=0)


def test_accuracy_resolves_by_loss(rng):
    x = rng.integers(1, 20, (30, 6))
    ids = rng.integers(0, 3, 30)
    sparse = classifier("sparse_categorical_crossentropy", 3, "softmax", ("accuracy",))
    onehot = classifier("categorical_crossentropy", 3, "softmax", ("acc",))
    assert sparse.metrics_names == onehot.metrics_names == ["loss", "acc"]
    _, acc_sparse = sparse.evaluate(x, ids, verbose=0)
    p = sparse.predict(x)
    assert acc_sparse == pytest.approx(np.mean(p.argmax(-1) == ids))
    onehot.set_weights(sparse.get_weights())
    _, acc_onehot = onehot.evaluate(x, np.eye(3)[ids], verbose=0)
    assert acc_onehot == pytest.approx(acc_sparse)
    explicit = classifier(metrics=("binary_accuracy",))
    assert explicit.metrics_names == ["loss", "binary_accuracy"]


def test_sparse_targets_are_checked(rng):
    model = classifier("sparse_categorical_crossentropy", 3, "softmax")
    x = rng.integers(1, 20, (4, 6))
    with pytest.raises(ValueError, match=r"class id 3; accepted: ids < 3"):
        model.fit(x, np.array([0, 1, 2, 3]), verbose=0)
    with pytest.raises(ValueError, match=r"class id -1; accepted: ids >= 0"):
        model.fit(x, np.array([0, 1, 2, -1]), verbose=0)
    with pytest.raises(TypeError, match="integer class ids"):
        model.fit(x, np.array([0, 1, 2, 0.5]), verbose=0)


def test_attention_public_call_and_errors(rng):
    with pytest.raises(ValueError, match=r"inputs: accepted a list \[query, value\]"):
        Attention()(rng.standard_normal((2, 3, 4)))  # a fresh layer, one array
    layer = Attention()
    q, v = rng.standard_normal((2, 3, 4)), rng.standard_normal((2, 5, 4))
    context = layer([q, v])
    assert context.shape == (2, 3, 4)
    np.testing.assert_allclose(layer.attention_weights.sum(-1), 1, rtol=1e-6)
    # every context vector is a convex combination of the value vectors
    np.testing.assert_allclose(context, layer.attention_weights @ v.astype(np.float32),
                               rtol=1e-5)
    with pytest.raises(ValueError, match=r"inputs: accepted a list \[query, value\]"):
        layer(q)
    with pytest.raises(ValueError, match=r"query \(2, 3, 4\) and value \(2, 5, 3\)"):
        layer([q, v[..., :3]])
    with pytest.raises(ValueError, match=r"mask: shape \(2, 4\); accepted: \(2, 5\)"):
        layer([q, v], mask=np.ones((2, 4), bool))
    bad = q.copy()
    bad[0, 0, 0] = np.nan
    with pytest.raises(ValueError, match=r"inputs\[0\] contains 1 NaN"):
        layer([bad, v])


def test_download_checks_the_hash(tmp_path, monkeypatch):
    from numrnn.utils import data_utils

    source = tmp_path / "source.bin"
    source.write_bytes(b"numrnn" * 1000)
    good = hashlib.md5(source.read_bytes()).hexdigest()
    cache = tmp_path / "cache"
    monkeypatch.setattr(data_utils, "cache_dir", lambda: cache)
    monkeypatch.delenv("NUMRNN_DATA", raising=False)
    with pytest.raises(FileNotFoundError, match="checksum mismatch"):
        data_utils.get_file("data.bin", source.as_uri(), "0" * 32)
    assert not (cache / "data.bin").exists() and not list(cache.glob(".*"))  # nothing half-written
    path = data_utils.get_file("data.bin", source.as_uri(), good)
    assert path == cache / "data.bin" and path.read_bytes() == source.read_bytes()
    assert data_utils.file_hash(path) == good
    sha = hashlib.sha256(source.read_bytes()).hexdigest()
    assert data_utils.get_file("other.bin", source.as_uri(), sha).is_file()
    # a file in $NUMRNN_DATA is used as it is, without a hash check
    monkeypatch.setenv("NUMRNN_DATA", str(tmp_path))
    assert data_utils.get_file("source.bin", "file:///nowhere", "0" * 32) == source


def test_adam_amsgrad_keeps_the_largest_second_moment():
    p = np.zeros(1)
    opt = optimizers.Adam(lr=0.1, amsgrad=True)
    for g in (10.0, 0.1, 0.1):
        opt.apply_gradients([p], [np.array([g])])
    assert opt.state[0]["vhat"][0] == pytest.approx(0.001 * 100)  # from the first, large step
    assert opt.state[0]["vhat"][0] > opt.state[0]["v"][0]


@pytest.mark.parametrize("reset_after", [True, False])
def test_gru_internals(float64, rng, reset_after):
    layer = GRU(3, reset_after=reset_after, return_sequences=True)
    x = rng.standard_normal((2, 4, 5))
    out = layer(x)
    parts = layer.internals()
    assert set(parts) == {"z", "r", "hh", "h"}
    np.testing.assert_allclose(parts["h"], out)
    h_prev = np.concatenate([np.zeros((2, 1, 3)), parts["h"][:, :-1]], axis=1)
    np.testing.assert_allclose(parts["h"], parts["z"] * h_prev + (1 - parts["z"]) * parts["hh"])
    layer.backward(np.ones_like(out))
    assert layer.internals()["dh"].shape == (2, 4, 3)


def test_save_load_round_trips_every_layer_and_optimizer(rng, tmp_path, float64):
    model = Sequential([Embedding(20, 4, input_length=6, mask_zero=True),
                        GRU(5, return_sequences=True, go_backwards=True, reset_after=False),
                        LSTM(4, return_sequences=True, recurrent_activation="hard_sigmoid"),
                        Dense(3, activation="softmax")])
    model.compile(optimizers.SGD(lr=0.05, momentum=0.9, nesterov=True, clipnorm=1.0),
                  "sparse_categorical_crossentropy", ["acc"])
    x, y = rng.integers(0, 20, (16, 6)), rng.integers(0, 3, (16, 6))
    model.fit(x, y, epochs=1, verbose=0)
    path = tmp_path / "m.npz"
    model.save(path)
    loaded = load_model(path)
    assert loaded.get_config() == model.get_config()
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))
    assert loaded.optimizer.get_config() == model.optimizer.get_config()
    for a, b in zip(loaded.optimizer.state, model.optimizer.state):
        np.testing.assert_array_equal(a["velocity"], b["velocity"])
    assert all(w.dtype == np.float64 for w in loaded.get_weights())


def test_evaluate_without_metrics_returns_a_float(rng):
    model = Sequential([Dense(1, input_dim=3)])
    model.compile("sgd", "mse")
    x, y = rng.standard_normal((10, 3)), rng.standard_normal(10)
    loss = model.evaluate(x, y, verbose=0)
    assert isinstance(loss, float)
    assert loss == pytest.approx(float(np.mean((model.predict(x)[:, 0] - y) ** 2)), rel=1e-5)
    assert model.predict(np.zeros((0, 3))).shape == (0, 1)


def test_flatten_without_a_fixed_length_says_what_to_do():
    with pytest.raises(ValueError, match=r"not fully defined.*input_length=20"):
        Sequential([Embedding(20, 4), Flatten()])


def test_layer_names_and_clear_session():
    first = Dense(1)
    numrnn.clear_session()
    second = Dense(1)
    assert first.name == "dense_1" and second.name == "dense_1"
    assert Dense(1, name="head").name == "head"
    with pytest.raises(ValueError, match="name=''"):
        Dense(1, name="")
