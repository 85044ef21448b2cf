"""Losses: Keras 2.1 values and clipping, and gradients against finite differences."""

import numpy as np
import pytest

from numrnn import losses


def numeric_grad(loss, y, p, eps=1e-6):
    g = np.zeros_like(p)
    for k in np.ndindex(p.shape):
        old = p[k]
        p[k] = old + eps
        plus = loss(y, p)
        p[k] = old - eps
        minus = loss(y, p)
        p[k] = old
        g[k] = (plus - minus) / (2 * eps)
    return g


def rel_err(a, b):
    return np.linalg.norm(a - b) / (np.linalg.norm(a) + np.linalg.norm(b))


def test_binary_crossentropy_values():
    bce = losses.get("binary_crossentropy")
    assert bce(np.array([1.0]), np.array([[0.5]])) == pytest.approx(np.log(2))
    # clipped at 1e-7: the loss of a certain mistake is -log(1e-7)
    assert bce(np.array([1.0]), np.array([[0.0]])) == pytest.approx(-np.log(1e-7), rel=1e-6)
    assert bce(np.array([0.0, 1.0]), np.array([[0.2], [0.9]])) == pytest.approx(
        -(np.log(0.8) + np.log(0.9)) / 2)


@pytest.mark.parametrize("shape", [(6, 1), (4, 3, 2)])
def test_binary_crossentropy_gradient(rng, shape):
    p = rng.uniform(0.05, 0.95, shape)
    y = rng.integers(0, 2, shape).astype(float)
    bce = losses.BinaryCrossentropy()
    assert rel_err(bce.gradient(y, p), numeric_grad(bce, y, p)) < 1e-6


def test_binary_crossentropy_clip_blocks_gradient():
    bce = losses.BinaryCrossentropy()
    p = np.array([[1e-9], [0.3]])
    g = bce.gradient(np.array([1.0, 1.0]), p)
    assert g[0, 0] == 0 and g[1, 0] != 0
    assert bce.gradient_through_sigmoid(np.array([1.0, 1.0]), p)[0, 0] == 0


def test_fused_sigmoid_gradient_equals_chain_rule(rng):
    z = rng.standard_normal((8, 1))
    p = 1 / (1 + np.exp(-z))
    y = rng.integers(0, 2, (8, 1)).astype(float)
    bce = losses.BinaryCrossentropy()
    np.testing.assert_allclose(bce.gradient_through_sigmoid(y, p),
                               bce.gradient(y, p) * p * (1 - p), rtol=1e-10)


@pytest.mark.parametrize("shape", [(5, 4), (3, 4, 6)])
def test_categorical_crossentropy_gradient(rng, shape):
    p = rng.uniform(0.1, 1.0, shape)  # not normalised: Keras divides by the sum
    y = np.eye(shape[-1])[rng.integers(0, shape[-1], shape[:-1])]
    cce = losses.CategoricalCrossentropy()
    q = p / p.sum(-1, keepdims=True)
    assert cce(y, p) == pytest.approx(np.mean(-np.log((q * y).sum(-1))))
    assert rel_err(cce.gradient(y, p), numeric_grad(cce, y, p)) < 1e-6


@pytest.mark.parametrize("shape", [(5, 4), (3, 4, 6)])
def test_sparse_categorical_crossentropy(rng, shape):
    p = rng.dirichlet(np.ones(shape[-1]), shape[:-1])
    ids = rng.integers(0, shape[-1], shape[:-1])
    scce, cce = losses.SparseCategoricalCrossentropy(), losses.CategoricalCrossentropy()
    onehot = np.eye(shape[-1])[ids]
    assert scce(ids, p) == pytest.approx(cce(onehot, p))
    assert rel_err(scce.gradient(ids, p), numeric_grad(scce, ids, p)) < 1e-6


def test_mean_squared_error(rng):
    p, y = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
    mse = losses.get("mse")
    assert mse(y, p) == pytest.approx(np.mean((p - y) ** 2))
    assert rel_err(mse.gradient(y, p), numeric_grad(mse, y, p)) < 1e-6


def test_unknown_loss_lists_accepted():
    with pytest.raises(ValueError, match="loss='huber'.*binary_crossentropy"):
        losses.get("huber")
