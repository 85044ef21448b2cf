"""Optimizers with Keras 2.1 update rules and defaults: SGD, RMSprop, Adagrad, Adadelta,
Adam, Adamax, Nadam.

``apply_gradients(params, grads)`` updates each array of ``params`` in place. A
gradient may be a `numrnn.sparse.RowSparseGrad` (from an Embedding); where
the rule allows it exactly, only the touched rows are updated (SGD without momentum,
RMSprop, Adagrad, Adadelta); the others use the dense rule (SGD with momentum, Adam,
Adamax, Nadam), as Keras 2.1 does for every optimizer.

Every optimizer takes ``decay`` (lr_t = lr / (1 + decay * iterations), iterations counted
before the step) and ``clipnorm`` / ``clipvalue`` (global norm, then elementwise clip).
"""

from __future__ import annotations

import numpy as np

from . import backend
from .sparse import RowSparseGrad

Grad = np.ndarray | RowSparseGrad


def _positive(name: str, value, allow_zero: bool = False) -> float:
    ok = isinstance(value, (int, float, np.floating, np.integer)) and not isinstance(value, bool)
    if not ok or not np.isfinite(value) or value < 0 or (value == 0 and not allow_zero):
        accepted = "a finite number >= 0" if allow_zero else "a finite number > 0"
        raise ValueError(f"{name}={value!r}; accepted: {accepted}")
    return float(value)


class Optimizer:
    """Base class: learning-rate decay, gradient clipping, per-parameter state."""

    name = ""

    def __init__(self, lr: float, decay: float = 0.0, clipnorm: float | None = None,
                 clipvalue: float | None = None, learning_rate: float | None = None):
        if learning_rate is not None:
            lr = learning_rate
        self.lr = _positive("lr", lr)
        self.decay = _positive("decay", decay, allow_zero=True)
        self.clipnorm = None if clipnorm is None else _positive("clipnorm", clipnorm)
        self.clipvalue = None if clipvalue is None else _positive("clipvalue", clipvalue)
        self.iterations = 0
        self.state: list[dict[str, np.ndarray]] = []

    def current_lr(self) -> float:
        return self.lr / (1.0 + self.decay * self.iterations) if self.decay else self.lr

    def clip(self, grads: list[Grad]) -> list[Grad]:
        """clipnorm scales all gradients by clipnorm/||g|| when the *global* norm exceeds it;
        clipvalue then clips every entry to [-clipvalue, clipvalue]."""
        if self.clipnorm is not None:
            sq = sum(float(np.sum(np.square(_values(g), dtype=np.float64))) for g in grads)
            norm = np.sqrt(sq)
            if norm >= self.clipnorm:
                grads = [_scale(g, self.clipnorm / norm) for g in grads]
        if self.clipvalue is not None:
            c = self.clipvalue
            grads = [_map(g, lambda v: np.clip(v, -c, c)) for g in grads]
        return grads

    def apply_gradients(self, params: list[np.ndarray], grads: list[Grad]) -> None:
        if len(params) != len(grads):
            raise ValueError(f"grads: {len(grads)} gradients for {len(params)} parameters")
        if not self.state:
            self.state = [self._new_state(p) for p in params]
        elif len(self.state) != len(params):
            raise ValueError(
                f"params: this optimizer updates {len(self.state)} parameters, given "
                f"{len(params)}; use a new optimizer for another model"
            )
        grads = self.clip(grads)
        lr = self.current_lr()
        for p, g, s in zip(params, grads, self.state):
            if isinstance(g, RowSparseGrad):
                self._update_sparse(p, g, s, lr)
            else:
                self._update_dense(p, g, s, lr)
        self.iterations += 1

    def _new_state(self, p: np.ndarray) -> dict[str, np.ndarray]:
        return {}

    def _update_dense(self, p, g, s, lr) -> None:
        raise NotImplementedError

    def _update_sparse(self, p, g: RowSparseGrad, s, lr) -> None:
        """Default: the dense rule on the densified gradient (exact for every rule)."""
        self._update_dense(p, g.to_dense(), s, lr)

    def get_config(self) -> dict:
        return {"lr": self.lr, "decay": self.decay, "clipnorm": self.clipnorm,
                "clipvalue": self.clipvalue}

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.get_config()})"


