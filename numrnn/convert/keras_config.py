"""Layer configs: Keras' (2.x and 3.x) <-> numrnn's, one table entry per layer kind.

Each `KerasKind` says how one Keras layer class becomes a numrnn layer and back:

* ``from_keras(reader)`` turns a Keras config into numrnn constructor arguments, taking
  each setting it understands from the `ConfigReader`. Whatever is left is judged by
  `ConfigReader.finish`: settings that only matter while training and that numrnn lacks
  (regularizers, constraints, dropout) give one warning naming them; settings that would
  change what the layer computes give a ValueError naming them.
* ``to_keras(layer)`` writes the Keras 3 config of a numrnn layer.
* ``keras3_weight_paths``: where a Keras 3 weights file keeps the layer's variables, below
  ``layers/<name>`` (recurrent layers keep them in their ``cell``).

A new layer kind (Dropout, Bidirectional, ...) is one more entry in `KINDS`.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..layers import GRU, LSTM, Dense, Embedding, Flatten, Layer, SimpleRNN
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

    def __init__(self, class_name: str, config: dict, major: int, source: str):
        self.class_name, self.major, self.source = class_name, major, source
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
    r.require("return_state", (False,))
    r.require("stateful", (False,))
    r.require("time_major", (False,))
    r.require("zero_output_for_mask", (False,))
    return kwargs


def _rnn_to(layer, gates: bool) -> dict:
    config = {**_keras3_common(layer), "units": layer.units,
              "activation": layouts.activation_to_keras3(layer.activation.name, layer.name),
              "use_bias": layer.use_bias, "return_sequences": layer.return_sequences,
              "return_state": False, "go_backwards": layer.go_backwards, "stateful": False,
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


@dataclass(frozen=True)
class KerasKind:
    keras_class: str
    numrnn_class: type
    from_keras: Callable[[ConfigReader], dict]
    to_keras: Callable[[Any], dict]
    keras3_weight_paths: tuple[str, ...] = ("",)


KINDS: tuple[KerasKind, ...] = (
    KerasKind("Embedding", Embedding, _embedding_from, _embedding_to),
    KerasKind("Dense", Dense, _dense_from, _dense_to),
    KerasKind("Flatten", Flatten, _flatten_from, _flatten_to),
    KerasKind("SimpleRNN", SimpleRNN, lambda r: _rnn_from(r, False),
              lambda layer: _rnn_to(layer, False), ("cell",)),
    KerasKind("LSTM", LSTM, _lstm_from, _lstm_to, ("cell",)),
    KerasKind("GRU", GRU, _gru_from, _gru_to, ("cell",)),
)
BY_KERAS_CLASS = {kind.keras_class: kind for kind in KINDS}


def kind_of_layer(layer: Layer, what: str) -> KerasKind:
    """The table entry of a numrnn layer, or a ValueError naming the layer."""
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


def layer_from_keras(class_name: str, config: dict, major: int, source: str,
                     input_shape: tuple | None) -> Layer:
    """A numrnn layer (unbuilt) for one Keras layer config.

    ``input_shape`` (batch dimension included) is given for the first layer of a model.
    """
    reader = ConfigReader(class_name, config, major, source)
    kind = kind_of_keras(class_name, reader.where)
    kwargs = kind.from_keras(reader)
    reader.finish()
    if kwargs.get("dtype") is None:
        kwargs.pop("dtype", None)
    if input_shape is not None:
        if kind.numrnn_class is Embedding:
            if len(input_shape) != 2:
                raise ValueError(f"{reader.where}: input shape {input_shape}; an Embedding "
                                 "takes (batch, length)")
            kwargs["input_length"] = input_shape[1]
        else:
            kwargs["input_shape"] = tuple(input_shape[1:])
    elif kind.numrnn_class is Embedding and config.get("input_length"):
        kwargs["input_length"] = int(config["input_length"])
    return kind.numrnn_class(**kwargs)


def layer_to_keras(layer: Layer, what: str) -> dict:
    """The Keras 3 serialization of a built numrnn layer."""
    kind = kind_of_layer(layer, what)
    return {"module": "keras.layers", "class_name": kind.keras_class,
            "config": kind.to_keras(layer), "registered_name": None,
            "build_config": {"input_shape": list(layer.input_shape)}}
