"""Keras files in and out: ``.keras`` (Keras 3), full-model ``.h5`` (Keras 2 layout, also
written by Keras 3's legacy saver) and the weights-only ``.weights.h5`` / ``.h5``.

Every file is read with h5py (the ``.keras`` zip holds an HDF5 weights file), never
parsed by hand. What a file is follows from its content, and which Keras wrote it from
its ``keras_version`` (not from its extension): that decides, for example, what
``hard_sigmoid`` meant (see `numrnn.convert.layouts`).

Weights are matched to the layers that have weights, in order, so numrnn's names
(``lstm_1``) and Keras 3's (``lstm``) need not agree. Every array is checked against the
model before the first one is written: a failed load leaves the model as it was.
"""

from __future__ import annotations

import datetime
import io
import json
import os
import zipfile
from typing import Any

import numpy as np

from .. import __version__ as numrnn_version
from ..io_utils import atomic_write
from ..layers import Layer
from ..models import Model, Sequential
from . import keras_config, keras_graph, layouts
from ._deps import require

__all__ = ["from_keras", "load_keras_weights", "save_keras_weights", "save_keras"]

#: The ``keras_version`` written into files numrnn makes in Keras 3's format.
KERAS3_FILE_VERSION = "3.0.0"
#: The ``keras_version`` written into Keras 2 HDF5 weight files (the layout of Keras 2.1.6).
KERAS2_FILE_VERSION = "2.1.6"

Weights = list[list[np.ndarray]]  # per layer with weights, in Keras order


def _h5py():
    return require("h5py", "numrnn.convert (Keras HDF5 files)")


def _text(value: Any) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


def _texts(values: Any) -> list[str]:
    return [_text(v) for v in np.atleast_1d(values)] if values is not None else []


# ---- reading -----------------------------------------------------------------------------
class _KerasFile:
    """What a Keras file holds: its Keras version, the model config (if any), the weights."""

    def __init__(self, source: str, version: str | None, config: dict | None):
        self.source, self.version, self.config = source, version, config
        self.keras3_layers = None     # h5py group "layers" of a Keras 3 weights file
        self.keras2_group = None      # h5py group with layer_names of a Keras 2 file


def _open(path: str | os.PathLike, reader) -> Any:
    """Call ``reader(_KerasFile, h5file)`` on the file at ``path``; wrap damage as ValueError."""
    h5py = _h5py()
    source = str(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"path={source!r}: no such file")
    try:
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as zf:
                names = zf.namelist()
                if "config.json" not in names or "model.weights.h5" not in names:
                    raise ValueError(f"{source}: a zip archive without config.json and "
                                     "model.weights.h5, so not a .keras file")
                meta = json.loads(zf.read("metadata.json")) if "metadata.json" in names else {}
                config = json.loads(zf.read("config.json"))
                weights = io.BytesIO(zf.read("model.weights.h5"))
            kf = _KerasFile(source, meta.get("keras_version"), config)
            with h5py.File(weights, "r") as f:
                kf.keras3_layers = f.get("layers")
                return reader(kf, f)
        if not h5py.is_hdf5(path):
            raise ValueError(f"{source}: neither a .keras archive nor an HDF5 file "
                             "(a truncated or damaged download?)")
        with h5py.File(path, "r") as f:
            root = f["model_weights"] if "model_weights" in f else f
            version = f.attrs.get("keras_version", root.attrs.get("keras_version"))
            config = f.attrs.get("model_config")
            kf = _KerasFile(source, None if version is None else _text(version),
                            None if config is None else json.loads(_text(config)))
            if "layer_names" in root.attrs:
                kf.keras2_group = root
            elif "layers" in f:
                kf.keras3_layers = f["layers"]
            else:
                raise ValueError(f"{source}: an HDF5 file without Keras weights (no "
                                 "layer_names attribute and no 'layers' group)")
            return reader(kf, f)
    except (OSError, KeyError, zipfile.BadZipFile, EOFError, json.JSONDecodeError) as err:
        raise ValueError(f"{source}: cannot be read as a Keras file ({err}); "
                         "is it truncated or damaged?") from err


def _keras2_weights(group) -> Weights:
    """The weights of the layers with weights in a Keras 2 HDF5 group, in layer order."""
    out = []
    for name in _texts(group.attrs["layer_names"]):
        g = group[name]
        weight_names = _texts(g.attrs.get("weight_names", []))
        if weight_names:
            out.append([np.asarray(g[w]) for w in weight_names])
    return out


