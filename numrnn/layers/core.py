"""Dense and Flatten."""

from __future__ import annotations

import numpy as np

from .. import activations
from .. import initializers as inits
from .base import Layer, Shape, as_float_array


class Dense(Layer):
    """Fully connected layer: ``y = act(x W + b)``.

    x: (B, ..., D) -> y: (B, ..., units); on 3-D input it is applied at every time step.
    Weights: ``kernel`` W (D, units), ``bias`` b (units,).
    Backward: dz = dy * act'(y);  dW = x^T dz;  db = sum(dz);  dx = dz W^T.
    """

    supports_masking = True

    def __init__(
        self,
        units: int,
        activation: str | None = None,
        use_bias: bool = True,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        **kwargs,
    ):
        if not isinstance(units, (int, np.integer)) or isinstance(units, bool) or units <= 0:
            raise ValueError(f"units={units!r}; accepted: a positive int")
        self.units = int(units)
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = inits.get(kernel_initializer, "kernel_initializer")
        self.bias_initializer = inits.get(bias_initializer, "bias_initializer")
        super().__init__(**kwargs)

    def build(self, input_shape: Shape) -> None:
        if len(input_shape) < 2 or input_shape[-1] is None:
            raise ValueError(
                f"{self.name}: input shape {input_shape}; accepted: rank >= 2 with a known last "
                "dimension"
            )
        self.add_weight("kernel", (input_shape[-1], self.units), self.kernel_initializer)
        if self.use_bias:
            self.add_weight("bias", (self.units,), self.bias_initializer)
        super().build(input_shape)

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        return (*tuple(input_shape[:-1]), self.units)

    def forward(self, inputs, mask=None, training=False):
        x = as_float_array(inputs, self.dtype, f"{self.name} inputs")
        kernel = self.params["kernel"]
        if x.ndim < 2 or x.shape[-1] != kernel.shape[0]:
            raise ValueError(
                f"{self.name} inputs: shape {x.shape}; accepted: (batch, ..., {kernel.shape[0]})"
            )
        z = x.reshape(-1, kernel.shape[0]) @ kernel
        if self.use_bias:
            z += self.params["bias"]
        y = self.activation.forward(z, out=z)
        self.x, self.y = x, y.reshape(*x.shape[:-1], self.units)
        return self.y

    def backward(self, dout):
        dz = self.activation.backward(self.y, dout)
        return self.backward_from_preactivation(dz)

    def backward_from_preactivation(self, dz: np.ndarray) -> np.ndarray:
        """Backward given dL/dz for z = x W + b (used when a loss is fused with the activation)."""
        kernel = self.params["kernel"]
        dz2 = dz.reshape(-1, self.units)
        x2 = self.x.reshape(-1, kernel.shape[0])
        self.grads["kernel"] = x2.T @ dz2
        if self.use_bias:
            self.grads["bias"] = dz2.sum(axis=0)
        return (dz2 @ kernel.T).reshape(self.x.shape)

    def get_config(self):
        return {
            **super().get_config(),
            "units": self.units,
            "activation": self.activation.name,
            "use_bias": self.use_bias,
            "kernel_initializer": inits.serialize(self.kernel_initializer),
            "bias_initializer": inits.serialize(self.bias_initializer),
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        for key in ("kernel_initializer", "bias_initializer"):
            config[key] = inits.deserialize(config[key])
        return super().from_config(config)


class Flatten(Layer):
    """``(B, d1, d2, ...) -> (B, d1 * d2 * ...)``, in C (row-major) order: index ``t * F + f``."""

    def build(self, input_shape: Shape) -> None:
        if len(input_shape) < 3:
            raise ValueError(f"{self.name}: input shape {input_shape}; accepted: rank >= 3")
        if any(d is None for d in input_shape[1:]):
            raise ValueError(
                f'The shape of the input to "Flatten" is not fully defined '
                f"(got {input_shape[1:]}); "
                "give the previous layer a fixed length, e.g. Embedding(..., input_length=20)"
            )
        super().build(input_shape)

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        return (input_shape[0], int(np.prod(input_shape[1:])))

    def forward(self, inputs, mask=None, training=False):
        x = np.asarray(inputs)
        if self.input_shape is not None and x.shape[1:] != tuple(self.input_shape[1:]):
            raise ValueError(
                f"{self.name} inputs: shape {x.shape}; accepted: (batch, "
                f"{', '.join(map(str, self.input_shape[1:]))})"
            )
        self.x_shape = x.shape
        return x.reshape(x.shape[0], -1)

    def backward(self, dout):
        return dout.reshape(self.x_shape)
