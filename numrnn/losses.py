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

    def check_targets(self, y_true):
        """Targets are probability rows: entries >= 0 summing to 1 (one-hot, or soft labels).

        A row of zeros is accepted too: sequence targets pad masked steps that way, and such
        a row adds 0 to the loss.
        """
        super().check_targets(y_true)
        y = np.asarray(y_true, dtype=np.float64)
        if not y.size:
            return
        if y.min() < 0:
            where = np.unravel_index(np.argmin(y), y.shape)
            raise ValueError(
                f"y (targets) has a negative value {y[where]} at index {tuple(map(int, where))}; "
                "accepted for categorical_crossentropy: one-hot or probability rows (>= 0, "
                "summing to 1); for integer class ids use sparse_categorical_crossentropy"
            )
        sums = y.sum(axis=-1)
        bad = (np.abs(sums - 1) > 1e-3) & (sums != 0)
        if bad.any():
            where = tuple(int(i) for i in np.argwhere(bad)[0])
            raise ValueError(
                f"y (targets) row {where} sums to {sums[where]:.6g}; accepted for "
                "categorical_crossentropy: one-hot or probability rows summing to 1 (or all "
                "zeros for a padded step)"
            )

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


def _n_samples(y_pred: np.ndarray) -> int:
    """How many per-sample losses are averaged (every axis but the last)."""
    return int(np.prod(y_pred.shape[:-1]))


class MeanAbsoluteError(Loss):
    """L = mean_k |p_k - y_k|;  dL/dp = sign(p - y) / K."""

    name = "mean_absolute_error"

    def per_sample(self, y_true, y_pred):
        y = _check_targets(y_true, y_pred, self.name)
        return np.mean(np.abs(y_pred - y), axis=-1)

    def gradient(self, y_true, y_pred):
        y = _check_targets(y_true, y_pred, self.name)
        return np.sign(y_pred - y) / y_pred.size


class MeanAbsolutePercentageError(Loss):
    """L = 100 mean_k |(y_k - p_k) / max(|y_k|, eps)|;
    dL/dp = 100 sign(p - y) / (K max(|y|, eps))."""

    name = "mean_absolute_percentage_error"

    def per_sample(self, y_true, y_pred):
        y = _check_targets(y_true, y_pred, self.name)
        return 100.0 * np.mean(np.abs((y - y_pred) / np.maximum(np.abs(y), _EPS)), axis=-1)

    def gradient(self, y_true, y_pred):
        y = _check_targets(y_true, y_pred, self.name)
        return 100.0 * np.sign(y_pred - y) / np.maximum(np.abs(y), _EPS) / y_pred.size


class MeanSquaredLogarithmicError(Loss):
    """L = mean_k (log(max(p, eps) + 1) - log(max(y, eps) + 1))^2; no gradient where p < eps."""

    name = "mean_squared_logarithmic_error"

    def per_sample(self, y_true, y_pred):
        y = _check_targets(y_true, y_pred, self.name)
        diff = np.log1p(np.maximum(y_pred, _EPS)) - np.log1p(np.maximum(y, _EPS))
        return np.mean(diff ** 2, axis=-1)

    def gradient(self, y_true, y_pred):
        y = _check_targets(y_true, y_pred, self.name)
        p = np.maximum(y_pred, _EPS)
        diff = np.log1p(p) - np.log1p(np.maximum(y, _EPS))
        grad = 2 * diff / (p + 1)
        grad[y_pred < _EPS] = 0  # the clip blocks the gradient
        return grad / y_pred.size


class Hinge(Loss):
    """L = mean_k max(1 - y_k p_k, 0), targets in {-1, 1};  dL/dp = -y [1 - y p >= 0] / K."""

    name = "hinge"

    def per_sample(self, y_true, y_pred):
        y = _check_targets(y_true, y_pred, self.name)
        return np.mean(np.maximum(1 - y * y_pred, 0), axis=-1)

    def gradient(self, y_true, y_pred):
        y = _check_targets(y_true, y_pred, self.name)
        return np.where(1 - y * y_pred >= 0, -y, 0) / y_pred.size


class SquaredHinge(Loss):
    """L = mean_k max(1 - y_k p_k, 0)^2;  dL/dp = -2 y max(1 - y p, 0) / K."""

    name = "squared_hinge"

    def per_sample(self, y_true, y_pred):
        y = _check_targets(y_true, y_pred, self.name)
        return np.mean(np.maximum(1 - y * y_pred, 0) ** 2, axis=-1)

    def gradient(self, y_true, y_pred):
        y = _check_targets(y_true, y_pred, self.name)
        return -2 * y * np.maximum(1 - y * y_pred, 0) / y_pred.size


