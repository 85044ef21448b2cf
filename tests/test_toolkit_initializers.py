"""Initializers, regularizers and constraints against the Keras 2.1 definitions."""

import numpy as np
import pytest

import numrnn
from numrnn import constraints, initializers, regularizers
from numrnn.layers import Dense, Embedding, deserialize
from numrnn.models import Sequential

GEN = np.random.default_rng(0)


def draw(init, shape=(200, 300)):
    return initializers.get(init)(shape, np.float64, np.random.default_rng(1))


def test_constant_zeros_ones_identity():
    assert np.all(draw(initializers.Constant(2.5), (3, 4)) == 2.5)
    assert np.all(draw("zeros", (3,)) == 0) and np.all(draw("Ones", (2, 2)) == 1)
    np.testing.assert_array_equal(draw(initializers.Identity(3.0), (4, 4)), 3 * np.eye(4))
    with pytest.raises(ValueError, match="square"):
        draw("identity", (3, 4))


@pytest.mark.parametrize("name, limit", [("lecun_uniform", np.sqrt(3 / 200)),
                                         ("he_uniform", np.sqrt(6 / 200)),
                                         ("glorot_uniform", np.sqrt(6 / 500))])
def test_uniform_variance_scaling_limits(name, limit):
    w = draw(name)
    assert np.abs(w).max() <= limit and np.abs(w).max() > 0.99 * limit
    assert abs(w.std() - limit / np.sqrt(3)) < 0.02 * limit


@pytest.mark.parametrize("name, stddev", [("lecun_normal", np.sqrt(1 / 200)),
                                          ("he_normal", np.sqrt(2 / 200)),
                                          ("glorot_normal", np.sqrt(2 / 500))])
def test_normal_variance_scaling_is_truncated_at_two_stddev(name, stddev):
    w = draw(name)
    assert np.abs(w).max() <= 2 * stddev
    # a N(0, s^2) truncated at 2s has standard deviation 0.8796 s (no correction in 2.1)
    assert abs(w.std() - 0.8796 * stddev) < 0.02 * stddev


def test_variance_scaling_modes_and_fans():
    assert initializers.compute_fans((3, 4, 5)) == (12.0, 15.0)
    assert initializers.compute_fans((16,)) == (4.0, 4.0)
    w = draw(initializers.VarianceScaling(4.0, "fan_out", "uniform"), (100, 50))
    assert np.abs(w).max() <= np.sqrt(3 * 4 / 50)
    with pytest.raises(ValueError, match="mode"):
        initializers.VarianceScaling(mode="fan")
    with pytest.raises(ValueError, match="distribution"):
        initializers.VarianceScaling(distribution="gamma")


def test_random_initializers_and_seeds():
    w = draw(initializers.TruncatedNormal(1.0, 0.1))
    assert np.abs(w - 1).max() <= 0.2 and abs(w.mean() - 1) < 0.01
    u = draw(initializers.RandomUniform(2, 3))
    assert 2 <= u.min() and u.max() <= 3
    a = initializers.RandomNormal(seed=5)((3, 3), np.float32, np.random.default_rng(1))
    b = initializers.RandomNormal(seed=5)((3, 3), np.float32, np.random.default_rng(2))
    assert np.array_equal(a, b)


@pytest.mark.parametrize("init", [initializers.Constant(0.3), initializers.he_normal(seed=2),
                                  initializers.TruncatedNormal(0.0, 0.2),
                                  initializers.Identity(2.0), initializers.RandomUniform(-1, 1)])
def test_initializer_config_round_trip_through_a_layer(init):
    layer = Dense(3, kernel_initializer=init)
    copy = deserialize({"class_name": "Dense", "config": layer.get_config()})
    assert type(copy.kernel_initializer) is type(init)
    assert copy.kernel_initializer.get_config() == init.get_config()


