"""Losses with Keras 2.1 semantics.

Each loss gives ``per_sample(y_true, y_pred)`` (the loss of every sample, or of every
time step for sequence outputs) and ``gradient(y_true, y_pred)``, the gradient of
their *mean* with respect to y_pred. Predictions are clipped to [eps, 1 - eps]
(eps = 1e-7) before any log; where the clip is active the gradient is 0, as in Keras.
"""

from __future__ import annotations

import numpy as np

from . import backend

_EPS = backend.epsilon()


def _check_targets(y_true: np.ndarray, y_pred: np.ndarray, name: str) -> np.ndarray:
    y = np.asarray(y_true)
    if y.dtype.kind not in "biuf":
        raise TypeError(f"y (targets) has dtype {y.dtype}; accepted: numeric")
    y = y.astype(y_pred.dtype, copy=False)
    if y.ndim == y_pred.ndim - 1:
        y = y[..., None]
    if y.shape != y_pred.shape:
        raise ValueError(
            f"y (targets) has shape {np.shape(y_true)}, but the model outputs {y_pred.shape} "
            f"for loss {name!r}"
        )
    return y


class Loss:
    name = ""

    def check_targets(self, y_true: np.ndarray) -> None:
        """Raise if targets are invalid for this loss (called once per fit, on all of y)."""
        y = np.asarray(y_true)
        if y.dtype.kind not in "biuf":
            raise TypeError(f"y (targets) has dtype {y.dtype}; accepted: numeric")
        if y.dtype.kind == "f" and not np.isfinite(y).all():
            raise ValueError("y (targets) contains NaN or infinite values; accepted: finite")

    def per_sample(self, y_true, y_pred) -> np.ndarray:
        raise NotImplementedError

    def __call__(self, y_true, y_pred) -> float:
        return float(np.mean(self.per_sample(y_true, y_pred)))

    def gradient(self, y_true, y_pred) -> np.ndarray:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"<loss {self.name}>"


class BinaryCrossentropy(Loss):
    """L = -[y log p + (1 - y) log(1 - p)],  p clipped to [eps, 1 - eps]."""

    name = "binary_crossentropy"

    def check_targets(self, y_true):
        super().check_targets(y_true)
        y = np.asarray(y_true)
        if y.size and (y.min() < 0 or y.max() > 1):
            raise ValueError(
                f"y (targets) has values in [{y.min()}, {y.max()}]; accepted for "
                "binary_crossentropy: values in [0, 1]"
            )

    def per_sample(self, y_true, y_pred):
        y = _check_targets(y_true, y_pred, self.name)
        p = np.clip(y_pred, _EPS, 1 - _EPS)
        loss = -(y * np.log(p) + (1 - y) * np.log1p(-p))
        return loss.mean(axis=-1)

    def gradient(self, y_true, y_pred):
        y = _check_targets(y_true, y_pred, self.name)
        p = np.clip(y_pred, _EPS, 1 - _EPS)
        grad = (p - y) / (p * (1 - p))
        grad[(y_pred < _EPS) | (y_pred > 1 - _EPS)] = 0  # the clip blocks the gradient
        return grad / y_pred.size

    def gradient_through_sigmoid(self, y_true, y_pred):
        """dL/dz for p = sigmoid(z): (p - y) / N, stable where p is near 0 or 1."""
        y = _check_targets(y_true, y_pred, self.name)
        grad = y_pred - y
        grad[(y_pred < _EPS) | (y_pred > 1 - _EPS)] = 0
        return grad / y_pred.size


class CategoricalCrossentropy(Loss):
    """L = -sum_k y_k log q_k, with q = p / sum(p) clipped to [eps, 1 - eps]."""

    name = "categorical_crossentropy"

    def per_sample(self, y_true, y_pred):
        y = _check_targets(y_true, y_pred, self.name)
        q = np.clip(y_pred / y_pred.sum(axis=-1, keepdims=True), _EPS, 1 - _EPS)
        return -(y * np.log(q)).sum(axis=-1)

    def gradient(self, y_true, y_pred):
        y = _check_targets(y_true, y_pred, self.name)
        s = y_pred.sum(axis=-1, keepdims=True)
        q = y_pred / s
        dq = np.where((q < _EPS) | (q > 1 - _EPS), 0, -y / np.clip(q, _EPS, 1 - _EPS))
        # q = p / s:  dL/dp_j = (dq_j - sum_k dq_k q_k) / s
        grad = (dq - (dq * q).sum(axis=-1, keepdims=True)) / s
        return grad / np.prod(y_pred.shape[:-1])


