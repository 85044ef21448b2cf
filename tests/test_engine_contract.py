"""The layer contract in numrnn/layers/base.py (CONTRACT.md) and its wiring in training:
unknown keyword arguments, add_weight(regularizer=, constraint=, trainable=), penalties in the
loss and its gradient, constraints after each update, activity regularizers applied by the
engine. The regularizer/constraint objects are tiny local ones with the documented API."""

import numpy as np
import pytest

from numrnn.gradcheck import gradcheck
from numrnn.layers import Dense, Input, Layer
from numrnn.layers.base import as_float_array
from numrnn.models import Model, Sequential


class L2:
    """penalty c * sum(w^2), gradient 2 c w (the API of numrnn.regularizers objects)."""

    def __init__(self, c):
        self.c = c

    def __call__(self, w):
        return self.c * float(np.sum(np.square(w)))

    def gradient(self, w):
        return 2 * self.c * w

    def get_config(self):
        return {"l2": self.c}


class Clip:
    """Constraint: project the weights into [-m, m]."""

    def __init__(self, m):
        self.m = m

    def __call__(self, w):
        return np.clip(w, -self.m, self.m)

    def get_config(self):
        return {"m": self.m}


class Scale(Layer):
    """y = x * w (+ a frozen offset b): one weight per feature, for testing the contract."""

    supports_masking = True

    def __init__(self, regularizer=None, constraint=None, activity_regularizer=None, **kwargs):
        self.regularizer, self.constraint = regularizer, constraint
        self.activity_regularizer = activity_regularizer
        super().__init__(**kwargs)

    def build(self, input_shape):
        d = input_shape[-1]
        self.add_weight("w", (d,), "ones", regularizer=self.regularizer,
                        constraint=self.constraint)
        self.add_weight("b", (d,), "zeros", trainable=False)
        super().build(input_shape)

    def forward(self, inputs, mask=None, training=False):
        self.x = as_float_array(inputs, self.dtype, "x")
        return self.x * self.params["w"] + self.params["b"]

    def backward(self, dout):
        self.grads = {"w": (dout * self.x).reshape(-1, self.x.shape[-1]).sum(0),
                      "b": np.zeros_like(self.params["b"])}
        return dout * self.params["w"]


def test_unknown_keyword_lists_own_and_base_arguments():
    with pytest.raises(TypeError) as info:
        Scale(regulariser=L2(1))
    message = str(info.value)
    assert "Scale got an unexpected keyword argument 'regulariser'" in message
    for name in ("regularizer", "constraint", "activity_regularizer", "name", "input_shape",
                 "batch_size", "weights"):
        assert name in message


def test_base_arguments_batch_size_and_weights():
    layer = Dense(2, input_shape=(3,), batch_size=8, weights=[np.ones((3, 2)), np.zeros(2)])
    assert layer.batch_input_shape == (8, 3)
    model = Sequential([layer])
    np.testing.assert_array_equal(model.get_weights()[0], np.ones((3, 2)))
    with pytest.raises(ValueError, match=r"dense_2/kernel has shape \(3, 2\), given \(2, 2\)"):
        Sequential([Dense(2, input_dim=3, weights=[np.ones((2, 2)), np.zeros(2)])])


def test_penalties_are_in_the_loss_and_the_gradient(float64, rng):
    act = L2(0.05)
    inp = Input(shape=(3,))
    scale = Scale(regularizer=L2(0.3), activity_regularizer=act)
    dense = Dense(2)
    model = Model(inp, dense(scale(inp)))
    model.compile("sgd", "mse")
    x, y = rng.standard_normal((5, 3)), rng.standard_normal((5, 2))
    scale.params["w"][...] = rng.standard_normal(3)
    hidden = x * scale.params["w"]
    pred = hidden @ dense.params["kernel"] + dense.params["bias"]
    expected = np.mean((pred - y) ** 2) + 0.3 * np.sum(scale.params["w"] ** 2) + \
        0.05 * np.sum(hidden ** 2)
    assert model.evaluate(x, y, verbose=0) == pytest.approx(expected, rel=1e-12)
    report = gradcheck(model, x, y)
    assert "scale_1/b" not in report.relative_error  # frozen: not trained, not checked
    assert report.worst < 1e-7, str(report)


def test_constraints_after_every_update_and_frozen_weights(rng):
    model = Sequential([Scale(constraint=Clip(0.5), input_shape=(3,)), Dense(1)])
    model.compile("sgd", "mse")
    assert len(model.trainable_weights) == 3  # w, kernel, bias; not b
    model.layers[0].params["b"][...] = 7.0
    x = rng.standard_normal((32, 3))
    model.fit(x, 5 * x.sum(1), epochs=2, batch_size=8, verbose=0)
    w = model.layers[0].params["w"]
    assert np.all(np.abs(w) <= 0.5) and np.any(np.abs(w) == 0.5)
    np.testing.assert_array_equal(model.layers[0].params["b"], 7.0)
    lines = []
    model.summary(print_fn=lines.append)
    assert "Trainable params: 7" in lines and "Non-trainable params: 3" in lines


def test_regularization_loss_and_gradients_hooks(float64):
    layer = Scale(regularizer=L2(2.0))
    layer.build((None, 2))
    layer.params["w"][...] = [1.0, -3.0]
    assert layer.regularization_loss() == pytest.approx(2.0 * 10)
    layer.grads = {"w": np.zeros(2), "b": np.zeros(2)}
    layer.add_regularization_gradients()
    np.testing.assert_allclose(layer.grads["w"], [4.0, -12.0])
