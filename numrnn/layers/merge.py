"""Merge layers: combine a list of tensors into one (Keras 2.1's ``keras.layers.merge``).

``Add``, ``Subtract``, ``Multiply``, ``Average`` work elementwise on tensors of one shape;
``Concatenate`` joins along an axis; ``Dot`` takes dot products along given axes (with
``normalize=True``: cosine similarities). Lower-case functions (``concatenate([a, b])``)
are Keras' shortcuts. Masks: the elementwise layers and ``Concatenate`` pass on the
logical AND of the input masks (a missing mask counts as all True; ``Concatenate`` along the
time axis joins the masks instead); ``Dot`` passes none, as in Keras 2.1.
"""

from __future__ import annotations

import numpy as np

from .base import Layer, Shape, as_float_array


class _Merge(Layer):
    """Base of the merge layers: a list of at least two inputs."""

    supports_masking = True
    min_inputs = 2

    def build(self, input_shape) -> None:
        if not isinstance(input_shape, list) or len(input_shape) < self.min_inputs or not all(
                isinstance(s, tuple) for s in input_shape):
            raise ValueError(f"{self.name}: accepted a list of at least {self.min_inputs} "
                             f"inputs, given {input_shape!r}")
        self._check_shapes(input_shape)
        super().build(input_shape)

    def _check_shapes(self, shapes: list[Shape]) -> None:
        first = shapes[0]
        for s in shapes[1:]:
            if len(s) != len(first) or any(a is not None and b is not None and a != b
                                           for a, b in zip(first[1:], s[1:])):
                raise ValueError(f"{self.name}: inputs of shapes {shapes}; accepted: inputs of "
                                 "one shape")

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[0])

    def _arrays(self, inputs) -> list[np.ndarray]:
        if not isinstance(inputs, (list, tuple)) or len(inputs) < self.min_inputs:
            raise ValueError(f"{self.name} inputs: accepted a list of at least "
                             f"{self.min_inputs} arrays")
        arrays = [as_float_array(a, self.dtype, f"{self.name} inputs[{k}]")
                  for k, a in enumerate(inputs)]
        if any(a.shape != arrays[0].shape for a in arrays) and not isinstance(self, Concatenate):
            raise ValueError(f"{self.name} inputs: shapes {[a.shape for a in arrays]}; "
                             "accepted: arrays of one shape")
        return arrays

    def compute_mask(self, inputs, mask):
        if mask is None or not isinstance(mask, (list, tuple)) \
                or all(m is None for m in mask):
            return None
        present = [np.asarray(m, bool) for m in mask if m is not None]
        out = present[0].copy()
        for m in present[1:]:
            out &= m
        return out


class Add(_Merge):
    """y = x_1 + x_2 + ... ;  dL/dx_k = dL/dy."""

    def forward(self, inputs, mask=None, training=False):
        arrays = self._arrays(inputs)
        self._n = len(arrays)
        out = arrays[0].copy()
        for a in arrays[1:]:
            out += a
        return out

    def backward(self, dout):
        return [dout] * self._n


class Subtract(_Merge):
    """y = x_1 - x_2 (exactly two inputs);  dL/dx_1 = dL/dy, dL/dx_2 = -dL/dy."""

    def build(self, input_shape):
        if isinstance(input_shape, list) and len(input_shape) != 2:
            raise ValueError(f"{self.name}: accepted exactly 2 inputs, given {len(input_shape)}")
        super().build(input_shape)

    def forward(self, inputs, mask=None, training=False):
        a, b = self._arrays(inputs)
        return a - b

    def backward(self, dout):
        return [dout, -dout]


class Multiply(_Merge):
    """y = x_1 * x_2 * ... ;  dL/dx_k = dL/dy * prod_{j != k} x_j."""

    def forward(self, inputs, mask=None, training=False):
        self._xs = self._arrays(inputs)
        out = self._xs[0].copy()
        for a in self._xs[1:]:
            out *= a
        return out

    def backward(self, dout):
        grads = []
        for k in range(len(self._xs)):
            g = dout.copy()
            for j, a in enumerate(self._xs):
                if j != k:
                    g *= a
            grads.append(g)
        return grads


class Average(_Merge):
    """y = (x_1 + ... + x_n) / n;  dL/dx_k = dL/dy / n."""

    def forward(self, inputs, mask=None, training=False):
        arrays = self._arrays(inputs)
        self._n = len(arrays)
        return sum(arrays[1:], arrays[0].copy()) / self._n

    def backward(self, dout):
        return [dout / self._n] * self._n


