"""Wrappers: a layer applied at every time step (TimeDistributed), or a recurrent layer run
in both directions (Bidirectional)."""

from __future__ import annotations

import numpy as np

from .base import Layer, Shape
from .recurrent import RNN

MERGE_MODES = ("concat", "sum", "mul", "ave", None)


def _layer_spec(layer: Layer) -> dict:
    return {"class_name": type(layer).__name__, "config": layer.get_config()}


class Wrapper(Layer):
    """Base of the wrappers: the wrapped layers' weights, penalties and constraints."""

    def _inner_layers(self) -> list[Layer]:
        raise NotImplementedError

    def _sync_grads(self) -> None:
        raise NotImplementedError

    # Engine hooks (CONTRACT 3): the penalties and constraints live on the wrapped layers.
    def regularization_loss(self) -> float:
        return float(sum(layer.regularization_loss() for layer in self._inner_layers()
                         if hasattr(layer, "regularization_loss")))

    def add_regularization_gradients(self) -> None:
        for layer in self._inner_layers():
            if hasattr(layer, "add_regularization_gradients"):
                layer.add_regularization_gradients()
        self._sync_grads()

    def apply_constraints(self) -> None:
        for layer in self._inner_layers():
            if hasattr(layer, "apply_constraints"):
                layer.apply_constraints()

    @classmethod
    def from_config(cls, config):
        from . import deserialize  # the registry imports this module

        config = dict(config)
        layer = deserialize(config.pop("layer"))
        if "batch_input_shape" in config:
            config["batch_input_shape"] = tuple(config["batch_input_shape"])
        return cls(layer, **config)


class TimeDistributed(Wrapper):
    """Applies ``layer`` to every time step: input (B, T, ...) -> output (B, T, ...).

    The batch and time axes are merged, the layer runs once on (B*T, ...), and the result is
    split again, so the weights are shared by all steps and their gradients are summed over
    them. Works for any layer whose input is one array (Dense, Activation, Dropout, an RNN on
    (B, T, T2, D) input, ...). As in Keras 2.1, the wrapped layer sees no mask; the input mask
    passes through to the next layer. ``params``/``grads`` are the wrapped layer's (same names).
    """

    supports_masking = True

    def __init__(self, layer: Layer, **kwargs):
        if not isinstance(layer, Layer):
            raise TypeError(f"layer has type {type(layer).__name__}; accepted: a numrnn Layer")
        self.layer = layer
        super().__init__(**kwargs)
        self.activity_regularizer = getattr(layer, "activity_regularizer", None)
        self.params = layer.params  # the same dict: weights are the wrapped layer's
        self.grads = layer.grads

    def _inner_layers(self):
        return [self.layer]

    def _sync_grads(self):
        self.grads = self.layer.grads

    def _child_shape(self, input_shape: Shape) -> Shape:
        return (None if input_shape[0] is None or input_shape[1] is None
                else input_shape[0] * input_shape[1], *input_shape[2:])

    def build(self, input_shape: Shape) -> None:
        if len(input_shape) < 3:
            raise ValueError(f"{self.name}: input shape {input_shape}; accepted: rank >= 3 "
                             "(batch, timesteps, ...)")
        child = (None, *input_shape[2:])
        if not self.layer.built:
            self.layer.build(child)
        elif tuple(self.layer.input_shape[1:]) != tuple(child[1:]):
            raise ValueError(f"{self.name}: {self.layer.name} was built for input "
                             f"{self.layer.input_shape}, the time steps are {child}")
        self.params = self.layer.params
        super().build(input_shape)

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        child_out = self.layer.compute_output_shape((None, *input_shape[2:]))
        if isinstance(child_out, list):
            raise ValueError(f"{self.name}: {self.layer.name} has several outputs; accepted: "
                             "a layer with one output")
        return (input_shape[0], input_shape[1], *child_out[1:])

    def forward(self, inputs, mask=None, training=False):
        x = np.asarray(inputs)
        if x.ndim < 3:
            raise ValueError(f"{self.name} inputs: shape {x.shape}; accepted: rank >= 3")
        self.batch_steps = x.shape[:2]
        y = self.layer.forward(x.reshape((-1, *x.shape[2:])), training=training)
        return y.reshape((*self.batch_steps, *y.shape[1:]))

    def backward(self, dout):
        dout = np.asarray(dout)
        dx = self.layer.backward(dout.reshape((-1, *dout.shape[2:])))
        self._sync_grads()
        if dx is None:
            return None
        return dx.reshape((*self.batch_steps, *dx.shape[1:]))

    def compute_mask(self, inputs, mask):
        return mask

    def get_config(self):
        return {**super().get_config(), "layer": _layer_spec(self.layer)}


