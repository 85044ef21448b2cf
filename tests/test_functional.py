"""The functional API: Input, Model, shared layers, return_state -> initial_state, masks along
the graph, merge layers, several inputs/outputs, summary, save/load, and float64 gradient
checks of whole functional models."""

import io
import json

import numpy as np
import pytest

import numrnn
from numrnn.gradcheck import gradcheck
from numrnn.layers import (
    GRU,
    LSTM,
    Add,
    Attention,
    Concatenate,
    Dense,
    Dot,
    Embedding,
    Flatten,
    Input,
    SimpleRNN,
)
from numrnn.models import Model, Sequential, load_model, model_from_json


def passed(report, rel=1e-6, absolute=1e-9) -> bool:
    """Every array's relative error is tiny, or (for arrays whose gradient is itself tiny) the
    largest absolute difference is at finite-difference noise level."""
    return all(err < rel or report.max_abs_difference[name] < absolute
               for name, err in report.relative_error.items())


def two_in_two_out():
    a = Input(shape=(5,), dtype="int32", name="ids")
    b = Input(shape=(4, 3), name="signal")
    seq, h, c = LSTM(4, return_sequences=True, return_state=True)(
        Embedding(10, 3, mask_zero=True)(a))
    dec = LSTM(4)(b, initial_state=[h, c])
    shared = Dense(2, activation="tanh", name="shared")
    o1 = Dense(1, activation="sigmoid", name="o1")(Concatenate()([shared(dec), shared(h)]))
    o2 = Dense(3, activation="softmax", name="o2")(Add()([dec, c]))
    return Model([a, b], [o1, o2])


def data(rng, n=6):
    xa = rng.integers(1, 10, (n, 5))
    xa[0, :2] = 0
    xa[3, :4] = 0
    return xa, rng.standard_normal((n, 4, 3)), rng.integers(0, 2, n), rng.integers(0, 3, n)


def test_two_inputs_two_outputs_gradcheck(float64, rng):
    model = two_in_two_out()
    model.compile("sgd", ["binary_crossentropy", "sparse_categorical_crossentropy"],
                  loss_weights=[1.0, 0.5])
    xa, xb, y1, y2 = data(rng)
    report = gradcheck(model, [xa, xb], [y1, y2])
    assert len(report.relative_error) == len(model.trainable_weights) == 13
    assert passed(report), str(report)


def test_loss_is_the_weighted_sum_of_output_losses(float64, rng):
    model = two_in_two_out()
    model.compile("sgd", {"o1": "binary_crossentropy", "o2": "sparse_categorical_crossentropy"},
                  metrics={"o2": ["acc"]}, loss_weights={"o1": 0.3, "o2": 2.0})
    assert model.metrics_names == ["loss", "o1_loss", "o2_loss", "o2_acc"]
    xa, xb, y1, y2 = data(rng)
    p1, p2 = model.predict({"ids": xa, "signal": xb})
    bce = -np.mean(y1 * np.log(p1[:, 0]) + (1 - y1) * np.log(1 - p1[:, 0]))
    sce = -np.mean(np.log(p2[np.arange(len(y2)), y2]))
    loss, l1, l2, acc = model.evaluate([xa, xb], [y1, y2], verbose=0)
    assert l1 == pytest.approx(bce) and l2 == pytest.approx(sce)
    assert loss == pytest.approx(0.3 * bce + 2.0 * sce)
    assert acc == pytest.approx(np.mean(p2.argmax(-1) == y2))
    history = model.fit([xa, xb], [y1, y2], epochs=3, batch_size=4, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]


def test_shared_layer_shares_weights_and_sums_gradients(float64, rng):
    """One LSTM reads two different sequences: the caches of the two calls must stay apart
    (else the gradient of the first call is computed from the second call's activations)."""
    a, b = Input(shape=(6, 3)), Input(shape=(4, 3))
    rnn = LSTM(5, name="shared_rnn")
    merged = Concatenate()([rnn(a), rnn(b)])
    model = Model([a, b], Dense(1)(merged))
    model.compile("sgd", "mse")
    assert [w.shape for w in model.trainable_weights].count((3, 20)) == 1  # one kernel
    xa, xb = rng.standard_normal((4, 6, 3)), 2 * rng.standard_normal((4, 4, 3))
    report = gradcheck(model, [xa, xb], rng.standard_normal((4, 1)))
    assert passed(report), str(report)
    # the shared layer's gradient is the sum of what each call alone contributes
    grads = model.compute_gradients([xa, xb], np.zeros((4, 1)))[1]
    assert np.abs(grads[0]).sum() > 0


