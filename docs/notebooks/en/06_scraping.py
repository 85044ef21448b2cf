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
# # 6. Collecting reviews
#
# Selenium 4 writes `driver.find_elements(By.CSS_SELECTOR, ...)` (the chapter's
# `find_elements_by_css_selector` no longer exists). This notebook scrapes numrnn's local demo
# site when Chromium is installed, and says so and stops when it is not. [Guide, section
# 7](../../guide/en.md#7-collecting-reviews-with-a-browser)

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
import shutil
import subprocess

import numrnn  # noqa: E402, F401

chromium = shutil.which("chromium") or shutil.which("chromium-browser")
driver = shutil.which("chromedriver")
if not (chromium and driver) or os.environ.get("NUMRNN_NOTEBOOK_SKIP_BROWSER") == "1":
    print("no Chromium/chromedriver here (or NUMRNN_NOTEBOOK_SKIP_BROWSER=1): skipping the "
          "browser part (apt-get install chromium chromium-driver)")
else:
    run = subprocess.run([sys.executable, str(REPO / "examples" / "scrape_and_train.py"),
                          "--demo", "--epochs", "5" if QUICK else "40"],
                         capture_output=True, text=True, timeout=600,
                         env={**os.environ, "PYTHONPATH": str(REPO)})
    print(run.stdout[-1500:] or run.stderr[-1500:])
