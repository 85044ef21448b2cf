"""The forward-only (inference) path of the recurrent layers: same values as the recording
path, no backward buffers, no stale backward values, and go_backwards' mask (issue 8, 3-5)."""

import itertools
import tracemalloc

import numpy as np
import pytest

from numrnn.layers import GRU, LSTM, SimpleRNN

RECURRENT = [SimpleRNN, LSTM, GRU]
B, T, D, H = 3, 6, 4, 5


def _random_biases(layer, rng):
    """Random biases too: with zero biases, zero inputs and states stay zero and a broken
    mask goes unnoticed."""
    layer.params["bias"][...] = rng.standard_normal(layer.params["bias"].shape)


def _left_padded_mask():
    m = np.ones((B, T), bool)
    m[0, :2] = False
    m[1, :4] = False
    return m


@pytest.mark.parametrize("cls, return_sequences, masked, go_backwards, with_state",
                         list(itertools.product(RECURRENT, [False, True], [False, True],
                                                [False, True], [False, True])))
def test_inference_equals_recording_forward(float64, rng, cls, return_sequences, masked,
                                            go_backwards, with_state):
    layer = cls(H, return_sequences=return_sequences, go_backwards=go_backwards,
                return_state=with_state)
    x = rng.standard_normal((B, T, D))
    layer.build((None, T, D))
    _random_biases(layer, rng)
    kw = {"mask": _left_padded_mask() if masked else None}
    if with_state:
        kw["initial_state"] = [rng.standard_normal((B, H)) for _ in layer.state_names]
    train = layer.forward(x, training=True, **kw)
    infer = layer.forward(x, training=False, **kw)
    train = train if isinstance(train, list) else [train]
    infer = infer if isinstance(infer, list) else [infer]
    assert len(train) == len(infer)
    for a, b in zip(train, infer):
        np.testing.assert_allclose(b, a, rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("cls", RECURRENT)
def test_backward_after_inference_call_matches_training_call(float64, rng, cls):
    """Step-through code calls layer(x) then backward: the gradients are those of that call."""
    layer = cls(H, return_sequences=True)
    x, dout = rng.standard_normal((B, T, D)), rng.standard_normal((B, T, H))
    layer(rng.standard_normal((B, T, D)), training=True)  # an earlier, different call
    layer(x)
    dx_infer = layer.backward(dout)
    g_infer = {k: v.copy() for k, v in layer.grads.items()}
    layer(x, training=True)
    dx_train = layer.backward(dout)
    np.testing.assert_allclose(dx_infer, dx_train, rtol=1e-13)
    for k in g_infer:
        np.testing.assert_allclose(g_infer[k], layer.grads[k], rtol=1e-13)


@pytest.mark.parametrize("cls, training", list(itertools.product(RECURRENT, [False, True])))
def test_forward_invalidates_backward_values_in_internals(rng, cls, training):
    """Issue 8, defect 3: after forward + backward, a new forward (same batch shape) must not
    report the old call's dh/dc/dz."""
    layer = cls(H, return_sequences=True)
    x = rng.standard_normal((B, T, D))
    out = layer(x, training=True)
    layer.backward(np.ones_like(out))
    assert "dh" in layer.internals()
    x2 = rng.standard_normal((B, T, D))
    out2 = layer(x2, training=training)
    parts = layer.internals()
    assert not {k for k in parts if k.startswith("d")}, sorted(parts)
    np.testing.assert_allclose(parts["h"], out2, rtol=1e-6)  # this call's values


@pytest.mark.parametrize("cls, return_sequences",
                         list(itertools.product(RECURRENT, [False, True])))
def test_inference_allocates_only_what_forward_needs(cls, return_sequences):
    """Issue 8, defect 4: a forward-only call allocates (and keeps) the input projection, the
    input copies, two state buffers and the outputs, not the backward caches (several times
    more: gates, derivatives, dh, dz, ... per step)."""
    b, t, d, h = 64, 50, 8, 32
    layer = cls(h, return_sequences=return_sequences)
    x = np.random.default_rng(0).standard_normal((b, t, d)).astype(np.float32)
    layer.build((None, t, d))
    item = 4
    projection = t * b * layer.n_gates * h * item
    # the input copy (and LSTM's transposed one), the projection, the outputs
    needed = projection + 2 * t * b * d * item + (2 * t * b * h * item if return_sequences else 0)
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    layer(x)
    kept, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak - before < needed + 200_000, (peak - before, needed)
    assert kept - before < needed + 100_000, (kept - before, needed)
    # ... and the training call does allocate its caches (so the bound above can fail)
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    layer(x, training=True)
    kept_training = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    assert kept_training > 2 * projection


@pytest.mark.parametrize("cls", RECURRENT)
def test_go_backwards_reverses_the_mask_with_the_outputs(rng, cls):
    """Issue 8, defect 5: a left-padded sequence through go_backwards (return_sequences) and
    then a second recurrent layer gives what the unpadded sequence gives."""
    first = cls(H, go_backwards=True, return_sequences=True)
    second = cls(H)
    pad, n = 2, T - 2
    x = rng.standard_normal((1, n, D)).astype(np.float32)
    padded = np.concatenate([np.zeros((1, pad, D), np.float32), x], axis=1)
    mask = np.arange(T)[None] >= pad
    for layer, d in ((first, D), (second, H)):
        layer.build((None, None, d))
        _random_biases(layer, rng)
    seq = first(padded, mask=mask)
    out = second(seq, mask=first.compute_mask(padded, mask))
    expected = second(first(x))
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(first.compute_mask(padded, mask), mask[:, ::-1])


@pytest.mark.parametrize("return_sequences, masked, go_backwards, activations",
                         [(False, False, False, ("tanh", "sigmoid")),
                          (True, True, True, ("tanh", "sigmoid")),
                          (True, True, False, ("sigmoid", "sigmoid")),
                          (False, True, True, ("relu", "hard_sigmoid"))])
def test_lstm_feature_major_inference_equals_recording_forward(
        float64, rng, monkeypatch, return_sequences, masked, go_backwards, activations):
    """From FEATURE_MAJOR_MIN_BATCH samples on, LSTM's inference loop runs transposed with
    the gates reordered; it must give the recording path's values."""
    from numrnn.layers import recurrent

    b = recurrent.FEATURE_MAJOR_MIN_BATCH
    used = []
    original = LSTM._infer_steps_feature_major
    monkeypatch.setattr(LSTM, "_infer_steps_feature_major",
                        lambda self, *a: used.append(1) or original(self, *a))
    layer = LSTM(H, activation=activations[0], recurrent_activation=activations[1],
                 return_sequences=return_sequences, go_backwards=go_backwards,
                 return_state=True)
    layer.build((None, T, D))
    _random_biases(layer, rng)
    mask = np.ones((b, T), bool)
    if masked:
        mask[: b // 2, :3] = False
        mask[-1, 4:] = False
    kw = {"mask": mask if masked else None,
          "initial_state": [rng.standard_normal((b, H)) for _ in range(2)]}
    x = rng.standard_normal((b, T, D))
    train = layer.forward(x, training=True, **kw)
    infer = layer.forward(x, **kw)
    assert used == [1]
    for a, c in zip(train, infer):
        np.testing.assert_allclose(c, a, rtol=1e-13, atol=1e-15)


def test_model_predict_memory_is_bounded_by_the_batch_not_the_samples(rng):
    """Issue 8, defect 4, through a whole model: predict's peak memory, beyond its output,
    does not grow with the number of samples (it was 1.6 GiB for 25,000 reviews)."""
    from numrnn.layers import Dense, Embedding
    from numrnn.models import Sequential

    model = Sequential([Embedding(1000, 16, input_length=50), LSTM(64, return_sequences=True),
                        LSTM(64), Dense(1, activation="sigmoid")])
    model.compile("rmsprop", "binary_crossentropy")

    def peak_beyond_output(n: int) -> int:
        x = rng.integers(1, 1000, (n, 50))
        model.predict(x[:64], batch_size=64)  # warm up: workspaces for this batch shape
        tracemalloc.start()
        out = model.predict(x, batch_size=64)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        return peak - 2 * out.nbytes  # the output, and the list of batch outputs it joins

    small, large = peak_beyond_output(256), peak_beyond_output(4096)
    # one batch of 64 x 50 x 64 float32 per-step outputs is 0.8 MB; 16x the samples may not
    # raise the peak by more than one such batch
    assert large - small < 64 * 50 * 64 * 4, (small, large)