class CategoricalHinge(Loss):
    """L = max(0, max_k (1 - y_k) p_k - sum_k y_k p_k + 1) (one-hot y).

    Where L > 0: dL/dp = onehot(argmax of (1 - y) p) - y; a tie for the max shares the
    gradient equally, as TF's reduce_max does.
    """

    name = "categorical_hinge"

    def per_sample(self, y_true, y_pred):
        y = _check_targets(y_true, y_pred, self.name)
        pos = np.sum(y * y_pred, axis=-1)
        neg = np.max((1 - y) * y_pred, axis=-1)
        return np.maximum(0, neg - pos + 1)

    def gradient(self, y_true, y_pred):
        y = _check_targets(y_true, y_pred, self.name)
        other = (1 - y) * y_pred
        neg = other.max(axis=-1, keepdims=True)
        pos = np.sum(y * y_pred, axis=-1, keepdims=True)
        top = (other == neg).astype(y_pred.dtype)
        d_neg = top * (1 - y) / top.sum(axis=-1, keepdims=True)
        active = (neg - pos + 1) > 0
        return np.where(active, d_neg - y, 0) / _n_samples(y_pred)


class LogCosh(Loss):
    """L = mean_k log(cosh(p_k - y_k)), computed as x + softplus(-2x) - log 2;
    dL/dp = tanh(p - y) / K."""

    name = "logcosh"

    def per_sample(self, y_true, y_pred):
        y = _check_targets(y_true, y_pred, self.name)
        x = y_pred - y
        return np.mean(x + np.logaddexp(0, -2 * x) - np.log(2), axis=-1)

    def gradient(self, y_true, y_pred):
        y = _check_targets(y_true, y_pred, self.name)
        return np.tanh(y_pred - y) / y_pred.size


class KullbackLeiblerDivergence(Loss):
    """L = sum_k y_k log(y_k / p_k), y and p clipped to [eps, 1];  dL/dp = -y / p inside
    the clip range, 0 outside."""

    name = "kullback_leibler_divergence"

    def per_sample(self, y_true, y_pred):
        y = np.clip(_check_targets(y_true, y_pred, self.name), _EPS, 1)
        p = np.clip(y_pred, _EPS, 1)
        return np.sum(y * np.log(y / p), axis=-1)

    def gradient(self, y_true, y_pred):
        y = np.clip(_check_targets(y_true, y_pred, self.name), _EPS, 1)
        p = np.clip(y_pred, _EPS, 1)
        grad = -y / p
        grad[(y_pred < _EPS) | (y_pred > 1)] = 0
        return grad / _n_samples(y_pred)


class Poisson(Loss):
    """L = mean_k (p_k - y_k log(p_k + eps));  dL/dp = (1 - y / (p + eps)) / K."""

    name = "poisson"

    def per_sample(self, y_true, y_pred):
        y = _check_targets(y_true, y_pred, self.name)
        return np.mean(y_pred - y * np.log(y_pred + _EPS), axis=-1)

    def gradient(self, y_true, y_pred):
        y = _check_targets(y_true, y_pred, self.name)
        return (1 - y / (y_pred + _EPS)) / y_pred.size


class CosineProximity(Loss):
    """L = -sum_k yn_k pn_k with v_n = v / sqrt(max(sum v^2, 1e-12)) (TF's l2_normalize).

    dL/dp = -(yn - pn (pn . yn)) / |p|  (and -yn / 1e-6 where sum p^2 < 1e-12).
    """

    name = "cosine_proximity"
    _NORM_EPS = 1e-12

    def _normalise(self, v):
        norm = np.sqrt(np.maximum(np.sum(v * v, axis=-1, keepdims=True), self._NORM_EPS))
        return v / norm, norm

    def per_sample(self, y_true, y_pred):
        y = _check_targets(y_true, y_pred, self.name)
        return -np.sum(self._normalise(y)[0] * self._normalise(y_pred)[0], axis=-1)

    def gradient(self, y_true, y_pred):
        y = _check_targets(y_true, y_pred, self.name)
        yn = self._normalise(y)[0]
        pn, norm = self._normalise(y_pred)
        tiny = np.sum(y_pred * y_pred, axis=-1, keepdims=True) < self._NORM_EPS
        along = np.where(tiny, 0, pn * np.sum(pn * yn, axis=-1, keepdims=True))
        return -(yn - along) / norm / _n_samples(y_pred)