def _keras3_vars(layers_group, name: str, subpaths: tuple[str, ...]) -> list[np.ndarray]:
    arrays = []
    if name not in layers_group:
        return arrays
    for sub in subpaths:
        path = f"{name}/{sub}/vars" if sub else f"{name}/vars"
        if path in layers_group:
            g = layers_group[path]
            arrays += [np.asarray(g[k]) for k in sorted(g.keys(), key=int)]
    return arrays


def _file_weights(kf: _KerasFile, layers: list[Layer]) -> Weights:
    """The weight arrays of the file, one list per layer with weights, in layer order.

    ``layers``: the model's layers in Keras' order (`_keras_layers`). Keras 2 files list
    their layers in order. Keras 3 files name each layer's group after its class, numbered
    per class in layer order (``lstm``, ``lstm_1``, ...; whatever the layers' own names), so
    `keras3_names` finds them.
    """
    if kf.keras2_group is not None:
        return _keras2_weights(kf.keras2_group)
    out = []
    for layer, name in zip(layers, _numbered(layers)):
        if layer.params:
            kind = keras_config.kind_of_layer(layer, kf.source)
            out.append(_keras3_vars(kf.keras3_layers, name, kind.keras3_weight_paths(layer)))
    return out


def _keras_layers(model: Model) -> list[Layer]:
    """``model``'s layers in the order Keras keeps them: a Sequential's in order (no Input
    layer), a functional model's by depth (`keras_graph.keras_order`, Input layers included)."""
    if isinstance(model, Sequential):
        return model.layers
    return keras_graph.keras_order(model)


def _numbered(layers: list[Layer]) -> list[str]:
    return layouts.numbered_names([keras_graph.keras_class(layer, "keras3_names")
                                   for layer in layers])


def _assign(all_layers: list[Layer], weights: Weights, source: str) -> None:
    """Check every array against the layers (Keras order), then write them all (or none)."""
    layers = [layer for layer in all_layers if layer.params]
    if len(weights) != len(layers):
        raise ValueError(f"{source}: holds weights for {len(weights)} layers, the model has "
                         f"{len(layers)} layers with weights "
                         f"({', '.join(layer.name for layer in layers)})")
    for layer, arrays in zip(layers, weights):
        expected = [p.shape for p in layer.params.values()]
        given = [a.shape for a in arrays]
        if given != expected:
            raise ValueError(f"{source}: the weights for layer {layer.name!r} "
                             f"({type(layer).__name__}) have shapes {given}, the layer has "
                             f"{expected}: the file's architecture differs from the model's")
        for a in arrays:
            if a.dtype.kind != "f" or not np.isfinite(a).all():
                raise ValueError(f"{source}: layer {layer.name!r} has non-finite or "
                                 "non-float weights")
    for layer, arrays in zip(layers, weights):
        layer.set_weights(arrays)


def _layer_specs(config: dict, source: str) -> tuple[str, list[dict], tuple | None]:
    """(model name, layer specs without the InputLayer, batch input shape) of a config."""
    class_name = config.get("class_name")
    if class_name != "Sequential":
        raise ValueError(f"{source}: the model is a Keras {class_name!r}; numrnn.convert reads "
                         f"Sequential and functional ({', '.join(keras_graph.FUNCTIONAL_CLASSES)})"
                         " models")
    inner = config.get("config")
    if isinstance(inner, list):  # Keras 2.0-2.1 wrote the list of layers itself
        name, specs = "sequential", inner
    else:
        name, specs = inner.get("name", "sequential"), inner.get("layers", [])
    input_shape = None
    if specs and specs[0].get("class_name") == "InputLayer":
        cfg = specs[0]["config"]
        shape = cfg.get("batch_shape") or cfg.get("batch_input_shape")
        input_shape = None if shape is None else tuple(shape)
        specs = specs[1:]
    if not specs:
        raise ValueError(f"{source}: the Sequential model has no layers")
    first = specs[0]
    if input_shape is None:
        cfg = first.get("config", {})
        shape = cfg.get("batch_input_shape") or cfg.get("batch_shape") or (
            first.get("build_config") or {}).get("input_shape")
        if shape is None and first.get("class_name") == "Embedding":
            shape = [None, cfg.get("input_length")]
        input_shape = None if shape is None else tuple(shape)
    return name, specs, input_shape


