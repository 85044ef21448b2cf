"""Encoder-decoder (seq2seq), with and without attention: read digits aloud in Korean.

What it teaches: how a seq2seq model is put together from the layers you know, and why
attention helps. The task turns a number's digits into its Sino-Korean reading, so input
and output lengths differ:   1 2 3 4 5 6 7  ->  백 이 십 삼 만 사 천 오 백 육 십 칠

- The encoder LSTM reads the digits; its final state (h, c) initialises the decoder.
- The decoder LSTM is trained with teacher forcing (input: <s> + the true syllables).
- Decoding is greedy: each predicted syllable is fed back as the next input.
- With attention, every decoder step also takes a weighted average of *all* encoder
  states (numrnn.layers.Attention), so long inputs need not squeeze through (h, c).

The model is written the Keras way, with the functional API: ``Input`` tensors, layers
called on them (the encoder's ``return_state=True`` states feed the decoder's
``initial_state=``), and ``Model(inputs, outputs)`` trained with ``fit``. For decoding,
two more models reuse the same (shared) layers, as in Keras' seq2seq example.

``Seq2Seq`` below is "what happens inside": the same network composed by hand, forward and
backward calling the layers one by one, which is exactly what the Model's engine does. The
script checks that both compute the same probabilities from the same weights, and checks
the gradients by finite differences.

    python examples/seq2seq.py            # about 1-2 minutes on a laptop CPU
    python examples/seq2seq.py --quick    # smaller, for the smoke tests

Short runs depend a lot on the seed (the initial weights and the shuffling). Measured with
``--quick`` (8 epochs), exact-match accuracy on 6-7 digit numbers without / with attention:
seed 0: 0.11 / 0.17, seed 1: 0.25 / 0.66, seed 2: 0.14 / 0.88. The default is seed 1.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

import numrnn
from numrnn import losses
from numrnn.layers import LSTM, Attention, Concatenate, Dense, Embedding, Input
from numrnn.models import Model
from numrnn.optimizers import RMSprop
from numrnn.sparse import RowSparseGrad

DIGITS = "영일이삼사오육칠팔구"
SYLLABLES = ["", "<s>", "</s>"] + list("일이삼사오육칠팔구십백천만영")  # id 0: padding
S2I = {s: i for i, s in enumerate(SYLLABLES)}
MAX_DIGITS = 7


def _under_10000(n: int) -> str:
    out = ""
    for unit, name in ((1000, "천"), (100, "백"), (10, "십"), (1, "")):
        d = n // unit % 10
        if d:
            out += ("" if d == 1 and name else DIGITS[d]) + name  # 십, not 일십
    return out


def korean_reading(n: int) -> str:
    """1234567 -> 백이십삼만사천오백육십칠 (the standard Sino-Korean reading)."""
    if n == 0:
        return "영"
    man, rest = divmod(n, 10000)
    head = ("" if man == 1 else _under_10000(man)) + "만" if man else ""
    return head + _under_10000(rest)


def make_data(n: int, rng: np.random.Generator):
    """Numbers with 1..7 digits, equally many of each length."""
    lengths = rng.integers(1, MAX_DIGITS + 1, n)
    numbers = [int(rng.integers(10 ** (k - 1) if k > 1 else 0, 10**k)) for k in lengths]
    x = np.zeros((n, MAX_DIGITS), np.int64)                # digit d -> id d+1, post-padded
    readings = [korean_reading(v) for v in numbers]
    out_len = max(len(r) for r in readings) + 1
    y_in = np.zeros((n, out_len), np.int64)
    y_out = np.zeros((n, out_len), np.int64)
    for k, (v, r) in enumerate(zip(numbers, readings)):
        digits = [int(c) + 1 for c in str(v)]
        x[k, : len(digits)] = digits
        ids = [S2I[c] for c in r]
        y_in[k, : len(ids) + 1] = [S2I["<s>"]] + ids      # teacher forcing input
        y_out[k, : len(ids) + 1] = ids + [S2I["</s>"]]    # what to predict
    return x, y_in, y_out, np.array(numbers), readings


def build_models(units: int = 64, attention: bool = False):
    """The encoder-decoder with Input/Model: (training model, encoder model, decoder step model).

    Training (teacher forcing):  [digits, <s> + syllables] -> next-syllable probabilities.
    Decoding: the step model takes the digits (for attention over the encoder states), one
    token and the decoder state (h, c), and returns the probabilities and the new state.
    """
    enc_in = Input(shape=(None,), dtype="int32", name="digits")
    dec_in = Input(shape=(None,), dtype="int32", name="syllables_in")
    enc_emb = Embedding(MAX_DIGITS + 4, 16, mask_zero=True, name="enc_emb")
    enc = LSTM(units, return_sequences=True, return_state=True, name="encoder")
    dec_emb = Embedding(len(SYLLABLES), 16, mask_zero=True, name="dec_emb")
    dec = LSTM(units, return_sequences=True, return_state=True, name="decoder")
    out = Dense(len(SYLLABLES), activation="softmax", name="probs")
    if attention:
        att = Attention(name="attention")
        combine = Dense(units, activation="tanh", name="combine")  # [state; context] -> units

    def head(dec_seq, enc_seq):
        if not attention:
            return out(dec_seq)
        context = att([dec_seq, enc_seq])          # the digits' mask flows in with enc_seq
        return out(combine(Concatenate()([dec_seq, context])))

    enc_seq, h, c = enc(enc_emb(enc_in))
    dec_seq, _, _ = dec(dec_emb(dec_in), initial_state=[h, c])
    model = Model([enc_in, dec_in], head(dec_seq, enc_seq))

    encoder = Model(enc_in, [h, c])
    h_in, c_in = Input(shape=(units,)), Input(shape=(units,))
    step_in = Input(shape=(1,), dtype="int32")
    step_seq, h_out, c_out = dec(dec_emb(step_in), initial_state=[h_in, c_in])
    step = Model([enc_in, step_in, h_in, c_in], [head(step_seq, enc_seq), h_out, c_out])
    return model, encoder, step


def decode(encoder, step, x, max_len: int = 16):
    """Greedy decoding: each predicted syllable is fed back as the next input."""
    h, c = encoder.predict(x, batch_size=len(x))
    token = np.full((len(x), 1), S2I["<s>"])
    out, weights = [], []
    att = next((layer for layer in step.layers if isinstance(layer, Attention)), None)
    for _ in range(max_len):
        probs, h, c = step.predict([x, token, h, c], batch_size=len(x))
        if att is not None:
            weights.append(att.attention_weights[:, 0])
        token = probs.argmax(axis=-1)
        out.append(token[:, 0])
    ids = np.stack(out, axis=1)
    texts = []
    for row in ids:
        chars = []
        for i in row:
            if i == S2I["</s>"] or i == 0:
                break
            chars.append(SYLLABLES[i])
        texts.append("".join(chars))
    return texts, (np.stack(weights, axis=1) if weights else None)


class Seq2Seq:
    """Embedding -> LSTM encoder; Embedding -> LSTM decoder [-> Attention]; Dense(softmax)."""

    def __init__(self, units: int = 64, attention: bool = False):
        self.attention = attention
        self.enc_emb = Embedding(MAX_DIGITS + 4, 16, mask_zero=True)
        self.enc = LSTM(units, return_sequences=True, return_state=True)
        self.dec_emb = Embedding(len(SYLLABLES), 16, mask_zero=True)
        self.dec = LSTM(units, return_sequences=True, return_state=True)
        if attention:
            self.att = Attention()
            self.combine = Dense(units, activation="tanh")  # [decoder state; context] -> units
        self.out = Dense(len(SYLLABLES), activation="softmax")
        self.loss = losses.SparseCategoricalCrossentropy()
        self.layers = [self.enc_emb, self.enc, self.dec_emb, self.dec, self.out]
        if attention:
            self.layers += [self.att, self.combine]

    # ---- forward: encoder, then the whole target sequence at once (teacher forcing) ----
    def encode(self, x):
        self.x_mask = x != 0
        enc_seq, h, c = self.enc(self.enc_emb(x), mask=self.x_mask)
        return enc_seq, [h, c]

    def decoder_outputs(self, dec_seq, enc_seq):
        if not self.attention:
            return self.out(dec_seq)
        context = self.att([dec_seq, enc_seq], mask=self.x_mask)
        return self.out(self.combine(np.concatenate([dec_seq, context], axis=-1)))

    def forward(self, x, y_in):
        self.enc_seq, states = self.encode(x)
        self.dec_seq, _, _ = self.dec(self.dec_emb(y_in), initial_state=states)
        return self.decoder_outputs(self.dec_seq, self.enc_seq)

    # ---- backward: the same layers in reverse order --------------------------------------
    def backward(self, d_probs):
        d = self.out.backward(d_probs)
        d_enc_seq = None
        if self.attention:
            d_both = self.combine.backward(d)
            units = self.dec_seq.shape[-1]
            d_dec_seq, d_context = d_both[..., :units], d_both[..., units:]
            d_query, d_enc_seq = self.att.backward(d_context)
            d = d_dec_seq + d_query
        self.dec_emb.backward(self.dec.backward([d, None, None]))
        dh0, dc0 = self.dec.d_initial_state          # flows into the encoder's final state
        self.enc_emb.backward(self.enc.backward([d_enc_seq, dh0, dc0]))

    def weights(self):
        return [(layer, name) for layer in self.layers for name in layer.params]

    def copy_weights_from(self, model) -> None:
        """Take the functional model's weights (its layers are named in `build_models`)."""
        pairs = [(self.enc_emb, "enc_emb"), (self.enc, "encoder"), (self.dec_emb, "dec_emb"),
                 (self.dec, "decoder"), (self.out, "probs")]
        if self.attention:
            pairs.append((self.combine, "combine"))
        for mine, name in pairs:
            mine.set_weights(model.get_layer(name).get_weights())

    def loss_and_grad(self, x, y_in, y_out):
        probs = self.forward(x, y_in)
        mask = y_out != 0                             # padding does not count
        per_step = self.loss.per_sample(y_out, probs)
        weight = mask / mask.sum()
        grad = self.loss.gradient(y_out, probs) * (weight * mask.size)[..., None]
        return float((per_step * weight).sum()), grad

