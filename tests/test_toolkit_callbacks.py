"""ReduceLROnPlateau, LearningRateScheduler, CSVLogger, LambdaCallback."""

import csv
from types import SimpleNamespace

import numpy as np
import pytest

from numrnn import optimizers
from numrnn.callbacks import (
    CSVLogger,
    LambdaCallback,
    LearningRateScheduler,
    ReduceLROnPlateau,
)
from numrnn.layers import Dense
from numrnn.models import Sequential


@pytest.fixture
def data(rng):
    x = rng.normal(size=(40, 3)).astype("float32")
    y = (x.sum(axis=1, keepdims=True) > 0).astype("float32")
    return x, y


def make_model(lr=0.05):
    model = Sequential([Dense(1, activation="sigmoid", input_dim=3)])
    model.compile(optimizers.SGD(lr=lr), "binary_crossentropy", ["acc"])
    return model


def test_reduce_lr_on_plateau_follows_the_keras_rule():
    model = SimpleNamespace(optimizer=optimizers.SGD(lr=1.0))
    cb = ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=2, cooldown=1,
                           min_delta=0.01, min_lr=0.2)
    cb.set_model(model)
    cb.on_train_begin()
    losses = [1.0, 0.995, 0.99, 0.98, 0.97, 0.97, 0.97, 0.97, 0.97, 0.97]
    lrs = []
    for epoch, value in enumerate(losses):
        logs = {"val_loss": value}
        cb.on_epoch_end(epoch, logs)
        lrs.append(model.optimizer.lr)
        assert logs["lr"] == lrs[-2] if epoch else logs["lr"] == 1.0
    # epoch 0 best=1.0; 0.995 and 0.99 are not 0.01 better -> reduce after epoch 2 (0.5);
    # epoch 3 in cooldown (0.98 better than 1.0 - 0.01: best=0.98); 0.97 is not better by
    # more than 0.01 -> waits 1, 2 -> reduce after epoch 5 (0.25); epoch 6 ends the cooldown
    # and already counts (Keras re-checks in_cooldown() after the decrement): wait 1; epoch 7
    # wait 2 -> 0.125 is below min_lr: 0.2; then lr == min_lr and nothing changes
    assert lrs == [1.0, 1.0, 0.5, 0.5, 0.5, 0.25, 0.25, 0.2, 0.2, 0.2]
    with pytest.raises(ValueError, match="factor"):
        ReduceLROnPlateau(factor=1.0)


def test_reduce_lr_on_plateau_in_fit_records_lr(data):
    model = make_model()
    history = model.fit(*data, epochs=3, verbose=0,
                        callbacks=[ReduceLROnPlateau("loss", factor=0.5, patience=0,
                                                     min_delta=10.0)])
    # epoch 0 improves on +inf; each later epoch reduces; logs hold the lr the epoch used
    assert history.history["lr"] == [0.05, 0.05, 0.025]
    assert model.optimizer.lr == 0.0125


def test_learning_rate_scheduler(data):
    model = make_model()
    seen = []
    record = LambdaCallback(on_epoch_begin=lambda epoch, logs: seen.append(model.optimizer.lr))
    model.fit(*data, epochs=3, verbose=0,
              callbacks=[LearningRateScheduler(lambda epoch: 0.1 / (epoch + 1)), record])
    assert seen == pytest.approx([0.1, 0.05, 0.1 / 3])
    model.fit(*data, epochs=2, verbose=0,
              callbacks=[LearningRateScheduler(lambda epoch, lr: lr * 0.5)])
    assert model.optimizer.lr == pytest.approx(0.1 / 12)
    with pytest.raises(ValueError, match="schedule"):
        model.fit(*data, epochs=1, verbose=0,
                  callbacks=[LearningRateScheduler(lambda epoch: "fast")])
    with pytest.raises(TypeError, match="schedule"):
        LearningRateScheduler(0.1)


def test_csv_logger_writes_every_epoch_completely_and_appends(tmp_path, data):
    path = tmp_path / "log.csv"
    model = make_model()
    snapshots = []
    peek = LambdaCallback(on_epoch_end=lambda epoch, logs: snapshots.append(path.read_text()))
    history = model.fit(*data, epochs=3, verbose=0, validation_split=0.25,
                        callbacks=[CSVLogger(path), peek])
    rows = list(csv.reader(path.open()))
    # Keras 2.1's columns, and Keras 3's names for accuracy, which every callback sees too
    assert rows[0] == ["epoch", "acc", "accuracy", "loss", "val_acc", "val_accuracy", "val_loss"]
    assert [r[0] for r in rows[1:]] == ["0", "1", "2"]
    for key in ("loss", "val_acc"):
        col = rows[0].index(key)
        assert [float(r[col]) for r in rows[1:]] == history.history[key]
    assert [len(s.splitlines()) for s in snapshots] == [2, 3, 4]   # a full file every epoch
    model.fit(*data, epochs=2, verbose=0, callbacks=[CSVLogger(path, append=True)])
    rows = list(csv.reader(path.open()))
    assert len(rows) == 6 and rows.count(rows[0]) == 1
    model.fit(*data, epochs=1, verbose=0, callbacks=[CSVLogger(path, separator=";")])
    assert path.read_text().splitlines()[0] == "epoch;acc;accuracy;loss"
    assert [p.name for p in tmp_path.iterdir()] == ["log.csv"]        # no temporaries left


def test_lambda_callback_calls_what_it_is_given(data):
    calls = []
    cb = LambdaCallback(on_train_begin=lambda logs: calls.append("begin"),
                        on_epoch_end=lambda epoch, logs: calls.append(("epoch", epoch,
                                                                       "loss" in logs)),
                        on_batch_end=lambda batch, logs: calls.append("batch"),
                        on_train_end=lambda logs: calls.append("end"))
    make_model().fit(*data, epochs=2, batch_size=20, verbose=0, callbacks=[cb])
    assert calls == ["begin", "batch", "batch", ("epoch", 0, True), "batch", "batch",
                     ("epoch", 1, True), "end"]
    with pytest.raises(TypeError, match="on_epoch_end"):
        LambdaCallback(on_epoch_end=3)
    assert np  # numpy used by the fixtures