def _values(g: Grad) -> np.ndarray:
    return g.values if isinstance(g, RowSparseGrad) else g


def _map(g: Grad, fn) -> Grad:
    if isinstance(g, RowSparseGrad):
        return RowSparseGrad(g.rows, fn(g.values), g.shape)
    return fn(g)


def _scale(g: Grad, factor: float) -> Grad:
    return _map(g, lambda v: (v * factor).astype(v.dtype))


class SGD(Optimizer):
    """v = momentum * v - lr * g;  p += v  (Nesterov: p += momentum * v - lr * g)."""

    name = "sgd"

    def __init__(self, lr: float = 0.01, momentum: float = 0.0, decay: float = 0.0,
                 nesterov: bool = False, **kwargs):
        super().__init__(lr, decay, **kwargs)
        self.momentum = _positive("momentum", momentum, allow_zero=True)
        self.nesterov = bool(nesterov)

    def _new_state(self, p):
        return {"velocity": np.zeros_like(p)} if self.momentum else {}

    def _update_dense(self, p, g, s, lr):
        if not self.momentum:
            p -= (lr * g).astype(p.dtype)
            return
        v = s["velocity"]
        v *= self.momentum
        v -= lr * g
        if self.nesterov:
            p += self.momentum * v - lr * g
        else:
            p += v

    def _update_sparse(self, p, g, s, lr):
        if self.momentum:  # every row's velocity moves: only the dense rule is exact
            return self._update_dense(p, g.to_dense(), s, lr)
        p[g.rows] -= (lr * g.values).astype(p.dtype)

    def get_config(self):
        return {**super().get_config(), "momentum": self.momentum, "nesterov": self.nesterov}


class RMSprop(Optimizer):
    """Keras 2.1 RMSprop:  a = rho a + (1 - rho) g^2;  p -= lr g / (sqrt(a) + eps).

    eps is *outside* the square root (Keras 3 puts it inside). For an embedding's
    row-sparse gradient, a row that the batch did not touch has g = 0: its weight does
    not move and its accumulator only decays, a <- rho a. ``lazy=True`` (the default)
    applies those k decays at once, as rho^k, when the row is next touched (or when the
    state is read), so a step costs O(touched rows) and the result equals the dense rule
    up to float rounding.
    """

    name = "rmsprop"

    def __init__(self, lr: float = 0.001, rho: float = 0.9, epsilon: float | None = None,
                 decay: float = 0.0, lazy: bool = True, **kwargs):
        super().__init__(lr, decay, **kwargs)
        self.rho = _positive("rho", rho, allow_zero=True)
        if self.rho >= 1:
            raise ValueError(f"rho={rho!r}; accepted: 0 <= rho < 1")
        self.epsilon = backend.epsilon() if epsilon is None else _positive("epsilon", epsilon)
        self.lazy = bool(lazy)

    def _new_state(self, p):
        # last_step[r]: how many updates row r's accumulator has seen; only a parameter
        # updated lazily (row-sparse) ever falls behind and needs catching up.
        return {"accumulator": np.zeros_like(p),
                "last_step": np.zeros(p.shape[0] if p.ndim else 1, np.int64),
                "lazy": np.zeros((), bool)}

    def _catch_up(self, s, rows=None) -> None:
        """Apply the decays a row missed since it was last updated."""
        last = s["last_step"] if rows is None else s["last_step"][rows]
        missed = self.iterations - last
        if rows is None and not missed.any():
            return
        decay = np.power(self.rho, missed).astype(s["accumulator"].dtype)
        decay = decay.reshape((-1,) + (1,) * (s["accumulator"].ndim - 1))
        if rows is None:
            s["accumulator"] *= decay
            s["last_step"][:] = self.iterations
        else:
            s["accumulator"][rows] *= decay
            s["last_step"][rows] = self.iterations

    def _update_dense(self, p, g, s, lr):
        lazy = bool(s.get("lazy", True))
        if lazy:
            self._catch_up(s)
        a = s["accumulator"]
        a *= self.rho
        a += (1 - self.rho) * np.square(g)
        p -= lr * g / (np.sqrt(a) + self.epsilon)
        if lazy:
            s["last_step"][:] = self.iterations + 1

    def _update_sparse(self, p, g, s, lr):
        if not self.lazy:
            return self._update_dense(p, g.to_dense(), s, lr)
        rows = g.rows
        if not s["lazy"]:  # from now on this parameter's rows may fall behind
            s["last_step"][:] = self.iterations
            s["lazy"] = np.ones((), bool)
        self._catch_up(s, rows)
        a = s["accumulator"][rows] * self.rho + (1 - self.rho) * np.square(g.values)
        s["accumulator"][rows] = a
        s["last_step"][rows] = self.iterations + 1
        p[rows] -= lr * g.values / (np.sqrt(a) + self.epsilon)

    def accumulators(self) -> list[np.ndarray]:
        """The accumulators a, with every pending decay applied (as the dense rule has them)."""
        for s in self.state:
            if s.get("lazy", True):
                self._catch_up(s)
        return [s["accumulator"] for s in self.state]

    def get_config(self):
        return {**super().get_config(), "rho": self.rho, "epsilon": self.epsilon, "lazy": self.lazy}


