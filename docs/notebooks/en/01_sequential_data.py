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
# # 1. Sequential data
#
# The order of the elements carries meaning and the length varies. numrnn, like Keras, wants a
# batch of sequences as an array `(batch, timesteps, features)`. [Guide, section
# 1](../../guide/en.md#1-sequential-data)

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

# %% [markdown]
# Text becomes ids, then one length (`pad_sequences` keeps the *last* `maxlen` ids and puts
# zeros in front), then vectors.
# %%
from numrnn.layers import Embedding
from numrnn.preprocessing.sequence import pad_sequences
from numrnn.preprocessing.text import Tokenizer

texts = ["국민대학 정말 좋아요", "정말 맛있어요", "다시는 안 가요 정말"]
tok = Tokenizer()
tok.fit_on_texts(texts)
ids = tok.texts_to_sequences(texts)
padded = pad_sequences(ids, maxlen=3)
vectors = Embedding(len(tok.word_index) + 1, 4)(padded)
print(ids)
print(padded)
print("embedded:", vectors.shape, "= (batch, timesteps, features)")

# %% [markdown]
# A time series with a season (period 12) and a trend, and the chapter's autoregressive
# baseline $\hat y_t = a_1 y_{t-1} + \dots + a_p y_{t-p} + c$ fitted by least squares.

# %%
rng = np.random.default_rng(0)
t = np.arange(240)
series = 0.02 * t + np.sin(2 * np.pi * t / 12) + 0.2 * rng.standard_normal(len(t))
p = 12
lagged = np.stack([series[k : len(series) - p + k] for k in range(p)], axis=1)
design = np.column_stack([lagged, np.ones(len(lagged))])
coef, *_ = np.linalg.lstsq(design, series[p:], rcond=None)
residual = series[p:] - design @ coef
print(f"AR({p}) one-step error (RMS): {np.sqrt(np.mean(residual**2)):.3f}; noise 0.2")

import matplotlib.pyplot as plt  # noqa: E402

plt.figure(figsize=(8, 2.5))
plt.plot(t, series, label="series")
plt.plot(t[p:], design @ coef, label=f"AR({p}) one step ahead")
plt.legend(loc="upper left")
plt.xlabel("t")
plt.show()