class Bidirectional(Wrapper):
    """Runs a recurrent layer forwards and a copy of it backwards, and merges the outputs.

    The backward layer is built from the layer's config with ``go_backwards`` flipped. With
    ``return_sequences``, its output (which is in processing, i.e. reversed, order) is
    reversed in time again, so step t of both directions lines up, as Keras does. Then

        'concat': [y_fwd, y_bwd] on the last axis   'sum': y_fwd + y_bwd
        'ave':    (y_fwd + y_bwd) / 2               'mul': y_fwd * y_bwd
        None:     the list [y_fwd, y_bwd]

    With ``return_state``, the output is followed by the forward layer's final states and
    then the backward layer's (Keras' order); ``initial_state`` is split the same way.
    Weights (``get_weights``, ``params``) are the forward layer's then the backward
    layer's, as in Keras; ``params`` names them ``forward_kernel``, ..., ``backward_bias``.
    A mask is passed to both layers.

    The ``layer`` argument is a template: its config (and its weights, if it is built) are
    copied into the two new layers ``forward_<name>`` and ``backward_<name>``.
    """

    supports_masking = True

    def __init__(self, layer: RNN, merge_mode: str | None = "concat", **kwargs):
        if not isinstance(layer, RNN):
            raise TypeError(f"layer has type {type(layer).__name__}; accepted: a recurrent "
                            "layer (SimpleRNN, LSTM, GRU)")
        if merge_mode not in MERGE_MODES:
            raise ValueError(f"merge_mode={merge_mode!r}; accepted: 'concat', 'sum', 'mul', "
                             "'ave' or None")
        config = layer.get_config()
        config.pop("batch_input_shape", None)
        name = config["name"]
        self.forward_layer = type(layer).from_config({**config, "name": "forward_" + name})
        self.backward_layer = type(layer).from_config(
            {**config, "name": "backward_" + name, "go_backwards": not layer.go_backwards})
        self.layer = layer
        self.merge_mode = merge_mode
        self.return_sequences = layer.return_sequences
        self.return_state = layer.return_state
        self.stateful = getattr(layer, "stateful", False)
        super().__init__(**kwargs)
        self.activity_regularizer = getattr(layer, "activity_regularizer", None)
        if layer.built:
            self._build_inner(layer.input_shape)
            weights = layer.get_weights()
            self.forward_layer.set_weights(weights)
            self.backward_layer.set_weights(weights)

    def _inner_layers(self):
        return [self.forward_layer, self.backward_layer]

    def _sync_grads(self):
        self.grads = {**{"forward_" + k: g for k, g in self.forward_layer.grads.items()},
                      **{"backward_" + k: g for k, g in self.backward_layer.grads.items()}}

    def _build_inner(self, input_shape: Shape) -> None:
        for layer in self._inner_layers():
            if not layer.built:
                layer.build(tuple(input_shape))
        self.params = {**{"forward_" + k: w for k, w in self.forward_layer.params.items()},
                       **{"backward_" + k: w for k, w in self.backward_layer.params.items()}}

    def build(self, input_shape: Shape) -> None:
        self._build_inner(input_shape)
        super().build(input_shape)

    def compute_output_shape(self, input_shape: Shape):
        out = self.forward_layer.compute_output_shape(input_shape)
        states = []
        if self.return_state:
            out, states = out[0], list(out[1:])
        if self.merge_mode == "concat":
            out = (*out[:-1], 2 * out[-1])
        outputs = [out, out] if self.merge_mode is None else [out]
        if self.return_state or self.merge_mode is None:
            return outputs + states + states
        return out

    def compute_mask(self, inputs, mask):
        if isinstance(mask, list):
            mask = mask[0]
        out_mask = mask if self.return_sequences else None
        masks = [out_mask, out_mask] if self.merge_mode is None else [out_mask]
        n_states = len(self.forward_layer.state_names) if self.return_state else 0
        masks += [None] * (2 * n_states)
        return masks if len(masks) > 1 else masks[0]

    def reset_states(self, states=None) -> None:
        """Reset both layers' states (stateful layers); ``states`` is split half and half."""
        if states is None:
            self.forward_layer.reset_states()
            self.backward_layer.reset_states()
        else:
            half = len(states) // 2
            self.forward_layer.reset_states(states[:half])
            self.backward_layer.reset_states(states[half:])

    def forward(self, inputs, mask=None, training=False, initial_state=None):
        kw_f: dict = {"mask": mask, "training": training}
        kw_b: dict = {"mask": mask, "training": training}
        if initial_state is not None:
            if not isinstance(initial_state, (list, tuple)) or len(initial_state) % 2:
                raise ValueError(f"{self.name} initial_state: accepted a list of the forward "
                                 "layer's states followed by the backward layer's")
            half = len(initial_state) // 2
            kw_f["initial_state"] = list(initial_state[:half])
            kw_b["initial_state"] = list(initial_state[half:])
        y = self.forward_layer.forward(inputs, **kw_f)
        y_rev = self.backward_layer.forward(inputs, **kw_b)
        states: list = []
        if self.return_state:
            states = list(y[1:]) + list(y_rev[1:])
            self._n_states = len(y) - 1
            y, y_rev = y[0], y_rev[0]
        if self.return_sequences:
            y_rev = y_rev[:, ::-1]
        self._y, self._y_rev = y, y_rev
        if self.merge_mode == "concat":
            out = [np.concatenate([y, y_rev], axis=-1)]
        elif self.merge_mode == "sum":
            out = [y + y_rev]
        elif self.merge_mode == "ave":
            out = [(y + y_rev) / 2]
        elif self.merge_mode == "mul":
            out = [y * y_rev]
        else:
            out = [y, np.ascontiguousarray(y_rev)]
        if self.return_state or self.merge_mode is None:
            return out + states
        return out[0]

    def backward(self, dout):
        """dout: dL/d(output), or a list ([outputs..., forward states..., backward states...])
        when the layer returns several arrays. Returns dL/d(inputs); ``d_initial_state``
        holds the state gradients (forward then backward) when initial states were given."""
        several = self.return_state or self.merge_mode is None
        douts = list(dout) if several else [dout]
        n_out = 2 if self.merge_mode is None else 1
        d_states = douts[n_out:]
        d_merged = douts[:n_out]
        h = self._y.shape[-1]
        zero = np.zeros_like(self._y)
        if self.merge_mode is None:
            dy, dy_rev = (zero if d is None else np.asarray(d) for d in d_merged)
        else:
            d = zero if d_merged[0] is None else np.asarray(d_merged[0])
            if self.merge_mode == "concat":
                dy, dy_rev = d[..., :h], d[..., h:]
            elif self.merge_mode == "sum":
                dy, dy_rev = d, d
            elif self.merge_mode == "ave":
                dy = dy_rev = d / 2
            else:  # mul
                dy, dy_rev = d * self._y_rev, d * self._y
        if self.return_sequences:
            dy_rev = dy_rev[:, ::-1]
        if self.return_state:
            n = self._n_states
            df = [dy, *d_states[:n]]
            db = [dy_rev, *d_states[n:]]
        else:
            df, db = dy, dy_rev
        dx = self.forward_layer.backward(df) + self.backward_layer.backward(db)
        self._sync_grads()
        fwd_s0 = self.forward_layer.d_initial_state
        bwd_s0 = self.backward_layer.d_initial_state
        self.d_initial_state = None if fwd_s0 is None else list(fwd_s0) + list(bwd_s0)
        return dx

    def get_config(self):
        return {**super().get_config(), "layer": _layer_spec(self.layer),
                "merge_mode": self.merge_mode}
