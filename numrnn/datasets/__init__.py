"""Datasets: ``imdb``."""
from . import imdb

__all__ = ["imdb"]
