"""``Model``: a graph of layers (`Network`) that can be compiled, trained and evaluated.

The loops themselves live in `numrnn.engine.training_arrays`; this module holds what they
need from a model: the compiled losses and metrics, one training step, and the loss of a
batch with Keras 2.1's masking and sample weighting:

    score = per-sample (or per-step) loss
    score *= mask / mean(mask)                (masked sequence outputs)
    score *= w / mean(w != 0)                 (sample weights)
    loss  = sum_k loss_weight_k * mean(score_k)  +  regularization penalties
"""

from __future__ import annotations

import math
import os
import warnings
import weakref
from typing import Any

import numpy as np

from .. import backend, losses, optimizers
from .. import callbacks as cbks
from .. import metrics as metrics_mod
from ..layers.base import Layer, unknown_argument_error
from . import data as data_mod
from . import saving, summary, training_arrays
from .network import Network, SymbolicTensor

__all__ = ["Model", "NotCompiledError"]


class NotCompiledError(ValueError, RuntimeError):
    """Training or evaluating before ``compile``. A ValueError, and also the RuntimeError
    that Keras raises here, so either ``except`` clause catches it."""


def check_verbose(verbose) -> None:
    if not isinstance(verbose, (int, np.integer)) or verbose not in (0, 1, 2):
        raise ValueError(f"verbose={verbose!r}; accepted: 0, 1 or 2")


def positive_int(name: str, value, allow_zero: bool = False) -> int:
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < (
        0 if allow_zero else 1
    ):
        raise ValueError(f"{name}={value!r}; accepted: an int >= {0 if allow_zero else 1}")
    return int(value)


# Which model an optimizer instance is compiled into (one optimizer, one model; see compile).
_OPTIMIZER_OWNERS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _keras3_alias(key: str) -> str | None:
    """'acc' -> 'accuracy', 'val_acc' -> 'val_accuracy', 'out_acc' -> 'out_accuracy'."""
    if key == "acc" or key.endswith("_acc"):
        return key[:-3] + "accuracy"
    return None


