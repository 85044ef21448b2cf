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
# # 4. LSTM
#
# $c_t = f_t \odot c_{t-1} + i_t \odot g_t$,
# $h_t = o_t \odot \tanh(c_t)$.
# `numrnn.cells.lstm_step`은 수식 한 줄을 코드 한 줄로 씁니다.
# 빠른 `LSTM` 층도 같은 값을 냅니다. [안내서
# 4절](../../guide/ko.md#4-lstm)

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
from numrnn.layers import LSTM

rng = np.random.default_rng(1)
x = rng.standard_normal((1, 3, 2))
layer = LSTM(2, return_sequences=True, dtype="float64")
out = layer(x)
W, U, b = layer.get_weights()
h = c = np.zeros((1, 2))
for t in range(3):
    h, c, (_, _, _, i, f, g, o, *_) = cells.lstm_step(x[:, t], h, c, W, U, b)
    print(f"t={t + 1}: i={i[0].round(3)} f={f[0].round(3)} g={g[0].round(3)} "
          f"o={o[0].round(3)} c={c[0].round(3)} h={h[0].round(3)}")
print("largest difference from the LSTM layer:", np.abs(h - out[:, -1]).max())

# %% [markdown]
# 한 시점 역전파: $\partial L/\partial h_t = 0$이면 벨트는
# $\partial L/\partial c_t \odot f_t$만 돌려보냅니다.

# %%
h, c, cache = cells.lstm_step(x[:, 0], np.zeros((1, 2)), np.ones((1, 2)), W, U, b)
dx, dh_prev, dc_prev, dW, dU, db = cells.lstm_step_backward(np.zeros((1, 2)), np.ones((1, 2)),
                                                           cache)
print("dc_prev =", dc_prev, " f =", cache[4])

# %% [markdown]
# 3 시점의 게이트, 상태, 경사를 모두 출력하고 수치 미분으로 확인한 뒤 그립니다.

# %%
import tempfile

import step_through_lstm
from IPython.display import Image, display

plot_dir = Path(tempfile.mkdtemp())
step_through_lstm.main(["--plot", "--plot-dir", str(plot_dir)])
display(Image(str(plot_dir / "step_through_lstm.png")))
