"""Sequential: Keras 2.1 behaviour of summary, fit, callbacks, persistence and seeding."""

import io
import json
from contextlib import redirect_stdout

import numpy as np
import pytest

import numrnn
from numrnn.callbacks import EarlyStopping, ModelCheckpoint, TerminateOnNaN
from numrnn.experiments import build_model
from numrnn.layers import LSTM, Dense, Embedding, Flatten
from numrnn.models import Sequential, load_model

V = 88579

FF_SUMMARY = """\
_________________________________________________________________
Layer (type)                 Output Shape              Param #   
=================================================================
embedding_1 (Embedding)      (None, 20, 8)             708632    
_________________________________________________________________
flatten_1 (Flatten)          (None, 160)               0         
_________________________________________________________________
dense_1 (Dense)              (None, 1)                 161       
=================================================================
Total params: 708,793
Trainable params: 708,793
Non-trainable params: 0
_________________________________________________________________
"""  # noqa: W291 (Keras pads table rows to 65 characters)


def test_summary_matches_keras_21_exactly():
    out = io.StringIO()
    with redirect_stdout(out):
        build_model("ff", V).summary()
    assert out.getvalue() == FF_SUMMARY


@pytest.mark.parametrize("name, total", [("ff", 708_793), ("lstm1", 708_672),
                                         ("lstm32", 713_913), ("lstm4", 708_921)])
def test_parameter_counts(name, total):
    model = build_model(name, V)
    assert model.count_params() == total
    out = io.StringIO()
    with redirect_stdout(out):
        model.summary()
    assert f"Total params: {total:,}" in out.getvalue()


def toy_data(rng, n=400, t=10, vocab=30):
    """Label 1 iff token 1 occurs: learnable by every tutorial architecture."""
    x = rng.integers(2, vocab, (n, t))
    y = rng.integers(0, 2, n)
    pos = rng.integers(0, t, n)
    x[np.arange(n)[y == 1], pos[y == 1]] = 1
    return x, y


@pytest.mark.parametrize("name", ["ff", "lstm1", "lstm32", "lstm4"])
def test_short_fit_lowers_the_loss(rng, name):
    from numrnn.experiments import imdb as exp

    x, y = toy_data(rng, t=exp.MAXLEN)
    model = build_model(name, 30)
    model.compile(numrnn.optimizers.RMSprop(lr=0.01), "binary_crossentropy", ["acc"])
    before = model.evaluate(x, y, verbose=0)[0]
    model.fit(x, y, epochs=5, batch_size=32, verbose=0)
    after = model.evaluate(x, y, verbose=0)[0]
    assert after < before - 0.1


def small_model(**fit_kwargs):
    model = Sequential()
    model.add(Embedding(30, 4, input_length=10))
    model.add(LSTM(5))
    model.add(Dense(1, activation="sigmoid"))
    model.compile("rmsprop", "binary_crossentropy", ["accuracy"])
    return model


def test_history_keys_are_acc_for_accuracy(rng):
    x, y = toy_data(rng)
    history = small_model().fit(x, y, epochs=2, validation_split=0.25, verbose=0)
    # Keras 2.1's keys, and Keras 3's names for the same values
    assert set(history.history) == {"loss", "acc", "val_loss", "val_acc", "accuracy",
                                    "val_accuracy"}
    assert history.history["accuracy"] == history.history["acc"]
    assert history.history["val_accuracy"] == history.history["val_acc"]
    assert history.epoch == [0, 1]
    assert len(history.history["val_acc"]) == 2