class Model(Network):
    """A model from symbolic input tensors to output tensors (Keras' functional API).

        enc_in = Input(shape=(None,), dtype='int32')
        h = LSTM(32)(Embedding(100, 8)(enc_in))
        model = Model(inputs=enc_in, outputs=Dense(1, activation='sigmoid')(h))
        model.compile('rmsprop', 'binary_crossentropy', metrics=['acc'])
        model.fit(x, y)

    ``inputs``/``outputs`` are one tensor or lists of them; ``fit``/``evaluate``/``predict``
    then take one array or a list of arrays (or a dict by input/output layer name) in the
    same order. A layer called several times shares its weights across the calls.
    """

    def __init__(self, inputs=None, outputs=None, name: str | None = None, **unknown):
        if unknown:
            raise unknown_argument_error("Model", unknown, ["inputs", "outputs", "name"])
        self.name = name or backend.unique_name(type(self).__name__)
        self.optimizer: optimizers.Optimizer | None = None
        self.loss = None
        self.metrics_names: list[str] = []
        self.stop_training = False
        self.history: cbks.History | None = None
        self._compiled = False
        self._graph_ready = False
        if type(self) is Model or inputs is not None or outputs is not None:
            if inputs is None or outputs is None:
                raise ValueError("Model(inputs, outputs): both are needed; accepted: symbolic "
                                 "tensors from numrnn.layers.Input and layer calls")
            self._set_graph(inputs, outputs)

    def _set_graph(self, inputs, outputs) -> None:
        self._inputs_were_list = isinstance(inputs, (list, tuple))
        self._outputs_were_list = isinstance(outputs, (list, tuple))
        ins = list(inputs) if self._inputs_were_list else [inputs]
        outs = list(outputs) if self._outputs_were_list else [outputs]
        self._init_graph(ins, outs)
        self._graph_ready = True

    # ---- structure ------------------------------------------------------------------
    @property
    def layers(self) -> list[Layer]:
        """The layers in graph order (the Input layers first)."""
        return list(self._graph_layers) if self._graph_ready else []

    @property
    def built(self) -> bool:
        return self._graph_ready

    @property
    def input_names(self) -> list[str]:
        return [t._keras_history[0].name for t in self.inputs]

    @property
    def output_names(self) -> list[str]:
        return [t._keras_history[0].name for t in self.outputs]

    @property
    def input_shape(self):
        """The input shape (a list of shapes for several inputs), batch dimension None."""
        self._require_built("input_shape")
        shapes = [t.shape for t in self.inputs]
        return shapes if self._inputs_were_list else shapes[0]

    @property
    def output_shape(self):
        if not self.built:
            return None
        shapes = self._output_shapes()
        return shapes if self._outputs_were_list else shapes[0]

    def _output_shapes(self) -> list[tuple]:
        return [t.shape for t in self.outputs]

    def _output_dtype(self, k: int) -> np.dtype:
        return self.outputs[k]._keras_history[0].dtype

    def _input_consumers(self, tensor: SymbolicTensor) -> list[Layer]:
        """Layers of this model that read ``tensor`` directly as their (first) input."""
        found = []
        for node in self._nodes:
            if node.input_tensors and node.input_tensors[0] is tensor and not node.list_input \
                    and all(node.layer is not f for f in found):
                found.append(node.layer)
        return found

    def get_layer(self, name: str | None = None, index: int | None = None) -> Layer:
        """A layer by ``name`` or by ``index`` in ``model.layers`` (Keras 2.1)."""
        if (name is None) == (index is None):
            raise ValueError("get_layer: give exactly one of name= or index=")
        layers = self.layers
        if index is not None:
            if not isinstance(index, (int, np.integer)) or isinstance(index, bool):
                raise TypeError(f"index={index!r}; accepted: an int")
            if not -len(layers) <= index < len(layers):
                raise ValueError(f"index={index}: the model has {len(layers)} layers")
            return layers[index]
        for layer in layers:
            if layer.name == name:
                return layer
        raise ValueError(f"No such layer: {name!r}; the model has "
                         f"{', '.join(layer.name for layer in layers) or 'no layers'}")

    def _require_built(self, what: str) -> None:
        if not self.built:
            raise ValueError(
                f"{what}: this model has not been built yet; build it by giving the first layer "
                "an input shape (input_shape=..., or Embedding(..., input_length=...)), calling "
                "model.build(input_shape), or fit/predict on some data")

    # ---- weights ----------------------------------------------------------------------
    def trainable_layers_params(self) -> list[tuple[Layer, str]]:
        """(layer, weight name) of every weight the optimizer updates, in model order."""
        return [(layer, n) for layer in self.layers for n in layer.trainable_param_names]

    @property
    def trainable_weights(self) -> list[np.ndarray]:
        return [layer.params[n] for layer, n in self.trainable_layers_params()]

    @property
    def weights(self) -> list[np.ndarray]:
        return [w for layer in self.layers for w in layer.params.values()]

    def count_params(self) -> int:
        return sum(layer.count_params() for layer in self.layers)

    def get_weights(self) -> list[np.ndarray]:
        """Copies of all weights, layer by layer in Keras order."""
        return [w for layer in self.layers for w in layer.get_weights()]

    def set_weights(self, weights: list[np.ndarray]) -> None:
        """Set all weights (Keras order). Every array of every layer is checked (count, shape,
        numeric, finite) before anything is written."""
        if not isinstance(weights, (list, tuple)):
            raise TypeError(f"weights has type {type(weights).__name__}; accepted: a list of "
                            "arrays (as get_weights returns)")
        expected = sum(len(layer.params) for layer in self.layers)
        if len(weights) != expected:
            raise ValueError(
                f"weights: the model has {expected} weight arrays, given {len(weights)}")
        pos, checked = 0, []
        for layer in self.layers:
            n = len(layer.params)
            checked.append((layer, layer.check_weights(list(weights[pos:pos + n]))))
            pos += n
        for layer, ws in checked:
            layer.assign_checked_weights(ws)

    def save_weights(self, filepath: str | os.PathLike) -> None:
        """Write the weights to an ``.npz`` file (atomically), keyed ``layer_name/weight``."""
        saving.save_weights(self, filepath)

    def load_weights(self, filepath: str | os.PathLike, by_name: bool = False) -> None:
        """Load weights saved by `save_weights` or `save` (by layer order, or by layer name);
        everything is checked before any weight is written."""
        saving.load_weights(self, filepath, by_name)

    def save(self, filepath: str | os.PathLike) -> None:
        """Save architecture, weights, compile settings and optimizer state in one ``.npz``
        (atomically). Saving never changes the model or the optimizer."""
        saving.save_model(self, filepath)

    def get_config(self) -> dict:
        """The graph as JSON-able data (Keras 2.1's functional config)."""
        return saving.network_config(self)

    @classmethod
    def from_config(cls, config: dict) -> Model:
        return saving.network_from_config(config)

    def to_json(self, **kwargs) -> str:
        """The architecture as JSON (``numrnn.models.model_from_json`` rebuilds it)."""
        return saving.model_to_json(self, **kwargs)

    def summary(self, line_length: int | None = None, positions=None, print_fn=print) -> None:
        """Print Keras 2.1's table; a branching model gets the 'Connected to' column."""
        summary.print_summary(self, line_length, positions, print_fn)

    # ---- compile ----------------------------------------------------------------------
    def compile(self, optimizer="rmsprop", loss=None, metrics=None, loss_weights=None,
                sample_weight_mode=None, **unknown) -> None:
        """Choose the optimizer, the loss(es), the metrics and the loss weights.

        loss: a name or loss object, a list (one per output) or a dict by output name.
        metrics: a list of names (``'acc'``, ``'accuracy'``, ...) for every output, or a dict
        by output name; 'acc' is resolved from the output shape and the loss once the model is
        built (Keras 2.1). loss_weights: a list or dict; the total loss is the weighted sum.
        sample_weight_mode: None (one weight per sample) or 'temporal' (one per time step).

        One optimizer instance serves one model: compiling it into a second model raises,
        because its state (iterations, moments) belongs to the first one's weights.
        """
        if unknown:
            raise unknown_argument_error(
                "compile", unknown, ["optimizer", "loss", "metrics", "loss_weights",
                                     "sample_weight_mode"])
        self._require_layers("compile")
        if loss is None:
            raise ValueError(f"loss=None; accepted: {', '.join(sorted(losses._REGISTRY))}")
        opt = optimizers.get(optimizer)
        owner = _OPTIMIZER_OWNERS.get(opt)
        if owner is not None and owner() is not None and owner() is not self:
            raise ValueError(
                f"optimizer: this {type(opt).__name__} instance is already compiled into model "
                f"{owner().name!r}, and its state (iterations, moments) belongs to that model's "
                "weights; accepted: a new optimizer for each model, e.g. "
                f"{type(opt).__name__}(**old.get_config())")
        names = self._compile_output_names()
        output_losses = self._per_output(loss, names, "loss", losses.get)
        if all(lo is None for lo in output_losses):
            raise ValueError(f"loss={loss!r} gives no output a loss; accepted: a loss for at "
                             f"least one of {names}")
        if any(lo is None for lo in output_losses):  # Keras 2.1 warns too
            warnings.warn(f"loss: no loss for output(s) "
                          f"{[n for n, lo in zip(names, output_losses) if lo is None]}; they "
                          "are not trained and need no targets", UserWarning, stacklevel=2)
        weights = self._per_output(1.0 if loss_weights is None else loss_weights, names,
                                   "loss_weights", _as_loss_weight, broadcast=False)
        modes = self._per_output(sample_weight_mode, names, "sample_weight_mode", _as_mode)
        if metrics is not None and not isinstance(metrics, (list, tuple, dict)):
            raise TypeError(f"metrics={metrics!r}; accepted: a list of names such as ['acc'], "
                            "or a dict of such lists by output name")
        metric_specs = self._per_output(metrics or [], names, "metrics", _as_metric_list,
                                        broadcast_lists=True)
        # validated: now change the model
        self.optimizer = opt
        _OPTIMIZER_OWNERS[opt] = weakref.ref(self)
        self._output_losses = output_losses
        self.loss = output_losses[0] if len(output_losses) == 1 else output_losses
        self._loss_weights = weights
        self._sample_weight_modes = modes
        self._metric_specs = metric_specs
        self._metrics: list[list[tuple[str, Any]]] | None = None
        self._compiled = True
        self.metrics_names = self._metric_names(names)
        if self.built:
            self._resolve_metrics()

    def _require_layers(self, what: str) -> None:
        if not self.layers and not getattr(self, "_pending_layers", None):
            raise ValueError(f"{what}: the model has no layers; add some first")

    def _compile_output_names(self) -> list[str]:
        return self.output_names

    @staticmethod
    def _per_output(value, names: list[str], argument: str, convert, broadcast: bool = True,
                    broadcast_lists: bool = False) -> list:
        """A compile argument as one converted value per output."""
        if isinstance(value, dict):
            unknown = sorted(set(value) - set(names))
            if unknown:
                raise ValueError(f"{argument}: unknown output name(s) {unknown}; accepted: "
                                 f"{names}")
            return [convert(value[n]) if n in value else (
                convert([]) if broadcast_lists else (convert(1.0) if argument == "loss_weights"
                                                     else None)) for n in names]
        if isinstance(value, (list, tuple)) and not broadcast_lists:
            if len(value) != len(names):
                raise ValueError(f"{argument}: given {len(value)} values for {len(names)} "
                                 f"outputs ({', '.join(names)}); accepted: one per output or a "
                                 "dict by output name")
            return [convert(v) for v in value]
        if not broadcast and len(names) > 1 and not isinstance(value, (int, float)):
            raise ValueError(f"{argument}={value!r}; accepted: a list or dict, one per output")
        return [convert(value) for _ in names]

    def _metric_names(self, names: list[str]) -> list[str]:
        out = ["loss"]
        several = len(names) > 1
        if several:  # (an output without a loss has no loss entry, as in Keras 2.1)
            out += [f"{n}_loss" for n, lo in zip(names, self._output_losses) if lo is not None]
        for n, specs in zip(names, self._metric_specs):
            for spec in specs:
                base = _metric_log_name(spec)
                out.append(f"{n}_{base}" if several else base)
        return out

    def _resolve_metrics(self) -> None:
        """Metric functions from names, once the output shapes are known (Keras 2.1: 'acc' is
        binary for one output unit or binary_crossentropy, sparse for a sparse loss, else
        categorical)."""
        resolved = []
        for k, specs in enumerate(self._metric_specs):
            loss = self._output_losses[k]
            loss_name = getattr(loss, "name", "")
            row = []
            for spec in specs:
                if callable(spec) and not isinstance(spec, str):
                    row.append((_metric_log_name(spec), spec))
                else:
                    row.append(metrics_mod.resolve(spec, loss_name, self._output_shapes()[k]))
            resolved.append(row)
        self._metrics = resolved

    def _require_compiled(self) -> None:
        if not self._compiled:
            raise NotCompiledError("You must compile the model before training or evaluating "
                                   "it: call model.compile(optimizer=..., loss=...)")

    # ---- forward, loss, backward ------------------------------------------------------
    def _ensure_built_for(self, xs) -> None:
        """Hook for Sequential (build from the first data); a functional model is built."""
        if self._compiled and self._metrics is None:
            self._resolve_metrics()

    def _fused_outputs(self) -> list[bool]:
        """Outputs where a sigmoid Dense meets binary cross-entropy: the loss gradient goes
        straight to the pre-activation, (p - y)/N, which is exact and stable."""
        flags = []
        for t, loss in zip(self.outputs, self._output_losses):
            layer = t._keras_history[0]
            flags.append(
                isinstance(loss, losses.BinaryCrossentropy)
                and hasattr(layer, "backward_from_preactivation")
                and getattr(getattr(layer, "activation", None), "name", None) == "sigmoid"
                and getattr(layer, "activity_regularizer", None) is None
                and self._consumers.get(id(t), 0) == 1 and not t.node.list_output)
        return flags

    @staticmethod
    def _element_weights(per: np.ndarray, mask, sample_weight) -> np.ndarray | None:
        """Weights of each loss element so that mean(per * W) is Keras 2.1's weighted, masked
        loss; None when there is nothing to weigh (the plain mean)."""
        weights = None
        if mask is not None and per.shape == np.shape(mask):
            weights = mask * (mask.size / max(int(mask.sum()), 1))
        if sample_weight is not None:
            w = sample_weight.reshape(sample_weight.shape + (1,) * (per.ndim - sample_weight.ndim))
            nonzero = np.mean(sample_weight != 0)
            w = np.broadcast_to(w / nonzero if nonzero > 0 else w * 0, per.shape)
            w = w.astype(per.dtype)
            weights = w if weights is None else weights * w
        return weights

    def _loss_terms(self, ys, y_preds, masks, sample_weights=None, with_grad: bool = True):
        """Total loss, one loss per output, and dL/d(output) for every output (dL/dz for a
        fused output)."""
        fused = self._fused_outputs() if with_grad else [False] * len(ys)
        total, per_output, grads = 0.0, [], []
        sws = sample_weights or [None] * len(ys)
        for k, (y, p, m, sw) in enumerate(zip(ys, y_preds, masks, sws)):
            loss = self._output_losses[k]
            if loss is None:
                per_output.append(0.0)
                grads.append(None)
                continue
            per = loss.per_sample(y, p)
            weights = self._element_weights(per, m, sw)
            if weights is not None:
                per = per * weights
            value = float(np.mean(per))
            lw = self._loss_weights[k]
            per_output.append(value)
            total += value if lw == 1.0 else lw * value
            if with_grad:
                grad = loss.gradient_through_sigmoid(y, p) if fused[k] else loss.gradient(y, p)
                if weights is not None:
                    grad = grad * weights[..., None]
                if lw != 1.0:
                    grad = grad * lw
                grads.append(grad)
        penalty = self._regularization_loss()
        if penalty:
            total += penalty
        return total, per_output, grads, fused

    def _regularization_loss(self) -> float:
        return float(sum(layer.regularization_loss() for layer in self.layers))

    def _batch_values(self, ys, y_preds, masks, sample_weights=None,
                      with_grad: bool = False):
        """[loss, (output losses), metrics...] for one batch (and the gradients)."""
        total, per_output, grads, fused = self._loss_terms(ys, y_preds, masks, sample_weights,
                                                           with_grad)
        values = [total] + ([v for v, lo in zip(per_output, self._output_losses)
                             if lo is not None] if len(ys) > 1 else [])
        for k, row in enumerate(self._metrics):
            for _, fn in row:
                values.append(_masked_mean(fn(ys[k], y_preds[k]), masks[k]))
        return values, grads, fused

    def compute_gradients(self, x, y, sample_weight=None) -> tuple[float, list]:
        """Loss on (x, y) and its gradient for every trainable weight; weights do not change."""
        self._require_compiled()
        xs = self._standardize_x(x)
        ys = data_mod.standardize_targets(self, y, len(xs[0]))
        sws = data_mod.standardize_sample_weights(self, sample_weight, None, ys)
        y_preds, masks = self._forward_graph(xs, training=True, penalties=True)
        total, _, grads, fused = self._loss_terms(ys, y_preds, masks, sws)
        self._backward_graph(grads, fused)
        return total, [layer.grads[n] for layer, n in self.trainable_layers_params()]

    def _train_step(self, xs, ys, sample_weights=None) -> list[float] | None:
        """One update; returns [loss, ...metrics] computed before it, or None on a bad loss.
        ``xs``/``ys``: lists of checked arrays (one array is taken as a list of one)."""
        xs, ys = _listed(xs), _listed(ys)
        y_preds, masks = self._forward_graph(xs, training=True, penalties=True)
        values, grads, fused = self._batch_values(ys, y_preds, masks, sample_weights,
                                                  with_grad=True)
        if not np.isfinite(values[0]):
            return None
        self._backward_graph(grads, fused)
        pairs = self.trainable_layers_params()
        self.optimizer.apply_gradients([layer.params[n] for layer, n in pairs],
                                       [layer.grads[n] for layer, n in pairs])
        for layer in self.layers:
            layer.apply_constraints()
        return values

    def _test_step(self, xs, ys, sample_weights=None) -> list[float]:
        y_preds, masks = self._forward_graph(xs, training=False, penalties=True)
        return self._batch_values(ys, y_preds, masks, sample_weights)[0]

    def _predict_step(self, xs) -> list[np.ndarray]:
        return self._forward_graph(xs, training=False)[0]

    # ---- data -------------------------------------------------------------------------
    def _standardize_x(self, x, argument: str = "x") -> list[np.ndarray]:
        self._require_layers("predict")
        self._ensure_built_for(x)
        return data_mod.standardize_inputs(self, x, argument)

    def _standardize_xy(self, x, y, sample_weight=None, class_weight=None, argument_x="x",
                        argument_y="y", argument_w="sample_weight"):
        xs = self._standardize_x(x, argument_x)
        ys = data_mod.standardize_targets(self, y, len(xs[0]), argument_y, argument_x)
        data_mod.check_target_shapes(self, ys, argument_y)
        sws = data_mod.standardize_sample_weights(self, sample_weight, class_weight, ys,
                                                  argument_w)
        return xs, ys, sws

    def _unwrap_outputs(self, outs: list):
        return outs if self._outputs_were_list else outs[0]

    # ---- the public training API --------------------------------------------------------
    def fit(self, x=None, y=None, batch_size: int | None = None, epochs: int = 1,
            verbose: int = 1, callbacks: list | None = None, validation_split: float = 0.0,
            validation_data: tuple | None = None, shuffle: bool = True,
            class_weight: dict | None = None, sample_weight=None, initial_epoch: int = 0,
            seed: int | None = None, **unknown) -> cbks.History:
        """Train for ``epochs`` epochs, as Keras 2.1 does.

        ``validation_split`` takes the *last* fraction of (x, y) before shuffling;
        each epoch reshuffles the previous order in place; epoch loss/metrics are the
        batch-size-weighted means of the per-batch values computed before each update;
        validation is the exact mean. ``validation_data`` is ``(x_val, y_val)`` or
        ``(x_val, y_val, sample_weight_val)``. ``sample_weight`` / ``class_weight`` weigh the
        loss (Keras 2.1: ``mean(w * loss) / mean(w != 0)``). ``seed`` fixes the shuffling of
        this call. Everything is checked before the first update. Returns a
        `numrnn.callbacks.History` (with Keras 2.1's 'acc' keys and Keras 3's 'accuracy').
        """
        if unknown:
            raise unknown_argument_error(
                "fit", unknown, ["x", "y", "batch_size", "epochs", "verbose", "callbacks",
                                 "validation_split", "validation_data", "shuffle",
                                 "class_weight", "sample_weight", "initial_epoch", "seed"])
        self._require_compiled()
        batch_size = 32 if batch_size is None else positive_int("batch_size", batch_size)
        epochs = positive_int("epochs", epochs, allow_zero=True)
        initial_epoch = positive_int("initial_epoch", initial_epoch, allow_zero=True)
        if seed is not None:
            seed = positive_int("seed", seed, allow_zero=True)
        check_verbose(verbose)
        if not isinstance(validation_split, (int, float)) or isinstance(validation_split, bool) \
                or not 0 <= validation_split < 1:
            raise ValueError(f"validation_split={validation_split!r}; accepted: 0 <= value < 1")
        if not isinstance(shuffle, (bool, np.bool_)):
            raise ValueError(f"shuffle={shuffle!r}; accepted: True or False")
        from .callback_list import as_callback_list

        callbacks = as_callback_list(callbacks)
        xs, ys, sws = self._standardize_xy(x, y, sample_weight, class_weight)
        val = None
        if validation_data is not None:
            if not isinstance(validation_data, (tuple, list)) or len(validation_data) not in (2,
                                                                                           3):
                raise ValueError("validation_data: accepted a tuple (x_val, y_val) or "
                                 "(x_val, y_val, sample_weight_val)")
            vx, vy = validation_data[0], validation_data[1]
            vw = validation_data[2] if len(validation_data) == 3 else None
            val = self._standardize_xy(vx, vy, vw, None, "validation_data x",
                                       "validation_data y", "validation_data sample_weight")
            if len(val[0][0]) == 0:
                raise ValueError("validation_data: 0 samples; accepted: at least one sample "
                                 "(or no validation_data)")
        elif validation_split:
            n = len(xs[0])
            k_in, k_out = len(xs), len(ys)
            train, held = data_mod.split_validation(xs + ys + sws, validation_split, n)
            xs, ys, sws = train[:k_in], train[k_in:k_in + k_out], train[k_in + k_out:]
            val = (held[:k_in], held[k_in:k_in + k_out], held[k_in + k_out:])
        if len(xs[0]) == 0:
            raise ValueError("x: no training samples; accepted: at least one sample")
        return training_arrays.fit_loop(
            self, xs, ys, sws, val, batch_size=batch_size, epochs=epochs, verbose=verbose,
            callbacks=callbacks, shuffle=shuffle, initial_epoch=initial_epoch, seed=seed)

    def evaluate(self, x=None, y=None, batch_size: int | None = None, verbose: int = 1,
                 sample_weight=None, **unknown):
        """Mean loss (and metrics) on (x, y): a float, or ``[loss, acc, ...]`` with metrics."""
        if unknown:
            raise unknown_argument_error("evaluate", unknown, ["x", "y", "batch_size",
                                                               "verbose", "sample_weight"])
        self._require_compiled()
        batch_size = 32 if batch_size is None else positive_int("batch_size", batch_size)
        check_verbose(verbose)
        xs, ys, sws = self._standardize_xy(x, y, sample_weight)
        if len(xs[0]) == 0:
            raise ValueError("x: 0 samples; accepted: at least one sample to evaluate on")
        bar = cbks.Progbar(len(xs[0])) if verbose else None
        with backend.blas_threads():
            values = training_arrays.test_loop(self, xs, ys, sws, batch_size, bar)
        return values if len(values) > 1 else values[0]

    def predict(self, x, batch_size: int | None = None, verbose: int = 0, **unknown):
        """Model outputs for ``x``, computed in batches of ``batch_size`` (default 32); a list
        of arrays for a model with several outputs."""
        if unknown:
            raise unknown_argument_error("predict", unknown, ["x", "batch_size", "verbose"])
        batch_size = 32 if batch_size is None else positive_int("batch_size", batch_size)
        check_verbose(verbose)
        xs = self._standardize_x(x)
        with backend.blas_threads():
            outs = training_arrays.predict_loop(self, xs, batch_size)
        return self._unwrap_outputs(outs)

    def train_on_batch(self, x, y, sample_weight=None, class_weight=None):
        """One update on one batch; returns the loss (and metrics) computed before it."""
        self._require_compiled()
        xs, ys, sws = self._standardize_xy(x, y, sample_weight, class_weight)
        _require_samples(xs, "train_on_batch")
        with backend.blas_threads():
            values = self._train_step(xs, ys, sws)
        if values is None:
            raise FloatingPointError("train_on_batch: the loss is NaN or infinite; the weights "
                                     "were not updated")
        return values if len(values) > 1 else values[0]

    def test_on_batch(self, x, y, sample_weight=None):
        """Loss (and metrics) on one batch, without updating."""
        self._require_compiled()
        xs, ys, sws = self._standardize_xy(x, y, sample_weight)
        _require_samples(xs, "test_on_batch")
        with backend.blas_threads():
            values = self._test_step(xs, ys, sws)
        return values if len(values) > 1 else values[0]

    def predict_on_batch(self, x):
        """Outputs for one batch."""
        xs = self._standardize_x(x)
        with backend.blas_threads():
            return self._unwrap_outputs(self._predict_step(xs))

    def reset_states(self) -> None:
        """Reset the states of every stateful layer (Keras' ``model.reset_states()``)."""
        for layer in self.layers:
            if getattr(layer, "stateful", False) and hasattr(layer, "reset_states"):
                layer.reset_states()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r}>"


