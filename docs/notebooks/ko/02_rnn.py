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
# # 2. 순환 신경망
#
# $h_t = \tanh(x_t W + h_{t-1} U + b)$:
# `numrnn.cells.rnn_step`을 시점마다 부르면 `SimpleRNN`과
# 똑같은 값이 나옵니다. [안내서 2절](../../guide/ko.md#2-rnn)

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
# 늘 펼쳐서 실행하는 것은 아닙니다: 같은 LSTM이 5 시점 묶음도, 9 시점
# 묶음도 읽습니다.

# %%
lstm = LSTM(3, return_sequences=True)
print(lstm(rng.standard_normal((2, 5, 3))).shape)
print(lstm(rng.standard_normal((2, 9, 3))).shape)
