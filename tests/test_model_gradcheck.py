"""Whole models: the loss gradient of every weight against finite differences (float64)."""

import numpy as np
import pytest

from numrnn.gradcheck import gradcheck
from numrnn.layers import GRU, LSTM, Dense, Embedding, Flatten, SimpleRNN
from numrnn.models import Sequential


def _ids(rng, n=6, t=5, vocab=9):
    x = rng.integers(1, vocab, (n, t))
    x[0, :2] = 0
    x[3, :3] = 0
    return x


@pytest.mark.parametrize("name", ["ff", "lstm1", "lstm32", "lstm4"])
def test_tutorial_architectures(float64, rng, name):
    from numrnn.experiments import build_model
    from numrnn.experiments.imdb import MAXLEN

    model = build_model(name, num_words=15)
    x = rng.integers(0, 15, (7, MAXLEN))
    y = rng.integers(0, 2, 7)
    report = gradcheck(model, x, y)
    assert len(report.relative_error) == len(model.trainable_weights)
    assert report.worst < 1e-6, str(report)


def test_masked_many_to_many_with_softmax(float64, rng):
    model = Sequential()
    model.add(Embedding(9, 4, mask_zero=True, input_length=5))
    model.add(GRU(3, return_sequences=True))
    model.add(LSTM(3, return_sequences=True))
    model.add(Dense(4, activation="softmax"))
    model.compile("sgd", "sparse_categorical_crossentropy", ["acc"])
    x = _ids(rng)
    report = gradcheck(model, x, rng.integers(0, 4, (6, 5)))
    assert report.worst < 1e-6, str(report)


def test_dense_input_model_with_categorical_loss(float64, rng):
    model = Sequential([SimpleRNN(4, input_shape=(5, 3), return_sequences=True), Flatten(),
                        Dense(3, activation="softmax")])
    model.compile("adam", "categorical_crossentropy")
    y = np.eye(3)[rng.integers(0, 3, 6)]
    report = gradcheck(model, rng.standard_normal((6, 5, 3)), y)
    assert report.worst < 1e-6, str(report)


def test_regression_with_mse(float64, rng):
    model = Sequential([LSTM(4, input_shape=(5, 2)), Dense(2)])
    model.compile("rmsprop", "mse")
    report = gradcheck(model, rng.standard_normal((6, 5, 2)), rng.standard_normal((6, 2)))
    assert report.worst < 1e-6, str(report)