def test_validation_split_takes_the_last_fraction(rng):
    x, y = toy_data(rng, n=100)
    model = small_model()
    out = io.StringIO()
    with redirect_stdout(out):
        h = model.fit(x, y, epochs=1, validation_split=0.2, verbose=2, shuffle=False)
    assert "Train on 80 samples, validate on 20 samples" in out.getvalue()
    # val_loss equals the loss of the untouched model on the last 20 samples? Not after one
    # epoch; but val metrics must equal evaluate on exactly those samples after training:
    loss, acc = model.evaluate(x[80:], y[80:], batch_size=32, verbose=0)
    assert h.history["val_loss"][0] == pytest.approx(loss, rel=1e-5)
    assert h.history["val_acc"][0] == pytest.approx(acc)


def test_epoch_logs_are_batch_weighted_means(rng):
    x, y = toy_data(rng, n=70)

    class Recorder(numrnn.callbacks.Callback):
        def on_train_begin(self, logs=None):
            self.batches = []

        def on_batch_end(self, batch, logs=None):
            self.batches.append((logs["size"], logs["loss"]))

    rec = Recorder()
    h = small_model().fit(x, y, epochs=1, batch_size=32, callbacks=[rec], verbose=0)
    assert [n for n, _ in rec.batches] == [32, 32, 6]
    expected = sum(n * v for n, v in rec.batches) / 70
    assert h.history["loss"][0] == pytest.approx(expected)


def test_early_stopping_patience_zero_keras_rule():
    stopper = EarlyStopping(monitor="val_acc")

    class Fake:
        stop_training = False

    stopper.set_model(Fake())
    stopper.on_train_begin()
    for epoch, v in enumerate([0.60, 0.66, 0.66, 0.70]):
        stopper.on_epoch_end(epoch, {"val_acc": v})
        if stopper.model.stop_training:
            break
    assert epoch == 2  # an equal value is not an improvement
    assert stopper.best == 0.66


def test_early_stopping_mode_auto_and_min_delta():
    assert EarlyStopping(monitor="val_acc").monitor_op is np.greater
    assert EarlyStopping(monitor="val_loss").monitor_op is np.less
    stopper = EarlyStopping(monitor="val_loss", min_delta=0.1, patience=1)

    class Fake:
        stop_training = False

    stopper.set_model(Fake())
    stopper.on_train_begin()
    for epoch, v in enumerate([1.0, 0.95, 0.92]):
        stopper.on_epoch_end(epoch, {"val_loss": v})
    assert stopper.model.stop_training and stopper.best == 1.0


