"""Weight initialisers with Keras 2.1's names and defaults.

Each is a callable ``init(shape, dtype, rng) -> ndarray``; ``rng`` is a NumPy
Generator, so a seed fixes every weight (``numrnn.set_seed``). An initializer given its
own ``seed=`` draws from a generator of that seed instead.

Fans (Keras' ``_compute_fans``): a 2-D shape (fan_in, fan_out); a 3- to 5-D kernel
(receptive field * shape[-2], receptive field * shape[-1]); any other shape
sqrt(size) for both.
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


def _number(name: str, value, positive: bool = False) -> float:
    ok = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)
    if not ok or not np.isfinite(value) or (positive and value <= 0):
        raise ValueError(f"{name}={value!r}; accepted: a finite number" +
                         (" > 0" if positive else ""))
    return float(value)


def _seed(seed) -> int | None:
    if seed is not None and (not isinstance(seed, (int, np.integer)) or isinstance(seed, bool)
                             or seed < 0):
        raise ValueError(f"seed={seed!r}; accepted: a non-negative int or None")
    return None if seed is None else int(seed)


def _generator(seed: int | None, rng: np.random.Generator) -> np.random.Generator:
    return rng if seed is None else np.random.default_rng(seed)


def compute_fans(shape: tuple[int, ...]) -> tuple[float, float]:
    """(fan_in, fan_out) as Keras 2.1 computes them (channels-last kernels)."""
    if len(shape) == 2:
        return float(shape[0]), float(shape[1])
    if len(shape) in (3, 4, 5):
        field = float(np.prod(shape[:-2]))
        return shape[-2] * field, shape[-1] * field
    root = float(np.sqrt(np.prod(shape)))
    return root, root


def _truncated_normal(rng, mean: float, stddev: float, shape) -> np.ndarray:
    """N(mean, stddev^2) with draws beyond 2 stddev redrawn (TF's truncated_normal)."""
    x = rng.normal(mean, stddev, shape)
    bad = np.abs(x - mean) > 2 * stddev
    while bad.any():
        x[bad] = rng.normal(mean, stddev, int(bad.sum()))
        bad = np.abs(x - mean) > 2 * stddev
    return x


class Constant(Initializer):
    """Every entry equals ``value``."""

    name = "constant"

    def __init__(self, value: float = 0.0):
        self.value = _number("value", value)

    def __call__(self, shape, dtype, rng):
        return np.full(shape, self.value, dtype)

    def get_config(self):
        return {"value": self.value}


class RandomUniform(Initializer):
    """U(minval, maxval); Keras' ``'uniform'`` is U(-0.05, 0.05) (the Embedding default)."""

    name = "uniform"

    def __init__(self, minval: float = -0.05, maxval: float = 0.05, seed: int | None = None):
        self.minval, self.maxval = _number("minval", minval), _number("maxval", maxval)
        if self.maxval < self.minval:
            raise ValueError(f"maxval={maxval!r} < minval={minval!r}; accepted: minval <= maxval")
        self.seed = _seed(seed)

    def __call__(self, shape, dtype, rng):
        return _generator(self.seed, rng).uniform(self.minval, self.maxval, shape).astype(dtype)

    def get_config(self):
        return {"minval": self.minval, "maxval": self.maxval, "seed": self.seed}


class RandomNormal(Initializer):
    """N(mean, stddev^2), Keras' ``'normal'`` is N(0, 0.05^2)."""

    name = "normal"

    def __init__(self, mean: float = 0.0, stddev: float = 0.05, seed: int | None = None):
        self.mean, self.stddev = _number("mean", mean), _number("stddev", stddev, True)
        self.seed = _seed(seed)

    def __call__(self, shape, dtype, rng):
        return _generator(self.seed, rng).normal(self.mean, self.stddev, shape).astype(dtype)

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, "seed": self.seed}


class TruncatedNormal(Initializer):
    """N(mean, stddev^2) restricted to mean +- 2 stddev (redrawn, as TF does);
    Keras default N(0, 0.05^2)."""

    name = "truncated_normal"

    def __init__(self, mean: float = 0.0, stddev: float = 0.05, seed: int | None = None):
        self.mean, self.stddev = _number("mean", mean), _number("stddev", stddev, True)
        self.seed = _seed(seed)

    def __call__(self, shape, dtype, rng):
        rng = _generator(self.seed, rng)
        return _truncated_normal(rng, self.mean, self.stddev, shape).astype(dtype)

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, "seed": self.seed}