class CallableLoss(Loss):
    """A loss given as a function ``fn(y_true, y_pred)`` returning one value per sample
    (shape ``y_pred.shape[:-1]``; or per entry, ``y_pred.shape``, then averaged over the
    last axis, as Keras' mean over all entries would).

    Its gradient, in this order of preference:

    1. ``gradient=`` (or an attribute ``fn.gradient``): a function ``g(y_true, y_pred)``
       returning d(per-sample loss)/d(y_pred), shape ``y_pred.shape``. Exact and fast.
    2. Otherwise central differences in float64, one output column at a time:
       ``(f(p + h e_k) - f(p - h e_k)) / 2h`` with ``h = 1e-5 max(1, |p|)``. This needs
       2K calls of ``fn`` per batch for K outputs, and relies on the loss of a sample
       depending only on that sample's row (true of every Keras loss). For a smooth loss
       the error is ~1e-9 relative, far below what training notices; at a kink (|x|,
       max) it gives the average of the two one-sided slopes. A function that returns
       NaN/inf, or not one value per sample, is refused with a ValueError.
    """

    def __init__(self, fn, gradient=None, name: str | None = None):
        if not callable(fn):
            raise TypeError(f"loss={fn!r}; accepted: a name or a callable f(y_true, y_pred)")
        gradient = gradient if gradient is not None else getattr(fn, "gradient", None)
        if gradient is not None and not callable(gradient):
            raise TypeError(f"gradient={gradient!r}; accepted: a callable g(y_true, y_pred)")
        self.fn, self.grad_fn = fn, gradient
        self.name = name or getattr(fn, "__name__", type(fn).__name__)

    def _call(self, y, y_pred) -> np.ndarray:
        out = np.asarray(self.fn(y, y_pred), dtype=np.float64)
        if out.shape == y_pred.shape:
            out = out.mean(axis=-1)
        if out.shape != y_pred.shape[:-1]:
            raise ValueError(
                f"loss {self.name!r} returned shape {out.shape}; accepted: one value per "
                f"sample, shape {y_pred.shape[:-1]} (or {y_pred.shape}, averaged over the "
                "last axis)"
            )
        return out

    def per_sample(self, y_true, y_pred):
        y = _check_targets(y_true, y_pred, self.name)
        return self._call(y, y_pred).astype(y_pred.dtype)

    def gradient(self, y_true, y_pred):
        y = _check_targets(y_true, y_pred, self.name)
        if self.grad_fn is not None:
            grad = np.asarray(self.grad_fn(y, y_pred))
            if grad.shape != y_pred.shape:
                raise ValueError(f"gradient of loss {self.name!r} has shape {grad.shape}; "
                                 f"accepted: {y_pred.shape} (d loss / d y_pred)")
            return (grad / _n_samples(y_pred)).astype(y_pred.dtype)
        p = y_pred.astype(np.float64)
        y64 = y.astype(np.float64)
        grad = np.empty_like(p)
        for k in range(p.shape[-1]):
            h = 1e-5 * np.maximum(1.0, np.abs(p[..., k]))
            plus, minus = p.copy(), p.copy()
            plus[..., k] += h
            minus[..., k] -= h
            grad[..., k] = (self._call(y64, plus) - self._call(y64, minus)) / (2 * h)
        if not np.isfinite(grad).all():
            raise ValueError(f"loss {self.name!r}: its numerical gradient is not finite; give "
                             "CallableLoss(fn, gradient=...) or keep the loss finite near y_pred")
        return (grad / _n_samples(y_pred)).astype(y_pred.dtype)


_REGISTRY = {
    cls.name: cls
    for cls in (BinaryCrossentropy, CategoricalCrossentropy, SparseCategoricalCrossentropy,
                MeanSquaredError, MeanAbsoluteError, MeanAbsolutePercentageError,
                MeanSquaredLogarithmicError, Hinge, SquaredHinge, CategoricalHinge, LogCosh,
                KullbackLeiblerDivergence, Poisson, CosineProximity)
}
_ALIASES = {"mse": "mean_squared_error", "MSE": "mean_squared_error",
            "mae": "mean_absolute_error", "MAE": "mean_absolute_error",
            "mape": "mean_absolute_percentage_error", "MAPE": "mean_absolute_percentage_error",
            "msle": "mean_squared_logarithmic_error", "MSLE": "mean_squared_logarithmic_error",
            "kld": "kullback_leibler_divergence", "KLD": "kullback_leibler_divergence",
            "cosine": "cosine_proximity"}
for _alias, _name in _ALIASES.items():
    _REGISTRY[_alias] = _REGISTRY[_name]


def get(identifier) -> Loss:
    """A loss from its Keras 2.1 name (or alias: ``'mae'``, ``'kld'``, ...), a `Loss`
    instance, or a callable ``f(y_true, y_pred)`` (wrapped in `CallableLoss`)."""
    if isinstance(identifier, Loss):
        return identifier
    if isinstance(identifier, str) and identifier in _REGISTRY:
        return _REGISTRY[identifier]()
    if callable(identifier) and not isinstance(identifier, str):
        return CallableLoss(identifier)
    raise ValueError(
        f"loss={identifier!r} is not a known loss; accepted: {', '.join(sorted(_REGISTRY))}, "
        "or a callable f(y_true, y_pred)"
    )


binary_crossentropy = BinaryCrossentropy()
categorical_crossentropy = CategoricalCrossentropy()
sparse_categorical_crossentropy = SparseCategoricalCrossentropy()
mean_squared_error = mse = MSE = MeanSquaredError()
mean_absolute_error = mae = MAE = MeanAbsoluteError()
mean_absolute_percentage_error = mape = MAPE = MeanAbsolutePercentageError()
mean_squared_logarithmic_error = msle = MSLE = MeanSquaredLogarithmicError()
hinge, squared_hinge, categorical_hinge = Hinge(), SquaredHinge(), CategoricalHinge()
logcosh = LogCosh()
kullback_leibler_divergence = kld = KLD = KullbackLeiblerDivergence()
poisson = Poisson()
cosine_proximity = cosine = CosineProximity()
