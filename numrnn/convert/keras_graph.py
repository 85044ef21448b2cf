"""Keras functional models ("Functional" / "Model" configs) <-> numrnn `Model` graphs.

A functional config lists its layers, each with its ``inbound_nodes`` (one per call of
the layer), and the model's ``input_layers`` / ``output_layers`` as ``[layer name, node
index, tensor index]``. The nodes are written two ways:

* Keras 2 (2.x, tf.keras 2.x): a node is ``[[name, node_index, tensor_index, kwargs],
  ...]``, one entry per input tensor; a recurrent layer's initial states are the entries
  after the sequence;
* Keras 3: a node is ``{"args": [...], "kwargs": {...}}``, tensors written as
  ``{"class_name": "__keras_tensor__", "config": {"keras_history": [...]}}``; merge layers
  take a list as ``args[0]``, initial states come as ``kwargs["initial_state"]``, and a
  mask as ``kwargs["mask"]``, the output of operations (``NotEqual``, ``Any``) that Keras 3
  records for ``Embedding(mask_zero=True)`` / ``Masking``. numrnn passes those masks along
  the graph itself, so the operations are not rebuilt: a layer that receives a mask in the
  file must receive one in numrnn, and is refused otherwise.

`model_from_config` rebuilds the graph node by node with numrnn layer calls;
`functional_config` writes a numrnn `Model` as Keras 3's config.

Weights are matched in Keras' layer order (`keras_order`): Keras sorts a functional
model's layers by depth (longest path to an output, deepest first; ties in the order a
depth-first walk from the outputs meets them) and Keras 3 names a weights file's groups by
class in that order (``input_layer``, ``embedding``, ``embedding_1``, ...). A file's own
config lists its layers in that order already; for a numrnn `Model` it is computed from
the graph the same way (the mask operations Keras 3 adds are not counted: they never
lengthen a path through an ``Embedding``; behind a ``Masking`` layer in a graph with several
branches the order could differ, and the weights' shapes are the only check).
"""

from __future__ import annotations

from typing import Any

from ..engine.network import node_indices
from ..layers import Bidirectional, InputLayer, Layer
from ..layers.input_layer import input_tensor
from ..models import Model
from . import keras_config

#: Keras 3 model classes read as functional models.
FUNCTIONAL_CLASSES = ("Functional", "Model")
_MASK_OP = object()  # the output of a Keras 3 operation that computes a mask


def _refs_of_node_keras2(node: list, where: str) -> tuple[list, dict]:
    refs, kwargs = [], {}
    for entry in node:
        if not isinstance(entry, (list, tuple)) or len(entry) < 3:
            raise ValueError(f"{where}: inbound node entry {entry!r} is not [layer, node, "
                             "tensor, kwargs]")
        refs.append((str(entry[0]), int(entry[1]), int(entry[2])))
        if len(entry) > 3 and entry[3]:
            kwargs.update(entry[3])
    return refs, kwargs


def _tensor_ref(value: Any) -> tuple[str, int, int] | None:
    if isinstance(value, dict) and value.get("class_name") == "__keras_tensor__":
        history = value["config"]["keras_history"]
        return str(history[0]), int(history[1]), int(history[2])
    return None


