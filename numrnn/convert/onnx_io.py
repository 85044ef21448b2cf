"""Export a numrnn model as an ONNX graph (built with the ``onnx`` package).

The graph's input is ``input_ids`` (int64 token ids, (batch, length)) for a model that
starts with an Embedding, else ``input`` (float32, (batch, timesteps, features)); its
output is ``output``, what ``model.predict`` returns. The batch dimension is dynamic.

Recurrent layers become ONNX's own LSTM / GRU / RNN operators, run time-major
(``layout=0``, the only layout ONNX Runtime's CPU kernels accept), between two Transposes:

* LSTM: gate blocks reordered from Keras' i, f, c, o to ONNX's i, o, f, c; activations
  f = recurrent_activation, g = h = activation (so LSTM(1, activation='sigmoid') is exact);
* GRU: ONNX's z, r, h is Keras' order; ``reset_after=True`` is ``linear_before_reset=1``;
* biases: ONNX's B holds the input bias then the recurrent bias (Keras' single bias, zeros);
* Keras 2's hard_sigmoid is ONNX's HardSigmoid with alpha=0.2, beta=0.5, Keras 3's
  (numrnn's 'hard_sigmoid_keras3') alpha=1/6, beta=0.5;
* go_backwards: the input is reversed in time first (Keras returns the sequence in that
  processing order, ONNX's ``direction='reverse'`` would not);
* functional models: each layer call becomes its nodes, merge layers ONNX's Concat, Sum,
  Sub, Mul, MatMul; initial states the operators' ``initial_h`` / ``initial_c``.

One table entry per layer kind (`KINDS`) emits that layer's nodes.
"""

from __future__ import annotations

import os
from collections.abc import Callable

import numpy as np

from ..io_utils import atomic_write
from ..layers import (
    GRU,
    LSTM,
    Activation,
    Add,
    Average,
    Bidirectional,
    Concatenate,
    Dense,
    Dot,
    Dropout,
    Embedding,
    Flatten,
    GlobalAveragePooling1D,
    GlobalMaxPooling1D,
    InputLayer,
    Layer,
    Multiply,
    Permute,
    RepeatVector,
    Reshape,
    SimpleRNN,
    SpatialDropout1D,
    Subtract,
    TimeDistributed,
)
from ..models import Model, Sequential
from . import layouts
from ._deps import require

__all__ = ["to_onnx"]

MIN_OPSET = 14  # the first with the LSTM/GRU/RNN ``layout`` attribute

# numrnn activation -> (ONNX operator, its attributes)
_ACTIVATIONS: dict[str, tuple[str | None, dict]] = {
    "linear": (None, {}),
    "sigmoid": ("Sigmoid", {}),
    "tanh": ("Tanh", {}),
    "relu": ("Relu", {}),
    "softplus": ("Softplus", {}),
    "hard_sigmoid": ("HardSigmoid", {"alpha": 0.2, "beta": 0.5}),
    "hard_sigmoid_keras3": ("HardSigmoid", {"alpha": 1.0 / 6.0, "beta": 0.5}),
    "softmax": ("Softmax", {"axis": -1}),
}
# activations the ONNX recurrent operators take (names as in their ``activations`` list)
_RNN_ACTIVATIONS = {"sigmoid": "Sigmoid", "tanh": "Tanh", "relu": "Relu",
                    "softplus": "Softplus", "hard_sigmoid": "HardSigmoid",
                    "hard_sigmoid_keras3": "HardSigmoid"}


class _Graph:
    """Nodes and initializers being collected; names are made unique here."""

    def __init__(self, onnx, opset: int):
        self.onnx, self.helper, self.opset = onnx, onnx.helper, opset
        self.nodes, self.initializers = [], []
        self._count = 0

    def name(self, stem: str) -> str:
        self._count += 1
        return f"{stem}_{self._count}"

    def const(self, stem: str, value: np.ndarray) -> str:
        name = self.name(stem)
        value = np.require(value, requirements="C")  # (ascontiguousarray makes 0-d 1-d)
        self.initializers.append(self.onnx.numpy_helper.from_array(value, name))
        return name

    def node(self, op: str, inputs: list[str], stem: str, n_out: int = 1, **attrs) -> list[str]:
        outputs = [self.name(f"{stem}_out{k}") for k in range(n_out)]
        self.nodes.append(self.helper.make_node(op, inputs, outputs, name=self.name(stem),
                                                **attrs))
        return outputs

    def activation(self, name: str, x: str, stem: str, where: str) -> str:
        if name not in _ACTIVATIONS:
            raise ValueError(f"to_onnx: {where}: activation {name!r} has no ONNX operator here; "
                             f"supported: {', '.join(_ACTIVATIONS)}")
        op, attrs = _ACTIVATIONS[name]
        return x if op is None else self.node(op, [x], f"{stem}_{op}", **attrs)[0]


