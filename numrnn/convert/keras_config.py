"""Layer configs: Keras' (2.x and 3.x) <-> numrnn's, one table entry per layer kind.

Each `KerasKind` says how one Keras layer class becomes a numrnn layer and back:

* ``from_keras(reader)`` turns a Keras config into numrnn constructor arguments, taking
  each setting it understands from the `ConfigReader`. Whatever is left is judged by
  `ConfigReader.finish`: settings that only matter while training and that numrnn lacks
  (regularizers, constraints, dropout) give one warning naming them; settings that would
  change what the layer computes give a ValueError naming them.
* ``to_keras(layer)`` writes the Keras 3 config of a numrnn layer.
* ``keras3_weight_paths(layer)``: where a Keras 3 weights file keeps the layer's variables,
  below ``layers/<name>`` (recurrent layers keep them in their ``cell``, Bidirectional in
  ``forward_layer/cell`` and ``backward_layer/cell``, TimeDistributed in ``layer``).

Masks: a few layers compute differently in Keras and numrnn when a mask reaches them
(Keras' Bidirectional zeroes masked steps of a returned sequence, Keras 3's
GlobalMaxPooling1D ignores the mask); `mask_reaches` says where a mask arrives, and those
combinations are refused in both directions.

A new layer kind is one more entry in `KINDS`.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

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
    Layer,
    Masking,
    Multiply,
    Permute,
    RepeatVector,
    Reshape,
    SimpleRNN,
    SpatialDropout1D,
    Subtract,
    TimeDistributed,
)
from ..layers.recurrent import RNN
from . import layouts

# Settings that do not change what a loaded layer computes: initializers (the weights are
# loaded), how Keras runs the loop (unroll, implementation, use_cudnn), seeds.
_HARMLESS = {
    "name", "trainable", "dtype", "kernel_initializer", "recurrent_initializer",
    "bias_initializer", "embeddings_initializer", "unroll", "implementation", "use_cudnn",
    "seed", "batch_input_shape", "batch_shape", "input_dtype", "input_length",
}
# Settings that only act while training, which numrnn does not have (yet).
_TRAINING_ONLY = {
    "kernel_regularizer", "recurrent_regularizer", "bias_regularizer", "activity_regularizer",
    "embeddings_regularizer", "kernel_constraint", "recurrent_constraint", "bias_constraint",
    "embeddings_constraint", "dropout", "recurrent_dropout",
}


class ConfigReader:
    """One Keras layer config being read: ``take`` what is understood, then ``finish``."""

    def __init__(self, class_name: str, config: dict, major: int, source: str,
                 masked: bool = False, functional: bool = False):
        self.class_name, self.major, self.source = class_name, major, source
        self.masked = masked  # whether a mask reaches this layer
        self.functional = functional  # in a functional model (several outputs can flow on)
        self.config = dict(config)
        self.name = str(self.config.get("name", class_name))
        self.where = f"{source}: layer {self.name!r} ({class_name})"
        self._left = dict(self.config)

    def take(self, key: str, default: Any = None) -> Any:
        self._left.pop(key, None)
        return self.config.get(key, default)

    def require(self, key: str, accepted: tuple) -> Any:
        """Take ``key`` (absent: ``accepted[0]``); refuse values numrnn cannot compute."""
        value = self.take(key, accepted[0])
        if value not in accepted:
            raise ValueError(f"{self.where}: {key}={value!r} changes what the layer computes "
                             f"and numrnn cannot do it; accepted: {', '.join(map(repr, accepted))}")
        return value

    def activation(self, key: str, default: str | None) -> str:
        return layouts.activation_from_keras(self.take(key, default), self.major,
                                             f"{self.where} {key}")

    def common(self) -> dict:
        """numrnn keyword arguments every layer shares: name, trainable, dtype."""
        return {"name": self.name, "trainable": bool(self.take("trainable", True)),
                "dtype": _dtype_name(self.take("dtype"), self.where)}

    def finish(self) -> None:
        """Warn about training-only settings numrnn lacks; refuse anything else unknown."""
        unused, refused = [], []
        for key, value in self._left.items():
            if key in _HARMLESS or value is None or value is False:
                continue
            if key in _TRAINING_ONLY:
                if value not in (0, 0.0):
                    unused.append(f"{key}={_short(value)}")
            else:
                refused.append(f"{key}={_short(value)}")
        if refused:
            raise ValueError(f"{self.where}: numrnn does not support the setting(s) "
                             f"{', '.join(refused)}")
        if unused:
            warnings.warn(f"{self.where}: loaded without the training-only setting(s) "
                          f"{', '.join(unused)}, which numrnn does not have; predictions are "
                          "the same, training in numrnn will not apply them",
                          UserWarning, stacklevel=4)


def _short(value: Any) -> str:
    if isinstance(value, dict) and "class_name" in value:
        return str(value["class_name"])
    return repr(value)


def _dtype_name(dtype: Any, where: str) -> str | None:
    """Keras' dtype (a string, or Keras 3's DTypePolicy dict) as numrnn's float type."""
    if dtype is None:
        return None
    if isinstance(dtype, dict):
        dtype = dtype.get("config", {}).get("name")
    if dtype not in ("float32", "float64"):
        raise ValueError(f"{where}: dtype={dtype!r}; numrnn computes in float32 or float64")
    return dtype


