"""Callbacks: hooks called by ``fit`` at the start and end of training, epochs and batches."""

from __future__ import annotations

import math
import sys
import time

import numpy as np


class Callback:
    """Base class; ``self.model`` is set by ``fit``."""

    def __init__(self):
        self.model = None
        self.params: dict = {}

    def set_model(self, model) -> None:
        self.model = model

    def set_params(self, params: dict) -> None:
        self.params = params

    def on_train_begin(self, logs=None): ...
    def on_train_end(self, logs=None): ...
    def on_epoch_begin(self, epoch, logs=None): ...
    def on_epoch_end(self, epoch, logs=None): ...
    def on_batch_begin(self, batch, logs=None): ...
    def on_batch_end(self, batch, logs=None): ...


class History(Callback):
    """Records the epoch logs: ``history.history['val_acc']`` is a list, one value per epoch."""

    def on_train_begin(self, logs=None):
        self.epoch: list[int] = []
        self.history: dict[str, list[float]] = {}

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for k, v in (logs or {}).items():
            self.history.setdefault(k, []).append(v)


def _monitor_op(monitor: str, mode: str):
    """Keras 2.1 'auto': maximise when 'acc' is in the name, minimise otherwise."""
    if mode == "max" or (mode == "auto" and "acc" in monitor):
        return np.greater
    return np.less


_MODES = ("auto", "min", "max")


def _check_mode(mode: str) -> str:
    if mode not in _MODES:
        raise ValueError(f"mode={mode!r}; accepted: {', '.join(_MODES)}")
    return mode


def _check_monitor(callback: Callback, monitor: str, logs: dict) -> float | None:
    if monitor not in logs:
        raise ValueError(
            f"monitor={monitor!r} of {type(callback).__name__} is not in the logs; available: "
            f"{', '.join(logs)}"
        )
    return logs[monitor]


class EarlyStopping(Callback):
    """Stop when ``monitor`` has not improved for ``patience`` epochs (Keras 2.1 rule).

    Improvement means strictly better by more than ``min_delta``. With patience 0,
    training stops after the first epoch that does not improve on the best so far;
    that epoch is still recorded. The model keeps its last weights unless
    ``restore_best_weights=True``.
    """

    def __init__(self, monitor: str = "val_loss", min_delta: float = 0.0, patience: int = 0,
                 verbose: int = 0, mode: str = "auto", baseline: float | None = None,
                 restore_best_weights: bool = False):
        super().__init__()
        if not isinstance(monitor, str):
            raise TypeError(f"monitor={monitor!r}; accepted: a log name such as 'val_acc'")
        if not isinstance(patience, int) or patience < 0:
            raise ValueError(f"patience={patience!r}; accepted: an int >= 0")
        self.monitor, self.patience, self.verbose = monitor, patience, verbose
        self.mode = _check_mode(mode)
        self.baseline = baseline
        self.restore_best_weights = bool(restore_best_weights)
        self.monitor_op = _monitor_op(monitor, mode)
        self.min_delta = abs(min_delta) if self.monitor_op is np.greater else -abs(min_delta)

    def on_train_begin(self, logs=None):
        self.wait = 0
        self.stopped_epoch = 0
        self.best_epoch = None
        self.best_weights = None
        inf = -np.inf if self.monitor_op is np.greater else np.inf
        self.best = self.baseline if self.baseline is not None else inf

    def on_epoch_end(self, epoch, logs=None):
        current = _check_monitor(self, self.monitor, logs or {})
        if self.monitor_op(current - self.min_delta, self.best):
            self.best, self.best_epoch, self.wait = current, epoch, 0
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
        else:
            self.wait += 1
            if self.wait >= self.patience:
                self.stopped_epoch = epoch
                self.model.stop_training = True
                if self.restore_best_weights and self.best_weights is not None:
                    self.model.set_weights(self.best_weights)

    def on_train_end(self, logs=None):
        if self.stopped_epoch > 0 and self.verbose > 0:
            print(f"Epoch {self.stopped_epoch + 1:05d}: early stopping")