def _embedding(g: _Graph, layer: Embedding, x: str) -> str:
    table = g.const(f"{layer.name}_embeddings", layer.params["embeddings"])
    return g.node("Gather", [table, x], layer.name, axis=0)[0]


def _flatten(g: _Graph, layer: Flatten, x: str) -> str:
    return g.node("Flatten", [x], layer.name, axis=1)[0]


def _dense(g: _Graph, layer: Dense, x: str) -> str:
    y = g.node("MatMul", [x, g.const(f"{layer.name}_kernel", layer.params["kernel"])],
               layer.name)[0]
    if layer.use_bias:
        y = g.node("Add", [y, g.const(f"{layer.name}_bias", layer.params["bias"])],
                   layer.name)[0]
    return g.activation(layer.activation.name, y, layer.name, f"layer {layer.name!r}")


def _rnn_activations(layer, names: list[str]) -> dict:
    acts, alphas, betas = [], [], []
    for n in names:
        if n not in _RNN_ACTIVATIONS:
            raise ValueError(f"to_onnx: layer {layer.name!r}: activation {n!r} is not one the "
                             f"ONNX recurrent operators take; supported: "
                             f"{', '.join(_RNN_ACTIVATIONS)}")
        acts.append(_RNN_ACTIVATIONS[n])
        if _RNN_ACTIVATIONS[n] == "HardSigmoid":  # ONNX Runtime consumes alpha/beta only here
            alphas.append(_ACTIVATIONS[n][1]["alpha"])
            betas.append(_ACTIVATIONS[n][1]["beta"])
    attrs: dict = {"activations": acts}
    if alphas:
        attrs |= {"activation_alpha": alphas, "activation_beta": betas}
    return attrs


def _rnn_parts(layer) -> tuple[str, np.ndarray, np.ndarray, np.ndarray, list[str], dict]:
    """(operator, W (G·H, D), R (G·H, H), B (2·G·H), activations, attributes) of one direction."""
    h = layer.units
    p = layer.params
    extra = {}
    if isinstance(layer, LSTM):
        op, order, n = "LSTM", layouts.LSTM_KERAS_TO_ONNX, 4
        acts = [layer.recurrent_activation.name, layer.activation.name, layer.activation.name]
    elif isinstance(layer, GRU):
        op, order, n = "GRU", layouts.GRU_KERAS_TO_ONNX, 3
        acts = [layer.recurrent_activation.name, layer.activation.name]
        extra["linear_before_reset"] = int(layer.reset_after)
    else:
        op, order, n = "RNN", (0,), 1
        acts = [layer.activation.name]
    w = layouts.keras_to_torch(p["kernel"], order)
    r = layouts.keras_to_torch(p["recurrent_kernel"], order)
    bias = layer._bias()
    if bias.ndim == 2:  # GRU reset_after: input and recurrent biases
        b = np.concatenate([layouts.reorder_blocks(bias[0], order),
                            layouts.reorder_blocks(bias[1], order)])
    else:
        b = np.concatenate([layouts.reorder_blocks(bias, order), np.zeros(n * h, bias.dtype)])
    return op, w, r, b, acts, extra


def _time_major(g: _Graph, layer, x: str, backwards: bool) -> str:
    xs = g.node("Transpose", [x], f"{layer.name}_time_major", perm=[1, 0, 2])[0]
    if backwards:
        xs = g.node("Slice", [xs, g.const("start", np.array([-1], np.int64)),
                              g.const("end", np.array([np.iinfo(np.int64).min], np.int64)),
                              g.const("axis", np.array([0], np.int64)),
                              g.const("step", np.array([-1], np.int64))],
                    f"{layer.name}_reverse")[0]
    return xs


