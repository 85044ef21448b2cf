"""Generate Korean text one character at a time: greedy, temperature and top-k sampling.

What it teaches: a character-level LSTM trained to predict the next character gives, for
any context, a probability p_i for every character i of its vocabulary. Generating means
choosing one character, appending it to the context and asking again. How to choose:
- greedy: always the most likely character. Deterministic; it repeats what it memorised.
- temperature T: sample from q_i = exp(z_i / T) / sum_j exp(z_j / T), where z_i = log p_i
  are the logits (up to a constant, which the softmax ignores). T = 1 is the model's own
  distribution, T < 1 sharpens it (T -> 0 is greedy), T > 1 flattens it.
- top-k: keep only the k most likely characters and renormalise,
  q_i = p_i / sum_{j in top k} p_j for i in the top k, else 0. k = 1 is greedy.
The chapter's example, "국민대학", is generated step by step: at every step the example
prints the context the model reads, its top candidates with p (the model's probability) and
q (the probability the sample is drawn from) and the character it drew.

The training text ships with the example (TEXT below, written for it). The model is trained
on windows of WINDOW characters to predict the next character after every prefix of the
window (many-to-many), so at generation it can read from 1 up to WINDOW characters: the
context is the last WINDOW characters generated so far.

    python examples/generate_korean.py                  # about a minute
    python examples/generate_korean.py --quick          # a shorter text, fewer epochs
    python examples/generate_korean.py --temperature 1.2 --top-k 0 --seed 3
"""

from __future__ import annotations

import argparse

import numpy as np

import numrnn
from numrnn.layers import LSTM, Dense, Embedding
from numrnn.models import Sequential
from numrnn.optimizers import RMSprop
from numrnn.preprocessing.text import Tokenizer

# Sentences written for this example. The text is read as a loop (after the last sentence
# comes the first again), so every character, the last one included, has a next character.
TEXT = (
    "국민대학 학생들은 순환 신경망을 배운다. "
    "순환 신경망은 순차적 데이터를 한 글자씩 읽는다. "
    "앞먹임 신경망은 입력 전체를 한꺼번에 본다. "
    "사라지는 경사 때문에 먼 과거의 글자는 배우기 어렵다. "
    "엘에스티엠은 셀 상태에 긴 기억을 담아 둔다. "
    "국민대학 도서관에는 딥러닝 책이 많다. "
    "다음 글자를 맞히는 모델은 새 글을 지어낼 수 있다. "
    "온도가 낮으면 흔한 글자를 고르고 온도가 높으면 낯선 글자도 고른다. "
)
QUICK_TEXT = TEXT[: TEXT.index("앞먹임")]       # the first two sentences
WINDOW = 16                                       # characters the model reads
SHOWN = 5                                         # candidates printed per step


# ---- sampling -------------------------------------------------------------------------
def apply_temperature(probs: np.ndarray, temperature: float) -> np.ndarray:
    """q_i = exp(z_i / T) / sum_j exp(z_j / T) with logits z_i = log p_i.

    Since softmax(z) = p, this is q_i = p_i^(1/T) / sum_j p_j^(1/T). T = 0 means the limit
    T -> 0: all probability on the most likely character (ties: the first one).
    """
    if temperature < 0:
        raise ValueError(f"temperature={temperature!r}; accepted: a number >= 0")
    probs = np.asarray(probs, np.float64)
    if temperature == 0:
        q = np.zeros_like(probs)
        q[np.argmax(probs)] = 1.0
        return q
    logits = np.log(np.maximum(probs, 1e-300)) / temperature
    logits -= logits.max()                    # the same q, without overflow
    q = np.exp(logits)
    return q / q.sum()


def keep_top_k(probs: np.ndarray, k: int) -> np.ndarray:
    """q_i = p_i / sum_{j in top k} p_j for the k largest p_i, 0 for the others (k = 0: all).

    Ties at the k-th place are broken by position, so exactly k characters remain.
    """
    if k < 0:
        raise ValueError(f"top_k={k!r}; accepted: an int >= 0 (0 keeps every character)")
    probs = np.asarray(probs, np.float64)
    if k == 0 or k >= len(probs):
        return probs / probs.sum()
    keep = np.argsort(-probs, kind="stable")[:k]
    q = np.zeros_like(probs)
    q[keep] = probs[keep]
    return q / q.sum()


