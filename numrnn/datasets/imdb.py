"""The IMDB movie-review sentiment dataset, with Keras' ``load_data`` semantics.

25,000 training and 25,000 test reviews, each a list of word ids, labelled 1
(positive) or 0 (negative). Ids: 0 padding, 1 start of review, 2 out of vocabulary,
and word rank r (1 = most frequent word) becomes ``r + index_from`` (3 by default).

The file ``imdb.npz`` is looked up at ``path``, then in ``$NUMRNN_DATA``, then in
``~/.numrnn/datasets``; if absent it is downloaded from Keras' address.
"""

from __future__ import annotations

import itertools
import json
import os
import warnings

import numpy as np

from ..utils.data_utils import get_file
from ..utils.safe_npz import load_npz

ORIGIN = "https://s3.amazonaws.com/text-datasets/imdb.npz"
MD5 = "599dadb1135973df5b59232a0e9a887c"
WORD_INDEX_ORIGIN = "https://s3.amazonaws.com/text-datasets/imdb_word_index.json"
WORD_INDEX_MD5 = "bfafd718b763782e994055a2d397834f"


_MAX_ID = 2**62  # word ids, shifts and limits stay far inside int64


def _as_optional_int(name: str, value, minimum: int = 0, optional: bool = True,
                     maximum: int = _MAX_ID):
    if value is None and optional:
        return None
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or \
            not minimum <= value <= maximum:
        accepted = f"an int from {minimum} to {maximum}" + (" or None" if optional else "")
        raise ValueError(f"{name}={value!r}; accepted: {accepted}")
    return int(value)


def _resolve(path, default_name):
    """``path`` may be a file name (looked up in the data folders), a file or a folder.

    Returns ``(file name, where)``: ``where`` is the folder or file given, or None to search
    ``$NUMRNN_DATA`` and the cache. A folder is a folder with or without a trailing slash.
    """
    if path is None or path == default_name:
        return default_name, None
    p = os.fspath(path)
    if os.path.isdir(p):
        return default_name, p
    if os.path.dirname(p) or os.path.exists(p):
        return os.path.basename(p) or default_name, p
    return p, None


def load_data(path: str | os.PathLike | None = "imdb.npz", num_words: int | None = None,
              skip_top: int = 0, maxlen: int | None = None, seed: int = 113,
              start_char: int | None = 1, oov_char: int | None = 2, index_from: int = 3,
              **kwargs):
    """Return ``(x_train, y_train), (x_test, y_test)`` as Keras 2.1 does.

    - Both sets are shuffled with ``np.random.RandomState(seed)`` (the permutations
      Keras uses; numrnn leaves the global NumPy generator alone).
    - Each review becomes ``[start_char] + [rank + index_from for each word]``.
    - ``maxlen``: reviews with ``len >= maxlen`` (start char included) are dropped,
      not truncated; train and test are filtered separately.
    - ``num_words``: ids outside ``[skip_top, num_words)`` become ``oov_char`` (or are
      dropped if ``oov_char`` is None). With ``num_words=None`` the limit is the
      largest id, so that one id becomes OOV too: a Keras quirk kept for identical numbers.

    x arrays are 1-D object arrays of Python lists; y arrays are int64 labels 0/1.
    """
    if "nb_words" in kwargs:
        warnings.warn("nb_words is now num_words", stacklevel=2)
        num_words = kwargs.pop("nb_words")
    if kwargs:
        raise TypeError(f"Unrecognized keyword arguments: {sorted(kwargs)}")
    num_words = _as_optional_int("num_words", num_words, 1)
    skip_top = _as_optional_int("skip_top", skip_top, optional=False)
    maxlen = _as_optional_int("maxlen", maxlen, 1)
    start_char = _as_optional_int("start_char", start_char)
    oov_char = _as_optional_int("oov_char", oov_char)
    index_from = _as_optional_int("index_from", index_from, optional=False)
    seed = _as_optional_int("seed", seed, optional=False, maximum=2**32 - 1)  # RandomState's

    fname, where = _resolve(path, "imdb.npz")
    file = get_file(fname, ORIGIN, MD5, path=where)
    # never runs code from the file (see numrnn.utils.safe_npz); no other reference to the
    # arrays is kept, so the file's lists are freed once flattened below
    x_train, y_train, x_test, y_test = _checked_arrays(load_npz(file), file)

    rng = np.random.RandomState(seed)
    order = np.arange(len(x_train))
    rng.shuffle(order)
    x_train, y_train = x_train[order], y_train[order]
    order = np.arange(len(x_test))
    rng.shuffle(order)
    x_test, y_test = x_test[order], y_test[order]

    # All reviews as one int array (fast and small), then back to lists at the end.
    n_train = len(x_train)
    flat, lengths = _flatten(np.concatenate([x_train, x_test]), file)
    del x_train, x_test  # the Python lists of the file: the largest objects here
    flat += index_from
    if start_char is not None:
        flat, lengths = _prepend(flat, lengths, start_char)
    labels = np.concatenate([y_train, y_test])
    is_train = np.arange(len(lengths)) < n_train
    if maxlen:
        keep = lengths < maxlen  # train and test are filtered separately (Keras >= 2.6)
        for split, rows in (("training", is_train), ("test", ~is_train)):
            if not keep[rows].any():
                raise ValueError(
                    f"maxlen={maxlen}: no {split} review is shorter than {maxlen} tokens "
                    f"(start token included; the shortest has {int(lengths[rows].min())}), "
                    "so the split would be empty; accepted: a larger maxlen, or None")
        flat = flat[np.repeat(keep, lengths)]
        lengths, labels, is_train = lengths[keep], labels[keep], is_train[keep]
    if not num_words:
        num_words = int(flat.max())
    inside = (flat >= skip_top) & (flat < num_words)
    if oov_char is not None:
        flat = np.where(inside, flat, oov_char)
    else:
        segment = np.repeat(np.arange(len(lengths)), lengths)
        lengths = np.bincount(segment[inside], minlength=len(lengths))
        flat = flat[inside]
    seqs = _object_array([part.tolist() for part in np.split(flat, np.cumsum(lengths)[:-1])])
    return ((seqs[is_train], labels[is_train]), (seqs[~is_train], labels[~is_train]))