def check_gradients(attention: bool) -> float:
    """||analytic - numeric|| / (||analytic|| + ||numeric||) over random weight entries of a
    tiny float64 model (the measure numrnn.gradcheck uses)."""
    numrnn.backend.set_floatx("float64")
    try:
        numrnn.set_seed(0)
        rng = np.random.default_rng(0)
        model = Seq2Seq(units=5, attention=attention)
        x, y_in, y_out, _, _ = make_data(4, rng)
        _, grad = model.loss_and_grad(x, y_in, y_out)
        model.backward(grad)
        analytic, numeric = [], []
        for layer, name in model.weights():
            g = layer.grads[name]
            g = (g.to_dense() if isinstance(g, RowSparseGrad) else g).reshape(-1)
            w = layer.params[name].reshape(-1)
            for k in rng.choice(w.size, min(8, w.size), replace=False):
                old = w[k]
                w[k] = old + 1e-6
                plus = model.loss_and_grad(x, y_in, y_out)[0]
                w[k] = old - 1e-6
                minus = model.loss_and_grad(x, y_in, y_out)[0]
                w[k] = old
                analytic.append(g[k])
                numeric.append((plus - minus) / 2e-6)
        a, n = np.array(analytic), np.array(numeric)
        return float(np.linalg.norm(a - n) / (np.linalg.norm(a) + np.linalg.norm(n)))
    finally:
        numrnn.backend.set_floatx("float32")


