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
# # 2. RNN
#
# $h_t = \tanh(x_t W + h_{t-1} U + b)$: a loop over `numrnn.cells.rnn_step` is exactly what
# `SimpleRNN` computes. [Guide, section 2](../../guide/en.md#2-recurrent-neural-networks)

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
import numpy as np  # noqa: E402

import numrnn  # noqa: E402, F401

# %%
from numrnn import cells
from numrnn.layers import LSTM, SimpleRNN

rng = np.random.default_rng(0)
x = rng.standard_normal((2, 5, 3))            # batch 2, 5 steps, 3 features
layer = SimpleRNN(4, return_sequences=True, dtype="float64")
out = layer(x)
W, U, b = layer.get_weights()
h = np.zeros((2, 4))
for t in range(5):                            # the loop the chapter draws unrolled
    h, cache = cells.rnn_step(x[:, t], h, W, U, b)
    print(f"t={t + 1}: h_t[0] = {np.round(h[0], 3)}")
print("largest difference from SimpleRNN:", np.abs(h - out[:, -1]).max())

# %% [markdown]
# Not always unrolled: the same LSTM reads a 5-step batch and then a 9-step one.

# %%
lstm = LSTM(3, return_sequences=True)
print(lstm(rng.standard_normal((2, 5, 3))).shape)
print(lstm(rng.standard_normal((2, 9, 3))).shape)