def _keras3_dtype(layer: Layer) -> dict:
    return {"module": "keras", "class_name": "DTypePolicy",
            "config": {"name": layer.dtype.name}, "registered_name": None}


def _keras3_common(layer: Layer) -> dict:
    return {"name": layer.name, "trainable": layer.trainable, "dtype": _keras3_dtype(layer)}


# ---- per-kind translations ---------------------------------------------------------------
def _dense_from(r: ConfigReader) -> dict:
    r.require("lora_rank", (None,))
    r.require("quantization_config", (None,))
    return {**r.common(), "units": int(r.take("units")),
            "activation": r.activation("activation", None),
            "use_bias": bool(r.take("use_bias", True))}


def _dense_to(layer: Dense) -> dict:
    return {**_keras3_common(layer), "units": layer.units,
            "activation": layouts.activation_to_keras3(layer.activation.name, layer.name),
            "use_bias": layer.use_bias}


def _embedding_from(r: ConfigReader) -> dict:
    r.require("lora_rank", (None,))
    r.require("quantization_config", (None,))
    r.require("sparse", (False, None))
    return {**r.common(), "input_dim": int(r.take("input_dim")),
            "output_dim": int(r.take("output_dim")),
            "mask_zero": bool(r.take("mask_zero", False))}


def _embedding_to(layer: Embedding) -> dict:
    return {**_keras3_common(layer), "input_dim": layer.input_dim,
            "output_dim": layer.output_dim, "mask_zero": layer.mask_zero}


def _flatten_from(r: ConfigReader) -> dict:
    r.require("data_format", ("channels_last", None))
    return r.common()


def _flatten_to(layer: Flatten) -> dict:
    return {**_keras3_common(layer), "data_format": "channels_last"}


def _rnn_from(r: ConfigReader, gates: bool) -> dict:
    kwargs = {**r.common(), "units": int(r.take("units")),
              "activation": r.activation("activation", "tanh"),
              "use_bias": bool(r.take("use_bias", True)),
              "return_sequences": bool(r.take("return_sequences", False)),
              "go_backwards": bool(r.take("go_backwards", False))}
    if gates:
        # absent: the layer's default in that Keras (2.1: hard_sigmoid; 3: sigmoid)
        default = "sigmoid" if r.major >= 3 else "hard_sigmoid"
        kwargs["recurrent_activation"] = r.activation("recurrent_activation", default)
    if r.functional:  # the states are outputs of the layer's node, as in numrnn
        kwargs["return_state"] = bool(r.take("return_state", False))
    else:
        r.require("return_state", (False,))
    r.require("stateful", (False,))
    r.require("time_major", (False,))
    if r.masked and kwargs["return_sequences"]:  # without a mask there are no masked steps
        r.require("zero_output_for_mask", (False,))
    r.take("zero_output_for_mask")
    return kwargs


def _rnn_to(layer, gates: bool) -> dict:
    config = {**_keras3_common(layer), "units": layer.units,
              "activation": layouts.activation_to_keras3(layer.activation.name, layer.name),
              "use_bias": layer.use_bias, "return_sequences": layer.return_sequences,
              "return_state": layer.return_state, "go_backwards": layer.go_backwards,
              "stateful": False,
              "unroll": False, "zero_output_for_mask": False}
    if gates:
        config["recurrent_activation"] = layouts.activation_to_keras3(
            layer.recurrent_activation.name, layer.name)
    return config


def _lstm_from(r: ConfigReader) -> dict:
    return {**_rnn_from(r, True), "unit_forget_bias": bool(r.take("unit_forget_bias", True))}


def _lstm_to(layer: LSTM) -> dict:
    return {**_rnn_to(layer, True), "unit_forget_bias": layer.unit_forget_bias}


def _gru_from(r: ConfigReader) -> dict:
    # reset_after exists from Keras 2.1.5; before it, and by default in all of Keras 2.1-2.3,
    # it is False; tf.keras 2.x and Keras 3 write it explicitly.
    return {**_rnn_from(r, True), "reset_after": bool(r.take("reset_after", False))}


