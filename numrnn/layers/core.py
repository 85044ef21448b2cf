"""Core layers: Dense, Flatten, Activation, RepeatVector, Masking, Reshape, Permute."""

from __future__ import annotations

import numpy as np

from .. import activations, constraints, regularizers
from .. import initializers as inits
from .base import Layer, Shape, as_float_array


class Dense(Layer):
    """Fully connected layer: ``y = act(x W + b)``.

    x: (B, ..., D) -> y: (B, ..., units); on 3-D input it is applied at every time step.
    Weights: ``kernel`` W (D, units), ``bias`` b (units,).
    Backward: dz = dy * act'(y);  dW = x^T dz;  db = sum(dz);  dx = dz W^T.

    ``kernel_regularizer``/``bias_regularizer`` (`numrnn.regularizers`) and
    ``kernel_constraint``/``bias_constraint`` (`numrnn.constraints`) are handed to
    ``add_weight``; ``activity_regularizer`` is stored and applied by the model to the output.
    """

    supports_masking = True

    def __init__(
        self,
        units: int,
        activation: str | None = None,
        use_bias: bool = True,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        kernel_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        kernel_constraint=None,
        bias_constraint=None,
        **kwargs,
    ):
        if not isinstance(units, (int, np.integer)) or isinstance(units, bool) or units <= 0:
            raise ValueError(f"units={units!r}; accepted: a positive int")
        self.units = int(units)
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = inits.get(kernel_initializer, "kernel_initializer")
        self.bias_initializer = inits.get(bias_initializer, "bias_initializer")
        self.kernel_regularizer = regularizers.get(kernel_regularizer, "kernel_regularizer")
        self.bias_regularizer = regularizers.get(bias_regularizer, "bias_regularizer")
        self.activity_regularizer = regularizers.get(activity_regularizer,
                                                     "activity_regularizer")
        self.kernel_constraint = constraints.get(kernel_constraint, "kernel_constraint")
        self.bias_constraint = constraints.get(bias_constraint, "bias_constraint")
        super().__init__(**kwargs)

    def build(self, input_shape: Shape) -> None:
        if len(input_shape) < 2 or input_shape[-1] is None:
            raise ValueError(
                f"{self.name}: input shape {input_shape}; accepted: rank >= 2 with a known last "
                "dimension"
            )
        self.add_weight("kernel", (input_shape[-1], self.units), self.kernel_initializer,
                        regularizer=self.kernel_regularizer, constraint=self.kernel_constraint)
        if self.use_bias:
            self.add_weight("bias", (self.units,), self.bias_initializer,
                            regularizer=self.bias_regularizer, constraint=self.bias_constraint)
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
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": inits.serialize(self.kernel_initializer),
            "bias_initializer": inits.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
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


class Activation(Layer):
    """Applies an activation to its input: ``y = act(x)``; ``dL/dx = act'(x) * dL/dy``
    (softmax: its Jacobian-vector product). Masks pass through."""

    supports_masking = True

    def __init__(self, activation, **kwargs):
        self.activation = activations.get(activation)
        super().__init__(**kwargs)

    def forward(self, inputs, mask=None, training=False):
        x = as_float_array(inputs, self.dtype, f"{self.name} inputs")
        self.y = self.activation.forward(x)
        return self.y

    def backward(self, dout):
        return self.activation.backward(self.y, dout)

    def get_config(self):
        return {**super().get_config(), "activation": activations.serialize(self.activation)}


class RepeatVector(Layer):
    """``(B, D) -> (B, n, D)``: the input vector repeated n times; ``dL/dx = sum_t dL/dy_t``."""

    def __init__(self, n: int, **kwargs):
        if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n <= 0:
            raise ValueError(f"n={n!r}; accepted: a positive int")
        self.n = int(n)
        super().__init__(**kwargs)

    def build(self, input_shape: Shape) -> None:
        if len(input_shape) != 2:
            raise ValueError(f"{self.name}: input shape {input_shape}; accepted: (batch, dim)")
        super().build(input_shape)

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        return (input_shape[0], self.n, input_shape[1])

    def forward(self, inputs, mask=None, training=False):
        x = as_float_array(inputs, self.dtype, f"{self.name} inputs")
        if x.ndim != 2:
            raise ValueError(f"{self.name} inputs: shape {x.shape}; accepted: (batch, dim)")
        return np.repeat(x[:, None, :], self.n, axis=1)

    def backward(self, dout):
        return np.asarray(dout).sum(axis=1)

    def get_config(self):
        return {**super().get_config(), "n": self.n}


