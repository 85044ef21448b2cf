"""``Sequential``: a stack of layers trained with Keras 2.1's ``fit`` semantics."""

from __future__ import annotations

import json
import math
import os
import sys
import warnings
from typing import Any

import numpy as np

from . import backend, losses, optimizers
from . import callbacks as cbks
from . import metrics as metrics_mod
from .io_utils import atomic_write
from .layers import Dense, Embedding, Layer
from .layers import deserialize as deserialize_layer
from .layers.base import as_float_array
from .layers.recurrent import RNN

__all__ = ["Sequential", "load_model", "NotCompiledError"]


class NotCompiledError(ValueError, RuntimeError):
    """Training or evaluating before ``compile``. A ValueError, and also the RuntimeError
    that Keras raises here, so either ``except`` clause catches it."""


def _positive_int(name: str, value, allow_zero: bool = False) -> int:
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < (
        0 if allow_zero else 1
    ):
        raise ValueError(f"{name}={value!r}; accepted: an int >= {0 if allow_zero else 1}")
    return int(value)


class Sequential:
    """A linear stack of layers.

    ``add`` builds each layer as soon as its input shape is known, so ``summary()``
    works before any data is seen when the first layer declares its input
    (``Embedding(..., input_length=20)`` or ``input_shape=(20, 8)``).
    """

    def __init__(self, layers: list[Layer] | None = None, name: str | None = None):
        self.name = name or backend.unique_name("Sequential")
        self.layers: list[Layer] = []
        self.optimizer: optimizers.Optimizer | None = None
        self.loss: losses.Loss | None = None
        self.metrics_names: list[str] = []
        self.stop_training = False
        self.history: cbks.History | None = None
        self._mask_flows = False
        for layer in layers or []:
            self.add(layer)

    # ---- building -----------------------------------------------------------------------
    def add(self, layer: Layer) -> None:
        """Append a layer (checked before the model changes)."""
        if not isinstance(layer, Layer):
            raise TypeError(f"layer has type {type(layer).__name__}; accepted: a numrnn Layer")
        if isinstance(layer, RNN) and layer.return_state:
            raise ValueError(
                f"{layer.name}: return_state=True gives several outputs; a Sequential passes one "
                "array on, so call such a layer directly (see examples/seq2seq.py)"
            )
        if any(existing is layer for existing in self.layers):
            raise ValueError(f"layer {layer.name!r} is already in this model")
        if self.layers:  # (like Keras, an input_shape on a later layer is not used)
            if self._mask_flows and not layer.supports_masking:
                raise TypeError(
                    f"Layer {layer.name} does not support masking, but was passed an input mask "
                    "(from Embedding(mask_zero=True)); put a recurrent layer before it"
                )
            prev = self.layers[-1]
            if prev.built:
                self._build_layer(layer, prev.output_shape)
        else:
            if layer.batch_input_shape is not None and not layer.built:
                self._build_layer(layer, layer.batch_input_shape)
        self.layers.append(layer)
        self._mask_flows = self._layer_passes_mask(layer)

    def _layer_passes_mask(self, layer: Layer) -> bool:
        if isinstance(layer, Embedding):
            return layer.mask_zero
        if isinstance(layer, RNN):
            return self._mask_flows and layer.return_sequences
        return self._mask_flows and layer.supports_masking

    @staticmethod
    def _build_layer(layer: Layer, input_shape) -> None:
        if layer.built:
            if tuple(layer.input_shape[1:]) != tuple(input_shape[1:]):
                raise ValueError(
                    f"{layer.name} was built for input {layer.input_shape}, but receives "
                    f"{tuple(input_shape)}"
                )
            return
        layer.build(tuple(input_shape))

    def build(self, input_shape: tuple) -> None:
        """Build every layer for inputs of ``input_shape`` (batch dimension included)."""
        shape = tuple(input_shape)
        for layer in self.layers:
            self._build_layer(layer, shape)
            shape = layer.output_shape

    @property
    def built(self) -> bool:
        return bool(self.layers) and all(layer.built for layer in self.layers)

    @property
    def output_shape(self):
        return self.layers[-1].output_shape if self.built else None

    # ---- compile ------------------------------------------------------------------------
    def compile(self, optimizer="rmsprop", loss=None, metrics: list[str] | None = None) -> None:
        """Choose the optimizer, the loss and the metrics (``['acc']`` or ``['accuracy']``)."""
        if not self.layers:
            raise ValueError("compile: the model has no layers; add some first")
        if loss is None:
            raise ValueError(f"loss=None; accepted: {', '.join(sorted(losses._REGISTRY))}")
        opt = optimizers.get(optimizer)
        loss_fn = losses.get(loss)
        if metrics is not None and not isinstance(metrics, (list, tuple)):
            raise TypeError(f"metrics={metrics!r}; accepted: a list of names such as ['acc']")
        out_shape = self.layers[-1].output_shape if self.layers[-1].built else (None, None)
        resolved = [metrics_mod.resolve(m, loss_fn.name, out_shape) for m in (metrics or [])]
        self.optimizer, self.loss = opt, loss_fn
        self._metrics = resolved
        self.metrics_names = ["loss"] + [name for name, _ in resolved]

    def _fused_sigmoid_bce(self) -> bool:
        last = self.layers[-1]
        return (isinstance(self.loss, losses.BinaryCrossentropy) and isinstance(last, Dense)
                and last.activation.name == "sigmoid")

    # ---- forward / backward -------------------------------------------------------------
    def _prepare_x(self, x, argument: str = "x") -> np.ndarray:
        if x is None:
            raise ValueError(f"{argument}=None; accepted: an array of inputs")
        if not self.built:
            self.build((None,) + np.shape(x)[1:])
        first = self.layers[0]
        if isinstance(first, Embedding):
            return first.check_ids(x)
        arr = as_float_array(x, first.dtype, argument, finite=True)
        expected = first.input_shape
        if arr.ndim != len(expected) or any(
            e is not None and e != a for e, a in zip(expected[1:], arr.shape[1:])
        ):
            raise ValueError(f"{argument}: shape {arr.shape}; the model expects {expected}")
        return arr

    def _forward(self, x: np.ndarray, training: bool = False):
        mask = None
        for layer in self.layers:
            out = layer.forward(x, mask=mask, training=training)
            mask = layer.compute_mask(x, mask)
            x = out
        return x, mask

    def _backward(self, dy: np.ndarray, fused: bool) -> None:
        layers = self.layers
        if fused:
            dy = layers[-1].backward_from_preactivation(dy)
            layers = layers[:-1]
        for layer in reversed(layers):
            dy = layer.backward(dy)

    def trainable_layers_params(self) -> list[tuple[Layer, str]]:
        return [(layer, n) for layer in self.layers if layer.trainable for n in layer.params]

    @property
    def trainable_weights(self) -> list[np.ndarray]:
        return [layer.params[n] for layer, n in self.trainable_layers_params()]

    @staticmethod
    def _step_weights(per: np.ndarray, mask) -> np.ndarray | None:
        """With a mask on a sequence output, masked steps weigh 0 and the others
        size/count, so the mean runs over the real steps only (Keras' masked loss)."""
        if mask is None or per.shape != mask.shape:
            return None
        return mask * (mask.size / max(int(mask.sum()), 1))

    def _loss_terms(self, y: np.ndarray, y_pred: np.ndarray, mask):
        """Batch loss and dL/d(output) (or dL/dz for a fused sigmoid + BCE)."""
        fused = self._fused_sigmoid_bce()
        per = self.loss.per_sample(y, y_pred)
        if fused:
            grad = self.loss.gradient_through_sigmoid(y, y_pred)
        else:
            grad = self.loss.gradient(y, y_pred)
        weights = self._step_weights(per, mask)
        if weights is not None:
            per = per * weights
            grad = grad * weights[..., None]
        return float(np.mean(per)), grad, fused

    def compute_gradients(self, x, y) -> tuple[float, list]:
        """Loss on (x, y) and its gradient for every trainable weight; the weights do not change."""
        self._require_compiled()
        y_pred, mask = self._forward(x, training=True)
        loss, grad, fused = self._loss_terms(y, y_pred, mask)
        self._backward(grad, fused)
        return loss, [layer.grads[n] for layer, n in self.trainable_layers_params()]

    def _batch_metrics(self, y, y_pred) -> list[float]:
        return [float(np.mean(fn(y, y_pred))) for _, fn in self._metrics]

    def _train_step(self, x, y) -> list[float] | None:
        """One update; returns [loss, metrics...] computed before it, or None on a bad loss."""
        y_pred, mask = self._forward(x, training=True)
        loss, grad, fused = self._loss_terms(y, y_pred, mask)
        if not np.isfinite(loss):
            return None
        values = [loss] + self._batch_metrics(y, y_pred)
        self._backward(grad, fused)
        grads = [layer.grads[n] for layer, n in self.trainable_layers_params()]
        self.optimizer.apply_gradients(self.trainable_weights, grads)
        return values

    # ---- checks -------------------------------------------------------------------------
    def _require_compiled(self) -> None:
        if self.optimizer is None or self.loss is None:
            raise NotCompiledError("You must compile the model before training or evaluating "
                                   "it: call model.compile(optimizer=..., loss=...)")

    def _prepare_xy(self, x, y, argument_x="x", argument_y="y"):
        x = self._prepare_x(x, argument_x)
        if y is None:
            raise ValueError(f"{argument_y}=None; accepted: an array of targets")
        y = np.asarray(y)
        if len(y) != len(x):
            raise ValueError(
                f"{argument_x} and {argument_y} have different lengths: {len(x)} and {len(y)} "
                "samples; accepted: one target per input"
            )
        self.loss.check_targets(y)
        if y.dtype.kind in "biu" and not isinstance(self.loss,
                                                    losses.SparseCategoricalCrossentropy):
            y = y.astype(self.layers[-1].dtype)
        return x, y

    # ---- fit ----------------------------------------------------------------------------
    def fit(self, x=None, y=None, batch_size: int | None = None, epochs: int = 1,
            verbose: int = 1, callbacks: list | None = None, validation_split: float = 0.0,
            validation_data: tuple | None = None, shuffle: bool = True,
            initial_epoch: int = 0, seed: int | None = None) -> cbks.History:
        """Train for ``epochs`` epochs, as Keras 2.1 does.

        ``validation_split`` takes the *last* fraction of (x, y) before shuffling;
        each epoch reshuffles the previous order in place; epoch loss/metrics are the
        batch-size-weighted means of the per-batch values computed before each update;
        validation is the exact mean. ``seed`` fixes the shuffling of this call.
        Returns a `numrnn.callbacks.History`.
        """
        self._require_compiled()
        batch_size = 32 if batch_size is None else _positive_int("batch_size", batch_size)
        epochs = _positive_int("epochs", epochs, allow_zero=True)
        initial_epoch = _positive_int("initial_epoch", initial_epoch, allow_zero=True)
        if verbose not in (0, 1, 2):
            raise ValueError(f"verbose={verbose!r}; accepted: 0, 1 or 2")
        if not isinstance(validation_split, (int, float)) or not 0 <= validation_split < 1:
            raise ValueError(f"validation_split={validation_split!r}; accepted: 0 <= value < 1")
        if shuffle not in (True, False):
            raise ValueError(f"shuffle={shuffle!r}; accepted: True or False")
        x, y = self._prepare_xy(x, y)
        val = None
        if validation_data is not None:
            if not isinstance(validation_data, (tuple, list)) or len(validation_data) != 2:
                raise ValueError("validation_data: accepted a tuple (x_val, y_val)")
            val = self._prepare_xy(*validation_data, "validation_data x", "validation_data y")
        elif validation_split:
            split_at = int(len(x) * (1.0 - validation_split))
            if split_at == 0 or split_at == len(x):
                raise ValueError(
                    f"validation_split={validation_split} leaves {split_at} of {len(x)} samples "
                    "for training; accepted: a split that leaves both parts non-empty"
                )
            x, val = x[:split_at], (x[split_at:], y[split_at:])
            y = y[:split_at]
        if len(x) == 0:
            raise ValueError("x: no training samples")
        callbacks = list(callbacks or [])
        for cb in callbacks:
            if not isinstance(cb, cbks.Callback):
                raise TypeError(f"callbacks: {cb!r} is not a numrnn Callback")
        names = list(self.metrics_names) + (
            ["val_" + n for n in self.metrics_names] if val is not None else [])
        for cb in callbacks:
            monitor = getattr(cb, "monitor", None)
            needs = not isinstance(cb, cbks.ModelCheckpoint) or cb.save_best_only
            if monitor is not None and needs and monitor not in names:
                raise ValueError(
                    f"monitor={monitor!r} of {type(cb).__name__} is not logged by this fit; "
                    f"accepted: {', '.join(names)}"
                )

        self.history = cbks.History()
        # Keras' order: the progress bar, the user's callbacks, then History
        progbar = [cbks.ProgbarLogger(verbose)] if verbose else []
        cb_list = progbar + callbacks + [self.history]
        params = {"batch_size": batch_size, "epochs": epochs,
                  "steps": math.ceil(len(x) / batch_size),
                  "samples": len(x), "verbose": verbose, "do_validation": val is not None,
                  "metrics": names}
        for cb in cb_list:
            cb.set_model(self)
            cb.set_params(params)
        if verbose and val is not None:
            print(f"Train on {len(x)} samples, validate on {len(val[0])} samples")
        rng = backend.rng(seed)
        order = np.arange(len(x))
        self.stop_training = False
        for cb in cb_list:
            cb.on_train_begin()
        with backend.blas_threads():
            for epoch in range(initial_epoch, epochs):
                for cb in cb_list:
                    cb.on_epoch_begin(epoch)
                if shuffle:
                    rng.shuffle(order)
                sums, seen, completed = np.zeros(len(self.metrics_names)), 0, True
                for b, start in enumerate(range(0, len(x), batch_size)):
                    idx = order[start:start + batch_size]
                    values = self._train_step(x[idx], y[idx])
                    if values is None:
                        msg = (f"Epoch {epoch + 1}, batch {b}: the loss is NaN or infinite; "
                               "training stopped before this update (TerminateOnNaN), so the "
                               "weights are those of the previous batch")
                        if verbose:
                            print(msg, file=sys.stderr)
                        warnings.warn(msg, RuntimeWarning, stacklevel=2)
                        self.stop_training, completed = True, False
                        break
                    sums += np.array(values) * len(idx)
                    seen += len(idx)
                    logs = dict(zip(self.metrics_names, values), batch=b, size=len(idx))
                    for cb in cb_list:
                        cb.on_batch_end(b, logs)
                    if self.stop_training:
                        completed = start + batch_size >= len(x)
                        break
                means = sums / seen if seen else np.full(len(sums), np.nan)
                epoch_logs = dict(zip(self.metrics_names, means.tolist()))
                if completed:
                    if val is not None:
                        val_values = self._evaluate_arrays(*val, batch_size)
                        epoch_logs.update(
                            {"val_" + k: v for k, v in zip(self.metrics_names, val_values)})
                    for cb in cb_list:
                        cb.on_epoch_end(epoch, epoch_logs)
                else:
                    # An epoch cut short still gets one History value for every key: the
                    # means over its finished batches, NaN for what was not measured.
                    epoch_logs.update({k: float("nan") for k in names if k not in epoch_logs})
                    self.history.on_epoch_end(epoch, epoch_logs)
                if self.stop_training:
                    break
        for cb in cb_list:
            cb.on_train_end()
        return self.history

    # ---- evaluate / predict -------------------------------------------------------------
    def _evaluate_arrays(self, x, y, batch_size: int, progbar=None) -> list[float]:
        sums = np.zeros(len(self.metrics_names))
        for start in range(0, len(x), batch_size):
            xb, yb = x[start:start + batch_size], y[start:start + batch_size]
            y_pred, mask = self._forward(xb)
            per = self.loss.per_sample(yb, y_pred)
            weights = self._step_weights(per, mask)
            if weights is not None:
                per = per * weights
            values = [float(np.mean(per))] + self._batch_metrics(yb, y_pred)
            sums += np.array(values) * len(xb)
            if progbar is not None:
                progbar.update(start + len(xb), [], final=start + len(xb) == len(x))
        return (sums / len(x)).tolist()

    def evaluate(self, x=None, y=None, batch_size: int | None = None, verbose: int = 1):
        """Mean loss (and metrics) on (x, y): a float, or ``[loss, acc, ...]`` with metrics."""
        self._require_compiled()
        batch_size = 32 if batch_size is None else _positive_int("batch_size", batch_size)
        x, y = self._prepare_xy(x, y)
        bar = cbks.Progbar(len(x)) if verbose else None
        with backend.blas_threads():
            values = self._evaluate_arrays(x, y, batch_size, bar)
        return values if len(values) > 1 else values[0]

    def predict(self, x, batch_size: int | None = None, verbose: int = 0) -> np.ndarray:
        """Model outputs for ``x``, computed in batches of ``batch_size`` (default 32)."""
        batch_size = 32 if batch_size is None else _positive_int("batch_size", batch_size)
        x = self._prepare_x(x)
        outputs = []
        with backend.blas_threads():
            for start in range(0, len(x), batch_size):
                outputs.append(self._forward(x[start:start + batch_size])[0])
        if not outputs:
            return np.zeros((0,) + tuple(self.output_shape[1:]), self.layers[-1].dtype)
        return np.concatenate(outputs)

    def predict_classes(self, x, batch_size: int | None = None, verbose: int = 0) -> np.ndarray:
        """Class labels: ``p > 0.5`` for one output unit, else the argmax."""
        proba = self.predict(x, batch_size, verbose)
        if proba.shape[-1] > 1:
            return proba.argmax(axis=-1)
        return (proba > 0.5).astype("int32")

    def train_on_batch(self, x, y):
        """One update on one batch; returns the loss (and metrics) computed before it."""
        self._require_compiled()
        x, y = self._prepare_xy(x, y)
        with backend.blas_threads():
            values = self._train_step(x, y)
        if values is None:
            raise FloatingPointError("train_on_batch: the loss is NaN or infinite; the weights "
                                     "were not updated")
        return values if len(values) > 1 else values[0]

    def test_on_batch(self, x, y):
        self._require_compiled()
        x, y = self._prepare_xy(x, y)
        values = self._evaluate_arrays(x, y, max(len(x), 1))
        return values if len(values) > 1 else values[0]

    def predict_on_batch(self, x) -> np.ndarray:
        return self._forward(self._prepare_x(x))[0]

    # ---- weights ------------------------------------------------------------------------
    def count_params(self) -> int:
        return sum(layer.count_params() for layer in self.layers)

    def get_weights(self) -> list[np.ndarray]:
        return [w for layer in self.layers for w in layer.get_weights()]

    def set_weights(self, weights: list[np.ndarray]) -> None:
        """Set all weights (Keras order); every shape is checked before anything is written."""
        expected = sum(len(layer.params) for layer in self.layers)
        if len(weights) != expected:
            raise ValueError(
                f"weights: the model has {expected} weight arrays, given {len(weights)}")
        pos, chunks = 0, []
        for layer in self.layers:
            chunks.append(weights[pos:pos + len(layer.params)])
            for (pname, cur), w in zip(layer.params.items(), chunks[-1]):
                if np.shape(w) != cur.shape:
                    raise ValueError(f"weights: {layer.name}/{pname} has shape {cur.shape}, "
                                     f"given {np.shape(w)}")
            pos += len(layer.params)
        for layer, chunk in zip(self.layers, chunks):
            layer.set_weights(chunk)

    def _weights_dict(self) -> dict[str, np.ndarray]:
        return {f"{layer.name}/{pname}": w for layer in self.layers
                for pname, w in layer.params.items()}

    def save_weights(self, filepath: str | os.PathLike) -> None:
        """Write the weights to an ``.npz`` file (atomically), keyed ``layer_name/weight``."""
        arrays = self._weights_dict()
        meta = {"layer_names": [layer.name for layer in self.layers],
                "weight_names": list(arrays)}
        with atomic_write(filepath) as f:
            np.savez(f, __meta__=np.array(json.dumps(meta)), **_numbered(arrays))

    def load_weights(self, filepath: str | os.PathLike, by_name: bool = False) -> None:
        """Load weights saved by `save_weights` (by layer order, or by layer name)."""
        meta, arrays = _read_npz(filepath)
        self._assign_weights(meta, arrays, by_name, str(filepath))

    def _assign_weights(self, meta, arrays, by_name: bool, source: str) -> None:
        saved: dict[str, list[np.ndarray]] = {}
        for key, arr in zip(meta["weight_names"], arrays):
            saved.setdefault(key.rsplit("/", 1)[0], []).append(arr)
        with_weights = [layer for layer in self.layers if layer.params]
        if by_name:
            pairs = [(layer, saved[layer.name]) for layer in with_weights if layer.name in saved]
        else:
            saved_layers = [n for n in meta["layer_names"] if n in saved]
            if len(saved_layers) != len(with_weights):
                raise ValueError(
                    f"{source}: holds weights for {len(saved_layers)} layers, the model has "
                    f"{len(with_weights)} layers with weights"
                )
            pairs = [(layer, saved[n]) for layer, n in zip(with_weights, saved_layers)]
        for layer, ws in pairs:  # check everything first
            if len(ws) != len(layer.params) or any(
                np.shape(w) != p.shape for w, p in zip(ws, layer.params.values())
            ):
                raise ValueError(
                    f"{source}: weights for layer {layer.name!r} have shapes "
                    f"{[np.shape(w) for w in ws]}, the layer has "
                    f"{[p.shape for p in layer.params.values()]}"
                )
        for layer, ws in pairs:
            layer.set_weights(ws)

    # ---- whole-model persistence --------------------------------------------------------
    def get_config(self) -> dict:
        return {"name": self.name, "layers": [
            {"class_name": type(layer).__name__, "config": layer.get_config()}
            for layer in self.layers]}

    def save(self, filepath: str | os.PathLike) -> None:
        """Save architecture, weights, compile settings and optimizer state in one ``.npz``."""
        arrays = self._weights_dict()
        meta: dict[str, Any] = {"format": "numrnn-model-1", "model_config": self.get_config(),
                                "layer_names": [layer.name for layer in self.layers],
                                "weight_names": list(arrays), "training_config": None}
        opt_arrays: dict[str, np.ndarray] = {}
        if self.optimizer is not None:
            if isinstance(self.optimizer, optimizers.RMSprop):
                self.optimizer.accumulators()  # apply pending lazy decays
            meta["training_config"] = {
                "optimizer": {"name": self.optimizer.name, "config": self.optimizer.get_config(),
                              "iterations": self.optimizer.iterations},
                "loss": self.loss.name,
                "metrics": [n for n in self.metrics_names[1:]],
            }
            for i, state in enumerate(self.optimizer.state):
                for k, v in state.items():
                    opt_arrays[f"opt/{i}/{k}"] = v
        numbered = _numbered(arrays)
        with atomic_write(filepath) as f:
            np.savez(f, __meta__=np.array(json.dumps(meta)), **numbered, **opt_arrays)

    def summary(self, line_length: int = 65, print_fn=print) -> None:
        """Print the Keras 2.1 table: layer (type), output shape, parameter count."""
        positions = [int(line_length * p) for p in (0.45, 0.85, 1.0)]

        def row(fields):
            line = ""
            for i, field in enumerate(fields):
                if i > 0:
                    line = line[:-1] + " "
                line = (line + str(field))[: positions[i]]
                line += " " * (positions[i] - len(line))
            print_fn(line)

        print_fn("_" * line_length)
        row(["Layer (type)", "Output Shape", "Param #"])
        print_fn("=" * line_length)
        for k, layer in enumerate(self.layers):
            shape = layer.output_shape if layer.built else "multiple"
            row([f"{layer.name} ({type(layer).__name__})", shape,
                 layer.count_params() if layer.built else 0])
            print_fn(("=" if k == len(self.layers) - 1 else "_") * line_length)
        total = self.count_params()
        trainable = sum(layer.count_params() for layer in self.layers if layer.trainable)
        print_fn(f"Total params: {total:,}")
        print_fn(f"Trainable params: {trainable:,}")
        print_fn(f"Non-trainable params: {total - trainable:,}")
        print_fn("_" * line_length)