class Adam(Optimizer):
    """Keras 2.1 Adam: lr_t = lr sqrt(1 - b2^t) / (1 - b1^t);  p -= lr_t m / (sqrt(v) + eps)."""

    name = "adam"

    def __init__(self, lr: float = 0.001, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float | None = None, decay: float = 0.0, amsgrad: bool = False,
                 **kwargs):
        super().__init__(lr, decay, **kwargs)
        for n, v in (("beta_1", beta_1), ("beta_2", beta_2)):
            if not isinstance(v, (int, float)) or not 0 <= v < 1:
                raise ValueError(f"{n}={v!r}; accepted: 0 <= {n} < 1")
        self.beta_1, self.beta_2 = float(beta_1), float(beta_2)
        self.epsilon = backend.epsilon() if epsilon is None else _positive("epsilon", epsilon)
        self.amsgrad = bool(amsgrad)

    def _new_state(self, p):
        s = {"m": np.zeros_like(p), "v": np.zeros_like(p)}
        if self.amsgrad:
            s["vhat"] = np.zeros_like(p)
        return s

    def _update_dense(self, p, g, s, lr):
        t = self.iterations + 1
        lr_t = lr * np.sqrt(1 - self.beta_2**t) / (1 - self.beta_1**t)
        m, v = s["m"], s["v"]
        m *= self.beta_1
        m += (1 - self.beta_1) * g
        v *= self.beta_2
        v += (1 - self.beta_2) * np.square(g)
        if self.amsgrad:
            np.maximum(s["vhat"], v, out=s["vhat"])
            v = s["vhat"]
        p -= lr_t * m / (np.sqrt(v) + self.epsilon)

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2,
                "epsilon": self.epsilon, "amsgrad": self.amsgrad}


def _check_beta(name: str, value) -> float:
    ok = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)
    if not ok or not 0 <= value < 1:
        raise ValueError(f"{name}={value!r}; accepted: 0 <= {name} < 1")
    return float(value)


def _catch_up_decays(s: dict, iterations: int, rho: float, keys: tuple[str, ...],
                     rows=None) -> None:
    """Apply to the accumulators ``keys`` the rho-decays their rows missed (lazy updates)."""
    last = s["last_step"] if rows is None else s["last_step"][rows]
    missed = iterations - last
    if rows is None and not missed.any():
        return
    first = s[keys[0]]
    decay = np.power(rho, missed).astype(first.dtype).reshape((-1,) + (1,) * (first.ndim - 1))
    for key in keys:
        if rows is None:
            s[key] *= decay
        else:
            s[key][rows] *= decay
    if rows is None:
        s["last_step"][:] = iterations
    else:
        s["last_step"][rows] = iterations


class Adagrad(Optimizer):
    """Keras 2.1 Adagrad:  a = a + g^2 (a starts at 0);  p -= lr g / (sqrt(a) + eps).

    eps is outside the square root. Embedding rows: a row the batch did not touch has
    g = 0, so neither its accumulator nor its weight changes; the row-sparse update
    touches only the batch's rows and is exact.
    """

    name = "adagrad"

    def __init__(self, lr: float = 0.01, epsilon: float | None = None, decay: float = 0.0,
                 **kwargs):
        super().__init__(lr, decay, **kwargs)
        self.epsilon = backend.epsilon() if epsilon is None else _positive("epsilon", epsilon)

    def _new_state(self, p):
        return {"accumulator": np.zeros_like(p)}

    def _update_dense(self, p, g, s, lr):
        a = s["accumulator"]
        a += np.square(g)
        p -= lr * g / (np.sqrt(a) + self.epsilon)

    def _update_sparse(self, p, g, s, lr):
        rows = g.rows
        a = s["accumulator"][rows] + np.square(g.values)
        s["accumulator"][rows] = a
        p[rows] -= lr * g.values / (np.sqrt(a) + self.epsilon)

    def get_config(self):
        return {**super().get_config(), "epsilon": self.epsilon}