class SparseCategoricalCrossentropy(Loss):
    """Categorical cross-entropy with integer class ids as targets: L = -log q_y."""

    name = "sparse_categorical_crossentropy"

    def check_targets(self, y_true):
        y = np.asarray(y_true)
        if y.dtype.kind == "f":
            if not np.isfinite(y).all() or not np.array_equal(y, np.floor(y)):
                raise TypeError(
                    "y (targets): sparse_categorical_crossentropy needs integer class ids")
        elif y.dtype.kind not in "iu":
            raise TypeError(f"y (targets) has dtype {y.dtype}; accepted: integer class ids")
        if y.size and y.min() < 0:
            raise ValueError(f"y (targets) has class id {y.min()}; accepted: ids >= 0")

    def _ids(self, y_true, y_pred):
        ids = np.asarray(y_true)
        if ids.ndim == y_pred.ndim and ids.shape[-1] == 1:
            ids = ids[..., 0]
        if ids.shape != y_pred.shape[:-1]:
            raise ValueError(
                f"y (targets) has shape {np.shape(y_true)}; accepted: class ids of shape "
                f"{y_pred.shape[:-1]}"
            )
        ids = ids.astype(np.int64)
        if ids.size and ids.max() >= y_pred.shape[-1]:
            raise ValueError(
                f"y (targets) has class id {ids.max()}; accepted: ids < {y_pred.shape[-1]}"
            )
        return ids

    def per_sample(self, y_true, y_pred):
        ids = self._ids(y_true, y_pred)
        p = np.clip(y_pred, _EPS, 1 - _EPS)
        picked = np.take_along_axis(p, ids[..., None], axis=-1)[..., 0]
        return -np.log(picked) + np.log(p.sum(axis=-1))

    def gradient(self, y_true, y_pred):
        ids = self._ids(y_true, y_pred)
        p = np.clip(y_pred, _EPS, 1 - _EPS)
        grad = np.broadcast_to(1 / p.sum(axis=-1, keepdims=True), p.shape).copy()
        picked = np.take_along_axis(p, ids[..., None], axis=-1)
        np.put_along_axis(grad, ids[..., None],
                          np.take_along_axis(grad, ids[..., None], axis=-1) - 1 / picked, axis=-1)
        grad[(y_pred < _EPS) | (y_pred > 1 - _EPS)] = 0
        return grad / np.prod(y_pred.shape[:-1])


class MeanSquaredError(Loss):
    """L = mean_k (p_k - y_k)^2."""

    name = "mean_squared_error"

    def per_sample(self, y_true, y_pred):
        y = _check_targets(y_true, y_pred, self.name)
        return np.mean((y_pred - y) ** 2, axis=-1)

    def gradient(self, y_true, y_pred):
        y = _check_targets(y_true, y_pred, self.name)
        return 2 * (y_pred - y) / y_pred.size


_REGISTRY = {
    cls.name: cls
    for cls in (BinaryCrossentropy, CategoricalCrossentropy, SparseCategoricalCrossentropy,
                MeanSquaredError)
}
_REGISTRY["mse"] = MeanSquaredError


def get(identifier: str | Loss) -> Loss:
    """Look a loss up by its Keras name."""
    if isinstance(identifier, Loss):
        return identifier
    if isinstance(identifier, str) and identifier in _REGISTRY:
        return _REGISTRY[identifier]()
    raise ValueError(
        f"loss={identifier!r} is not a known loss; accepted: {', '.join(sorted(_REGISTRY))}"
    )


binary_crossentropy = BinaryCrossentropy()
categorical_crossentropy = CategoricalCrossentropy()
sparse_categorical_crossentropy = SparseCategoricalCrossentropy()
mean_squared_error = mse = MeanSquaredError()
