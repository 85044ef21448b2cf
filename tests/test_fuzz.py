"""A standing guard: random and hostile input to the public API (issue 15, item 12).

Every call either succeeds or raises a ValueError/TypeError (or a documented subclass) whose
message names the argument; a failed call leaves weights, optimizer state and built state as
they were; and no call hangs (hypothesis' per-example deadline is a hang guard here, set far
above any normal run time, not a speed test).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from numrnn.datasets import imdb
from numrnn.preprocessing.sequence import pad_sequences
from numrnn.preprocessing.text import Tokenizer

GUARD = settings(max_examples=60, deadline=10_000, derandomize=True,
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
    text = str(err)
    return any(n in text for n in names)


@GUARD
@given(sequences=SEQUENCES,
       maxlen=st.one_of(st.none(), st.integers(-2, 8), ANYTHING),
       dtype=st.sampled_from(["int32", "float32", "int8", object, "nonsense", None, 5]),
       padding=st.sampled_from(["pre", "post", "middle", None]),
       truncating=st.sampled_from(["pre", "post", "", 1]),
       value=st.one_of(st.integers(-300, 300), st.floats(allow_nan=True), st.text(max_size=2)))
def test_pad_sequences_fails_only_clearly(sequences, maxlen, dtype, padding, truncating, value):
    try:
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
    with pytest.raises(ValueError, match="imdb.npz"):
        imdb.load_data(path)


@GUARD
@given(kwargs=st.fixed_dictionaries({}, optional={
    "num_words": ANYTHING, "skip_top": ANYTHING, "maxlen": ANYTHING, "seed": ANYTHING,
    "start_char": ANYTHING, "oov_char": ANYTHING, "index_from": ANYTHING,
    "bogus": ANYTHING}))
def test_load_data_arguments_fail_only_clearly(tmp_path, kwargs):
    from tests.test_data_safety import _write_imdb

    path = _write_imdb(tmp_path / "imdb.npz")
    try:
        imdb.load_data(path, **kwargs)
    except (ValueError, TypeError) as err:
        assert _names_argument(err, tuple(kwargs)), err