def _listed(arrays) -> list:
    return [arrays] if isinstance(arrays, np.ndarray) else list(arrays)


def _require_samples(xs, what: str) -> None:
    if len(xs[0]) == 0:
        raise ValueError(f"{what}: x has 0 samples; accepted: at least one sample")


def _masked_mean(values: np.ndarray, mask) -> float:
    """Mean of a per-sample metric; over the unmasked steps only for a masked sequence
    output (Keras 2.1 masks metrics like the loss)."""
    values = np.asarray(values)
    if mask is not None and values.shape == np.shape(mask):
        count = int(np.sum(mask))
        return float(np.sum(values * mask) / max(count, 1))
    return float(np.mean(values))


def _as_loss_weight(value) -> float:
    if not isinstance(value, (int, float, np.floating, np.integer)) or isinstance(value, bool) \
            or not math.isfinite(value):
        raise ValueError(f"loss_weights: {value!r}; accepted: finite numbers")
    return float(value)


def _as_mode(value):
    if value not in (None, "temporal"):
        raise ValueError(f"sample_weight_mode={value!r}; accepted: None or 'temporal'")
    return value


def _as_metric_list(value) -> list:
    if not isinstance(value, (list, tuple)):
        value = [value]
    for m in value:
        if not (isinstance(m, str) or callable(m)):
            raise TypeError(f"metrics: {m!r}; accepted: metric names such as 'acc' or "
                            "functions f(y_true, y_pred)")
        accepted = getattr(metrics_mod, "ACCEPTED", ())
        if isinstance(m, str) and m not in accepted:
            raise ValueError(f"metrics: {m!r} is not a known metric; accepted: "
                             f"{', '.join(accepted)}")
    return list(value)


def _metric_log_name(spec) -> str:
    """The name a metric is logged under, as Keras 2.1: 'acc' for 'acc'/'accuracy', the
    function's name otherwise ('mae' -> 'mean_absolute_error')."""
    if isinstance(spec, str):
        if spec in ("acc", "accuracy"):
            return "acc"
        return metrics_mod.resolve(spec, "", (None, 1))[0]
    return getattr(spec, "__name__", type(spec).__name__)
