"""Dot-product attention (Luong), for encoder-decoder models."""

from __future__ import annotations

import numpy as np

from .base import Layer, as_float_array


class Attention(Layer):
    """Each query step looks at all value steps and takes a weighted average of them.

        s_tj = q_t . v_j   (times a learnt scalar if use_scale=True)   scores
        a_tj = softmax_j(s_tj)    (value steps whose mask is False get weight 0)
        context_t = sum_j a_tj v_j

    Inputs: ``[query (B, Tq, D), value (B, Tv, D)]``, e.g. the decoder's and the encoder's
    hidden states. Output: context (B, Tq, D). The weights a of the last forward call are
    kept in ``attention_weights`` (B, Tq, Tv), to look at or plot.

    Backward, with dC = dL/dcontext:
        dA = dC V^T;  dV = A^T dC;  dS = A * (dA - sum_j dA * A);  dQ = dS V;  dV += dS^T Q
    """

    supports_masking = True  # the value mask hides padded value steps; the query mask passes on

    def __init__(self, use_scale: bool = False, **kwargs):
        self.use_scale = bool(use_scale)
        super().__init__(**kwargs)
        self.attention_weights: np.ndarray | None = None

    def build(self, input_shape) -> None:
        if not isinstance(input_shape, (list, tuple)) or len(input_shape) != 2 \
                or not all(isinstance(shape, tuple) for shape in input_shape):
            raise ValueError(f"{self.name} inputs: accepted a list [query, value]")
        if self.use_scale:
            self.params["scale"] = np.ones((), self.dtype)
        super().build(input_shape)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[0])

    def forward(self, inputs, mask=None, training=False):
        if not isinstance(inputs, (list, tuple)) or len(inputs) != 2:
            raise ValueError(f"{self.name} inputs: accepted a list [query, value]")
        q = as_float_array(inputs[0], self.dtype, f"{self.name} query")
        v = as_float_array(inputs[1], self.dtype, f"{self.name} value")
        if q.ndim != 3 or v.ndim != 3 or q.shape[0] != v.shape[0] or q.shape[2] != v.shape[2]:
            raise ValueError(f"{self.name}: query {q.shape} and value {v.shape}; accepted: "
                             "(batch, Tq, dim) and (batch, Tv, dim)")
        value_mask = mask[1] if isinstance(mask, (list, tuple)) else mask
        scores = q @ v.transpose(0, 2, 1)                      # (B, Tq, Tv)
        self._raw_scores = scores
        if self.use_scale:
            scores = scores * self.params["scale"]
        if value_mask is not None:
            value_mask = np.asarray(value_mask, bool)
            if value_mask.shape != v.shape[:2]:
                raise ValueError(f"{self.name} mask: shape {value_mask.shape}; accepted: "
                                 f"{v.shape[:2]} (the value steps)")
            scores = np.where(value_mask[:, None, :], scores, -1e9)
        scores = scores - scores.max(axis=-1, keepdims=True)
        a = np.exp(scores)
        a /= a.sum(axis=-1, keepdims=True)
        self.q, self.v, self.attention_weights = q, v, a
        return a @ v

    def backward(self, dout):
        a, q, v = self.attention_weights, self.q, self.v
        da = dout @ v.transpose(0, 2, 1)
        dv = a.transpose(0, 2, 1) @ dout
        ds = a * (da - (da * a).sum(axis=-1, keepdims=True))  # softmax backward
        if self.use_scale:
            self.grads["scale"] = np.asarray((ds * self._raw_scores).sum(), self.dtype)
            ds = ds * self.params["scale"]
        dq = ds @ v
        dv += ds.transpose(0, 2, 1) @ q
        return [dq, dv]

    def compute_mask(self, inputs, mask):
        return mask[0] if isinstance(mask, (list, tuple)) else None

    def get_config(self):
        return {**super().get_config(), "use_scale": self.use_scale}
