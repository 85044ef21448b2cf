"""Activations, losses and metrics added for issue 9 (and categorical targets, issue 15 #8):
values against the Keras 2.1 formulas written out here, gradients against central
differences in float64."""

import numpy as np
import pytest

from numrnn import activations, losses, metrics
from numrnn.gradcheck import gradcheck
from numrnn.layers import Activation, Dense, SimpleRNN, deserialize
from numrnn.models import Sequential

EPS = 1e-7


def numeric_gradient(loss, y, p, h=1e-6):
    """d mean(per_sample) / d p by central differences."""
    grad = np.zeros_like(p)
    flat, g = p.reshape(-1), grad.reshape(-1)
    for k in range(flat.size):
        old = flat[k]
        flat[k] = old + h
        plus = np.mean(loss.per_sample(y, p))
        flat[k] = old - h
        minus = np.mean(loss.per_sample(y, p))
        flat[k] = old
        g[k] = (plus - minus) / (2 * h)
    return grad


def l2n(v):
    return v / np.sqrt(np.maximum((v * v).sum(-1, keepdims=True), 1e-12))


# y_true, y_pred -> per-sample loss, straight from keras/losses.py (2.1.6)
KERAS = {
    "mean_absolute_error": lambda y, p: np.mean(np.abs(p - y), -1),
    "mean_absolute_percentage_error":
        lambda y, p: 100 * np.mean(np.abs((y - p) / np.clip(np.abs(y), EPS, None)), -1),
    "mean_squared_logarithmic_error": lambda y, p: np.mean(
        (np.log(np.clip(p, EPS, None) + 1) - np.log(np.clip(y, EPS, None) + 1)) ** 2, -1),
    "hinge": lambda y, p: np.mean(np.maximum(1 - y * p, 0), -1),
    "squared_hinge": lambda y, p: np.mean(np.maximum(1 - y * p, 0) ** 2, -1),
    "categorical_hinge": lambda y, p: np.maximum(
        0, np.max((1 - y) * p, -1) - np.sum(y * p, -1) + 1),
    "logcosh": lambda y, p: np.mean(np.log(np.cosh(p - y)), -1),
    "kullback_leibler_divergence": lambda y, p: np.sum(
        np.clip(y, EPS, 1) * np.log(np.clip(y, EPS, 1) / np.clip(p, EPS, 1)), -1),
    "poisson": lambda y, p: np.mean(p - y * np.log(p + EPS), -1),
    "cosine_proximity": lambda y, p: -np.sum(l2n(y) * l2n(p), -1),
    "mean_squared_error": lambda y, p: np.mean((p - y) ** 2, -1),
}


def _data(name, rng, shape=(4, 3, 5)):
    if name in ("hinge", "squared_hinge"):
        return rng.choice([-1.0, 1.0], shape), rng.uniform(-2, 2, shape)
    if name == "categorical_hinge":
        return np.eye(shape[-1])[rng.integers(0, shape[-1], shape[:-1])], rng.normal(0, 1, shape)
    if name in ("kullback_leibler_divergence", "poisson", "mean_squared_logarithmic_error"):
        y = rng.dirichlet(np.ones(shape[-1]), shape[:-1])
        return y, rng.dirichlet(np.ones(shape[-1]), shape[:-1])
    return rng.normal(0, 1, shape), rng.normal(0, 1, shape)


@pytest.mark.parametrize("name", sorted(KERAS))
def test_loss_matches_keras_and_its_gradient(rng, name):
    loss = losses.get(name)
    y, p = _data(name, rng)
    np.testing.assert_allclose(loss.per_sample(y, p), KERAS[name](y, p), rtol=1e-10, atol=1e-12)
    assert loss(y, p) == pytest.approx(np.mean(KERAS[name](y, p)), rel=1e-10)
    np.testing.assert_allclose(loss.gradient(y, p), numeric_gradient(loss, y, p),
                               rtol=1e-5, atol=1e-9)


@pytest.mark.parametrize("alias, name", [("mae", "mean_absolute_error"),
                                         ("mape", "mean_absolute_percentage_error"),
                                         ("msle", "mean_squared_logarithmic_error"),
                                         ("kld", "kullback_leibler_divergence"),
                                         ("cosine", "cosine_proximity"),
                                         ("MSE", "mean_squared_error")])
