"""Activation functions, each with its derivative written in terms of its output.

Backward passes only keep the activation's *output* y, so every derivative here
is expressed through y (for example sigmoid'(x) = y(1 - y), tanh'(x) = 1 - y^2).

``tanh_form``: sigmoid and tanh are both affine maps of a tanh,
act(x) = b * tanh(a * x) + c, with (a, b, c) = (1/2, 1/2, 1/2) for sigmoid and
(1, 1, 0) for tanh. The recurrent layers use this to compute all four LSTM gates
with a single ``np.tanh`` call per time step.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


class Activation:
    """One activation: ``forward(x)`` and ``backward(y, dy)`` (dy times dy/dx at output y)."""

    name: str = ""
    elementwise: bool = True
    tanh_form: tuple[float, float, float] | None = None

    def forward(self, x: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        raise NotImplementedError

    def derivative(self, y: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """Elementwise dy/dx written in terms of the output y."""
        raise NotImplementedError

    def backward(self, y: np.ndarray, dy: np.ndarray) -> np.ndarray:
        """Gradient with respect to the input, given the output y and upstream dy."""
        return dy * self.derivative(y)

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return self.forward(x)

    def __repr__(self) -> str:
        return f"<activation {self.name}>"


class Linear(Activation):
    """a(x) = x."""

    name = "linear"

    def forward(self, x, out=None):
        if out is None:
            return x.copy()
        np.copyto(out, x)
        return out

    def derivative(self, y, out=None):
        if out is None:
            return np.ones_like(y)
        out.fill(1)
        return out

    def backward(self, y, dy):
        return dy


class Sigmoid(Activation):
    """sigma(x) = 1 / (1 + e^-x) = (tanh(x/2) + 1) / 2;  sigma' = y (1 - y)."""

    name = "sigmoid"
    tanh_form = (0.5, 0.5, 0.5)

    def forward(self, x, out=None):
        out = np.multiply(x, 0.5, out=out)
        np.tanh(out, out=out)
        out *= 0.5
        out += 0.5
        return out

    def derivative(self, y, out=None):
        out = np.subtract(1, y, out=out)
        out *= y
        return out


class Tanh(Activation):
    """tanh(x);  tanh' = 1 - y^2."""

    name = "tanh"
    tanh_form = (1.0, 1.0, 0.0)

    def forward(self, x, out=None):
        return np.tanh(x, out=out)

    def derivative(self, y, out=None):
        out = np.multiply(y, y, out=out)
        np.subtract(1, out, out=out)
        return out


class HardSigmoid(Activation):
    """Keras 2 hard sigmoid: clip(0.2 x + 0.5, 0, 1); slope 0.2 inside (0, 1), else 0."""

    name = "hard_sigmoid"

    def forward(self, x, out=None):
        out = np.multiply(x, 0.2, out=out)
        out += 0.5
        np.clip(out, 0.0, 1.0, out=out)
        return out

    def derivative(self, y, out=None):
        inside = (y > 0) & (y < 1)
        if out is None:
            return inside.astype(y.dtype) * 0.2
        np.multiply(inside, 0.2, out=out)
        return out


class ReLU(Activation):
    """max(x, 0);  derivative 1 where y > 0."""

    name = "relu"

    def forward(self, x, out=None):
        return np.maximum(x, 0, out=out)

    def derivative(self, y, out=None):
        if out is None:
            return (y > 0).astype(y.dtype)
        np.greater(y, 0, out=out)
        return out


class Softplus(Activation):
    """log(1 + e^x);  derivative sigma(x) = 1 - e^-y."""

    name = "softplus"

    def forward(self, x, out=None):
        return np.logaddexp(x, 0, out=out)

    def derivative(self, y, out=None):
        out = np.negative(y, out=out)
        np.exp(out, out=out)
        np.subtract(1, out, out=out)
        return out


class Softmax(Activation):
    """softmax over the last axis; its Jacobian is not diagonal, so only ``backward`` applies."""

    name = "softmax"
    elementwise = False

    def forward(self, x, out=None):
        out = np.subtract(x, x.max(axis=-1, keepdims=True), out=out)
        np.exp(out, out=out)
        out /= out.sum(axis=-1, keepdims=True)
        return out

    def derivative(self, y, out=None):
        raise TypeError("softmax has no elementwise derivative; use backward(y, dy)")

    def backward(self, y, dy):
        # dx = y * (dy - sum(dy * y))
        return y * (dy - (dy * y).sum(axis=-1, keepdims=True))


_REGISTRY: dict[str, Callable[[], Activation]] = {
    cls.name: cls for cls in (Linear, Sigmoid, Tanh, HardSigmoid, ReLU, Softplus, Softmax)
}


def get(identifier: str | Activation | None, argument: str = "activation") -> Activation:
    """Look an activation up by name (``None`` means linear, as in Keras)."""
    if identifier is None:
        return Linear()
    if isinstance(identifier, Activation):
        return identifier
    if isinstance(identifier, str) and identifier in _REGISTRY:
        return _REGISTRY[identifier]()
    raise ValueError(
        f"{argument}={identifier!r} is not a known activation; "
        f"accepted: {', '.join(sorted(_REGISTRY))} or None"
    )


def names() -> list[str]:
    """The names accepted by `get`."""
    return sorted(_REGISTRY)


linear, sigmoid, tanh = Linear(), Sigmoid(), Tanh()
hard_sigmoid, relu, softplus, softmax = HardSigmoid(), ReLU(), Softplus(), Softmax()
