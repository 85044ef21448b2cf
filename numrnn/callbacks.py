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