def _recurrent(g: _Graph, layer, x: str) -> str:
    return _recurrent_call(g, layer, x, [])[0]


def _recurrent_call(g: _Graph, layer, x: str, states: list[str]) -> list[str]:
    """The layer's output, then (``return_state``) its final states; ``states``: the
    initial states (B, H) as the operator's ``initial_h`` (and ``initial_c``)."""
    op, w, r, b, acts, extra = _rnn_parts(layer)
    attrs = {"hidden_size": layer.units, "direction": "forward", "layout": 0,
             **_rnn_activations(layer, acts), **extra}
    xs = _time_major(g, layer, x, layer.go_backwards)
    inputs = [xs, g.const(f"{layer.name}_W", w[None]), g.const(f"{layer.name}_R", r[None]),
              g.const(f"{layer.name}_B", b[None])]
    if states:  # (B, H) -> (1, B, H); no sequence_lens ("")
        inputs += [""] + [g.node("Unsqueeze", [s, g.const("axis", np.array([0], np.int64))],
                                 f"{layer.name}_initial_state")[0] for s in states]
    n_states = len(layer.state_names)
    outputs = g.node(op, inputs, layer.name, n_out=1 + n_states, **attrs)
    finals = [g.node("Squeeze", [o, g.const("axis", np.array([0], np.int64))],
                     f"{layer.name}_state")[0] for o in outputs[1:]]  # (1, B, H) -> (B, H)
    if layer.return_sequences:  # Y: (T, 1, B, H) -> (B, T, H)
        y = g.node("Squeeze", [outputs[0], g.const("axis", np.array([1], np.int64))],
                   f"{layer.name}_squeeze")[0]
        out = g.node("Transpose", [y], f"{layer.name}_batch_major", perm=[1, 0, 2])[0]
    else:
        out = finals[0]  # the last output is the final h
    return [out] + (finals if layer.return_state else [])


def _bidirectional(g: _Graph, layer: Bidirectional, x: str) -> str:
    """One operator with direction='bidirectional' (ONNX's reverse direction lines its
    outputs up with the input steps, as Keras' Bidirectional does), then the merge."""
    fwd, bwd = layer.forward_layer, layer.backward_layer
    if fwd.go_backwards or layer.return_state or layer.merge_mode is None:
        raise ValueError(f"to_onnx: layer {layer.name!r}: a Bidirectional of a go_backwards "
                         "layer, with return_state or merge_mode=None is not exported")
    op, w_f, r_f, b_f, acts, extra = _rnn_parts(fwd)
    _, w_b, r_b, b_b, _, _ = _rnn_parts(bwd)
    attrs = {"hidden_size": fwd.units, "direction": "bidirectional", "layout": 0,
             **_rnn_activations(fwd, acts + acts), **extra}
    xs = _time_major(g, layer, x, False)
    y, y_h = g.node(op, [xs, g.const(f"{layer.name}_W", np.stack([w_f, w_b])),
                         g.const(f"{layer.name}_R", np.stack([r_f, r_b])),
                         g.const(f"{layer.name}_B", np.stack([b_f, b_b]))],
                    layer.name, n_out=2, **attrs)
    # Y: (T, 2, B, H), Y_h: (2, B, H); take each direction
    source, axis = (y, 1) if layer.return_sequences else (y_h, 0)
    parts = [g.node("Gather", [source, g.const("direction", np.array(k, np.int64))],
                    f"{layer.name}_dir{k}", axis=axis)[0] for k in (0, 1)]
    if layer.merge_mode == "concat":
        out = g.node("Concat", parts, f"{layer.name}_concat", axis=-1)[0]
    elif layer.merge_mode == "mul":
        out = g.node("Mul", parts, f"{layer.name}_mul")[0]
    else:
        out = g.node("Add", parts, f"{layer.name}_sum")[0]
        if layer.merge_mode == "ave":
            out = g.node("Mul", [out, g.const("half", np.array(0.5, np.float32))],
                         f"{layer.name}_ave")[0]
    if layer.return_sequences:
        out = g.node("Transpose", [out], f"{layer.name}_batch_major", perm=[1, 0, 2])[0]
    return out