def test_encoder_states_into_decoder_gradcheck(float64, rng):
    enc_in = Input(shape=(None,), dtype="int32")
    dec_in = Input(shape=(None,), dtype="int32")
    _, h, c = LSTM(4, return_state=True)(Embedding(8, 3, mask_zero=True)(enc_in))
    dec_seq = LSTM(4, return_sequences=True)(Embedding(9, 3, mask_zero=True)(dec_in),
                                             initial_state=[h, c])
    model = Model([enc_in, dec_in], Dense(9, activation="softmax")(dec_seq))
    model.compile("rmsprop", "sparse_categorical_crossentropy")
    x = rng.integers(1, 8, (5, 6))
    x[1, 4:] = 0
    y_in = rng.integers(1, 9, (5, 4))
    y_in[2, 3:] = 0
    report = gradcheck(model, [x, y_in], rng.integers(0, 9, (5, 4)))
    assert passed(report), str(report)


def test_return_state_values_feed_the_decoder(rng):
    """The graph computes exactly what calling the layers by hand computes."""
    enc, dec = LSTM(3, return_state=True), GRU(3, return_sequences=True)
    a, b = Input(shape=(5, 2)), Input(shape=(4, 2))
    _, h, _ = enc(a)
    model = Model([a, b], dec(b, initial_state=[h]))
    xa, xb = rng.standard_normal((2, 5, 2)), rng.standard_normal((2, 4, 2))
    _, h_hand, _ = enc(xa)
    expected = dec(xb, initial_state=[h_hand])
    np.testing.assert_allclose(model.predict([xa, xb]), expected, rtol=1e-6)


@pytest.mark.parametrize("rnn", [SimpleRNN, GRU, LSTM])
def test_mask_flows_through_the_graph(rng, rnn):
    """Left padding changes nothing when the mask flows Embedding -> RNN -> RNN -> Dense."""
    ids = Input(shape=(None,), dtype="int32")
    h = rnn(4, return_sequences=True)(Embedding(12, 3, mask_zero=True)(ids))
    out = Dense(1)(rnn(4)(h))
    model = Model(ids, out)
    for layer in model.layers[1:]:  # random biases too, so a padded step would change h
        layer.set_weights([rng.standard_normal(w.shape) for w in layer.get_weights()])
    x = rng.integers(1, 12, (3, 5))
    padded = np.concatenate([np.zeros((3, 2), int), x], axis=1)
    np.testing.assert_allclose(model.predict(padded), model.predict(x), rtol=1e-5, atol=1e-6)


def test_merge_layers_against_formulas(float64, rng):
    a, b = rng.standard_normal((2, 3, 4)), rng.standard_normal((2, 5, 4))
    np.testing.assert_allclose(Dot(axes=2)([a, b]), np.einsum("btd,bsd->bts", a, b), rtol=1e-5)
    cos = Dot(axes=(2, 2), normalize=True)([a, b])
    na = a / np.linalg.norm(a, axis=-1, keepdims=True)
    nb = b / np.linalg.norm(b, axis=-1, keepdims=True)
    np.testing.assert_allclose(cos, np.einsum("btd,bsd->bts", na, nb), rtol=1e-5)
    u, v = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))
    np.testing.assert_allclose(Dot(axes=1)([u, v]), (u * v).sum(1, keepdims=True), rtol=1e-5)
    np.testing.assert_allclose(Add()([u, v]), u + v, rtol=1e-6)
    np.testing.assert_allclose(Concatenate(axis=1)([a, b]), np.concatenate([a, b], 1), rtol=1e-6)


