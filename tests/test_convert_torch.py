"""numrnn.convert against real PyTorch: the module docs/convert.md defines, trained in
PyTorch, loads into numrnn with the same outputs and gradients, and the reverse."""

import numpy as np
import pytest

from numrnn import convert
from numrnn.convert.layouts import numbered_names
from numrnn.layers import (
    GRU,
    LSTM,
    Bidirectional,
    Dense,
    Dropout,
    Embedding,
    Flatten,
    SimpleRNN,
    SpatialDropout1D,
)
from numrnn.models import Sequential

pytestmark = pytest.mark.convert
torch = pytest.importorskip("torch", reason="numrnn[convert-test] (torch) is not installed")
nn = torch.nn

V, T = 30, 20


class Mirror(nn.Module):
    """The PyTorch module equivalent to a numrnn Sequential (as in docs/convert.md)."""

    def __init__(self, model):
        super().__init__()
        self.steps = []
        for layer, name in zip(model.layers, numbered_names(
                [type(layer).__name__ for layer in model.layers])):
            kind = type(layer).__name__
            if kind == "Embedding":
                self.add_module(name, nn.Embedding(layer.input_dim, layer.output_dim))
            elif kind == "Dense":
                self.add_module(name, nn.Linear(layer.input_shape[-1], layer.units,
                                                bias=layer.use_bias))
            elif kind in ("SimpleRNN", "LSTM", "GRU", "Bidirectional"):
                both = kind == "Bidirectional"
                rnn = layer.forward_layer if both else layer
                rnn_kind = type(rnn).__name__
                extra = {"nonlinearity": rnn.activation.name} if rnn_kind == "SimpleRNN" else {}
                cls = {"SimpleRNN": nn.RNN, "LSTM": nn.LSTM, "GRU": nn.GRU}[rnn_kind]
                self.add_module(name, cls(layer.input_shape[-1], rnn.units, batch_first=True,
                                          bias=rnn.use_bias, bidirectional=both, **extra))
            self.steps.append((name, kind, getattr(layer, "return_sequences", False),
                               getattr(getattr(layer, "activation", None), "name", None)))

    def forward(self, x):
        for name, kind, return_sequences, activation in self.steps:
            if kind == "Flatten":
                x = x.flatten(1)
            elif kind in ("Dropout", "SpatialDropout1D"):
                pass  # identity at inference
            elif kind in ("SimpleRNN", "LSTM", "GRU"):
                seq, _ = getattr(self, name)(x)
                x = seq if return_sequences else seq[:, -1]
            elif kind == "Bidirectional":  # [forward, backward]; final states from h_n
                seq, h_n = getattr(self, name)(x)
                h_n = h_n[0] if isinstance(h_n, tuple) else h_n  # LSTM: (h_n, c_n)
                x = seq if return_sequences else torch.cat([h_n[0], h_n[1]], -1)
            else:
                x = getattr(self, name)(x)
                if kind == "Dense" and activation != "linear":
                    x = {"softmax": lambda v: torch.softmax(v, -1)}.get(
                        activation, getattr(torch, activation, None)
                        or getattr(torch.nn.functional, activation))(x)
        return x


def _model(name):
    emb = Embedding(V, 8, input_length=T)
    return Sequential([emb] + {
        "ff": [Flatten(), Dense(1, activation="sigmoid")],
        "lstm32": [LSTM(32), Dense(1, activation="sigmoid")],
        "lstm4": [LSTM(4, return_sequences=True), Flatten(), Dense(1, activation="sigmoid")],
        "gru": [GRU(3, return_sequences=True), GRU(2), Dense(1, activation="sigmoid")],
        "rnn": [SimpleRNN(3, activation="relu", return_sequences=True),
                SimpleRNN(2, use_bias=False), Dense(3, activation="softmax"), Dense(1)],
        "bidirectional": [Dropout(0.3), Bidirectional(LSTM(3, return_sequences=True)),
                          SpatialDropout1D(0.2),
                          Bidirectional(SimpleRNN(2, activation="relu", return_sequences=True)),
                          Bidirectional(GRU(2)), Dense(1, activation="sigmoid")],
    }[name])


NAMES = ["ff", "lstm32", "lstm4", "gru", "rnn", "bidirectional"]