def sampling_distribution(probs: np.ndarray, temperature: float, top_k: int) -> np.ndarray:
    """Temperature first, then top-k (either order keeps the same k characters, because
    p -> p^(1/T) does not change which probabilities are largest)."""
    return keep_top_k(apply_temperature(probs, temperature), top_k)


# ---- data and model -------------------------------------------------------------------
def windows(ids: np.ndarray, window: int) -> tuple[np.ndarray, np.ndarray]:
    """Every window of the looped text, x (n, window), and the characters one step later,
    y (n, window): at step t the model has read x[:, :t+1] and must predict y[:, t]."""
    looped = np.concatenate([ids, ids[: window + 1]])
    x = np.stack([looped[s : s + window] for s in range(len(ids))])
    y = np.stack([looped[s + 1 : s + window + 1] for s in range(len(ids))])
    return x, y


def build(vocab: int) -> Sequential:
    model = Sequential()
    model.add(Embedding(vocab + 1, 32))              # ids 1..vocab (0 is never used)
    model.add(LSTM(128, return_sequences=True))      # a prediction after every character
    model.add(Dense(vocab, activation="softmax"))    # p over ids 1..vocab, at every step
    model.compile(RMSprop(lr=0.01), "sparse_categorical_crossentropy", ["acc"])
    return model


class CharModel:
    """The trained model with its tokenizer: next_probs(context) -> p over the characters."""

    def __init__(self, model: Sequential, tokenizer: Tokenizer):
        self.model, self.tokenizer = model, tokenizer
        self.chars = [tokenizer.index_word[i] for i in range(1, len(tokenizer.word_index) + 1)]

    def next_probs(self, context: str) -> np.ndarray:
        ids = self.tokenizer.texts_to_sequences([context[-WINDOW:]])[0]
        x = np.array([ids], np.int64)         # 1 to WINDOW characters, as in training
        return self.model.predict(x)[0, -1].astype(np.float64)


def generate(cm: CharModel, start: str, length: int, temperature: float, top_k: int,
             rng: np.random.Generator, trace: list | None = None) -> str:
    """Append `length` characters to `start`, each drawn from the sampling distribution.
    With `trace`, record (context, p, q, drawn index) for every step."""
    text = start
    for _ in range(length):
        p = cm.next_probs(text)
        q = sampling_distribution(p, temperature, top_k)
        k = int(rng.choice(len(q), p=q))
        if trace is not None:
            trace.append((text[-WINDOW:], p, q, k))
        text += cm.chars[k]
    return text


def copied_share(sample: str, text: str, n: int = 4) -> float:
    """Share of the sample's n-character pieces that occur in the (looped) training text."""
    looped = text + text[: n - 1]
    pieces = [sample[s : s + n] for s in range(len(sample) - n + 1)]
    return sum(piece in looped for piece in pieces) / len(pieces)