class _Call:
    """One inbound node, normalized: the main input refs (a list for merge layers), the
    initial-state refs, whether a mask is passed explicitly, and the remaining kwargs."""

    def __init__(self, node: Any, layer_class: str, where: str):
        self.mask = None
        if isinstance(node, dict):  # Keras 3
            args, kwargs = list(node.get("args", [])), dict(node.get("kwargs", {}))
            if not args:
                raise ValueError(f"{where}: an inbound node without arguments")
            first = args[0]
            self.list_input = isinstance(first, (list, tuple))
            items = list(first) if self.list_input else [first]
            self.main = [_tensor_ref(v) for v in items]
            if any(r is None for r in self.main) or len(args) > 1:
                raise ValueError(f"{where}: called with arguments numrnn does not take "
                                 f"({_short_args(args)})")
            states = kwargs.pop("initial_state", None)
            self.states = [] if states is None else [
                _tensor_ref(s) for s in (states if isinstance(states, list) else [states])]
            if any(r is None for r in self.states):
                raise ValueError(f"{where}: initial_state is not a list of tensors")
            mask = kwargs.pop("mask", None)
            if mask is not None:
                masks = mask if isinstance(mask, list) else [mask]
                self.mask = [_tensor_ref(m) for m in masks if m is not None]
        else:  # Keras 2: the entries are the inputs (a recurrent layer's states after them)
            refs, kwargs = _refs_of_node_keras2(node, where)
            if not refs:
                raise ValueError(f"{where}: an inbound node without inputs")
            recurrent = layer_class in ("SimpleRNN", "LSTM", "GRU", "Bidirectional")
            self.list_input = len(refs) > 1 and not recurrent
            self.main = refs if self.list_input else refs[:1]
            self.states = refs[1:] if recurrent else []
            if not self.list_input and not recurrent and len(refs) > 1:
                raise ValueError(f"{where}: {len(refs)} inputs")
            kwargs.pop("mask", None)
            states = kwargs.pop("initial_state", None)
            if states:
                raise ValueError(f"{where}: initial_state given as a keyword is not read; "
                                 "Keras 2 files list the states as inputs")
        kwargs.pop("training", None)
        unknown = {k: v for k, v in kwargs.items() if v is not None}
        if unknown:
            raise ValueError(f"{where}: called with the argument(s) "
                             f"{', '.join(sorted(unknown))}, which numrnn does not take")

    def refs(self) -> list[tuple[str, int, int]]:
        return list(self.main) + list(self.states) + list(self.mask or [])


def _short_args(args: list) -> str:
    return ", ".join(type(a).__name__ if not isinstance(a, (int, float, str)) else repr(a)
                     for a in args)


def _ref_list(value: Any) -> tuple[list[tuple[str, int, int]], bool]:
    """``input_layers`` / ``output_layers``: one ``[name, node, tensor]`` or a list of them."""
    if isinstance(value, (list, tuple)) and value and isinstance(value[0], str):
        return [(str(value[0]), int(value[1]), int(value[2]))], False
    return [(str(v[0]), int(v[1]), int(v[2])) for v in value], True


def _input_layer(spec: dict, where: str) -> InputLayer:
    cfg = spec.get("config", {})
    shape = cfg.get("batch_shape") or cfg.get("batch_input_shape")
    if shape is None:
        raise ValueError(f"{where}: the input shape is not recorded")
    dtype = cfg.get("dtype") or "float32"
    if isinstance(dtype, dict):
        dtype = dtype.get("config", {}).get("name", "float32")
    for key in ("sparse", "ragged", "optional"):
        if cfg.get(key):
            raise ValueError(f"{where}: {key}=True; numrnn takes dense, required inputs")
    try:
        return InputLayer(batch_input_shape=tuple(shape), dtype=dtype,
                          name=cfg.get("name", spec.get("name")))
    except (TypeError, ValueError) as err:
        raise ValueError(f"{where}: {err}") from None


#: Keras 3 operations that compute masks (Embedding, Masking, merge layers); a legacy
#: ``.h5`` config names them without their module
_MASK_OPERATIONS = ("NotEqual", "Any", "All", "LogicalAnd", "ExpandDims", "OnesLike", "Cast")


def _is_operation(spec: dict) -> bool:
    """A Keras 3 operation recorded in the graph (``keras.src.ops...``), not a layer."""
    module = spec.get("module")
    if module is not None:
        return str(module).startswith("keras.src.ops")
    return spec.get("class_name") in _MASK_OPERATIONS


