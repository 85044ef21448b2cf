"""Engine items of issue 9: sample and class weights (Keras 2.1's mean(w * l) / mean(w != 0)),
Keras 3 history names, pop, get_layer, to_json / model_from_json, get_config / from_config,
input/output shapes, callable metrics."""

import json

import numpy as np
import pytest

from numrnn.gradcheck import gradcheck
from numrnn.layers import LSTM, Dense, Embedding, Flatten
from numrnn.models import Model, Sequential, model_from_json


def regression(**compile_kwargs):
    model = Sequential([Dense(2, input_dim=3)])
    model.compile("sgd", "mse", **compile_kwargs)
    return model


def test_sample_weight_loss_is_keras_21(float64, rng):
    model = regression()
    x, y = rng.standard_normal((6, 3)), rng.standard_normal((6, 2))
    w = np.array([1.0, 0.0, 2.0, 0.5, 0.0, 3.0])
    per = np.mean((model.predict(x) - y) ** 2, axis=1)
    expected = np.mean(w * per) / np.mean(w != 0)
    assert model.evaluate(x, y, sample_weight=w, verbose=0) == pytest.approx(expected)
    assert model.test_on_batch(x, y, sample_weight=w) == pytest.approx(expected)
    assert model.train_on_batch(x, y, sample_weight=w) == pytest.approx(expected)
    report = gradcheck(regression(), x, y, sample_weight=w)
    assert report.worst < 1e-7, str(report)


def test_zero_weight_samples_do_not_train(rng):
    model = regression()
    x, y = rng.standard_normal((4, 3)), rng.standard_normal((4, 2))
    before = model.get_weights()
    model.fit(x, y, sample_weight=np.zeros(4), epochs=2, verbose=0)
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_temporal_sample_weights(float64, rng):
    model = Sequential([LSTM(3, return_sequences=True, input_shape=(4, 2)),
                        Dense(2, activation="softmax")])
    model.compile("sgd", "sparse_categorical_crossentropy", sample_weight_mode="temporal")
    x, y = rng.standard_normal((5, 4, 2)), rng.integers(0, 2, (5, 4))
    w = rng.uniform(0, 2, (5, 4))
    w[0, :2] = 0
    p = model.predict(x)
    per = -np.log(np.take_along_axis(p, y[..., None], -1))[..., 0]
    expected = np.mean(w * per) / np.mean(w != 0)
    assert model.evaluate(x, y, sample_weight=w, verbose=0) == pytest.approx(expected)
    report = gradcheck(model, x, y, sample_weight=w)
    assert report.worst < 1e-6, str(report)
    with pytest.raises(ValueError, match=r"sample_weight: shape \(5,\); accepted: \(samples, "
                                         r"timesteps\)"):
        model.fit(x, y, sample_weight=np.ones(5), verbose=0)
    with pytest.raises(ValueError, match=r"compile\(sample_weight_mode='temporal'\)"):
        regression().fit(np.ones((2, 3)), np.ones((2, 2)), sample_weight=np.ones((2, 2)),
                         verbose=0)


def test_class_weight_equals_the_matching_sample_weight(rng):
    x, y = rng.integers(1, 20, (40, 5)), rng.integers(0, 2, 40)
    runs = []
    for kwargs in ({"class_weight": {0: 1.0, 1: 3.0}},
                   {"sample_weight": np.where(y == 1, 3.0, 1.0)}):
        np_seed = 5
        from numrnn import set_seed

        set_seed(np_seed)
        model = Sequential([Embedding(20, 3, input_length=5), Flatten(),
                            Dense(1, activation="sigmoid")])
        model.compile("rmsprop", "binary_crossentropy", ["acc"])
        h = model.fit(x, y, epochs=2, batch_size=8, verbose=0, seed=0, **kwargs)
        runs.append((h.history, model.get_weights()))
    assert runs[0][0] == runs[1][0]
    with pytest.raises(ValueError, match="class_weight: no weight for class 1"):
        model.fit(x, y, class_weight={0: 1.0}, verbose=0)
    # one output's name as the key works too; a flat dict for several outputs is refused
    model.fit(x, y, class_weight={model.output_names[0]: {0: 1.0, 1: 3.0}}, verbose=0)
    from numrnn.layers import Input

    ids = Input(shape=(5,))
    two = Model(ids, [Dense(1, name="p")(ids), Dense(1, name="q")(ids)])
    two.compile("sgd", "mse")
    with pytest.raises(ValueError, match=r"class_weight: the model has 2 outputs; accepted: a "
                                         r"dict by output name, e.g. \{'p': "):
        two.fit(x, [y, y], class_weight={0: 1.0, 1: 2.0}, verbose=0)
    with pytest.raises(ValueError, match=r"sample_weight: the model has 2 outputs"):
        two.fit(x, [y, y], sample_weight=np.ones(len(y)), verbose=0)
    two.fit(x, [y, y], sample_weight={"q": np.ones(len(y))}, verbose=0)


