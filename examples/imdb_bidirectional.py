"""A Bidirectional LSTM on the tutorial's IMDB data, next to the tutorial's four models.

What it teaches: ``Bidirectional(LSTM(32))`` reads the last 20 words forwards and
backwards and concatenates both final states (64 numbers) for the classifier. Same data,
optimizer, batch size, validation split and early stopping as examples/imdb_experiments.py,
so its best val_acc can be set beside the four models' medians in docs/results.md.

    NUMRNN_DATA=../shared/data python examples/imdb_bidirectional.py          # up to 30 epochs
    NUMRNN_DATA=../shared/data python examples/imdb_bidirectional.py --quick  # 2 epochs, 5000
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from numrnn import set_seed
from numrnn.callbacks import EarlyStopping
from numrnn.datasets import imdb
from numrnn.layers import LSTM, Bidirectional, Dense, Embedding
from numrnn.models import Sequential
from numrnn.optimizers import RMSprop
from numrnn.preprocessing.sequence import pad_sequences

RESULTS = Path(__file__).resolve().parents[1] / "docs" / "results" / "results.json"
MAXLEN = 20


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="5,000 reviews and 2 epochs")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    set_seed(args.seed)
    epochs = 2 if args.quick else 30

    (x_train, y_train), (x_test, y_test) = imdb.load_data()
    if args.quick:
        x_train, y_train, x_test, y_test = x_train[:5000], y_train[:5000], x_test[:5000], \
            y_test[:5000]
    x_train_seq, x_test_seq = pad_sequences(x_train, MAXLEN), pad_sequences(x_test, MAXLEN)
    num_words = int(max(x_train_seq.max(), x_test_seq.max())) + 1

    model = Sequential()
    model.add(Embedding(input_dim=num_words, output_dim=8, input_length=MAXLEN))
    model.add(Bidirectional(LSTM(32)))               # forward and backward final states, concat
    model.add(Dense(1, activation="sigmoid"))
    model.summary()
    model.compile(optimizer=RMSprop(), loss="binary_crossentropy", metrics=["acc"])
    history = model.fit(x_train_seq, y_train, epochs=epochs, batch_size=128,
                        validation_split=0.2, callbacks=[EarlyStopping(monitor="val_acc")],
                        verbose=2)
    best = max(history.history["val_acc"])
    test_loss, test_acc = model.evaluate(x_test_seq, y_test, batch_size=128, verbose=0)

    rows = [("bilstm32", best, test_acc, "this run" + (" (--quick)" if args.quick else ""))]
    if RESULTS.is_file():
        for entry in json.loads(RESULTS.read_text())["summary"]:
            rows.append((entry["experiment"], entry["median_best_val_acc"],
                         entry["median_test_acc"], "docs/results.md, median of "
                         f"{entry['seeds']} seeds"))
    print(f"\n{'model':<10} {'best val_acc':>12} {'test acc':>9}  source")
    for name, val, test, source in rows:
        print(f"{name:<10} {val:>12.4f} {test:>9.4f}  {source}")
    return {"val_acc": best, "test_acc": test_acc, "epochs": len(history.epoch),
            "rows": [r[0] for r in rows]}


if __name__ == "__main__":
    main()
