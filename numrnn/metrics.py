"""Metrics with Keras 2.1 names and log names.

``'acc'`` and ``'accuracy'`` both resolve by the loss and output shape (Keras 2.1) and
are both logged as ``acc``/``val_acc``, so ``EarlyStopping('val_acc')`` works.
Any loss name is also a metric (``'mae'``, ``'mse'``, ...), logged under the function's
full name as Keras 2.1 does (``'mae'`` -> ``mean_absolute_error``). A callable
``f(y_true, y_pred)`` returning one value per sample (or a scalar) is logged under its
``__name__``. Each metric gives per-sample values; the model averages them.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from . import losses


def _targets_like(y_true, y_pred) -> np.ndarray:
    y = np.asarray(y_true)
    if y.ndim == y_pred.ndim - 1:
        y = y[..., None]
    return y


def binary_accuracy(y_true, y_pred) -> np.ndarray:
    """Per sample: mean over the last axis of [y == (p > 0.5)] (0.5 counts as 0)."""
    y = _targets_like(y_true, y_pred)
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


def _in_top_k(y_pred: np.ndarray, ids: np.ndarray, k: int) -> np.ndarray:
    """TF's in_top_k: the target's score is in the top k; classes tied with it count as in
    (fewer than k classes score strictly higher); a non-finite score is never in."""
    target = np.take_along_axis(y_pred, ids[..., None].astype(np.int64), axis=-1)
    higher = np.sum(y_pred > target, axis=-1)
    finite = np.isfinite(y_pred).all(axis=-1)
    return ((higher < k) & finite).astype(np.float64)


def top_k_categorical_accuracy(y_true, y_pred, k: int = 5) -> np.ndarray:
    """Per sample: the target class (argmax of one-hot y) is among the k highest scores."""
    return _in_top_k(y_pred, np.argmax(y_true, axis=-1), k)


def sparse_top_k_categorical_accuracy(y_true, y_pred, k: int = 5) -> np.ndarray:
    """As `top_k_categorical_accuracy`, with integer class ids as targets."""
    y = np.asarray(y_true)
    if y.ndim == y_pred.ndim and y.shape[-1] == 1:
        y = y[..., 0]
    return _in_top_k(y_pred, y, k)


_BY_NAME: dict[str, Callable] = {
    "binary_accuracy": binary_accuracy,
    "categorical_accuracy": categorical_accuracy,
    "sparse_categorical_accuracy": sparse_categorical_accuracy,
    "top_k_categorical_accuracy": top_k_categorical_accuracy,
    "sparse_top_k_categorical_accuracy": sparse_top_k_categorical_accuracy,
}
_LOSS_METRICS = sorted(name for name in losses._REGISTRY)
ACCEPTED = ("acc", "accuracy", *_BY_NAME, *_LOSS_METRICS)


def _loss_metric(name: str) -> tuple[str, Callable]:
    loss = losses.get(name)
    return loss.name, loss.per_sample


def resolve(name, loss_name: str, output_shape: tuple) -> tuple[str, Callable]:
    """Return (log name, per-sample function) for a metric, as Keras 2.1's compile does."""
    if callable(name) and not isinstance(name, str):
        return getattr(name, "__name__", type(name).__name__), name
    if not isinstance(name, str) or name not in ACCEPTED:
        raise ValueError(
            f"metrics: {name!r} is not a known metric; accepted: {', '.join(ACCEPTED)} or a "
            "callable f(y_true, y_pred)")
    if name in ("acc", "accuracy"):
        if output_shape[-1] == 1 or loss_name == "binary_crossentropy":
            return "acc", binary_accuracy
        if loss_name == "sparse_categorical_crossentropy":
            return "acc", sparse_categorical_accuracy
        return "acc", categorical_accuracy
    if name in _BY_NAME:
        return name, _BY_NAME[name]
    return _loss_metric(name)


# Keras 2.1 exports the losses under these names in keras.metrics too
mse = mean_squared_error = losses.mean_squared_error.per_sample
mae = mean_absolute_error = losses.mean_absolute_error.per_sample
