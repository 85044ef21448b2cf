"""Bad input gets a clear error that names the argument, before any state changes."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import numrnn
from numrnn.callbacks import EarlyStopping
from numrnn.layers import GRU, LSTM, Dense, Embedding, Flatten, SimpleRNN
from numrnn.models import Sequential


def model():
    m = Sequential()
    m.add(Embedding(10, 3, input_length=4))
    m.add(LSTM(2))
    m.add(Dense(1, activation="sigmoid"))
    m.compile("rmsprop", "binary_crossentropy", ["acc"])
    return m


def unchanged(m, before):
    return all(np.array_equal(a, b) for a, b in zip(m.get_weights(), before))


X = np.array([[1, 2, 3, 4], [0, 0, 5, 9]])
Y = np.array([1, 0])


@pytest.mark.parametrize("x, error, pattern", [
    (np.array([[1, 2, 3, 10], [0, 0, 5, 9]]), ValueError,
     r"token id 10 is out of range.*input_dim=10"),
    (np.array([[1, 2, 3, -1], [0, 0, 5, 9]]), ValueError, r"token id -1 is out of range"),
    (np.array([[1, 2, 3, 4.5], [0, 0, 5, 9]]), TypeError, r"token ids must be integers"),
    (np.array([[1, 2, 3, 1e20], [0, 0, 5, 9]]), ValueError, r"token id 1e\+20 is out of range"),
    (np.array([["a", "b", "c", "d"]] * 2), TypeError, r"inputs: dtype .*integer token ids"),
    (np.array([[1, 2, 3], [0, 5, 9]]), ValueError, r"length 3, but input_length=4"),
    (np.array([1, 2, 3, 4]), ValueError, r"inputs: shape \(4,\)"),
])
def test_embedding_inputs(x, error, pattern):
    m = model()
    before = m.get_weights()
    with pytest.raises(error, match=pattern):
        m.fit(x, Y[: len(x)], verbose=0)
    assert unchanged(m, before)
    assert m.optimizer.iterations == 0


@pytest.mark.parametrize("y, error, pattern", [
    (np.array([1, 2]), ValueError, r"y \(targets\).*\[0, 1\]"),
    (np.array([np.nan, 1.0]), ValueError, r"y \(targets\) contains NaN"),
    (np.array([1, 0, 1]), ValueError, r"x and y have different lengths: 2 and 3"),
    (np.array(["a", "b"]), TypeError, r"y \(targets\) has dtype"),
])
def test_targets(y, error, pattern):
    m = model()
    before = m.get_weights()
    with pytest.raises(error, match=pattern):
        m.fit(X, y, verbose=0)
    assert unchanged(m, before)


def test_nan_in_float_inputs():
    m = Sequential([LSTM(2, input_shape=(3, 2)), Dense(1)])
    m.compile("sgd", "mse")
    x = np.ones((2, 3, 2))
    x[1, 1, 1] = np.inf
    with pytest.raises(ValueError, match=r"x contains 1 NaN or infinite"):
        m.fit(x, np.ones(2), verbose=0)
    with pytest.raises(ValueError, match=r"x: shape \(2, 4, 2\); the model expects"):
        m.fit(np.ones((2, 4, 2)), np.ones(2), verbose=0)


@pytest.mark.parametrize("kwargs, pattern", [
    ({"validation_split": 1.0}, r"validation_split=1.0; accepted: 0 <= value < 1"),
    ({"validation_split": -0.1}, r"validation_split=-0.1"),
    ({"batch_size": 0}, r"batch_size=0"),
    ({"epochs": -1}, r"epochs=-1"),
    ({"verbose": 3}, r"verbose=3"),
    ({"callbacks": [EarlyStopping(monitor="val_f1")]},
     r"monitor='val_f1'.*accepted: loss, acc, val_loss, val_acc"),
    ({"callbacks": [EarlyStopping(monitor="val_acc")], "validation_split": 0.0},
     r"monitor='val_acc'.*accepted: loss, acc$"),
])
def test_fit_arguments(kwargs, pattern):
    m = model()
    before = m.get_weights()
    kwargs.setdefault("validation_split", 0.5)
    with pytest.raises(ValueError, match=pattern):
        m.fit(X, Y, **kwargs)
    assert unchanged(m, before)


def test_fit_before_compile():
    m = Sequential([Embedding(10, 3, input_length=4), LSTM(2)])
    before = m.get_weights()
    for error in (ValueError, RuntimeError):  # RuntimeError is what Keras raises
        with pytest.raises(error, match=r"compile the model.*model.compile\(optimizer="):
            m.fit(X, Y)
    with pytest.raises(ValueError, match="compile"):
        m.evaluate(X, Y)
    assert unchanged(m, before)


@pytest.mark.parametrize("make, pattern", [
    (lambda: LSTM(3, activation="swish"), r"activation='swish' is not a known activation; "
                                           r"accepted: .*hard_sigmoid"),
    (lambda: GRU(3, recurrent_activation="softmax"), r"recurrent_activation='softmax'"),
    (lambda: Dense(3, activation="gelu"), r"activation='gelu'"),
    (lambda: SimpleRNN(0), r"units=0; accepted: a positive int"),
    (lambda: Dense(2.5), r"units=2.5"),
    (lambda: Embedding(0, 3), r"input_dim=0"),
    (lambda: Embedding(5, 3, input_length=-2), r"input_length=-2"),
    (lambda: LSTM(3, kernel_initializer="he"), r"kernel_initializer='he'"),
    (lambda: Dense(3, dtype="float16"), r"dtype='float16'; accepted: float32, float64"),
])
def test_layer_arguments(make, pattern):
    with pytest.raises(ValueError, match=pattern):
        make()


@pytest.mark.parametrize("compile_kwargs, pattern", [
    ({"loss": "huber"}, r"loss='huber' is not a known loss; accepted:"),
    ({"loss": "mse", "optimizer": "ftrl"}, r"optimizer='ftrl'.*accepted"),
    ({"loss": "mse", "metrics": ["f1"]}, r"metrics: 'f1' is not a known metric; accepted: acc"),
    ({"loss": None}, r"loss=None"),
])
def test_compile_arguments(compile_kwargs, pattern):
    m = Sequential([Dense(1, input_dim=3)])
    with pytest.raises(ValueError, match=pattern):
        m.compile(**compile_kwargs)
    assert m.optimizer is None


def test_wrong_input_rank_for_recurrent_layer():
    with pytest.raises(ValueError, match=r"lstm_1 inputs: shape \(2, 3\); accepted: \(batch, "):
        layer = LSTM(2)
        layer.build((None, 3, 4))
        layer(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"input shape \(None, 5\); accepted: \(batch, timesteps"):
        Sequential([Dense(5, input_dim=3), LSTM(2)])


def test_mask_reaching_flatten_is_a_type_error():
    m = Sequential([Embedding(10, 3, input_length=4, mask_zero=True)])
    with pytest.raises(TypeError, match="does not support masking"):
        m.add(Flatten())


def test_bad_mask_shape():
    layer = LSTM(2)
    with pytest.raises(ValueError, match=r"mask: shape \(2, 3\) dtype bool; accepted"):
        layer(np.ones((2, 4, 1)), mask=np.ones((2, 3), bool))


def test_set_weights_checks_everything_first():
    m = model()
    before = m.get_weights()
    bad = [w.copy() for w in before]
    bad[-1] = np.ones(5)
    with pytest.raises(ValueError, match=r"dense_1/bias has shape \(1,\), given \(5,\)"):
        m.set_weights(bad)
    assert unchanged(m, before)


def test_missing_data_file_says_where_to_put_it(tmp_path, monkeypatch):
    from numrnn.datasets import imdb
    from numrnn.utils import data_utils

    monkeypatch.setenv("NUMRNN_DATA", str(tmp_path / "nothing-here"))
    monkeypatch.setattr(data_utils, "cache_dir", lambda: tmp_path / "cache")

    def offline(*args, **kwargs):
        raise OSError("network is unreachable")

    monkeypatch.setattr(data_utils.urllib.request, "urlopen", offline)
    with pytest.raises(FileNotFoundError) as info:
        imdb.load_data()
    message = str(info.value)
    assert "nothing-here/imdb.npz" in message and "NUMRNN_DATA" in message
    assert "network is unreachable" in message
    assert not (tmp_path / "cache" / "imdb.npz").exists()


@settings(max_examples=40, deadline=None)
@given(bad=st.one_of(st.integers(min_value=-(2**63), max_value=-1),
                   st.integers(min_value=10, max_value=2**63 - 1)))
def test_any_out_of_range_id_is_rejected(bad):
    layer = Embedding(10, 2)
    x = np.array([[1, 2, bad]])
    with pytest.raises(ValueError, match=f"token id {bad} is out of range"):
        layer(x)


def test_set_seed_validation():
    with pytest.raises(ValueError, match="seed=-1"):
        numrnn.set_seed(-1)
