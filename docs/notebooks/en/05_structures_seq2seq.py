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
# # 5. Structures and seq2seq
#
# Many-to-one scores a whole sequence, many-to-many tags every step: two different tasks. Then
# the attention map of the number reader. [Guide, sections
# 5-6](../../guide/en.md#5-structures-many-to-one-many-to-many)

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
# %%
import many_to_one_vs_many

import numrnn  # noqa: E402, F401

accuracies = many_to_one_vs_many.main(["--quick"])

# %% [markdown]
# Teacher forcing: the next-character model learns "국민대학".

# %%
import char_rnn_teacher_forcing

words = char_rnn_teacher_forcing.main(["--epochs", "60" if QUICK else "200"])

# %% [markdown]
# Attention: where each output syllable looks (quick mode trains for one epoch only, so its
# map is blurred).

# %%
import tempfile

import attention_map
from IPython.display import Image, display

plot_dir = Path(tempfile.mkdtemp())
result = attention_map.main((["--quick"] if QUICK else []) + ["--plot-dir", str(plot_dir)])
display(Image(str(result["path"])))
