"""What the explorer computes for one review: its tokens, the prediction, every LSTM gate and
state at every step, and each word's contribution to the prediction.

Tokens follow ``numrnn.datasets.imdb.load_data`` and the tutorial:

* the text is split as ``Tokenizer`` splits it (`text_to_word_sequence`: lower case, the
  Keras filters removed, split on spaces);
* a word of rank r in the IMDB word index gets the id r + 3; 0 is padding, 1 the start of a
  review, 2 an out-of-vocabulary (OOV) word; a word the model has no embedding row for
  (id >= the Embedding's ``input_dim``) is OOV too;
* ``pad_sequences(maxlen=20)`` keeps the *last* 20 ids and puts zeros in front: what comes
  before them is cut, and the model never sees it.

Contribution of the word at step t (gradient x input on its embedding)::

    contribution_t = sum_d  dp/dx_(t,d) * x_(t,d)        x_t = E[id_t], p = the prediction

dp/dx comes from numrnn's own backward pass: ``backward`` of every layer after the
Embedding, from dp/dp = 1. It is the first-order change of p when x_t is scaled by (1 + eps),
divided by eps.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np

from ..layers import LSTM, Dense, Embedding, Flatten
from ..models import Sequential
from ..preprocessing.text import text_to_word_sequence

PAD, START, OOV = 0, 1, 2  # imdb.load_data's defaults (start_char, oov_char)
INDEX_FROM = 3             # id = rank + INDEX_FROM
MAX_CUT_SHOWN = 500        # a pasted book is cut by thousands of words; list the last 500

# The names of LSTM.internals() the page shows, in the order of the equations.
GATES = ("i", "f", "g", "o")
SHOWN = ("z_i", "z_f", "z_g", "z_o", "i", "f", "g", "o", "c", "act_c", "h")


class InputError(ValueError):
    """A request the explorer cannot analyse; ``field`` names the part that is wrong."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Token:
    """One token as the model sees it. ``kind``: 'start', 'word', 'oov' or 'pad'."""

    word: str
    id: int
    kind: str

    def to_dict(self) -> dict:
        return {"word": self.word, "id": self.id, "kind": self.kind}


class Vocabulary:
    """The IMDB word index, turned into the ids an Embedding of ``num_words`` rows accepts."""

    def __init__(self, word_index: dict[str, int]):
        if not isinstance(word_index, dict) or not word_index:
            raise ValueError("word_index: accepted a non-empty dict word -> rank")
        self.word_index = word_index
        self.index_word = {rank + INDEX_FROM: w for w, rank in word_index.items()}

    def token(self, token_id: int, num_words: int) -> Token:
        """The token of one id (ids >= num_words are OOV, as the model cannot look them up)."""
        if token_id == PAD:
            return Token("<PAD>", PAD, "pad")
        if token_id == START:
            return Token("<START>", START, "start")
        if token_id == OOV or token_id >= num_words or token_id not in self.index_word:
            word = self.index_word.get(token_id, "<OOV>")
            return Token(word, OOV, "oov")
        return Token(self.index_word[token_id], token_id, "word")

    def encode(self, text: str, num_words: int) -> list[Token]:
        """``text`` as the model's tokens: <START>, then every word (OOV when unknown)."""
        tokens = [Token("<START>", START, "start")]
        for word in text_to_word_sequence(text):
            rank = self.word_index.get(word)
            token_id = rank + INDEX_FROM if rank is not None else OOV
            if token_id >= num_words:
                token_id = OOV
            tokens.append(Token(word, token_id, "word" if token_id != OOV else "oov"))
        return tokens

    def decode(self, ids: np.ndarray | list[int], num_words: int) -> list[Token]:
        """The tokens of a review's ids (as ``imdb.load_data`` gives them)."""
        return [self.token(int(i), num_words) for i in ids]

    def text(self, ids: np.ndarray | list[int]) -> str:
        """Readable text of a review's ids (no <START>; unknown ids as <OOV>)."""
        return " ".join(self.index_word.get(int(i), "<OOV>") for i in ids if int(i) > START)


