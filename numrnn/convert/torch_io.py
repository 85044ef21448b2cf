"""PyTorch state dicts in and out, without importing torch.

The equivalent PyTorch module of a numrnn model (docs/convert.md has its code) holds one
submodule per numrnn layer, named after the layer's class and numbered per class
(``embedding``, ``lstm``, ``lstm_1``, ``dense``: `layouts.numbered_names`), so any two
models of one architecture share their keys, whatever their layers are called:

=============  ===================================  ==========================================
numrnn         PyTorch                              state-dict keys (``<name>.`` + ...)
=============  ===================================  ==========================================
Embedding      ``nn.Embedding(V, D)``               ``weight``
Dense          ``nn.Linear(D, units)`` + activation ``weight``, ``bias``
Flatten        ``x.flatten(1)``                     (none)
SimpleRNN      ``nn.RNN(D, H, batch_first=True)``   ``weight_ih_l0``, ``weight_hh_l0``,
LSTM           ``nn.LSTM(D, H, batch_first=True)``  ``bias_ih_l0``, ``bias_hh_l0``
GRU            ``nn.GRU(D, H, batch_first=True)``
Bidirectional  the same with ``bidirectional=True`` the above, then the same + ``_reverse``
Dropout,       (nothing at inference)               (none)
SpatialDropout1D
=============  ===================================  ==========================================

A functional `Model` maps the same way, one submodule per layer (Input layers have none),
numbered in the order Keras lists the layers (by depth, the encoder before the decoder:
`numrnn.convert.keras_graph.keras_order`); its merge layers are ``torch.cat``, ``+``,
``-``, ``*``, a mean or ``torch.bmm`` in the module's ``forward`` and have no weights; a
recurrent layer's ``return_state`` states are PyTorch's ``(h_n, c_n)`` and
``initial_state`` its ``(h_0, c_0)`` (with a leading axis of 1).

A Bidirectional must merge by ``concat`` (PyTorch's output is [forward, backward] on the
last axis; without ``return_sequences`` it is ``cat(h_n[0], h_n[1])``, not ``out[:, -1]``).

Weights are transposed and gate blocks reordered (`numrnn.convert.layouts`); Keras' single
bias b of an LSTM or SimpleRNN becomes ``bias_ih = b``, ``bias_hh = 0`` (and loading adds
them back: b = b_ih + b_hh). A layer PyTorch's modules cannot reproduce (a sigmoid cell
activation, hard_sigmoid gates, GRU ``reset_after=False``, go_backwards, masking) is refused.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..layers import (
    GRU,
    LSTM,
    Add,
    Average,
    Bidirectional,
    Concatenate,
    Dense,
    Dot,
    Dropout,
    Embedding,
    Flatten,
    InputLayer,
    Layer,
    Multiply,
    SimpleRNN,
    SpatialDropout1D,
    Subtract,
)
from ..models import Model, Sequential
from . import keras_graph, layouts

__all__ = ["torch_state_dict", "load_torch_state_dict"]

_DENSE_ACTIVATIONS = ("linear", "sigmoid", "tanh", "relu", "softplus", "softmax")


def _refuse(layer: Layer, setting: str, why: str) -> None:
    raise ValueError(f"layer {layer.name!r} ({type(layer).__name__}): {setting}: {why}; "
                     "PyTorch's module would compute another function, so it is not converted")


def _check_rnn(layer, activations: tuple[str, ...]) -> None:
    if layer.activation.name not in activations:
        _refuse(layer, f"activation={layer.activation.name!r}",
                f"nn.{_TORCH_CLASS[type(layer)]} uses {' or '.join(activations)}")
    if hasattr(layer, "reset_after") and not layer.reset_after:
        _refuse(layer, "reset_after=False", "nn.GRU applies the reset gate after the "
                "recurrent matmul (reset_after=True)")
    if not isinstance(layer, SimpleRNN) and layer.recurrent_activation.name != "sigmoid":
        _refuse(layer, f"recurrent_activation={layer.recurrent_activation.name!r}",
                "PyTorch's gates are sigmoid")
    if layer.go_backwards:
        _refuse(layer, "go_backwards=True", "PyTorch's recurrent modules run forwards")


_TORCH_CLASS = {SimpleRNN: "RNN", LSTM: "LSTM", GRU: "GRU"}


# ---- per-kind conversions: (numrnn params in Keras layout) <-> {suffix: torch array} ----
def _rnn_order(layer) -> tuple[int, ...]:
    if isinstance(layer, LSTM):
        return layouts.LSTM_KERAS_TO_TORCH
    if isinstance(layer, GRU):
        return layouts.GRU_KERAS_TO_TORCH
    return (0,)


def _rnn_keys(layer) -> list[str]:
    keys = ["weight_ih_l0", "weight_hh_l0"]
    return keys + (["bias_ih_l0", "bias_hh_l0"] if layer.use_bias else [])


def _rnn_to_torch(layer, p: dict) -> dict:
    order = _rnn_order(layer)
    out = {"weight_ih_l0": layouts.keras_to_torch(p["kernel"], order),
           "weight_hh_l0": layouts.keras_to_torch(p["recurrent_kernel"], order)}
    if layer.use_bias:
        b = p["bias"]
        if b.ndim == 2:  # GRU reset_after: row 0 input bias, row 1 recurrent bias
            out["bias_ih_l0"] = layouts.reorder_blocks(b[0], order)
            out["bias_hh_l0"] = layouts.reorder_blocks(b[1], order)
        else:
            out["bias_ih_l0"] = layouts.reorder_blocks(b, order)
            out["bias_hh_l0"] = np.zeros_like(b)
    return out


def _rnn_from_torch(layer, t: dict) -> list[np.ndarray]:
    order = _rnn_order(layer)
    back = layouts.inverse(order)
    weights = [layouts.torch_to_keras(t["weight_ih_l0"], order),
               layouts.torch_to_keras(t["weight_hh_l0"], order)]
    if layer.use_bias:
        b_ih = layouts.reorder_blocks(t["bias_ih_l0"], back)
        b_hh = layouts.reorder_blocks(t["bias_hh_l0"], back)
        weights.append(np.stack([b_ih, b_hh]) if layer.params["bias"].ndim == 2
                       else b_ih + b_hh)
    return weights


def _dense_check(layer: Dense) -> None:
    if layer.activation.name not in _DENSE_ACTIVATIONS:
        _refuse(layer, f"activation={layer.activation.name!r}",
                f"the module applies one of {', '.join(_DENSE_ACTIVATIONS)} after nn.Linear")


def _embedding_check(layer: Embedding) -> None:
    if layer.mask_zero:
        _refuse(layer, "mask_zero=True", "PyTorch's recurrent modules take no mask (padding "
                "is handled with packed sequences, which this mapping does not build)")


def _bidirectional_check(layer: Bidirectional) -> None:
    if layer.merge_mode != "concat":
        _refuse(layer, f"merge_mode={layer.merge_mode!r}", "a bidirectional PyTorch module "
                "concatenates the two directions (merge_mode='concat')")
    if layer.return_state:
        _refuse(layer, "return_state=True", "the Sequential mapping passes one output on")
    inner = layer.forward_layer
    if type(inner) not in _TORCH_CLASS:
        _refuse(layer, f"layer={type(inner).__name__}", "PyTorch has RNN, LSTM and GRU")
    _check_rnn(inner, ("tanh", "relu") if isinstance(inner, SimpleRNN) else ("tanh",))


def _bidirectional_keys(layer: Bidirectional) -> list[str]:
    keys = _rnn_keys(layer.forward_layer)
    return keys + [k + "_reverse" for k in keys]


def _bidirectional_to_torch(layer: Bidirectional, p: dict) -> dict:
    fwd, bwd = layer.forward_layer, layer.backward_layer
    out = _rnn_to_torch(fwd, fwd.params)
    return out | {k + "_reverse": v for k, v in _rnn_to_torch(fwd, bwd.params).items()}


def _bidirectional_from_torch(layer: Bidirectional, t: dict) -> list[np.ndarray]:
    fwd = layer.forward_layer
    back = {k[: -len("_reverse")]: v for k, v in t.items() if k.endswith("_reverse")}
    return _rnn_from_torch(fwd, t) + _rnn_from_torch(fwd, back)


@dataclass(frozen=True)
class TorchKind:
    numrnn_class: type
    keys: Callable[[Any], list[str]]
    to_torch: Callable[[Any, dict], dict]
    from_torch: Callable[[Any, dict], list[np.ndarray]]
    check: Callable[[Any], None] = lambda layer: None


KINDS: tuple[TorchKind, ...] = (
    TorchKind(Embedding, lambda layer: ["weight"],
              lambda layer, p: {"weight": p["embeddings"].copy()},
              lambda layer, t: [t["weight"]], _embedding_check),
    TorchKind(Dense, lambda layer: ["weight", "bias"] if layer.use_bias else ["weight"],
              lambda layer, p: {"weight": np.ascontiguousarray(p["kernel"].T),
                                **({"bias": p["bias"].copy()} if layer.use_bias else {})},
              lambda layer, t: [np.ascontiguousarray(t["weight"].T)]
              + ([t["bias"]] if layer.use_bias else []), _dense_check),
    TorchKind(Flatten, lambda layer: [], lambda layer, p: {}, lambda layer, t: []),
    TorchKind(SimpleRNN, _rnn_keys, _rnn_to_torch, _rnn_from_torch,
              lambda layer: _check_rnn(layer, ("tanh", "relu"))),
    TorchKind(LSTM, _rnn_keys, _rnn_to_torch, _rnn_from_torch,
              lambda layer: _check_rnn(layer, ("tanh",))),
    TorchKind(GRU, _rnn_keys, _rnn_to_torch, _rnn_from_torch,
              lambda layer: _check_rnn(layer, ("tanh",))),
    TorchKind(Bidirectional, _bidirectional_keys, _bidirectional_to_torch,
              _bidirectional_from_torch, _bidirectional_check),
    # identity at inference, no weights: nothing in the state dict
    TorchKind(Dropout, lambda layer: [], lambda layer, p: {}, lambda layer, t: []),
    TorchKind(SpatialDropout1D, lambda layer: [], lambda layer, p: {}, lambda layer, t: []),
) + tuple(  # merge layers of a functional model: torch.cat, +, -, *, mean, bmm; no weights
    TorchKind(cls, lambda layer: [], lambda layer, p: {}, lambda layer, t: [])
    for cls in (Concatenate, Add, Subtract, Multiply, Average, Dot))


def _kind(layer: Layer) -> TorchKind:
    for kind in KINDS:
        if type(layer) is kind.numrnn_class:
            return kind
    raise ValueError(f"layer {layer.name!r} ({type(layer).__name__}) has no PyTorch mapping; "
                     f"supported: {', '.join(k.numrnn_class.__name__ for k in KINDS)}")


def _checked_model(model: Any, what: str) -> list[tuple[Layer, str, TorchKind]]:
    """(layer, submodule name, kind) of every layer but the Input layers, in Keras' order
    (a Sequential's layers in order, a functional model's by depth: `keras_graph.keras_order`)."""
    if not isinstance(model, Model):
        raise TypeError(f"{what}: model has type {type(model).__name__}; accepted: a numrnn "
                        "Sequential or Model")
    if not model.built:
        raise ValueError(f"{what}: the model is not built; give its first layer an input shape")
    out = []
    ordered = model.layers if isinstance(model, Sequential) else keras_graph.keras_order(model)
    layers = [layer for layer in ordered if not isinstance(layer, InputLayer)]
    names = layouts.numbered_names([type(layer).__name__ for layer in layers])
    for layer, name in zip(layers, names):
        kind = _kind(layer)
        kind.check(layer)
        out.append((layer, name, kind))
    return out


def torch_state_dict(model: Model) -> dict[str, np.ndarray]:
    """NumPy arrays named and laid out as the state dict of the equivalent PyTorch module.

    ``module.load_state_dict({k: torch.from_numpy(v) for k, v in sd.items()})`` then gives
    a module computing what ``model`` computes (docs/convert.md defines the module: one
    submodule per layer, named ``embedding``, ``lstm``, ``lstm_1``, ... by class and
    position; recurrent modules with ``batch_first=True``).
    Refuses (ValueError) layers and settings PyTorch's modules cannot express.

    Example:
        >>> sd = numrnn.convert.torch_state_dict(net)
        >>> sorted(sd)[:3]                       # dense.bias, dense.weight, embedding.weight
    """
    out: dict[str, np.ndarray] = {}
    for layer, name, kind in _checked_model(model, "torch_state_dict"):
        for suffix, value in kind.to_torch(layer, layer.params).items():
            out[f"{name}.{suffix}"] = value
    return out


def _as_array(value: Any, key: str) -> np.ndarray:
    """A NumPy copy of a tensor or array-like (torch tensors: detach, cpu, numpy)."""
    for step in ("detach", "cpu"):
        if hasattr(value, step) and callable(getattr(value, step)):
            value = getattr(value, step)()
    arr = value.numpy() if hasattr(value, "numpy") else np.asarray(value)
    arr = np.array(arr)
    if arr.dtype.kind != "f":
        raise TypeError(f"state_dict[{key!r}] has dtype {arr.dtype}; accepted: floating point")
    return arr


def load_torch_state_dict(model: Model, state_dict: Mapping[str, Any]) -> None:
    """Load a PyTorch state dict (of the module docs/convert.md defines) into ``model``.

    Values may be torch tensors, NumPy arrays or anything with ``.numpy()`` or
    ``__array__``. Keys must match exactly; every shape is checked and every array
    converted before the first weight is written, so on any error the model is unchanged.

    Example:
        >>> numrnn.convert.load_torch_state_dict(net, torch_module.state_dict())
    """
    if not isinstance(state_dict, Mapping):
        raise TypeError(f"state_dict has type {type(state_dict).__name__}; accepted: a mapping "
                        "of names to tensors (module.state_dict())")
    pairs = _checked_model(model, "load_torch_state_dict")
    expected = [f"{name}.{s}" for layer, name, kind in pairs for s in kind.keys(layer)]
    missing = [k for k in expected if k not in state_dict]
    unexpected = [k for k in state_dict if k not in expected]
    if missing or unexpected:
        raise ValueError("load_torch_state_dict: the state dict does not fit the model: "
                         f"missing keys {missing}, unexpected keys {unexpected}")
    reference = torch_state_dict(model)  # shapes in PyTorch's layout
    arrays = {}
    for key in expected:
        arr = _as_array(state_dict[key], key)
        if arr.shape != reference[key].shape:
            raise ValueError(f"load_torch_state_dict: {key} has shape {tuple(arr.shape)}, the "
                             f"model needs {reference[key].shape}")
        if not np.isfinite(arr).all():
            raise ValueError(f"load_torch_state_dict: {key} holds NaN or infinite values")
        arrays[key] = arr
    new = []
    for layer, name, kind in pairs:
        own = {s: arrays[f"{name}.{s}"] for s in kind.keys(layer)}
        new.append((layer, [w.astype(layer.dtype) for w in kind.from_torch(layer, own)]))
    for layer, weights in new:
        if weights:
            layer.set_weights(weights)
