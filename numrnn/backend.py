"""Global settings: the float type, the random generator, layer names and BLAS threads.

Everything here is small state shared by the whole library, kept in one place so
that it is easy to find and to reset (``clear_session``).
"""

from __future__ import annotations

import contextlib
import os
import re
from collections import defaultdict
from collections.abc import Iterator

import numpy as np

_FLOATX = "float32"
_EPSILON = 1e-7
_ACCEPTED_FLOATX = ("float32", "float64")

_rng = np.random.default_rng()
_name_counters: dict[str, int] = defaultdict(int)
_blas_threads: int | str | None = 1


def floatx() -> str:
    """The default float type of new layers: ``'float32'`` unless changed."""
    return _FLOATX


def set_floatx(value: str) -> None:
    """Set the default float type of layers built from now on (``'float32'`` or ``'float64'``)."""
    global _FLOATX
    if value not in _ACCEPTED_FLOATX:
        raise ValueError(f"set_floatx: value={value!r}; accepted: {', '.join(_ACCEPTED_FLOATX)}")
    _FLOATX = value


def check_dtype(dtype: object, argument: str = "dtype") -> np.dtype:
    """Return ``dtype`` as a NumPy float dtype, or raise naming ``argument``."""
    if dtype is None:
        return np.dtype(_FLOATX)
    try:
        dt = np.dtype(dtype)
    except TypeError:
        dt = None
    if dt is None or dt.name not in _ACCEPTED_FLOATX:
        raise ValueError(f"{argument}={dtype!r}; accepted: {', '.join(_ACCEPTED_FLOATX)}")
    return dt


def epsilon() -> float:
    """The fuzz factor of losses and optimizers (Keras' ``K.epsilon()``, 1e-7)."""
    return _EPSILON


def set_seed(seed: int | None) -> None:
    """Seed numrnn's global random generator (weight initialisation, shuffling).

    The same seed, the same data and the same code give the same run, bit for bit.
    """
    global _rng
    if seed is not None and (not isinstance(seed, (int, np.integer)) or seed < 0):
        raise ValueError(f"set_seed: seed={seed!r}; accepted: a non-negative int or None")
    _rng = np.random.default_rng(seed)


def rng(seed: int | None = None) -> np.random.Generator:
    """The generator to draw from: a fresh one for an explicit ``seed``, else the global one."""
    if seed is None:
        return _rng
    return np.random.default_rng(seed)


def unique_name(class_name: str) -> str:
    """Keras 2.1 layer names: snake_case class name plus a per-class counter from 1."""
    snake = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", class_name)
    snake = re.sub("([a-z0-9])([A-Z])", r"\1_\2", snake).lower()
    _name_counters[snake] += 1
    return f"{snake}_{_name_counters[snake]}"


def clear_session() -> None:
    """Reset the layer-name counters (``embedding_1`` is next again), as Keras' does."""
    _name_counters.clear()


def set_blas_threads(n: int | str | None) -> None:
    """BLAS threads used while numrnn trains or predicts; ``None`` leaves BLAS alone.

    The default is 1. An RNN step is a chain of small matmuls; on a 2-core machine with
    another busy process, two OpenBLAS threads made a whole LSTM(32) step 1.5-2.5x
    slower, while on an idle machine they changed nothing (docs/performance.md).

    ``'auto'``: one thread, except for a matmul of at least ``AUTO_MIN_FLOPS`` (the input
    projection, the weight gradients, and the per-step products of a large layer), which
    uses every core. Off by default: on a shared machine it measured slower
    (benchmarks/blas_policy.py; docs/performance.md).
    """
    global _blas_threads
    if n != "auto" and n is not None and (not isinstance(n, int) or isinstance(n, bool)
                                          or n < 1):
        raise ValueError(f"set_blas_threads: n={n!r}; accepted: a positive int, 'auto' or None")
    _blas_threads = n


# Smallest matmul (in floating-point operations) that the 'auto' policy gives every core:
# two switches cost ~17 us (benchmarks/blas_policy.py), so the product must take well over
# 100 us on one core for a second thread to be able to pay.
AUTO_MIN_FLOPS = 20e6

_controller = None


def _threadpool_controller():
    """Made once: building it scans every loaded library (about 0.4 ms), far more than an
    RNN step on a small batch; entering one of its limits costs ~9 us."""
    global _controller
    if _controller is None:
        from threadpoolctl import ThreadpoolController

        _controller = ThreadpoolController()
    return _controller


@contextlib.contextmanager
def blas_threads() -> Iterator[None]:
    """Context in which BLAS uses the configured number of threads (1 for ``'auto'``)."""
    if _blas_threads is None:
        yield
        return
    limit = 1 if _blas_threads == "auto" else _blas_threads
    with _threadpool_controller().limit(limits=limit, user_api="blas"):
        yield


@contextlib.contextmanager
def blas_threads_for(flops: float) -> Iterator[None]:
    """With the ``'auto'`` policy, every core for work of at least AUTO_MIN_FLOPS; else as is."""
    if _blas_threads != "auto" or flops < AUTO_MIN_FLOPS:
        yield
        return
    with _threadpool_controller().limit(limits=os.cpu_count() or 1, user_api="blas"):
        yield