@pytest.mark.parametrize("make, shapes", [
    (lambda: Dot(axes=2), [(2, 3, 4), (2, 5, 4)]),
    (lambda: Dot(axes=(1, 2), normalize=True), [(2, 4, 3), (2, 5, 4)]),
    (lambda: Dot(axes=1, normalize=True), [(3, 4), (3, 4)]),
    (lambda: Concatenate(axis=1), [(2, 3, 4), (2, 5, 4)]),
    (lambda: Add(), [(2, 3), (2, 3), (2, 3)]),
    (lambda: numrnn.layers.merge.Multiply(), [(2, 3), (2, 3)]),
    (lambda: numrnn.layers.merge.Subtract(), [(2, 3), (2, 3)]),
    (lambda: numrnn.layers.merge.Average(), [(2, 3), (2, 3)]),
])
def test_merge_layer_gradients(float64, rng, make, shapes):
    report = gradcheck(make(), [rng.standard_normal(s) for s in shapes])
    assert report.worst < 1e-7, str(report)


def test_attention_in_a_graph_gradcheck(float64, rng):
    q_in, v_in = Input(shape=(3, 4)), Input(shape=(5, 4))
    query = SimpleRNN(4, return_sequences=True)(q_in)
    context = Attention(use_scale=True)([query, v_in])
    model = Model([q_in, v_in], Flatten()(Concatenate()([query, context])))
    model.compile("sgd", "mse")
    report = gradcheck(model, [rng.standard_normal((2, 3, 4)), rng.standard_normal((2, 5, 4))],
                       rng.standard_normal((2, 24)))
    assert passed(report), str(report)


SUMMARY = """\
__________________________________________________________________________________________________
Layer (type)                    Output Shape         Param #     Connected to                     
==================================================================================================
a (InputLayer)                  (None, 3)            0                                            
__________________________________________________________________________________________________
b (InputLayer)                  (None, 3)            0                                            
__________________________________________________________________________________________________
d (Dense)                       (None, 2)            8           a[0][0]                          
                                                                 b[0][0]                          
__________________________________________________________________________________________________
add_1 (Add)                     (None, 2)            0           d[0][0]                          
                                                                 d[1][0]                          
==================================================================================================
Total params: 8
Trainable params: 8
Non-trainable params: 0
__________________________________________________________________________________________________
"""  # noqa: W291 (Keras pads rows with spaces)


def test_summary_has_keras_21_connected_to_layout():
    a, b = Input(shape=(3,), name="a"), Input(shape=(3,), name="b")
    d = Dense(2, name="d")
    model = Model([a, b], Add()([d(a), d(b)]))
    out = io.StringIO()
    model.summary(print_fn=lambda line: out.write(line + "\n"))
    assert out.getvalue() == SUMMARY
    chain_in = Input(shape=(3,))
    chain = Model(chain_in, Dense(1)(Dense(2)(chain_in)))
    lines = []
    chain.summary(print_fn=lines.append)
    assert len(lines[0]) == 65 and "Connected to" not in lines[1]  # a chain: Sequential layout
    assert lines[3].startswith("input_1 (InputLayer)")


def test_save_load_and_json_round_trip(rng, tmp_path):
    model = two_in_two_out()
    model.compile("adam", ["binary_crossentropy", "sparse_categorical_crossentropy"],
                  metrics=["acc"], loss_weights=[1.0, 0.5])
    xa, xb, y1, y2 = data(rng)
    model.fit([xa, xb], [y1, y2], epochs=1, verbose=0)
    path = tmp_path / "f.npz"
    model.save(path)
    loaded = load_model(path)
    for p, q in zip(model.predict([xa, xb]), loaded.predict([xa, xb])):
        np.testing.assert_array_equal(p, q)
    assert loaded.metrics_names == model.metrics_names
    model.fit([xa, xb], [y1, y2], epochs=1, verbose=0, shuffle=False)
    loaded.fit([xa, xb], [y1, y2], epochs=1, verbose=0, shuffle=False)
    for a, b in zip(model.get_weights(), loaded.get_weights()):
        np.testing.assert_array_equal(a, b)
    clone = model_from_json(model.to_json())
    assert json.loads(clone.to_json())["config"] == json.loads(model.to_json())["config"]
    assert [w.shape for w in clone.get_weights()] == [w.shape for w in model.get_weights()]
    again = Model.from_config(model.get_config())
    assert [layer.name for layer in again.layers] == [layer.name for layer in model.layers]


