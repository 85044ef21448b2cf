# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 7. The IMDB experiments
#
# The tutorial's models on the last 20 words of each review, then the same words shuffled.
# [Guide, section 8](../../guide/en.md#8-the-imdb-experiments)

# %%
# ruff: noqa: E402  (a notebook imports in the cell that first needs it)
import os
import sys
from pathlib import Path

# the repository root (for numrnn and examples/); QUICK: the test suite runs a smaller version
REPO = next(p for p in [Path.cwd(), *Path.cwd().parents] if (p / "examples").is_dir())
sys.path[:0] = [str(REPO), str(REPO / "examples")]
QUICK = os.environ.get("NUMRNN_NOTEBOOK_QUICK") == "1"
DATA = os.environ.get("NUMRNN_DATA", "")  # the folder of imdb.npz

import numrnn  # noqa: E402, F401

# %%
from numrnn.experiments.imdb import load_imdb, run_experiment

data_file = Path(DATA) / "imdb.npz"
if not data_file.is_file():
    print(f"no {data_file}: set NUMRNN_DATA to the folder of imdb.npz")
else:
    (x_train, y_train), (x_test, y_test), num_words = load_imdb(str(data_file))
    if QUICK:
        x_train, y_train, x_test, y_test = x_train[:3000], y_train[:3000], x_test[:3000], \
            y_test[:3000]
        num_words = max(num_words, int(x_test.max()) + 1)
    data = ((x_train, y_train), (x_test, y_test), num_words)
    for name in ("ff", "lstm1"):
        r = run_experiment(name, data, seed=0, epochs=1 if QUICK else 30, verbose=0)
        print(f"{name}: {r.epochs_run} epochs, test accuracy {r.test_acc:.3f}")

# %% [markdown]
# Does the order of the 20 words matter? Shuffle each review and train again.

# %%
import word_order

if data_file.is_file():
    shuffled = ((word_order.shuffle_words(x_train, 1), y_train),
                (word_order.shuffle_words(x_test, 2), y_test), num_words)
    for name in ("ff", "lstm1"):
        r = run_experiment(name, shuffled, seed=0, epochs=1 if QUICK else 30, verbose=0)
        print(f"{name}, shuffled: test accuracy {r.test_acc:.3f}")
