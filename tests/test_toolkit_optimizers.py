"""Adagrad, Adadelta, Adamax, Nadam: a few steps against the Keras 2.1 update rules written
out here; decay, clipnorm/clipvalue; exact lazy embedding-row updates; save/load."""

import numpy as np
import pytest

from numrnn import optimizers
from numrnn.layers import Dense, Embedding, Flatten
from numrnn.models import Sequential, load_model
from numrnn.sparse import RowSparseGrad

EPS = 1e-7


def keras_adagrad(p, grads, lr=0.01, decay=0.0):
    a = np.zeros_like(p)
    for it, g in enumerate(grads):
        lr_t = lr / (1 + decay * it)
        a = a + g**2
        p = p - lr_t * g / (np.sqrt(a) + EPS)
    return p


def keras_adadelta(p, grads, lr=1.0, rho=0.95, decay=0.0):
    a, d = np.zeros_like(p), np.zeros_like(p)
    for it, g in enumerate(grads):
        lr_t = lr / (1 + decay * it)
        a = rho * a + (1 - rho) * g**2
        u = g * np.sqrt(d + EPS) / np.sqrt(a + EPS)
        p = p - lr_t * u
        d = rho * d + (1 - rho) * u**2
    return p


def keras_adamax(p, grads, lr=0.002, b1=0.9, b2=0.999, decay=0.0):
    m, u = np.zeros_like(p), np.zeros_like(p)
    for it, g in enumerate(grads):
        lr_d = lr / (1 + decay * it)
        t = it + 1
        m = b1 * m + (1 - b1) * g
        u = np.maximum(b2 * u, np.abs(g))
        p = p - lr_d / (1 - b1**t) * m / (u + EPS)
    return p


def keras_nadam(p, grads, lr=0.002, b1=0.9, b2=0.999, sd=0.004):
    m, v, m_schedule = np.zeros_like(p), np.zeros_like(p), 1.0
    for it, g in enumerate(grads):
        t = it + 1
        mc_t = b1 * (1 - 0.5 * 0.96 ** (t * sd))
        mc_t1 = b1 * (1 - 0.5 * 0.96 ** ((t + 1) * sd))
        m_schedule_new = m_schedule * mc_t
        m_schedule_next = m_schedule * mc_t * mc_t1
        m_schedule = m_schedule_new
        g_prime = g / (1 - m_schedule_new)
        m = b1 * m + (1 - b1) * g
        m_prime = m / (1 - m_schedule_next)
        v = b2 * v + (1 - b2) * g**2
        v_prime = v / (1 - b2**t)
        m_bar = (1 - mc_t) * g_prime + mc_t1 * m_prime
        p = p - lr * m_bar / (np.sqrt(v_prime) + EPS)
    return p


CASES = [(optimizers.Adagrad, keras_adagrad, 0.01), (optimizers.Adadelta, keras_adadelta, 1.0),
         (optimizers.Adamax, keras_adamax, 0.002), (optimizers.Nadam, keras_nadam, 0.002)]


@pytest.mark.parametrize("cls, reference, default_lr", CASES)
def test_steps_match_keras_2_1(rng, cls, reference, default_lr):
    p0 = rng.normal(size=(3, 4))
    grads = [rng.normal(size=(3, 4)) for _ in range(5)]
    opt = cls()
    assert opt.lr == default_lr
    p = p0.copy()
    for g in grads:
        opt.apply_gradients([p], [g.copy()])
    np.testing.assert_allclose(p, reference(p0, grads), rtol=1e-12, atol=1e-14)
    assert opt.iterations == 5


@pytest.mark.parametrize("cls, reference", [(optimizers.Adagrad, keras_adagrad),
                                            (optimizers.Adadelta, keras_adadelta),
                                            (optimizers.Adamax, keras_adamax)])
def test_decay(rng, cls, reference):
    p0 = rng.normal(size=(5,))
    grads = [rng.normal(size=(5,)) for _ in range(4)]
    opt = cls(decay=0.5)
    p = p0.copy()
    for g in grads:
        opt.apply_gradients([p], [g])
    np.testing.assert_allclose(p, reference(p0, grads, decay=0.5), rtol=1e-12)


