"""Utilities: ``to_categorical`` and dataset file lookup (``get_file``)."""

from __future__ import annotations

import numpy as np

from .data_utils import get_file

__all__ = ["to_categorical", "get_file"]


def to_categorical(y, num_classes: int | None = None, dtype="float32") -> np.ndarray:
    """One-hot encode integer class ids: (..., ) -> (..., num_classes); a trailing axis of
    size 1 is dropped first, as in Keras."""
    arr = np.asarray(y)
    if arr.dtype.kind == "f":
        if not np.isfinite(arr).all() or not np.array_equal(arr, np.floor(arr)):
            raise TypeError("y: to_categorical needs integer class ids; got non-integral values")
    elif arr.dtype.kind not in "iub":
        raise TypeError(f"y has dtype {arr.dtype}; accepted: integer class ids")
    arr = arr.astype(np.int64)
    if arr.ndim > 1 and arr.shape[-1] == 1:
        arr = arr[..., 0]
    if arr.size and arr.min() < 0:
        raise ValueError(f"y has class id {arr.min()}; accepted: ids >= 0")
    if num_classes is None:
        num_classes = int(arr.max()) + 1 if arr.size else 0
    elif not isinstance(num_classes, (int, np.integer)) or num_classes <= 0:
        raise ValueError(f"num_classes={num_classes!r}; accepted: a positive int or None")
    if arr.size and arr.max() >= num_classes:
        raise ValueError(
            f"y has class id {arr.max()}; accepted: ids < num_classes={num_classes}"
        )
    out = np.zeros(arr.shape + (num_classes,), dtype)
    np.put_along_axis(out, arr[..., None], 1, axis=-1)
    return out