def _identity(g: _Graph, layer: Layer, x: str) -> str:
    return x  # Dropout at inference


def _activation(g: _Graph, layer: Activation, x: str) -> str:
    return g.activation(layer.activation.name, x, layer.name, f"layer {layer.name!r}")


def _reshape(g: _Graph, layer: Reshape, x: str) -> str:
    shape = np.array([0, *layer.target_shape], np.int64)  # 0: keep the batch size
    return g.node("Reshape", [x, g.const(f"{layer.name}_shape", shape)], layer.name)[0]


def _permute(g: _Graph, layer: Permute, x: str) -> str:
    return g.node("Transpose", [x], layer.name, perm=[0, *layer.dims])[0]


def _repeat_vector(g: _Graph, layer: RepeatVector, x: str) -> str:
    y = g.node("Unsqueeze", [x, g.const("axis", np.array([1], np.int64))],
               f"{layer.name}_unsqueeze")[0]
    return g.node("Tile", [y, g.const("repeats", np.array([1, layer.n, 1], np.int64))],
                  layer.name)[0]


def _pooling(g: _Graph, layer: Layer, x: str) -> str:
    op = "ReduceMean" if isinstance(layer, GlobalAveragePooling1D) else "ReduceMax"
    if g.opset >= 18:  # the axes became an input
        return g.node(op, [x, g.const("axes", np.array([1], np.int64))], layer.name,
                      keepdims=0)[0]
    return g.node(op, [x], layer.name, axes=[1], keepdims=0)[0]


def _time_distributed(g: _Graph, layer: TimeDistributed, x: str) -> str:
    inner = layer.layer  # Dense / Activation / Dropout act on the last axis already
    if type(inner) not in (Dense, Activation, Dropout):
        raise ValueError(f"to_onnx: layer {layer.name!r}: TimeDistributed of "
                         f"{type(inner).__name__} is not exported; supported: Dense, "
                         "Activation, Dropout")
    return KINDS[type(inner)](g, inner, x)


KINDS: dict[type, Callable[[_Graph, Layer, str], str]] = {
    Embedding: _embedding,
    Flatten: _flatten,
    Dense: _dense,
    SimpleRNN: _recurrent,
    LSTM: _recurrent,
    GRU: _recurrent,
    Bidirectional: _bidirectional,
    TimeDistributed: _time_distributed,
    Dropout: _identity,
    SpatialDropout1D: _identity,
    Activation: _activation,
    Reshape: _reshape,
    Permute: _permute,
    RepeatVector: _repeat_vector,
    GlobalAveragePooling1D: _pooling,
    GlobalMaxPooling1D: _pooling,
}


def _merge(g: _Graph, layer: Layer, xs: list[str]) -> str:
    """A merge layer of a functional model as ONNX operators."""
    if isinstance(layer, Concatenate):
        return g.node("Concat", xs, layer.name, axis=layer.axis)[0]
    if isinstance(layer, Subtract):
        return g.node("Sub", xs, layer.name)[0]
    if isinstance(layer, Multiply):
        out = xs[0]
        for k, x in enumerate(xs[1:]):
            out = g.node("Mul", [out, x], f"{layer.name}_{k}")[0]
        return out
    if isinstance(layer, (Add, Average)):
        out = g.node("Sum", xs, layer.name)[0]
        if isinstance(layer, Average):
            out = g.node("Mul", [out, g.const("scale", np.array(1.0 / len(xs), np.float32))],
                         f"{layer.name}_mean")[0]
        return out
    return _dot(g, layer, xs)


