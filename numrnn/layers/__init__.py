"""Layers: Embedding, Dense, Flatten, SimpleRNN, LSTM, GRU and Attention."""

from .attention import Attention
from .base import Layer
from .core import Dense, Flatten
from .embedding import Embedding
from .recurrent import GRU, LSTM, RNN, SimpleRNN

__all__ = ["Layer", "Attention", "Dense", "Flatten", "Embedding", "RNN", "SimpleRNN", "LSTM", "GRU",
           "deserialize"]

_CLASSES = {cls.__name__: cls
            for cls in (Dense, Flatten, Embedding, SimpleRNN, LSTM, GRU, Attention)}


def deserialize(spec: dict) -> Layer:
    """A layer from ``{"class_name": ..., "config": ...}`` (as ``Sequential.get_config`` writes)."""
    name = spec.get("class_name")
    if name not in _CLASSES:
        raise ValueError(f"class_name={name!r}; accepted: {', '.join(sorted(_CLASSES))}")
    return _CLASSES[name].from_config(spec["config"])
