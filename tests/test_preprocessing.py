"""pad_sequences, Tokenizer and to_categorical: Keras semantics and properties (hypothesis)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from numrnn.preprocessing.sequence import pad_sequences
from numrnn.preprocessing.text import Tokenizer, text_to_word_sequence
from numrnn.utils import to_categorical

seqs = st.lists(st.lists(st.integers(-1000, 1000), max_size=12), max_size=8)


@settings(max_examples=200, deadline=None)
@given(seqs, st.one_of(st.none(), st.integers(0, 15)), st.sampled_from(["pre", "post"]),
       st.sampled_from(["pre", "post"]), st.integers(-5, 5))
def test_pad_sequences_properties(sequences, maxlen, padding, truncating, value):
    out = pad_sequences(sequences, maxlen, padding=padding, truncating=truncating, value=value)
    width = max((len(s) for s in sequences), default=0) if maxlen is None else maxlen
    assert out.shape == (len(sequences), width) and out.dtype == np.int32
    for row, s in zip(out, sequences):
        kept = s[-width:] if truncating == "pre" else s[:width]
        kept = kept if width else []
        n = len(kept)
        if padding == "pre":
            assert row[width - n:].tolist() == kept
            assert (row[: width - n] == value).all()
        else:
            assert row[:n].tolist() == kept
            assert (row[n:] == value).all()


def test_pad_sequences_keras_examples():
    np.testing.assert_array_equal(pad_sequences([[1, 2, 3], [4]], 2), [[2, 3], [0, 4]])
    np.testing.assert_array_equal(
        pad_sequences([[1, 2, 3], [4]], 2, padding="post", truncating="post"), [[1, 2], [4, 0]])
    np.testing.assert_array_equal(pad_sequences([[1, 2], []]), [[1, 2], [0, 0]])
    np.testing.assert_allclose(pad_sequences([[0.5]], 2, dtype="float32", value=-1.0),
                               [[-1.0, 0.5]])


@pytest.mark.parametrize("kwargs, pattern", [
    ({"padding": "middle"}, r"padding='middle'; accepted: 'pre' or 'post'"),
    ({"truncating": "both"}, r"truncating='both'"),
    ({"maxlen": -1}, r"maxlen=-1"),
])
def test_pad_sequences_bad_options(kwargs, pattern):
    with pytest.raises(ValueError, match=pattern):
        pad_sequences([[1, 2]], **kwargs)


def test_pad_sequences_never_loses_values_silently():
    with pytest.raises(ValueError, match=r"sequences\[1\] has values that int32 cannot hold"):
        pad_sequences([[1], [2.5]])
    with pytest.raises(ValueError, match=r"int8 cannot hold"):
        pad_sequences([[300]], dtype="int8")
    with pytest.raises(ValueError, match=r"sequences\[0\] is int 5"):
        pad_sequences([5])
    with pytest.raises(ValueError, match="accepted: a list of sequences"):
        pad_sequences(5)


words = st.text(alphabet=st.sampled_from(list("abc가나다국민대학 ")), max_size=20)


@settings(max_examples=100, deadline=None)
@given(st.lists(words, min_size=1, max_size=6))
def test_tokenizer_properties(texts):
    tok = Tokenizer()
    tok.fit_on_texts(texts)
    ids = sorted(tok.word_index.values())
    assert ids == list(range(1, len(ids) + 1))                  # 1..n, 0 reserved
    counts = [tok.word_counts[w] for w, _ in sorted(tok.word_index.items(), key=lambda p: p[1])]
    assert counts == sorted(counts, reverse=True)               # by frequency
    seqs = tok.texts_to_sequences(texts)
    assert tok.sequences_to_texts(seqs) == [" ".join(text_to_word_sequence(t)) for t in texts]


@settings(max_examples=60, deadline=None)
@given(st.lists(words, min_size=1, max_size=6), st.integers(1, 6))
def test_tokenizer_num_words_and_oov(texts, num_words):
    tok = Tokenizer(num_words=num_words, oov_token="<unk>")
    tok.fit_on_texts(texts)
    assert tok.word_index["<unk>"] == 1
    for seq, text in zip(tok.texts_to_sequences(texts), texts):
        assert all(1 <= i < num_words or i == 1 for i in seq)
        assert len(seq) == len(text_to_word_sequence(text))   # nothing dropped with an oov token


def test_tokenizer_korean_words_and_characters():
    tok = Tokenizer()
    tok.fit_on_texts(["맛있어요! 정말 맛있어요", "별로예요\n정말"])
    assert tok.word_index == {"맛있어요": 1, "정말": 2, "별로예요": 3}
    assert tok.texts_to_sequences(["정말 맛있어요 새로운"]) == [[2, 1]]
    chars = Tokenizer(char_level=True)
    chars.fit_on_texts(["국민대학", "대학"])
    assert chars.word_index == {"대": 1, "학": 2, "국": 3, "민": 4}
    assert chars.sequences_to_texts([[3, 4, 1, 2]]) == ["국민대학"]


def test_tokenizer_matrix_and_errors():
    tok = Tokenizer()
    with pytest.raises(RuntimeError, match="fit_on_texts"):
        tok.texts_to_sequences(["a"])
    with pytest.raises(TypeError, match="texts is a str"):
        tok.fit_on_texts("a text")
    with pytest.raises(TypeError, match=r"texts\[1\] has type int"):
        tok.fit_on_texts(["ok", 3])
    tok.fit_on_texts(["a a b"])
    np.testing.assert_array_equal(tok.texts_to_matrix(["a b b"], mode="count"), [[0, 1, 2]])
    with pytest.raises(ValueError, match="mode='tf'"):
        tok.texts_to_matrix(["a"], mode="tf")


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(0, 9), min_size=1, max_size=20), st.booleans())
def test_to_categorical_properties(labels, column):
    y = np.array(labels)[:, None] if column else np.array(labels)
    out = to_categorical(y)
    assert out.shape == (len(labels), max(labels) + 1) and out.dtype == np.float32
    np.testing.assert_array_equal(out.argmax(-1), labels)
    np.testing.assert_array_equal(out.sum(-1), 1)


def test_to_categorical_errors():
    with pytest.raises(ValueError, match=r"class id 3; accepted: ids < num_classes=3"):
        to_categorical([0, 3], num_classes=3)
    with pytest.raises(ValueError, match=r"class id -1"):
        to_categorical([0, -1])
    with pytest.raises(TypeError, match="integer class ids"):
        to_categorical([0.5])


# ---- issue 15 #10: inputs Keras accepts are accepted, others get a named error -------------
def test_pad_sequences_nan_value_for_floats():
    out = pad_sequences([[1.5], [2, 3]], dtype="float32", value=np.nan)
    assert out.dtype == np.float32
    assert np.isnan(out[0, 0]) and out[0, 1] == 1.5 and out[1].tolist() == [2, 3]


def test_pad_sequences_strings_with_object_dtype_as_keras():
    out = pad_sequences([["a", "b", "c"], ["d"]], maxlen=2, dtype=object, value="<pad>")
    assert out.tolist() == [["b", "c"], ["<pad>", "d"]]


def test_pad_sequences_text_value_with_a_number_dtype_is_named():
    with pytest.raises(ValueError, match="value='x' is not a number"):
        pad_sequences([[1]], value="x")


def test_pad_sequences_set_is_named():
    with pytest.raises(ValueError, match=r"sequences\[0\] is set .*accepted: an ordered sequence"):
        pad_sequences([{1, 2}])


def test_tokenizer_accepts_numpy_int_num_words():
    tok = Tokenizer(num_words=np.int64(3))
    tok.fit_on_texts(["a a b c"])
    assert tok.num_words == 3 and type(tok.num_words) is int
    assert tok.texts_to_sequences(["a b c"]) == [[1, 2]]


@pytest.mark.parametrize("bad", [None, 5])
def test_tokenizer_fit_on_texts_non_iterable_is_named(bad):
    tok = Tokenizer()
    with pytest.raises(TypeError, match="texts is .*accepted: a list of texts"):
        tok.fit_on_texts(bad)
    assert tok.word_index == {} and tok.document_count == 0