# ---- public functions --------------------------------------------------------------------
def from_keras(path: str | os.PathLike) -> Model:
    """The numrnn model of a Keras model file, with its weights.

    Reads a Keras 3 ``.keras`` file or a full-model ``.h5`` (Keras 2.x, tf.keras 2.x, or
    Keras 3's legacy ``model.save('x.h5')``). The file's ``keras_version`` decides what
    version-dependent names meant (Keras 3's ``hard_sigmoid`` is another function than
    Keras 2's). The result is not compiled: a `Sequential` for a Keras Sequential, a
    functional `Model` for a Keras functional model ("Functional", Keras 2's "Model"),
    rebuilt call by call from the config's inbound nodes: several inputs and outputs, merge
    layers, shared layers, states (``return_state=True``) fed to ``initial_state``, masks.

    Raises ValueError naming the layer and setting for a layer kind numrnn lacks or a
    setting that would change the outputs; training-only settings numrnn lacks
    (regularizers, constraints, dropout) load with a UserWarning naming them.

    Needs ``pip install 'numrnn[convert]'`` (h5py).

    Example:
        >>> model = keras.Sequential([keras.Input((20,), dtype="int32"),
        ...                           keras.layers.Embedding(1000, 8), keras.layers.LSTM(4)])
        >>> model.save("tiny.keras")                       # in Keras
        >>> net = numrnn.convert.from_keras("tiny.keras")  # in numrnn
        >>> net.predict(x)                                 # == model.predict(x)
    """

    def read(kf: _KerasFile, _f) -> Model:
        if kf.config is None:
            raise ValueError(f"{kf.source}: holds weights only (no model config); build the "
                             "model in numrnn and use load_keras_weights")
        major = layouts.keras_major(kf.version, kf.source)
        if kf.config.get("class_name") in keras_graph.FUNCTIONAL_CLASSES:
            graph, layers = keras_graph.model_from_config(kf.config, major, kf.source)
            _assign(layers, _file_weights(kf, layers), kf.source)
            return graph
        name, specs, input_shape = _layer_specs(kf.config, kf.source)
        model = Sequential(name=name)
        masked = False
        for k, spec in enumerate(specs):
            layer = keras_config.layer_from_keras(
                spec.get("class_name"), spec.get("config", {}), major, kf.source,
                input_shape if k == 0 else None, masked)
            model.add(layer)
            masked = keras_config.passes_mask(layer, masked)
        if not model.built:
            raise ValueError(f"{kf.source}: the model's input shape is not recorded, so "
                             "its weights cannot be placed")
        _assign(model.layers, _file_weights(kf, model.layers), kf.source)
        return model

    return _open(path, read)


def load_keras_weights(model: Model, path: str | os.PathLike) -> None:
    """Load a Keras HDF5 weights file into a built numrnn ``model`` of the same architecture.

    Accepts Keras 3's ``.weights.h5``, Keras 2's ``save_weights`` ``.h5``, and the weights
    inside a full-model ``.h5`` or ``.keras`` file. Layers with weights are matched in order,
    whatever their names (a functional model's in Keras' order: by depth, see
    `numrnn.convert.keras_graph`). On any mismatch a
    ValueError names the layer and the shapes, and the model is left unchanged.

    Example:
        >>> keras_model.save_weights("tiny.weights.h5")     # in Keras
        >>> numrnn.convert.load_keras_weights(net, "tiny.weights.h5")
    """
    _check_model(model, "load_keras_weights")

    def read(kf: _KerasFile, _f) -> None:
        if kf.version is not None:
            layouts.keras_major(kf.version, kf.source)
        layers = _keras_layers(model)
        _assign(layers, _file_weights(kf, layers), kf.source)

    _open(path, read)


def _check_model(model: Any, what: str) -> None:
    if not isinstance(model, Model):
        raise TypeError(f"{what}: model has type {type(model).__name__}; accepted: a numrnn "
                        "Sequential or Model")
    if not model.built:
        raise ValueError(f"{what}: the model is not built; give its first layer an input "
                         "shape (or call model.build) first")
    if not isinstance(model, Sequential):
        keras_graph.check_model(model, what)
        return
    for layer in model.layers:
        keras_config.kind_of_layer(layer, what)


def keras3_names(model: Model) -> list[str]:
    """The groups of ``model``'s layers in a Keras 3 weights file (`layouts.numbered_names`),
    in Keras' layer order (`_keras_layers`)."""
    return _numbered(_keras_layers(model))


def _write_keras3_weights(h5file, model: Model) -> None:
    all_layers = _keras_layers(model)
    names = _numbered(all_layers)
    h5file.attrs["numrnn_version"] = numrnn_version
    layers = h5file.create_group("layers", track_order=True)
    for layer, name in zip(all_layers, names):
        g = layers.create_group(name, track_order=True)
        g.create_group("vars").attrs["name"] = name
        if not layer.params:
            continue
        kind = keras_config.kind_of_layer(layer, "save")
        # the arrays are split evenly over the paths (Bidirectional: forward, backward)
        paths = kind.keras3_weight_paths(layer)
        arrays = list(layer.params.values())
        per = len(arrays) // len(paths)
        for j, sub in enumerate(paths):
            parts = sub.split("/") if sub else []
            for depth in range(1, len(parts) + 1):  # Keras has a vars group at every level
                g.require_group("/".join(parts[:depth]) + "/vars")
            target = g[f"{sub}/vars"] if sub else g["vars"]
            for k, w in enumerate(arrays[j * per:(j + 1) * per]):
                target.create_dataset(str(k), data=w)
    h5file.create_group("vars").attrs["name"] = model.name