def test_model_api(rng):
    model = two_in_two_out()
    assert model.get_layer("o1") is model.layers[-2 if model.layers[-1].name == "o2" else -1] \
        or model.get_layer("o1").name == "o1"
    assert model.get_layer(index=0).name == "ids"
    assert model.input_shape == [(None, 5), (None, 4, 3)]
    assert model.output_shape == [(None, 1), (None, 3)]
    assert len(model.inputs) == 2 and len(model.outputs) == 2
    with pytest.raises(ValueError, match="No such layer: 'nope'"):
        model.get_layer("nope")
    model.compile("sgd", "mse")
    xa, xb, y1, y2 = data(rng, 4)
    loss = model.train_on_batch([xa, xb], [y1, np.eye(3)[y2]])
    assert np.isfinite(loss[0])
    assert len(model.test_on_batch([xa, xb], [y1, np.eye(3)[y2]])) == 3
    assert [p.shape for p in model.predict_on_batch([xa, xb])] == [(4, 1), (4, 3)]
    weights = model.get_weights()
    model.set_weights([w * 0 for w in weights])
    assert all(not w.any() for w in model.get_weights())


@pytest.mark.parametrize("build, error, pattern", [
    (lambda: Model(Input(shape=(3,)), Dense(1)(Input(shape=(3,)))), ValueError,
     "Graph disconnected"),
    (lambda: (lambda x: Model(x, Dense(1, name="same")(Dense(2, name="same")(x))))(
        Input(shape=(3,))), ValueError, "All layer names should be unique"),
    (lambda: Flatten()(Embedding(5, 2, mask_zero=True)(Input(shape=(4,)))), TypeError,
     "does not support masking"),
    (lambda: Model(Dense(1)(Input(shape=(3,))), Input(shape=(3,))), ValueError,
     "is not an Input"),
    (lambda: Model([1], [2]), TypeError, "is not a symbolic tensor"),
    (lambda: LSTM(2)(Input(shape=(3,))), ValueError, "accepted: \\(batch, timesteps, features\\)"),
])
def test_graph_errors(build, error, pattern):
    with pytest.raises(error, match=pattern):
        build()


def test_wrong_number_of_arrays_names_the_inputs(rng):
    model = two_in_two_out()
    model.compile("sgd", "mse")
    with pytest.raises(ValueError, match=r"the model has 2 inputs \(ids, signal\)"):
        model.predict(rng.standard_normal((2, 5)))
    with pytest.raises(ValueError, match=r"loss: given 3 values for 2 outputs"):
        model.compile("sgd", ["mse"] * 3)


def test_symbolic_tensor_is_not_data():
    x = Input(shape=(3,))
    with pytest.raises(TypeError, match="is symbolic"):
        np.asarray(x) + 1


def test_sequential_is_a_model():
    model = Sequential([Dense(2, input_dim=3), Dense(1)])
    assert isinstance(model, Model)
    assert model.input_shape == (None, 3) and model.output_shape == (None, 1)
    assert [layer.name for layer in model.layers] == ["dense_1", "dense_2"]


def test_shared_embedding_sums_row_sparse_gradients(float64, rng):
    """Two calls of one Embedding: their row-sparse gradients (overlapping rows) add up."""
    a, b = Input(shape=(4,), dtype="int32"), Input(shape=(3,), dtype="int32")
    emb = Embedding(7, 3)
    merged = Concatenate()([Flatten()(emb(a)), Flatten()(emb(b))])
    model = Model([a, b], Dense(1)(merged))
    model.compile("sgd", "mse")
    report = gradcheck(model, [rng.integers(0, 7, (5, 4)), rng.integers(0, 7, (5, 3))],
                       rng.standard_normal((5, 1)))
    assert passed(report), str(report)


def test_weight_penalty_on_a_row_sparse_gradient(float64, rng):
    """add_regularization_gradients densifies an Embedding's row-sparse gradient."""

    class L1:
        def __call__(self, w):
            return 0.01 * float(np.abs(w).sum())

        def gradient(self, w):
            return 0.01 * np.sign(w)

        def get_config(self):
            return {}

    class RegularizedEmbedding(Embedding):
        def build(self, input_shape):
            super().build(input_shape)
            self._regularizers["embeddings"] = L1()

    model = Sequential([RegularizedEmbedding(9, 2, input_length=3), Flatten(), Dense(1)])
    model.compile("sgd", "mse")
    report = gradcheck(model, rng.integers(0, 4, (5, 3)), rng.standard_normal((5, 1)))
    assert passed(report), str(report)  # rows 4..8 get only the penalty's gradient