def _data(n=16):
    rng = np.random.default_rng(5)
    return rng.integers(0, V, (n, T)), (rng.random(n) < 0.5).astype(np.float32)


def _flat_numrnn_grads(net, x, y):
    for layer in net.layers:  # a training step would drop at random; compare without
        if isinstance(layer, Dropout):
            layer.rate = 0.0
    net.compile(optimizer="rmsprop", loss="binary_crossentropy" if name_is_prob(net) else "mse")
    _, grads = net.compute_gradients(x, y[:, None])
    return [g.to_dense() if hasattr(g, "to_dense") else g for g in grads]


def name_is_prob(net):
    return net.layers[-1].activation.name == "sigmoid"


@pytest.mark.parametrize("name", NAMES)
def test_module_trained_in_torch_loads_into_numrnn(name):
    x, y = _data()
    net = _model(name)
    torch.manual_seed(0)
    module = Mirror(net)
    opt = torch.optim.Adam(module.parameters(), lr=0.01)
    prob = name_is_prob(net)
    loss_fn = nn.BCELoss() if prob else nn.MSELoss()
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)[:, None]
    for _ in range(3):
        opt.zero_grad()
        loss_fn(module(xt), yt).backward()
        opt.step()
    convert.load_torch_state_dict(net, module.state_dict())
    with torch.no_grad():
        expected = module(xt).numpy()
    np.testing.assert_allclose(net.predict(x), expected, rtol=1e-5, atol=1e-6)
    # one step's gradients: numrnn's, in PyTorch's layout, against autograd's
    module.zero_grad()
    loss_fn(module(xt), yt).backward()
    theirs = {k: p.grad.numpy() for k, p in module.named_parameters()}
    grads = _flat_numrnn_grads(net, x, y)
    as_model = _model(name)
    as_model.set_weights(grads)
    ours = convert.torch_state_dict(as_model)
    for key, g in theirs.items():
        if "bias_hh_l0" in key and not isinstance(getattr(module, key.split(".")[0]), nn.GRU):
            key = key.replace("bias_hh", "bias_ih")  # one Keras bias: both get dL/db
        np.testing.assert_allclose(ours[key], g, rtol=1e-4, atol=1e-6, err_msg=key)


@pytest.mark.parametrize("name", NAMES)
def test_numrnn_model_loads_into_torch(name):
    x, y = _data()
    net = _model(name)
    net.compile(optimizer="rmsprop", loss="binary_crossentropy" if name_is_prob(net) else "mse")
    net.fit(x, y, batch_size=8, epochs=1, verbose=0, seed=0)
    module = Mirror(net)
    module.load_state_dict({k: torch.from_numpy(v)
                            for k, v in convert.torch_state_dict(net).items()})
    with torch.no_grad():
        out = module(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(out, net.predict(x), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("layer, message", [
    (LSTM(1, activation="sigmoid"), "activation='sigmoid'"),  # the tutorial's lstm1
    (LSTM(2, recurrent_activation="hard_sigmoid"), "recurrent_activation='hard_sigmoid'"),
    (GRU(2, reset_after=False), "reset_after=False"),
    (GRU(2, go_backwards=True), "go_backwards=True"),
    (Bidirectional(LSTM(2), merge_mode="sum"), "merge_mode='sum'"),
    (Bidirectional(GRU(2, reset_after=False)), "reset_after=False"),
])
def test_settings_pytorch_cannot_express_are_refused(layer, message):
    net = Sequential([Embedding(V, 4, input_length=T), layer])
    with pytest.raises(ValueError, match=message):
        convert.torch_state_dict(net)


def test_state_dict_of_another_module_is_refused_model_unchanged():
    net = _model("lstm32")
    before = [w.copy() for w in net.get_weights()]
    other = nn.LSTM(8, 32, batch_first=True, proj_size=4)  # a newer PyTorch option
    sd = {f"lstm.{k}": v for k, v in other.state_dict().items()}
    sd |= {"embedding.weight": torch.zeros(V, 8), "dense.weight": torch.zeros(1, 32),
           "dense.bias": torch.zeros(1)}
    with pytest.raises(ValueError, match="unexpected keys \\['lstm.weight_hr_l0'\\]"):
        convert.load_torch_state_dict(net, sd)
    for w, b in zip(net.get_weights(), before):
        np.testing.assert_array_equal(w, b)
