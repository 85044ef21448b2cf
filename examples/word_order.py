"""Does word order matter in the last 20 words of an IMDB review? Shuffle it and see.

What it teaches: an experiment that tests a claim instead of assuming it. The tutorial's
four models (ff, lstm1, lstm32, lstm4) are trained twice: on the last 20 words of each review
as written, and on the same 20 words in a random order (each review shuffled once, training
and test alike; the padding stays in front). If the LSTMs used the order, shuffling would
cost them accuracy; the feed-forward model sees positions too, so it is shuffled the same way.

    NUMRNN_DATA=../shared/data python examples/word_order.py           # 2 seeds, ~1-2 minutes
    NUMRNN_DATA=../shared/data python examples/word_order.py --quick   # 5,000 reviews, 2 epochs
"""

from __future__ import annotations

import argparse
import os

import numpy as np

from numrnn.experiments.imdb import load_imdb, run_experiment

MODELS = ("ff", "lstm1", "lstm32", "lstm4")


def shuffle_words(x: np.ndarray, seed: int) -> np.ndarray:
    """Each row's non-zero ids in a random order; the zeros (padding) stay in front."""
    rng = np.random.default_rng(seed)
    keys = rng.random(x.shape)
    keys[x == 0] = -1.0  # padding sorts first
    return np.take_along_axis(x, np.argsort(keys, axis=1), axis=1)


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="5,000 reviews, 2 epochs, 1 seed")
    p.add_argument("--seeds", type=int, default=2)
    p.add_argument("--data", default=os.environ.get("NUMRNN_DATA"),
                   help="folder of imdb.npz (default: $NUMRNN_DATA)")
    args = p.parse_args(argv)
    if not args.data:
        p.error("give --data or set NUMRNN_DATA to the folder of imdb.npz")
    (x_train, y_train), (x_test, y_test), num_words = load_imdb(
        os.path.join(args.data, "imdb.npz"))
    seeds, epochs = (1, 2) if args.quick else (args.seeds, 30)
    if args.quick:
        x_train, y_train, x_test, y_test = x_train[:5000], y_train[:5000], x_test[:5000], \
            y_test[:5000]
    data = {"as written": ((x_train, y_train), (x_test, y_test), num_words),
            "shuffled": ((shuffle_words(x_train, 1), y_train),
                         (shuffle_words(x_test, 2), y_test), num_words)}
    assert (np.sort(data["shuffled"][0][0], axis=1) == np.sort(x_train, axis=1)).all()
    print(f"example (ids of one review): {x_train[0]}\n   shuffled: {data['shuffled'][0][0][0]}")
    acc = {order: {m: [] for m in MODELS} for order in data}
    for order, d in data.items():
        for model in MODELS:
            for seed in range(seeds):
                acc[order][model].append(run_experiment(model, d, seed, epochs, verbose=0).test_acc)
    print(f"\ntest accuracy, mean over {seeds} seed(s)")
    print(f"{'model':<8}{'as written':>12}{'shuffled':>10}{'difference':>12}")
    diffs = {}
    for model in MODELS:
        a, s = np.mean(acc["as written"][model]), np.mean(acc["shuffled"][model])
        diffs[model] = float(a - s)
        print(f"{model:<8}{a:>12.4f}{s:>10.4f}{a - s:>+12.4f}")
    largest = max(diffs, key=lambda m: abs(diffs[m]))
    print(f"\nlargest change from shuffling: {diffs[largest] * 100:+.1f} points ({largest}); "
          f"LSTMs' mean change {np.mean([diffs[m] for m in MODELS[1:]]) * 100:+.1f} points, "
          f"ff's {diffs['ff'] * 100:+.1f}")
    return {"accuracy": acc, "difference": diffs, "seeds": seeds, "epochs": epochs}


if __name__ == "__main__":
    main()
