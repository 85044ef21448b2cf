"""A local web page to type a review and watch a trained LSTM read it, word by word.

    python -m numrnn.explore                  # the tutorial's lstm1, lstm4, lstm32 (trained once)
    python -m numrnn.explore --model m.npz    # your own model (Embedding -> LSTM -> ...)

The page shows the tokens as the model sees them (OOV words and what MAXLEN cut), the
prediction, every gate and state of the LSTM per word, the equations at each step with their
numbers, and each word's contribution (gradient x input). The same numbers come from the
JSON API (``/api/models``, ``/api/analyse``). Standard library only; the page needs no
internet. See docs/explore.md.
"""

from .analysis import ExplorerModel, InputError, Token, Vocabulary
from .server import Explorer, ExplorerServer, serve_in_thread

__all__ = ["ExplorerModel", "InputError", "Token", "Vocabulary", "Explorer", "ExplorerServer",
           "serve_in_thread"]
