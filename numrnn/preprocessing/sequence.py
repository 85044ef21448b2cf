"""``pad_sequences``: make variable-length sequences one fixed length."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

_WHERE = ("pre", "post")


def pad_sequences(sequences: Sequence, maxlen: int | None = None, dtype="int32",
                  padding: str = "pre", truncating: str = "pre", value: float = 0.0) -> np.ndarray:
    """Return an array of shape ``(len(sequences), maxlen)`` (Keras semantics).

    - ``maxlen=None``: the length of the longest sequence.
    - ``truncating='pre'`` keeps the *last* ``maxlen`` items, ``'post'`` the first.
    - ``padding='pre'`` puts ``value`` in front, ``'post'`` behind.
    - An empty sequence gives a row of ``value``.

    - ``dtype=object`` (or a str dtype) takes sequences of any values, e.g. words, as Keras
      does; ``value`` may then be anything (``'<pad>'``). ``value=np.nan`` works for floats.

    Values that the ``dtype`` cannot hold exactly (3.7 into int32, 300 into int8) raise
    a ValueError instead of being changed silently.
    """
    if not hasattr(sequences, "__len__"):
        raise ValueError(f"sequences has type {type(sequences).__name__}; accepted: a list of "
                         "sequences")
    if padding not in _WHERE:
        raise ValueError(f"padding={padding!r}; accepted: 'pre' or 'post'")
    if truncating not in _WHERE:
        raise ValueError(f"truncating={truncating!r}; accepted: 'pre' or 'post'")
    if maxlen is not None and (not isinstance(maxlen, (int, np.integer)) or isinstance(maxlen, bool)
                               or maxlen < 0):
        raise ValueError(f"maxlen={maxlen!r}; accepted: an int >= 0 or None")
    try:
        out_dtype = np.dtype(dtype)
    except TypeError as err:
        raise TypeError(f"dtype={dtype!r} is not a NumPy dtype") from err
    lengths = []
    for k, s in enumerate(sequences):
        if isinstance(s, (set, frozenset, dict)) or not hasattr(s, "__getitem__") or \
                not hasattr(s, "__len__") or isinstance(s, (str, bytes)):
            raise ValueError(f"sequences[{k}] is {type(s).__name__} {s!r}; accepted: an "
                             "ordered sequence (list, tuple or 1-D array) of numbers")
        lengths.append(len(s))
    if maxlen is None:
        maxlen = max(lengths, default=0)
    maxlen = int(maxlen)
    holds_text = out_dtype.kind in "OUS"  # Keras allows strings with dtype=object or str
    if not holds_text and np.asarray(value).dtype.kind not in "biuf":
        raise ValueError(f"value={value!r} is not a number; accepted: a number, or any value "
                         "with dtype=object")
    try:
        x = np.full((len(lengths), maxlen), value, dtype=out_dtype)
    except (OverflowError, ValueError, TypeError):
        raise ValueError(f"value={value!r} cannot be stored as {out_dtype}") from None
    if not holds_text and x.size and not np.array_equal(x.flat[0], value, equal_nan=True):
        raise ValueError(f"value={value!r} cannot be stored exactly as {out_dtype}")
    if maxlen == 0:
        return x
    for k, s in enumerate(sequences):
        if not lengths[k]:
            continue
        trunc = s[-maxlen:] if truncating == "pre" else s[:maxlen]
        arr = np.asarray(trunc)
        if arr.ndim != 1:
            raise ValueError(f"sequences[{k}] has shape {arr.shape}; accepted: a flat sequence")
        if holds_text:
            converted = arr.astype(out_dtype) if out_dtype.kind != "O" else arr
            if out_dtype.kind != "O" and not np.array_equal(converted, arr.astype(str)):
                raise ValueError(f"sequences[{k}] has values that {out_dtype} cannot hold "
                                 "exactly; pass dtype=object")
            if padding == "post":
                x[k, : len(converted)] = converted
            else:
                x[k, maxlen - len(converted):] = converted
            continue
        if arr.dtype.kind not in "biuf":
            raise ValueError(f"sequences[{k}] holds {arr.dtype} values; accepted: numbers "
                             "(or dtype=object for other values)")
        converted = arr.astype(out_dtype)
        if out_dtype.kind != "f" and not np.array_equal(converted, arr):
            raise ValueError(f"sequences[{k}] has values that {out_dtype} cannot hold exactly "
                             f"(e.g. {arr[converted != arr][0]!r}); pass a wider dtype")
        if padding == "post":
            x[k, : len(converted)] = converted
        else:
            x[k, maxlen - len(converted):] = converted
    return x