class Concatenate(_Merge):
    """Join the inputs along ``axis`` (default -1, the features); dL/dx_k is dL/dy's slice."""

    def __init__(self, axis: int = -1, **kwargs):
        if not isinstance(axis, (int, np.integer)) or isinstance(axis, bool) or axis == 0:
            raise ValueError(f"axis={axis!r}; accepted: a non-zero int (axis 0 is the batch)")
        self.axis = int(axis)
        super().__init__(**kwargs)

    def _check_shapes(self, shapes):
        rank = len(shapes[0])
        if not -rank <= self.axis < rank or self.axis % rank == 0:
            raise ValueError(f"{self.name}: axis={self.axis} for inputs of rank {rank}")
        ax = self.axis % rank
        for s in shapes[1:]:
            if len(s) != rank or any(a is not None and b is not None and a != b
                                     for k, (a, b) in enumerate(zip(shapes[0], s))
                                     if k not in (0, ax)):
                raise ValueError(f"{self.name}: inputs of shapes {shapes} cannot be joined along "
                                 f"axis {self.axis}; accepted: equal sizes except on that axis")

    def compute_output_shape(self, input_shape):
        shape = list(input_shape[0])
        ax = self.axis % len(shape)
        sizes = [s[ax] for s in input_shape]
        shape[ax] = None if any(d is None for d in sizes) else sum(sizes)
        return tuple(shape)

    def forward(self, inputs, mask=None, training=False):
        arrays = self._arrays(inputs)
        self._sizes = [a.shape[self.axis] for a in arrays]
        return np.concatenate(arrays, axis=self.axis)

    def backward(self, dout):
        cuts = np.cumsum(self._sizes)[:-1]
        return [np.ascontiguousarray(g) for g in np.split(dout, cuts, axis=self.axis)]

    def compute_mask(self, inputs, mask):
        if mask is None or all(m is None for m in mask):
            return None
        arrays = inputs if isinstance(inputs, (list, tuple)) else [inputs]
        if self.axis % np.ndim(arrays[0]) == 1:  # joined along time: the masks are joined too
            full = [np.ones(np.shape(a)[:2], bool) if m is None else np.asarray(m, bool)
                    for a, m in zip(arrays, mask)]
            return np.concatenate(full, axis=1)
        return super().compute_mask(inputs, mask)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}


