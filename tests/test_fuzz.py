"""A standing guard: random and hostile input to the public API (issue 15, item 12).

Every call either succeeds or raises a ValueError/TypeError (or a documented subclass) whose
message names the argument; a failed call leaves weights, optimizer state and built state as
they were; and no call hangs (hypothesis' per-example deadline is a hang guard here, set far
above any normal run time, not a speed test).
"""

from __future__ import annotations

import contextlib
import re
import signal

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from numrnn.datasets import imdb
from numrnn.preprocessing.sequence import pad_sequences
from numrnn.preprocessing.text import Tokenizer

GUARD = settings(max_examples=150, deadline=10_000, derandomize=True,
                 suppress_health_check=[HealthCheck.function_scoped_fixture,
                                        HealthCheck.too_slow])

# Values of every kind a careless or hostile caller might pass.
ANYTHING = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=5),
    st.binary(max_size=5), st.lists(st.integers(-3, 3), max_size=3),
    st.just(np.int64(3)), st.just(np.float32("nan")), st.just({"a": 1}), st.just({1, 2}),
    st.just(np.zeros((2, 0))), st.just(object()),
)
SEQUENCE_ITEMS = st.one_of(
    st.integers(-(2**40), 2**40), st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=2), st.none(), st.booleans())
SEQUENCES = st.one_of(
    ANYTHING,
    st.lists(st.lists(SEQUENCE_ITEMS, max_size=6), max_size=5),
    st.lists(st.lists(st.integers(0, 50), max_size=6), max_size=5),
)


def _names_argument(err: Exception, names: tuple[str, ...]) -> bool:
    """The message names one of ``names`` as a word ('x' in "x: shape", not in "expects")."""
    text = str(err)
    return any(re.search(rf"(?<![A-Za-z_]){re.escape(n)}(?![A-Za-z_])", text) for n in names)


@contextlib.contextmanager
def _no_hang(seconds: int = 30):
    """A real hang guard: SIGALRM interrupts a call that does not return (hypothesis'
    deadline is only checked after a call returns). Far above any normal run time."""
    def interrupt(signum, frame):
        raise TimeoutError(f"the call did not return within {seconds} s")

    previous = signal.signal(signal.SIGALRM, interrupt)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@GUARD
@given(sequences=SEQUENCES,
       maxlen=st.one_of(st.none(), st.integers(-2, 8), ANYTHING),
       dtype=st.sampled_from(["int32", "float32", "int8", object, "nonsense", None, 5]),
       padding=st.sampled_from(["pre", "post", "middle", None]),
       truncating=st.sampled_from(["pre", "post", "", 1]),
       value=st.one_of(st.integers(-300, 300), st.floats(allow_nan=True), st.text(max_size=2)))
def test_pad_sequences_fails_only_clearly(sequences, maxlen, dtype, padding, truncating, value):
    try:
        with _no_hang():
            out = pad_sequences(sequences, maxlen=maxlen, dtype=dtype, padding=padding,
                                truncating=truncating, value=value)
    except (ValueError, TypeError) as err:
        assert _names_argument(err, ("sequences", "maxlen", "dtype", "padding", "truncating",
                                     "value")), err
    else:
        assert out.ndim == 2 and out.shape[0] == len(sequences)


@GUARD
@given(num_words=st.one_of(st.none(), st.integers(-2, 20), ANYTHING),
       oov_token=st.one_of(st.none(), st.text(max_size=3), ANYTHING),
       texts=st.one_of(ANYTHING, st.lists(st.one_of(st.text(max_size=20), ANYTHING),
                                           max_size=4)))
def test_tokenizer_fails_only_clearly_and_changes_nothing_on_failure(num_words, oov_token,
                                                                      texts):
    try:
        tok = Tokenizer(num_words=num_words, oov_token=oov_token)
    except (ValueError, TypeError) as err:
        assert _names_argument(err, ("num_words", "oov_token")), err
        return
    tok.fit_on_texts(["a b c a"])
    before = (dict(tok.word_index), dict(tok.word_counts), tok.document_count)
    try:
        tok.fit_on_texts(texts)
    except (ValueError, TypeError) as err:
        assert _names_argument(err, ("texts",)), err
        assert (tok.word_index, dict(tok.word_counts), tok.document_count) == before
    try:
        seqs = tok.texts_to_sequences(texts)
    except (ValueError, TypeError) as err:
        assert _names_argument(err, ("texts",)), err
    else:
        assert all(isinstance(i, int) for s in seqs for i in s)


@GUARD
@given(content=st.one_of(st.binary(max_size=300),
                         st.sampled_from([b"PK\x03\x04", b"\x93NUMPY\x01\x00", b"\x80\x04."])))
