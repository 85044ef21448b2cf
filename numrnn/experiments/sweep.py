"""Sweeps over the tutorial's choices: ``python -m numrnn.experiments sweep imdb ...``.

Each run (a configuration and a seed) is one task on a `SweepExecutor`. The IMDB file is
read once; every distinct preprocessing (maxlen, num_words, subsets) is prepared once
and shared with the workers; each finished run is appended to ``OUT/results.jsonl``, and
a run already there is not done again. Finally the runs of this sweep are summarised
(`report`).
"""

from __future__ import annotations

import collections
import concurrent.futures as cf
import socket
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .. import backend
from ..callbacks import EarlyStopping
from ..datasets import imdb
from ..preprocessing.sequence import pad_sequences
from .executors import SweepExecutor, resolve
from .imdb import OPTIMIZERS, build_model
from .results_log import ResultsLog, run_key
from .settings import PREPROCESSING, SETTINGS, display_value, preprocessing_of


@dataclass
class PreparedData:
    """One preprocessing of IMDB: padded int32 arrays and the Embedding's input_dim."""

    key: tuple
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    num_words: int

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        RECEIVED[self.key] += 1


# How many times this process received (unpickled) each preprocessing: once per worker
# is the design (the tests check it on a Dask cluster), never once per run.
RECEIVED: collections.Counter = collections.Counter()


def prepare(raw, key: tuple) -> PreparedData:
    """Pad ``raw`` (``load_data``'s output) as the preprocessing ``key`` says.

    The last ``maxlen`` tokens of each review are kept (the tutorial's
    ``pad_sequences(x, MAXLEN)``); ``num_train``/``num_test`` keep the first reviews;
    ``num_words`` turns rarer words into the OOV id 2 (``load_data(num_words=...)``).
    Without ``num_words`` the Embedding gets the tutorial's ``x_train_seq.max() + 1``
    (the test reviews' largest id too, should it be larger).
    """
    settings = dict(zip(PREPROCESSING, key))
    (x_train, y_train), (x_test, y_test) = raw
    if settings["num_train"] is not None:
        x_train, y_train = x_train[:settings["num_train"]], y_train[:settings["num_train"]]
    if settings["num_test"] is not None:
        x_test, y_test = x_test[:settings["num_test"]], y_test[:settings["num_test"]]
    x_train_seq = pad_sequences(x_train, settings["maxlen"])
    x_test_seq = pad_sequences(x_test, settings["maxlen"])
    num_words = settings["num_words"]
    if num_words is None:
        num_words = int(max(x_train_seq.max(), x_test_seq.max())) + 1
    else:
        x_train_seq[x_train_seq >= num_words] = 2
        x_test_seq[x_test_seq >= num_words] = 2
    return PreparedData(key, x_train_seq, np.asarray(y_train), x_test_seq, np.asarray(y_test),
                        num_words)


def prepare_all(configs: list[dict], data_path=None, say: Callable = print) -> dict:
    """``{preprocessing key: PreparedData}`` for ``configs``, reading the IMDB file once."""
    keys = list(dict.fromkeys(preprocessing_of(c) for c in configs))
    if not keys:
        return {}
    start = time.perf_counter()
    raw = imdb.load_data(data_path if data_path else "imdb.npz")
    prepared = {key: prepare(raw, key) for key in keys}
    say(f"data: IMDB read once, {len(keys)} preprocessing{'s' if len(keys) > 1 else ''} "
        f"prepared in {time.perf_counter() - start:.1f} s")
    return prepared


def train(config: dict, seed: int, data: PreparedData) -> dict:
    """Train ``config`` once with ``seed``; the figures of the run (no ``error`` key).

    With the tutorial's settings this is `run_experiment` step for step (same numbers).
    """
    backend.clear_session()
    backend.set_seed(seed)
    optimizer = OPTIMIZERS[config["optimizer"]]
    optimizer = optimizer() if config["lr"] is None else optimizer(lr=config["lr"])
    model = build_model(config["model"], data.num_words, maxlen=config["maxlen"],
                        embedding_dim=config["embedding_dim"], cell=config["cell"] or "lstm",
                        units=config["units"], optimizer=optimizer)
    start = time.perf_counter()
    history = model.fit(data.x_train, data.y_train, epochs=config["epochs"],
                        batch_size=config["batch_size"],
                        validation_split=config["validation_split"],
                        callbacks=[EarlyStopping(monitor="val_acc", patience=config["patience"])],
                        verbose=0)
    test_loss, test_acc = model.evaluate(data.x_test, data.y_test, batch_size=config["batch_size"],
                                         verbose=0)
    seconds = time.perf_counter() - start
    val_acc = history.history["val_acc"]
    return {
        "best_val_acc": float(max(val_acc)), "best_epoch": int(np.argmax(val_acc)) + 1,
        "test_acc": float(test_acc),
        "test_loss": float(test_loss) if np.isfinite(test_loss) else None,
        "epochs": len(history.epoch), "params": model.count_params(),
        "seconds": round(seconds, 3),
        "val_acc": [float(v) for v in val_acc],
    }


def run_task(config: dict, seed: int, data_handle) -> dict:
    """One run as a results.jsonl record; an exception in training becomes its ``error``."""
    record = {"config": config, "seed": seed, "best_val_acc": None, "test_acc": None,
              "epochs": None, "seconds": None, "error": None}
    start = time.perf_counter()
    try:
        record.update(train(config, seed, resolve(data_handle)))
    except Exception as err:
        record["error"] = f"{type(err).__name__}: {err}"
        record["traceback"] = traceback.format_exc(limit=-4)
        record["seconds"] = round(time.perf_counter() - start, 3)
    record["host"] = socket.gethostname()
    return record