def _dot(g: _Graph, layer: Dot, xs: list[str]) -> str:
    """Dot of two (B, D) inputs: sum(a * b) over D, kept as (B, 1); of two (B, ., .)
    inputs: MatMul of a with its contracted axis last and b with it in the middle."""
    ranks = [len(s) for s in layer.input_shape]
    where = f"to_onnx: layer {layer.name!r} (Dot)"
    if layer.normalize:
        raise ValueError(f"{where}: normalize=True is not exported")
    ax, ay = layer._resolved_axes(ranks)
    if ranks == [2, 2]:
        prod = g.node("Mul", xs, f"{layer.name}_mul")[0]
        axes = g.const("axes", np.array([1], np.int64))
        return g.node("ReduceSum", [prod, axes], layer.name, keepdims=1)[0]
    if ranks != [3, 3]:
        raise ValueError(f"{where}: inputs of ranks {ranks} are not exported; supported: "
                         "two of rank 2 or two of rank 3")
    a, b = xs
    if ax == 1:  # (B, D, P) -> (B, P, D)
        a = g.node("Transpose", [a], f"{layer.name}_a", perm=[0, 2, 1])[0]
    if ay == 2:  # (B, Q, D) -> (B, D, Q)
        b = g.node("Transpose", [b], f"{layer.name}_b", perm=[0, 2, 1])[0]
    return g.node("MatMul", [a, b], layer.name)[0]


_MERGES = (Concatenate, Add, Subtract, Multiply, Average, Dot)


def _functional_graph(onnx, g: _Graph, model: Model) -> tuple[list, list]:
    """Nodes for every layer call of a functional ``model``; (input infos, output infos).

    Inputs are named after their Input layers (int64 when they are token ids), outputs
    ``output`` (one) or ``output_0``, ``output_1``, ..."""
    names: dict[int, str] = {}
    infos = []
    for t in model.inputs:
        layer = t._keras_history[0]
        dims = ["batch"] + [d if d is not None else f"{layer.name}_dim{k}"
                            for k, d in enumerate(t.shape[1:], 1)]
        integer = layer.input_dtype.kind in "iu"
        if not integer and layer.input_dtype != np.float32:
            raise ValueError(f"to_onnx: input {layer.name!r} is {layer.input_dtype}; the graph "
                             "is float32")
        infos.append(onnx.helper.make_tensor_value_info(
            layer.name, onnx.TensorProto.INT64 if integer else onnx.TensorProto.FLOAT, dims))
        names[id(t)] = layer.name
    for node in model._nodes:
        layer = node.layer
        ins = [names[id(t)] for t in node.input_tensors]
        main, states = ins[:len(ins) - node.n_states], ins[len(ins) - node.n_states:]
        if isinstance(layer, _MERGES):
            outs = [_merge(g, layer, main)]
        elif isinstance(layer, (SimpleRNN, LSTM, GRU)):
            outs = _recurrent_call(g, layer, main[0], states)
        elif states:
            raise ValueError(f"to_onnx: layer {layer.name!r} ({type(layer).__name__}) with "
                             "initial_state is not exported; supported: SimpleRNN, LSTM, GRU")
        else:
            outs = [KINDS[type(layer)](g, layer, main[0])]
        for t, name in zip(node.output_tensors, outs, strict=True):
            names[id(t)] = name
    outputs = []
    several = len(model.outputs) > 1
    for k, t in enumerate(model.outputs):
        out_name = f"output_{k}" if several else "output"
        g.nodes.append(onnx.helper.make_node("Identity", [names[id(t)]], [out_name],
                                             name=out_name))
        dims = ["batch"] + [d if d is not None else f"{out_name}_dim{j}"
                            for j, d in enumerate(t.shape[1:], 1)]
        outputs.append(onnx.helper.make_tensor_value_info(out_name, onnx.TensorProto.FLOAT,
                                                          dims))
    return infos, outputs


