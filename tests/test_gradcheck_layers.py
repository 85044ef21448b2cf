"""Every layer's backward pass against central finite differences, in float64."""

import itertools

import numpy as np
import pytest

from numrnn.gradcheck import gradcheck
from numrnn.layers import GRU, LSTM, Dense, Embedding, Flatten, SimpleRNN

TOL = 1e-6
B, T, D, H = 3, 5, 4, 3


def _mask():
    m = np.ones((B, T), bool)
    m[0, :2] = False       # pre-padding
    m[1, 3:] = False       # post-padding
    m[2, 2] = False        # a hole
    return m


RECURRENT = [SimpleRNN, LSTM, GRU]
ACTIVATIONS = ["tanh", "sigmoid", "relu", "linear"]


@pytest.mark.parametrize("cls, return_sequences, masked, go_backwards",
                         list(itertools.product(RECURRENT, [False, True], [False, True],
                                                [False, True])))
def test_recurrent_layers(float64, rng, cls, return_sequences, masked, go_backwards):
    layer = cls(H, return_sequences=return_sequences, go_backwards=go_backwards)
    x = rng.standard_normal((B, T, D))
    report = gradcheck(layer, x, mask=_mask() if masked else None)
    assert set(report.relative_error) == {f"{layer.name}/{n}" for n in
                                          ("kernel", "recurrent_kernel", "bias", "inputs")}
    assert report.worst < TOL, str(report)


@pytest.mark.parametrize("cls, activation", list(itertools.product(RECURRENT, ACTIVATIONS)))
def test_recurrent_activations(float64, rng, cls, activation):
    layer = cls(H, activation=activation, return_sequences=True)
    report = gradcheck(layer, rng.standard_normal((B, T, D)))
    assert report.worst < TOL, str(report)


@pytest.mark.parametrize("cls", [LSTM, GRU])
@pytest.mark.parametrize("recurrent_activation", ["sigmoid", "hard_sigmoid", "tanh"])
def test_gate_activations(float64, rng, cls, recurrent_activation):
    layer = cls(H, recurrent_activation=recurrent_activation, return_sequences=True)
    report = gradcheck(layer, 0.5 * rng.standard_normal((B, T, D)), mask=_mask())
    assert report.worst < TOL, str(report)


def test_gru_reset_before(float64, rng):
    for masked in (False, True):
        layer = GRU(H, reset_after=False, return_sequences=True)
        report = gradcheck(layer, rng.standard_normal((B, T, D)), mask=_mask() if masked else None)
        assert layer.params["bias"].shape == (3 * H,)
        assert report.worst < TOL, str(report)


@pytest.mark.parametrize("cls", RECURRENT)
def test_initial_state_and_return_state(float64, rng, cls):
    layer = cls(H, return_sequences=True, return_state=True)
    n_states = 2 if cls is LSTM else 1
    states = [rng.standard_normal((B, H)) * 0.5 for _ in range(n_states)]
    report = gradcheck(layer, rng.standard_normal((B, T, D)), initial_state=states, mask=_mask())
    assert f"{layer.name}/initial_state[{n_states - 1}]" in report.relative_error
    assert report.worst < TOL, str(report)


def test_no_bias(float64, rng):
    for cls in RECURRENT:
        layer = cls(H, use_bias=False)
        report = gradcheck(layer, rng.standard_normal((B, T, D)))
        assert "bias" not in layer.params
        assert report.worst < TOL, str(report)


@pytest.mark.parametrize("activation", ACTIVATIONS + ["softmax", "softplus", "hard_sigmoid"])
@pytest.mark.parametrize("shape", [(B, D), (B, T, D)])
def test_dense(float64, rng, activation, shape):
    layer = Dense(5, activation=activation)
    report = gradcheck(layer, rng.standard_normal(shape))
    assert report.worst < TOL, str(report)


def test_embedding(float64, rng):
    layer = Embedding(11, 4)
    ids = rng.integers(0, 11, (B, T))
    ids[0, :3] = 7  # repeated ids must accumulate
    report = gradcheck(layer, ids)
    assert report.entries_checked[f"{layer.name}/embeddings"] == 44
    assert report.worst < TOL, str(report)


def test_flatten(float64, rng):
    layer = Flatten()
    x = rng.standard_normal((B, T, D))
    out = layer(x)
    assert out.shape == (B, T * D)
    np.testing.assert_array_equal(out[1, 2 * D + 3], x[1, 2, 3])  # C order: t * F + f
    dout = rng.standard_normal(out.shape)
    np.testing.assert_array_equal(layer.backward(dout), dout.reshape(B, T, D))


def test_gradcheck_catches_a_wrong_gradient(float64, rng):
    """The checker itself must be able to fail."""
    layer = LSTM(H)
    original = layer.__class__._backward_steps

    def broken(self, *args):
        dxs, states = original(self, *args)
        self.grads["recurrent_kernel"] = self.grads["recurrent_kernel"] * 1.01
        return dxs, states

    layer._backward_steps = broken.__get__(layer)
    report = gradcheck(layer, rng.standard_normal((B, T, D)))
    assert report.relative_error[f"{layer.name}/recurrent_kernel"] > 1e-3
    assert not report.passed()


def test_gradcheck_rejects_float32(rng):
    with pytest.raises(ValueError, match="float64"):
        gradcheck(LSTM(H), rng.standard_normal((B, T, D)))


@pytest.mark.parametrize("use_scale", [False, True])
@pytest.mark.parametrize("masked", [False, True])
def test_attention(float64, rng, use_scale, masked):
    from numrnn.layers import Attention

    layer = Attention(use_scale=use_scale)
    q, v = rng.standard_normal((B, 4, D)), rng.standard_normal((B, T, D))
    value_mask = _mask() if masked else None
    report = gradcheck(layer, [q, v], mask=value_mask)
    assert {f"{layer.name}/inputs[0]", f"{layer.name}/inputs[1]"} <= set(report.relative_error)
    assert report.worst < TOL, str(report)
    weights = layer.attention_weights
    np.testing.assert_allclose(weights.sum(-1), 1)
    if masked:
        assert (weights[~np.broadcast_to(value_mask[:, None, :], weights.shape)] < 1e-12).all()


def test_gradcheck_is_a_public_function_of_the_package(float64, rng):
    import numrnn

    report = numrnn.gradcheck(SimpleRNN(2), rng.standard_normal((2, 3, 4)))
    assert isinstance(report, numrnn.GradcheckReport) and report.passed()
