"""Weight and activity penalties with Keras 2.1's names: ``l1``, ``l2``, ``l1_l2``.

A regularizer object adds ``penalty(w)`` to the training loss and its gradient to the
weight's gradient:

    L1L2(l1, l2)(w) = l1 * sum(|w|) + l2 * sum(w^2)
    gradient        = l1 * sign(w) + 2 * l2 * w         (sign(0) = 0, as TF's |.|')

``get(...)`` takes a name (``'l1'``, ``'l2'``, ``'l1_l2'``, default factor 0.01 as in
Keras), a ``{"class_name": "L1L2", "config": {...}}`` dict, an instance, or ``None``.
Layers pass the objects to ``add_weight(..., regularizer=...)``; the model adds the
penalties to the loss it reports, as Keras 2.1 does.
"""

from __future__ import annotations

import numpy as np


def _factor(name: str, value) -> float:
    ok = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)
    if not ok or not np.isfinite(value) or value < 0:
        raise ValueError(f"{name}={value!r}; accepted: a finite number >= 0")
    return float(value)


class Regularizer:
    """Base class: ``reg(w) -> float`` (the penalty) and ``reg.gradient(w) -> array``."""

    def __call__(self, w: np.ndarray) -> float:
        return 0.0

    def gradient(self, w: np.ndarray) -> np.ndarray:
        return np.zeros_like(w)

    def get_config(self) -> dict:
        return {}

    @classmethod
    def from_config(cls, config: dict) -> Regularizer:
        return cls(**config)


class L1L2(Regularizer):
    """``l1 * sum(|w|) + l2 * sum(w^2)``; gradient ``l1 * sign(w) + 2 * l2 * w``."""

    def __init__(self, l1: float = 0.0, l2: float = 0.0):
        self.l1 = _factor("l1", l1)
        self.l2 = _factor("l2", l2)

    def __call__(self, w):
        w = np.asarray(w)
        penalty = 0.0
        if self.l1:
            penalty += self.l1 * float(np.sum(np.abs(w), dtype=np.float64))
        if self.l2:
            penalty += self.l2 * float(np.sum(np.square(w, dtype=np.float64)))
        return penalty

    def gradient(self, w):
        w = np.asarray(w)
        grad = np.zeros_like(w)
        if self.l1:
            grad += (self.l1 * np.sign(w)).astype(w.dtype, copy=False)
        if self.l2:
            grad += (2 * self.l2 * w).astype(w.dtype, copy=False)
        return grad

    def get_config(self):
        return {"l1": self.l1, "l2": self.l2}

    def __repr__(self) -> str:
        return f"L1L2(l1={self.l1}, l2={self.l2})"


def l1(l: float = 0.01) -> L1L2:  # noqa: E741 (Keras' argument name)
    """``l * sum(|w|)``."""
    return L1L2(l1=l)


def l2(l: float = 0.01) -> L1L2:  # noqa: E741
    """``l * sum(w^2)``."""
    return L1L2(l2=l)


def l1_l2(l1: float = 0.01, l2: float = 0.01) -> L1L2:
    """``l1 * sum(|w|) + l2 * sum(w^2)``."""
    return L1L2(l1=l1, l2=l2)


_BY_NAME = {"l1": l1, "l2": l2, "l1_l2": l1_l2, "L1L2": L1L2}


def get(identifier, argument: str = "regularizer") -> Regularizer | None:
    """A regularizer from a name, a config dict, an instance or None."""
    if identifier is None or isinstance(identifier, Regularizer):
        return identifier
    if isinstance(identifier, str) and identifier in _BY_NAME:
        return _BY_NAME[identifier]()
    if isinstance(identifier, dict) and identifier.get("class_name") in _BY_NAME:
        return _BY_NAME[identifier["class_name"]](**identifier.get("config", {}))
    raise ValueError(
        f"{argument}={identifier!r} is not a known regularizer; accepted: None, "
        f"{', '.join(repr(n) for n in _BY_NAME)}, a config dict or a Regularizer instance"
    )


def serialize(regularizer: Regularizer | None) -> dict | None:
    if regularizer is None:
        return None
    return {"class_name": type(regularizer).__name__, "config": regularizer.get_config()}


def deserialize(config) -> Regularizer | None:
    return get(config)