def _gru_to(layer: GRU) -> dict:
    return {**_rnn_to(layer, True), "reset_after": layer.reset_after}


def _dropout_from(r: ConfigReader) -> dict:
    noise_shape = r.take("noise_shape")
    return {**r.common(), "rate": float(r.take("rate", 0.0)), "seed": r.take("seed"),
            "noise_shape": None if noise_shape is None else tuple(noise_shape)}


def _dropout_to(layer: Dropout) -> dict:
    return {**_keras3_common(layer), "rate": layer.rate, "seed": layer.seed,
            "noise_shape": None if layer.noise_shape is None else list(layer.noise_shape)}


def _spatial_dropout_from(r: ConfigReader) -> dict:
    return {**r.common(), "rate": float(r.take("rate", 0.0)), "seed": r.take("seed")}


def _spatial_dropout_to(layer: SpatialDropout1D) -> dict:
    # Keras 3's SpatialDropout1D takes no ``trainable`` and writes its dtype as a string
    return {"name": layer.name, "dtype": layer.dtype.name, "rate": layer.rate,
            "seed": layer.seed}


def _activation_from(r: ConfigReader) -> dict:
    return {**r.common(), "activation": r.activation("activation", "linear")}


def _activation_to(layer: Activation) -> dict:
    return {**_keras3_common(layer),
            "activation": layouts.activation_to_keras3(layer.activation.name, layer.name)}


def _pooling_from(r: ConfigReader) -> dict:
    r.require("data_format", ("channels_last", None))
    r.require("keepdims", (False,))
    if r.masked and r.class_name in ("GlobalMaxPooling1D", "GlobalMaxPool1D"):
        raise ValueError(f"{r.where}: a mask reaches it; Keras ignores the mask in "
                         "GlobalMaxPooling1D, numrnn's takes the max over unmasked steps only")
    return r.common()


def _pooling_to(layer: Layer) -> dict:
    return {**_keras3_common(layer), "data_format": "channels_last", "keepdims": False}


def _inner_layer(r: ConfigReader, accepted: tuple[str, ...]) -> tuple[KerasKind, dict]:
    """The wrapped layer of a Bidirectional / TimeDistributed config: its kind and kwargs."""
    spec = r.take("layer")
    class_name = spec.get("class_name") if isinstance(spec, dict) else None
    if class_name not in accepted:
        raise ValueError(f"{r.where}: wraps {class_name!r}; numrnn.convert reads "
                         f"{r.class_name} of {', '.join(accepted)}")
    return read_config(class_name, spec.get("config", {}), r.major, r.source, r.masked)


def _time_distributed_from(r: ConfigReader) -> dict:
    kind, kwargs = _inner_layer(r, TIME_DISTRIBUTED_INNER)
    return {**r.common(), "layer": kind.numrnn_class(**kwargs)}


def _time_distributed_to(layer: TimeDistributed) -> dict:
    return {**_keras3_common(layer), "layer": _serialize(layer.layer, "TimeDistributed")}


def _bidirectional_from(r: ConfigReader) -> dict:
    merge_mode = r.require("merge_mode", ("concat", "sum", "mul", "ave"))
    inner = r.config.get("layer")
    if r.masked and isinstance(inner, dict) and inner.get("config", {}).get("return_sequences"):
        raise ValueError(f"{r.where}: a mask reaches it and it returns sequences; Keras' "
                         "Bidirectional outputs zeros at masked steps there, numrnn's "
                         "repeats the last unmasked output")
    kind, kwargs = _inner_layer(r, ("SimpleRNN", "LSTM", "GRU"))
    back_spec = r.take("backward_layer")
    if back_spec is not None:  # Keras allows another backward layer; numrnn mirrors one
        back_kind, back = read_config(back_spec.get("class_name"), back_spec.get("config", {}),
                                      r.major, r.source, r.masked)
        same = {k: v for k, v in kwargs.items() if k not in ("name", "go_backwards")}
        other = {k: v for k, v in back.items() if k not in ("name", "go_backwards")}
        if back_kind is not kind or same != other or back["go_backwards"] == kwargs[
                "go_backwards"]:
            raise ValueError(f"{r.where}: its backward_layer is not the forward layer run "
                             "backwards; numrnn's Bidirectional runs one layer both ways")
    return {**r.common(), "layer": kind.numrnn_class(**kwargs), "merge_mode": merge_mode}


