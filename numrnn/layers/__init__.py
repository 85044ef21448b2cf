"""Layers: Embedding, Dense, Flatten, recurrent layers, wrappers, dropout, pooling, the small
reshaping layers, and Input and the merge layers of the functional API."""

from .attention import Attention
from .base import Layer
from .core import Activation, Dense, Flatten, Masking, Permute, RepeatVector, Reshape
from .embedding import Embedding
from .input_layer import Input, InputLayer
from .merge import (
    Add,
    Average,
    Concatenate,
    Dot,
    Multiply,
    Subtract,
    add,
    average,
    concatenate,
    dot,
    multiply,
    subtract,
)
from .noise import Dropout, SpatialDropout1D
from .pooling import GlobalAveragePooling1D, GlobalMaxPooling1D
from .recurrent import GRU, LSTM, RNN, SimpleRNN
from .wrappers import Bidirectional, TimeDistributed

__all__ = ["Layer", "Attention", "Dense", "Flatten", "Embedding", "RNN", "SimpleRNN", "LSTM", "GRU",
           "Activation", "RepeatVector", "Masking", "Reshape", "Permute", "Dropout",
           "SpatialDropout1D", "GlobalAveragePooling1D", "GlobalMaxPooling1D", "Bidirectional",
           "TimeDistributed", "GlobalAvgPool1D", "GlobalMaxPool1D",
           "deserialize", "Input", "InputLayer", "Add", "Subtract",
           "Multiply", "Average", "Concatenate", "Dot", "add", "subtract", "multiply", "average",
           "concatenate", "dot"]

_CLASSES = {cls.__name__: cls
            for cls in (Dense, Flatten, Embedding, SimpleRNN, LSTM, GRU, Attention, Activation,
                        RepeatVector, Masking, Reshape, Permute, Dropout, SpatialDropout1D,
                        GlobalAveragePooling1D, GlobalMaxPooling1D, Bidirectional,
                        TimeDistributed, InputLayer, Add, Subtract, Multiply, Average,
                        Concatenate, Dot)}
# Keras 2.1 also knows the pooling layers by these short names
GlobalAvgPool1D, GlobalMaxPool1D = GlobalAveragePooling1D, GlobalMaxPooling1D
_CLASSES["GlobalAvgPool1D"] = GlobalAveragePooling1D
_CLASSES["GlobalMaxPool1D"] = GlobalMaxPooling1D


def deserialize(spec: dict) -> Layer:
    """A layer from ``{"class_name": ..., "config": ...}`` (as ``model.get_config`` writes)."""
    if not isinstance(spec, dict):
        raise ValueError(f"layer spec {spec!r}; accepted: a dict with class_name and config")
    name = spec.get("class_name")
    if name not in _CLASSES:
        raise ValueError(f"class_name={name!r}; accepted: {', '.join(sorted(_CLASSES))}")
    return _CLASSES[name].from_config(spec["config"])
