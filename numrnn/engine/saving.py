"""Saving and loading: whole models (``save``/``load_model``), weights, and JSON configs.

Files are NumPy ``.npz`` archives written atomically, never pickles (they are read with
``allow_pickle=False``, so loading a file cannot run code from it). Every file holds a
``__meta__`` JSON entry with

* ``format``: ``'numrnn-model'`` or ``'numrnn-weights'``, and ``format_version`` (this
  numrnn writes version 2 and reads versions 1 and 2);
* ``numrnn_version``: the numrnn that wrote it;
* the layer and weight names (the arrays are ``w0``, ``w1``, ... in that order);
* for models: the architecture (``model_config``), the input shape it was built for, the
  compile settings and the optimizer state (arrays ``opt/<i>/<name>``), stored exactly as
  the optimizer holds it, so saving never changes training and a loaded model continues
  bit for bit.

Version 1 (numrnn 0.1.0 before this format): models had ``format: 'numrnn-model-1'`` and
weights files had no format entry.
"""

from __future__ import annotations

import json
import os
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from .. import optimizers
from ..io_utils import atomic_write
from .network import node_indices

FORMAT_VERSION = 2
READABLE_VERSIONS = (1, 2)
# Extensions that promise another format than numrnn's .npz archive.
_FOREIGN_EXTENSIONS = {".h5": "HDF5", ".hdf5": "HDF5", ".keras": "Keras 3 zip",
                       ".pt": "PyTorch", ".pth": "PyTorch", ".onnx": "ONNX", ".pb": "TensorFlow",
                       ".pkl": "pickle", ".pickle": "pickle", ".json": "JSON"}


def _version() -> str:
    from .. import __version__

    return __version__


def check_extension(filepath, argument: str = "filepath") -> None:
    """Refuse a file name whose extension promises another format (``model.h5``)."""
    suffix = Path(str(filepath)).suffix.lower()
    if suffix in _FOREIGN_EXTENSIONS:
        raise ValueError(
            f"{argument}={str(filepath)!r}: the extension {suffix} promises a "
            f"{_FOREIGN_EXTENSIONS[suffix]} file, but numrnn writes NumPy .npz archives; "
            "accepted: a name ending in .npz (or with no such extension)")


# ---- configs ---------------------------------------------------------------------------
def _layer_spec(layer) -> dict:
    return {"class_name": type(layer).__name__, "config": layer.get_config()}


def network_config(model) -> dict:
    """Sequential: ``{name, layers[, build_input_shape]}``; a functional model: its layers with
    their inbound nodes (``[layer_name, node_index, tensor_index]`` of every input, numbered
    among the nodes of this model) and its input and output tensors."""
    if type(model).__name__ == "Sequential" or hasattr(model, "_stack"):
        config: dict[str, Any] = {"name": model.name,
                                  "layers": [_layer_spec(layer) for layer in model.layers]}
        if model.built:
            config["build_input_shape"] = list(model.input_shape)
        return config
    index = node_indices(model.layers, list(model._nodes) + [t.node for t in model.inputs])

    def ref(t) -> list:
        layer, _, tensor_index = t._keras_history
        return [layer.name, index[id(t.node)], tensor_index]

    layers = []
    for layer in model.layers:
        nodes = [n for n in layer._inbound_nodes if id(n) in index and n.input_tensors]
        layers.append({**_layer_spec(layer), "name": layer.name, "inbound_nodes": [
            {"inputs": [ref(t) for t in n.input_tensors], "list_input": n.list_input,
             "n_states": n.n_states, "kwargs": n.kwargs} for n in nodes]})
    return {"name": model.name, "layers": layers,
            "input_layers": [ref(t) for t in model.inputs],
            "output_layers": [ref(t) for t in model.outputs],
            "inputs_were_list": model._inputs_were_list,
            "outputs_were_list": model._outputs_were_list}


