"""The model graph: symbolic tensors, the nodes that record layer calls, and running them.

Calling a layer on a `SymbolicTensor` (from `numrnn.layers.Input`) does not compute
anything: it builds the layer for the tensor's shape, records a `Node` (the layer, its input
tensors, its call arguments) and returns symbolic output tensors of the shapes the layer
reports. ``Network(inputs, outputs)`` collects the nodes between them in an order where
every node comes after the nodes it reads from, and then

* ``forward`` runs the nodes in that order on arrays, passing masks along as Keras does
  (each layer's ``compute_mask``);
* ``backward`` runs them in reverse, summing the gradients that reach a tensor from every
  layer that read it, and summing the weight gradients of a layer called at several nodes.

A layer called at several nodes of one network (a shared layer) keeps one set of weights;
what its ``forward`` cached for ``backward`` is kept per node: the engine gives every node
its own recurrent workspaces (``layer._workspaces``) and restores the node's cached
attributes before that node's backward.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..layers.base import Layer
from ..sparse import RowSparseGrad


class SymbolicTensor:
    """A placeholder for an array flowing through a graph: shape (batch first), dtype, and
    where it comes from (``layer``, node index, output index: Keras' ``_keras_history``)."""

    def __init__(self, shape: tuple, dtype, layer: Layer, node_index: int, tensor_index: int,
                 has_mask: bool = False):
        self.shape = tuple(shape)
        self.dtype = np.dtype(dtype)
        self._keras_history = (layer, node_index, tensor_index)
        self._has_mask = bool(has_mask)

    @property
    def node(self) -> Node:
        layer, node_index, _ = self._keras_history
        return layer._inbound_nodes[node_index]

    @property
    def ndim(self) -> int:
        return len(self.shape)

    def __repr__(self) -> str:
        layer, node_index, tensor_index = self._keras_history
        return (f"<SymbolicTensor shape={self.shape} dtype={self.dtype.name} from "
                f"{layer.name}[{node_index}][{tensor_index}]>")

    def __array__(self, *args, **kwargs):
        raise TypeError(
            f"{self!r} is symbolic (a placeholder in a model graph), not data: build a "
            "numrnn.models.Model(inputs, outputs) and call its predict/fit with arrays")


class Node:
    """One call of ``layer`` in a graph.

    input_tensors: the tensors read (for a recurrent layer with ``initial_state``, the
    sequence first, then the states); output_tensors: the tensors produced.
    """

    def __init__(self, layer: Layer, input_tensors: list[SymbolicTensor], list_input: bool,
                 n_states: int, kwargs: dict, output_shapes: list, list_output: bool,
                 output_masks: list[bool]):
        self.layer = layer
        self.input_tensors = list(input_tensors)
        self.list_input = list_input
        self.n_states = n_states
        self.kwargs = kwargs
        self.list_output = list_output
        self.index = len(layer._inbound_nodes)
        layer._inbound_nodes.append(self)
        dtype = layer.dtype
        self.output_tensors = [SymbolicTensor(shape, dtype, layer, self.index, k, has_mask)
                               for k, (shape, has_mask) in enumerate(zip(output_shapes,
                                                                         output_masks))]

    @property
    def inbound_layers(self) -> list[Layer]:
        return [t._keras_history[0] for t in self.input_tensors]


def is_symbolic(inputs) -> bool:
    """True for a SymbolicTensor or a non-empty list/tuple of them."""
    if isinstance(inputs, SymbolicTensor):
        return True
    return isinstance(inputs, (list, tuple)) and bool(inputs) and all(
        isinstance(t, SymbolicTensor) for t in inputs)


def _placeholder(shape: tuple, dtype) -> np.ndarray:
    """A tiny array standing for a tensor of ``shape`` (unknown sizes -> 1), for asking a layer's
    ``compute_mask`` whether it returns a mask: only None / not None matters."""
    return np.ones(tuple(1 if d is None else d for d in shape), dtype)


def _mask_placeholder(tensor: SymbolicTensor):
    if not tensor._has_mask:
        return None
    return np.ones(tuple(1 if d is None else d for d in tensor.shape[:2]), bool)


def call_symbolic(layer: Layer, inputs, mask=None, training=False, **kwargs):
    """Record ``layer(inputs, **kwargs)`` in the graph; returns its symbolic output(s).

    ``initial_state=`` (recurrent layers) may hold symbolic tensors: they become inputs of the
    node, after the sequence. Other keyword arguments are passed to every forward call.
    """
    if mask is not None:
        raise ValueError(f"{layer.name}: mask= is not accepted on symbolic tensors; masks "
                         "flow along the graph (Embedding(mask_zero=True), ...)")
    list_input = isinstance(inputs, (list, tuple))
    tensors = list(inputs) if list_input else [inputs]
    states = kwargs.pop("initial_state", None)
    n_states = 0
    if states is not None:
        states = list(states) if isinstance(states, (list, tuple)) else [states]
        if not all(isinstance(s, SymbolicTensor) for s in states):
            raise TypeError(f"{layer.name}: initial_state must be symbolic tensors when the "
                            "inputs are (e.g. the states returned by return_state=True)")
        if list_input:
            raise ValueError(f"{layer.name}: initial_state is accepted with one input tensor")
        n_states = len(states)
        tensors += states
    main = tensors[:len(tensors) - n_states]
    shapes = [t.shape for t in main]
    in_shape = shapes if list_input else shapes[0]
    in_masks = [t._has_mask for t in main]
    if any(in_masks) and not layer.supports_masking:
        raise TypeError(f"Layer {layer.name} does not support masking, but was passed an "
                        "input mask (from Embedding(mask_zero=True) or Masking); put a layer "
                        "that consumes the mask (a recurrent layer) before it")
    if not layer.built:
        layer.build_all_or_nothing(in_shape)
    else:
        _check_built_shape(layer, in_shape)
    out_shape = layer.compute_output_shape(in_shape)
    list_output = isinstance(out_shape, list)
    out_shapes = out_shape if list_output else [out_shape]
    x_ph = [_placeholder(t.shape, t.dtype) for t in main]
    m_ph = [_mask_placeholder(t) for t in main]
    out_mask = layer.compute_mask(x_ph if list_input else x_ph[0],
                                  m_ph if list_input else m_ph[0])
    out_masks = out_mask if isinstance(out_mask, list) else [out_mask] * len(out_shapes)
    node = Node(layer, tensors, list_input, n_states, dict(kwargs), out_shapes, list_output,
                [m is not None for m in out_masks])
    outs = node.output_tensors
    return outs if list_output else outs[0]


def _check_built_shape(layer: Layer, shape) -> None:
    """A built layer called again (shared) must get inputs it can take: the same rank, and the
    sizes its declared input shape fixes (``input_shape=``/``input_length=``), or else the same
    feature size (the last one, which the weights depend on). Other sizes, e.g. the number of
    time steps, may differ between calls."""
    built = layer.input_shape
    declared = layer.batch_input_shape
    pairs = list(zip(built, shape)) if isinstance(shape, list) else [(built, shape)]

    def fits(b, n) -> bool:
        if len(b) != len(n):
            return False
        if declared is not None and not isinstance(shape, list):
            return all(d is None or d == m for d, m in zip(declared[1:], n[1:]))
        return b[-1] == n[-1] or None in (b[-1], n[-1])

    if (isinstance(shape, list) and len(built) != len(shape)) or not all(
            fits(b, n) for b, n in pairs):
        raise ValueError(f"{layer.name} was built for input {built}, but receives {shape}")


def _add_grad(a, b):
    """a + b for dense arrays and `RowSparseGrad`s (a shared layer's gradients add up)."""
    if a is None:
        return b
    if b is None:
        return a
    if isinstance(a, RowSparseGrad) and isinstance(b, RowSparseGrad):
        rows = np.concatenate([a.rows, b.rows])
        values = np.concatenate([a.values, b.values])
        uniq, inverse = np.unique(rows, return_inverse=True)
        out = np.zeros((len(uniq),) + values.shape[1:], values.dtype)
        np.add.at(out, inverse, values)
        return RowSparseGrad(uniq, out, a.shape)
    a = a.to_dense() if isinstance(a, RowSparseGrad) else a
    b = b.to_dense() if isinstance(b, RowSparseGrad) else b
    return a + b


class Network:
    """A directed acyclic graph of layer calls from ``inputs`` to ``outputs``."""

    def _init_graph(self, inputs: list[SymbolicTensor], outputs: list[SymbolicTensor]) -> None:
        for arg, tensors in (("inputs", inputs), ("outputs", outputs)):
            for t in tensors:
                if not isinstance(t, SymbolicTensor):
                    raise TypeError(f"{arg}: {t!r} is not a symbolic tensor; accepted: tensors "
                                    "from numrnn.layers.Input and layer calls on them")
        for t in inputs:
            layer = t._keras_history[0]
            if t.node.input_tensors or type(layer).__name__ != "InputLayer":
                raise ValueError(f"inputs: {t!r} is not an Input; accepted: the tensors "
                                 "returned by numrnn.layers.Input(...)")
        if len({id(t) for t in inputs}) != len(inputs):
            raise ValueError("inputs: the same Input is given twice")
        self.inputs, self.outputs = list(inputs), list(outputs)
        input_ids = {id(t) for t in inputs}
        order: list[Node] = []
        seen: set[int] = set()
        for out in outputs:  # iterative depth-first post-order
            stack: list[tuple[Node, bool]] = [(out.node, False)]
            while stack:
                node, expanded = stack.pop()
                if id(node) in seen:
                    continue
                if expanded:
                    seen.add(id(node))
                    order.append(node)
                    continue
                stack.append((node, True))
                for t in reversed(node.input_tensors):
                    if id(t) in input_ids or id(t.node) in seen:
                        continue
                    if not t.node.input_tensors:
                        raise ValueError(
                            f"Graph disconnected: {t!r} is needed to compute the outputs but "
                            "is not among the model's inputs; accepted: give every Input the "
                            "outputs depend on")
                    stack.append((t.node, False))
        self._nodes = [n for n in order if n.input_tensors]  # InputLayer nodes carry data only
        layers: list[Layer] = [t._keras_history[0] for t in inputs]
        for node in self._nodes:
            if all(node.layer is not other for other in layers):
                layers.append(node.layer)
        names = [layer.name for layer in layers]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"All layer names should be unique; {', '.join(dupes)} appear(s) "
                             "more than once. Give the layers different name= values")
        self._set_layers(layers)
        self._consumers: dict[int, int] = {}
        for node in self._nodes:
            for t in node.input_tensors:
                self._consumers[id(t)] = self._consumers.get(id(t), 0) + 1
        for t in outputs:
            self._consumers[id(t)] = self._consumers.get(id(t), 0) + 1

    def _set_layers(self, layers: list[Layer]) -> None:
        self._graph_layers = layers
        counts: dict[int, int] = {}
        for node in self._nodes:
            counts[id(node.layer)] = counts.get(id(node.layer), 0) + 1
        self._shared = {lid for lid, n in counts.items() if n > 1}
        self._node_caches: dict[int, dict] = {}
        self._node_workspaces: dict[int, dict] = {}

    # ---- running the graph -----------------------------------------------------------
    def _forward_graph(self, arrays: list[np.ndarray], training: bool = False,
                       penalties: bool = False) -> tuple[list, list]:
        """Outputs and output masks for input ``arrays``. ``penalties``: also compute each
        layer's activity penalty (``layer._activity_penalty``) for the loss."""
        values: dict[int, tuple[Any, Any]] = {}
        for t, x in zip(self.inputs, arrays):
            values[id(t)] = (x, None)
        if penalties:
            for layer in self._graph_layers:
                if layer._activity_penalty:
                    layer._activity_penalty = 0.0
        for node in self._nodes:
            layer = node.layer
            ins = [values[id(t)] for t in node.input_tensors]
            xs, masks = [v[0] for v in ins], [v[1] for v in ins]
            kwargs = dict(node.kwargs) if node.kwargs or node.n_states else node.kwargs
            if node.n_states:
                kwargs["initial_state"] = xs[len(xs) - node.n_states:]
                xs, masks = xs[:len(xs) - node.n_states], masks[:len(masks) - node.n_states]
            x = xs if node.list_input else xs[0]
            mask = (None if all(m is None for m in masks) else masks) if node.list_input \
                else masks[0]
            shared = id(layer) in self._shared
            if shared and hasattr(layer, "_workspaces"):
                layer._workspaces = self._node_workspaces.setdefault(id(node), {})
            out = layer.forward(x, mask=mask, training=training, **kwargs)
            out_mask = layer.compute_mask(x, mask)
            outs = out if node.list_output else [out]
            out_masks = out_mask if isinstance(out_mask, list) else [out_mask] * len(outs)
            reg = getattr(layer, "activity_regularizer", None)
            if penalties and reg is not None:
                layer._activity_penalty += sum(float(reg(o)) for o in outs)
                layer._last_outputs = outs
            if shared:
                self._node_caches[id(node)] = dict(layer.__dict__)
            for t, o, m in zip(node.output_tensors, outs, out_masks):
                values[id(t)] = (o, m)
        results = [values[id(t)] for t in self.outputs]
        return [r[0] for r in results], [r[1] for r in results]

    def _backward_graph(self, output_grads: list, fused: list[bool]) -> None:
        """Backpropagate dL/d(output) for every output (None: no gradient); ``fused[k]``:
        output k's grad is dL/dz of its layer's pre-activation (sigmoid + BCE fast path).
        Sets every layer's ``grads`` (zeros for a layer the loss does not depend on)."""
        grads: dict[int, Any] = {}
        pre_activation: set[int] = set()
        for t, g, f in zip(self.outputs, output_grads, fused):
            if f:
                pre_activation.add(id(t))
            grads[id(t)] = _add_grad(grads.get(id(t)), g)
        summed: dict[int, dict] = {}
        reached: set[int] = set()
        for node in reversed(self._nodes):
            layer = node.layer
            douts = [grads.get(id(t)) for t in node.output_tensors]
            if all(g is None for g in douts):
                continue
            shared = id(layer) in self._shared
            if shared:
                layer.__dict__.update(self._node_caches[id(node)])
            reg = getattr(layer, "activity_regularizer", None)
            if reg is not None:
                outs = self._node_outputs(node)
                douts = [(np.zeros_like(o) if g is None else g) + reg.gradient(o)
                         for g, o in zip(douts, outs)]
            if len(douts) == 1 and id(node.output_tensors[0]) in pre_activation:
                dx = layer.backward_from_preactivation(douts[0])
            elif node.list_output:
                dx = layer.backward(douts)
            else:
                dx = layer.backward(douts[0])
            reached.add(id(layer))
            if shared:
                acc = summed.setdefault(id(layer), {})
                for name, g in layer.grads.items():
                    acc[name] = _add_grad(acc.get(name), g)
            main = node.input_tensors[:len(node.input_tensors) - node.n_states]
            dxs = list(dx) if node.list_input else [dx]
            if node.n_states:
                d_states = getattr(layer, "d_initial_state", None) or [None] * node.n_states
                dxs += list(d_states)
                main = node.input_tensors
            for t, g in zip(main, dxs):
                if g is not None:
                    grads[id(t)] = _add_grad(grads.get(id(t)), g)
        for layer in self._graph_layers:
            if id(layer) in summed:
                last = [n for n in self._nodes if n.layer is layer][-1]
                layer.__dict__.update(self._node_caches[id(last)])  # state after the forward
                layer.grads = summed[id(layer)]
            elif id(layer) not in reached and layer.params:
                layer.grads = {n: np.zeros_like(p) for n, p in layer.params.items()}
            if layer._regularizers:
                layer.add_regularization_gradients()

    def _node_outputs(self, node: Node) -> list[np.ndarray]:
        """The outputs of ``node``'s last forward, read back from the layer's cache."""
        outs = getattr(node.layer, "_last_outputs", None)
        if outs is None:
            raise RuntimeError(f"{node.layer.name}: no cached outputs for its activity "
                               "regularizer")
        return outs


def node_indices(layers, nodes) -> dict[int, int]:
    """Keras' ``node_index``: each node's position among those of its layer's calls that
    belong to ``nodes`` (a shared layer's second call in this model is node 1), by id."""
    in_model = {id(n) for n in nodes}
    index: dict[int, int] = {}
    for layer in layers:
        k = 0
        for node in layer._inbound_nodes:
            if id(node) in in_model:
                index[id(node)] = k
                k += 1
    return index