def save_keras_weights(model: Model, path: str | os.PathLike,
                       format: str | None = None) -> None:
    """Write ``model``'s weights as a Keras HDF5 weights file (atomically).

    ``format``: ``'keras3'`` (the ``.weights.h5`` that Keras 3's ``model.load_weights``
    reads), or ``'keras2'`` (the ``save_weights`` ``.h5`` layout of Keras 2.1,
    layers named as in numrnn, matched in order by Keras 2 and 3's ``load_weights``).
    ``None`` chooses by the name: ``*.weights.h5`` gives ``'keras3'``, other names ``'keras2'``.

    Example:
        >>> numrnn.convert.save_keras_weights(net, "tiny.weights.h5")
        >>> keras_model.load_weights("tiny.weights.h5")     # in Keras 3
    """
    h5py = _h5py()
    _check_model(model, "save_keras_weights")
    if format is None:
        format = "keras3" if str(path).endswith(".weights.h5") else "keras2"
    if format not in ("keras3", "keras2"):
        raise ValueError(f"format={format!r}; accepted: 'keras3', 'keras2' or None")
    with atomic_write(path, "w+b") as fobj, h5py.File(fobj, "w", track_order=True) as f:
        if format == "keras3":
            _write_keras3_weights(f, model)
        else:
            _write_keras2_weights(f, model)


def _write_keras2_weights(group, model: Model) -> None:
    layers = _keras_layers(model)
    group.attrs["layer_names"] = [layer.name.encode() for layer in layers]
    group.attrs["backend"] = b"tensorflow"
    group.attrs["keras_version"] = KERAS2_FILE_VERSION.encode()
    group.attrs["numrnn_version"] = numrnn_version
    for layer in layers:
        g = group.create_group(layer.name)
        names = [f"{layer.name}/{p}:0" for p in layer.params]
        g.attrs["weight_names"] = [n.encode() for n in names]
        for n, w in zip(names, layer.params.values()):
            g.create_dataset(n, data=w)


def save_keras(model: Model, path: str | os.PathLike) -> None:
    """Write ``model`` as a Keras 3 ``.keras`` file (architecture and weights, atomically).

    ``keras.models.load_model(path)`` opens it and its ``predict`` equals numrnn's; the
    training setup (loss, optimizer) is not saved: compile the Keras model yourself.
    numrnn's ``hard_sigmoid`` (Keras 2's) has no Keras 3 counterpart and is refused.
    A `Sequential` becomes a Keras Sequential, a functional `Model` a Keras "Functional"
    model with the same graph (`numrnn.convert.keras_graph`).

    Example:
        >>> numrnn.convert.save_keras(net, "tiny.keras")
        >>> keras.models.load_model("tiny.keras").predict(x)   # == net.predict(x)
    """
    h5py = _h5py()
    _check_model(model, "save_keras")
    config = _sequential_config(model) if isinstance(model, Sequential) else \
        keras_graph.functional_config(model, "save_keras")
    meta = {"keras_version": KERAS3_FILE_VERSION, "numrnn_version": numrnn_version,
            "date_saved": datetime.datetime.now().strftime("%Y-%m-%d@%H:%M:%S")}
    weights = io.BytesIO()
    with h5py.File(weights, "w", track_order=True) as f:
        _write_keras3_weights(f, model)
    with atomic_write(path) as fobj, zipfile.ZipFile(fobj, "w") as zf:
        zf.writestr("metadata.json", json.dumps(meta))
        zf.writestr("config.json", json.dumps(config))
        zf.writestr("model.weights.h5", weights.getvalue())


def _sequential_config(model: Sequential) -> dict:
    layers = [keras_config.layer_to_keras(layer, "save_keras", masked) for layer, masked
              in zip(model.layers, keras_config.mask_reaches(model.layers))]
    first = model.layers[0]
    input_layer = {"module": "keras.layers", "class_name": "InputLayer", "registered_name": None,
                   "config": {"batch_shape": list(first.input_shape),
                              "dtype": "int32" if first.params.get("embeddings") is not None
                              else first.dtype.name,
                              "sparse": False, "name": "input_layer"}}
    config = {"module": "keras", "class_name": "Sequential", "registered_name": None,
              "config": {"name": model.name, "trainable": True,
                         "layers": [input_layer] + layers},
              "build_config": {"input_shape": list(first.input_shape)}}
    return config
