"""The layer contract, after Keras: ``build`` from the input shape, then forward/backward.

A layer owns

* ``params``: its weights by name, in Keras order (``get_weights`` returns them so);
* ``grads``: the gradients of the loss with respect to ``params``, set by ``backward``;
* whatever ``forward`` cached for ``backward`` (named after the math).

Shapes include the batch dimension as ``None``: ``(None, 20, 8)``.
"""

from __future__ import annotations

import inspect
from typing import Any

import numpy as np

from .. import backend
from .. import initializers as inits

Shape = tuple  # (None, d1, d2, ...)


def _is_shape_list(shape) -> bool:
    """A list of shapes (a layer with several inputs), not one shape."""
    return isinstance(shape, (list, tuple)) and bool(shape) and all(
        isinstance(s, (list, tuple)) for s in shape)


def check_finite(x: np.ndarray, argument: str) -> None:
    """Raise ValueError if a float array holds NaN or inf."""
    if x.dtype.kind == "f" and not np.isfinite(x).all():
        bad = int(np.size(x) - np.count_nonzero(np.isfinite(x)))
        raise ValueError(f"{argument} contains {bad} NaN or infinite value(s); accepted: finite")


def is_several_inputs(inputs) -> bool:
    """A list/tuple of arrays is several inputs; a (nested) list of numbers is one array."""
    return isinstance(inputs, (list, tuple)) and bool(inputs) and all(
        isinstance(a, np.ndarray) for a in inputs)


def as_float_array(x: Any, dtype: np.dtype, argument: str, finite: bool = False) -> np.ndarray:
    """Turn numeric input into an array of the layer's float type.

    ``finite=True`` also rejects NaN/inf. That check belongs where data enters (``fit``,
    ``predict``, a direct ``layer(x)`` call), not between layers: a value that overflows
    inside the network must reach the loss, where ``fit`` stops training cleanly.
    """
    arr = np.asarray(x)
    if arr.dtype.kind not in "biuf":
        raise TypeError(
            f"{argument} has dtype {arr.dtype}; accepted: a numeric (int or float) array"
        )
    arr = arr.astype(dtype, copy=False)
    if finite:
        check_finite(arr, argument)
    return arr


# Keras arguments numrnn deliberately does not take, and why (the TypeError says so).
_NOT_SUPPORTED = {
    "steps_per_epoch": "numrnn's fit/evaluate take arrays, not data tensors or generators, "
                       "so an epoch is always one pass over the arrays",
    "validation_steps": "numrnn's fit takes arrays, not data tensors or generators",
}


def _accepted_arguments(cls) -> list[str]:
    """The keyword arguments of ``cls`` and of every base class's ``__init__``, in MRO order."""
    names: list[str] = []
    for klass in cls.__mro__:
        init = klass.__dict__.get("__init__")
        if init is None:
            continue
        for p in inspect.signature(init).parameters.values():
            if p.name != "self" and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL) \
                    and p.name not in names:
                names.append(p.name)
    return names


def unknown_argument_error(owner: str, unknown: dict, accepted: list[str]) -> TypeError:
    """The TypeError for keyword arguments ``owner`` does not take."""
    name = next(iter(unknown))
    why = _NOT_SUPPORTED.get(name)
    if why:
        return TypeError(f"{owner}: the Keras argument {name!r} is not supported: {why}")
    return TypeError(f"{owner} got an unexpected keyword argument {name!r}; accepted: "
                     f"{', '.join(accepted)}")


def _lazy_get(module: str, identifier, kind: str):
    """A regularizer/constraint object: used as given when it already has the documented API,
    else looked up with ``numrnn.<module>.get`` (imported only when one is given)."""
    if identifier is None:
        return None
    if callable(identifier) and (kind != "regularizer" or hasattr(identifier, "gradient")):
        return identifier
    import importlib

    return importlib.import_module(f"numrnn.{module}").get(identifier)