def test_early_stopping_restores_best_weights(rng):
    x, y = toy_data(rng)
    model = small_model()
    snapshots = []

    class Snap(numrnn.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            snapshots.append((logs["val_loss"], model.get_weights()))

    stopper = EarlyStopping(monitor="val_loss", mode="min", patience=1,
                            restore_best_weights=True)
    model.compile(numrnn.optimizers.RMSprop(lr=0.05), "binary_crossentropy", ["acc"])
    model.fit(x, y, epochs=15, validation_split=0.5, callbacks=[Snap(), stopper], verbose=0)
    best = min(snapshots, key=lambda s: s[0])[1]
    for a, b in zip(model.get_weights(), best):
        np.testing.assert_array_equal(a, b)


def test_same_seed_same_run(rng):
    x, y = toy_data(rng)
    runs = []
    for _ in range(2):
        numrnn.set_seed(7)
        model = small_model()
        h = model.fit(x, y, epochs=2, validation_split=0.2, verbose=0)
        runs.append((h.history, model.get_weights()))
    assert runs[0][0] == runs[1][0]
    for a, b in zip(runs[0][1], runs[1][1]):
        np.testing.assert_array_equal(a, b)
    numrnn.set_seed(8)
    other = small_model().get_weights()
    assert not np.array_equal(other[1], runs[0][1][1])


def test_fit_seed_fixes_the_shuffle(rng):
    x, y = toy_data(rng)
    numrnn.set_seed(3)
    a = small_model()
    numrnn.set_seed(3)
    b = small_model()
    numrnn.set_seed(100)
    ha = a.fit(x, y, epochs=2, verbose=0, seed=11)
    numrnn.set_seed(200)
    hb = b.fit(x, y, epochs=2, verbose=0, seed=11)
    assert ha.history == hb.history


def test_progress_output_format(rng):
    x, y = toy_data(rng, n=100)
    out = io.StringIO()
    with redirect_stdout(out):
        small_model().fit(x, y, epochs=2, validation_split=0.2, verbose=1)
    lines = out.getvalue().splitlines()
    assert lines[0] == "Train on 80 samples, validate on 20 samples"
    assert lines[1] == "Epoch 1/2"
    assert lines[2].startswith("80/80 [==============================] - ")
    assert "/step - loss: " in lines[2] and " - acc: " in lines[2] and " - val_acc: " in lines[2]
    out = io.StringIO()
    with redirect_stdout(out):
        small_model().fit(x, y, epochs=1, verbose=2)
    assert out.getvalue().splitlines()[1].startswith(" - 0s - loss: ")
    out = io.StringIO()
    with redirect_stdout(out):
        small_model().fit(x, y, epochs=1, verbose=0)
    assert out.getvalue() == ""


def test_save_and_load_model_round_trip(rng, tmp_path):
    x, y = toy_data(rng)
    model = small_model()
    model.fit(x, y, epochs=1, verbose=0)
    path = tmp_path / "model.npz"
    model.save(path)
    loaded = load_model(path)
    np.testing.assert_array_equal(model.predict(x), loaded.predict(x))
    assert [layer.name for layer in loaded.layers] == [layer.name for layer in model.layers]
    # the optimizer state came along: one more identical step gives identical weights
    model.fit(x, y, epochs=1, verbose=0, shuffle=False)
    loaded.fit(x, y, epochs=1, verbose=0, shuffle=False)
    for a, b in zip(model.get_weights(), loaded.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-7)
    assert list(tmp_path.iterdir()) == [path]  # no temporary file left behind


def test_save_and_load_weights(rng, tmp_path):
    model, other = small_model(), small_model()
    path = tmp_path / "w.npz"
    model.save_weights(path)
    other.load_weights(path)
    for a, b in zip(model.get_weights(), other.get_weights()):
        np.testing.assert_array_equal(a, b)
    other.load_weights(path, by_name=False)
    wrong = Sequential([Embedding(30, 4, input_length=10), LSTM(6), Dense(1)])
    before = wrong.get_weights()
    with pytest.raises(ValueError, match="shapes"):
        wrong.load_weights(path)
    with pytest.raises(ValueError, match="holds weights for 3 layers"):
        Sequential([Embedding(30, 4, input_length=10), Flatten(), Dense(1)]).load_weights(path)
    for a, b in zip(wrong.get_weights(), before):  # nothing was written
        np.testing.assert_array_equal(a, b)


def test_model_checkpoint_best_only(rng, tmp_path):
    x, y = toy_data(rng)
    path = tmp_path / "best-{epoch:02d}.npz"
    small_model().fit(x, y, epochs=3, validation_split=0.2, verbose=0,
                      callbacks=[ModelCheckpoint(str(path), monitor="val_loss",
                                                 save_best_only=True, save_weights_only=True)])
    saved = sorted(p.name for p in tmp_path.iterdir())
    assert saved and saved[0] == "best-01.npz"
    assert all(p.endswith(".npz") and not p.startswith(".") for p in saved)


def test_nan_loss_stops_before_the_update(rng):
    x, y = toy_data(rng, n=64)
    model = small_model()
    model.compile(numrnn.optimizers.SGD(lr=1e30), "mse", ["acc"])
    with pytest.warns(RuntimeWarning, match="NaN or infinite"), np.errstate(over="ignore"):
        model.fit(x, y * 1e20, epochs=5, batch_size=16, verbose=0,
                  callbacks=[TerminateOnNaN()])
    assert all(np.isfinite(w).all() for w in model.get_weights())


def test_predict_and_classes(rng):
    x, _ = toy_data(rng, n=50)
    model = small_model()
    p = model.predict(x, batch_size=16)
    assert p.shape == (50, 1) and p.dtype == np.float32
    np.testing.assert_allclose(model.predict_on_batch(x), p, rtol=1e-6)
    np.testing.assert_array_equal(model.predict_classes(x), (p > 0.5).astype("int32"))


def test_train_and_test_on_batch(rng):
    x, y = toy_data(rng, n=32)
    model = small_model()
    loss, acc = model.test_on_batch(x, y)
    assert model.train_on_batch(x, y)[0] == pytest.approx(loss, rel=1e-5)
    assert model.test_on_batch(x, y)[0] < loss


def test_config_is_json(rng):
    config = small_model().get_config()
    assert json.loads(json.dumps(config)) == config
    assert [c["class_name"] for c in config["layers"]] == ["Embedding", "LSTM", "Dense"]


def test_float64_model(rng, float64):
    x, y = toy_data(rng)
    model = small_model()
    model.fit(x, y, epochs=1, verbose=0)
    assert all(w.dtype == np.float64 for w in model.get_weights())
    assert model.predict(x).dtype == np.float64


def test_training_pins_blas_threads(rng):
    from threadpoolctl import threadpool_info

    seen = []

    class Probe(numrnn.callbacks.Callback):
        def on_batch_end(self, batch, logs=None):
            seen.extend(p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas")

    x, y = toy_data(rng, n=64)
    small_model().fit(x, y, epochs=1, verbose=0, callbacks=[Probe()])
    assert seen and set(seen) == {1}


def test_overflow_inside_the_network_stops_fit_cleanly():
    """Activations that overflow between layers reach the loss; fit stops before updating."""
    from numrnn.layers import SimpleRNN
    from numrnn.optimizers import SGD

    rng = np.random.default_rng(0)
    x = rng.uniform(0, 1, (512, 30, 1))
    model = Sequential([SimpleRNN(8, activation="relu", input_shape=(30, 1)), Dense(1)])
    model.layers[0].params["recurrent_kernel"][...] = 10 * np.eye(8)  # 10^30 overflows float32
    model.compile(SGD(lr=0.01), "mse", ["acc"])
    with pytest.warns(RuntimeWarning, match="NaN or infinite"), np.errstate(all="ignore"):
        history = model.fit(x, x.mean(axis=1), epochs=20, batch_size=32, verbose=0,
                            validation_split=0.25)
    assert len(history.epoch) < 20
    lengths = {k: len(v) for k, v in history.history.items()}
    assert set(lengths) == {"loss", "acc", "val_loss", "val_acc", "accuracy", "val_accuracy"}
    assert set(lengths.values()) == {len(history.epoch)}  # every key, one value per epoch
    assert np.isnan(history.history["val_loss"][-1])
    assert all(np.isfinite(w).all() for w in model.get_weights())


def test_direct_layer_call_still_rejects_nan():
    layer = Dense(2)
    with pytest.raises(ValueError, match=r"dense_1 inputs contains 1 NaN"):
        layer(np.array([[1.0, np.nan]]))


def test_a_callback_stopping_mid_epoch_keeps_history_aligned(rng):
    x, y = toy_data(rng, n=100)

    class StopEarly(numrnn.callbacks.Callback):
        def on_batch_end(self, batch, logs=None):
            if batch == 1:
                self.model.stop_training = True

    history = small_model().fit(x, y, epochs=3, batch_size=32, validation_split=0.2,
                                callbacks=[StopEarly()], verbose=0)
    assert history.epoch == [0]
    assert {k: len(v) for k, v in history.history.items()} == {
        "loss": 1, "acc": 1, "val_loss": 1, "val_acc": 1, "accuracy": 1, "val_accuracy": 1}
    assert np.isfinite(history.history["loss"][0]) and np.isnan(history.history["val_loss"][0])