def test_nadam_decay_is_an_addition_off_by_default(rng):
    p = rng.normal(size=(4,))
    g = rng.normal(size=(4,))
    a, b = p.copy(), p.copy()
    optimizers.Nadam().apply_gradients([a], [g])
    optimizers.Nadam(decay=0.3).apply_gradients([b], [g])   # iteration 0: lr unchanged
    assert np.array_equal(a, b)
    assert "schedule_decay" in optimizers.Nadam().get_config()


@pytest.mark.parametrize("cls", [optimizers.Adagrad, optimizers.Adadelta, optimizers.Adamax,
                                 optimizers.Nadam])
def test_clipnorm_and_clipvalue_apply_to_every_optimizer(rng, cls):
    g = [rng.normal(size=(3,)) * 10, rng.normal(size=(2,)) * 10]
    norm = np.sqrt(sum(np.sum(x**2) for x in g))
    clipped = [np.clip(x * 1.0 / norm, -0.05, 0.05) for x in g]   # clipnorm, then clipvalue
    ps, qs = [np.ones(3), np.ones(2)], [np.ones(3), np.ones(2)]
    cls(clipnorm=1.0, clipvalue=0.05).apply_gradients(ps, [x.copy() for x in g])
    cls().apply_gradients(qs, clipped)
    for p, q in zip(ps, qs):
        np.testing.assert_allclose(p, q, rtol=1e-12)


@pytest.mark.parametrize("cls", [optimizers.Adagrad, optimizers.Adadelta, optimizers.Adamax,
                                 optimizers.Nadam])
def test_row_sparse_gradients_give_the_dense_result(rng, cls):
    table = rng.normal(size=(10, 3))
    dense_p, sparse_p = table.copy(), table.copy()
    dense_opt, sparse_opt = cls(), cls()
    for _ in range(6):
        ids = rng.integers(0, 10, size=(4,))
        grad = RowSparseGrad.from_ids(ids, rng.normal(size=(4, 3)), 10)
        dense_opt.apply_gradients([dense_p], [grad.to_dense()])
        sparse_opt.apply_gradients([sparse_p], [grad])
    np.testing.assert_allclose(sparse_p, dense_p, rtol=1e-12, atol=1e-15)
    if cls is optimizers.Adadelta:
        sparse_opt.settle()
        for key in ("accumulator", "delta_accumulator"):
            np.testing.assert_allclose(sparse_opt.state[0][key], dense_opt.state[0][key],
                                       rtol=1e-12, atol=1e-300)


def test_adagrad_sparse_update_touches_only_the_batch_rows(rng):
    table = rng.normal(size=(6, 2))
    before = table.copy()
    opt = optimizers.Adagrad()
    opt.apply_gradients([table], [RowSparseGrad(np.array([1, 4]), np.ones((2, 2)), (6, 2))])
    changed = np.any(table != before, axis=1)
    assert changed.tolist() == [False, True, False, False, True, False]


@pytest.mark.parametrize("name", ["adagrad", "adadelta", "adamax", "nadam"])
def test_save_load_continues_training_identically(tmp_path, rng, name):
    ids = rng.integers(0, 20, size=(32, 4))
    y = rng.integers(0, 2, size=(32,))

    def make():
        m = Sequential([Embedding(20, 3, input_length=4), Flatten(),
                        Dense(1, activation="sigmoid")])
        m.compile(name, "binary_crossentropy")
        return m

    model = make()
    model.fit(ids, y, epochs=2, batch_size=8, shuffle=False, verbose=0)
    model.save(tmp_path / "m.npz")
    restored = load_model(tmp_path / "m.npz")
    assert type(restored.optimizer) is type(model.optimizer)
    for m in (model, restored):
        m.fit(ids, y, epochs=1, batch_size=8, shuffle=False, verbose=0)
    for a, b in zip(model.get_weights(), restored.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("cls, kwargs, arg", [(optimizers.Adadelta, {"rho": 1.0}, "rho"),
                                              (optimizers.Adamax, {"beta_1": 1.5}, "beta_1"),
                                              (optimizers.Nadam, {"schedule_decay": -1},
                                               "schedule_decay"),
                                              (optimizers.Adagrad, {"lr": 0}, "lr")])
def test_bad_hyperparameters(cls, kwargs, arg):
    with pytest.raises(ValueError, match=arg):
        cls(**kwargs)