def model_from_config(config: dict, major: int, source: str) -> tuple[Model, list[Layer]]:
    """The numrnn `Model` of a functional config (weights not loaded) and its layers in the
    file's order (the order of the weights)."""
    inner = config.get("config") or {}
    specs = inner.get("layers")
    if not isinstance(specs, list) or not specs:
        raise ValueError(f"{source}: the functional model has no layers")
    by_name: dict[str, dict] = {}
    for spec in specs:
        name = spec.get("name") or spec.get("config", {}).get("name")
        if not isinstance(name, str) or name in by_name:
            raise ValueError(f"{source}: layer name {name!r} is missing or repeated")
        by_name[name] = spec
    made: dict[tuple[str, int], list] = {}
    layers: dict[str, Layer] = {}
    masked_read: dict[str, bool] = {}
    pending = []
    for name, spec in by_name.items():
        class_name = spec.get("class_name")
        where = f"{source}: layer {name!r} ({class_name})"
        if class_name == "InputLayer":
            layers[name] = _input_layer(spec, where)
            made[(name, 0)] = [input_tensor(layers[name])]
        elif _is_operation(spec):
            for k in range(len(spec.get("inbound_nodes", []))):
                made[(name, k)] = [_MASK_OP]
        else:
            for k, node in enumerate(spec.get("inbound_nodes", [])):
                pending.append((name, k, _Call(node, class_name, where)))
    while pending:
        progressed = False
        for item in list(pending):
            name, k, call = item
            if any((src, ni) not in made for src, ni, _ in call.refs()) or any(
                    (name, j) not in made for j in range(k)):
                continue
            made[(name, k)] = _call_layer(by_name[name], name, call, made, layers,
                                          masked_read, major, source)
            pending.remove(item)
            progressed = True
        if not progressed:
            missing = sorted({src for _, _, call in pending for src, ni, _ in call.refs()
                              if (src, ni) not in made})
            raise ValueError(f"{source}: the graph cannot be rebuilt: the layer(s) "
                             f"{', '.join(missing)} are referenced but never produce the "
                             "tensors asked for")
    in_refs, in_list = _ref_list(inner.get("input_layers", []))
    out_refs, out_list = _ref_list(inner.get("output_layers", []))
    try:
        inputs = [made[(n, i)][t] for n, i, t in in_refs]
        outputs = [made[(n, i)][t] for n, i, t in out_refs]
    except (KeyError, IndexError) as err:
        raise ValueError(f"{source}: input_layers/output_layers name a tensor the graph does "
                         f"not have ({err})") from None
    if any(t is _MASK_OP for t in outputs):
        raise ValueError(f"{source}: a model output is a Keras operation, not a layer")
    model = Model(inputs if in_list else inputs[0], outputs if out_list else outputs[0],
                  name=str(inner.get("name", "model")))
    order = [layers[name] for name, spec in by_name.items() if name in layers]
    unused = [layer.name for layer in order if all(layer is not m for m in model.layers)]
    if unused:
        raise ValueError(f"{source}: layer(s) {', '.join(unused)} are not on a path from the "
                         "inputs to the outputs")
    return model, order


def _call_layer(spec: dict, name: str, call: _Call, made: dict, layers: dict,
                masked_read: dict, major: int, source: str) -> list:
    """Call the layer of ``spec`` (made at its first node) on the tensors of ``call``."""
    class_name = spec.get("class_name")
    where = f"{source}: layer {name!r} ({class_name})"
    tensors = [made[(src, ni)][ti] for src, ni, ti in call.main]
    states = [made[(src, ni)][ti] for src, ni, ti in call.states]
    if any(t is _MASK_OP for t in tensors + states):
        raise ValueError(f"{where}: reads the output of a Keras operation as data; "
                         "numrnn.convert reads graphs of layers")
    masked = any(t._has_mask for t in tensors)
    if call.mask and not masked:
        raise ValueError(f"{where}: receives a mask in the file, but none reaches it in "
                         "numrnn (masks come from Embedding(mask_zero=True) and Masking)")
    cfg = spec.get("config", {})
    if name not in layers:
        layers[name] = keras_config.layer_from_keras(class_name, cfg, major, source, None,
                                                     masked, functional=True)
        masked_read[name] = masked
    elif masked and not masked_read[name]:  # a shared layer a mask reaches at a later call
        keras_config.read_config(class_name, cfg, major, source, True, True)
        masked_read[name] = True
    layer = layers[name]
    kwargs = {"initial_state": states} if states else {}
    try:
        out = layer(tensors if call.list_input else tensors[0], **kwargs)
    except (TypeError, ValueError) as err:
        raise ValueError(f"{where}: {err}") from None
    return out if isinstance(out, list) else [out]


# ---- numrnn Model -> Keras ---------------------------------------------------------------
def _model_nodes(model: Model) -> list:
    """The nodes of ``model``: its Input nodes, then its layer calls in graph order."""
    return [t.node for t in model.inputs] + list(model._nodes)


