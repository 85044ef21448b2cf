"""Look inside trained LSTMs: gates and cell state over the words of real IMDB reviews.

What it teaches: what i, f, o, g (the chapter's C~), c and h do while a trained model reads
a review. It trains the tutorial's lstm1 (one unit with activation='sigmoid', so its h_t is
the predicted probability that the review is positive, after every word) and lstm4 (four
units whose every state feeds a Dense layer), then draws one heat map per model: one row per
gate or state (and unit), one column per word of the review's last 20 words.

    NUMRNN_DATA=../shared/data python examples/lstm_gates_imdb.py          # ~10-20 s
    NUMRNN_DATA=../shared/data python examples/lstm_gates_imdb.py --plot-dir docs/images
    NUMRNN_DATA=../shared/data python examples/lstm_gates_imdb.py --quick  # 5,000 reviews
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import numpy as np

from numrnn import backend
from numrnn.callbacks import EarlyStopping
from numrnn.datasets import imdb
from numrnn.experiments.imdb import build_model, load_imdb

OUTPUT = Path(__file__).resolve().parent / "output"
NAMES = ("i", "f", "o", "g", "c", "h")


def id_to_word(data_dir: str) -> dict[int, str]:
    """imdb ids back to words: id = rank + 3; 0 padding, 1 start, 2 unknown."""
    index = imdb.get_word_index(os.path.join(data_dir, "imdb_word_index.json"))
    words = {rank + 3: word for word, rank in index.items()}
    words.update({0: "<pad>", 1: "<start>", 2: "<unk>"})
    return words


def train(name: str, data, epochs: int, seed: int = 0):
    (x_train, y_train), _, num_words = data
    backend.clear_session()
    backend.set_seed(seed)
    model = build_model(name, num_words)
    model.fit(x_train, y_train, epochs=epochs, batch_size=128, validation_split=0.2,
              callbacks=[EarlyStopping(monitor="val_acc")], verbose=0)
    return model


def read_review(model, x_one: np.ndarray) -> dict[str, np.ndarray]:
    """Run the Embedding and the LSTM on one review; the LSTM's per-step values (T, units)."""
    embedding, lstm = model.layers[0], model.layers[1]
    lstm.forward(embedding.forward(x_one[None]))
    parts = lstm.internals()
    return {name: parts[name][0] for name in NAMES}


def pick_reviews(x_test, y_test, count: int = 2) -> list[int]:
    """The first positive and the first negative test review with 20 real words."""
    full = np.flatnonzero((x_test > 2).all(axis=1))
    picks = [int(full[y_test[full] == label][0]) for label in (1, 0)]
    return picks[:count]


def plot(name: str, parts: dict[str, np.ndarray], words: list[str], title: str,
         plot_dir: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    units = parts["h"].shape[1]
    top_names = [n for n in NAMES if n != "c"]   # gates and h: values in [-1, 1]
    top = np.concatenate([parts[n].T for n in top_names])
    label = (lambda n, u: n) if units == 1 else (lambda n, u: f"{n}[{u}]")
    fig, (ax, ax_c) = plt.subplots(
        2, 1, figsize=(11, 2.2 + 0.36 * 6 * units),
        gridspec_kw={"height_ratios": [5, 1.4]}, sharex=True)
    image = ax.imshow(top, cmap="RdBu_r", vmin=-1, vmax=1, aspect="auto")
    ax.set_yticks(range(len(top)), [label(n, u) for n in top_names for u in range(units)],
                  fontsize=8)
    for k in range(1, len(top_names)):
        ax.axhline(k * units - 0.5, color="black", lw=0.8)
    limit = max(1e-6, float(np.abs(parts["c"]).max()))
    image_c = ax_c.imshow(parts["c"].T, cmap="PuOr_r", vmin=-limit, vmax=limit, aspect="auto")
    ax_c.set_yticks(range(units), [label("c", u) for u in range(units)], fontsize=8)
    if units == 1:  # small enough to print every value
        for row, values in enumerate(top):
            for col, v in enumerate(values):
                ax.text(col, row, f"{v:.2f}", ha="center", va="center", fontsize=6)
        for col, v in enumerate(parts["c"][:, 0]):
            ax_c.text(col, 0, f"{v:.2f}", ha="center", va="center", fontsize=6)
    ax_c.set_xticks(range(len(words)), words, rotation=60, ha="right", fontsize=8)
    ax.set_title(title, fontsize=10)
    fig.colorbar(image, ax=ax, fraction=0.025, pad=0.01, label="gates, h")
    fig.colorbar(image_c, ax=ax_c, fraction=0.025, pad=0.01, label="c")
    fig.tight_layout()
    out = plot_dir / f"{name}_gates.png"
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=80)
    plt.close(fig)
    return out


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="5,000 reviews and 2 epochs")
    p.add_argument("--no-plot", action="store_true")
    p.add_argument("--plot-dir", type=Path, default=OUTPUT, help=f"default {OUTPUT}")
    p.add_argument("--data", default=os.environ.get("NUMRNN_DATA"),
                   help="folder of imdb.npz and imdb_word_index.json (default: $NUMRNN_DATA)")
    args = p.parse_args(argv)
    if not args.data:
        p.error("give --data or set NUMRNN_DATA to the folder of imdb.npz")
    (x_train, y_train), (x_test, y_test), num_words = load_imdb(
        os.path.join(args.data, "imdb.npz"))
    if args.quick:
        x_train, y_train = x_train[:5000], y_train[:5000]
        num_words = max(num_words, int(x_test.max()) + 1)
    data = ((x_train, y_train), (x_test, y_test), num_words)
    vocab = id_to_word(args.data)
    picks = pick_reviews(x_test, y_test)
    result = {}
    for name in ("lstm1", "lstm4"):
        model = train(name, data, epochs=2 if args.quick else 30)
        for k in picks:
            parts = read_review(model, x_test[k])
            prob = float(model.predict(x_test[k : k + 1])[0, 0])
            words = [vocab.get(int(i), "?") for i in x_test[k]]
            label = "positive" if y_test[k] else "negative"
            print(f"{name}, test review {k} ({label}): predicted P(positive) = {prob:.3f}")
            print("   words:", " ".join(words))
            for n in NAMES:
                print(f"   {n} (unit 0): " + " ".join(f"{v:+.2f}" for v in parts[n][:, 0]))
            result[(name, k)] = {"parts": parts, "probability": prob, "words": words}
            if not args.no_plot and k == picks[0]:
                what = ("h is P(positive) after each word" if name == "lstm1"
                        else "4 units per gate or state")
                title = (f"{name} reading test review {k} ({label}, predicted "
                         f"{prob:.2f}); {what}")
                print(f"wrote {plot(name, parts, words, title, args.plot_dir)}")
    return result


if __name__ == "__main__":
    main()
