"""The four IMDB experiments of the tutorial (MAXLEN 20, Embedding 8, RMSprop, batch 128).

1. ``ff``:     Embedding -> Flatten -> Dense(1, sigmoid)
2. ``lstm1``:  Embedding -> LSTM(1, activation='sigmoid')
3. ``lstm32``: Embedding -> LSTM(32) -> Dense(1, sigmoid)
4. ``lstm4``:  Embedding -> LSTM(4, return_sequences=True) -> Flatten -> Dense(1, sigmoid)

Each trains up to 30 epochs with ``validation_split=0.2`` and
``EarlyStopping(monitor='val_acc')`` (patience 0), as in the tutorial.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field

import numpy as np

from .. import backend
from ..callbacks import EarlyStopping
from ..datasets import imdb
from ..layers import GRU, LSTM, Dense, Embedding, Flatten, SimpleRNN
from ..models import Sequential
from ..optimizers import SGD, Adam, Optimizer, RMSprop
from ..preprocessing.sequence import pad_sequences

MAXLEN = 20
EMBEDDING_DIM = 8

EXPERIMENTS = {
    "ff": "Embedding -> Flatten -> Dense(1, sigmoid)",
    "lstm1": "Embedding -> LSTM(1, activation='sigmoid')",
    "lstm32": "Embedding -> LSTM(32) -> Dense(1, sigmoid)",
    "lstm4": "Embedding -> LSTM(4, return_sequences=True) -> Flatten -> Dense(1, sigmoid)",
}
TUTORIAL_VAL_ACC = {"ff": 0.760, "lstm1": 0.729, "lstm32": 0.756, "lstm4": 0.750}
# Median best val_acc over 3 seeds on the same data, measured by the project with other
# frameworks (for comparison only).
REFERENCE_MEDIANS = {
    "Keras 3 / TensorFlow": {"ff": 0.758, "lstm1": 0.717, "lstm32": 0.745, "lstm4": 0.731},
    "PyTorch": {"ff": 0.755, "lstm1": 0.722, "lstm32": 0.753, "lstm4": 0.734},
}


def load_imdb(path=None):
    """The tutorial's data: the last 20 tokens of every review, and NUM_WORDS = max id + 1."""
    (x_train, y_train), (x_test, y_test) = imdb.load_data(path if path else "imdb.npz")
    x_train_seq = pad_sequences(x_train, MAXLEN)
    x_test_seq = pad_sequences(x_test, MAXLEN)
    num_words = int(x_train_seq.max()) + 1
    return (x_train_seq, y_train), (x_test_seq, y_test), num_words


CELLS = {"lstm": LSTM, "gru": GRU, "simple_rnn": SimpleRNN}
OPTIMIZERS = {"rmsprop": RMSprop, "adam": Adam, "sgd": SGD}
# The recurrent width of each tutorial model; lstm1's single unit is its output.
TUTORIAL_UNITS = {"ff": None, "lstm1": 1, "lstm32": 32, "lstm4": 4}


def build_model(name: str, num_words: int, dtype=None, *, maxlen: int = MAXLEN,
                embedding_dim: int = EMBEDDING_DIM, cell: str = "lstm", units: int | None = None,
                optimizer: Optimizer | None = None) -> Sequential:
    """The tutorial's model ``name`` (one of `EXPERIMENTS`), compiled.

    The keywords vary the tutorial's choices (the defaults are the tutorial's): ``maxlen``
    and ``embedding_dim`` size the Embedding; ``cell`` ('lstm', 'gru', 'simple_rnn')
    replaces the LSTM layer; ``units`` its width in lstm32 and lstm4 (lstm1 keeps its one
    sigmoid unit, which is the prediction; ff has no recurrent layer); ``optimizer``
    replaces ``RMSprop()``.
    """
    if name not in EXPERIMENTS:
        raise ValueError(f"experiment {name!r}; accepted: {', '.join(EXPERIMENTS)}")
    if cell not in CELLS:
        raise ValueError(f"cell={cell!r}; accepted: {', '.join(CELLS)}")
    if units is not None and (not isinstance(units, int) or isinstance(units, bool) or units < 1):
        raise ValueError(f"units={units!r}; accepted: a positive int or None")
    if name in ("lstm32", "lstm4") and units is None:
        units = TUTORIAL_UNITS[name]
    Cell = CELLS[cell]
    model = Sequential()
    model.add(Embedding(input_dim=num_words, output_dim=embedding_dim, input_length=maxlen,
                        dtype=dtype))
    if name == "ff":
        model.add(Flatten(dtype=dtype))
        model.add(Dense(1, activation="sigmoid", dtype=dtype))
    elif name == "lstm1":
        model.add(Cell(1, activation="sigmoid", return_sequences=False, dtype=dtype))
    elif name == "lstm32":
        model.add(Cell(units, dtype=dtype))
        model.add(Dense(1, activation="sigmoid", dtype=dtype))
    else:
        model.add(Cell(units, return_sequences=True, dtype=dtype))
        model.add(Flatten(dtype=dtype))
        model.add(Dense(1, activation="sigmoid", dtype=dtype))
    model.compile(optimizer=RMSprop() if optimizer is None else optimizer,
                  loss="binary_crossentropy", metrics=["accuracy"])
    return model


@dataclass
class RunResult:
    experiment: str
    seed: int
    params: int
    epochs_run: int
    best_val_acc: float
    best_epoch: int
    test_loss: float
    test_acc: float
    seconds_per_epoch: float
    history: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return asdict(self)


def run_experiment(name: str, data, seed: int, epochs: int = 30, verbose: int = 2) -> RunResult:
    """Train experiment ``name`` once with ``seed`` (weights and shuffling); return its figures."""
    (x_train, y_train), (x_test, y_test), num_words = data
    backend.clear_session()
    backend.set_seed(seed)
    model = build_model(name, num_words)
    if verbose:
        model.summary()
    start = time.perf_counter()
    history = model.fit(x_train, y_train, epochs=epochs, batch_size=128, validation_split=0.2,
                        callbacks=[EarlyStopping(monitor="val_acc")], verbose=verbose)
    seconds = time.perf_counter() - start
    test_loss, test_acc = model.evaluate(x_test, y_test, batch_size=128, verbose=0)
    val_acc = history.history["val_acc"]
    return RunResult(
        experiment=name, seed=seed, params=model.count_params(), epochs_run=len(history.epoch),
        best_val_acc=float(max(val_acc)), best_epoch=int(np.argmax(val_acc)) + 1,
        test_loss=float(test_loss), test_acc=float(test_acc),
        seconds_per_epoch=seconds / max(len(history.epoch), 1),
        history={k: [float(v) for v in vs] for k, vs in history.history.items()},
    )
