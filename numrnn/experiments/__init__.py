"""The tutorial's experiments, runnable as ``python -m numrnn.experiments imdb``."""

from .imdb import EXPERIMENTS, build_model, load_imdb, run_experiment

__all__ = ["EXPERIMENTS", "build_model", "load_imdb", "run_experiment"]
