"""Data going into a model: inputs and targets as lists of arrays (one per model input/output),
checked before anything changes; sample and class weights; the validation split."""

from __future__ import annotations

import numpy as np

from .. import losses


def _as_list(data, names: list[str], argument: str, what: str) -> list:
    """``data`` (one array, a list of arrays, or a dict by name) as a list in ``names`` order."""
    if data is None:
        raise ValueError(f"{argument}=None; accepted: an array of {what}")
    if isinstance(data, dict):
        unknown = sorted(set(data) - set(names))
        missing = [n for n in names if n not in data]
        if unknown or missing:
            raise ValueError(f"{argument}: dict keys {sorted(data)}; accepted: the model's "
                             f"{what} names {names}")
        return [data[n] for n in names]
    if len(names) == 1:
        if isinstance(data, (list, tuple)) and len(data) == 1 and isinstance(data[0], np.ndarray):
            return [data[0]]
        return [data]
    if not isinstance(data, (list, tuple)) or len(data) != len(names):
        given = f"a list of {len(data)}" if isinstance(data, (list, tuple)) \
            else f"{type(data).__name__}"
        raise ValueError(f"{argument}: the model has {len(names)} {what}s ({', '.join(names)}); "
                         f"given {given}; accepted: a list of {len(names)} arrays or a dict by "
                         "name")
    return list(data)


def _sized(arr, argument: str, numeric: bool = False) -> np.ndarray:
    a = np.asarray(arr)
    if a.ndim == 0:
        raise ValueError(f"{argument}={arr!r} is a single value; accepted: an array with one "
                         "entry per sample")
    if numeric and a.dtype.kind not in "biuf":
        raise TypeError(f"{argument} has dtype {a.dtype}; accepted: a numeric array")
    return a


def standardize_inputs(model, x, argument: str = "x") -> list[np.ndarray]:
    """One checked array per model input: numeric, finite, of the Input's shape, and accepted
    by the layer(s) reading it (``layer.check_input``: an Embedding checks its token ids)."""
    xs = _as_list(x, model.input_names, argument, "input")
    out = []
    for k, (tensor, data) in enumerate(zip(model.inputs, xs)):
        name = argument if len(xs) == 1 else f"{argument}[{k}]"
        arr = _sized(data, name)
        for consumer in model._input_consumers(tensor):  # the most specific message first
            arr = consumer.check_input(arr, name)
        arr = tensor._keras_history[0].check_input(arr, name)
        out.append(arr)
    lengths = {len(a) for a in out}
    if len(lengths) > 1:
        raise ValueError(f"{argument}: the inputs have different numbers of samples "
                         f"{[len(a) for a in out]}; accepted: one sample count")
    return out


def standardize_targets(model, y, n_samples: int, argument: str = "y",
                        x_argument: str = "x") -> list[np.ndarray]:
    """One checked target array per model output, ``n_samples`` long, valid for its loss."""
    trained = [n for n, lo in zip(model.output_names, model._output_losses) if lo is not None]
    if isinstance(y, dict) and len(trained) < len(model.output_names):  # targets of trained
        y = {n: y.get(n) for n in model.output_names}                   # outputs only
        for n in trained:
            if y[n] is None:
                raise ValueError(f"{argument}: no targets for output {n!r}; accepted: a dict "
                                 f"with targets for {trained}")
    ys = _as_list(y, model.output_names, argument, "output")
    out = []
    for k, data in enumerate(ys):
        name = argument if len(ys) == 1 else f"{argument}[{k}]"
        if data is None and model._output_losses[k] is None:
            out.append(np.zeros((n_samples, 0)))  # an output without a loss needs no targets
            continue
        if data is None:
            raise ValueError(f"{name}=None; accepted: an array of targets")
        arr = _sized(data, name)
        if len(arr) != n_samples:
            raise ValueError(f"{x_argument} and {name} have different lengths: {n_samples} and "
                             f"{len(arr)} samples; accepted: one target per input")
        loss = model._output_losses[k]
        if loss is not None:
            loss.check_targets(arr)
            if arr.dtype.kind in "biu" and not isinstance(loss,
                                                          losses.SparseCategoricalCrossentropy):
                arr = arr.astype(model._output_dtype(k))
        out.append(arr)
    return out


def check_target_shapes(model, ys: list[np.ndarray], argument: str = "y") -> None:
    """Targets that cannot match their output (shape, a class id >= the number of classes) are
    found before training: each loss runs once over the targets against a constant prediction
    of the output's shape, in chunks (its value does not matter, only the checks)."""
    for k, (arr, loss) in enumerate(zip(ys, model._output_losses)):
        if loss is None or not len(arr):
            continue
        shape = model._output_shapes()[k]
        name = argument if len(ys) == 1 else f"{argument}[{k}]"
        for start in range(0, len(arr), 512):
            chunk = arr[start:start + 512]
            dims = [d if d is not None else (chunk.shape[i] if i < chunk.ndim else 1)
                    for i, d in enumerate(shape)][1:]
            fake = np.full((len(chunk), *dims), 0.5, model._output_dtype(k))
            try:
                loss.per_sample(chunk, fake)
            except ValueError as e:
                raise ValueError(f"{name}: {e}") from None


