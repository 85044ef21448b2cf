"""The loops over arrays: ``fit_loop``, ``test_loop``, ``predict_loop`` (Keras 2.1's
``_fit_loop`` / ``_test_loop`` / ``_predict_loop``), written as functions of a model.

A model gives them ``_train_step(xs, ys, sample_weights)``, ``_test_step(...)`` and
``_predict_step(xs)`` on lists of arrays (one per model input/output).
"""

from __future__ import annotations

import math
import sys
import warnings

import numpy as np

from .. import backend
from .. import callbacks as cbks
from .callback_list import CallbackList
from .data import take


def _keras3_aliases(logs: dict) -> dict:
    """Also record 'accuracy'/'val_accuracy' for 'acc'/'val_acc' (Keras 3's names)."""
    from .training import _keras3_alias

    extra = {}
    for k, v in logs.items():
        alias = _keras3_alias(k)
        if alias is not None and alias not in logs:
            extra[alias] = v
    return {**logs, **extra}


def check_monitors(callbacks, names: list[str]) -> None:
    """A callback monitoring a value this fit does not log is refused before training."""
    available = names + [a for a in (_keras3_aliases(dict.fromkeys(names))) if a not in names]
    for cb in callbacks:
        monitor = getattr(cb, "monitor", None)
        needs = not isinstance(cb, cbks.ModelCheckpoint) or cb.save_best_only
        if monitor is not None and needs and monitor not in available:
            raise ValueError(
                f"monitor={monitor!r} of {type(cb).__name__} is not logged by this fit; "
                f"accepted: {', '.join(names)}"
            )


def fit_loop(model, xs, ys, sws, val, *, batch_size: int, epochs: int, verbose: int,
             callbacks: list, shuffle: bool, initial_epoch: int, seed):
    """Train ``model`` on the checked arrays; ``val`` is (xs, ys, sws) or None."""
    metrics_names = model.metrics_names
    names = list(metrics_names) + (["val_" + n for n in metrics_names] if val is not None
                                   else [])
    check_monitors(callbacks, names)
    n = len(xs[0])
    model.history = cbks.History()
    # Keras' order: the progress bar, the user's callbacks, then History
    progbar = [cbks.ProgbarLogger(verbose)] if verbose else []
    cb_list = CallbackList(progbar + callbacks + [model.history])
    params = {"batch_size": batch_size, "epochs": epochs, "steps": math.ceil(n / batch_size),
              "samples": n, "verbose": verbose, "do_validation": val is not None,
              "metrics": names}
    cb_list.set_model(model)
    cb_list.set_params(params)
    model.stop_training = False
    if verbose and val is not None:
        print(f"Train on {n} samples, validate on {len(val[0][0])} samples")
    cb_list.on_train_begin()  # (callbacks may refuse their settings here, before any update)
    rng = backend.rng(seed)
    order = np.arange(n)
    with backend.blas_threads():
        for epoch in range(initial_epoch, epochs):
            cb_list.on_epoch_begin(epoch)
            if shuffle:
                rng.shuffle(order)
            sums, seen, completed = np.zeros(len(metrics_names)), 0, True
            for b, start in enumerate(range(0, n, batch_size)):
                idx = order[start:start + batch_size]
                cb_list.on_batch_begin(b, {"batch": b, "size": len(idx)})
                values = model._train_step(take(xs, idx), take(ys, idx), take(sws, idx))
                if values is None:
                    msg = (f"Epoch {epoch + 1}, batch {b}: the loss is NaN or infinite; "
                           "training stopped before this update (TerminateOnNaN), so the "
                           "weights are those of the previous batch")
                    if verbose:
                        print(msg, file=sys.stderr)
                    warnings.warn(msg, RuntimeWarning, stacklevel=3)
                    model.stop_training, completed = True, False
                    break
                sums += np.array(values) * len(idx)
                seen += len(idx)
                logs = dict(zip(metrics_names, values), batch=b, size=len(idx))
                cb_list.on_batch_end(b, logs)
                if model.stop_training:
                    completed = start + batch_size >= n
                    break
            means = sums / seen if seen else np.full(len(sums), np.nan)
            epoch_logs = dict(zip(metrics_names, means.tolist()))
            if completed:
                if val is not None:
                    val_values = test_loop(model, *val, batch_size)
                    epoch_logs.update(
                        {"val_" + k: v for k, v in zip(metrics_names, val_values)})
                cb_list.on_epoch_end(epoch, _keras3_aliases(epoch_logs))
            else:
                # An epoch cut short still gets one History value for every key: the
                # means over its finished batches, NaN for what was not measured.
                epoch_logs.update({k: float("nan") for k in names if k not in epoch_logs})
                model.history.on_epoch_end(epoch, _keras3_aliases(epoch_logs))
            if model.stop_training:
                break
    cb_list.on_train_end()
    return model.history


def test_loop(model, xs, ys, sws, batch_size: int, progbar=None) -> list[float]:
    """Exact means of loss and metrics over all samples, in batches (no update)."""
    n = len(xs[0])
    sums = np.zeros(len(model.metrics_names))
    for start in range(0, n, batch_size):
        sl = slice(start, start + batch_size)
        values = model._test_step(take(xs, sl), take(ys, sl), take(sws, sl))
        size = min(batch_size, n - start)
        sums += np.array(values) * size
        if progbar is not None:
            progbar.update(start + size, [], final=start + size == n)
    return (sums / n).tolist()


def predict_loop(model, xs, batch_size: int) -> list[np.ndarray]:
    """Outputs for all samples, computed ``batch_size`` at a time (memory bounded by it)."""
    n = len(xs[0])
    if n == 0:  # one forward pass on the empty batch gives correctly shaped empty outputs
        return model._predict_step(xs)
    chunks: list[list[np.ndarray]] = []
    for start in range(0, n, batch_size):
        chunks.append(model._predict_step(take(xs, slice(start, start + batch_size))))
    return [np.concatenate([c[k] for c in chunks]) for k in range(len(chunks[0]))]
