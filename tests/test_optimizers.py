"""Optimizer update rules (Keras 2.1) and the exactness of the lazy sparse RMSprop."""

import numpy as np
import pytest

from numrnn import optimizers
from numrnn.sparse import RowSparseGrad


def test_rmsprop_rule_eps_outside_sqrt():
    p, g = np.array([1.0, -2.0]), np.array([0.5, 0.1])
    opt = optimizers.RMSprop()
    opt.apply_gradients([p], [g.copy()])
    a = 0.1 * g**2
    np.testing.assert_allclose(p, np.array([1.0, -2.0]) - 1e-3 * g / (np.sqrt(a) + 1e-7))
    assert opt.epsilon == 1e-7 and opt.rho == 0.9 and opt.lr == 1e-3


def _sparse_steps(lazy, dtype, rng, steps=40):
    table = rng.standard_normal((50, 3)).astype(dtype)
    dense_w = rng.standard_normal((3, 2)).astype(dtype)
    opt = optimizers.RMSprop(lazy=lazy)
    for _ in range(steps):
        ids = rng.integers(0, 50, 12)
        g = RowSparseGrad.from_ids(ids, rng.standard_normal((12, 3)).astype(dtype), 50)
        opt.apply_gradients([table, dense_w], [g, rng.standard_normal((3, 2)).astype(dtype)])
    return table, dense_w, opt.accumulators()


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_lazy_rmsprop_equals_dense_rule(dtype):
    lazy = _sparse_steps(True, dtype, np.random.default_rng(5))
    dense = _sparse_steps(False, dtype, np.random.default_rng(5))
    rtol = 1e-12 if dtype == np.float64 else 2e-6
    for a, b in zip(lazy[:2] + tuple(lazy[2]), dense[:2] + tuple(dense[2])):
        np.testing.assert_allclose(a, b, rtol=rtol, atol=1e-30)


def test_untouched_rows_do_not_move():
    table = np.ones((5, 2))
    before = table.copy()
    optimizers.RMSprop().apply_gradients([table], [RowSparseGrad(np.array([1, 3]),
                                                                 np.ones((2, 2)), (5, 2))])
    np.testing.assert_array_equal(table[[0, 2, 4]], before[[0, 2, 4]])
    assert (table[[1, 3]] < 1).all()


def test_sgd_momentum_and_nesterov():
    for nesterov in (False, True):
        p, g = np.array([1.0]), np.array([2.0])
        opt = optimizers.SGD(lr=0.1, momentum=0.9, nesterov=nesterov)
        opt.apply_gradients([p], [g])
        v = -0.1 * 2.0
        expected = 1.0 + (0.9 * v - 0.1 * 2.0 if nesterov else v)
        np.testing.assert_allclose(p, [expected])
        opt.apply_gradients([p], [g])
        v2 = 0.9 * v - 0.2
        expected += 0.9 * v2 - 0.2 if nesterov else v2
        np.testing.assert_allclose(p, [expected])


def test_adam_first_step():
    p, g = np.array([1.0, 1.0]), np.array([0.3, -0.01])
    optimizers.Adam().apply_gradients([p], [g])
    lr_t = 1e-3 * np.sqrt(1 - 0.999) / (1 - 0.9)
    m, v = 0.1 * g, 0.001 * g**2
    np.testing.assert_allclose(p, 1.0 - lr_t * m / (np.sqrt(v) + 1e-7))


def test_clipnorm_is_global_and_clipvalue_elementwise():
    grads = [np.array([3.0, 0.0]), RowSparseGrad(np.array([0]), np.array([[4.0]]), (2, 1))]
    clipped = optimizers.SGD(clipnorm=1.0).clip(grads)
    np.testing.assert_allclose(clipped[0], [0.6, 0.0])
    np.testing.assert_allclose(clipped[1].values, [[0.8]])
    clipped = optimizers.SGD(clipvalue=0.5).clip([np.array([3.0, -0.1, -2.0])])
    np.testing.assert_allclose(clipped[0], [0.5, -0.1, -0.5])


def test_decay():
    opt = optimizers.SGD(lr=1.0, decay=0.5)
    p = np.array([0.0])
    opt.apply_gradients([p], [np.array([1.0])])
    opt.apply_gradients([p], [np.array([1.0])])
    np.testing.assert_allclose(p, [-(1.0 + 1 / 1.5)])


@pytest.mark.parametrize("kwargs, arg", [({"lr": -1}, "lr"), ({"rho": 1.0}, "rho"),
                                         ({"clipnorm": 0}, "clipnorm"),
                                         ({"epsilon": float("nan")}, "epsilon")])
def test_bad_hyperparameters(kwargs, arg):
    with pytest.raises(ValueError, match=arg):
        optimizers.RMSprop(**kwargs)


def test_unknown_optimizer_lists_accepted():
    with pytest.raises(ValueError, match="ftrl.*adam, adamax, nadam, rmsprop, sgd"):
        optimizers.get("ftrl")


def test_lazy_rmsprop_mixing_dense_and_sparse_gradients():
    """A parameter updated densely first, then row-sparsely, then densely again."""
    rng = np.random.default_rng(9)
    kinds = ["dense"] * 3 + ["sparse"] * 5 + ["dense"] * 2 + ["sparse"] * 3
    grads = []
    for kind in kinds:
        if kind == "dense":
            grads.append(rng.standard_normal((20, 2)))
        else:
            ids = rng.integers(0, 20, 6)
            grads.append(RowSparseGrad.from_ids(ids, rng.standard_normal((6, 2)), 20))
    results = []
    for lazy in (True, False):
        table = np.ones((20, 2))
        opt = optimizers.RMSprop(lazy=lazy)
        for g in grads:
            opt.apply_gradients([table], [g])
        results.append((table, opt.accumulators()[0]))
    np.testing.assert_allclose(results[0][0], results[1][0], rtol=1e-12)
    np.testing.assert_allclose(results[0][1], results[1][1], rtol=1e-12)
