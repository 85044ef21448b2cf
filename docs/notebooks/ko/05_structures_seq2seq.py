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
# # 5. 구조와 seq2seq
#
# 다대일은 수열 전체를 채점하고, 다대다는 시점마다 태그를 붙입니다. 서로 다른
# 과제입니다. 이어서 숫자 읽기 모델의 어텐션 지도를 봅니다. [안내서
# 5~6절](../../guide/ko.md#5)

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
# 교사 강요: 다음 글자 모델이 "국민대학"을 배웁니다.

# %%
import char_rnn_teacher_forcing

words = char_rnn_teacher_forcing.main(["--epochs", "60" if QUICK else "200"])

# %% [markdown]
# 어텐션: 출력 음절마다 어디를 보는지 그립니다(빠른 실행에서는 1 에폭만 학습하므로
# 지도가 흐립니다).

# %%
import tempfile

import attention_map
from IPython.display import Image, display

plot_dir = Path(tempfile.mkdtemp())
result = attention_map.main((["--quick"] if QUICK else []) + ["--plot-dir", str(plot_dir)])
display(Image(str(result["path"])))