class ModelCheckpoint(Callback):
    """Save the model (or its weights) after every epoch, or only when ``monitor`` improves.

    ``filepath`` may hold format fields such as ``'w-{epoch:02d}-{val_acc:.3f}.npz'``.
    Files are written atomically.
    """

    def __init__(self, filepath: str, monitor: str = "val_loss", verbose: int = 0,
                 save_best_only: bool = False, save_weights_only: bool = False,
                 mode: str = "auto"):
        super().__init__()
        self.filepath, self.monitor, self.verbose = str(filepath), monitor, verbose
        self.save_best_only, self.save_weights_only = save_best_only, save_weights_only
        self.monitor_op = _monitor_op(monitor, _check_mode(mode))
        self.best = -np.inf if self.monitor_op is np.greater else np.inf

    def on_train_begin(self, logs=None):
        """Check the path before any epoch runs: balanced braces, fields that this fit logs
        ('epoch' and the metric names), and a .npz-compatible extension."""
        import string

        from .engine.saving import check_extension

        check_extension(self.filepath, "ModelCheckpoint filepath")
        names = list(self.params.get("metrics", [])) if self.params else []
        names += [n[:-3] + "accuracy" for n in names if n == "acc" or n.endswith("_acc")]
        try:
            fields = [f for _, f, _, _ in string.Formatter().parse(self.filepath) if f]
        except ValueError as e:
            raise ValueError(f"ModelCheckpoint filepath={self.filepath!r}: {e}; accepted: a "
                             "path with format fields such as {epoch:02d} or {val_loss:.3f}") \
                from None
        for field in fields:
            key = field.split(".")[0].split("[")[0]
            if key != "epoch" and key not in names:
                raise ValueError(f"ModelCheckpoint filepath={self.filepath!r}: the field "
                                 f"{{{field}}} is not logged by this fit; accepted: epoch, "
                                 f"{', '.join(names)}")

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        path = self.filepath.format(epoch=epoch + 1, **logs)
        if self.save_best_only:
            current = _check_monitor(self, self.monitor, logs)
            if not self.monitor_op(current, self.best):
                return
            if self.verbose:
                print(f"Epoch {epoch + 1:05d}: {self.monitor} improved from {self.best:.5f} "
                      f"to {current:.5f}, saving model to {path}")
            self.best = current
        if self.save_weights_only:
            self.model.save_weights(path)
        else:
            self.model.save(path)


class TerminateOnNaN(Callback):
    """Stop training when a batch loss is NaN or infinite.

    ``fit`` always checks the loss *before* the update, so NaN never reaches the
    weights; this callback is kept for Keras compatibility and stops at batch end.
    """

    def on_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and not np.isfinite(loss):
            print(f"Batch {batch}: Invalid loss, terminating training")
            self.model.stop_training = True


def _format_value(v: float) -> str:
    return f"{v:.4e}" if abs(v) < 1e-3 else f"{v:.4f}"


def _format_duration(seconds: float) -> str:
    if seconds > 3600:
        return f"{int(seconds // 3600)}:{int(seconds % 3600 // 60):02d}:{int(seconds % 60):02d}"
    if seconds > 60:
        return f"{int(seconds // 60)}:{int(seconds % 60):02d}"
    return f"{int(seconds)}s"