def network_from_config(config: dict, source: str = "config"):
    """A model from `network_config` data (Sequential when ``class_name`` says so)."""
    from ..layers import deserialize as deserialize_layer
    from ..layers.input_layer import input_tensor
    from .sequential import Sequential
    from .training import Model

    try:
        if "input_layers" not in config:
            model = Sequential(name=config["name"])
            for spec in config["layers"]:
                model.add(deserialize_layer(spec))
            if not model.built and config.get("build_input_shape") is not None:
                model.build(tuple(config["build_input_shape"]))
            return model
        layers = {}
        for spec in config["layers"]:
            layers[spec["name"]] = deserialize_layer(spec)
        made: dict[tuple[str, int], list] = {}
        for spec in config["layers"]:
            layer = layers[spec["name"]]
            if type(layer).__name__ == "InputLayer":
                made[(layer.name, 0)] = [input_tensor(layer)]
        pending = [(spec["name"], k, node) for spec in config["layers"]
                   for k, node in enumerate(spec.get("inbound_nodes", []))]
        while pending:
            progressed = False
            for item in list(pending):
                name, k, node = item
                if any((src, ni) not in made for src, ni, _ in node["inputs"]):
                    continue
                if any((name, j) not in made for j in range(k)):
                    continue  # a shared layer's nodes are made in their order
                tensors = [made[(src, ni)][ti] for src, ni, ti in node["inputs"]]
                n_states = node.get("n_states", 0)
                kwargs = dict(node.get("kwargs", {}))
                main = tensors[:len(tensors) - n_states]
                if n_states:
                    kwargs["initial_state"] = tensors[len(tensors) - n_states:]
                out = layers[name](main if node.get("list_input") else main[0], **kwargs)
                made[(name, k)] = out if isinstance(out, list) else [out]
                pending.remove(item)
                progressed = True
            if not progressed:
                raise ValueError("the graph in the config cannot be rebuilt (a node's inputs "
                                 "are missing)")
        inputs = [made[(n, i)][t] for n, i, t in config["input_layers"]]
        outputs = [made[(n, i)][t] for n, i, t in config["output_layers"]]
        return Model(inputs if config.get("inputs_were_list", True) else inputs[0],
                     outputs if config.get("outputs_were_list", True) else outputs[0],
                     name=config["name"])
    except (KeyError, TypeError, IndexError) as e:
        raise ValueError(f"{source}: the model config is damaged ({type(e).__name__}: {e})") \
            from None


def model_to_json(model, **kwargs) -> str:
    return json.dumps({"class_name": type(model).__name__, "config": network_config(model),
                       "numrnn_version": _version()}, **kwargs)


def model_from_json(json_string: str):
    """A model (new weights) from ``model.to_json()``."""
    if not isinstance(json_string, str):
        raise TypeError(f"json_string has type {type(json_string).__name__}; accepted: str")
    try:
        data = json.loads(json_string)
    except json.JSONDecodeError as e:
        raise ValueError(f"json_string is not valid JSON: {e}") from None
    if not isinstance(data, dict) or "config" not in data:
        raise ValueError("json_string: accepted the output of model.to_json()")
    return network_from_config(data["config"], "json_string")


# ---- writing -----------------------------------------------------------------------------
def _weight_arrays(model) -> tuple[list[str], dict[str, np.ndarray]]:
    layers = [layer for layer in model.layers if layer.params]
    arrays = {f"{layer.name}/{pname}": w for layer in layers for pname, w in layer.params.items()}
    return [layer.name for layer in model.layers], arrays


def _write(filepath, meta: dict, arrays: dict[str, np.ndarray]) -> None:
    with atomic_write(filepath) as f:
        np.savez(f, __meta__=np.array(json.dumps(meta)), **arrays)


def save_weights(model, filepath) -> None:
    check_extension(filepath)
    layer_names, arrays = _weight_arrays(model)
    meta = {"format": "numrnn-weights", "format_version": FORMAT_VERSION,
            "numrnn_version": _version(), "layer_names": layer_names,
            "weight_names": list(arrays)}
    _write(filepath, meta, {f"w{i}": a for i, a in enumerate(arrays.values())})


def save_model(model, filepath) -> None:
    check_extension(filepath)
    layer_names, arrays = _weight_arrays(model)
    meta: dict[str, Any] = {
        "format": "numrnn-model", "format_version": FORMAT_VERSION,
        "numrnn_version": _version(),
        "model_config": {"class_name": "Sequential" if hasattr(model, "_stack") else "Model",
                         "config": network_config(model)},
        "layer_names": layer_names, "weight_names": list(arrays), "training_config": None}
    out = {f"w{i}": a for i, a in enumerate(arrays.values())}
    opt = model.optimizer
    if opt is not None and model._compiled:
        # The state is written exactly as the optimizer holds it (no pending work applied).
        meta["training_config"] = {
            "optimizer": {"name": opt.name, "config": opt.get_config(),
                          "iterations": opt.iterations},
            "loss": [getattr(lo, "name", None) for lo in model._output_losses],
            "loss_weights": model._loss_weights,
            "sample_weight_mode": model._sample_weight_modes,
            "metrics": [[m if isinstance(m, str) else getattr(m, "__name__", None)
                         for m in specs] for specs in model._metric_specs],
        }
        for i, state in enumerate(opt.state):
            for k, v in state.items():
                out[f"opt/{i}/{k}"] = v
    _write(filepath, meta, out)


