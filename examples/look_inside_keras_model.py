"""Open a model trained in Keras in numrnn, and look at its LSTM gates over one review.

What it teaches: a Keras model is not a black box. The tutorial's ``lstm1``
(Embedding -> LSTM(1, activation='sigmoid')) is trained in Keras and saved as a
``.keras`` file; ``numrnn.convert.from_keras`` opens that file as a numrnn model with the
same predictions, and numrnn's ``internals()`` shows the input, forget and output gates,
the cell state and the output at every word of one review. ``gradcheck`` then confirms
the backward pass of that very LSTM against finite differences.

Without Keras installed (``pip install 'numrnn[convert-test]'`` brings it), the example
trains ``lstm1`` in numrnn instead and writes the ``.keras`` file with
``numrnn.convert.save_keras``, so the rest runs the same.

    python examples/look_inside_keras_model.py             # IMDB from $NUMRNN_DATA
    python examples/look_inside_keras_model.py --quick     # 2,000 reviews, one epoch
    python examples/look_inside_keras_model.py --no-keras --plot
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import numpy as np

import numrnn
from numrnn import convert
from numrnn.datasets import imdb
from numrnn.experiments.imdb import EMBEDDING_DIM, MAXLEN, build_model, load_imdb
from numrnn.layers import LSTM

OUTPUT = Path(__file__).resolve().parent / "output"


def train_in_keras(x, y, num_words: int, epochs: int, path: Path):
    """The tutorial's lstm1 in Keras 3, trained and saved as .keras; returns the Keras model."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import keras

    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((MAXLEN,), dtype="int32"),
                              keras.layers.Embedding(num_words, EMBEDDING_DIM),
                              keras.layers.LSTM(1, activation="sigmoid")])
    model.compile(optimizer="rmsprop", loss="binary_crossentropy", metrics=["accuracy"])
    model.fit(x, y, batch_size=128, epochs=epochs, verbose=0)
    model.save(path)
    return model


def train_in_numrnn(x, y, num_words: int, epochs: int, path: Path):
    """The fallback: lstm1 trained in numrnn, written as a Keras 3 .keras file."""
    numrnn.set_seed(0)
    model = build_model("lstm1", num_words)
    model.fit(x, y, batch_size=128, epochs=epochs, verbose=0, seed=0)
    convert.save_keras(model, path)
    return model


def gate_table(words: list[str], steps: dict[str, np.ndarray]) -> str:
    rows = [f"{'step':>4}  {'word':<14} {'i':>6} {'f':>6} {'g':>6} {'o':>6} {'c':>7} {'h':>6}"]
    for t, word in enumerate(words):
        values = [steps[k][t] for k in ("i", "f", "g", "o", "c", "h")]
        rows.append(f"{t + 1:>4}  {word[:14]:<14} " + " ".join(
            f"{v:>6.3f}" if k != 4 else f"{v:>7.3f}" for k, v in enumerate(values)))
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=os.environ.get("NUMRNN_DATA"),
                        help="folder with imdb.npz and imdb_word_index.json ($NUMRNN_DATA)")
    parser.add_argument("--quick", action="store_true", help="2,000 reviews, one epoch")
    parser.add_argument("--no-keras", action="store_true", help="do not use Keras even if "
                        "installed")
    parser.add_argument("--plot", action="store_true", help="draw the gates to "
                        "examples/output/look_inside_keras_model.png")
    args = parser.parse_args(argv)
    if not args.data:
        parser.error("give --data FOLDER or set NUMRNN_DATA (the folder with imdb.npz)")
    data = Path(args.data)
    (x_train, y_train), (x_test, y_test), num_words = load_imdb(data / "imdb.npz")
    n, epochs = (2000, 1) if args.quick else (len(x_train), 2)
    x, y = x_train[:n], y_train[:n]

    OUTPUT.mkdir(exist_ok=True)
    path = OUTPUT / "lstm1.keras"
    use_keras = not args.no_keras
    if use_keras:
        try:
            import keras  # noqa: F401
        except ImportError:
            use_keras = False
    source = "Keras" if use_keras else "numrnn (Keras is not installed)"
    print(f"Training the tutorial's lstm1 in {source} on {n} reviews, {epochs} epoch(s) ...")
    trained = (train_in_keras if use_keras else train_in_numrnn)(x, y, num_words, epochs, path)

    net = convert.from_keras(path)
    print(f"\nOpened {path.name} in numrnn:")
    net.summary()
    kwargs = {"verbose": 0} if use_keras else {}
    diff = float(np.abs(net.predict(x_test[:256]) - trained.predict(x_test[:256], **kwargs)).max())
    print(f"largest |numrnn - {'Keras' if use_keras else 'trained model'}| prediction "
          f"difference on 256 test reviews: {diff:.2e}")

    # One test review, word by word (the padded 20 ids of pad_sequences)
    index = {rank + 3: word for word, rank in imdb.get_word_index(data /
                                                                    "imdb_word_index.json").items()}
    index |= {0: "<pad>", 1: "<start>", 2: "<oov>"}
    review = x_test[:1]
    words = [index.get(int(i), "?") for i in review[0]]
    p = float(net.predict(review)[0, 0])
    lstm = net.layers[1]
    steps = {k: v[0, :, 0] for k, v in lstm.internals().items()}
    print(f"\nTest review 0 (label {int(y_test[0])}), predicted p(positive) = {p:.3f}:")
    print(gate_table(words, steps))
    print("i, f, o: input, forget and output gates; g: candidate; c: cell state; "
          "h = o * sigmoid(c): the output")

    # gradcheck the loaded LSTM itself (in float64) on the review's word vectors
    check = LSTM(1, activation="sigmoid", dtype="float64")
    check.build((None, MAXLEN, EMBEDDING_DIM))
    check.set_weights(lstm.get_weights())
    vectors = net.layers[0].params["embeddings"][review].astype(np.float64)
    report = numrnn.gradcheck(check, vectors)
    print(f"\ngradcheck of the loaded LSTM: worst relative error {report.worst:.1e}")

    if args.plot:
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(10, 4))
        for k in ("i", "f", "o", "c", "h"):
            ax.plot(range(1, MAXLEN + 1), steps[k], marker="o", label=k)
        ax.set_xticks(range(1, MAXLEN + 1), words, rotation=60, ha="right")
        ax.set_title(f"lstm1 from {path.name}: gates over one review (p = {p:.3f})")
        ax.legend()
        fig.tight_layout()
        fig.savefig(OUTPUT / "look_inside_keras_model.png")
        plt.close(fig)
    return {"source": "keras" if use_keras else "numrnn", "max_abs_diff": diff,
            "words": words, "steps": steps, "probability": p,
            "gradcheck_error": report.worst}


if __name__ == "__main__":
    main()