class Progbar:
    """Keras 2.1 progress bar counting samples: ``20000/20000 [=====] - 1s 51us/step - loss: …``.

    On a terminal the line is redrawn in place; elsewhere only the final line is written.
    """

    def __init__(self, target: int, width: int = 30, stream=None, interval: float = 0.05):
        self.target, self.width, self.interval = target, width, interval
        self.stream = stream or sys.stdout
        self.start = time.time()
        self.last_update = 0.0
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()

    def bar(self, current: int) -> str:
        digits = int(math.floor(math.log10(self.target))) + 1 if self.target > 0 else 1
        text = f"{current:{digits}d}/{self.target} ["
        filled = int(self.width * current / self.target) if self.target else self.width
        if filled > 0:
            text += "=" * (filled - 1) + (">" if current < self.target else "=")
        return text + "." * (self.width - filled) + "]"

    def update(self, current: int, values: list[tuple[str, float]], final: bool = False) -> None:
        now = time.time()
        if not final and (not self.tty or now - self.last_update < self.interval):
            return
        self.last_update = now
        line = self.bar(current)
        elapsed = now - self.start
        if final:
            per = elapsed / max(current, 1)
            unit = (f"{per * 1e6:.0f}us" if per < 1e-3 else
                    f"{per * 1e3:.0f}ms" if per < 1 else f"{per:.0f}s")
            line += f" - {elapsed:.0f}s {unit}/step"
        else:
            eta = elapsed / max(current, 1) * (self.target - current)
            line += f" - ETA: {_format_duration(eta)}"
        for k, v in values:
            line += f" - {k}: {_format_value(v)}"
        if self.tty:
            self.stream.write("\r" + line + ("\n" if final else ""))
        elif final:
            self.stream.write(line + "\n")
        self.stream.flush()


class ProgbarLogger(Callback):
    """The ``verbose=1`` / ``verbose=2`` console output of ``fit``."""

    def __init__(self, verbose: int = 1, stream=None):
        super().__init__()
        self.verbose, self.stream = verbose, stream or sys.stdout

    def on_epoch_begin(self, epoch, logs=None):
        self.stream.write(f"Epoch {epoch + 1}/{self.params['epochs']}\n")
        self.seen, self.sums = 0, {}
        self.start = time.time()
        if self.verbose == 1:
            self.progbar = Progbar(self.params["samples"], stream=self.stream)

    def on_batch_end(self, batch, logs=None):
        logs = logs or {}
        n = logs.get("size", 0)
        self.seen += n
        for k in self.params["metrics"]:
            if k in logs:
                self.sums[k] = self.sums.get(k, 0.0) + logs[k] * n
        if self.verbose == 1 and self.seen < self.params["samples"]:
            self.progbar.update(self.seen, [(k, v / self.seen) for k, v in self.sums.items()])

    def on_epoch_end(self, epoch, logs=None):
        values = [(k, logs[k]) for k in self.params["metrics"] if k in (logs or {})]
        if self.verbose == 1:
            self.progbar.update(self.params["samples"], values, final=True)
        elif self.verbose == 2:
            line = f" - {time.time() - self.start:.0f}s"
            line += "".join(f" - {k}: {_format_value(v)}" for k, v in values)
            self.stream.write(line + "\n")
            self.stream.flush()


# ---- learning-rate schedules, CSV logging, lambdas (Keras 2.1 callbacks) -----------------
def _optimizer_of(callback: Callback):
    optimizer = getattr(callback.model, "optimizer", None)
    if optimizer is None or not hasattr(optimizer, "lr"):
        raise ValueError(f"{type(callback).__name__}: the model has no compiled optimizer with "
                         "an 'lr'; compile the model first")
    return optimizer