def same_as_by_hand(attention: bool) -> float:
    """Largest |difference| between the Model's probabilities and the hand-composed network's,
    with the same weights (float64), at the real (unpadded) output steps. (At padded steps
    they differ on purpose: the Model's decoder gets the padding mask and carries its state
    there; the loss ignores those steps either way.)"""
    numrnn.backend.set_floatx("float64")
    try:
        numrnn.set_seed(0)
        x, y_in, _, _, _ = make_data(8, np.random.default_rng(2))
        model, _, _ = build_models(units=5, attention=attention)
        by_hand = Seq2Seq(units=5, attention=attention)
        by_hand.forward(x, y_in)                    # builds its layers
        by_hand.copy_weights_from(model)
        diff = np.abs(model.predict([x, y_in]) - by_hand.forward(x, y_in))
        return float(diff[y_in != 0].max())
    finally:
        numrnn.backend.set_floatx("float32")


def model_gradient_error(attention: bool) -> float:
    """numrnn.gradcheck of the whole functional model (float64, a tiny one): the largest
    |analytic - numeric| over the checked weight entries."""
    numrnn.backend.set_floatx("float64")
    try:
        numrnn.set_seed(0)
        x, y_in, y_out, _, _ = make_data(4, np.random.default_rng(0))
        model, _, _ = build_models(units=5, attention=attention)
        model.compile("sgd", "sparse_categorical_crossentropy")
        report = numrnn.gradcheck(model, [x, y_in], y_out, max_entries=8)
        return max(report.max_abs_difference.values())
    finally:
        numrnn.backend.set_floatx("float32")


def train(attention: bool, data, epochs: int, seed: int = 0):
    x, y_in, y_out = data
    numrnn.set_seed(seed)
    model, encoder, step = build_models(attention=attention)
    # The decoder's Embedding(mask_zero=True) masks the padded steps, so the loss is the mean
    # over the real output steps only (y_in and y_out are padded at the same positions).
    model.compile(RMSprop(lr=0.005, clipnorm=5.0), "sparse_categorical_crossentropy")
    model.fit([x, y_in], y_out, batch_size=64, epochs=epochs, verbose=2, seed=seed)
    return model, encoder, step