def describe(config: dict, swept: list[str]) -> str:
    """``model=lstm32 maxlen=100``: the swept settings of ``config``."""
    return " ".join(f"{k}={display_value(k, config)}" for k in swept) or config["model"]


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"


class Progress:
    """``done/total`` runs, failures, elapsed time and an ETA from this session's pace."""

    def __init__(self, total: int, already: int, stream=None):
        self.total, self.done, self.failed = total, already, 0
        self.started_with = already
        self.start = time.perf_counter()
        self.stream = stream or sys.stderr

    def line(self) -> str:
        elapsed = time.perf_counter() - self.start
        new = self.done - self.started_with
        left = self.total - self.done
        eta = _duration(elapsed / new * left) if new and left else ("0s" if not left else "?")
        failed = f", {self.failed} failed" if self.failed else ""
        return (f"[{self.done}/{self.total} runs done{failed}] elapsed {_duration(elapsed)}, "
                f"ETA {eta}")

    def update(self, record: dict, label: str) -> None:
        self.done += 1
        if record["error"]:
            self.failed += 1
            what = f"FAILED: {record['error']}"
        else:
            what = (f"best val_acc {record['best_val_acc']:.4f}, {record['epochs']} epochs, "
                    f"{record['seconds']:.1f} s")
        print(f"{label} seed {record['seed']}: {what}", file=self.stream)
        print(self.line(), file=self.stream, flush=True)


@dataclass
class SweepOutcome:
    done: int          # runs finished in this session
    failed: int        # of which recorded with an error
    skipped: int       # already in results.jsonl
    lost: int          # in flight or queued when interrupted, or lost by the executor
    interrupted: bool


def run_sweep(runs: list[tuple[dict, int]], log: ResultsLog, executor: SweepExecutor,
              data_path=None, retry_failed: bool = False, swept: list[str] | None = None,
              say: Callable = print, stream=None) -> SweepOutcome:
    """Do every run of ``runs`` not yet in ``log``; append each record as it finishes.

    Ctrl-C (KeyboardInterrupt) stops the sweep: finished runs are on disk, queued and
    running ones are dropped (`SweepOutcome.interrupted`). An exception in a run is
    recorded; an executor failure (a dead worker) is reported and not recorded, so the
    next sweep tries that run again.
    """
    swept = swept or []

    def finished(config, seed):
        record = log.records.get(run_key(config, seed))
        return record is not None and not (retry_failed and record["error"])

    todo = [(c, s) for c, s in runs if not finished(c, s)]
    skipped = len(runs) - len(todo)
    if skipped:
        say(f"resuming: {skipped} of {len(runs)} runs are already in {log.path}")
    if not todo:
        return SweepOutcome(0, 0, skipped, 0, False)
    # Longest first (a rough cost), so that one slow run does not finish alone at the end.
    todo.sort(key=lambda run: -_cost(run[0]))
    prepared = prepare_all([c for c, _ in todo], data_path, say)
    say(f"running {len(todo)} runs on {executor.describe()}")
    progress = Progress(len(runs), skipped, stream)
    handles = executor.share(prepared)
    futures: dict[cf.Future, tuple[dict, int]] = {}
    queue = list(reversed(todo))  # pop() takes the next run
    capacity = executor.capacity or len(todo)
    lost = 0
    try:
        while queue or futures:
            # Keep only `capacity` runs submitted: a queue of our own, not a scheduler, so
            # that Ctrl-C has little to cancel and the in-process executor records each run
            # as soon as it ends.
            while queue and len(futures) < capacity:
                config, seed = queue[-1]
                try:
                    future = executor.submit(run_task, config, seed,
                                             handles[preprocessing_of(config)])
                except cf.BrokenExecutor as err:  # a worker died: nothing more will run
                    print(f"the executor cannot take more runs ({err}); {len(queue)} runs not "
                          "started", file=stream or sys.stderr)
                    lost += len(queue)
                    queue.clear()
                    break
                queue.pop()
                futures[future] = (config, seed)
            if not futures:
                break
            done, _ = cf.wait(futures, return_when=cf.FIRST_COMPLETED)
            for future in done:
                config, seed = futures.pop(future)
                try:
                    record = future.result()
                except Exception as err:  # the executor lost the task (a killed worker...)
                    lost += 1
                    print(f"{describe(config, swept)} seed {seed}: not recorded, the executor "
                          f"failed: {type(err).__name__}: {err}", file=stream or sys.stderr)
                    continue
                log.append(record)
                progress.update(record, describe(config, swept))
    except KeyboardInterrupt:
        for future in futures:
            future.cancel()
        executor.close(cancel=True)
        return SweepOutcome(progress.done - skipped, progress.failed, skipped,
                            len(futures) + lost, True)
    return SweepOutcome(progress.done - skipped, progress.failed, skipped, lost, False)


def _cost(config: dict) -> float:
    """A rough time of a run, to start the long ones first: per token and epoch an LSTM(1)
    cost half an LSTM(32), a Flatten model a tenth (measured at maxlen 100 and 400)."""
    if config["model"] == "ff":
        per_token = 0.1
    else:
        units = config["units"] or {"lstm1": 1, "lstm4": 4, "lstm32": 32}[config["model"]]
        per_token = 0.5 + units / 64
    return config["maxlen"] * per_token * config["epochs"]


__all__ = ["PreparedData", "prepare", "prepare_all", "train", "run_task", "run_sweep",
           "SweepOutcome", "Progress", "SETTINGS"]
