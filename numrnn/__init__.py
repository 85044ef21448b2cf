"""numrnn: recurrent networks from scratch in NumPy, with a Keras-style API.

    from numrnn.models import Sequential
    from numrnn.layers import Embedding, LSTM, Dense

Every layer has a readable forward pass and a hand-written backward pass (BPTT for
the recurrent layers); `numrnn.gradcheck.gradcheck` checks them numerically.
"""

from . import (
    activations,
    backend,
    callbacks,
    initializers,
    layers,
    losses,
    metrics,
    models,
    optimizers,
)
from .backend import clear_session, set_seed
from .gradcheck import GradcheckReport, gradcheck  # numrnn.gradcheck(layer, x) is the function

__version__ = "0.1.0"
__all__ = ["activations", "backend", "callbacks", "initializers", "layers", "losses", "metrics",
           "models", "optimizers", "set_seed", "clear_session", "gradcheck", "GradcheckReport",
           "__version__"]
