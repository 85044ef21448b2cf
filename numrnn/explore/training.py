"""The models the explorer shows when no ``--model`` is given: the tutorial's lstm1, lstm4 and
lstm32, loaded from ``RUNS/NAME.npz`` if saved there, else trained as
``numrnn.experiments`` trains them (RMSprop, batch 128, validation_split 0.2,
EarlyStopping(monitor='val_acc'), at most 30 epochs) and saved.

``quick=True`` trains on the first 2,000 training reviews for one epoch (a first look, and
the tests); those models are kept apart, in ``RUNS/quick/``.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path

from .. import backend
from ..callbacks import Callback, EarlyStopping
from ..experiments.imdb import EXPERIMENTS, build_model
from ..io_utils import atomic_write
from ..models import load_model
from .analysis import ExplorerModel
from .data import ImdbFiles

DEFAULT_MODELS = ("lstm1", "lstm4", "lstm32")
QUICK_SAMPLES = 2000


def _say(message: str) -> None:
    print(message, flush=True)


class ProgressLine(Callback):
    """One line per epoch: which model, which epoch, the losses and accuracies."""

    def __init__(self, label: str, log: Callable[[str], None]):
        super().__init__()
        self.label, self.log = label, log

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        values = "  ".join(f"{k} {logs[k]:.4f}" for k in ("loss", "acc", "val_loss", "val_acc")
                           if k in logs)
        self.log(f"  {self.label} epoch {epoch + 1}/{self.params['epochs']}: {values}")


def model_paths(runs: Path, name: str, quick: bool) -> tuple[Path, Path]:
    folder = Path(runs) / "quick" if quick else Path(runs)
    return folder / f"{name}.npz", folder / f"{name}.json"


def train_one(name: str, files: ImdbFiles, epochs: int, quick: bool, seed: int, label: str,
              log: Callable[[str], None]):
    """Train the tutorial's ``name``; return the model and what the page says about it."""
    (x_train, y_train), (x_test, y_test), num_words = files.training_data()
    if quick:
        x_train, y_train = x_train[:QUICK_SAMPLES], y_train[:QUICK_SAMPLES]
        x_test, y_test = x_test[:QUICK_SAMPLES], y_test[:QUICK_SAMPLES]
    backend.clear_session()
    backend.set_seed(seed)
    model = build_model(name, num_words)
    # validation_split: the last 20% of x_train validate, fit trains on the first 80%
    history = model.fit(x_train, y_train, epochs=epochs, batch_size=128, validation_split=0.2,
                        callbacks=[EarlyStopping(monitor="val_acc"), ProgressLine(label, log)],
                        verbose=0)
    test_loss, test_acc = model.evaluate(x_test, y_test, batch_size=128, verbose=0)
    info = {"epochs_run": len(history.epoch), "best_val_acc": max(history.history["val_acc"]),
            "test_acc": float(test_acc), "test_reviews": len(x_test),
            "train_reviews": int(len(x_train) * 0.8), "seed": seed, "quick": quick,
            "description": EXPERIMENTS[name]}
    return model, info


def load_or_train(files: ImdbFiles, runs: str | Path = "runs/explore",
                  names: tuple[str, ...] = DEFAULT_MODELS, epochs: int = 30, quick: bool = False,
                  retrain: bool = False, seed: int = 0,
                  log: Callable[[str], None] = _say) -> list[ExplorerModel]:
    """The models ``names``, each loaded from ``runs`` or trained (and saved there)."""
    for name in names:
        if name not in EXPERIMENTS:
            raise ValueError(f"model {name!r}; accepted: {', '.join(EXPERIMENTS)}")
    if epochs < 1:
        raise ValueError(f"epochs={epochs!r}; accepted: an int >= 1")
    epochs = 1 if quick else epochs
    out = []
    for k, name in enumerate(names, start=1):
        path, info_path = model_paths(Path(runs), name, quick)
        label = f"[{k}/{len(names)}] {name}"
        if path.is_file() and not retrain:
            model = load_model(path, compile=False)
            info = json.loads(info_path.read_text("utf-8")) if info_path.is_file() else {}
            log(f"{label}: loaded {path}")
        else:
            log(f"{label}: training {EXPERIMENTS[name]}"
                + (f" on {QUICK_SAMPLES} reviews for 1 epoch (--quick)" if quick else
                   f" (at most {epochs} epochs, EarlyStopping on val_acc)"))
            model, info = train_one(name, files, epochs, quick, seed, label, log)
            model.save(path)
            with atomic_write(info_path, "w", encoding="utf-8") as f:
                json.dump(info, f, indent=1)
            log(f"{label}: test accuracy {info['test_acc']:.4f}; saved {path}")
        out.append(ExplorerModel(name, model, info))
    return out


def load_files(paths: list[str]) -> list[ExplorerModel]:
    """Models saved with ``Sequential.save``, each named after its file (``lstm32.npz`` ->
    lstm32). Raises ValueError/FileNotFoundError naming the file that cannot be used."""
    out, seen = [], set()
    for p in paths:
        path = Path(p)
        if not path.is_file():
            raise FileNotFoundError(f"--model {p!r}: no such file")
        name = path.stem
        if name in seen:
            raise ValueError(f"--model {p!r}: a second model named {name!r}; rename the file")
        seen.add(name)
        try:
            model = load_model(path, compile=False)
        except (ValueError, KeyError, OSError) as err:
            raise ValueError(f"--model {p!r}: not a model saved by numrnn's "
                             f"Sequential.save ({err})") from err
        info_path = path.with_suffix(".json")
        info = {}
        if info_path.is_file():
            try:
                info = json.loads(info_path.read_text("utf-8"))
            except (ValueError, UnicodeDecodeError):
                print(f"warning: {info_path} is not JSON; ignored", file=sys.stderr)
        try:
            out.append(ExplorerModel(name, model, info if isinstance(info, dict) else {}))
        except ValueError as err:
            raise ValueError(f"--model {p!r}: {err}") from err
    return out
