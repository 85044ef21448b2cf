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
# # 3. 장기 의존성
#
# $\partial A_n/\partial A_0 = \prod_{t=1}^n
# w\,\sigma'(w A_{t-1})$: 시그모이드 점화식은 모든 $w$에서
# 사라지고, 선형 $w = 1.1$만 커집니다. [안내서
# 3절](../../guide/ko.md#3)

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
import tempfile

import vanishing_gradient
from IPython.display import Image, display

import numrnn  # noqa: E402, F401

plot_dir = Path(tempfile.mkdtemp())
result = vanishing_gradient.main(["--quick", "--plot-dir", str(plot_dir)])
display(Image(str(plot_dir / "vanishing_gradient.png")))

# %% [markdown]
# 잘라내기를 하면 넘치는 경우는 없습니다. 위에 출력된 최종 손실을 평균만 답하는
# 손실과 비교해 보세요.

# %%
for name, (nan_runs, below, total) in result["summary"].items():
    print(f"{name}: {nan_runs}/{total} NaN, {below}/{total} below {result['baseline']:.3g}")
