"""Text to integer sequences: ``text_to_word_sequence`` and ``Tokenizer`` (Keras semantics).

Works on any Unicode text; Korean words are split on spaces like English ones,
and ``char_level=True`` makes every character (each Hangul syllable) a token.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable

import numpy as np

DEFAULT_FILTERS = '!"#$%&()*+,-./:;<=>?@[\\]^_`{|}~\t\n'


def _check_text(text, argument: str) -> str:
    if not isinstance(text, str):
        raise TypeError(f"{argument} has type {type(text).__name__}; accepted: str")
    return text


def text_to_word_sequence(text: str, filters: str = DEFAULT_FILTERS, lower: bool = True,
                          split: str = " ") -> list[str]:
    """Lower-case (optionally), replace every character of ``filters`` by ``split``, split,
    and drop empty pieces."""
    _check_text(text, "text")
    if not isinstance(split, str) or not split:
        raise ValueError(f"split={split!r}; accepted: a non-empty str")
    if lower:
        text = text.lower()
    text = text.translate({ord(c): split for c in filters})
    return [w for w in text.split(split) if w]


class Tokenizer:
    """Build a vocabulary from texts and turn texts into lists of token ids.

    Ids start at 1 (0 is padding) and follow frequency: the most common token gets 1
    (ties keep first-seen order). With ``oov_token`` that token gets id 1 and replaces
    unknown words; without it unknown words are dropped. ``num_words`` keeps only ids
    below ``num_words`` when converting.
    """

    def __init__(self, num_words: int | None = None, filters: str = DEFAULT_FILTERS,
                 lower: bool = True, split: str = " ", char_level: bool = False,
                 oov_token: str | None = None):
        if num_words is not None and (not isinstance(num_words, (int, np.integer))
                                      or isinstance(num_words, bool) or num_words <= 0):
            raise ValueError(f"num_words={num_words!r}; accepted: a positive int or None")
        num_words = None if num_words is None else int(num_words)
        if oov_token is not None and not isinstance(oov_token, str):
            raise TypeError(f"oov_token={oov_token!r}; accepted: a str or None")
        self.num_words, self.filters, self.lower = num_words, filters, lower
        self.split, self.char_level, self.oov_token = split, bool(char_level), oov_token
        self.word_counts: OrderedDict[str, int] = OrderedDict()
        self.word_docs: dict[str, int] = {}
        self.document_count = 0
        self.word_index: dict[str, int] = {}
        self.index_word: dict[int, str] = {}
        self._fitted = False

    def _tokens(self, text: str) -> list[str]:
        if self.char_level:
            return list(text.lower() if self.lower else text)
        return text_to_word_sequence(text, self.filters, self.lower, self.split)

    @staticmethod
    def _texts(texts, argument: str = "texts") -> Iterable[str]:
        if isinstance(texts, str):
            raise TypeError(f"{argument} is a str; accepted: a list of texts (wrap it: [text])")
        if texts is None or not hasattr(texts, "__iter__"):
            raise TypeError(f"{argument} is {type(texts).__name__}; accepted: a list of texts")
        return texts

    def fit_on_texts(self, texts: Iterable[str]) -> None:
        """Count the tokens of ``texts`` and (re)build ``word_index``."""
        texts = list(self._texts(texts))
        for k, text in enumerate(texts):  # check everything before counting anything
            _check_text(text, f"texts[{k}]")
        self._fitted = True
        for text in texts:
            tokens = self._tokens(text)
            self.document_count += 1
            for w in tokens:
                self.word_counts[w] = self.word_counts.get(w, 0) + 1
            for w in set(tokens):
                self.word_docs[w] = self.word_docs.get(w, 0) + 1
        vocab = sorted(self.word_counts, key=lambda w: -self.word_counts[w])  # stable sort
        if self.oov_token is not None:
            vocab = [self.oov_token] + [w for w in vocab if w != self.oov_token]
        self.word_index = {w: i for i, w in enumerate(vocab, start=1)}
        self.index_word = {i: w for w, i in self.word_index.items()}

    def texts_to_sequences(self, texts: Iterable[str]) -> list[list[int]]:
        """Each text as a list of ids (unknown or rare words: ``oov_token`` or dropped)."""
        if not self._fitted:
            raise RuntimeError("Tokenizer: call fit_on_texts before texts_to_sequences")
        oov = self.word_index.get(self.oov_token) if self.oov_token is not None else None
        out = []
        for k, text in enumerate(self._texts(texts)):
            seq = []
            for w in self._tokens(_check_text(text, f"texts[{k}]")):
                i = self.word_index.get(w)
                if i is None or (self.num_words and i >= self.num_words):
                    i = oov
                if i is not None:
                    seq.append(i)
            out.append(seq)
        return out

    def sequences_to_texts(self, sequences: Iterable[Iterable[int]]) -> list[str]:
        """The inverse of ``texts_to_sequences`` (lower-cased, filtered; joined by ``split``,
        or by nothing for ``char_level``)."""
        joiner = "" if self.char_level else self.split
        oov = self.word_index.get(self.oov_token) if self.oov_token is not None else None
        texts = []
        for seq in sequences:
            words = []
            for i in seq:
                i = int(i)
                if (self.num_words and i >= self.num_words) or i not in self.index_word:
                    if oov is not None:
                        words.append(self.index_word[oov])
                    continue
                words.append(self.index_word[i])
            texts.append(joiner.join(words))
        return texts

    def texts_to_matrix(self, texts: Iterable[str], mode: str = "binary") -> np.ndarray:
        """(len(texts), num_words) matrix: 'binary', 'count', 'freq' or 'tfidf' per token id."""
        modes = ("binary", "count", "freq", "tfidf")
        if mode not in modes:
            raise ValueError(f"mode={mode!r}; accepted: {', '.join(modes)}")
        seqs = self.texts_to_sequences(texts)
        width = self.num_words or len(self.word_index) + 1
        x = np.zeros((len(seqs), width))
        for r, seq in enumerate(seqs):
            ids, counts = np.unique([i for i in seq if i < width], return_counts=True)
            if not len(ids):
                continue
            if mode == "binary":
                x[r, ids] = 1
            elif mode == "count":
                x[r, ids] = counts
            elif mode == "freq":
                x[r, ids] = counts / len(seq)
            else:
                docs = np.array([self.word_docs.get(self.index_word[i], 0) for i in ids])
                x[r, ids] = (1 + np.log(counts)) * np.log(1 + self.document_count / (1 + docs))
        return x
