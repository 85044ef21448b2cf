"""Global pooling over time: (B, T, D) -> (B, D), mask-aware."""

from __future__ import annotations

import numpy as np

from .base import Layer, Shape, as_float_array


class _GlobalPooling1D(Layer):
    supports_masking = True

    def build(self, input_shape: Shape) -> None:
        if len(input_shape) != 3:
            raise ValueError(f"{self.name}: input shape {input_shape}; accepted: (batch, "
                             "timesteps, features)")
        super().build(input_shape)

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        return (input_shape[0], input_shape[2])

    def compute_mask(self, inputs, mask):
        return None  # the time axis is gone

    def _inputs(self, inputs, mask):
        x = as_float_array(inputs, self.dtype, f"{self.name} inputs")
        if x.ndim != 3:
            raise ValueError(f"{self.name} inputs: shape {x.shape}; accepted: (batch, "
                             "timesteps, features)")
        if mask is not None:
            mask = np.asarray(mask)
            if mask.shape != x.shape[:2] or mask.dtype != bool:
                raise ValueError(f"{self.name} mask: shape {mask.shape} dtype {mask.dtype}; "
                                 f"accepted: a bool array of shape {x.shape[:2]}")
        return x, mask


class GlobalAveragePooling1D(_GlobalPooling1D):
    """Mean over time; with a mask, the mean over the unmasked steps only.

        y[b] = sum_t m[b, t] x[b, t] / sum_t m[b, t]      (m = 1 without a mask)
        dL/dx[b, t] = m[b, t] dL/dy[b] / sum_t m[b, t]

    The masked form is Keras 2.2.4+/3's (2.1 pooled over all steps). A sequence with no
    unmasked step gives 0 (Keras would divide by zero).
    """

    def forward(self, inputs, mask=None, training=False):
        x, mask = self._inputs(inputs, mask)
        if mask is None:
            self.weights_t = np.full(x.shape[:2] + (1,), 1.0 / x.shape[1], x.dtype)
        else:
            m = mask.astype(x.dtype)
            count = m.sum(axis=1, keepdims=True)
            self.weights_t = (m / np.maximum(count, 1))[..., None]
        return (x * self.weights_t).sum(axis=1)

    def backward(self, dout):
        return self.weights_t * np.asarray(dout)[:, None, :]


class GlobalMaxPooling1D(_GlobalPooling1D):
    """Max over time; with a mask, the max over the unmasked steps only.

        y[b, f] = max_{t: m[b, t]} x[b, t, f]
        dL/dx[b, t, f] = dL/dy[b, f] at the step t that gave the max (the first one on a
        tie), 0 elsewhere.

    A sequence with no unmasked step gives 0 and no gradient.
    """

    def forward(self, inputs, mask=None, training=False):
        x, mask = self._inputs(inputs, mask)
        self.x_shape = x.shape
        if mask is None or x.shape[1] == 0:
            xm = x
            self.empty = None
        else:
            xm = np.where(mask[..., None], x, -np.inf)
            self.empty = ~mask.any(axis=1)  # (B,)
        self.argmax = np.argmax(xm, axis=1)  # (B, D)
        y = np.take_along_axis(x, self.argmax[:, None, :], axis=1)[:, 0, :]
        if self.empty is not None and self.empty.any():
            y = y.copy()
            y[self.empty] = 0
        return y

    def backward(self, dout):
        dout = np.asarray(dout)
        dx = np.zeros(self.x_shape, dout.dtype)
        if self.empty is not None and self.empty.any():
            dout = dout.copy()
            dout[self.empty] = 0
        np.put_along_axis(dx, self.argmax[:, None, :], dout[:, None, :], axis=1)
        return dx
