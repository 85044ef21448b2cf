"""Check analytic gradients against central finite differences.

For a weight w and a scalar loss L, the numerical gradient of entry k is

    (L(w + eps e_k) - L(w - eps e_k)) / (2 eps)

and each array's relative error is ||analytic - numerical|| / (||analytic|| + ||numerical||).
In float64 with eps = 1e-6, a correct backward pass gives about 1e-9 or less.

For a layer, L = sum(R * output) with a fixed random R, so every output entry is
exercised; for a compiled model, L is the model's own loss on (x, y).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .engine import data as data_mod
from .layers.base import Layer
from .models import Model
from .sparse import RowSparseGrad


@dataclass
class GradcheckReport:
    """Relative error (and largest absolute difference) for each checked array."""

    relative_error: dict[str, float] = field(default_factory=dict)
    max_abs_difference: dict[str, float] = field(default_factory=dict)
    entries_checked: dict[str, int] = field(default_factory=dict)

    @property
    def worst(self) -> float:
        return max(self.relative_error.values(), default=0.0)

    def passed(self, tolerance: float = 1e-6) -> bool:
        return self.worst < tolerance

    def __str__(self) -> str:
        rows = [f"{'array':<32} {'entries':>8} {'relative error':>15} {'max |diff|':>11}"]
        for name, err in self.relative_error.items():
            rows.append(f"{name:<32} {self.entries_checked[name]:>8} {err:>15.2e} "
                        f"{self.max_abs_difference[name]:>11.2e}")
        rows.append(f"worst relative error: {self.worst:.2e}")
        return "\n".join(rows)


def _dense(g) -> np.ndarray:
    return g.to_dense() if isinstance(g, RowSparseGrad) else np.asarray(g)


def _compare(report, name, analytic, array, loss_fn, eps, rng, max_entries):
    flat = array.reshape(-1)
    idx = np.arange(flat.size)
    if max_entries is not None and flat.size > max_entries:
        idx = np.sort(rng.choice(flat.size, max_entries, replace=False))
    numeric = np.empty(len(idx))
    for j, k in enumerate(idx):
        old = flat[k]
        flat[k] = old + eps
        plus = loss_fn()
        flat[k] = old - eps
        minus = loss_fn()
        flat[k] = old
        numeric[j] = (plus - minus) / (2 * eps)
    a = analytic.reshape(-1)[idx]
    diff = np.linalg.norm(a - numeric)
    scale = np.linalg.norm(a) + np.linalg.norm(numeric)
    report.relative_error[name] = float(diff / scale) if scale > 1e-12 else float(diff)
    report.max_abs_difference[name] = float(np.max(np.abs(a - numeric), initial=0.0))
    report.entries_checked[name] = len(idx)


def _require_float64(arrays: dict[str, np.ndarray]) -> None:
    for name, arr in arrays.items():
        if arr.dtype != np.float64:
            raise ValueError(
                f"gradcheck: {name} has dtype {arr.dtype}; accepted: float64 (build the layer "
                "with dtype='float64' or call numrnn.backend.set_floatx('float64') first)"
            )


def gradcheck(
    target: Layer | Model,
    x,
    y=None,
    *,
    mask=None,
    initial_state=None,
    eps: float = 1e-6,
    seed: int = 0,
    max_entries: int | None = None,
    check_inputs: bool = True,
    sample_weight=None,
) -> GradcheckReport:
    """Compare ``target``'s backward pass with finite differences; returns a report.

    target: a built (or buildable) layer, or a compiled model (``Sequential`` or a functional
    ``Model``; then ``y`` is required: an array, or a list with one per output).
    x: the layer's input, or a list of inputs for a layer that takes several (Attention), or
    the model's input(s).
    mask / initial_state: passed to a recurrent layer's forward.
    max_entries: check at most this many randomly chosen entries per array.
    check_inputs: also check dL/dx (float inputs) and the initial-state gradients.
    sample_weight: for a model, per-sample (or per-step) weights of the loss.
    """
    rng = np.random.default_rng(seed)
    report = GradcheckReport()
    if isinstance(target, Model):
        if y is None:
            raise ValueError("gradcheck: y=None; a model is checked on its loss, so give targets")
        target._require_compiled()
        xs = target._standardize_x(x)
        _require_float64({f"{layer.name}/{n}": p for layer in target.layers
                          for n, p in layer.params.items()})
        ys = [np.asarray(a, np.float64) if np.asarray(a).dtype.kind == "f" else np.asarray(a)
              for a in (y if isinstance(y, (list, tuple)) else [y])]
        ys = data_mod.standardize_targets(target, ys if len(ys) > 1 else ys[0], len(xs[0]))
        sws = data_mod.standardize_sample_weights(target, sample_weight, None, ys)

        def loss_fn() -> float:
            y_pred, m = target._forward_graph(xs, training=True, penalties=True)
            return target._loss_terms(ys, y_pred, m, sws, with_grad=False)[0]

        y_pred, m = target._forward_graph(xs, training=True, penalties=True)
        _, _, grads, fused = target._loss_terms(ys, y_pred, m, sws)
        target._backward_graph(grads, fused)
        for layer, pname in target.trainable_layers_params():
            _compare(report, f"{layer.name}/{pname}", _dense(layer.grads[pname]),
                     layer.params[pname], loss_fn, eps, rng, max_entries)
        return report

    if not isinstance(target, Layer):
        raise TypeError(
            f"target has type {type(target).__name__}; accepted: a Layer or a compiled model")
    several = isinstance(x, (list, tuple))
    x_arr = [np.array(a) for a in x] if several else np.array(x)  # copies: perturbed in place
    if not target.built:
        target.build([(None,) + a.shape[1:] for a in x_arr] if several
                     else (None,) + x_arr.shape[1:])
    _require_float64({f"{target.name}/{n}": p for n, p in target.params.items()})
    kwargs = {"mask": mask}
    states = None
    if initial_state is not None:
        states = [np.array(s, np.float64) for s in initial_state]
        kwargs["initial_state"] = states
    out = target.forward(x_arr, **kwargs)
    outs = out if isinstance(out, list) else [out]
    weights = [rng.standard_normal(o.shape) for o in outs]

    def loss_fn() -> float:
        o = target.forward(x_arr, **kwargs)
        o = o if isinstance(o, list) else [o]
        return float(sum(np.sum(w * v) for w, v in zip(weights, o)))

    target.forward(x_arr, **kwargs)
    dx = target.backward(weights if isinstance(out, list) else weights[0])
    grads = {n: _dense(g) for n, g in target.grads.items()}
    d_states = getattr(target, "d_initial_state", None)
    for pname, g in grads.items():
        _compare(report, f"{target.name}/{pname}", g, target.params[pname], loss_fn, eps, rng,
                 max_entries)
    if check_inputs and several:
        for k, (a, da) in enumerate(zip(x_arr, dx)):
            if da is not None and a.dtype.kind == "f":
                _compare(report, f"{target.name}/inputs[{k}]", np.asarray(da), a, loss_fn, eps,
                         rng, max_entries)
    elif check_inputs and dx is not None and x_arr.dtype.kind == "f":
        _compare(report, f"{target.name}/inputs", np.asarray(dx), x_arr, loss_fn, eps, rng,
                 max_entries)
    if check_inputs and states is not None and d_states is not None:
        for k, (s, ds) in enumerate(zip(states, d_states)):
            _compare(report, f"{target.name}/initial_state[{k}]", ds, s, loss_fn, eps, rng,
                     max_entries)
    return report
