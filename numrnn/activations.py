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


def _number(name: str, value, low: float | None = None, high: float | None = None) -> float:
    ok = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)
    if not ok or not np.isfinite(value) or (low is not None and value < low) or (
            high is not None and value > high):
        bounds = f" in [{low}, {high}]" if high is not None else (
            f" >= {low}" if low is not None else "")
        raise ValueError(f"{name}={value!r}; accepted: a finite number{bounds}")
    return float(value)


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
        return self.forward(np.asarray(x))

    def get_config(self) -> dict:
        """Arguments of a parametrised activation (empty for the plain ones)."""
        return {}

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
    """Keras 2.1 ``relu(x, alpha=0., max_value=None)``: min(max(alpha x, x), max_value).

    ``alpha`` is the slope for x < 0 (leaky ReLU) and must be in [0, 1], so that the
    derivative can be read from the output y: 1 where y > 0, ``alpha`` where y <= 0
    (Keras 2.1 accepts any alpha; with alpha > 1 or < 0, max(alpha x, x) is no longer a
    leaky ReLU). ``max_value`` caps the output; the derivative is 0 where y reached it.
    """

    name = "relu"

    def __init__(self, alpha: float = 0.0, max_value: float | None = None):
        self.alpha = _number("alpha", alpha, low=0.0, high=1.0)
        self.max_value = None if max_value is None else _number("max_value", max_value)

    def forward(self, x, out=None):
        if self.alpha:
            out = np.maximum(x, self.alpha * x, out=out)
        else:
            out = np.maximum(x, 0, out=out)
        if self.max_value is not None:
            np.minimum(out, self.max_value, out=out)
        return out

    def derivative(self, y, out=None):
        if out is None:
            out = np.empty_like(y)
        np.greater(y, 0, out=out)
        if self.alpha:
            out *= 1 - self.alpha
            out += self.alpha
        if self.max_value is not None:
            out[y >= self.max_value] = 0
        return out

    def __call__(self, x, alpha: float | None = None, max_value: float | None = None):
        if alpha is None and max_value is None:
            return self.forward(np.asarray(x))
        return ReLU(self.alpha if alpha is None else alpha,
                    self.max_value if max_value is None else max_value).forward(np.asarray(x))

    def get_config(self) -> dict:
        return {"alpha": self.alpha, "max_value": self.max_value}


class ELU(Activation):
    """x for x > 0, alpha (e^x - 1) otherwise;  derivative 1 for y > 0, y + alpha otherwise."""

    name = "elu"

    def __init__(self, alpha: float = 1.0):
        self.alpha = _number("alpha", alpha, low=0.0)

    def forward(self, x, out=None):
        result = np.where(x > 0, x, self.alpha * np.expm1(np.minimum(x, 0)))
        if out is None:
            return result.astype(x.dtype, copy=False)
        np.copyto(out, result)
        return out

    def derivative(self, y, out=None):
        result = np.where(y > 0, 1.0, y + self.alpha).astype(y.dtype, copy=False)
        if out is None:
            return result
        np.copyto(out, result)
        return out

    def __call__(self, x, alpha: float | None = None):
        return (self if alpha is None else ELU(alpha)).forward(np.asarray(x))

    def get_config(self) -> dict:
        return {"alpha": self.alpha}


class SELU(Activation):
    """scale * elu(x, alpha) with Keras' constants alpha = 1.67326..., scale = 1.05070...;
    derivative scale for y > 0, y + scale alpha otherwise."""

    name = "selu"
    alpha = 1.6732632423543772848170429916717
    scale = 1.0507009873554804934193349852946

    def forward(self, x, out=None):
        result = self.scale * np.where(x > 0, x, self.alpha * np.expm1(np.minimum(x, 0)))
        if out is None:
            return result.astype(x.dtype, copy=False)
        np.copyto(out, result)
        return out

    def derivative(self, y, out=None):
        result = np.where(y > 0, self.scale, y + self.scale * self.alpha).astype(y.dtype,
                                                                              copy=False)
        if out is None:
            return result
        np.copyto(out, result)
        return out


class Softsign(Activation):
    """x / (1 + |x|);  derivative 1 / (1 + |x|)^2 = (1 - |y|)^2."""

    name = "softsign"

    def forward(self, x, out=None):
        result = x / (1 + np.abs(x))
        if out is None:
            return result
        np.copyto(out, result)
        return out

    def derivative(self, y, out=None):
        out = np.abs(y, out=out)
        np.subtract(1, out, out=out)
        np.square(out, out=out)
        return out


class HardSigmoidKeras3(Activation):
    """Keras 3's ``hard_sigmoid``: clip(x / 6 + 1/2, 0, 1); slope 1/6 inside (0, 1), else 0.

    Registered as ``'hard_sigmoid_keras3'``: the name ``'hard_sigmoid'`` stays Keras 2.1's
    clip(0.2 x + 0.5, 0, 1), which the 2.1 LSTM/GRU gates use.
    """

    name = "hard_sigmoid_keras3"

    def forward(self, x, out=None):
        out = np.multiply(x, 1.0 / 6.0, out=out)
        out += 0.5
        np.clip(out, 0.0, 1.0, out=out)
        return out

    def derivative(self, y, out=None):
        inside = (y > 0) & (y < 1)
        if out is None:
            return inside.astype(y.dtype) / 6.0
        np.multiply(inside, 1.0 / 6.0, out=out)
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


_REGISTRY: dict[str, Callable[..., Activation]] = {
    cls.name: cls for cls in (Linear, Sigmoid, Tanh, HardSigmoid, ReLU, Softplus, Softmax, ELU,
                              SELU, Softsign, HardSigmoidKeras3)
}


def get(identifier: str | dict | Activation | None,
        argument: str = "activation") -> Activation:
    """Look an activation up by name (``None`` means linear, as in Keras).

    Also accepted: an `Activation` instance (e.g. ``ReLU(alpha=0.1, max_value=6)``) and the
    dict `serialize` writes for a parametrised one.
    """
    if identifier is None:
        return Linear()
    if isinstance(identifier, Activation):
        return identifier
    if isinstance(identifier, str) and identifier in _REGISTRY:
        return _REGISTRY[identifier]()
    if isinstance(identifier, dict) and identifier.get("class_name") in _REGISTRY:
        return _REGISTRY[identifier["class_name"]](**identifier.get("config", {}))
    raise ValueError(
        f"{argument}={identifier!r} is not a known activation; "
        f"accepted: {', '.join(sorted(_REGISTRY))}, None or an Activation instance"
    )


def serialize(activation: Activation) -> str | dict:
    """The name, or ``{"class_name": name, "config": {...}}`` when it has arguments."""
    config = activation.get_config()
    defaults = _REGISTRY[activation.name]().get_config() if activation.name in _REGISTRY else {}
    if not config or config == defaults:
        return activation.name
    return {"class_name": activation.name, "config": config}


def names() -> list[str]:
    """The names accepted by `get`."""
    return sorted(_REGISTRY)


linear, sigmoid, tanh = Linear(), Sigmoid(), Tanh()
hard_sigmoid, relu, softplus, softmax = HardSigmoid(), ReLU(), Softplus(), Softmax()
elu, selu, softsign, hard_sigmoid_keras3 = ELU(), SELU(), Softsign(), HardSigmoidKeras3()