# ---- reading -----------------------------------------------------------------------------
def read_file(filepath) -> tuple[dict, list[np.ndarray], dict[str, np.ndarray]]:
    """(metadata, weight arrays, optimizer arrays) of a numrnn file, or a ValueError naming the
    file and what is wrong with it."""
    path = str(filepath)
    if not os.path.exists(path):
        raise FileNotFoundError(f"filepath={path!r}: no such file")
    if os.path.isdir(path):
        raise ValueError(f"filepath={path!r} is a folder; accepted: a .npz file numrnn wrote")
    not_ours = f"filepath={path!r} is not a numrnn model or weights file"
    try:
        data = np.load(path, allow_pickle=False)
    except ValueError as e:  # "pickled data" and the like: refused, never unpickled
        raise ValueError(f"{not_ours} (it is not a NumPy .npz archive: {e}); numrnn never "
                         "unpickles files") from None
    except (zipfile.BadZipFile, OSError, EOFError) as e:
        raise ValueError(f"{not_ours} (unreadable or truncated: {type(e).__name__}: {e})") \
            from None
    if not isinstance(data, np.lib.npyio.NpzFile):
        raise ValueError(f"{not_ours}: it holds a single .npy array, not an .npz archive")
    try:
        with data:
            if "__meta__" not in data.files:
                raise ValueError(f"{not_ours} (no __meta__ entry)")
            try:
                meta = json.loads(str(data["__meta__"]))
            except (ValueError, TypeError) as e:
                raise ValueError(f"filepath={path!r}: its metadata is damaged ({e})") from None
            if not isinstance(meta, dict):
                raise ValueError(f"filepath={path!r}: its metadata is damaged (not a dict)")
            _check_version(meta, path)
            names = meta.get("weight_names")
            if not isinstance(names, list) or not isinstance(meta.get("layer_names"), list):
                raise ValueError(f"filepath={path!r}: its metadata is damaged (weight_names / "
                                 "layer_names missing)")
            missing = [f"w{i}" for i in range(len(names)) if f"w{i}" not in data.files]
            if missing:
                raise ValueError(f"filepath={path!r}: the arrays {missing[:3]} are missing")
            arrays = [data[f"w{i}"] for i in range(len(names))]
            opt = {k: data[k] for k in data.files if k.startswith("opt/")}
    except (zipfile.BadZipFile, OSError, EOFError) as e:
        raise ValueError(f"{not_ours} (unreadable or truncated: {type(e).__name__}: {e})") \
            from None
    except ValueError as e:
        if str(e).startswith(("filepath=",)):
            raise
        raise ValueError(f"filepath={path!r}: an array cannot be read ({e})") from None
    return meta, arrays, opt


def _file_kind_and_version(meta: dict) -> tuple[str, int]:
    fmt = meta.get("format")
    if fmt is None:
        return "weights", 1
    if fmt == "numrnn-model-1":
        return "model", 1
    if fmt in ("numrnn-model", "numrnn-weights"):
        version = meta.get("format_version")
        return fmt.split("-")[1], version if isinstance(version, int) else -1
    return "unknown", -1


def _check_version(meta: dict, path: str) -> None:
    kind, version = _file_kind_and_version(meta)
    if kind == "unknown" or version not in READABLE_VERSIONS:
        raise ValueError(
            f"filepath={path!r}: file format {meta.get('format')!r} version "
            f"{meta.get('format_version')!r}, written by numrnn {meta.get('numrnn_version', '?')};"
            f" this numrnn ({_version()}) reads numrnn-model/numrnn-weights format versions "
            f"{', '.join(map(str, READABLE_VERSIONS))}. Load it with the numrnn that wrote it "
            "(or a newer one)")


def assign_weights(model, meta: dict, arrays: list[np.ndarray], by_name: bool,
                   source: str) -> None:
    """Put saved weights into ``model``: everything checked first, then written."""
    saved: dict[str, list[np.ndarray]] = {}
    for key, arr in zip(meta["weight_names"], arrays):
        saved.setdefault(key.rsplit("/", 1)[0], []).append(arr)
    with_weights = [layer for layer in model.layers if layer.params]
    if by_name:
        pairs = [(layer, saved[layer.name]) for layer in with_weights if layer.name in saved]
    else:
        saved_layers = [n for n in meta["layer_names"] if n in saved]
        if len(saved_layers) != len(with_weights):
            raise ValueError(
                f"{source}: holds weights for {len(saved_layers)} layers, the model has "
                f"{len(with_weights)} layers with weights"
            )
        pairs = [(layer, saved[n]) for layer, n in zip(with_weights, saved_layers)]
    checked = []
    for layer, ws in pairs:  # check everything first
        if len(ws) != len(layer.params) or any(
            np.shape(w) != p.shape for w, p in zip(ws, layer.params.values())
        ):
            raise ValueError(
                f"{source}: weights for layer {layer.name!r} have shapes "
                f"{[np.shape(w) for w in ws]}, the layer has "
                f"{[p.shape for p in layer.params.values()]}"
            )
        checked.append((layer, layer.check_weights(ws, source)))
    for layer, ws in checked:
        layer.assign_checked_weights(ws)