def to_onnx(model: Model, path: str | os.PathLike, opset: int = 17) -> None:
    """Write ``model`` as an ONNX file that ONNX Runtime runs with ``model.predict``'s outputs.

    The input is ``input_ids`` (int64, (batch, length)) when the model starts with an
    Embedding, else ``input`` (float32, (batch, timesteps, features)); the output is
    ``output``; the batch size is dynamic. ``opset`` from 14 (the recurrent operators'
    ``layout``) to the newest the installed ``onnx`` knows. Float32 models only.

    A functional `Model`: one graph input per Input layer, named after it (int64 token
    ids for an integer Input), outputs ``output`` or ``output_0``, ``output_1``, ...;
    merge layers become Concat / Sum / Sub / Mul / Sum·(1/n) / Mul+ReduceSum or MatMul
    (Dot of rank-2 or rank-3 inputs, without ``normalize``); states passed to
    ``initial_state`` become the operator's ``initial_h`` / ``initial_c``, and
    ``return_state`` outputs its ``Y_h`` / ``Y_c``. Refused with a ValueError naming the
    layer: anything else (e.g. a Bidirectional with states, Dot with ``normalize``).

    Not yet exported: masking (``Embedding(mask_zero=True)``, ``Masking``). Needs
    ``pip install 'numrnn[convert]'`` (onnx).

    Example:
        >>> numrnn.convert.to_onnx(net, "tiny.onnx")
        >>> sess = onnxruntime.InferenceSession("tiny.onnx")
        >>> sess.run(None, {"input_ids": x.astype("int64")})[0]   # == net.predict(x)
    """
    onnx = require("onnx", "numrnn.convert.to_onnx")
    if not isinstance(model, Model):
        raise TypeError(f"to_onnx: model has type {type(model).__name__}; accepted: a numrnn "
                        "Sequential or Model")
    newest = onnx.defs.onnx_opset_version()
    if not isinstance(opset, int) or isinstance(opset, bool) or not MIN_OPSET <= opset <= newest:
        raise ValueError(f"to_onnx: opset={opset!r}; accepted: an int from {MIN_OPSET} to "
                         f"{newest}")
    if not model.built:
        raise ValueError("to_onnx: the model is not built; give its first layer an input shape")
    functional = not isinstance(model, Sequential)
    for layer in model.layers:
        if isinstance(layer, InputLayer) or (functional and isinstance(layer, _MERGES)):
            continue
        if isinstance(layer, Bidirectional) and functional and any(
                n.n_states for n in model._nodes if n.layer is layer):
            raise ValueError(f"to_onnx: layer {layer.name!r}: a Bidirectional with "
                             "initial_state is not exported")
        if type(layer) not in KINDS:
            raise ValueError(f"to_onnx: layer {layer.name!r} ({type(layer).__name__}) has no "
                             f"ONNX export; supported: "
                             f"{', '.join(k.__name__ for k in KINDS)}")
        if layer.dtype != np.float32:
            raise ValueError(f"to_onnx: layer {layer.name!r} computes in {layer.dtype}; the "
                             "graph is float32, so export a float32 model")
        if isinstance(layer, Embedding) and layer.mask_zero:
            raise ValueError(f"to_onnx: layer {layer.name!r} has mask_zero=True; masking is "
                             "not exported to ONNX yet")
    g = _Graph(onnx, opset)
    if functional:
        inputs, outputs = _functional_graph(onnx, g, model)
        _write(onnx, g, model, inputs, outputs, opset, path)
        return
    first = model.layers[0]
    dims = ["batch"] + [d if d is not None else f"dim{k}"
                        for k, d in enumerate(first.input_shape[1:], 1)]
    if isinstance(first, Embedding):
        x_info = onnx.helper.make_tensor_value_info("input_ids", onnx.TensorProto.INT64, dims)
    else:
        x_info = onnx.helper.make_tensor_value_info("input", onnx.TensorProto.FLOAT, dims)
    x = x_info.name
    for layer in model.layers:
        x = KINDS[type(layer)](g, layer, x)
    g.nodes.append(onnx.helper.make_node("Identity", [x], ["output"], name="output"))
    out_dims = ["batch"] + [d if d is not None else f"out{k}"
                            for k, d in enumerate(model.output_shape[1:], 1)]
    y_info = onnx.helper.make_tensor_value_info("output", onnx.TensorProto.FLOAT, out_dims)
    _write(onnx, g, model, [x_info], [y_info], opset, path)


def _write(onnx, g: _Graph, model: Model, inputs: list, outputs: list, opset: int,
           path: str | os.PathLike) -> None:
    graph = onnx.helper.make_graph(g.nodes, model.name, inputs, outputs, g.initializers)
    proto = onnx.helper.make_model(graph, producer_name="numrnn",
                                   opset_imports=[onnx.helper.make_opsetid("", opset)])
    onnx.checker.check_model(proto, full_check=True)
    with atomic_write(path) as f:
        f.write(proto.SerializeToString())
