"""Next-character prediction with teacher forcing: learn "국민대학" and a few more words.

What it teaches: a many-to-many RNN predicts the next character at every step.
In training, *teacher forcing* feeds the true previous character as the next input:
  input  <s> 국 민 대 학
  target  국 민 대 학 </s>
To generate, the model gets <s> and the first character, and each predicted character
is fed back as the next input until it predicts </s>.
Without teacher forcing the model is trained on its own previous predictions. Early in
training those are mostly wrong, so it learns from inputs unlike the real words and a
mistake at one step spoils the inputs of all later steps: here it needs about twice as
many updates before it can spell every word.

    python examples/char_rnn_teacher_forcing.py
"""

from __future__ import annotations

import argparse

import numpy as np

import numrnn
from numrnn.layers import LSTM, Dense, Embedding
from numrnn.models import Sequential
from numrnn.optimizers import RMSprop

# Every word starts with a different character, so the first character names the word.
WORDS = ["국민대학", "서울역", "한국어사전", "컴퓨터", "인공지능", "딥러닝",
         "성북구정릉로", "자연어처리연구실", "소프트웨어학부", "순환신경망과장단기메모리"]
PAD, START, END = "", "<s>", "</s>"


def vocabulary(words):
    chars = sorted({c for w in words for c in w})
    itos = [PAD, START, END] + chars          # id 0 is padding (masked)
    return {c: i for i, c in enumerate(itos)}, itos


def encode(words, stoi, length):
    """Teacher-forcing pairs: x = <s> + word, y = word + </s>, padded with 0 at the end."""
    x = np.zeros((len(words), length), np.int64)
    y = np.zeros((len(words), length), np.int64)
    for k, w in enumerate(words):
        ids = [stoi[c] for c in w]
        x[k, : len(ids) + 1] = [stoi[START]] + ids
        y[k, : len(ids) + 1] = ids + [stoi[END]]
    return x, y


def build(vocab: int, length: int) -> Sequential:
    model = Sequential()
    model.add(Embedding(vocab, 16, input_length=length, mask_zero=True))
    model.add(LSTM(64, return_sequences=True))
    model.add(Dense(vocab, activation="softmax"))   # a distribution over characters per step
    model.compile(RMSprop(lr=0.01), "sparse_categorical_crossentropy", ["acc"])
    return model


def generate(model, first_char, stoi, itos, length) -> str:
    """Greedy generation: feed <s> and the first character, then each prediction."""
    x = np.zeros((1, length), np.int64)
    x[0, 0], x[0, 1] = stoi[START], stoi[first_char]
    out = first_char
    for t in range(1, length - 1):
        probs = model.predict(x)[0, t]
        nxt = int(np.argmax(probs))
        if itos[nxt] == END or nxt == 0:
            break
        out += itos[nxt]
        x[0, t + 1] = nxt
    return out


def free_running_inputs(model, x_true, length) -> np.ndarray:
    """Inputs without teacher forcing: <s> and the first character (as in generation), then
    the model's own greedy predictions."""
    x = np.zeros_like(x_true)
    x[:, :2] = x_true[:, :2]
    real = x_true > 0
    for t in range(2, length):
        pred = model.predict(x)[:, t - 1].argmax(axis=-1)
        x[:, t] = np.where(real[:, t], np.maximum(pred, 1), 0)  # keep the padding as it is
    return x


def train(teacher_forcing: bool, updates: int, stoi, itos, x, y, length, seed=0):
    """Train; every 10 updates, count the words generated exactly."""
    numrnn.set_seed(seed)
    model = build(len(stoi), length)
    losses, correct_by_update = [], {}
    for k in range(1, updates + 1):
        inputs = x if teacher_forcing else free_running_inputs(model, x, length)
        losses.append(float(model.train_on_batch(inputs, y)[0]))
        if k % 10 == 0:
            correct_by_update[k] = sum(generate(model, w[0], stoi, itos, length) == w
                                       for w in WORDS)
    return model, losses, correct_by_update


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--epochs", type=int, default=200, help="updates (one batch of all words)")
    p.add_argument("--quick", action="store_true", help="same run; for the smoke tests")
    args = p.parse_args(argv)
    stoi, itos = vocabulary(WORDS)
    length = max(len(w) for w in WORDS) + 1
    x, y = encode(WORDS, stoi, length)
    print(f"{len(WORDS)} words, {len(stoi) - 3} characters; teacher-forcing pair for "
          f"{WORDS[0]}:")
    print("  input :", [itos[i] or "." for i in x[0]])
    print("  target:", [itos[i] or "." for i in y[0]])
    results = {}
    for teacher_forcing in (True, False):
        model, losses, curve = train(teacher_forcing, args.epochs, stoi, itos, x, y, length)
        generated = {w: generate(model, w[0], stoi, itos, length) for w in WORDS}
        correct = sum(g == w for w, g in generated.items())
        solved = next((k for k, n in curve.items() if n == len(WORDS)), None)
        name = "with teacher forcing" if teacher_forcing else "without teacher forcing"
        print(f"\n{name}: loss {losses[0]:.3f} -> {losses[-1]:.3f} after {args.epochs} updates")
        print("  words spelled exactly, every 10 updates:",
              " ".join(str(n) for n in curve.values()))
        print(f"  all {len(WORDS)} words first spelled exactly after "
              f"{solved if solved else 'more than ' + str(args.epochs)} updates")
        for w, g in generated.items():
            print(f"  {w[0]} -> {g:<14} {'ok' if g == w else 'wrong (want ' + w + ')'}")
        results[name] = {"generated": generated, "correct": correct, "losses": losses,
                         "solved_at": solved}
    return results


if __name__ == "__main__":
    main()