def _numbered(arrays: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    return {f"w{i}": a for i, a in enumerate(arrays.values())}


def _read_npz(filepath) -> tuple[dict, list[np.ndarray]]:
    if not os.path.exists(filepath):
        raise FileNotFoundError(f"filepath={str(filepath)!r}: no such file")
    with np.load(filepath, allow_pickle=False) as data:
        if "__meta__" not in data:
            raise ValueError(f"filepath={str(filepath)!r} is not a numrnn weights file")
        meta = json.loads(str(data["__meta__"]))
        arrays = [data[f"w{i}"] for i in range(len(meta["weight_names"]))]
        opt = {k: data[k] for k in data.files if k.startswith("opt/")}
    meta["_optimizer_arrays"] = opt
    return meta, arrays


def load_model(filepath: str | os.PathLike, compile: bool = True) -> Sequential:
    """Rebuild a model saved with `Sequential.save`, with its weights and optimizer state."""
    meta, arrays = _read_npz(filepath)
    if meta.get("format") != "numrnn-model-1":
        raise ValueError(f"filepath={str(filepath)!r} holds weights only; use load_weights")
    config = meta["model_config"]
    model = Sequential(name=config["name"])
    for spec in config["layers"]:
        model.add(deserialize_layer(spec))
    if not model.built:
        raise ValueError(f"{filepath}: the saved model has no input shape to build from")
    model._assign_weights(meta, arrays, by_name=False, source=str(filepath))
    tc = meta.get("training_config")
    if compile and tc:
        opt = optimizers.from_config(tc["optimizer"]["name"], tc["optimizer"]["config"])
        model.compile(opt, tc["loss"], tc["metrics"])
        opt_arrays = meta["_optimizer_arrays"]
        if opt_arrays:
            n = len(model.trainable_weights)
            opt.state = [{} for _ in range(n)]
            for key, value in opt_arrays.items():
                _, i, k = key.split("/")
                opt.state[int(i)][k] = value
            if isinstance(opt, optimizers.RMSprop):
                for s in opt.state:
                    s["last_step"][:] = tc["optimizer"]["iterations"]
        opt.iterations = tc["optimizer"]["iterations"]
    return model
