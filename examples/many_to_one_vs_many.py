"""The chapter's RNN structures side by side on small synthetic data.

What it teaches: the same LSTM can answer different shapes of question.
- many-to-one (scoring): read the whole sequence, answer once
  Embedding -> LSTM -> Dense(1, sigmoid); output (batch, 1)
- many-to-many (tagging): answer at every step
  Embedding -> LSTM(return_sequences=True) -> Dense(1, sigmoid) per step; output (batch, T, 1)
- many-to-one through all the states (the tutorial's experiment 4)
  Embedding -> LSTM(return_sequences=True) -> Flatten -> Dense(1, sigmoid)

The data are sequences of digits 1-9. Scoring task: "is the mean digit above 5?".
Tagging task, at every step: "is this digit larger than the one before it?" (it needs
one step of memory).

    python examples/many_to_one_vs_many.py
"""

from __future__ import annotations

import argparse

import numpy as np

import numrnn
from numrnn.layers import LSTM, Dense, Embedding, Flatten
from numrnn.models import Sequential
from numrnn.optimizers import RMSprop

T, VOCAB = 12, 10


def make_data(n: int, seed: int):
    rng = np.random.default_rng(seed)
    x = rng.integers(1, VOCAB, (n, T))
    score = (x.mean(axis=1) > 5).astype(int)                    # many-to-one target (n,)
    tags = np.zeros((n, T, 1))
    tags[:, 1:, 0] = x[:, 1:] > x[:, :-1]                       # many-to-many target (n, T, 1)
    return x, score, tags


def build(structure: str) -> Sequential:
    model = Sequential()
    model.add(Embedding(VOCAB, 8, input_length=T))
    if structure == "many-to-one":
        model.add(LSTM(16))
        model.add(Dense(1, activation="sigmoid"))
    elif structure == "many-to-many":
        model.add(LSTM(16, return_sequences=True))
        model.add(Dense(1, activation="sigmoid"))   # applied at every step
    else:  # many-to-one via all states + Flatten
        model.add(LSTM(4, return_sequences=True))
        model.add(Flatten())
        model.add(Dense(1, activation="sigmoid"))
    model.compile(RMSprop(lr=0.01), "binary_crossentropy", ["acc"])
    return model


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="less data and fewer epochs")
    args = p.parse_args(argv)
    n, epochs = (1000, 6) if args.quick else (4000, 10)
    x, score, tags = make_data(n, seed=0)
    x_test, score_test, tags_test = make_data(1000, seed=1)
    print("input x:", x.shape, "e.g.", x[0])
    print("many-to-one target:", score.shape, "e.g.", score[0])
    print("many-to-many target:", tags.shape, "e.g.", tags[0, :, 0].astype(int))
    results = {}
    for structure in ("many-to-one", "many-to-many", "many-to-one via Flatten"):
        numrnn.set_seed(0)
        model = build(structure)
        print(f"\n=== {structure} ===")
        model.summary()
        y, y_test = (tags, tags_test) if structure == "many-to-many" else (score, score_test)
        model.fit(x, y, epochs=epochs, batch_size=64, verbose=0)
        _, acc = model.evaluate(x_test, y_test, verbose=0)
        out = model.predict(x_test[:1])
        print(f"output shape for one sequence: {out.shape}; test accuracy {acc:.3f}")
        if structure == "many-to-many":
            print("  digits:   ", x_test[0])
            print("  predicted:", (out[0, :, 0] > 0.5).astype(int))
            print("  true tags:", tags_test[0, :, 0].astype(int))
        results[structure] = acc
    print("\nsummary: test accuracy. Two different tasks: the many-to-one models score whole")
    print("sequences (share of sequences right), the many-to-many model tags every step (share")
    print("of steps right); compare the two many-to-one rows with each other, not with tagging.")
    tasks = {"many-to-one": "scoring: share of correct sequences",
             "many-to-many": "tagging: share of correct steps",
             "many-to-one via Flatten": "scoring: share of correct sequences"}
    for structure, acc in results.items():
        print(f"  {structure + ' (' + tasks[structure] + ')':<64} {acc:.3f}")
    return results


if __name__ == "__main__":
    main()
