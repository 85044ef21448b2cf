"""The layer contract, after Keras: ``build`` from the input shape, then forward/backward.

A layer owns

* ``params``: its weights by name, in Keras order (``get_weights`` returns them so);
* ``grads``: the gradients of the loss with respect to ``params``, set by ``backward``;
* whatever ``forward`` cached for ``backward`` (named after the math).

Shapes include the batch dimension as ``None``: ``(None, 20, 8)``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import backend
from .. import initializers as inits

Shape = tuple  # (None, d1, d2, ...)


def check_finite(x: np.ndarray, argument: str) -> None:
    """Raise ValueError if a float array holds NaN or inf."""
    if x.dtype.kind == "f" and not np.isfinite(x).all():
        bad = int(np.size(x) - np.count_nonzero(np.isfinite(x)))
        raise ValueError(f"{argument} contains {bad} NaN or infinite value(s); accepted: finite")


def as_float_array(x: Any, dtype: np.dtype, argument: str, finite: bool = False) -> np.ndarray:
    """Turn numeric input into an array of the layer's float type.

    ``finite=True`` also rejects NaN/inf. That check belongs where data enters (``fit``,
    ``predict``, a direct ``layer(x)`` call), not between layers: a value that overflows
    inside the network must reach the loss, where ``fit`` stops training cleanly.
    """
    arr = np.asarray(x)
    if arr.dtype.kind not in "biuf":
        raise TypeError(
            f"{argument} has dtype {arr.dtype}; accepted: a numeric (int or float) array"
        )
    arr = arr.astype(dtype, copy=False)
    if finite:
        check_finite(arr, argument)
    return arr


class Layer:
    """Base class of all layers."""

    supports_masking = False

    def __init__(
        self,
        *,
        name: str | None = None,
        input_shape: tuple | None = None,
        input_dim: int | None = None,
        batch_input_shape: tuple | None = None,
        dtype: Any = None,
        trainable: bool = True,
    ):
        if name is not None and (not isinstance(name, str) or not name):
            raise ValueError(f"name={name!r}; accepted: a non-empty str")
        self.name = name or backend.unique_name(type(self).__name__)
        self.dtype = backend.check_dtype(dtype)
        self.trainable = bool(trainable)
        self.params: dict[str, np.ndarray] = {}
        self.grads: dict[str, Any] = {}
        self.built = False
        self.input_shape: Shape | None = None
        self.output_shape: Shape | None = None
        self.batch_input_shape = self._declared_input_shape(
            input_shape, input_dim, batch_input_shape
        )

    # ---- declared input shape (first layer of a Sequential) -----------------------------
    @staticmethod
    def _declared_input_shape(input_shape, input_dim, batch_input_shape) -> Shape | None:
        if batch_input_shape is not None:
            return tuple(batch_input_shape)
        if input_shape is not None:
            if not isinstance(input_shape, (tuple, list)) or not all(
                d is None or (isinstance(d, (int, np.integer)) and d > 0) for d in input_shape
            ):
                raise ValueError(
                    f"input_shape={input_shape!r}; accepted: a tuple of positive ints "
                    "(without the batch dimension)"
                )
            return (None, *tuple(int(d) if d is not None else None for d in input_shape))
        if input_dim is not None:
            if not isinstance(input_dim, (int, np.integer)) or input_dim <= 0:
                raise ValueError(f"input_dim={input_dim!r}; accepted: a positive int")
            return (None, int(input_dim))
        return None

    # ---- build ------------------------------------------------------------------------
    def build(self, input_shape: Shape) -> None:
        """Create the weights for inputs of ``input_shape``; called once, before forward."""
        self.input_shape = tuple(input_shape)
        self.output_shape = self.compute_output_shape(self.input_shape)
        self.built = True

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        return tuple(input_shape)

    def add_weight(self, name: str, shape: tuple[int, ...], initializer) -> np.ndarray:
        init = inits.get(initializer, f"{name}_initializer")
        value = np.ascontiguousarray(init(tuple(shape), self.dtype, backend.rng()))
        self.params[name] = value
        return value

    # ---- forward / backward -----------------------------------------------------------
    def __call__(self, inputs, mask=None, training: bool = False, **kwargs):
        """Build on first use, check the data for NaN/inf, then ``forward``.

        ``inputs`` is an array, or a list of arrays for a layer that takes several.
        """
        several = isinstance(inputs, (list, tuple))
        arrays = [np.asarray(a) for a in inputs] if several else [np.asarray(inputs)]
        for k, a in enumerate(arrays):
            if a.dtype.kind == "f":
                check_finite(a, f"{self.name} inputs" + (f"[{k}]" if several else ""))
        shapes = [(None,) + tuple(a.shape)[1:] for a in arrays]
        if not self.built:
            self.build(shapes if several else shapes[0])
        return self.forward(arrays if several else arrays[0], mask=mask, training=training,
                            **kwargs)

    def forward(self, inputs, mask=None, training: bool = False):
        raise NotImplementedError

    def backward(self, dout):
        """Given dL/d(output), set ``self.grads`` and return dL/d(input)."""
        raise NotImplementedError

    def compute_mask(self, inputs, mask):
        """The mask passed on to the next layer (None: no mask)."""
        return mask if self.supports_masking else None

    # ---- weights ----------------------------------------------------------------------
    def get_weights(self) -> list[np.ndarray]:
        """Copies of the weights, in Keras order and shapes."""
        return [w.copy() for w in self.params.values()]

    def set_weights(self, weights: list[np.ndarray]) -> None:
        """Set the weights (Keras order and shapes); all are checked before any is written."""
        if not isinstance(weights, (list, tuple)):
            raise TypeError(
                f"weights has type {type(weights).__name__}; accepted: a list of arrays")
        if len(weights) != len(self.params):
            raise ValueError(
                f"weights: layer {self.name!r} expects {len(self.params)} arrays "
                f"({', '.join(self.params)}), got {len(weights)}"
            )
        new = []
        for (pname, cur), w in zip(self.params.items(), weights):
            w = np.asarray(w)
            if w.shape != cur.shape:
                raise ValueError(
                    f"weights: {self.name}/{pname} has shape {cur.shape}, given {w.shape}"
                )
            if w.dtype.kind not in "biuf":
                raise TypeError(
                    f"weights: {self.name}/{pname} has dtype {w.dtype}; accepted: numeric")
            check_finite(w.astype(cur.dtype), f"weights: {self.name}/{pname}")
            new.append(w)
        for cur, w in zip(self.params.values(), new):
            cur[...] = w  # in place: optimizers keep references to the arrays

    def count_params(self) -> int:
        return int(sum(w.size for w in self.params.values()))

    # ---- config -----------------------------------------------------------------------
    def get_config(self) -> dict:
        config = {"name": self.name, "trainable": self.trainable, "dtype": self.dtype.name}
        if self.batch_input_shape is not None:
            config["batch_input_shape"] = list(self.batch_input_shape)
        return config

    @classmethod
    def from_config(cls, config: dict) -> Layer:
        config = dict(config)
        if "batch_input_shape" in config:
            config["batch_input_shape"] = tuple(config["batch_input_shape"])
        return cls(**config)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r} output_shape={self.output_shape}>"
