"""Models: ``Sequential`` (a stack of layers), ``Model`` (the functional API), and loading.

The implementation lives in `numrnn.engine`; this module is the Keras import path
(``from numrnn.models import Sequential, Model, load_model``).
"""

from __future__ import annotations

from .engine.saving import load_model, model_from_json
from .engine.sequential import Sequential
from .engine.training import Model, NotCompiledError

__all__ = ["Sequential", "Model", "load_model", "model_from_json", "NotCompiledError"]