class ReduceLROnPlateau(Callback):
    """Multiply the learning rate by ``factor`` when ``monitor`` stopped improving (Keras 2.1).

    Improvement: ``current < best - min_delta`` (mode min) or ``current > best + min_delta``
    (mode max; 'auto' maximises when 'acc' is in the name). After ``patience`` epochs
    without one, lr becomes ``max(lr * factor, min_lr)`` (only while lr > min_lr), and the
    next ``cooldown`` epochs do not count. ``logs['lr']`` is set every epoch, so History
    records the learning rate as Keras' does.
    """

    def __init__(self, monitor: str = "val_loss", factor: float = 0.1, patience: int = 10,
                 verbose: int = 0, mode: str = "auto", min_delta: float = 1e-4,
                 cooldown: int = 0, min_lr: float = 0.0):
        super().__init__()
        if not isinstance(monitor, str):
            raise TypeError(f"monitor={monitor!r}; accepted: a log name such as 'val_loss'")
        if not isinstance(factor, (int, float)) or isinstance(factor, bool) or \
                not 0 < factor < 1:
            raise ValueError(f"factor={factor!r}; accepted: 0 < factor < 1")
        for arg, value in (("patience", patience), ("cooldown", cooldown)):
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise ValueError(f"{arg}={value!r}; accepted: an int >= 0")
        for arg, value in (("min_delta", min_delta), ("min_lr", min_lr)):
            if not isinstance(value, (int, float)) or isinstance(value, bool) or value < 0:
                raise ValueError(f"{arg}={value!r}; accepted: a number >= 0")
        self.monitor, self.factor, self.patience = monitor, float(factor), patience
        self.verbose, self.mode = verbose, _check_mode(mode)
        self.min_delta, self.cooldown, self.min_lr = float(min_delta), cooldown, float(min_lr)
        self._reset()

    def _reset(self) -> None:
        self.maximise = _monitor_op(self.monitor, self.mode) is np.greater
        self.best = -np.inf if self.maximise else np.inf
        self.wait = 0
        self.cooldown_counter = 0

    def _improved(self, current: float) -> bool:
        if self.maximise:
            return current > self.best + self.min_delta
        return current < self.best - self.min_delta

    def on_train_begin(self, logs=None):
        _optimizer_of(self)
        self._reset()

    def on_epoch_end(self, epoch, logs=None):
        logs = logs if logs is not None else {}
        optimizer = _optimizer_of(self)
        logs["lr"] = optimizer.lr
        current = _check_monitor(self, self.monitor, logs)
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.wait = 0
        if self._improved(current):
            self.best, self.wait = current, 0
        elif self.cooldown_counter <= 0:
            self.wait += 1
            if self.wait >= self.patience and optimizer.lr > self.min_lr:
                optimizer.lr = max(optimizer.lr * self.factor, self.min_lr)
                if self.verbose > 0:
                    print(f"\nEpoch {epoch + 1:05d}: ReduceLROnPlateau reducing learning rate "
                          f"to {optimizer.lr}.")
                self.cooldown_counter, self.wait = self.cooldown, 0


class LearningRateScheduler(Callback):
    """At the start of each epoch set ``lr = schedule(epoch, lr)`` (or ``schedule(epoch)``
    for a one-argument function), epochs counted from 0, as Keras 2.1 does."""

    def __init__(self, schedule, verbose: int = 0):
        super().__init__()
        if not callable(schedule):
            raise TypeError(f"schedule={schedule!r}; accepted: a function of (epoch, lr) or "
                            "(epoch) returning the new learning rate")
        self.schedule, self.verbose = schedule, verbose

    def _call_schedule(self, epoch: int, lr: float):
        import inspect

        try:
            n_args = len(inspect.signature(self.schedule).parameters)
        except (TypeError, ValueError):
            n_args = 2
        return self.schedule(epoch, lr) if n_args >= 2 else self.schedule(epoch)

    def on_epoch_begin(self, epoch, logs=None):
        optimizer = _optimizer_of(self)
        lr = self._call_schedule(epoch, float(optimizer.lr))
        ok = isinstance(lr, (int, float, np.floating, np.integer)) and not isinstance(lr, bool)
        if not ok or not np.isfinite(lr) or lr <= 0:
            raise ValueError(f"LearningRateScheduler: schedule({epoch}) returned {lr!r}; "
                             "accepted: a finite float > 0")
        optimizer.lr = float(lr)
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1:05d}: LearningRateScheduler setting learning rate to "
                  f"{optimizer.lr}.")