class Masking(Layer):
    """Masks the time steps whose features all equal ``mask_value``.

        mask[b, t] = any_f(x[b, t, f] != mask_value)
        y = x * mask[..., None]     (masked steps become 0, as in Keras 2.1)
        dL/dx = dL/dy * mask[..., None]

    The mask goes to the next layers (recurrent layers then skip those steps).
    """

    supports_masking = True

    def __init__(self, mask_value: float = 0.0, **kwargs):
        ok = isinstance(mask_value, (int, float, np.integer, np.floating)) and not isinstance(
            mask_value, bool)
        if not ok:
            raise ValueError(f"mask_value={mask_value!r}; accepted: a number")
        self.mask_value = float(mask_value)
        super().__init__(**kwargs)

    def build(self, input_shape: Shape) -> None:
        if len(input_shape) < 3:
            raise ValueError(f"{self.name}: input shape {input_shape}; accepted: (batch, "
                             "timesteps, features)")
        super().build(input_shape)

    def compute_mask(self, inputs, mask=None):
        return np.any(np.asarray(inputs) != self.mask_value, axis=-1)

    def forward(self, inputs, mask=None, training=False):
        x = as_float_array(inputs, self.dtype, f"{self.name} inputs")
        self.keep = np.any(x != self.mask_value, axis=-1, keepdims=True).astype(x.dtype)
        return x * self.keep

    def backward(self, dout):
        return dout * self.keep

    def get_config(self):
        return {**super().get_config(), "mask_value": self.mask_value}


class Reshape(Layer):
    """``(B, ...) -> (B, *target_shape)``, C order; one entry of target_shape may be -1."""

    def __init__(self, target_shape: tuple, **kwargs):
        if not isinstance(target_shape, (tuple, list)) or not all(
                isinstance(d, (int, np.integer)) and (d > 0 or d == -1) for d in target_shape
        ) or sum(d == -1 for d in target_shape) > 1:
            raise ValueError(f"target_shape={target_shape!r}; accepted: a tuple of positive "
                             "ints with at most one -1 (without the batch dimension)")
        self.target_shape = tuple(int(d) for d in target_shape)
        super().__init__(**kwargs)

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        if any(d is None for d in input_shape[1:]):
            return (input_shape[0], *[None if d == -1 else d for d in self.target_shape])
        size = int(np.prod(input_shape[1:]))
        known = int(np.prod([d for d in self.target_shape if d != -1]))
        if (-1 in self.target_shape and size % known) or (
                -1 not in self.target_shape and size != known):
            raise ValueError(f"{self.name}: cannot reshape input {tuple(input_shape)} to "
                             f"{self.target_shape}; the total size must stay {size}")
        return (input_shape[0], *[size // known if d == -1 else d for d in self.target_shape])

    def forward(self, inputs, mask=None, training=False):
        x = np.asarray(inputs)
        self.x_shape = x.shape
        try:
            return x.reshape((x.shape[0], *self.target_shape))
        except ValueError:
            raise ValueError(f"{self.name} inputs: shape {x.shape} cannot be reshaped to "
                             f"(batch, {', '.join(map(str, self.target_shape))})") from None

    def backward(self, dout):
        return np.asarray(dout).reshape(self.x_shape)

    def get_config(self):
        return {**super().get_config(), "target_shape": list(self.target_shape)}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["target_shape"] = tuple(config["target_shape"])
        return super().from_config(config)


class Permute(Layer):
    """Reorders the non-batch axes: ``dims`` is 1-based, e.g. ``(2, 1)`` swaps time and
    features. Backward applies the inverse permutation."""

    def __init__(self, dims: tuple, **kwargs):
        if not isinstance(dims, (tuple, list)) or sorted(dims) != list(range(1, len(dims) + 1)):
            raise ValueError(f"dims={dims!r}; accepted: a permutation of 1..n, e.g. (2, 1)")
        self.dims = tuple(int(d) for d in dims)
        super().__init__(**kwargs)

    def build(self, input_shape: Shape) -> None:
        if len(input_shape) != len(self.dims) + 1:
            raise ValueError(f"{self.name}: input shape {input_shape}; accepted: rank "
                             f"{len(self.dims) + 1} for dims={self.dims}")
        super().build(input_shape)

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        return (input_shape[0], *[input_shape[d] for d in self.dims])

    def forward(self, inputs, mask=None, training=False):
        x = np.asarray(inputs)
        if x.ndim != len(self.dims) + 1:
            raise ValueError(f"{self.name} inputs: shape {x.shape}; accepted: rank "
                             f"{len(self.dims) + 1}")
        return x.transpose((0, *self.dims))

    def backward(self, dout):
        order = (0, *self.dims)
        return np.asarray(dout).transpose(np.argsort(order))

    def get_config(self):
        return {**super().get_config(), "dims": list(self.dims)}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["dims"] = tuple(config["dims"])
        return super().from_config(config)