def keras_order(model: Model) -> list[Layer]:
    """``model``'s layers (Input layers included) in the order Keras gives them: by depth,
    deepest first, ties broken by the order of a depth-first walk from the outputs."""
    in_model = {id(n) for n in _model_nodes(model)}
    finished: set[int] = set()
    post_order: list = []
    first_seen: dict[int, int] = {}
    for out in model.outputs:  # iterative depth-first walk (pre-order indices, post-order)
        stack: list[tuple[Any, bool]] = [(out.node, False)]
        while stack:
            node, expanded = stack.pop()
            if expanded:
                if id(node) not in finished:
                    finished.add(id(node))
                    post_order.append(node)
                continue
            if id(node) in finished:
                continue
            first_seen.setdefault(id(node.layer), len(first_seen))
            stack.append((node, True))
            for t in reversed(node.input_tensors):
                if id(t.node) in in_model and id(t.node) not in finished:
                    stack.append((t.node, False))
    node_depth: dict[int, int] = {}
    layer_depth: dict[int, int] = {}
    for node in reversed(post_order):
        depth = max(node_depth.setdefault(id(node), 0), layer_depth.get(id(node.layer), 0))
        layer_depth[id(node.layer)] = node_depth[id(node)] = depth
        for t in node.input_tensors:
            parent = id(t.node)
            node_depth[parent] = max(depth + 1, node_depth.get(parent, 0))
    layers: dict[int, Layer] = {id(n.layer): n.layer for n in post_order}
    return sorted(layers.values(), key=lambda layer: (-layer_depth[id(layer)],
                                                      first_seen[id(layer)]))


def keras_class(layer: Layer, what: str) -> str:
    """The Keras class name of a numrnn layer (its `keras_config` kind, or InputLayer)."""
    if isinstance(layer, InputLayer):
        return "InputLayer"
    return keras_config.kind_of_layer(layer, what).keras_class


def check_model(model: Model, what: str) -> None:
    """Every layer of a functional ``model`` has a Keras counterpart, or a ValueError."""
    for layer in model.layers:
        if isinstance(layer, InputLayer):
            continue
        keras_config.kind_of_layer(layer, what)
        if isinstance(layer, Bidirectional) and (layer.return_state or
                                                 layer.merge_mode is None):
            raise ValueError(f"{what}: layer {layer.name!r}: a Bidirectional with "
                             "return_state=True or merge_mode=None is not converted")


def _tensor(t) -> dict:
    layer, node_index, tensor_index = t._keras_history
    return {"class_name": "__keras_tensor__",
            "config": {"shape": list(t.shape), "dtype": t.dtype.name,
                       "keras_history": [layer.name, node_index, tensor_index]}}


def functional_config(model: Model, what: str) -> dict:
    """Keras 3's config of a numrnn functional ``model`` (layers in `keras_order`)."""
    check_model(model, what)
    nodes = _model_nodes(model)
    index = node_indices(model.layers, nodes)  # a node's index among its layer's calls here

    def tensor(t) -> dict:
        spec = _tensor(t)
        spec["config"]["keras_history"][1] = index[id(t.node)]
        if spec["config"]["dtype"] == "int64":
            spec["config"]["dtype"] = "int32"
        return spec

    def ref(t) -> list:
        layer, _, tensor_index = t._keras_history
        return [layer.name, index[id(t.node)], tensor_index]

    specs = []
    for layer in keras_order(model):
        if isinstance(layer, InputLayer):
            dtype = "int32" if layer.input_dtype.kind in "iu" else layer.input_dtype.name
            specs.append({"module": "keras.layers", "class_name": "InputLayer",
                          "registered_name": None, "name": layer.name, "inbound_nodes": [],
                          "config": {"batch_shape": list(layer.batch_input_shape),
                                     "dtype": dtype, "sparse": False, "name": layer.name}})
            continue
        calls = [n for n in layer._inbound_nodes if id(n) in index and n.input_tensors]
        masked = any(t._has_mask for n in calls
                     for t in n.input_tensors[:len(n.input_tensors) - n.n_states])
        spec = keras_config.layer_to_keras(layer, what, masked)
        inbound = []
        for n in calls:
            main = n.input_tensors[:len(n.input_tensors) - n.n_states]
            args = [[tensor(t) for t in main]] if n.list_input else [tensor(main[0])]
            kwargs = {}
            if n.n_states:
                kwargs["initial_state"] = [tensor(t) for t in
                                           n.input_tensors[len(main):]]
            inbound.append({"args": args, "kwargs": kwargs})
        specs.append({**spec, "name": layer.name, "inbound_nodes": inbound})
    inputs = [ref(t) for t in model.inputs]
    outputs = [ref(t) for t in model.outputs]
    return {"module": "keras.src.models.functional", "class_name": "Functional",
            "registered_name": "Functional",
            "config": {"name": model.name, "trainable": True, "layers": specs,
                       "input_layers": inputs if model._inputs_were_list else inputs[0],
                       "output_layers": outputs if model._outputs_were_list else outputs[0]},
            "build_config": {"input_shape": None}}