def test_history_has_keras_3_names_and_early_stopping_can_use_them(rng):
    from numrnn.callbacks import EarlyStopping

    x, y = rng.integers(1, 20, (40, 5)), rng.integers(0, 2, 40)
    model = Sequential([Embedding(20, 3, input_length=5), Flatten(),
                        Dense(1, activation="sigmoid")])
    model.compile("rmsprop", "binary_crossentropy", ["accuracy"])
    h = model.fit(x, y, epochs=2, validation_split=0.25, verbose=0,
                  callbacks=[EarlyStopping(monitor="val_accuracy", patience=5)])
    assert h.history["val_accuracy"] == h.history["val_acc"]
    assert model.metrics_names == ["loss", "acc"]


def test_pop_get_layer_and_shapes():
    model = Sequential([Dense(4, input_dim=3, name="a"), Dense(2, name="b"), Dense(1, name="c")])
    assert model.get_layer("b") is model.layers[1] and model.get_layer(index=-1).name == "c"
    assert model.input_shape == (None, 3) and model.output_shape == (None, 1)
    model.pop()
    assert [layer.name for layer in model.layers] == ["a", "b"]
    assert model.output_shape == (None, 2)
    assert model.predict(np.ones((2, 3))).shape == (2, 2)
    model.add(Dense(5))
    assert model.output_shape == (None, 5)
    model.pop()
    model.pop()
    model.pop()
    with pytest.raises(TypeError, match="no layers"):
        model.pop()


def test_json_and_config_round_trips(rng):
    model = Sequential([Embedding(20, 3, input_length=5, mask_zero=True), LSTM(4),
                        Dense(1, activation="sigmoid")])
    text = model.to_json()
    assert json.loads(text)["class_name"] == "Sequential"
    clone = model_from_json(text)
    assert clone.get_config() == model.get_config()
    clone.set_weights(model.get_weights())
    x = rng.integers(0, 20, (3, 5))
    np.testing.assert_array_equal(clone.predict(x), model.predict(x))
    again = Sequential.from_config(model.get_config())
    assert [type(layer) for layer in again.layers] == [type(layer) for layer in model.layers]
    with pytest.raises(ValueError, match="json_string is not valid JSON"):
        model_from_json("{nope")


def test_callable_metric(rng):
    def mean_pred(y_true, y_pred):
        return y_pred.mean(axis=-1)

    model = regression(metrics=[mean_pred])
    assert model.metrics_names == ["loss", "mean_pred"]
    x = rng.standard_normal((4, 3))
    _, value = model.evaluate(x, np.zeros((4, 2)), verbose=0)
    assert value == pytest.approx(model.predict(x).mean(), rel=1e-5)


def test_functional_model_from_config_is_a_model():
    from numrnn.layers import Input

    a = Input(shape=(3,))
    model = Model(a, Dense(2)(a))
    assert isinstance(Model.from_config(model.get_config()), Model)


def test_an_output_without_a_loss_is_not_trained(rng):
    from numrnn.layers import Input

    x = Input(shape=(3,))
    hidden = Dense(4, name="hidden")(x)
    model = Model(x, [Dense(1, name="p")(hidden), Dense(2, name="probe")(hidden)])
    with pytest.warns(UserWarning, match=r"no loss for output\(s\) \['probe'\]"):
        model.compile("sgd", {"p": "mse"})
    probe = model.get_layer("probe").get_weights()
    data = rng.standard_normal((8, 3))
    history = model.fit(data, {"p": data.sum(1)}, epochs=2, verbose=0)
    assert set(history.history) == {"loss", "p_loss"}  # Keras 2.1 lists no probe_loss
    assert history.history["loss"] == history.history["p_loss"]
    for a, b in zip(probe, model.get_layer("probe").get_weights()):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match="gives no output a loss"):
        model.compile("sgd", {})
