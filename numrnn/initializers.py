"""Weight initialisers with Keras' names and defaults.

Each is a callable ``init(shape, dtype, rng) -> ndarray``; ``rng`` is a NumPy
Generator, so a seed fixes every weight.
"""

from __future__ import annotations

import numpy as np


class Initializer:
    name = ""

    def __call__(self, shape: tuple[int, ...], dtype, rng: np.random.Generator) -> np.ndarray:
        raise NotImplementedError

    def get_config(self) -> dict:
        return {}

    def __repr__(self) -> str:
        return f"<initializer {self.name}>"


class Zeros(Initializer):
    name = "zeros"

    def __call__(self, shape, dtype, rng):
        return np.zeros(shape, dtype)


class Ones(Initializer):
    name = "ones"

    def __call__(self, shape, dtype, rng):
        return np.ones(shape, dtype)


class RandomUniform(Initializer):
    """U(minval, maxval); Keras' ``'uniform'`` is U(-0.05, 0.05) (the Embedding default)."""

    name = "uniform"

    def __init__(self, minval: float = -0.05, maxval: float = 0.05):
        self.minval, self.maxval = minval, maxval

    def __call__(self, shape, dtype, rng):
        return rng.uniform(self.minval, self.maxval, shape).astype(dtype)

    def get_config(self):
        return {"minval": self.minval, "maxval": self.maxval}


class RandomNormal(Initializer):
    """N(mean, stddev^2), Keras' ``'normal'`` is N(0, 0.05^2)."""

    name = "normal"

    def __init__(self, mean: float = 0.0, stddev: float = 0.05):
        self.mean, self.stddev = mean, stddev

    def __call__(self, shape, dtype, rng):
        return rng.normal(self.mean, self.stddev, shape).astype(dtype)

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev}


class GlorotUniform(Initializer):
    """U(-L, L) with L = sqrt(6 / (fan_in + fan_out)), fans of the whole (fused) matrix."""

    name = "glorot_uniform"

    def __call__(self, shape, dtype, rng):
        fan_in, fan_out = shape[0], shape[-1]
        limit = np.sqrt(6.0 / (fan_in + fan_out))
        return rng.uniform(-limit, limit, shape).astype(dtype)


class Orthogonal(Initializer):
    """Keras 2.1 orthogonal: the SVD factor of a N(0, 1) matrix, shaped like the weight.

    For a recurrent kernel of shape (H, 4H) the rows are orthonormal.
    """

    name = "orthogonal"

    def __init__(self, gain: float = 1.0):
        self.gain = gain

    def __call__(self, shape, dtype, rng):
        flat_shape = (int(np.prod(shape[:-1])), shape[-1])
        a = rng.normal(0.0, 1.0, flat_shape)
        u, _, v = np.linalg.svd(a, full_matrices=False)
        q = u if u.shape == flat_shape else v
        return (self.gain * q).reshape(shape).astype(dtype)

    def get_config(self):
        return {"gain": self.gain}


_REGISTRY = {
    cls.name: cls for cls in (Zeros, Ones, RandomUniform, RandomNormal, GlorotUniform, Orthogonal)
}
_REGISTRY["random_uniform"] = RandomUniform
_REGISTRY["random_normal"] = RandomNormal


def get(identifier: str | Initializer, argument: str = "initializer") -> Initializer:
    """Look an initialiser up by name or pass an instance through."""
    if isinstance(identifier, Initializer):
        return identifier
    if isinstance(identifier, str) and identifier in _REGISTRY:
        return _REGISTRY[identifier]()
    raise ValueError(
        f"{argument}={identifier!r} is not a known initializer; "
        f"accepted: {', '.join(sorted(_REGISTRY))}"
    )


def serialize(init: Initializer) -> dict:
    return {"class_name": init.name, "config": init.get_config()}


def deserialize(config: str | dict) -> Initializer:
    if isinstance(config, str):
        return get(config)
    return _REGISTRY[config["class_name"]](**config.get("config", {}))