class Dot(_Merge):
    """Batched dot product of two tensors along ``axes`` (Keras 2.1 ``batch_dot``).

    For a (B, P..., D) and b (B, Q..., D) contracted on their D axes: y[n, p, q] =
    sum_d a[n, p, d] b[n, q, d], shape (B, P..., Q...); two vectors give (B, 1).
    ``normalize=True`` first divides each input by its L2 norm along the axis
    (a / sqrt(max(sum a^2, 1e-12))), so y is the cosine similarity.
    Backward (on the flattened (B, P, D), (B, Q, D) forms): da = dy b, db = dy^T a; through
    the normalisation: da = (da_hat - a_hat sum(da_hat a_hat)) / norm.
    """

    supports_masking = True

    def __init__(self, axes, normalize: bool = False, **kwargs):
        pair = axes if isinstance(axes, (list, tuple)) else (axes, axes)
        if len(pair) != 2 or not all(isinstance(a, (int, np.integer)) and not isinstance(a, bool)
                                     for a in pair):
            raise ValueError(f"axes={axes!r}; accepted: an int or a pair of ints")
        self.axes = [int(a) for a in pair] if isinstance(axes, (list, tuple)) else int(axes)
        self._pair = tuple(int(a) for a in pair)
        self.normalize = bool(normalize)
        super().__init__(**kwargs)

    def _resolved_axes(self, ranks) -> tuple[int, int]:
        out = []
        for ax, rank in zip(self._pair, ranks):
            if not -rank <= ax < rank or ax % rank == 0:
                raise ValueError(f"{self.name}: axes={self.axes} for inputs of ranks {ranks}")
            out.append(ax % rank)
        return out[0], out[1]

    def _check_shapes(self, shapes):
        if len(shapes) != 2:
            raise ValueError(f"{self.name}: accepted exactly 2 inputs, given {len(shapes)}")
        ax, ay = self._resolved_axes([len(s) for s in shapes])
        da, db = shapes[0][ax], shapes[1][ay]
        if da is not None and db is not None and da != db:
            raise ValueError(f"{self.name}: dimension incompatibility {da} != {db} for axes "
                             f"{self.axes} of inputs {shapes}")

    def compute_output_shape(self, input_shape):
        a, b = input_shape
        ax, ay = self._resolved_axes([len(a), len(b)])
        rest = [d for k, d in enumerate(a) if k not in (0, ax)] + \
            [d for k, d in enumerate(b) if k not in (0, ay)]
        return (a[0], *rest) if rest else (a[0], 1)

    def compute_mask(self, inputs, mask):
        return None

    @staticmethod
    def _l2_normalize(x: np.ndarray, axis: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        sq = np.sum(x * x, axis=axis, keepdims=True)
        norm = np.sqrt(np.maximum(sq, 1e-12))
        return x / norm, norm, sq >= 1e-12

    def forward(self, inputs, mask=None, training=False):
        a, b = self._arrays_two(inputs)
        ax, ay = self._resolved_axes([a.ndim, b.ndim])
        self._ax, self._ay = ax, ay
        if self.normalize:
            a, self._norm_a, self._active_a = self._l2_normalize(a, ax)
            b, self._norm_b, self._active_b = self._l2_normalize(b, ay)
        self._a_hat, self._b_hat = a, b
        a2 = np.moveaxis(a, ax, -1)
        b2 = np.moveaxis(b, ay, -1)
        self._a_moved_shape, self._b_moved_shape = a2.shape, b2.shape
        batch, d = a2.shape[0], a2.shape[-1]
        self._a2 = a2.reshape(batch, -1, d)
        self._b2 = b2.reshape(batch, -1, d)
        out = self._a2 @ self._b2.transpose(0, 2, 1)            # (B, P, Q)
        shape = a2.shape[:-1] + b2.shape[1:-1]
        return out.reshape(shape if len(shape) > 1 else (batch, 1))

    def _arrays_two(self, inputs):
        if not isinstance(inputs, (list, tuple)) or len(inputs) != 2:
            raise ValueError(f"{self.name} inputs: accepted a list of 2 arrays")
        return [as_float_array(a, self.dtype, f"{self.name} inputs[{k}]")
                for k, a in enumerate(inputs)]

    def backward(self, dout):
        batch = self._a2.shape[0]
        g = np.asarray(dout).reshape(batch, self._a2.shape[1], self._b2.shape[1])
        da = (g @ self._b2).reshape(self._a_moved_shape)
        db = (g.transpose(0, 2, 1) @ self._a2).reshape(self._b_moved_shape)
        da, db = np.moveaxis(da, -1, self._ax), np.moveaxis(db, -1, self._ay)
        if self.normalize:
            da = self._normalize_backward(da, self._a_hat, self._norm_a, self._active_a,
                                          self._ax)
            db = self._normalize_backward(db, self._b_hat, self._norm_b, self._active_b,
                                          self._ay)
        return [np.ascontiguousarray(da), np.ascontiguousarray(db)]

    @staticmethod
    def _normalize_backward(d_hat, x_hat, norm, active, axis):
        proj = np.sum(d_hat * x_hat, axis=axis, keepdims=True)
        return np.where(active, d_hat - x_hat * proj, d_hat) / norm

    def get_config(self):
        return {**super().get_config(), "axes": self.axes, "normalize": self.normalize}


def add(inputs, **kwargs):
    """``Add(**kwargs)(inputs)``."""
    return Add(**kwargs)(inputs)


def subtract(inputs, **kwargs):
    """``Subtract(**kwargs)(inputs)``."""
    return Subtract(**kwargs)(inputs)


def multiply(inputs, **kwargs):
    """``Multiply(**kwargs)(inputs)``."""
    return Multiply(**kwargs)(inputs)


def average(inputs, **kwargs):
    """``Average(**kwargs)(inputs)``."""
    return Average(**kwargs)(inputs)


def concatenate(inputs, axis: int = -1, **kwargs):
    """``Concatenate(axis, **kwargs)(inputs)``."""
    return Concatenate(axis=axis, **kwargs)(inputs)


def dot(inputs, axes, normalize: bool = False, **kwargs):
    """``Dot(axes, normalize, **kwargs)(inputs)``."""
    return Dot(axes, normalize=normalize, **kwargs)(inputs)
