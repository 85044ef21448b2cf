"""The four tutorial models in PyTorch, for the speed comparison only (never used by numrnn).

Same sizes, Keras-equivalent RMSprop (alpha 0.9, eps 1e-7 outside the square root).
``lstm1`` needs LSTM(1, activation='sigmoid'), which ``nn.LSTM`` cannot express, so it
is a small custom cell run in a Python loop.
"""

from __future__ import annotations

import torch
from torch import nn


class FF(nn.Module):
    def __init__(self, vocab: int, maxlen: int = 20, dim: int = 8):
        super().__init__()
        self.embedding = nn.Embedding(vocab, dim)
        self.dense = nn.Linear(maxlen * dim, 1)

    def forward(self, x):
        return self.dense(self.embedding(x).flatten(1)).squeeze(1)  # logits


class SigmoidLSTM1(nn.Module):
    """h = o * sigmoid(c): the tutorial's LSTM(1, activation='sigmoid'); outputs a probability."""

    def __init__(self, vocab: int, dim: int = 8, units: int = 1):
        super().__init__()
        self.embedding = nn.Embedding(vocab, dim)
        self.kernel = nn.Linear(dim, 4 * units)
        self.recurrent = nn.Linear(units, 4 * units, bias=False)
        self.units = units

    def forward(self, x):
        e = self.embedding(x)
        b, t, _ = e.shape
        xw = self.kernel(e)
        h = e.new_zeros(b, self.units)
        c = e.new_zeros(b, self.units)
        for step in range(t):
            z = xw[:, step] + self.recurrent(h)
            i, f, g, o = z.chunk(4, dim=1)
            i, f, o = torch.sigmoid(i), torch.sigmoid(f), torch.sigmoid(o)
            c = f * c + i * torch.sigmoid(g)
            h = o * torch.sigmoid(c)
        return h.squeeze(1)  # probability


class LSTMThenDense(nn.Module):
    def __init__(self, vocab: int, units: int, flatten: bool, maxlen: int = 20, dim: int = 8):
        super().__init__()
        self.embedding = nn.Embedding(vocab, dim)
        self.lstm = nn.LSTM(dim, units, batch_first=True)
        self.flatten = flatten
        self.dense = nn.Linear(units * maxlen if flatten else units, 1)

    def forward(self, x):
        seq, (h, _) = self.lstm(self.embedding(x))
        features = seq.flatten(1) if self.flatten else h[-1]
        return self.dense(features).squeeze(1)  # logits


def build(name: str, vocab: int):
    """Model, loss and optimizer; the loss takes (model output, float labels)."""
    model = {"ff": lambda: FF(vocab), "lstm1": lambda: SigmoidLSTM1(vocab),
             "lstm32": lambda: LSTMThenDense(vocab, 32, flatten=False),
             "lstm4": lambda: LSTMThenDense(vocab, 4, flatten=True)}[name]()
    loss = nn.BCELoss() if name == "lstm1" else nn.BCEWithLogitsLoss()
    opt = torch.optim.RMSprop(model.parameters(), lr=1e-3, alpha=0.9, eps=1e-7)
    return model, loss, opt