def standardize_sample_weights(model, sample_weight, class_weight, ys: list[np.ndarray],
                               argument: str = "sample_weight") -> list[np.ndarray | None]:
    """Per-output weights (None: all samples weigh 1), as Keras 2.1's ``standardize_weights``.

    ``sample_weight``: (N,) per sample, or (N, T) per step with
    ``compile(sample_weight_mode='temporal')``; one array, a list or a dict by output name.
    ``class_weight``: {class: weight} (or a dict by output name of those); used only where no
    sample_weight is given, as in Keras 2.1. Classes are the targets' argmax for one-hot
    targets, else the target values.
    """
    n_out = len(ys)
    if sample_weight is not None:
        if n_out > 1 and not isinstance(sample_weight, (list, tuple, dict)):
            raise ValueError(f"{argument}: the model has {n_out} outputs; accepted: a list (one "
                             "array per output) or a dict by output name (as Keras 2.1)")
        if isinstance(sample_weight, dict) and n_out > 1:  # outputs left out weigh 1
            unknown = sorted(set(sample_weight) - set(model.output_names))
            if unknown:
                raise ValueError(f"{argument}: unknown output name(s) {unknown}; accepted: "
                                 f"{model.output_names}")
            sws = [sample_weight.get(n) for n in model.output_names]
        else:
            sws = _as_list(sample_weight, model.output_names, argument, "output") if n_out > 1 \
                else [sample_weight]
    else:
        sws = [None] * n_out
    if class_weight is not None:
        if not isinstance(class_weight, dict):
            raise TypeError(f"class_weight has type {type(class_weight).__name__}; accepted: a "
                            "dict {class: weight} (or a dict of those by output name)")
        names = model.output_names
        by_output = bool(class_weight) and set(class_weight) <= set(names) and all(
            isinstance(v, dict) for v in class_weight.values())
        if n_out > 1 and not by_output:
            raise ValueError(f"class_weight: the model has {n_out} outputs; accepted: a dict by "
                             f"output name, e.g. {{{names[0]!r}: {{0: 1.0, 1: 3.0}}}}")
        cws = [class_weight.get(n) for n in names] if by_output else [class_weight]
    else:
        cws = [None] * n_out
    out = []
    for k, (sw, cw, y) in enumerate(zip(sws, cws, ys)):
        temporal = model._sample_weight_modes[k] == "temporal"
        name = argument if n_out == 1 else f"{argument}[{k}]"
        if sw is not None:
            w = _sized(sw, name, numeric=True).astype(np.float64)
            want = 2 if temporal else 1
            if w.ndim != want:
                hint = ("per-step weights need compile(sample_weight_mode='temporal')"
                        if w.ndim == 2 else "with sample_weight_mode='temporal' give (samples, "
                        "timesteps)" if temporal else "")
                raise ValueError(f"{name}: shape {w.shape}; accepted: "
                                 f"{'(samples, timesteps)' if temporal else '(samples,)'}"
                                 + (f" ({hint})" if hint else ""))
            if len(w) != len(y):
                raise ValueError(f"{name}: {len(w)} weights for {len(y)} samples")
            if temporal and w.shape[1:] != y.shape[1:2]:
                raise ValueError(f"{name}: shape {w.shape}; the targets have "
                                 f"{y.shape[1] if y.ndim > 1 else 'no'} timesteps")
            if not np.isfinite(w).all() or (w < 0).any():
                raise ValueError(f"{name} contains negative, NaN or infinite weights; accepted: "
                                 "finite weights >= 0")
            out.append(w)
        elif cw is not None:
            if temporal:
                raise ValueError("class_weight is not supported with "
                                 "sample_weight_mode='temporal' (as in Keras 2.1); give "
                                 "sample_weight")
            classes = y.argmax(axis=-1) if y.ndim == 2 and y.shape[1] > 1 else y.reshape(len(y))
            try:
                w = np.array([cw[c.item()] for c in classes], np.float64)
            except KeyError as e:
                raise ValueError(f"class_weight: no weight for class {e.args[0]!r}; accepted: a "
                                 "dict with every class of the targets") from None
            out.append(w)
        else:
            out.append(None)
    return out


def split_validation(arrays: list, validation_split: float, n: int):
    """Keras 2.1's split: the *last* fraction of every array (before any shuffling)."""
    split_at = int(n * (1.0 - validation_split))
    if split_at == 0 or split_at == n:
        raise ValueError(
            f"validation_split={validation_split} leaves {split_at} of {n} samples for "
            "training; accepted: a split that leaves both parts non-empty")
    train = [None if a is None else a[:split_at] for a in arrays]
    val = [None if a is None else a[split_at:] for a in arrays]
    return train, val


def take(arrays: list, idx) -> list:
    """The samples ``idx`` of every array (None stays None)."""
    return [None if a is None else a[idx] for a in arrays]