def _bidirectional_to(layer: Bidirectional) -> dict:
    if layer.merge_mode is None or layer.return_state:
        raise ValueError(f"layer {layer.name!r}: merge_mode=None or return_state=True gives "
                         "several outputs, which a Keras Sequential cannot pass on")
    return {**_keras3_common(layer), "merge_mode": layer.merge_mode,
            "layer": _serialize(layer.forward_layer, "Bidirectional")}


def _serialize(layer: Layer, wrapper: str) -> dict:
    kind = kind_of_layer(layer, f"the layer inside a {wrapper}")
    return {"module": "keras.layers", "class_name": kind.keras_class,
            "config": kind.to_keras(layer), "registered_name": None}


@dataclass(frozen=True)
class KerasKind:
    keras_class: str
    numrnn_class: type
    from_keras: Callable[[ConfigReader], dict]
    to_keras: Callable[[Any], dict]
    keras3_weight_paths: Callable[[Any], tuple[str, ...]] = lambda layer: ("",)


def _in_cell(layer: Layer) -> tuple[str, ...]:
    return ("cell",)


def _td_paths(layer: TimeDistributed) -> tuple[str, ...]:
    inner = kind_of_layer(layer.layer, "TimeDistributed").keras3_weight_paths(layer.layer)
    return tuple(f"layer/{p}" if p else "layer" for p in inner)


def _simple(keras_class: str, numrnn_class: type, *keys: str) -> KerasKind:
    """A kind whose config is the common settings plus ``keys`` (lists become tuples)."""

    def from_keras(r: ConfigReader) -> dict:
        values = {k: r.take(k) for k in keys}
        return {**r.common(), **{k: tuple(v) if isinstance(v, list) else v
                                 for k, v in values.items()}}

    def to_keras(layer: Layer) -> dict:
        values = {k: getattr(layer, k) for k in keys}
        return {**_keras3_common(layer), **{k: list(v) if isinstance(v, tuple) else v
                                            for k, v in values.items()}}

    return KerasKind(keras_class, numrnn_class, from_keras, to_keras)


KINDS: tuple[KerasKind, ...] = (
    KerasKind("Embedding", Embedding, _embedding_from, _embedding_to),
    KerasKind("Dense", Dense, _dense_from, _dense_to),
    KerasKind("Flatten", Flatten, _flatten_from, _flatten_to),
    KerasKind("SimpleRNN", SimpleRNN, lambda r: _rnn_from(r, False),
              lambda layer: _rnn_to(layer, False), _in_cell),
    KerasKind("LSTM", LSTM, _lstm_from, _lstm_to, _in_cell),
    KerasKind("GRU", GRU, _gru_from, _gru_to, _in_cell),
    KerasKind("Dropout", Dropout, _dropout_from, _dropout_to),
    KerasKind("SpatialDropout1D", SpatialDropout1D, _spatial_dropout_from, _spatial_dropout_to),
    KerasKind("Activation", Activation, _activation_from, _activation_to),
    _simple("RepeatVector", RepeatVector, "n"),
    _simple("Masking", Masking, "mask_value"),
    _simple("Reshape", Reshape, "target_shape"),
    _simple("Permute", Permute, "dims"),
    KerasKind("GlobalAveragePooling1D", GlobalAveragePooling1D, _pooling_from, _pooling_to),
    KerasKind("GlobalMaxPooling1D", GlobalMaxPooling1D, _pooling_from, _pooling_to),
    KerasKind("Bidirectional", Bidirectional, _bidirectional_from, _bidirectional_to,
              lambda layer: ("forward_layer/cell", "backward_layer/cell")),
    KerasKind("TimeDistributed", TimeDistributed, _time_distributed_from,
              _time_distributed_to, _td_paths),
    # merge layers: in functional models only (a Sequential passes one tensor on)
    _simple("Concatenate", Concatenate, "axis"),
    _simple("Add", Add),
    _simple("Subtract", Subtract),
    _simple("Multiply", Multiply),
    _simple("Average", Average),
    _simple("Dot", Dot, "axes", "normalize"),
)
BY_KERAS_CLASS = {kind.keras_class: kind for kind in KINDS}
BY_KERAS_CLASS["GlobalAvgPool1D"] = BY_KERAS_CLASS["GlobalAveragePooling1D"]  # Keras 2 aliases
BY_KERAS_CLASS["GlobalMaxPool1D"] = BY_KERAS_CLASS["GlobalMaxPooling1D"]
#: the layers numrnn.convert reads and writes inside a TimeDistributed
TIME_DISTRIBUTED_INNER = ("Dense", "Activation", "Dropout")