def describe_layers(model: Sequential) -> str:
    """'Embedding -> LSTM(32) -> Dense(1, sigmoid)', as the tutorial writes its models."""
    parts = []
    for layer in model.layers:
        if isinstance(layer, LSTM):
            args = [str(layer.units)]
            if layer.activation.name != "tanh":
                args.append(f"activation='{layer.activation.name}'")
            if layer.return_sequences:
                args.append("return_sequences=True")
            parts.append(f"LSTM({', '.join(args)})")
        elif isinstance(layer, Dense):
            parts.append(f"Dense({layer.units}, {layer.activation.name})")
        else:
            parts.append(type(layer).__name__)
    return " -> ".join(parts)


class ExplorerModel:
    """A trained ``Embedding -> LSTM -> [Flatten] -> [Dense ...]`` model with one output in
    [0, 1] (P(positive)), and the analysis of one review with it.

    The analysis calls the layers' own ``forward``/``backward`` and ``LSTM.internals()``;
    a lock keeps two requests from sharing the layers' caches at once.
    """

    def __init__(self, name: str, model: Sequential, info: dict | None = None):
        if not isinstance(name, str) or not name:
            raise ValueError(f"name={name!r}; accepted: a non-empty str")
        self.check_model(model, name)
        self.name, self.model = name, model
        self.info = dict(info or {})
        self.embedding: Embedding = model.layers[0]
        self.lstm: LSTM = model.layers[1]
        self._lock = threading.Lock()

    @staticmethod
    def check_model(model, name: str = "model") -> None:
        """Raise ValueError unless the explorer can show ``model`` (the tutorial's shapes)."""
        accepted = ("accepted: Embedding(..., input_length=N) -> LSTM -> optional Flatten and "
                    "Dense layers, one output unit (P(positive))")
        if not isinstance(model, Sequential) or len(model.layers) < 2:
            raise ValueError(f"{name}: not a numrnn Sequential of at least two layers; {accepted}")
        first, second, rest = model.layers[0], model.layers[1], model.layers[2:]
        kinds = describe_layers(model)
        if not isinstance(first, Embedding) or first.input_length is None:
            raise ValueError(f"{name}: {kinds}; the first layer must be an Embedding with "
                             f"input_length; {accepted}")
        if not isinstance(second, LSTM) or second.go_backwards or second.return_state:
            raise ValueError(f"{name}: {kinds}; the second layer must be an LSTM (not "
                             f"go_backwards, not return_state); {accepted}")
        if not all(isinstance(layer, (Flatten, Dense)) for layer in rest):
            raise ValueError(f"{name}: {kinds}; {accepted}")
        if not model.built or tuple(model.output_shape) != (None, 1):
            raise ValueError(f"{name}: {kinds} has output shape {model.output_shape}; {accepted}")

    # ---- what the page lists -------------------------------------------------------------
    @property
    def maxlen(self) -> int:
        return self.embedding.input_length

    @property
    def num_words(self) -> int:
        return self.embedding.input_dim

    def describe(self) -> dict:
        return {"name": self.name, "layers": describe_layers(self.model),
                "units": self.lstm.units, "maxlen": self.maxlen, "num_words": self.num_words,
                "params": self.model.count_params(),
                "activation": self.lstm.activation.name,
                "recurrent_activation": self.lstm.recurrent_activation.name,
                "return_sequences": self.lstm.return_sequences, "training": self.info}

    # ---- tokens --------------------------------------------------------------------------
    def window(self, tokens: list[Token]) -> tuple[list[Token], list[Token]]:
        """(cut, steps): pad_sequences(maxlen) with 'pre' truncating and padding. ``steps``
        are the ``maxlen`` tokens the model reads; ``cut`` the ones before them."""
        cut, kept = tokens[:-self.maxlen], tokens[-self.maxlen:]
        pads = [Token("<PAD>", PAD, "pad")] * (self.maxlen - len(kept))
        return cut, pads + kept

    # ---- forward, backward, internals ----------------------------------------------------
    def run(self, ids: np.ndarray) -> dict[str, np.ndarray]:
        """Forward and backward for one review's ``maxlen`` ids.

        Returns ``prediction`` (1, 1), ``embedded`` x (1, T, D), ``d_embedded`` dp/dx (1, T, D)
        and the LSTM's ``internals`` (each (1, T, H)).
        """
        ids = np.asarray(ids, dtype=np.int64).reshape(1, -1)
        layers = self.model.layers
        with self._lock:
            embedded = self.embedding.forward(ids)
            mask = self.embedding.compute_mask(ids, None)
            out = embedded
            for layer in layers[1:]:
                new = layer.forward(out, mask=mask)
                mask = layer.compute_mask(out, mask)
                out = new
            prediction = out.copy()
            grad = np.ones_like(out)  # dp/dp
            for layer in reversed(layers[1:]):
                grad = layer.backward(grad)
            internals = self.lstm.internals()
            kernel = self.lstm.params["kernel"].copy()
            recurrent = self.lstm.params["recurrent_kernel"].copy()
            bias = self.lstm.params["bias"].copy() if self.lstm.use_bias else \
                np.zeros(kernel.shape[1], kernel.dtype)
        return {"prediction": prediction, "embedded": embedded.copy(), "d_embedded": grad,
                "internals": internals, "kernel": kernel, "recurrent_kernel": recurrent,
                "bias": bias}

    def analyse(self, tokens: list[Token]) -> dict:
        """Everything the page shows for ``tokens`` (a review's tokens before truncation)."""
        if not any(t.kind == "word" for t in tokens):
            raise InputError("the text has no word this model knows: every word is out of "
                             "its vocabulary (<OOV>); type an English review", "text")
        cut, steps = self.window(tokens)
        ids = np.array([t.id for t in steps])
        r = self.run(ids)
        h = self.lstm.units
        x = r["embedded"][0]
        contributions = np.sum(r["d_embedded"][0] * x, axis=-1)
        internals = {k: r["internals"][k][0] for k in SHOWN}
        # Parts of every pre-activation z = x_t W + h_(t-1) U + b, for the equations.
        h_prev = np.concatenate([np.zeros((1, h), x.dtype), internals["h"][:-1]])
        c_prev = np.concatenate([np.zeros((1, h), x.dtype), internals["c"][:-1]])
        xw, hu = x @ r["kernel"], h_prev @ r["recurrent_kernel"]
        parts = {}
        for k, gate in enumerate(GATES):
            block = slice(k * h, (k + 1) * h)
            parts[f"xw_{gate}"] = xw[:, block]
            parts[f"hu_{gate}"] = hu[:, block]
            parts[f"b_{gate}"] = r["bias"][block]
        p = float(r["prediction"][0, 0])
        return {
            "model": self.name,
            "maxlen": self.maxlen,
            "units": h,
            "activation": self.lstm.activation.name,
            "recurrent_activation": self.lstm.recurrent_activation.name,
            "masked": self.embedding.mask_zero,  # pads skipped (True) or read as words
            "prediction": p,
            "label": "positive" if p > 0.5 else "negative",
            "words": len([t for t in tokens if t.kind != "start"]),
            "oov": len([t for t in tokens if t.kind == "oov"]),
            "cut_count": len(cut),
            "cut": [t.to_dict() for t in cut[-MAX_CUT_SHOWN:]],
            "steps": [t.to_dict() for t in steps],
            "contributions": contributions.tolist(),
            "internals": {k: v.tolist() for k, v in internals.items()},
            "c_prev": c_prev.tolist(),
            "h_prev": h_prev.tolist(),
            "parts": {k: v.tolist() for k, v in parts.items()},
        }