_SPLITS = ("x_train", "y_train", "x_test", "y_test")


def _checked_arrays(arrays: dict, file) -> tuple[np.ndarray, ...]:
    """The four arrays of an IMDB file, after checking the structure Keras' file has.

    x: 1-D arrays of reviews, each a list (or 1-D int array) of integer word ranks >= 0;
    y: 1-D integer labels in {0, 1}, one per review. Everything wrong is named.
    """
    missing = [k for k in _SPLITS if k not in arrays]
    if missing:
        raise ValueError(f"{file}: not an IMDB file: it lacks {missing} (it has "
                         f"{sorted(arrays)}); accepted: x_train, y_train, x_test, y_test")
    out = []
    for split in ("train", "test"):
        x, y = arrays[f"x_{split}"], arrays[f"y_{split}"]
        if x.ndim != 1:
            raise ValueError(f"{file}: x_{split} has shape {x.shape}; accepted: a 1-D array of "
                             "reviews (lists of word ids)")
        if y.ndim != 1 or y.dtype.kind not in "iub":
            raise ValueError(f"{file}: y_{split} has shape {y.shape} and dtype {y.dtype}; "
                             "accepted: 1-D integer labels")
        if len(x) != len(y):
            raise ValueError(f"{file}: x_{split} has {len(x)} reviews but y_{split} has "
                             f"{len(y)} labels; accepted: one label per review")
        bad = ~np.isin(y, (0, 1))
        if bad.any():
            raise ValueError(f"{file}: y_{split}[{int(np.argmax(bad))}] is "
                             f"{y[np.argmax(bad)].item()!r}; accepted: labels 0 or 1")
        if x.dtype != object and x.dtype.kind not in "iu":
            raise ValueError(f"{file}: x_{split} has dtype {x.dtype}; accepted: reviews of "
                             "integer word ids")
        out += [x, y.astype(np.int64)]
    for split, x in (("x_train", out[0]), ("x_test", out[2])):
        _check_reviews(x, f"{file}: {split}")
    return tuple(out)


def _check_reviews(x: np.ndarray, where: str) -> None:
    """Every review a sequence of integer ids (their range is checked by ``_flatten``)."""
    if x.dtype != object:
        return  # a plain integer array: nothing ragged to check
    kinds = set(map(type, x))
    if not kinds <= {list, tuple, np.ndarray}:
        odd = next(k for k in kinds if k not in (list, tuple, np.ndarray))
        raise ValueError(f"{where} holds a {odd.__name__}; accepted: reviews as lists of ids")
    items = itertools.chain.from_iterable(x)
    kinds = set(map(type, items))
    allowed = {int} | {t for t in kinds if issubclass(t, np.integer)}
    if not kinds <= allowed:
        odd = next(k for k in kinds if k not in allowed)
        raise ValueError(f"{where} holds word ids of type {odd.__name__}; accepted: integers "
                         "(word ids are never truncated or rounded)")


def _flatten(seqs, where) -> tuple[np.ndarray, np.ndarray]:
    lengths = np.fromiter((len(s) for s in seqs), np.int64, len(seqs))
    try:
        flat = np.fromiter(itertools.chain.from_iterable(seqs), np.int64, int(lengths.sum()))
    except OverflowError:
        raise ValueError(f"{where}: a word id does not fit in int64; accepted: ids from 0 to "
                         f"{np.iinfo(np.int64).max}") from None
    if flat.size and flat.min() < 0:
        raise ValueError(f"{where}: holds the word id {int(flat.min())}; accepted: ids >= 0")
    return flat, lengths


def _prepend(flat: np.ndarray, lengths: np.ndarray, value: int):
    """Put ``value`` in front of every sequence of the flat array."""
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    return np.insert(flat, starts, value), lengths + 1


def _object_array(seqs: list[list[int]]) -> np.ndarray:
    out = np.empty(len(seqs), dtype=object)
    out[:] = seqs
    return out


def get_word_index(path: str | os.PathLike | None = "imdb_word_index.json") -> dict[str, int]:
    """The dictionary word -> rank (1 = most frequent). Id in ``load_data`` = rank + 3."""
    fname, where = _resolve(path, "imdb_word_index.json")
    file = get_file(fname, WORD_INDEX_ORIGIN, WORD_INDEX_MD5, path=where)
    with open(file, encoding="utf-8") as f:
        return json.load(f)