def mask_reaches(layers: list[Layer]) -> list[bool]:
    """For each layer of a Sequential, whether a mask reaches it (as numrnn passes masks)."""
    out, flows = [], False
    for layer in layers:
        out.append(flows)
        flows = passes_mask(layer, flows)
    return out


def passes_mask(layer: Layer, flows: bool) -> bool:
    """Whether a mask leaves ``layer``, given whether one reached it."""
    if isinstance(layer, Embedding):
        return layer.mask_zero
    if isinstance(layer, Masking):
        return True
    if isinstance(layer, (RNN, Bidirectional)):
        return flows and layer.return_sequences
    return flows and layer.supports_masking


def kind_of_layer(layer: Layer, what: str) -> KerasKind:
    """The table entry of a numrnn layer, or a ValueError naming the layer."""
    if isinstance(layer, TimeDistributed) and type(layer.layer).__name__ not in \
            TIME_DISTRIBUTED_INNER:
        raise ValueError(f"{what}: layer {layer.name!r} is a TimeDistributed of "
                         f"{type(layer.layer).__name__}; numrnn.convert handles TimeDistributed "
                         f"of {', '.join(TIME_DISTRIBUTED_INNER)}")
    if isinstance(layer, Bidirectional) and type(layer.forward_layer) not in (
            SimpleRNN, LSTM, GRU):
        raise ValueError(f"{what}: layer {layer.name!r} is a Bidirectional of "
                         f"{type(layer.forward_layer).__name__}; numrnn.convert handles "
                         "Bidirectional of SimpleRNN, LSTM and GRU")
    for kind in KINDS:
        if type(layer) is kind.numrnn_class:
            return kind
    raise ValueError(f"{what}: layer {layer.name!r} ({type(layer).__name__}) has no Keras "
                     f"counterpart in numrnn.convert; supported: "
                     f"{', '.join(k.numrnn_class.__name__ for k in KINDS)}")


def kind_of_keras(class_name: str, where: str) -> KerasKind:
    kind = BY_KERAS_CLASS.get(class_name)
    if kind is None:
        raise ValueError(f"{where}: Keras layer class {class_name!r} is not supported by "
                         f"numrnn.convert; supported: {', '.join(k.keras_class for k in KINDS)}")
    return kind


def read_config(class_name: str, config: dict, major: int, source: str,
                masked: bool = False, functional: bool = False) -> tuple[KerasKind, dict]:
    """The kind and numrnn constructor arguments of one Keras layer config
    (``functional``: the layer is in a functional model, where return_state is allowed)."""
    reader = ConfigReader(class_name, config, major, source, masked, functional)
    kind = kind_of_keras(class_name, reader.where)
    kwargs = kind.from_keras(reader)
    reader.finish()
    if kwargs.get("dtype") is None:
        kwargs.pop("dtype", None)
    return kind, kwargs


def layer_from_keras(class_name: str, config: dict, major: int, source: str,
                     input_shape: tuple | None, masked: bool = False,
                     functional: bool = False) -> Layer:
    """A numrnn layer (unbuilt) for one Keras layer config.

    ``input_shape`` (batch dimension included) is given for the first layer of a Sequential;
    ``masked``: whether a mask reaches the layer; ``functional``: it is in a functional model.
    """
    kind, kwargs = read_config(class_name, config, major, source, masked, functional)
    if input_shape is not None:
        if kind.numrnn_class is Embedding:
            if len(input_shape) != 2:
                raise ValueError(f"{source}: layer {kwargs.get('name')!r}: input shape "
                                 f"{input_shape}; an Embedding takes (batch, length)")
            kwargs["input_length"] = input_shape[1]
        else:
            kwargs["input_shape"] = tuple(input_shape[1:])
    elif kind.numrnn_class is Embedding and config.get("input_length"):
        kwargs["input_length"] = int(config["input_length"])
    return kind.numrnn_class(**kwargs)


def layer_to_keras(layer: Layer, what: str, masked: bool = False) -> dict:
    """The Keras 3 serialization of a built numrnn layer (``masked``: a mask reaches it)."""
    kind = kind_of_layer(layer, what)
    if masked and (isinstance(layer, GlobalMaxPooling1D) or (
            isinstance(layer, Bidirectional) and layer.return_sequences)):
        raise ValueError(f"{what}: layer {layer.name!r} ({type(layer).__name__}) receives a "
                         "mask, and Keras computes it differently then (Bidirectional "
                         "returning sequences zeroes masked steps; GlobalMaxPooling1D ignores "
                         "the mask)")
    return {"module": "keras.layers", "class_name": kind.keras_class,
            "config": kind.to_keras(layer), "registered_name": None,
            "build_config": {"input_shape": list(layer.input_shape)}}
