"""numrnn.convert.to_onnx run by ONNX Runtime: the tutorial's four models, GRUs, SimpleRNN."""

import numpy as np
import pytest

from numrnn import convert
from numrnn.experiments.imdb import MAXLEN, build_model
from numrnn.layers import (
    GRU,
    LSTM,
    Activation,
    Bidirectional,
    Dense,
    Dropout,
    Embedding,
    GlobalAveragePooling1D,
    GlobalMaxPooling1D,
    Masking,
    Permute,
    RepeatVector,
    Reshape,
    SimpleRNN,
    SpatialDropout1D,
    TimeDistributed,
)
from numrnn.models import Sequential

pytestmark = pytest.mark.convert
pytest.importorskip("onnx", reason="numrnn[convert] (onnx) is not installed")
ort = pytest.importorskip("onnxruntime",
                          reason="numrnn[convert-test] (onnxruntime) is not installed")

V = 40


def _randomize(model, scale=0.5):
    rng = np.random.default_rng(1)
    model.set_weights([w + rng.normal(0, scale, w.shape).astype(w.dtype)
                       for w in model.get_weights()])
    return model


def _run(model, path, x):
    convert.to_onnx(model, path)
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    (inp,) = sess.get_inputs()
    return sess.run(["output"], {inp.name: x})[0]


def _models():
    return {
        **{name: (lambda name=name: build_model(name, V)) for name in
           ("ff", "lstm1", "lstm32", "lstm4")},
        "gru_reset_after": lambda: Sequential([
            Embedding(V, 4, input_length=MAXLEN), GRU(3, return_sequences=True),
            GRU(2, recurrent_activation="hard_sigmoid"), Dense(1, activation="sigmoid")]),
        "gru_reset_before": lambda: Sequential([
            Embedding(V, 4, input_length=MAXLEN),
            GRU(3, reset_after=False, go_backwards=True, return_sequences=True),
            GRU(2, reset_after=False), Dense(1, activation="sigmoid")]),
        "float_input": lambda: Sequential([
            SimpleRNN(3, input_shape=(None, 4), return_sequences=True),
            LSTM(2, recurrent_activation="hard_sigmoid", go_backwards=True),
            Dense(3, activation="softmax")]),
        "hard_sigmoid_keras3": lambda: Sequential([
            GRU(3, input_shape=(None, 4), recurrent_activation="hard_sigmoid_keras3",
                return_sequences=True),
            LSTM(2, recurrent_activation="hard_sigmoid_keras3"),
            Dense(2, activation="hard_sigmoid_keras3")]),
        "wrappers": lambda: Sequential([
            Embedding(V, 4, input_length=MAXLEN), Dropout(0.4), SpatialDropout1D(0.3),
            Bidirectional(LSTM(3, return_sequences=True)), TimeDistributed(Dense(4)),
            Activation("tanh"), Bidirectional(GRU(2, reset_after=False), merge_mode="sum"),
            Dense(1, activation="sigmoid")]),
        "shapes": lambda: Sequential([
            Permute((2, 1), input_shape=(9, 4)), Reshape((9, 4)),
            Bidirectional(SimpleRNN(3, return_sequences=True), merge_mode="mul"),
            GlobalMaxPooling1D(), RepeatVector(3),
            Bidirectional(GRU(2, return_sequences=True), merge_mode="ave"),
            GlobalAveragePooling1D(), RepeatVector(2), Bidirectional(LSTM(2)), Dense(2)]),
    }


FLOAT_INPUT = ("float_input", "hard_sigmoid_keras3", "shapes")


@pytest.mark.parametrize("name", list(_models()))
def test_onnx_runtime_matches_predict(name, tmp_path):
    model = _randomize(_models()[name](), 1.5)  # large enough for hard sigmoids to clip
    rng = np.random.default_rng(2)
    for batch in (1, 7):  # the batch dimension is dynamic
        if name in FLOAT_INPUT:
            x = rng.normal(size=(batch, 9, 4)).astype(np.float32)
        else:
            x = rng.integers(0, V, (batch, MAXLEN)).astype(np.int64)
        np.testing.assert_allclose(_run(model, tmp_path / "m.onnx", x), model.predict(x),
                                   rtol=1e-5, atol=1e-6)


def test_pooling_before_and_from_opset_18(tmp_path):
    """ReduceMean/ReduceMax take their axes as an attribute before opset 18, an input from it."""
    model = _randomize(_models()["shapes"]())
    x = np.random.default_rng(3).normal(size=(4, 9, 4)).astype(np.float32)
    for opset in (14, 18):
        convert.to_onnx(model, tmp_path / "m.onnx", opset=opset)
        sess = ort.InferenceSession(str(tmp_path / "m.onnx"), providers=["CPUExecutionProvider"])
        np.testing.assert_allclose(sess.run(["output"], {"input": x})[0], model.predict(x),
                                   rtol=1e-5, atol=1e-6)


def test_to_onnx_refusals(tmp_path):
    masked = Sequential([Embedding(V, 4, mask_zero=True), LSTM(2)])
    with pytest.raises(ValueError, match="mask_zero=True"):
        convert.to_onnx(masked, tmp_path / "m.onnx")
    with pytest.raises(ValueError, match=r"'masking_\d+' \(Masking\) has no ONNX export"):
        convert.to_onnx(Sequential([Masking(input_shape=(3, 2)), LSTM(2)]), tmp_path / "m.onnx")
    with pytest.raises(ValueError, match="opset=9"):
        convert.to_onnx(build_model("ff", V), tmp_path / "m.onnx", opset=9)
    with pytest.raises(ValueError, match="float32"):
        convert.to_onnx(Sequential([Dense(1, input_dim=2, dtype="float64")]), tmp_path / "m.onnx")
    assert list(tmp_path.iterdir()) == []