def test_loss_aliases(alias, name):
    assert losses.get(alias).name == name


def test_clipped_regions_have_zero_gradient():
    y = np.array([[0.5, 0.5]])
    p = np.array([[1e-9, 0.3]])
    assert losses.get("kld").gradient(y, p)[0, 0] == 0
    assert losses.get("msle").gradient(y, np.array([[-0.5, 0.3]]))[0, 0] == 0
    # mape divides by max(|y|, eps): a zero target gives a huge but finite loss
    assert np.isfinite(losses.get("mape").per_sample(np.zeros((1, 2)), np.ones((1, 2)))).all()


def test_callable_loss_with_and_without_gradient(rng):
    def scaled_mse(y_true, y_pred):
        return 3 * np.mean((y_pred - y_true) ** 2, axis=-1)

    y, p = rng.normal(size=(6, 4)), rng.normal(size=(6, 4))
    numeric = losses.get(scaled_mse)
    assert numeric.name == "scaled_mse"
    exact = losses.CallableLoss(scaled_mse, gradient=lambda yt, yp: 6 * (yp - yt) / yp.shape[-1])
    expected = 6 * (p - y) / p.size
    np.testing.assert_allclose(exact.gradient(y, p), expected, rtol=1e-12)
    np.testing.assert_allclose(numeric.gradient(y, p), expected, rtol=1e-7)
    with pytest.raises(ValueError, match="one value per sample"):
        losses.get(lambda yt, yp: np.sum((yp - yt) ** 2)).per_sample(y, p)
    with pytest.raises(ValueError, match="not a known loss"):
        losses.get("nope")


def test_callable_loss_and_metric_train_through_fit(rng):
    x = rng.normal(size=(40, 3)).astype("float32")
    y = (x @ np.array([1.0, -2.0, 0.5]))[:, None].astype("float32")

    def half_mse(y_true, y_pred):
        return 0.5 * np.mean((y_pred - y_true) ** 2, axis=-1)

    def max_error(y_true, y_pred):
        return np.max(np.abs(y_pred - y_true))

    model = Sequential([Dense(1, input_dim=3)])
    model.compile("sgd", half_mse, ["mae", "mse", max_error])
    assert model.metrics_names == ["loss", "mean_absolute_error", "mean_squared_error",
                                   "max_error"]
    history = model.fit(x, y, epochs=20, batch_size=8, verbose=0)
    assert history.history["loss"][-1] < 0.5 * history.history["loss"][0]
    loss, mae, mse, _ = model.evaluate(x, y, verbose=0)
    pred = model.predict(x)
    assert mae == pytest.approx(np.mean(np.abs(pred - y)), rel=1e-5)
    assert loss == pytest.approx(0.5 * np.mean((pred - y) ** 2), rel=1e-5)


# ---- categorical_crossentropy targets (issue 15 #8) -----------------------------------
def test_categorical_crossentropy_rejects_negative_or_unnormalised_targets(rng):
    cce = losses.get("categorical_crossentropy")
    with pytest.raises(ValueError, match="negative"):
        cce.check_targets(np.array([[1.2, -0.2, 0.0]]))
    with pytest.raises(ValueError, match="sums to 2"):
        cce.check_targets(np.array([[1.0, 0.0, 0.0], [1.0, 1.0, 0.0]]))
    cce.check_targets(np.array([[0.1, 0.9, 0.0], [0.0, 0.0, 0.0]]))  # soft / padded rows
    model = Sequential([Dense(3, activation="softmax", input_dim=2)])
    model.compile("sgd", "categorical_crossentropy")
    before = model.get_weights()
    with pytest.raises(ValueError, match="categorical_crossentropy"):
        model.fit(rng.normal(size=(4, 2)), np.array([[0, 2, 0]] * 4), verbose=0)
    assert all(np.array_equal(a, b) for a, b in zip(before, model.get_weights()))


