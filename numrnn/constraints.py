"""Weight constraints with Keras 2.1's names: ``max_norm``, ``non_neg``, ``unit_norm``,
``min_max_norm``.

A constraint object maps weights to projected weights, ``c(w) -> w'``; the model sets
each constrained weight to ``c(w)`` after every optimizer update (Keras 2.1 does the same
inside the update). Norms are taken over ``axis`` (default 0: for a Dense kernel of shape
(input_dim, units), the vector of weights into each unit):

    MaxNorm(m):        w * clip(|w|, 0, m) / (eps + |w|)
    NonNeg():          w * [w >= 0]
    UnitNorm():        w / (eps + |w|)
    MinMaxNorm(a, b, rate): w * (rate * clip(|w|, a, b) + (1 - rate) |w|) / (eps + |w|)

with |w| = sqrt(sum(w^2, axis)) and eps = 1e-7 (Keras' ``K.epsilon()``).
"""

from __future__ import annotations

import numpy as np

from . import backend


def _number(name: str, value, low: float = 0.0) -> float:
    ok = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)
    if not ok or not np.isfinite(value) or value < low:
        raise ValueError(f"{name}={value!r}; accepted: a finite number >= {low}")
    return float(value)


def _axis(axis):
    if isinstance(axis, (int, np.integer)) and not isinstance(axis, bool):
        return int(axis)
    if isinstance(axis, (list, tuple)) and all(isinstance(a, (int, np.integer)) for a in axis):
        return tuple(int(a) for a in axis)
    raise ValueError(f"axis={axis!r}; accepted: an int or a tuple of ints")


def _norms(w: np.ndarray, axis) -> np.ndarray:
    return np.sqrt(np.sum(np.square(w), axis=axis, keepdims=True))


class Constraint:
    """Base class: ``c(w)`` returns the projected weights (a new array)."""

    def __call__(self, w: np.ndarray) -> np.ndarray:
        return np.array(w)

    def get_config(self) -> dict:
        return {}


class MaxNorm(Constraint):
    """Rescale each weight vector whose norm exceeds ``max_value`` to norm ``max_value``."""

    def __init__(self, max_value: float = 2, axis=0):
        self.max_value = _number("max_value", max_value)
        self.axis = _axis(axis)

    def __call__(self, w):
        w = np.asarray(w)
        norms = _norms(w, self.axis)
        desired = np.clip(norms, 0, self.max_value)
        return (w * (desired / (backend.epsilon() + norms))).astype(w.dtype, copy=False)

    def get_config(self):
        return {"max_value": self.max_value, "axis": self.axis}


class NonNeg(Constraint):
    """Set negative weights to zero."""

    def __call__(self, w):
        w = np.asarray(w)
        return w * (w >= 0).astype(w.dtype)


class UnitNorm(Constraint):
    """Rescale each weight vector to norm 1 (up to eps)."""

    def __init__(self, axis=0):
        self.axis = _axis(axis)

    def __call__(self, w):
        w = np.asarray(w)
        return (w / (backend.epsilon() + _norms(w, self.axis))).astype(w.dtype, copy=False)

    def get_config(self):
        return {"axis": self.axis}


class MinMaxNorm(Constraint):
    """Move each weight vector's norm into [min_value, max_value] (fully when rate=1)."""

    def __init__(self, min_value: float = 0.0, max_value: float = 1.0, rate: float = 1.0,
                 axis=0):
        self.min_value = _number("min_value", min_value)
        self.max_value = _number("max_value", max_value)
        if self.max_value < self.min_value:
            raise ValueError(f"max_value={max_value!r} < min_value={min_value!r}; accepted: "
                             "min_value <= max_value")
        self.rate = _number("rate", rate)
        self.axis = _axis(axis)

    def __call__(self, w):
        w = np.asarray(w)
        norms = _norms(w, self.axis)
        desired = (self.rate * np.clip(norms, self.min_value, self.max_value)
                   + (1 - self.rate) * norms)
        return (w * (desired / (backend.epsilon() + norms))).astype(w.dtype, copy=False)

    def get_config(self):
        return {"min_value": self.min_value, "max_value": self.max_value, "rate": self.rate,
                "axis": self.axis}


max_norm = MaxNorm
non_neg = NonNeg
unit_norm = UnitNorm
min_max_norm = MinMaxNorm

_BY_NAME = {"max_norm": MaxNorm, "non_neg": NonNeg, "unit_norm": UnitNorm,
            "min_max_norm": MinMaxNorm, "maxnorm": MaxNorm, "nonneg": NonNeg,
            "unitnorm": UnitNorm, "MaxNorm": MaxNorm, "NonNeg": NonNeg, "UnitNorm": UnitNorm,
            "MinMaxNorm": MinMaxNorm}


def get(identifier, argument: str = "constraint") -> Constraint | None:
    """A constraint from a name, a config dict, an instance or None."""
    if identifier is None or isinstance(identifier, Constraint):
        return identifier
    if isinstance(identifier, str) and identifier in _BY_NAME:
        return _BY_NAME[identifier]()
    if isinstance(identifier, dict) and identifier.get("class_name") in _BY_NAME:
        config = dict(identifier.get("config", {}))
        if isinstance(config.get("axis"), list):
            config["axis"] = tuple(config["axis"])
        return _BY_NAME[identifier["class_name"]](**config)
    raise ValueError(
        f"{argument}={identifier!r} is not a known constraint; accepted: None, "
        f"{', '.join(repr(n) for n in _BY_NAME)}, a config dict or a Constraint instance"
    )


def serialize(constraint: Constraint | None) -> dict | None:
    if constraint is None:
        return None
    return {"class_name": type(constraint).__name__, "config": constraint.get_config()}


def deserialize(config) -> Constraint | None:
    return get(config)
