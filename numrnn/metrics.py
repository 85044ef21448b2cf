"""Accuracy metrics. ``'acc'`` and ``'accuracy'`` both resolve by the loss and output shape
(Keras 2.1) and are both logged as ``acc``/``val_acc``, so ``EarlyStopping('val_acc')`` works."""

from __future__ import annotations

import numpy as np


def binary_accuracy(y_true, y_pred) -> np.ndarray:
    """Per sample: mean over the last axis of [y == (p > 0.5)] (0.5 counts as 0)."""
    y = np.asarray(y_true)
    if y.ndim == y_pred.ndim - 1:
        y = y[..., None]
    return np.mean(y == (y_pred > 0.5), axis=-1)


def categorical_accuracy(y_true, y_pred) -> np.ndarray:
    """Per sample: argmax of targets == argmax of predictions."""
    return (np.argmax(y_true, axis=-1) == np.argmax(y_pred, axis=-1)).astype(np.float64)


def sparse_categorical_accuracy(y_true, y_pred) -> np.ndarray:
    """Per sample: integer class id == argmax of predictions."""
    y = np.asarray(y_true)
    if y.ndim == y_pred.ndim and y.shape[-1] == 1:
        y = y[..., 0]
    return (y == np.argmax(y_pred, axis=-1)).astype(np.float64)


_BY_NAME = {
    "binary_accuracy": binary_accuracy,
    "categorical_accuracy": categorical_accuracy,
    "sparse_categorical_accuracy": sparse_categorical_accuracy,
}
ACCEPTED = ("acc", "accuracy", *_BY_NAME)


def resolve(name: str, loss_name: str, output_shape: tuple) -> tuple[str, object]:
    """Return (log name, function) for a metric name, as Keras 2.1's compile does."""
    if not isinstance(name, str) or name not in ACCEPTED:
        raise ValueError(
            f"metrics: {name!r} is not a known metric; accepted: {', '.join(ACCEPTED)}")
    if name in ("acc", "accuracy"):
        if output_shape[-1] == 1 or loss_name == "binary_crossentropy":
            return "acc", binary_accuracy
        if loss_name == "sparse_categorical_crossentropy":
            return "acc", sparse_categorical_accuracy
        return "acc", categorical_accuracy
    return name, _BY_NAME[name]
