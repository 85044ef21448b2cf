"""From scraped reviews to training data."""

from __future__ import annotations

import os

import numpy as np


def scores_to_labels(scores, threshold: int = 40) -> np.ndarray:
    """1 for a score >= ``threshold`` (4 of 5 stars on TripAdvisor's 10-50 scale), else 0."""
    arr = np.asarray(scores)
    if arr.dtype.kind not in "iuf":
        raise TypeError(f"scores has dtype {arr.dtype}; accepted: numbers")
    if arr.dtype.kind == "f" and not np.isfinite(arr).all():
        raise ValueError("scores contains NaN or infinite values")
    return (arr >= threshold).astype(np.int64)


def load_reviews(path: str | os.PathLike, encoding: str = "utf-8"):
    """Read a CSV written by `scrape_reviews`; returns (texts, scores)."""
    import pandas as pd

    df = pd.read_csv(path, encoding=encoding, keep_default_na=False, dtype={"text": str})
    for column in ("score", "text"):
        if column not in df.columns:
            raise ValueError(f"{path}: no {column!r} column; accepted: a CSV from scrape_reviews")
    return df["text"].tolist(), df["score"].to_numpy()