# ---- regularizers ----------------------------------------------------------------------
def test_regularizer_penalties_and_gradients(rng):
    w = rng.normal(size=(4, 3))
    assert regularizers.l1(0.3)(w) == pytest.approx(0.3 * np.abs(w).sum())
    assert regularizers.l2()(w) == pytest.approx(0.01 * (w ** 2).sum())
    both = regularizers.l1_l2(0.1, 0.2)
    assert both(w) == pytest.approx(0.1 * np.abs(w).sum() + 0.2 * (w ** 2).sum())
    numeric = np.zeros_like(w)
    for idx in np.ndindex(w.shape):
        e = np.zeros_like(w)
        e[idx] = 1e-6
        numeric[idx] = (both(w + e) - both(w - e)) / 2e-6
    np.testing.assert_allclose(both.gradient(w), numeric, rtol=1e-6)
    assert regularizers.get("l2").l2 == 0.01 and regularizers.get(None) is None
    assert regularizers.get(regularizers.serialize(both)).get_config() == both.get_config()
    with pytest.raises(ValueError, match="kernel_regularizer"):
        Dense(3, kernel_regularizer="l3")
    with pytest.raises(ValueError, match="l1"):
        regularizers.l1(-0.1)


# ---- constraints -----------------------------------------------------------------------
def test_constraints_as_keras_2_1(rng):
    w = rng.normal(size=(5, 3)) * 3
    norms = np.sqrt((w ** 2).sum(axis=0, keepdims=True))
    np.testing.assert_allclose(constraints.max_norm(2.0)(w),
                               w * np.clip(norms, 0, 2) / (1e-7 + norms))
    assert np.all(np.sqrt((constraints.max_norm(2.0)(w) ** 2).sum(axis=0)) <= 2 + 1e-6)
    np.testing.assert_allclose(constraints.unit_norm()(w), w / (1e-7 + norms))
    np.testing.assert_allclose(constraints.non_neg()(w), np.where(w >= 0, w, 0))
    rows = np.sqrt((w ** 2).sum(axis=1, keepdims=True))
    np.testing.assert_allclose(constraints.UnitNorm(axis=1)(w), w / (1e-7 + rows))
    mm = constraints.MinMaxNorm(1.0, 2.0, rate=0.5)
    np.testing.assert_allclose(mm(w), w * (0.5 * np.clip(norms, 1, 2) + 0.5 * norms)
                               / (1e-7 + norms))
    c = constraints.get(constraints.serialize(constraints.MaxNorm(3, axis=[0, 1])))
    assert c.max_value == 3 and c.axis == (0, 1)
    with pytest.raises(ValueError, match="kernel_constraint"):
        Dense(2, kernel_constraint="positive")


def test_dense_and_embedding_keep_their_regularizers_and_constraints_in_config():
    dense = Dense(3, kernel_regularizer="l2", bias_regularizer=regularizers.l1(0.5),
                  activity_regularizer="l1_l2", kernel_constraint="max_norm",
                  bias_constraint=constraints.non_neg())
    copy = deserialize({"class_name": "Dense", "config": dense.get_config()})
    assert copy.kernel_regularizer.l2 == 0.01 and copy.bias_regularizer.l1 == 0.5
    assert copy.activity_regularizer.get_config() == {"l1": 0.01, "l2": 0.01}
    assert isinstance(copy.kernel_constraint, constraints.MaxNorm)
    assert isinstance(copy.bias_constraint, constraints.NonNeg)
    emb = Embedding(10, 4, embeddings_regularizer="l2", embeddings_constraint="unit_norm",
                    activity_regularizer="l1")
    copy = deserialize({"class_name": "Embedding", "config": emb.get_config()})
    assert copy.embeddings_regularizer.l2 == 0.01
    assert isinstance(copy.embeddings_constraint, constraints.UnitNorm)
    assert copy.activity_regularizer.l1 == 0.01


def test_regularized_dense_adds_its_penalty_to_the_loss(rng):
    x = rng.normal(size=(16, 4)).astype("float32")
    y = rng.normal(size=(16, 1)).astype("float32")
    model = Sequential([Dense(1, input_dim=4, kernel_regularizer=regularizers.l2(0.5),
                              kernel_constraint=constraints.max_norm(0.3))])
    model.compile("sgd", "mse")
    kernel = model.layers[0].params["kernel"]
    penalty = 0.5 * float((kernel ** 2).sum())
    plain = float(np.mean((model.predict(x) - y) ** 2))
    assert model.train_on_batch(x, y) == pytest.approx(plain + penalty, rel=1e-5)
    assert np.sqrt((kernel ** 2).sum(axis=0)).max() <= 0.3 + 1e-6
    assert numrnn  # the package imports the three modules