ROMAN = dict(zip("일이삼사오육칠팔구십백천만영",
                 "il i sam sa o yuk chil pal gu sip baek cheon man yeong".split()))


def plot_attention(weights, digits: str, reading: str) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib import font_manager

    hangul = next((f.name for f in font_manager.fontManager.ttflist
                   if any(k in f.name for k in ("Nanum", "Noto Sans CJK", "Noto Sans KR",
                                                "UnDotum", "Malgun"))), None)
    if hangul:
        plt.rcParams["font.family"] = hangul
    labels = [s if hangul else ROMAN[s] for s in reading]
    labels.append("</s>")
    fig, ax = plt.subplots(figsize=(6, 5))
    ax.imshow(weights[: len(labels), : len(digits)], cmap="viridis", aspect="auto")
    ax.set_xticks(range(len(digits)), list(digits))
    ax.set_yticks(range(len(labels)), labels)
    ax.set_xlabel("input digit (encoder step)")
    ax.set_ylabel("output syllable (decoder step)" + ("" if hangul else ", romanised"))
    ax.set_title(f"attention weights for {digits}")
    fig.tight_layout()
    out = Path(__file__).resolve().parent / "output" / "seq2seq_attention.png"
    out.parent.mkdir(exist_ok=True)
    fig.savefig(out, dpi=90)
    return out


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="less data and fewer epochs")
    p.add_argument("--epochs", type=int, default=None)
    p.add_argument("--no-plot", action="store_true")
    p.add_argument("--seed", type=int, default=1, help="initial weights and shuffling (1)")
    args = p.parse_args(argv)
    n_train, epochs = (5000, 8) if args.quick else (8000, 12)
    epochs = args.epochs or epochs
    rng = np.random.default_rng(0)
    x, y_in, y_out, _, _ = make_data(n_train, rng)
    x_test, _, _, numbers_test, readings_test = make_data(1400, np.random.default_rng(1))
    print("example:", numbers_test[0], "->", readings_test[0])
    errors = {a: check_gradients(a) for a in (False, True)}
    print(f"hand-written backward vs finite differences: worst relative error "
          f"{max(errors.values()):.1e}")
    model_errors = {a: model_gradient_error(a) for a in (False, True)}
    print(f"Model (functional API) vs finite differences: largest |difference| "
          f"{max(model_errors.values()):.1e}")
    same = max(same_as_by_hand(a) for a in (False, True))
    print(f"Model vs the hand-composed network, same weights: max |difference| {same:.1e}")
    lengths = np.array([len(str(v)) for v in numbers_test])
    results = {"gradient_error": max(errors.values()),
               "model_gradient_difference": max(model_errors.values()), "same_as_by_hand": same}
    for attention in (False, True):
        name = "with attention" if attention else "without attention"
        print(f"\ntraining {name} ({n_train} pairs, {epochs} epochs)")
        start = time.perf_counter()
        _, encoder, step = train(attention, (x, y_in, y_out), epochs, seed=args.seed)
        predicted, weights = decode(encoder, step, x_test)
        correct = np.array([p_ == r for p_, r in zip(predicted, readings_test)])
        by_length = {k: float(correct[lengths == k].mean()) for k in range(1, MAX_DIGITS + 1)}
        print(f"  {time.perf_counter() - start:.0f}s; exact-match accuracy {correct.mean():.3f}; "
              "by number of digits: "
              + " ".join(f"{k}:{v:.2f}" for k, v in by_length.items()))
        for v, p_, r in list(zip(numbers_test, predicted, readings_test))[:3]:
            print(f"  {v:>8} -> {p_:<14} {'ok' if p_ == r else 'want ' + r}")
        results[name] = {"accuracy": float(correct.mean()), "by_length": by_length}
        if attention and not args.no_plot:
            k = int(np.argmax(lengths))
            print(f"wrote {plot_attention(weights[k], str(numbers_test[k]), predicted[k])}")
    long_without = np.mean([results["without attention"]["by_length"][k] for k in (6, 7)])
    long_with = np.mean([results["with attention"]["by_length"][k] for k in (6, 7)])
    print(f"\n6-7 digit numbers: {long_without:.3f} without attention, {long_with:.3f} with")
    results["long_without"], results["long_with"] = float(long_without), float(long_with)
    return results


if __name__ == "__main__":
    main()