class Adadelta(Optimizer):
    """Keras 2.1 Adadelta (default lr 1.0, rho 0.95):

        a  = rho a + (1 - rho) g^2
        u  = g sqrt(d + eps) / sqrt(a + eps)
        p -= lr u
        d  = rho d + (1 - rho) u^2

    Embedding rows: an untouched row has g = 0, so u = 0 and its weight does not move,
    while both accumulators a and d decay by rho. With ``lazy=True`` (default) those
    decays are applied as rho^k when the row is next touched (or by `settle`), so a step
    costs O(touched rows) and equals the dense rule up to float rounding.
    """

    name = "adadelta"
    _DECAYING = ("accumulator", "delta_accumulator")

    def __init__(self, lr: float = 1.0, rho: float = 0.95, epsilon: float | None = None,
                 decay: float = 0.0, lazy: bool = True, **kwargs):
        super().__init__(lr, decay, **kwargs)
        self.rho = _check_beta("rho", rho)
        self.epsilon = backend.epsilon() if epsilon is None else _positive("epsilon", epsilon)
        self.lazy = bool(lazy)

    def _new_state(self, p):
        return {"accumulator": np.zeros_like(p), "delta_accumulator": np.zeros_like(p),
                "last_step": np.zeros(p.shape[0] if p.ndim else 1, np.int64)}

    def _step(self, p, g, a, d, lr):
        """One Adadelta step on (rows of) a parameter; returns the new a and d."""
        a = self.rho * a + (1 - self.rho) * np.square(g)
        u = g * np.sqrt(d + self.epsilon) / np.sqrt(a + self.epsilon)
        d = self.rho * d + (1 - self.rho) * np.square(u)
        return a, d, lr * u

    def _update_dense(self, p, g, s, lr):
        _catch_up_decays(s, self.iterations, self.rho, self._DECAYING)
        a, d, step = self._step(p, g, s["accumulator"], s["delta_accumulator"], lr)
        s["accumulator"][...], s["delta_accumulator"][...] = a, d
        p -= step
        s["last_step"][:] = self.iterations + 1

    def _update_sparse(self, p, g, s, lr):
        if not self.lazy:
            return self._update_dense(p, g.to_dense(), s, lr)
        rows = g.rows
        _catch_up_decays(s, self.iterations, self.rho, self._DECAYING, rows)
        a, d, step = self._step(p[rows], g.values, s["accumulator"][rows],
                                s["delta_accumulator"][rows], lr)
        s["accumulator"][rows], s["delta_accumulator"][rows] = a, d
        s["last_step"][rows] = self.iterations + 1
        p[rows] -= step

    def settle(self) -> None:
        """Apply every pending lazy decay (the state then equals the dense rule's)."""
        for s in self.state:
            _catch_up_decays(s, self.iterations, self.rho, self._DECAYING)

    def get_config(self):
        return {**super().get_config(), "rho": self.rho, "epsilon": self.epsilon,
                "lazy": self.lazy}


class Adamax(Optimizer):
    """Keras 2.1 Adamax (Adam with the infinity norm), t = iterations + 1:

        m = b1 m + (1 - b1) g;   u = max(b2 u, |g|)
        p -= lr / (1 - b1^t) * m / (u + eps)

    Dense update always: an untouched embedding row still moves (m != 0), so no lazy rule
    is exact.
    """

    name = "adamax"

    def __init__(self, lr: float = 0.002, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float | None = None, decay: float = 0.0, **kwargs):
        super().__init__(lr, decay, **kwargs)
        self.beta_1 = _check_beta("beta_1", beta_1)
        self.beta_2 = _check_beta("beta_2", beta_2)
        self.epsilon = backend.epsilon() if epsilon is None else _positive("epsilon", epsilon)

    def _new_state(self, p):
        return {"m": np.zeros_like(p), "u": np.zeros_like(p)}

    def _update_dense(self, p, g, s, lr):
        t = self.iterations + 1
        lr_t = lr / (1 - self.beta_1**t)
        m, u = s["m"], s["u"]
        m *= self.beta_1
        m += (1 - self.beta_1) * g
        np.maximum(self.beta_2 * u, np.abs(g), out=u)
        p -= lr_t * m / (u + self.epsilon)

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2,
                "epsilon": self.epsilon}