class CSVLogger(Callback):
    """One CSV row per epoch: ``epoch`` then the log keys in sorted order (Keras 2.1).

    The file is rewritten atomically at the end of every epoch (header and all rows so
    far, after the rows that were there before when ``append=True``), so a crash never
    leaves half a row, and the file always parses. ``append=False`` (default) starts a new
    file; ``append=True`` continues an existing one (no second header). Values are written
    with ``repr`` precision; an epoch that lacks a key (training stopped) gets ``NA``.
    """

    def __init__(self, filename, separator: str = ",", append: bool = False):
        super().__init__()
        import os

        if not isinstance(filename, (str, os.PathLike)):
            raise TypeError(f"filename={filename!r}; accepted: a path")
        if not isinstance(separator, str) or len(separator) != 1:
            raise ValueError(f"separator={separator!r}; accepted: one character")
        self.filename, self.sep, self.append = os.fspath(filename), separator, bool(append)
        self.keys: list[str] | None = None

    def on_train_begin(self, logs=None):
        import csv
        import io
        import os

        self.keys = None
        self._previous = ""
        if self.append and os.path.exists(self.filename):
            with open(self.filename, newline="") as f:
                self._previous = f.read()
            if self._previous and not self._previous.endswith("\n"):
                self._previous += "\n"
            if self._previous:
                header = next(csv.reader(io.StringIO(self._previous), delimiter=self.sep))
                self.keys = [k for k in header if k != "epoch"] or None
        self._rows: list[list[str]] = []

    @staticmethod
    def _text(value) -> str:
        if isinstance(value, str):
            return value
        if isinstance(value, np.ndarray) and value.ndim > 0:
            return "[" + ", ".join(map(str, value.tolist())) + "]"
        return repr(float(value)) if isinstance(value, (float, np.floating)) else str(value)

    def on_epoch_end(self, epoch, logs=None):
        import csv
        import io

        from .io_utils import atomic_write

        logs = logs or {}
        if self.keys is None:
            self.keys = sorted(logs)
        self._rows.append([str(epoch)] + [self._text(logs[k]) if k in logs else "NA"
                                          for k in self.keys])
        buffer = io.StringIO()
        writer = csv.writer(buffer, delimiter=self.sep, lineterminator="\n")
        if not self._previous:
            writer.writerow(["epoch", *self.keys])
        writer.writerows(self._rows)
        with atomic_write(self.filename, "w", newline="") as f:
            f.write(self._previous + buffer.getvalue())


class LambdaCallback(Callback):
    """A callback made of functions: ``on_epoch_begin(epoch, logs)``,
    ``on_epoch_end(epoch, logs)``, ``on_batch_begin(batch, logs)``,
    ``on_batch_end(batch, logs)``, ``on_train_begin(logs)``, ``on_train_end(logs)``;
    those not given do nothing."""

    _HOOKS = ("on_epoch_begin", "on_epoch_end", "on_batch_begin", "on_batch_end",
              "on_train_begin", "on_train_end")

    def __init__(self, on_epoch_begin=None, on_epoch_end=None, on_batch_begin=None,
                 on_batch_end=None, on_train_begin=None, on_train_end=None):
        super().__init__()
        given = dict(zip(self._HOOKS, (on_epoch_begin, on_epoch_end, on_batch_begin,
                                       on_batch_end, on_train_begin, on_train_end)))
        for hook, fn in given.items():
            if fn is not None and not callable(fn):
                raise TypeError(f"{hook}={fn!r}; accepted: a function or None")
        self._fns = given

    def on_epoch_begin(self, epoch, logs=None):
        if self._fns["on_epoch_begin"]:
            self._fns["on_epoch_begin"](epoch, logs)

    def on_epoch_end(self, epoch, logs=None):
        if self._fns["on_epoch_end"]:
            self._fns["on_epoch_end"](epoch, logs)

    def on_batch_begin(self, batch, logs=None):
        if self._fns["on_batch_begin"]:
            self._fns["on_batch_begin"](batch, logs)

    def on_batch_end(self, batch, logs=None):
        if self._fns["on_batch_end"]:
            self._fns["on_batch_end"](batch, logs)

    def on_train_begin(self, logs=None):
        if self._fns["on_train_begin"]:
            self._fns["on_train_begin"](logs)

    def on_train_end(self, logs=None):
        if self._fns["on_train_end"]:
            self._fns["on_train_end"](logs)
