"""A stateful character model over a long text, trained in chunks (Keras' ``stateful=True``).

What it teaches: a text far longer than one training sequence can still be learned as one
sequence. The text is cut into ``B`` parallel streams; batch k holds the k-th chunk of
``T`` characters of every stream. With ``stateful=True`` the LSTM's final (h, c) of batch k
are the initial states of batch k+1, so row j of every batch continues row j of the batch
before: information flows across chunk borders (gradients do not: truncated BPTT).
Two rules follow, as in Keras: a fixed batch size (``batch_input_shape``) and
``fit(shuffle=False)``; ``reset_states()`` at the start of each pass over the text.

The run also checks the claim behind it: the stateful model reading the streams chunk by
chunk gives the same outputs as the same weights reading each whole stream at once. It then
generates text one character at a time with a batch-1 copy of the model, again stateful.

    python examples/stateful_char_rnn.py                  # numrnn's own docstrings as the text
    python examples/stateful_char_rnn.py --text book.txt --epochs 30
    python examples/stateful_char_rnn.py --quick          # a small, fast run (the smoke test)
"""

from __future__ import annotations

import argparse
import ast
from pathlib import Path

import numpy as np

import numrnn
from numrnn.layers import LSTM, Dense, Embedding
from numrnn.models import Sequential
from numrnn.optimizers import RMSprop


def default_text() -> str:
    """A long English text found on every machine with numrnn: its own docstrings."""
    parts = []
    for path in sorted(Path(numrnn.__file__).parent.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef)):
                doc = ast.get_docstring(node)
                if doc:
                    parts.append(" ".join(doc.split()))
    return "\n".join(parts)


def streams(ids: np.ndarray, batch: int, steps: int):
    """Inputs and next-character targets, arranged for a stateful model.

    The text is cut into ``batch`` streams of equal length (a multiple of ``steps``); the
    rows of x are [chunk 0 of streams 0..B-1, chunk 1 of streams 0..B-1, ...], so that
    ``fit(batch_size=batch, shuffle=False)`` gives batch k = chunk k of every stream.
    """
    per_stream = (len(ids) - 1) // batch // steps * steps
    if per_stream == 0:
        raise ValueError(f"text: {len(ids)} characters; need more than batch * steps = "
                         f"{batch * steps}")
    x = ids[: batch * per_stream].reshape(batch, per_stream)
    y = ids[1 : batch * per_stream + 1].reshape(batch, per_stream)

    def chunked(a):  # (B, n*T) -> (n*B, T), chunk-major
        return a.reshape(batch, -1, steps).transpose(1, 0, 2).reshape(-1, steps)

    return chunked(x), chunked(y), x, y


def build(vocab: int, batch: int, steps: int | None, units: int, stateful: bool = True):
    model = Sequential()
    model.add(Embedding(vocab, 16, batch_input_shape=(batch, steps)))
    model.add(LSTM(units, return_sequences=True, stateful=stateful))
    model.add(Dense(vocab, activation="softmax"))
    model.compile(RMSprop(lr=0.005), "sparse_categorical_crossentropy")
    return model


def reset_states(model) -> None:
    """``model.reset_states()`` (Keras); layer by layer where the model lacks it."""
    if hasattr(model, "reset_states"):
        model.reset_states()
        return
    for layer in model.layers:
        if getattr(layer, "stateful", False):
            layer.reset_states()


def generate(model, seed_text: str, stoi, itos, length: int, rng) -> str:
    """Feed ``seed_text`` one character per call, then sample ``length`` characters."""
    reset_states(model)
    probs = None
    for ch in seed_text:
        probs = model.predict(np.array([[stoi[ch]]]), batch_size=1)[0, -1]
    out = []
    for _ in range(length):
        p = probs.astype(np.float64)
        nxt = int(rng.choice(len(p), p=p / p.sum()))
        out.append(itos[nxt])
        probs = model.predict(np.array([[nxt]]), batch_size=1)[0, -1]
    return seed_text + "".join(out)


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--text", help="a UTF-8 text file (default: numrnn's docstrings)")
    p.add_argument("--epochs", type=int, default=20)
    p.add_argument("--batch", type=int, default=32, help="parallel streams (32)")
    p.add_argument("--steps", type=int, default=64, help="characters per chunk (64)")
    p.add_argument("--units", type=int, default=128)
    p.add_argument("--chars", type=int, default=None, help="use only the first N characters")
    p.add_argument("--quick", action="store_true", help="small and fast (the smoke test)")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    if args.quick:
        args.epochs, args.batch, args.steps, args.units, args.chars = 4, 16, 32, 48, 12_000
    numrnn.set_seed(args.seed)
    text = Path(args.text).read_text(encoding="utf-8") if args.text else default_text()
    text = text[: args.chars] if args.chars else text
    itos = sorted(set(text))
    stoi = {c: i for i, c in enumerate(itos)}
    ids = np.array([stoi[c] for c in text], np.int64)
    x, y, x_streams, _ = streams(ids, args.batch, args.steps)
    n_chunks = len(x) // args.batch
    print(f"text: {len(text)} characters, {len(itos)} distinct; {args.batch} streams x "
          f"{n_chunks} chunks of {args.steps} characters")

    model = build(len(itos), args.batch, args.steps, args.units)
    losses = []
    for epoch in range(args.epochs):
        reset_states(model)  # each pass starts at the beginning of every stream
        hist = model.fit(x, y, batch_size=args.batch, epochs=1, shuffle=False, verbose=0)
        losses.append(hist.history["loss"][-1])
        print(f"epoch {epoch + 1}/{args.epochs}: loss {losses[-1]:.4f} "
              f"({losses[-1] / np.log(2):.3f} bits per character)")

    # The claim: chunk by chunk with carried states == each whole stream at once.
    reset_states(model)
    chunked = np.concatenate([model.predict(x[k * args.batch:(k + 1) * args.batch],
                                            batch_size=args.batch)
                              for k in range(n_chunks)], axis=1)
    whole_model = build(len(itos), args.batch, None, args.units, stateful=False)
    whole_model.set_weights(model.get_weights())
    whole = whole_model.predict(x_streams, batch_size=args.batch)
    difference = float(np.abs(chunked - whole).max())
    print(f"stateful chunks vs whole streams: max |difference| {difference:.2e}")

    sampler = build(len(itos), 1, 1, args.units)
    sampler.set_weights(model.get_weights())
    sample = generate(sampler, text[:20], stoi, itos, 120 if not args.quick else 40,
                      np.random.default_rng(args.seed))
    print("sample: " + sample.replace("\n", " "))
    return {"losses": losses, "difference": difference, "sample": sample,
            "chars": len(text), "chunks": n_chunks}


if __name__ == "__main__":
    main()
