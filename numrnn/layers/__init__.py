"""Layers: Embedding, Dense, Flatten, SimpleRNN, LSTM, GRU and Attention; Input and the merge
layers of the functional API."""

from .attention import Attention
from .base import Layer
from .core import Dense, Flatten
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
from .recurrent import GRU, LSTM, RNN, SimpleRNN

__all__ = ["Layer", "Attention", "Dense", "Flatten", "Embedding", "RNN", "SimpleRNN", "LSTM", "GRU",
           "deserialize", "Input", "InputLayer", "Add", "Subtract", "Multiply", "Average",
           "Concatenate", "Dot", "add", "subtract", "multiply", "average", "concatenate", "dot"]

_CLASSES = {cls.__name__: cls
            for cls in (Dense, Flatten, Embedding, SimpleRNN, LSTM, GRU, Attention)}
_CLASSES.update({cls.__name__: cls for cls in (InputLayer, Add, Subtract, Multiply, Average,
                                               Concatenate, Dot)})


def deserialize(spec: dict) -> Layer:
    """A layer from ``{"class_name": ..., "config": ...}`` (as ``model.get_config`` writes)."""
    if not isinstance(spec, dict):
        raise ValueError(f"layer spec {spec!r}; accepted: a dict with class_name and config")
    name = spec.get("class_name")
    if name not in _CLASSES:
        raise ValueError(f"class_name={name!r}; accepted: {', '.join(sorted(_CLASSES))}")
    return _CLASSES[name].from_config(spec["config"])