def print_trace(trace, chars) -> None:
    print(f"  {'step':>4}  {'context (what the model reads)':<{WINDOW + 2}}  "
          f"top {SHOWN} candidates: 'char' p -> q{'':<30}drawn")
    for step, (context, p, q, k) in enumerate(trace, 1):
        order = np.argsort(-p, kind="stable")[:SHOWN]
        cands = "  ".join(f"'{chars[i]}' {p[i]:.4f}->{q[i]:.4f}" for i in order)
        print(f"  {step:>4}  \"{context}\"{'':<{WINDOW - len(context)}}  {cands}  '{chars[k]}'")


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true",
                    help="the first two sentences, fewer epochs (for the smoke test)")
    ap.add_argument("--epochs", type=int, default=None, help="default 40 (quick: 60)")
    ap.add_argument("--temperature", type=float, default=0.8, help="for the traced run")
    ap.add_argument("--top-k", type=int, default=5, help="for the traced run; 0 keeps all")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--start", default="국", help="the first character(s)")
    args = ap.parse_args(argv)
    if args.temperature < 0:
        ap.error(f"--temperature {args.temperature}; accepted: a number >= 0")
    if args.top_k < 0:
        ap.error(f"--top-k {args.top_k}; accepted: an int >= 0")
    text = QUICK_TEXT if args.quick else TEXT
    epochs = args.epochs if args.epochs is not None else (60 if args.quick else 40)
    if epochs <= 0:
        ap.error(f"--epochs {epochs}; accepted: a positive int")

    tokenizer = Tokenizer(char_level=True)
    tokenizer.fit_on_texts([text])
    unknown = sorted(set(args.start) - set(tokenizer.word_index))
    if unknown:
        ap.error(f"--start {args.start!r} has characters not in the training text: {unknown}")
    ids = np.array(tokenizer.texts_to_sequences([text])[0])
    x, y = windows(ids, WINDOW)
    numrnn.set_seed(args.seed)
    model = build(len(tokenizer.word_index))
    print(f"training text: {len(text)} characters, {len(tokenizer.word_index)} different; "
          f"{len(x)} windows of {WINDOW} -> next character; {epochs} epochs")
    history = model.fit(x, y - 1, batch_size=32, epochs=epochs, verbose=0, seed=args.seed)
    loss, acc = history.history["loss"][-1], history.history["acc"][-1]
    print(f"last epoch: loss {loss:.4f}, next-character accuracy {acc:.4f}")
    cm = CharModel(model, tokenizer)

    rng = np.random.default_rng(args.seed)
    print(f"\nGenerating from \"{args.start}\" with temperature {args.temperature:g}, "
          f"top-k {args.top_k or 'off'}; p = the model's probability, q = the probability "
          "the character is drawn from (after temperature and top-k):")
    trace: list = []
    traced = generate(cm, args.start, 12, args.temperature, args.top_k, rng, trace)
    print_trace(trace, cm.chars)
    print(f"  generated: \"{traced}\"")

    # how the temperature reshapes one distribution: the step where the model was least sure
    entropies = [-(p * np.log(np.maximum(p, 1e-300))).sum() for _, p, _, _ in trace]
    context, p, _, _ = trace[int(np.argmax(entropies))]
    order = np.argsort(-p, kind="stable")[:3]
    reshaped = {t: apply_temperature(p, t) for t in (0.5, 1.0, 2.0)}
    print(f"\nThe least sure step (context \"{context}\"): its 3 likeliest characters "
          "under three temperatures")
    for t, q in reshaped.items():
        print(f"  T = {t:<4g}" + "  ".join(f"'{cm.chars[i]}' {q[i]:.4f}" for i in order))

    print(f"\nSamples of 40 characters from \"{args.start}\" (share of 4-character pieces "
          "copied from the training text):")
    settings = {"greedy (T = 0)": (0.0, 0), "top-k 1": (1.0, 1), "T = 0.5": (0.5, 0),
                "T = 1": (1.0, 0), "T = 1, top-k 3": (1.0, 3), "T = 2": (2.0, 0)}
    samples = {}
    for name, (t, k) in settings.items():
        sample = generate(cm, args.start, 40, t, k, np.random.default_rng(args.seed))
        samples[name] = sample
        print(f"  {name:<16} {copied_share(sample, text):.2f}  \"{sample}\"")
    greedy = samples["greedy (T = 0)"]
    looped = text * (2 + len(greedy) // len(text))
    memorised = greedy in looped
    same = greedy == samples["top-k 1"]
    print(f"greedy and top-k 1 give the same text: {'yes' if same else 'no'}"
          f"; the greedy text is a passage of the training text: {'yes' if memorised else 'no'}")
    return {"text": text, "chars": cm.chars, "trace": trace, "traced": traced,
            "reshaped": reshaped, "reshaped_order": order, "samples": samples,
            "memorised": memorised, "loss": loss, "acc": acc}


if __name__ == "__main__":
    main()
