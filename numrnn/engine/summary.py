"""``model.summary()``: Keras 2.1's ``print_summary`` table.

A Sequential model, or a functional one whose graph is a single chain, gets the 65-column
table (columns end at 29/55/65); a branching model gets the 98-column table (32/53/65/98)
with a "Connected to" column listing ``layer_name[node_index][tensor_index]`` of every input.
Rows carry trailing spaces, as Keras' do. A shared layer whose calls have different output
shapes shows ``multiple``.
"""

from __future__ import annotations


def _row(fields, positions, print_fn) -> None:
    line = ""
    for i, field in enumerate(fields):
        if i > 0:
            line = line[:-1] + " "
        line = (line + str(field))[: positions[i]]
        line += " " * (positions[i] - len(line))
    print_fn(line)


def _is_sequential_like(model) -> bool:
    if type(model).__name__ == "Sequential":
        return True
    depth_count: dict[int, int] = {}
    for node in model._nodes:
        if len(node.input_tensors) > 1:
            return False
    # more than one node at one depth means branches
    depth: dict[int, int] = {id(t): 0 for t in model.inputs}
    for node in model._nodes:
        d = 1 + max(depth.get(id(t), 0) for t in node.input_tensors)
        for t in node.output_tensors:
            depth[id(t)] = d
        depth_count[d] = depth_count.get(d, 0) + 1
    return len(model.inputs) == 1 and all(c == 1 for c in depth_count.values())


def _output_shape(model, layer):
    nodes = [n for n in model._nodes if n.layer is layer]
    if not nodes:  # an Input layer
        return layer.batch_input_shape
    shapes = [[t.shape for t in n.output_tensors] for n in nodes]
    if any(s != shapes[0] for s in shapes):
        return "multiple"
    first = shapes[0]
    return first if nodes[0].list_output else first[0]


def print_summary(model, line_length=None, positions=None, print_fn=print) -> None:
    if not model.built:
        raise ValueError(
            f"summary: the model {model.name!r} is not built yet, so its shapes and parameter "
            "counts are unknown. Build it by giving the first layer an input shape "
            "(input_shape=(...), input_dim=..., or Embedding(..., input_length=...)), by "
            "calling model.build(input_shape), or by fit/predict on some data")
    sequential_like = _is_sequential_like(model)
    if sequential_like:
        line_length = line_length or 65
        positions = positions or [0.45, 0.85, 1.0]
        header = ["Layer (type)", "Output Shape", "Param #"]
    else:
        line_length = line_length or 98
        positions = positions or [0.33, 0.55, 0.67, 1.0]
        header = ["Layer (type)", "Output Shape", "Param #", "Connected to"]
    if positions[-1] <= 1:
        positions = [int(line_length * p) for p in positions]
    print_fn("_" * line_length)
    _row(header, positions, print_fn)
    print_fn("=" * line_length)
    layers = model.layers
    in_model = {id(n) for n in model._nodes}
    for k, layer in enumerate(layers):
        fields = [f"{layer.name} ({type(layer).__name__})", _output_shape(model, layer),
                  layer.count_params()]
        if sequential_like:
            _row(fields, positions, print_fn)
        else:
            connections = []
            for node in layer._inbound_nodes:
                if id(node) not in in_model:
                    continue
                for t in node.input_tensors:
                    src, node_index, tensor_index = t._keras_history
                    connections.append(f"{src.name}[{node_index}][{tensor_index}]")
            _row(fields + [connections[0] if connections else ""], positions, print_fn)
            for extra in connections[1:]:
                _row(["", "", "", extra], positions, print_fn)
        print_fn(("=" if k == len(layers) - 1 else "_") * line_length)
    seen, total, trainable = set(), 0, 0
    for layer in layers:
        for name, w in layer.params.items():
            if id(w) in seen:
                continue
            seen.add(id(w))
            total += w.size
            if name in layer.trainable_param_names:
                trainable += w.size
    print_fn(f"Total params: {total:,}")
    print_fn(f"Trainable params: {trainable:,}")
    print_fn(f"Non-trainable params: {total - trainable:,}")
    print_fn("_" * line_length)