class Nadam(Optimizer):
    """Keras 2.1 Nadam (Adam with Nesterov momentum), t = iterations + 1:

        mu_t   = b1 (1 - 0.5 * 0.96^(t * schedule_decay))       (momentum schedule)
        M_t    = mu_1 ... mu_t                                   (``m_schedule``)
        g'     = g / (1 - M_t)
        m = b1 m + (1 - b1) g;        m' = m / (1 - M_t mu_{t+1})
        v = b2 v + (1 - b2) g^2;      v' = v / (1 - b2^t)
        m_bar  = (1 - mu_t) g' + mu_{t+1} m'
        p -= lr m_bar / (sqrt(v') + eps)

    ``decay`` (lr / (1 + decay * iterations)) is a numrnn addition for uniformity: Keras
    2.1's Nadam has no ``decay`` argument; the default 0 gives Keras' rule. ``M_t`` is a
    function of the step count only, so it is recomputed from ``iterations`` (it survives
    save/load with nothing extra stored). Dense update always (m moves untouched rows).
    """

    name = "nadam"

    def __init__(self, lr: float = 0.002, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float | None = None, schedule_decay: float = 0.004,
                 decay: float = 0.0, **kwargs):
        super().__init__(lr, decay, **kwargs)
        self.beta_1 = _check_beta("beta_1", beta_1)
        self.beta_2 = _check_beta("beta_2", beta_2)
        self.epsilon = backend.epsilon() if epsilon is None else _positive("epsilon", epsilon)
        self.schedule_decay = _positive("schedule_decay", schedule_decay, allow_zero=True)
        self._schedule_cache: tuple[int, float] = (0, 1.0)

    def _momentum(self, t: int) -> float:
        return self.beta_1 * (1 - 0.5 * 0.96 ** (t * self.schedule_decay))

    def m_schedule(self, t: int) -> float:
        """M_t = prod_{s=1..t} mu_s (1 for t = 0)."""
        start, value = self._schedule_cache
        if start > t:
            start, value = 0, 1.0
        for step in range(start + 1, t + 1):
            value *= self._momentum(step)
        self._schedule_cache = (t, value)
        return value

    def _new_state(self, p):
        return {"m": np.zeros_like(p), "v": np.zeros_like(p)}

    def _update_dense(self, p, g, s, lr):
        t = self.iterations + 1
        mu_t, mu_next = self._momentum(t), self._momentum(t + 1)
        schedule = self.m_schedule(t)
        m, v = s["m"], s["v"]
        m *= self.beta_1
        m += (1 - self.beta_1) * g
        v *= self.beta_2
        v += (1 - self.beta_2) * np.square(g)
        g_prime = g / (1 - schedule)
        m_prime = m / (1 - schedule * mu_next)
        v_prime = v / (1 - self.beta_2**t)
        m_bar = (1 - mu_t) * g_prime + mu_next * m_prime
        p -= lr * m_bar / (np.sqrt(v_prime) + self.epsilon)

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2,
                "epsilon": self.epsilon, "schedule_decay": self.schedule_decay}


_REGISTRY = {"sgd": SGD, "rmsprop": RMSprop, "adam": Adam, "adagrad": Adagrad,
             "adadelta": Adadelta, "adamax": Adamax, "nadam": Nadam}


def get(identifier: str | Optimizer) -> Optimizer:
    """An optimizer instance from a name (with Keras defaults) or an instance."""
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, str) and identifier.lower() in _REGISTRY:
        return _REGISTRY[identifier.lower()]()
    raise ValueError(
        f"optimizer={identifier!r} is not a known optimizer; accepted: "
        f"{', '.join(sorted(_REGISTRY))} or an Optimizer instance"
    )


def from_config(name: str, config: dict) -> Optimizer:
    return _REGISTRY[name](**config)
