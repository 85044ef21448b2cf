"""The IMDB files the explorer reads: the word index, and the reviews (loaded once, on demand).

``folder`` holds ``imdb.npz`` and ``imdb_word_index.json``; without it the files are looked
up as ``numrnn.datasets.imdb`` does (``$NUMRNN_DATA``, then ``~/.numrnn/datasets``).
"""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np

from ..datasets import imdb
from ..experiments.imdb import MAXLEN
from ..preprocessing.sequence import pad_sequences


class ImdbFiles:
    """Word index and reviews, each read at most once (thread-safe)."""

    def __init__(self, folder: str | Path | None = None):
        if folder is not None and not Path(folder).is_dir():
            raise FileNotFoundError(f"--data {str(folder)!r}: no such folder; accepted: the "
                                    "folder that holds imdb.npz and imdb_word_index.json")
        self.folder = None if folder is None else Path(folder)
        self._lock = threading.Lock()
        self._word_index: dict[str, int] | None = None
        self._reviews = None

    def _file(self, name: str) -> str:
        return str(self.folder / name) if self.folder is not None else name

    def word_index(self) -> dict[str, int]:
        with self._lock:
            if self._word_index is None:
                self._word_index = imdb.get_word_index(self._file("imdb_word_index.json"))
            return self._word_index

    def reviews(self):
        """``(x_train, y_train), (x_test, y_test)`` of ``imdb.load_data()`` (whole reviews)."""
        with self._lock:
            if self._reviews is None:
                self._reviews = imdb.load_data(self._file("imdb.npz"))
            return self._reviews

    def training_data(self):
        """The tutorial's arrays, as ``numrnn.experiments.load_imdb`` makes them: the last
        MAXLEN ids of every review, and NUM_WORDS = the largest training id + 1."""
        (x_train, y_train), (x_test, y_test) = self.reviews()
        x_train_seq = pad_sequences(x_train, MAXLEN)
        x_test_seq = pad_sequences(x_test, MAXLEN)
        return (x_train_seq, y_train), (x_test_seq, y_test), int(x_train_seq.max()) + 1

    def test_review(self, index: int) -> tuple[np.ndarray, int]:
        """The ids (start id included) and label of ``x_test[index]``."""
        (_, _), (x_test, y_test) = self.reviews()
        return np.asarray(x_test[index], dtype=np.int64), int(y_test[index])

    def test_count(self) -> int:
        return len(self.reviews()[1][0])