class Layer:
    """Base class of all layers.

    Keyword arguments every layer takes (Keras 2.1's base ``Layer``): ``name``,
    ``input_shape`` (without the batch dimension), ``input_dim``, ``batch_input_shape``,
    ``batch_size``, ``dtype``, ``trainable`` and ``weights`` (initial weights, set right
    after ``build``). Any other unknown keyword raises a TypeError that names it and
    lists what the layer accepts.

    Regularizers and constraints are attached per weight by ``add_weight``; the engine adds
    ``regularization_loss()`` to the training loss, calls ``add_regularization_gradients()``
    after ``backward`` and ``apply_constraints()`` after each optimizer update. A layer with an
    ``activity_regularizer`` attribute gets its output penalised by the engine.
    """

    supports_masking = False

    def __init__(
        self,
        *,
        name: str | None = None,
        input_shape: tuple | None = None,
        input_dim: int | None = None,
        batch_input_shape: tuple | None = None,
        batch_size: int | None = None,
        dtype: Any = None,
        trainable: bool = True,
        weights: list | None = None,
        **unknown: Any,
    ):
        if unknown:
            raise unknown_argument_error(type(self).__name__, unknown,
                                         _accepted_arguments(type(self)))
        if name is not None and (not isinstance(name, str) or not name):
            raise ValueError(f"name={name!r}; accepted: a non-empty str")
        if batch_size is not None and (not isinstance(batch_size, (int, np.integer))
                                       or isinstance(batch_size, bool) or batch_size < 1):
            raise ValueError(f"batch_size={batch_size!r}; accepted: a positive int or None")
        if weights is not None and not isinstance(weights, (list, tuple)):
            raise TypeError(f"weights has type {type(weights).__name__}; accepted: a list of "
                            "arrays (set after the layer is built)")
        self.name = name or backend.unique_name(type(self).__name__)
        self.dtype = backend.check_dtype(dtype)
        self.trainable = bool(trainable)
        self.params: dict[str, np.ndarray] = {}
        self.grads: dict[str, Any] = {}
        self.built = False
        self.input_shape: Shape | None = None
        self.output_shape: Shape | None = None
        self.batch_input_shape = self._declared_input_shape(
            input_shape, input_dim, batch_input_shape
        )
        if batch_size is not None and self.batch_input_shape is not None:
            self.batch_input_shape = (int(batch_size),) + tuple(self.batch_input_shape[1:])
        self._initial_weights = None if weights is None else list(weights)
        self._regularizers: dict[str, Any] = {}
        self._constraints: dict[str, Any] = {}
        self._non_trainable: set[str] = set()
        self._activity_penalty = 0.0
        self._inbound_nodes: list = []  # graph nodes where this layer was called (engine)

    # ---- declared input shape (first layer of a Sequential) -----------------------------
    @staticmethod
    def _declared_input_shape(input_shape, input_dim, batch_input_shape) -> Shape | None:
        if batch_input_shape is not None:
            if not isinstance(batch_input_shape, (tuple, list)) or not batch_input_shape:
                raise ValueError(f"batch_input_shape={batch_input_shape!r}; accepted: a tuple "
                                 "(batch, d1, ...) of positive ints or None")
            return tuple(batch_input_shape)
        if input_shape is not None:
            if not isinstance(input_shape, (tuple, list)) or not all(
                d is None or (isinstance(d, (int, np.integer)) and d > 0) for d in input_shape
            ):
                raise ValueError(
                    f"input_shape={input_shape!r}; accepted: a tuple of positive ints "
                    "(without the batch dimension)"
                )
            return (None, *tuple(int(d) if d is not None else None for d in input_shape))
        if input_dim is not None:
            if not isinstance(input_dim, (int, np.integer)) or input_dim <= 0:
                raise ValueError(f"input_dim={input_dim!r}; accepted: a positive int")
            return (None, int(input_dim))
        return None

    # ---- build ------------------------------------------------------------------------
    def build(self, input_shape: Shape) -> None:
        """Create the weights for inputs of ``input_shape``; called once, before forward."""
        self.input_shape = tuple(input_shape) if not _is_shape_list(input_shape) \
            else [tuple(s) for s in input_shape]
        self.output_shape = self.compute_output_shape(self.input_shape)
        self.built = True

    def build_all_or_nothing(self, input_shape) -> None:
        """``build``, then the ``weights=`` given to the constructor; if either fails the layer
        is left unbuilt, as before the call (no half-made weights)."""
        try:
            self.build(input_shape)
            if self._initial_weights is not None:
                self.set_weights(self._initial_weights)
                self._initial_weights = None
        except BaseException:
            self.unbuild()
            raise

    def unbuild(self) -> None:
        """Forget the weights and shapes made by ``build`` (used to undo a failed build)."""
        self.params.clear()
        self.grads = {}
        self._regularizers.clear()
        self._constraints.clear()
        self._non_trainable.clear()
        self.built = False
        self.input_shape = self.output_shape = None

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        return tuple(input_shape)

    def add_weight(self, name: str, shape: tuple[int, ...], initializer, regularizer=None,
                   constraint=None, trainable: bool = True) -> np.ndarray:
        """Create weight ``name`` of ``shape``; ``regularizer``/``constraint`` are objects from
        ``numrnn.regularizers.get`` / ``numrnn.constraints.get`` (or identifiers for them)."""
        init = inits.get(initializer, f"{name}_initializer")
        reg = _lazy_get("regularizers", regularizer, "regularizer")
        con = _lazy_get("constraints", constraint, "constraint")
        value = np.ascontiguousarray(init(tuple(shape), self.dtype, backend.rng()))
        self.params[name] = value
        if reg is not None:
            self._regularizers[name] = reg
        if con is not None:
            self._constraints[name] = con
        if not trainable:
            self._non_trainable.add(name)
        return value

    @property
    def trainable_param_names(self) -> list[str]:
        """Names of the weights the optimizer updates (none if the layer is frozen)."""
        if not self.trainable:
            return []
        return [n for n in self.params if n not in self._non_trainable]

    # ---- regularization and constraints (called by the engine) -------------------------
    def regularization_loss(self) -> float:
        """Sum of the weight penalties, plus the activity penalty of the last forward pass."""
        total = sum(float(reg(self.params[n])) for n, reg in self._regularizers.items())
        return total + self._activity_penalty

    def add_regularization_gradients(self) -> None:
        """Add each weight penalty's gradient into ``self.grads`` (after ``backward``)."""
        for n, reg in self._regularizers.items():
            g = self.grads.get(n)
            if g is None:
                g = np.zeros_like(self.params[n])
            elif hasattr(g, "to_dense"):  # a RowSparseGrad: the penalty touches every row
                g = g.to_dense()
            self.grads[n] = g + np.asarray(reg.gradient(self.params[n]), g.dtype)

    def apply_constraints(self) -> None:
        """Project every constrained weight in place (after each optimizer update)."""
        for n, con in self._constraints.items():
            self.params[n][...] = con(self.params[n])

    # ---- forward / backward -----------------------------------------------------------
    def __call__(self, inputs, mask=None, training: bool = False, **kwargs):
        """Build on first use, check the data for NaN/inf, then ``forward``.

        ``inputs`` is an array (nested lists of numbers are one array, as data), or a list of
        arrays for a layer that takes several. Called on symbolic tensors
        (``numrnn.layers.Input``), the call is recorded in a graph for ``numrnn.models.Model``
        and returns symbolic output tensor(s) instead.
        """
        from ..engine.network import call_symbolic, is_symbolic

        if is_symbolic(inputs):
            return call_symbolic(self, inputs, mask=mask, training=training, **kwargs)
        several = is_several_inputs(inputs)
        arrays = [np.asarray(a) for a in inputs] if several else [np.asarray(inputs)]
        for k, a in enumerate(arrays):
            if a.dtype.kind == "f":
                check_finite(a, f"{self.name} inputs" + (f"[{k}]" if several else ""))
        shapes = [(None,) + tuple(a.shape)[1:] for a in arrays]
        if not self.built:
            self.build_all_or_nothing(shapes if several else shapes[0])
        return self.forward(arrays if several else arrays[0], mask=mask, training=training,
                            **kwargs)

    def check_input(self, x, argument: str = "x") -> np.ndarray:
        """Data fed to this layer from outside the model, as the array ``forward`` takes, or an
        error naming ``argument``. The default: finite numbers of the layer's float type, of
        the built rank and feature size (the model's Input checks the full shape). Layers that
        take other data (token ids) override it.
        """
        arr = as_float_array(x, self.dtype, argument, finite=True)
        expected = self.input_shape
        if expected is not None and not _is_shape_list(expected) and (
                arr.ndim != len(expected) or expected[-1] not in (None, arr.shape[-1])):
            raise ValueError(f"{argument}: shape {arr.shape}; the model expects {expected}")
        return arr

    def forward(self, inputs, mask=None, training: bool = False):
        raise NotImplementedError

    def backward(self, dout):
        """Given dL/d(output), set ``self.grads`` and return dL/d(input)."""
        raise NotImplementedError

    def compute_mask(self, inputs, mask):
        """The mask passed on to the next layer (None: no mask)."""
        return mask if self.supports_masking else None

    # ---- weights ----------------------------------------------------------------------
    def get_weights(self) -> list[np.ndarray]:
        """Copies of the weights, in Keras order and shapes."""
        return [w.copy() for w in self.params.values()]

    def set_weights(self, weights: list[np.ndarray]) -> None:
        """Set the weights (Keras order and shapes); all are checked before any is written."""
        self.assign_checked_weights(self.check_weights(weights))

    def check_weights(self, weights: list[np.ndarray], source: str = "weights") -> list:
        """Validate ``weights`` for this layer (count, shapes, numeric, finite) without writing;
        returns them as arrays of the layer's dtypes."""
        if not isinstance(weights, (list, tuple)):
            raise TypeError(
                f"{source} has type {type(weights).__name__}; accepted: a list of arrays")
        if len(weights) != len(self.params):
            raise ValueError(
                f"{source}: layer {self.name!r} expects {len(self.params)} arrays "
                f"({', '.join(self.params)}), got {len(weights)}"
            )
        new = []
        for (pname, cur), w in zip(self.params.items(), weights):
            w = np.asarray(w)
            if w.shape != cur.shape:
                raise ValueError(
                    f"{source}: {self.name}/{pname} has shape {cur.shape}, given {w.shape}"
                )
            if w.dtype.kind not in "biuf":
                raise TypeError(
                    f"{source}: {self.name}/{pname} has dtype {w.dtype}; accepted: numeric")
            w = w.astype(cur.dtype)
            check_finite(w, f"{source}: {self.name}/{pname}")
            new.append(w)
        return new

    def assign_checked_weights(self, weights: list[np.ndarray]) -> None:
        """Write weights that `check_weights` accepted, in place (optimizers keep references)."""
        for cur, w in zip(self.params.values(), weights):
            cur[...] = w

    def count_params(self) -> int:
        return int(sum(w.size for w in self.params.values()))

    # ---- config -----------------------------------------------------------------------
    def get_config(self) -> dict:
        """The constructor arguments (JSON-serialisable); ``from_config`` rebuilds the layer."""
        config = {"name": self.name, "trainable": self.trainable, "dtype": self.dtype.name}
        if self.batch_input_shape is not None:
            config["batch_input_shape"] = list(self.batch_input_shape)
        return config

    @classmethod
    def from_config(cls, config: dict) -> Layer:
        config = dict(config)
        if "batch_input_shape" in config:
            config["batch_input_shape"] = tuple(config["batch_input_shape"])
        return cls(**config)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r} output_shape={self.output_shape}>"
