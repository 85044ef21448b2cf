"""Dropout layers: random zeroing of inputs while training, identity at inference."""

from __future__ import annotations

import numpy as np

from .. import backend
from .base import Layer, Shape, as_float_array


def _check_rate(rate) -> float:
    ok = isinstance(rate, (int, float, np.integer, np.floating)) and not isinstance(rate, bool)
    if not ok or not np.isfinite(rate) or not 0 <= rate < 1:
        raise ValueError(
            f"rate={rate!r}; accepted: a number with 0 <= rate < 1 (the fraction of inputs "
            "dropped; Keras 2.1 silently turns rate >= 1 into no dropout at all)"
        )
    return float(rate)


def _check_seed(seed) -> int | None:
    if seed is not None and (not isinstance(seed, (int, np.integer)) or isinstance(seed, bool)
                             or seed < 0):
        raise ValueError(f"seed={seed!r}; accepted: a non-negative int or None")
    return None if seed is None else int(seed)


class Dropout(Layer):
    """Inverted dropout (Keras' ``K.dropout``), only when ``training=True``.

        keep ~ Bernoulli(1 - rate), of shape ``noise_shape`` (broadcast over the input)
        y = x * keep / (1 - rate)          (training)
        y = x                              (inference)
        dL/dx = dL/dy * keep / (1 - rate)

    rate: the fraction of entries dropped, 0 <= rate < 1 (0 is the identity).
    noise_shape: the mask's shape, e.g. ``(None, 1, features)`` for one mask per sequence;
        ``None`` entries take the input's size. Default: the input's shape.
    seed: a new mask is drawn for every batch; ``seed`` fixes the *sequence* of masks
        (a generator of its own). Without it, masks come from numrnn's global generator
        (``numrnn.set_seed``).

    ``fixed_mask``: if set to a 0/1 array (broadcastable to the input), it is used instead
    of a fresh draw. Gradient checks hold the mask fixed this way. After a training call,
    ``last_mask`` holds the mask that was used.
    Masks pass through unchanged (``supports_masking``).
    """

    supports_masking = True

    def __init__(self, rate: float, noise_shape: tuple | None = None, seed: int | None = None,
                 **kwargs):
        self.rate = _check_rate(rate)
        if noise_shape is not None:
            if not isinstance(noise_shape, (tuple, list)) or not all(
                    d is None or (isinstance(d, (int, np.integer)) and d > 0)
                    for d in noise_shape):
                raise ValueError(f"noise_shape={noise_shape!r}; accepted: None or a tuple of "
                                 "positive ints / None, batch dimension included")
            noise_shape = tuple(None if d is None else int(d) for d in noise_shape)
        self.noise_shape = noise_shape
        self.seed = _check_seed(seed)
        self._rng = None if self.seed is None else np.random.default_rng(self.seed)
        self.fixed_mask: np.ndarray | None = None
        self.last_mask: np.ndarray | None = None
        super().__init__(**kwargs)

    def build(self, input_shape: Shape) -> None:
        if self.noise_shape is not None and len(self.noise_shape) != len(input_shape):
            raise ValueError(f"{self.name}: noise_shape={self.noise_shape} has "
                             f"{len(self.noise_shape)} dimensions, the input {input_shape} has "
                             f"{len(input_shape)}")
        super().build(input_shape)

    def _mask_shape(self, x: np.ndarray) -> tuple[int, ...]:
        if self.noise_shape is None:
            return x.shape
        shape = tuple(x.shape[k] if d is None else d for k, d in enumerate(self.noise_shape))
        for k, (d, n) in enumerate(zip(shape, x.shape)):
            if d not in (1, n):
                raise ValueError(f"{self.name}: noise_shape {self.noise_shape} does not "
                                 f"broadcast to the input {x.shape} (axis {k})")
        return shape

    def _draw_mask(self, x: np.ndarray) -> np.ndarray:
        rng = self._rng if self._rng is not None else backend.rng()
        keep = 1.0 - self.rate
        # Keras/TF: floor(keep + U[0, 1)) is 1 with probability keep
        return (rng.random(self._mask_shape(x)) < keep).astype(x.dtype)

    def forward(self, inputs, mask=None, training=False):
        x = as_float_array(inputs, self.dtype, f"{self.name} inputs")
        self._scale = None
        if not training or self.rate == 0:
            return x
        keep = self.fixed_mask if self.fixed_mask is not None else self._draw_mask(x)
        keep = np.asarray(keep, x.dtype)
        self.last_mask = keep
        self._scale = keep / (1.0 - self.rate)
        return x * self._scale

    def backward(self, dout):
        if self._scale is None:
            return dout
        return dout * self._scale

    def get_config(self):
        return {**super().get_config(), "rate": self.rate,
                "noise_shape": None if self.noise_shape is None else list(self.noise_shape),
                "seed": self.seed}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if config.get("noise_shape") is not None:
            config["noise_shape"] = tuple(config["noise_shape"])
        return super().from_config(config)


class SpatialDropout1D(Dropout):
    """Dropout of whole feature channels: one mask per (sample, feature), shared by all steps.

    Input (B, T, C); the mask has shape (B, 1, C), so a dropped feature is zero at every
    time step. Otherwise as `Dropout`.
    """

    def __init__(self, rate: float, seed: int | None = None, **kwargs):
        super().__init__(rate, noise_shape=None, seed=seed, **kwargs)

    def build(self, input_shape: Shape) -> None:
        if len(input_shape) != 3:
            raise ValueError(f"{self.name}: input shape {input_shape}; accepted: "
                             "(batch, timesteps, channels)")
        super().build(input_shape)

    def _mask_shape(self, x):
        if x.ndim != 3:
            raise ValueError(f"{self.name} inputs: shape {x.shape}; accepted: (batch, "
                             "timesteps, channels)")
        return (x.shape[0], 1, x.shape[2])

    def get_config(self):
        config = super().get_config()
        config.pop("noise_shape")
        return config