class VarianceScaling(Initializer):
    """Keras 2.1 VarianceScaling: with n = fan_in, fan_out or their mean (``mode``),

    * ``distribution='normal'``: truncated normal, stddev = sqrt(scale / n) (2.1 has no
      0.8796 correction of the truncation; 2.2.3+ does);
    * ``distribution='uniform'``: U(-L, L), L = sqrt(3 scale / n).

    ``lecun_uniform``/``lecun_normal`` (scale 1, fan_in), ``he_uniform``/``he_normal``
    (scale 2, fan_in) and ``glorot_normal`` (scale 1, fan_avg) are instances of it.
    """

    name = "VarianceScaling"
    _MODES = ("fan_in", "fan_out", "fan_avg")
    _DISTRIBUTIONS = ("normal", "uniform")

    def __init__(self, scale: float = 1.0, mode: str = "fan_in", distribution: str = "normal",
                 seed: int | None = None):
        self.scale = _number("scale", scale, positive=True)
        if mode not in self._MODES:
            raise ValueError(f"mode={mode!r}; accepted: {', '.join(self._MODES)}")
        if distribution not in self._DISTRIBUTIONS:
            raise ValueError(f"distribution={distribution!r}; accepted: "
                             f"{', '.join(self._DISTRIBUTIONS)}")
        self.mode, self.distribution, self.seed = mode, distribution, _seed(seed)

    def __call__(self, shape, dtype, rng):
        fan_in, fan_out = compute_fans(tuple(shape))
        n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[self.mode]
        variance = self.scale / max(1.0, n)
        rng = _generator(self.seed, rng)
        if self.distribution == "normal":
            return _truncated_normal(rng, 0.0, np.sqrt(variance), shape).astype(dtype)
        limit = np.sqrt(3.0 * variance)
        return rng.uniform(-limit, limit, shape).astype(dtype)

    def get_config(self):
        return {"scale": self.scale, "mode": self.mode, "distribution": self.distribution,
                "seed": self.seed}


def lecun_uniform(seed: int | None = None) -> VarianceScaling:
    """U(-L, L), L = sqrt(3 / fan_in)."""
    return VarianceScaling(1.0, "fan_in", "uniform", seed)


def lecun_normal(seed: int | None = None) -> VarianceScaling:
    """Truncated normal, stddev sqrt(1 / fan_in)."""
    return VarianceScaling(1.0, "fan_in", "normal", seed)


def he_uniform(seed: int | None = None) -> VarianceScaling:
    """U(-L, L), L = sqrt(6 / fan_in)."""
    return VarianceScaling(2.0, "fan_in", "uniform", seed)


def he_normal(seed: int | None = None) -> VarianceScaling:
    """Truncated normal, stddev sqrt(2 / fan_in)."""
    return VarianceScaling(2.0, "fan_in", "normal", seed)


def glorot_normal(seed: int | None = None) -> VarianceScaling:
    """Truncated normal, stddev sqrt(2 / (fan_in + fan_out))."""
    return VarianceScaling(1.0, "fan_avg", "normal", seed)


class Identity(Initializer):
    """``gain`` times the identity matrix; only for square 2-D weights (as Keras 2.1)."""

    name = "identity"

    def __init__(self, gain: float = 1.0):
        self.gain = _number("gain", gain)

    def __call__(self, shape, dtype, rng):
        if len(shape) != 2 or shape[0] != shape[1]:
            raise ValueError(f"Identity initializer: shape {tuple(shape)}; accepted: a square "
                             "2-D weight")
        return (self.gain * np.eye(shape[0])).astype(dtype)

    def get_config(self):
        return {"gain": self.gain}


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
    cls.name: cls for cls in (Zeros, Ones, Constant, RandomUniform, RandomNormal,
                              TruncatedNormal, VarianceScaling, GlorotUniform, Orthogonal,
                              Identity)
}
_REGISTRY.update({
    "random_uniform": RandomUniform, "random_normal": RandomNormal, "zero": Zeros, "one": Ones,
    "Zeros": Zeros, "Ones": Ones, "Constant": Constant, "RandomUniform": RandomUniform,
    "RandomNormal": RandomNormal, "TruncatedNormal": TruncatedNormal, "Orthogonal": Orthogonal,
    "Identity": Identity, "lecun_uniform": lecun_uniform, "lecun_normal": lecun_normal,
    "he_uniform": he_uniform, "he_normal": he_normal, "glorot_normal": glorot_normal,
})


def get(identifier: str | dict | Initializer, argument: str = "initializer") -> Initializer:
    """Look an initialiser up by name (or config dict), or pass an instance through."""
    if isinstance(identifier, Initializer):
        return identifier
    if isinstance(identifier, dict) and identifier.get("class_name") in _REGISTRY:
        return deserialize(identifier)
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
    if not isinstance(config, dict) or config.get("class_name") not in _REGISTRY:
        raise ValueError(f"initializer config {config!r}; accepted: a name or "
                         f"{{'class_name': one of {', '.join(sorted(_REGISTRY))}, 'config': ...}}")
    return _REGISTRY[config["class_name"]](**config.get("config", {}))