# ---- metrics ---------------------------------------------------------------------------
def test_top_k_accuracy_as_tf_in_top_k():
    p = np.array([[0.1, 0.5, 0.2, 0.2], [0.4, 0.3, 0.2, 0.1], [0.25, 0.25, 0.25, 0.25]])
    y = np.eye(4)[[2, 3, 0]]
    # sample 0: class 2 ties with class 3 for 2nd place: in the top 2; sample 1: 4th
    assert metrics.top_k_categorical_accuracy(y, p, k=2).tolist() == [1.0, 0.0, 1.0]
    assert metrics.top_k_categorical_accuracy(y, p, k=1).tolist() == [0.0, 0.0, 1.0]
    assert metrics.sparse_top_k_categorical_accuracy(np.array([2, 3, 0]), p, k=2).tolist() \
        == [1.0, 0.0, 1.0]
    assert metrics.resolve("top_k_categorical_accuracy", "categorical_crossentropy",
                           (None, 4))[0] == "top_k_categorical_accuracy"
    with pytest.raises(ValueError, match="not a known metric"):
        metrics.resolve("f1", "mse", (None, 1))


def test_accuracy_metrics_values():
    p = np.array([[0.2, 0.7, 0.1], [0.6, 0.3, 0.1]])
    assert metrics.categorical_accuracy(np.eye(3)[[1, 2]], p).tolist() == [1.0, 0.0]
    assert metrics.sparse_categorical_accuracy(np.array([1, 0]), p).tolist() == [1.0, 1.0]
    assert metrics.binary_accuracy(np.array([1, 0, 1]), np.array([[0.51], [0.5], [0.49]])) \
        .tolist() == [1.0, 1.0, 0.0]


# ---- activations -----------------------------------------------------------------------
def test_relu_alpha_and_max_value_as_keras_2_1(float64, rng):
    x = rng.uniform(-5, 5, (3, 4, 6))
    x[np.abs(x - 2) < 0.05] = 1.0
    x[np.abs(x) < 0.05] = 0.5
    keras = np.minimum(np.maximum(0.1 * x, x), 2.0)   # tf.nn.leaky_relu, then tf.minimum
    np.testing.assert_allclose(activations.relu(x, alpha=0.1, max_value=2.0), keras)
    np.testing.assert_allclose(activations.relu(x), np.maximum(x, 0))
    act = activations.ReLU(alpha=0.1, max_value=2.0)
    report = gradcheck(Activation(act), x)
    assert report.worst < 1e-6, str(report)
    np.testing.assert_allclose(activations.elu(x, alpha=0.5), np.where(x > 0, x, 0.5 * np.expm1(x)))
    assert gradcheck(Activation(activations.ELU(0.5)), x).worst < 1e-6
    with pytest.raises(ValueError, match="alpha"):
        activations.ReLU(alpha=-1)


def test_parametrised_activation_survives_config(float64):
    layer = Dense(3, activation=activations.ReLU(alpha=0.2, max_value=6))
    config = layer.get_config()
    assert config["activation"] == {"class_name": "relu",
                                     "config": {"alpha": 0.2, "max_value": 6.0}}
    copy = deserialize({"class_name": "Dense", "config": config})
    assert (copy.activation.alpha, copy.activation.max_value) == (0.2, 6.0)
    assert Dense(3, activation="relu").get_config()["activation"] == "relu"


@pytest.mark.parametrize("name", ["elu", "selu", "softsign", "softplus", "hard_sigmoid_keras3"])
def test_new_activations_inside_a_recurrent_layer(float64, rng, name):
    """The recurrent layers take derivatives with out= buffers: the new activations too."""
    layer = SimpleRNN(3, activation=name, return_sequences=True)
    report = gradcheck(layer, 0.7 * rng.standard_normal((2, 4, 3)))
    assert report.worst < 1e-6, str(report)


def test_hard_sigmoid_stays_keras_2_1():
    x = np.array([-3.0, -1.0, 0.0, 1.0, 3.0])
    np.testing.assert_allclose(activations.get("hard_sigmoid")(x), np.clip(0.2 * x + 0.5, 0, 1))
    np.testing.assert_allclose(activations.get("hard_sigmoid_keras3")(x),
                               np.clip(x / 6 + 0.5, 0, 1))