def test_load_data_on_random_bytes_names_the_file(tmp_path, content):
    path = tmp_path / "imdb.npz"
    path.write_bytes(content)
    with pytest.raises(ValueError, match="imdb.npz"), _no_hang():
        imdb.load_data(path)


@GUARD
@given(kwargs=st.fixed_dictionaries({}, optional={
    "num_words": ANYTHING, "skip_top": ANYTHING, "maxlen": ANYTHING, "seed": ANYTHING,
    "start_char": ANYTHING, "oov_char": ANYTHING, "index_from": ANYTHING,
    "bogus": ANYTHING}))
def test_load_data_arguments_fail_only_clearly(tmp_path, kwargs):
    from test_data_safety import _write_imdb  # tests/ is on sys.path (pytest prepend mode)

    path = _write_imdb(tmp_path / "imdb.npz")
    try:
        with _no_hang():
            imdb.load_data(path, **kwargs)
    except (ValueError, TypeError) as err:
        assert _names_argument(err, tuple(kwargs)), err


# ---- the model API -----------------------------------------------------------------------
FIT_ARGUMENTS = ("x", "y", "batch_size", "epochs", "verbose", "callbacks", "validation_split",
                 "validation_data", "shuffle", "class_weight", "sample_weight",
                 "initial_epoch", "seed")


def _tiny_model(kind: str):
    from numrnn.layers import LSTM, Dense, Embedding
    from numrnn.models import Sequential
    from numrnn.optimizers import RMSprop

    if kind == "ids":
        model = Sequential([Embedding(12, 3, input_length=4), LSTM(2),
                            Dense(1, activation="sigmoid")])
        model.compile(RMSprop(), "binary_crossentropy", ["acc"])
        x = np.array([[1, 2, 3, 4], [0, 0, 5, 9], [3, 3, 3, 3]])
        y = np.array([1, 0, 1])
    else:
        model = Sequential([LSTM(2, input_shape=(4, 3)), Dense(2, activation="softmax")])
        model.compile("adam", "categorical_crossentropy", ["acc"])
        x = np.linspace(-1, 1, 36, dtype="float32").reshape(3, 4, 3)
        y = np.eye(2, dtype="float32")[[0, 1, 0]]
    model.fit(x, y, epochs=1, verbose=0)  # built, with optimizer state
    return model, x, y


def _state(model) -> tuple:
    opt = model.optimizer
    slots = [(k, v.copy()) for s in opt.state for k, v in s.items()]
    return ([w.copy() for w in model.get_weights()], opt.iterations, slots,
            [(layer.built, layer.input_shape) for layer in model.layers])


def _same_state(a, b) -> bool:
    weights_a, it_a, slots_a, built_a = a
    weights_b, it_b, slots_b, built_b = b
    return (it_a == it_b and built_a == built_b and len(slots_a) == len(slots_b)
            and all(np.array_equal(p, q) for p, q in zip(weights_a, weights_b))
            and all(ka == kb and np.array_equal(p, q)
                    for (ka, p), (kb, q) in zip(slots_a, slots_b)))


def _arrays(draw_shape):
    dtypes = st.sampled_from(["float32", "float64", "int64", "int8", "bool", "U1", "complex64"])
    return st.one_of(
        ANYTHING,
        st.builds(lambda shape, dtype, fill: np.full(shape, fill).astype(dtype, copy=False)
                  if dtype != "U1" else np.full(shape, "a"),
                  draw_shape, dtypes,
                  st.sampled_from([0, 1, 3, -1, 1e20, np.nan, np.inf, 0.5])),
    )


# A huge valid epoch count is not a hang, only a long run: keep valid counts small.
EPOCHS = st.one_of(st.integers(-2, 2), ANYTHING.filter(
    lambda v: not isinstance(v, (int, np.integer)) or isinstance(v, bool) or v < 3))
SHAPES = st.lists(st.integers(0, 5), min_size=0, max_size=4).map(tuple)


@GUARD
@given(kind=st.sampled_from(["ids", "floats"]),
       override=st.fixed_dictionaries({}, optional={
           "x": _arrays(SHAPES), "y": _arrays(SHAPES), "batch_size": ANYTHING,
           "epochs": EPOCHS, "verbose": ANYTHING, "callbacks": ANYTHING,
           "validation_split": ANYTHING, "validation_data": ANYTHING, "shuffle": ANYTHING,
           "class_weight": ANYTHING, "sample_weight": _arrays(SHAPES),
           "initial_epoch": ANYTHING, "seed": ANYTHING, "bogus": ANYTHING}))