def load_weights(model, filepath, by_name: bool = False) -> None:
    meta, arrays, _ = read_file(filepath)
    model._require_built("load_weights")
    assign_weights(model, meta, arrays, by_name, str(filepath))


def _check_unique_names(config_layers: list, path: str) -> None:
    names = [spec.get("config", {}).get("name") for spec in config_layers]
    dupes = sorted({n for n in names if n is not None and names.count(n) > 1})
    if dupes:
        raise ValueError(f"filepath={path!r}: All layer names should be unique; the file has "
                         f"{', '.join(dupes)} more than once")


def load_model(filepath, compile: bool = True):
    """Rebuild a model saved with ``model.save``, with its weights and optimizer state."""
    path = str(filepath)
    meta, arrays, opt_arrays = read_file(filepath)
    kind, version = _file_kind_and_version(meta)
    if kind != "model":
        raise ValueError(f"filepath={path!r} holds weights only (format numrnn-weights version "
                         f"{version}); build the model and call model.load_weights(filepath)")
    try:
        spec = meta["model_config"]
        if version == 1:  # a Sequential config without class_name
            spec = {"class_name": "Sequential", "config": spec}
        config = spec["config"]
        _check_unique_names(config["layers"], path)
    except (KeyError, TypeError) as e:
        raise ValueError(f"filepath={path!r}: its metadata is damaged (model_config: {e})") \
            from None
    model = network_from_config(config, f"filepath={path!r}")
    if not model.built:
        raise ValueError(f"filepath={path!r}: the saved model has no input shape to build "
                         "from (it was saved before it was built)")
    assign_weights(model, meta, arrays, False, f"filepath={path!r}")
    tc = meta.get("training_config")
    if compile and tc:
        _restore_training(model, tc, opt_arrays, version, path)
    return model


def _restore_training(model, tc: dict, opt_arrays: dict, version: int, path: str) -> None:
    try:
        oc = tc["optimizer"]
        name, opt_config, iterations = oc["name"], oc["config"], int(oc["iterations"])
        loss = tc["loss"]
        metrics = tc.get("metrics") or []
    except (KeyError, TypeError, ValueError) as e:
        raise ValueError(f"filepath={path!r}: its training config is damaged ({e})") from None
    if not isinstance(name, str) or name.lower() not in optimizers._REGISTRY:
        raise ValueError(f"filepath={path!r}: optimizer {name!r} is not known to this numrnn; "
                         f"accepted: {', '.join(sorted(optimizers._REGISTRY))}")
    try:
        opt = optimizers.from_config(name.lower(), opt_config)
    except (TypeError, ValueError) as e:
        raise ValueError(f"filepath={path!r}: the {name} optimizer config is damaged ({e})") \
            from None
    if version == 1:
        model.compile(opt, loss, metrics)
    else:
        names = model.output_names
        if len(names) == 1:
            model.compile(opt, loss[0], metrics[0] if metrics else None,
                          loss_weights=tc.get("loss_weights"),
                          sample_weight_mode=(tc.get("sample_weight_mode") or [None])[0])
        else:
            model.compile(opt, dict(zip(names, loss)), dict(zip(names, metrics)),
                          loss_weights=tc.get("loss_weights"),
                          sample_weight_mode=tc.get("sample_weight_mode"))
    if opt_arrays:
        params = model.trainable_weights
        state = [opt._new_state(p) for p in params]
        for key, value in opt_arrays.items():
            parts = key.split("/")
            if len(parts) != 3 or not parts[1].isdigit() or int(parts[1]) >= len(state) \
                    or parts[2] not in state[int(parts[1])]:
                raise ValueError(f"filepath={path!r}: optimizer entry {key!r} does not fit this "
                                 f"model ({len(state)} weights; {name} keeps "
                                 f"{', '.join(state[0]) if state else 'nothing'})")
            want = state[int(parts[1])][parts[2]]
            if value.shape != want.shape or value.dtype.kind != want.dtype.kind:
                raise ValueError(f"filepath={path!r}: optimizer entry {key!r} has shape "
                                 f"{value.shape} {value.dtype}; the weight needs {want.shape} "
                                 f"{want.dtype}")
            state[int(parts[1])][parts[2]] = value.astype(want.dtype)
        if version == 1 and isinstance(opt, optimizers.RMSprop):
            for s in state:  # version 1 stored the accumulators with every decay applied
                s["last_step"][:] = iterations
        opt.state = state
    opt.iterations = iterations
