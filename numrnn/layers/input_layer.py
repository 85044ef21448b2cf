"""``Input``: the entry point of a functional model (Keras 2.1's ``Input``/``InputLayer``)."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import backend
from .base import Layer, Shape, as_float_array

_DTYPES = ("float32", "float64", "int32", "int64")


class InputLayer(Layer):
    """The layer behind `Input`: it holds the input shape and passes data through unchanged.

    ``batch_input_shape`` includes the batch dimension (usually None). ``dtype`` may be a
    float type or ``'int32'``/``'int64'`` (token ids for an Embedding).
    """

    def __init__(self, input_shape: tuple | None = None, batch_size: int | None = None,
                 batch_input_shape: tuple | None = None, dtype: Any = None,
                 name: str | None = None, sparse: bool = False):
        if sparse:
            raise TypeError("InputLayer: the Keras argument 'sparse' is not supported: numrnn "
                            "takes dense arrays")
        if (input_shape is None) == (batch_input_shape is None):
            raise ValueError(f"InputLayer: give exactly one of shape= or batch_shape= (given "
                             f"shape={input_shape!r}, batch_shape={batch_input_shape!r})")
        shape = tuple(batch_input_shape[1:]) if batch_input_shape is not None \
            else input_shape
        if not isinstance(shape, (tuple, list)) or not all(
                d is None or (isinstance(d, (int, np.integer)) and not isinstance(d, bool)
                              and d > 0) for d in shape):
            raise ValueError(f"shape={shape!r}; accepted: a tuple of positive ints or None "
                             "(without the batch dimension), e.g. (20,) or (None, 8)")
        input_dtype = backend.floatx() if dtype is None else np.dtype(dtype).name
        if input_dtype not in _DTYPES:
            raise ValueError(f"dtype={dtype!r}; accepted: {', '.join(_DTYPES)}")
        super().__init__(name=name or backend.unique_name("Input"),
                         batch_input_shape=(batch_input_shape[0] if batch_input_shape
                                            is not None else batch_size, *shape),
                         dtype=input_dtype if input_dtype.startswith("float") else None)
        self.input_dtype = np.dtype(input_dtype)
        self.build(self.batch_input_shape)

    def forward(self, inputs, mask=None, training=False):
        return inputs

    def backward(self, dout):
        return dout

    def check_input(self, x, argument: str = "x") -> np.ndarray:
        """Numeric data whose shape matches (batch, *shape); NaN/inf rejected; floats are cast
        to a float input's dtype, integers are passed on as they are."""
        arr = np.asarray(x)
        if arr.dtype.kind not in "biuf":
            raise TypeError(f"{argument} has dtype {arr.dtype}; accepted: a numeric array")
        if arr.dtype.kind == "f":  # integers stay integers (token ids for an Embedding)
            arr = as_float_array(arr, self.input_dtype if self.input_dtype.kind == "f"
                                 else arr.dtype, argument, finite=True)
        expected = self.batch_input_shape
        if arr.ndim != len(expected) or any(
                e is not None and e != a for e, a in zip(expected[1:], arr.shape[1:])):
            raise ValueError(f"{argument}: shape {arr.shape}; the model expects {expected}")
        return arr

    def get_config(self) -> dict:
        return {"batch_input_shape": list(self.batch_input_shape),
                "dtype": self.input_dtype.name, "name": self.name}

    @classmethod
    def from_config(cls, config: dict) -> InputLayer:
        return cls(batch_input_shape=tuple(config["batch_input_shape"]),
                   dtype=config.get("dtype"), name=config.get("name"))


def Input(shape: Shape | None = None, batch_shape: Shape | None = None, name: str | None = None,
          dtype: Any = None, sparse: bool = False, tensor: Any = None):
    """A symbolic input tensor of ``shape`` (no batch dimension), as Keras' ``Input``.

    ``numrnn.models.Model(inputs, outputs)`` turns the layer calls between it and the
    outputs into a model. ``dtype``: float32 (default, ``floatx()``), float64, or int32/int64
    for token ids.

        x = Input(shape=(None,), dtype='int32')      # sequences of token ids, any length
        h = LSTM(32)(Embedding(1000, 8)(x))
        model = Model(x, Dense(1, activation='sigmoid')(h))
    """
    if tensor is not None:
        raise TypeError("Input: the Keras argument 'tensor' is not supported: numrnn has no "
                        "backend tensors to wrap")
    if shape is not None and not isinstance(shape, (tuple, list)):
        raise TypeError(f"shape={shape!r}; accepted: a tuple such as (20,) or (None, 8)")
    layer = InputLayer(input_shape=None if shape is None else tuple(shape),
                       batch_input_shape=None if batch_shape is None else tuple(batch_shape),
                       dtype=dtype, name=name, sparse=sparse)
    return input_tensor(layer)


def input_tensor(layer: InputLayer):
    """The symbolic tensor an `InputLayer` feeds into the graph (its one node)."""
    from ..engine.network import Node

    node = Node(layer, [], False, 0, {}, [layer.batch_input_shape], False, [False])
    node.output_tensors[0].dtype = layer.input_dtype
    return node.output_tensors[0]