def test_fit_fails_only_clearly_and_changes_nothing(kind, override):
    model, x, y = _tiny_model(kind)
    kwargs = {"x": x, "y": y, "epochs": 1, "verbose": 0, **override}
    before = _state(model)
    try:
        with _no_hang():
            model.fit(**kwargs)
    except (ValueError, TypeError) as err:
        assert _names_argument(err, tuple(override) + ("inputs", "targets")), err
        assert _same_state(before, _state(model)), f"state changed by a failed fit: {err}"


@GUARD
@given(kind=st.sampled_from(["ids", "floats"]), method=st.sampled_from(["evaluate", "predict"]),
       x=_arrays(SHAPES), y=_arrays(SHAPES),
       batch_size=st.one_of(st.none(), st.integers(-1, 4), ANYTHING),
       verbose=st.one_of(st.sampled_from([0, 1, 2]), ANYTHING),
       sample_weight=st.one_of(st.none(), _arrays(SHAPES)))
def test_evaluate_and_predict_fail_only_clearly(kind, method, x, y, batch_size, verbose,
                                                sample_weight, capsys):
    model, _, _ = _tiny_model(kind)
    before = _state(model)
    try:
        with _no_hang():
            if method == "evaluate":
                model.evaluate(x, y, batch_size=batch_size, verbose=verbose,
                               sample_weight=sample_weight)
            else:
                model.predict(x, batch_size=batch_size, verbose=verbose)
        assert isinstance(verbose, (int, np.integer)) and verbose in (0, 1, 2), \
            f"verbose={verbose!r} was accepted"
    except (ValueError, TypeError) as err:
        names = ("x", "y", "batch_size", "verbose", "inputs", "targets")
        assert _names_argument(err, names + (("sample_weight",) if method == "evaluate"
                                             else ())), err
    assert _same_state(before, _state(model))  # evaluate/predict never change the model


@GUARD
@given(weights=st.one_of(
    ANYTHING,
    st.lists(_arrays(SHAPES), max_size=6),
    st.integers(0, 5).map(lambda k: ("one NaN array", k)),
))
def test_set_weights_all_or_nothing(weights):
    model, _, _ = _tiny_model("ids")
    if isinstance(weights, tuple):
        # the right count and shapes, new values, but array k is NaN: nothing may be written
        weights = [w + 1 for w in model.get_weights()]
        weights[weights_k(weights)] = np.full_like(weights[weights_k(weights)], np.nan)
    before = _state(model)
    try:
        model.set_weights(weights)
    except (ValueError, TypeError) as err:
        assert "weights" in str(err), err
        assert _same_state(before, _state(model))


def weights_k(weights: list) -> int:
    return len(weights) - 1  # the last layer's: the one a layer-by-layer writer reaches last


@GUARD
@given(content=st.one_of(st.binary(max_size=400),
                         st.sampled_from([b"PK\x03\x04", b"\x93NUMPY\x01\x00", b"\x80\x04."])))
def test_load_model_on_random_bytes_names_the_file(tmp_path, content):
    from numrnn.models import load_model

    path = tmp_path / "model.npz"
    path.write_bytes(content)
    with pytest.raises(ValueError, match="model.npz"), _no_hang():
        load_model(path)


# ---- what the fuzzer found, kept as plain regression tests ---------------------------------
@pytest.mark.parametrize("override", [
    {"verbose": np.zeros((2, 0))}, {"shuffle": np.zeros((2, 0))}, {"verbose": 1.5},
    {"seed": np.float32("nan")}, {"seed": -1},
])
def test_found_fit_arguments(override):
    model, x, y = _tiny_model("ids")
    before = _state(model)
    with pytest.raises(ValueError, match=next(iter(override))):
        model.fit(x, y, **{"verbose": 0, **override})
    assert _same_state(before, _state(model))


@pytest.mark.parametrize("kwargs", [
    {"skip_top": None}, {"index_from": None}, {"seed": 2**32}, {"oov_char": 2**64},
    {"start_char": 2**63},
])
def test_found_load_data_arguments(tmp_path, kwargs):
    from test_data_safety import _write_imdb  # tests/ is on sys.path (pytest prepend mode)

    with pytest.raises(ValueError, match=next(iter(kwargs))):
        imdb.load_data(_write_imdb(tmp_path / "imdb.npz"), **kwargs)


def test_found_pad_value_that_does_not_fit_the_dtype():
    with pytest.raises(ValueError, match="value=128 cannot be stored as int8"):
        pad_sequences(np.zeros((2, 0)), dtype="int8", value=128)
