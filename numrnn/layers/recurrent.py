"""Recurrent layers with hand-written backpropagation through time (BPTT).

Notation (the tutorial's): x_t input at step t, h_t hidden state/output, c_t LSTM
cell state, W the input kernel, U the recurrent kernel, b the bias, sigma the
recurrent (gate) activation, act the activation.

How every layer here runs, for speed and for readability:

1. the input projection of *all* time steps, ``x_t W + b``, is one matmul before the loop;
2. the loop over time does only what must be sequential: ``h_{t-1} U`` and the
   elementwise gate math (each cell's ``_step``, written once for both paths below);
3. backward walks the loop in reverse, keeping only ``dh_{t-1} = dz_t U^T`` inside it;
   dW, dU, db and dx are then one matmul or sum each over all steps.

Two forward paths share that step:

* ``training=True`` (``fit``, ``train_on_batch``) writes every step's gates and states into
  preallocated (T, B, ...) arrays, which ``backward`` reads;
* ``training=False`` (``predict``, ``evaluate``, a plain call) keeps no per-step gates: two
  state buffers that swap roles each step (plus the per-step outputs if
  ``return_sequences``). Its memory is the input projection, O(B T G H), and does not
  depend on how many batches are predicted. ``backward`` or ``internals()`` after such a call
  first re-runs the recording forward on the same inputs (so step-through code keeps working).

Arrays inside are *time-major*, (T, B, features), so that step t is one contiguous block.
"""

from __future__ import annotations

import numpy as np

from .. import activations, backend, constraints, regularizers
from .. import initializers as inits
from .base import Layer, Shape, as_float_array

# CONTRACT.md 1: the base Layer takes ``batch_size``. Until the engine's base does, the
# recurrent layers translate it themselves (Keras: batch_input_shape = (batch_size,) + input_shape).


class NotStatefulError(AttributeError, ValueError):
    """``reset_states`` on a layer built with ``stateful=False`` (Keras raises AttributeError)."""


def _check_rate(value, argument: str) -> float:
    """A dropout rate: a number in [0, 1). (Keras 2.1 silently clips; numrnn refuses.)"""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating, np.integer)) \
            or not 0.0 <= float(value) < 1.0:
        raise ValueError(f"{argument}={value!r}; accepted: a float in [0, 1)")
    return float(value)


def _serialize(obj):
    """Keras' ``{"class_name", "config"}`` form of a regularizer/constraint (None stays None)."""
    if obj is None:
        return None
    return {"class_name": type(obj).__name__, "config": obj.get_config()}


_REGULARIZER_ARGS = ("kernel_regularizer", "recurrent_regularizer", "bias_regularizer",
                     "activity_regularizer")
_CONSTRAINT_ARGS = ("kernel_constraint", "recurrent_constraint", "bias_constraint")


class RNN(Layer):
    """Shared machinery of SimpleRNN, LSTM and GRU (shapes, masks, states, direction,
    dropout, statefulness).

    Subclasses set ``n_gates`` (weight blocks), ``state_names`` and implement ``_step``
    (one time step), ``_forward_steps`` / ``_backward_steps`` (recording forward and BPTT on
    time-major arrays) and ``_infer_steps`` (forward without caches).

    Arguments beyond the math of the cell, as in Keras 2.1:

    * ``dropout`` / ``recurrent_dropout``: variational dropout (Gal and Ghahramani). With
      ``training=True`` one mask per sequence is drawn for each batch, of shape (B, D) for the
      inputs x_t and (B, H) for the state h_{t-1} where it enters the recurrent matmul, kept at
      every step, with entries 0 (probability ``rate``) or 1/(1 - rate). With
      ``training=False`` both are the identity. LSTM and GRU use **one mask shared by all
      gates** (what Keras 2.1 does with ``implementation=2``; with ``implementation=1`` it
      draws one mask per gate). Why: a shared mask keeps the one fused input projection and the
      one recurrent matmul per step, so dropout costs two multiplies per step; per-gate masks
      would need G separate matmuls per step, forward and backward. Both are variational
      dropout with the same keep rate. GRU: the dropped h_{t-1} enters the recurrent matmuls
      (and ``r_t * h_{t-1}`` for ``reset_after=False``); the direct path ``z_t * h_{t-1}``
      uses the undropped state, as Keras 2.1's ``implementation=1`` does (its
      ``implementation=2`` also drops it there).
    * ``stateful``: the final states of a batch are the initial states of the next call
      (training and inference alike), until ``reset_states()``. Needs a fixed batch size
      (``batch_input_shape=(B, T, D)``, or ``batch_size=`` with ``input_shape=``, on the first
      layer); a batch of another size is an error. Gradients do not flow across batches.
    * ``go_backwards``: the input is read from the last step to the first and the returned
      sequence is in processing order (Keras 2.1). **Difference from Keras 2.1:** with
      ``return_sequences=True`` the mask passed on is reversed with the outputs, so it stays
      aligned with them (Keras 2.1 passes the unreversed input mask, which then marks the
      wrong steps as padding).
    * ``unroll``: Keras unrolls its symbolic loop into a graph. numrnn has no graph: the Python
      loop already runs one step at a time, so ``unroll=True`` is accepted, stored and changes
      nothing.
    * ``implementation``: 1 or 2 are accepted and compute the same thing (one fused matmul);
      only Keras' dropout-mask choice differed, see ``dropout`` above.
    * regularizers, constraints (``kernel_``, ``recurrent_``, ``bias_``, ``activity_``): given
      to ``add_weight`` / stored as CONTRACT.md says; the engine applies them.
    """

    supports_masking = True
    n_gates = 1
    state_names: tuple[str, ...] = ("h",)

    def __init__(
        self,
        units: int,
        activation: str | None = "tanh",
        recurrent_activation: str | None = "sigmoid",
        use_bias: bool = True,
        kernel_initializer="glorot_uniform",
        recurrent_initializer="orthogonal",
        bias_initializer="zeros",
        kernel_regularizer=None,
        recurrent_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        kernel_constraint=None,
        recurrent_constraint=None,
        bias_constraint=None,
        dropout: float = 0.0,
        recurrent_dropout: float = 0.0,
        implementation: int = 1,
        return_sequences: bool = False,
        return_state: bool = False,
        go_backwards: bool = False,
        stateful: bool = False,
        unroll: bool = False,
        **kwargs,
    ):
        if not isinstance(units, (int, np.integer)) or isinstance(units, bool) or units <= 0:
            raise ValueError(f"units={units!r}; accepted: a positive int")
        self.units = int(units)
        self.activation = activations.get(activation, "activation")
        self.recurrent_activation = activations.get(recurrent_activation, "recurrent_activation")
        for arg, act in (("activation", self.activation),
                         ("recurrent_activation", self.recurrent_activation)):
            if not act.elementwise:
                raise ValueError(f"{arg}={act.name!r}; accepted: an elementwise activation")
        self.use_bias = bool(use_bias)
        self.kernel_initializer = inits.get(kernel_initializer, "kernel_initializer")
        self.recurrent_initializer = inits.get(recurrent_initializer, "recurrent_initializer")
        self.bias_initializer = inits.get(bias_initializer, "bias_initializer")
        self.dropout = _check_rate(dropout, "dropout")
        self.recurrent_dropout = _check_rate(recurrent_dropout, "recurrent_dropout")
        if implementation not in (1, 2) or isinstance(implementation, bool):
            raise ValueError(f"implementation={implementation!r}; accepted: 1 or 2 "
                             "(the same computation in numrnn)")
        self.implementation = int(implementation)
        self.return_sequences = bool(return_sequences)
        self.return_state = bool(return_state)
        self.go_backwards = bool(go_backwards)
        self.stateful = bool(stateful)
        self.unroll = bool(unroll)
        given = dict(kernel_regularizer=kernel_regularizer,
                     recurrent_regularizer=recurrent_regularizer,
                     bias_regularizer=bias_regularizer, activity_regularizer=activity_regularizer)
        for arg in _REGULARIZER_ARGS:
            setattr(self, arg, regularizers.get(given[arg], arg))
        given = dict(kernel_constraint=kernel_constraint,
                     recurrent_constraint=recurrent_constraint, bias_constraint=bias_constraint)
        for arg in _CONSTRAINT_ARGS:
            setattr(self, arg, constraints.get(given[arg], arg))
        self._workspaces: dict[tuple[int, int], dict[str, np.ndarray]] = {}
        self._infer_ws: tuple[tuple, dict[str, np.ndarray]] | None = None
        self.d_initial_state: list[np.ndarray] | None = None
        self.states: list[np.ndarray | None] = [None] * len(self.state_names)
        self._stateful_batch: int | None = None
        super().__init__(**kwargs)

    # ---- shapes and weights -------------------------------------------------------------
    def build(self, input_shape: Shape) -> None:
        if len(input_shape) != 3 or input_shape[-1] is None:
            raise ValueError(
                f"{self.name}: input shape {input_shape}; accepted: (batch, timesteps, features)"
            )
        if self.stateful:
            declared = self.batch_input_shape[0] if self.batch_input_shape else None
            batch = input_shape[0] if input_shape[0] is not None else declared
            if batch is None:
                raise ValueError(
                    f"{self.name}: stateful=True needs a fixed batch size; give the first layer "
                    "batch_input_shape=(batch, timesteps, features) (or batch_size= with "
                    "input_shape=)")
            self._stateful_batch = int(batch)
        d, gh = input_shape[-1], self.n_gates * self.units
        self.add_weight("kernel", (d, gh), self.kernel_initializer,
                        regularizer=self.kernel_regularizer, constraint=self.kernel_constraint)
        self.add_weight("recurrent_kernel", (self.units, gh), self.recurrent_initializer,
                        regularizer=self.recurrent_regularizer,
                        constraint=self.recurrent_constraint)
        if self.use_bias:
            self.add_weight("bias", self._bias_shape(), self.bias_initializer,
                            regularizer=self.bias_regularizer, constraint=self.bias_constraint)
        super().build(input_shape)
        if self.stateful:
            self.reset_states()

    def _bias_shape(self) -> tuple[int, ...]:
        return (self.n_gates * self.units,)

    def compute_output_shape(self, input_shape: Shape):
        batch, steps = input_shape[0], input_shape[1]
        out = (batch, steps, self.units) if self.return_sequences else (batch, self.units)
        if self.return_state:
            return [out] + [(batch, self.units)] * len(self.state_names)
        return out

    def compute_mask(self, inputs, mask):
        out_mask = mask if self.return_sequences else None
        if out_mask is not None and self.go_backwards:
            out_mask = np.asarray(out_mask)[:, ::-1]  # aligned with the reversed outputs
        if self.return_state:
            return [out_mask] + [None] * len(self.state_names)
        return out_mask

    def _bias(self) -> np.ndarray:
        if self.use_bias:
            return self.params["bias"]
        return np.zeros(self._bias_shape(), self.dtype)

    # ---- stateful -----------------------------------------------------------------------
    def reset_states(self, states=None) -> None:
        """Set the carried states of a ``stateful`` layer: zeros, or the given arrays
        (one array, or a list of ``len(state_names)`` arrays of shape (batch, units))."""
        if not self.stateful:
            raise NotStatefulError(f"{self.name}: reset_states() needs a layer built with "
                                   "stateful=True")
        if not self.built:
            raise ValueError(f"{self.name}: reset_states() before the layer is built; build "
                             "the model (batch_input_shape=...) first")
        n, shape = len(self.state_names), (self._stateful_batch, self.units)
        if states is None:
            self.states = [np.zeros(shape, self.dtype) for _ in range(n)]
            return
        if isinstance(states, np.ndarray) and n == 1:
            states = [states]
        if not isinstance(states, (list, tuple)) or len(states) != n:
            raise ValueError(f"{self.name} reset_states: states={type(states).__name__}; "
                             f"accepted: a list of {n} arrays ({', '.join(self.state_names)}) "
                             f"of shape {shape}")
        new = []
        for sname, s in zip(self.state_names, states):
            s = as_float_array(s, self.dtype, f"{self.name} reset_states {sname}", finite=True)
            if s.shape != shape:
                raise ValueError(f"{self.name} reset_states {sname}: shape {s.shape}; "
                                 f"accepted: {shape}")
            new.append(np.array(s))
        self.states = new

    # ---- workspace: preallocated arrays, reused while the batch shape repeats ---------
    def _workspace(self, steps: int, batch: int) -> dict[str, np.ndarray]:
        key = (steps, batch)
        ws = self._workspaces.get(key)
        if ws is None:
            if len(self._workspaces) >= 3:  # e.g. full batches, the last batch, validation
                self._workspaces.pop(next(iter(self._workspaces)))
            ws = {
                name: np.zeros(shape, self.dtype)
                for name, shape in self._workspace_shapes(steps, batch).items()
            }
            self._workspaces[key] = ws
        return ws

    def _workspace_shapes(self, steps: int, batch: int) -> dict[str, tuple[int, ...]]:
        raise NotImplementedError

    def _inference_workspace(self, steps: int, batch: int) -> dict[str, np.ndarray]:
        """Buffers of the forward-only path; one set kept, for the last batch shape."""
        key = (steps, batch, self.return_sequences)
        if self._infer_ws is None or self._infer_ws[0] != key:
            h, gh = self.units, self.n_gates * self.units
            shapes = {"xw": (steps, batch, gh),
                      # the states: two buffers used in turn, or every step's output
                      "h": (steps + 1, batch, h) if self.return_sequences else (2, batch, h)}
            shapes.update(self._inference_shapes(batch))
            self._infer_ws = (key, {k: np.empty(s, self.dtype) for k, s in shapes.items()})
        return self._infer_ws[1]

    def _inference_shapes(self, batch: int) -> dict[str, tuple[int, ...]]:
        raise NotImplementedError

    # ---- forward ------------------------------------------------------------------------
    def forward(self, inputs, mask=None, training=False, initial_state=None):
        """inputs (B, T, D) -> output (B, T, H) or (B, H), plus final states if return_state.

        ``training=True`` records what ``backward`` needs and applies dropout.
        """
        x = as_float_array(inputs, self.dtype, f"{self.name} inputs")
        d = self.params["kernel"].shape[0]
        if x.ndim != 3 or x.shape[2] != d or x.shape[1] == 0:
            raise ValueError(
                f"{self.name} inputs: shape {x.shape}; accepted: (batch, timesteps >= 1, {d})"
            )
        batch, steps = x.shape[0], x.shape[1]
        if self.stateful and batch != self._stateful_batch:
            raise ValueError(
                f"{self.name} inputs: batch of {batch} samples; this stateful layer was built "
                f"for batches of exactly {self._stateful_batch} (use that batch_size in fit/"
                "predict/evaluate, with a number of samples divisible by it)")
        m = None
        if mask is not None:
            mask = np.asarray(mask)
            if mask.shape != (batch, steps) or mask.dtype != bool:
                raise ValueError(
                    f"{self.name} mask: shape {mask.shape} dtype {mask.dtype}; accepted: a bool "
                    f"array of shape {(batch, steps)}"
                )
            m = np.ascontiguousarray(mask.T[:, :, None])  # (T, B, 1)
        states0 = self._initial_states(initial_state, batch)
        xs = x.transpose(1, 0, 2)  # time-major (T, B, D)
        if self.go_backwards:
            xs = xs[::-1]
            m = None if m is None else m[::-1]
        in_mask, rec_mask = self._dropout_masks(batch, d) if training else (None, None)
        # our own copy: kept for dW = X^T dZ (and, with dropout, the dropped inputs)
        self._xs = np.array(xs, order="C") if in_mask is None else xs * in_mask
        self._in_mask, self._rec_mask = in_mask, rec_mask
        self._mask_tm = m
        self._skip_tm = None if m is None else ~m  # masked-out steps, inverted once per call
        self._states0 = states0
        self._has_initial_state = initial_state is not None
        self._backward_ready = False  # no dh/dz of this call until backward
        if training:
            self._record()
            hs = self._ws["h"]  # (T+1, B, H); hs[0] is the initial state
            seq, finals = hs[1:], self._final_states()
        else:
            self._recorded = False
            with backend.blas_threads_for(self._step_flops(batch)):
                seq, finals = self._infer_steps(self._xs, states0, self._skip_tm)
        output = seq.transpose(1, 0, 2).copy() if self.return_sequences else finals[0].copy()
        if self.stateful:
            self.states = [s.copy() for s in finals]
        if self.return_state:
            return [output] + [s.copy() for s in finals]
        return output

    def _record(self) -> None:
        """Run the caching forward on the current call's inputs, for backward/internals."""
        steps, batch = self._xs.shape[:2]
        self._ws = self._workspace(steps, batch)
        with backend.blas_threads_for(self._step_flops(batch)):
            self._forward_steps(self._xs, self._states0, self._mask_tm)
        self._recorded = True

    def _step_flops(self, batch: int) -> float:
        """Floating-point operations of one step's recurrent matmul, h_{t-1} U."""
        return 2.0 * batch * self.units * self.n_gates * self.units

    def _dropout_masks(self, batch: int, d: int):
        """One (B, D) input mask and one (B, H) state mask for this batch (or None)."""
        masks = []
        for rate, width in ((self.dropout, d), (self.recurrent_dropout, self.units)):
            if rate == 0.0:
                masks.append(None)
                continue
            keep = backend.rng().random((batch, width)) >= rate
            masks.append(keep.astype(self.dtype) * self.dtype.type(1.0 / (1.0 - rate)))
        return masks

    def _initial_states(self, initial_state, batch: int) -> list[np.ndarray]:
        n = len(self.state_names)
        if initial_state is None:
            if self.stateful:
                return self.states
            return [np.zeros((batch, self.units), self.dtype) for _ in range(n)]
        if isinstance(initial_state, np.ndarray) and n == 1:
            initial_state = [initial_state]
        if not isinstance(initial_state, (list, tuple)) or len(initial_state) != n:
            raise ValueError(
                f"{self.name} initial_state: accepted a list of {n} arrays "
                f"({', '.join(self.state_names)}) of shape {(batch, self.units)}"
            )
        states = []
        for sname, s in zip(self.state_names, initial_state):
            s = as_float_array(s, self.dtype, f"{self.name} initial_state {sname}", finite=True)
            if s.shape != (batch, self.units):
                raise ValueError(
                    f"{self.name} initial_state {sname}: shape {s.shape}; accepted: "
                    f"{(batch, self.units)}"
                )
            states.append(s)
        return states

    def _final_states(self) -> list[np.ndarray]:
        return [self._ws[s][-1] for s in self.state_names]

    def _recurrent_inputs(self) -> np.ndarray:
        """h_{t-1} as it entered the recurrent matmul at every step (T, B, H): with
        recurrent dropout, times the mask."""
        hs = self._ws["h"][:-1]
        return hs if self._rec_mask is None else hs * self._rec_mask

    # ---- backward -----------------------------------------------------------------------
    def backward(self, dout):
        """dout: dL/d(output), or a list [d output, d state...] with return_state (None = 0).

        Sets ``grads`` and ``d_initial_state``; returns dL/d(inputs), (B, T, D).
        """
        if not hasattr(self, "_xs"):
            raise RuntimeError(f"{self.name}: backward() needs a forward call first")
        n = len(self.state_names)
        if self.return_state:
            if not isinstance(dout, (list, tuple)) or len(dout) != 1 + n:
                raise ValueError(f"{self.name} backward: accepted a list of {1 + n} gradients")
            d_output, d_states = dout[0], list(dout[1:])
        else:
            d_output, d_states = dout, [None] * n
        batch = self._xs.shape[1]
        dtype = self.dtype
        d_last = [
            np.zeros((batch, self.units), dtype) if g is None else np.array(g, dtype)
            for g in d_states
        ]
        d_seq = None
        if d_output is not None:
            if self.return_sequences:
                d_seq = np.ascontiguousarray(np.asarray(d_output, dtype).transpose(1, 0, 2))
            else:
                d_last[0] += d_output
        if not self._recorded:  # the forward was an inference call: record it now
            self._record()
        with backend.blas_threads_for(self._step_flops(batch)):
            dxs, d_states0 = self._backward_steps(d_seq, d_last, self._mask_tm)
        if self._in_mask is not None:
            dxs *= self._in_mask
        self.d_initial_state = d_states0 if self._has_initial_state else None
        self._backward_ready = True
        if self.go_backwards:
            dxs = dxs[::-1]
        return dxs.transpose(1, 0, 2).copy()

    # ---- parameter gradients shared by all cells ---------------------------------------
    def _input_side_grads(self, dz: np.ndarray) -> np.ndarray:
        """From dL/d(x_t W + b) at every step: dW and db (one matmul, one sum), and dx."""
        steps, batch, width = dz.shape
        dz2 = dz.reshape(steps * batch, width)
        x2 = self._xs.reshape(steps * batch, -1)
        self.grads["kernel"] = _gradient_product(x2.T, dz2)
        if self.use_bias:
            self.grads["bias"] = dz2.sum(axis=0)
        return _gradient_product(dz2, self.params["kernel"].T).reshape(steps, batch, -1)

    # ---- step-through -------------------------------------------------------------------
    def internals(self) -> dict[str, np.ndarray]:
        """Per-step values of the last forward (and backward) call, batch-major (B, T, ...).

        Names follow the equations in the class docstring: LSTM ``z_i`` .. ``z_o`` (gate
        pre-activations), ``i``, ``f``, ``g``, ``o``, ``c``, ``act_c``, ``h``; SimpleRNN ``z``,
        ``h``; GRU ``z``, ``r``, ``hh``, ``h``. Only after ``backward`` of that same call also
        ``dh`` (and ``dc``): dL/dh_t, dL/dc_t including what flows back from later steps, and
        ``dz``/``dz_i``..: dL/d(pre-activation); a new forward removes them. With
        go_backwards, step 0 is the last input. After an inference call (``training=False``)
        the per-step values are recomputed here from that call's inputs.
        """
        if not hasattr(self, "_xs"):
            raise RuntimeError(f"{self.name}: internals() needs a forward call first")
        if not self._recorded:
            self._record()
        out = {k: v.transpose(1, 0, *range(2, v.ndim)).copy() for k, v in self._named_steps()}
        return out

    def _named_steps(self):
        raise NotImplementedError

    def _pre_activations(self) -> np.ndarray:
        """x_t W + h_{t-1} U + b for every step, recomputed from the cache (T, B, G*H), for
        the cells whose pre-activation has this form (SimpleRNN, LSTM).

        Not stored during training (that would cost time); computed here on request.
        """
        return self._xs @ self.params["kernel"] \
            + self._recurrent_inputs() @ self.params["recurrent_kernel"] + self._bias()

    # ---- config -------------------------------------------------------------------------
    def get_config(self):
        config = {
            **super().get_config(),
            "units": self.units,
            "activation": self.activation.name,
            "recurrent_activation": self.recurrent_activation.name,
            "use_bias": self.use_bias,
            "kernel_initializer": inits.serialize(self.kernel_initializer),
            "recurrent_initializer": inits.serialize(self.recurrent_initializer),
            "bias_initializer": inits.serialize(self.bias_initializer),
            "dropout": self.dropout,
            "recurrent_dropout": self.recurrent_dropout,
            "implementation": self.implementation,
            "return_sequences": self.return_sequences,
            "return_state": self.return_state,
            "go_backwards": self.go_backwards,
            "stateful": self.stateful,
            "unroll": self.unroll,
        }
        for arg in _REGULARIZER_ARGS + _CONSTRAINT_ARGS:
            config[arg] = _serialize(getattr(self, arg))
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        for key in ("kernel_initializer", "recurrent_initializer", "bias_initializer"):
            config[key] = inits.deserialize(config[key])
        return super().from_config(config)


# LSTM's forward-only loop runs feature-major from this batch size on (see
# LSTM._infer_steps_feature_major); below it the batch-major loop was as fast or faster.
FEATURE_MAJOR_MIN_BATCH = 64


def _project_all_steps(xs: np.ndarray, w: np.ndarray, b: np.ndarray, out: np.ndarray):
    """x_t W + b for every step t at once, in one matmul call, into ``out`` (T, B, G*H)."""
    steps, batch, d = xs.shape
    with backend.blas_threads_for(2.0 * xs.size * w.shape[1]):
        if batch < 8 or d * w.shape[1] >= 64 * 512:  # one (T*B, D) x (D, G*H) product
            np.matmul(xs.reshape(steps * batch, d), w, out=out.reshape(steps * batch, w.shape[1]))
        else:  # T products of (B, D) x (D, G*H): measured faster for these shapes
            np.matmul(xs, w, out=out)
    out += b
    return out


def _gradient_product(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a @ b for the big products over all steps (dW, dU, dx): every core under the 'auto'
    BLAS policy (numrnn.backend.set_blas_threads)."""
    with backend.blas_threads_for(2.0 * a.shape[0] * a.shape[1] * b.shape[1]):
        return a @ b


def _carry_masked(new: np.ndarray, old: np.ndarray, skip: np.ndarray) -> None:
    """Where the step is masked out (``skip``, i.e. ~mask), keep the previous state: new = old."""
    np.copyto(new, old, where=skip)


class SimpleRNN(RNN):
    """Fully connected recurrence:  h_t = act(x_t W + h_{t-1} U + b).

    Weights: kernel W (D, H), recurrent_kernel U (H, H), bias b (H,).
    Backward:  dz_t = (dL/dh_t) * act'(h_t);  dh_{t-1} += dz_t U^T.
    With recurrent dropout (mask m_h): h_{t-1} U becomes (h_{t-1} m_h) U and
    dh_{t-1} += (dz_t U^T) m_h. The other arguments: see ``RNN``.
    """

    def __init__(
        self,
        units: int,
        activation: str | None = "tanh",
        use_bias: bool = True,
        kernel_initializer="glorot_uniform",
        recurrent_initializer="orthogonal",
        bias_initializer="zeros",
        kernel_regularizer=None,
        recurrent_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        kernel_constraint=None,
        recurrent_constraint=None,
        bias_constraint=None,
        dropout: float = 0.0,
        recurrent_dropout: float = 0.0,
        return_sequences: bool = False,
        return_state: bool = False,
        go_backwards: bool = False,
        stateful: bool = False,
        unroll: bool = False,
        **kwargs,
    ):
        super().__init__(
            units, activation=activation, use_bias=use_bias,
            kernel_initializer=kernel_initializer, recurrent_initializer=recurrent_initializer,
            bias_initializer=bias_initializer, kernel_regularizer=kernel_regularizer,
            recurrent_regularizer=recurrent_regularizer, bias_regularizer=bias_regularizer,
            activity_regularizer=activity_regularizer, kernel_constraint=kernel_constraint,
            recurrent_constraint=recurrent_constraint, bias_constraint=bias_constraint,
            dropout=dropout, recurrent_dropout=recurrent_dropout,
            return_sequences=return_sequences, return_state=return_state,
            go_backwards=go_backwards, stateful=stateful, unroll=unroll, **kwargs)

    def _workspace_shapes(self, steps, batch):
        h = self.units
        return {"h": (steps + 1, batch, h), "dz": (steps, batch, h), "dh": (steps, batch, h),
                "dh_next": (batch, h), "xw": (steps, batch, h),
                "carry_h": (batch, h), "h_drop": (batch, h)}

    def _inference_shapes(self, batch):
        return {}

    def _step(self, xw_t, h_in, u, h_out) -> None:
        """h_out = act(xw_t + h_in U), with xw_t = x_t W + b."""
        np.matmul(h_in, u, out=h_out)
        h_out += xw_t
        self.activation.forward(h_out, out=h_out)

    def _forward_steps(self, xs, states0, m):
        ws, u = self._ws, self.params["recurrent_kernel"]
        hs = ws["h"]
        hs[0] = states0[0]
        xw = _project_all_steps(xs, self.params["kernel"], self._bias(), ws["xw"])
        skip, rmask, h_drop = self._skip_tm, self._rec_mask, ws["h_drop"]
        for t in range(xs.shape[0]):
            h_in = hs[t] if rmask is None else np.multiply(hs[t], rmask, out=h_drop)
            self._step(xw[t], h_in, u, hs[t + 1])
            if skip is not None:
                _carry_masked(hs[t + 1], hs[t], skip[t])

    def _infer_steps(self, xs, states0, skip):
        ws, u = self._inference_workspace(*xs.shape[:2]), self.params["recurrent_kernel"]
        hs, seq = ws["h"], self.return_sequences
        hs[0] = states0[0]
        xw = _project_all_steps(xs, self.params["kernel"], self._bias(), ws["xw"])
        for t in range(xs.shape[0]):
            h_prev, h_new = (hs[t], hs[t + 1]) if seq else (hs[t % 2], hs[(t + 1) % 2])
            self._step(xw[t], h_prev, u, h_new)
            if skip is not None:
                _carry_masked(h_new, h_prev, skip[t])
        last = hs[-1] if seq else hs[xs.shape[0] % 2]
        return (hs[1:] if seq else None), [last]

    def _backward_steps(self, d_seq, d_last, m):
        ws = self._ws
        hs, dz, dh_t = ws["h"], ws["dz"], ws["dh"]
        act_grad = self.activation.derivative(hs[1:], out=dz)  # dz_t = dh_t * act_grad_t
        ut = np.ascontiguousarray(self.params["recurrent_kernel"].T)
        dh_next = ws["dh_next"]
        dh_next[...] = d_last[0]
        skip, rmask = self._skip_tm, self._rec_mask
        for t in reversed(range(dz.shape[0])):
            dh = dh_t[t]
            if d_seq is not None:
                np.add(dh_next, d_seq[t], out=dh)
            else:
                dh[...] = dh_next
            if m is not None:  # a masked step passed h_{t-1} through unchanged
                carry = np.multiply(dh, skip[t], out=ws["carry_h"])
                dh *= m[t]
            np.multiply(dh, act_grad[t], out=dz[t])
            np.matmul(dz[t], ut, out=dh_next)
            if rmask is not None:
                dh_next *= rmask
            if m is not None:
                dh_next += carry
        hs_prev = self._recurrent_inputs().reshape(-1, self.units)
        self.grads["recurrent_kernel"] = _gradient_product(hs_prev.T, dz.reshape(-1, self.units))
        dxs = self._input_side_grads(dz)
        self.grads = {k: self.grads[k] for k in self.params}  # Keras order
        return dxs, [dh_next.copy()]

    def _named_steps(self):
        ws = self._ws
        yield "z", self._pre_activations()
        yield "h", ws["h"][1:]
        if self._backward_ready:
            yield "dz", ws["dz"]
            yield "dh", ws["dh"]

    def get_config(self):
        config = super().get_config()
        for key in ("recurrent_activation", "implementation"):  # not SimpleRNN arguments
            del config[key]
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config.pop("recurrent_activation", None)  # written by numrnn before this release
        return super().from_config(config)


class LSTM(RNN):
    """Long short-term memory (gates i, f, c, o in Keras' fused layout).

        i_t = sigma(x_t W_i + h_{t-1} U_i + b_i)          input gate
        f_t = sigma(x_t W_f + h_{t-1} U_f + b_f)          forget gate
        g_t = act(x_t W_c + h_{t-1} U_c + b_c)            candidate (the tutorial's C~_t)
        o_t = sigma(x_t W_o + h_{t-1} U_o + b_o)          output gate
        c_t = f_t * c_{t-1} + i_t * g_t                   cell state
        h_t = o_t * act(c_t)                              output

    Weights: kernel W (D, 4H), recurrent_kernel U (H, 4H), bias b (4H,), blocks [i|f|c|o];
    ``unit_forget_bias`` starts b_f at 1. sigma is ``recurrent_activation`` (sigmoid;
    Keras 2.1 used 'hard_sigmoid'), act is ``activation`` (tanh).

    Dropout, recurrent dropout (one mask for all four gates), statefulness, go_backwards,
    unroll, implementation: see ``RNN``.

    Backward at step t, from dh = dL/dh_t and dc = dL/dc_t (including what flows back);
    act'(v) and sigma'(v) are derivatives at the input v (sigma'(z_i) = i_t (1 - i_t)):
        dc  += dh * o_t * act'(c_t)
        dz_i = dc * g_t * sigma'(z_i);   dz_f = dc * c_{t-1} * sigma'(z_f)
        dz_c = dc * i_t * act'(z_c);     dz_o = dh * act(c_t) * sigma'(z_o)
        dh_{t-1} = dz_t U^T;             dc_{t-1} = dc * f_t
    The same step, one line per equation: ``numrnn.cells.lstm_step`` / ``lstm_step_backward``.
    """

    n_gates = 4
    state_names = ("h", "c")

    def __init__(
        self,
        units: int,
        activation: str | None = "tanh",
        recurrent_activation: str | None = "sigmoid",
        use_bias: bool = True,
        kernel_initializer="glorot_uniform",
        recurrent_initializer="orthogonal",
        bias_initializer="zeros",
        unit_forget_bias: bool = True,
        kernel_regularizer=None,
        recurrent_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        kernel_constraint=None,
        recurrent_constraint=None,
        bias_constraint=None,
        dropout: float = 0.0,
        recurrent_dropout: float = 0.0,
        implementation: int = 1,
        return_sequences: bool = False,
        return_state: bool = False,
        go_backwards: bool = False,
        stateful: bool = False,
        unroll: bool = False,
        **kwargs,
    ):
        self.unit_forget_bias = bool(unit_forget_bias)
        super().__init__(
            units, activation=activation, recurrent_activation=recurrent_activation,
            use_bias=use_bias, kernel_initializer=kernel_initializer,
            recurrent_initializer=recurrent_initializer, bias_initializer=bias_initializer,
            kernel_regularizer=kernel_regularizer, recurrent_regularizer=recurrent_regularizer,
            bias_regularizer=bias_regularizer, activity_regularizer=activity_regularizer,
            kernel_constraint=kernel_constraint, recurrent_constraint=recurrent_constraint,
            bias_constraint=bias_constraint, dropout=dropout,
            recurrent_dropout=recurrent_dropout, implementation=implementation,
            return_sequences=return_sequences, return_state=return_state,
            go_backwards=go_backwards, stateful=stateful, unroll=unroll, **kwargs)

    def build(self, input_shape):
        super().build(input_shape)
        h = self.units
        if self.use_bias and self.unit_forget_bias:
            self.params["bias"][h : 2 * h] = 1.0
        # sigmoid and tanh are both b*tanh(a*x)+c: with per-column (a, b, c) the four
        # gates take one np.tanh call per step.
        rec, act = self.recurrent_activation.tanh_form, self.activation.tanh_form
        self._fused = None
        if rec is not None and act is not None:
            cols = [rec, rec, act, rec]
            self._fused = tuple(
                np.repeat(np.array([c[k] for c in cols], self.dtype), h) for k in range(3)
            )

    def _workspace_shapes(self, steps, batch):
        h = self.units
        return {
            # x_t W + b for all steps, turned in place into i, f, g, o after their activations
            "gates": (steps, batch, 4 * h),
            "c": (steps + 1, batch, h),
            "h": (steps + 1, batch, h),
            "act_c": (steps, batch, h),       # act(c_t)
            "tmp": (batch, h),
            "rec": (batch, 4 * h),            # h_{t-1} U
            # the gate derivatives, then (once q and r hold what the loop needs of them)
            # dL/d(pre-activations)
            "dz": (steps, batch, 4 * h),
            "dh": (steps, batch, h),
            "dc": (steps, batch, h),
            "q": (steps, batch, 3 * h),
            "r": (steps, batch, h),
            "o_act_grad": (steps, batch, h),
            "dh_next": (batch, h),
            "dc_next": (batch, h),
            "carry_h": (batch, h),
            "carry_c": (batch, h),
            "h_drop": (batch, h),
        }

    def _inference_shapes(self, batch):
        h = self.units
        return {"rec": (batch, 4 * h), "c": (2, batch, h), "tmp": (batch, h)}

    def _activate_gates(self, z: np.ndarray) -> None:
        """Apply sigma to the i, f, o blocks and act to the c block of z, in place."""
        h = self.units
        if self._fused is not None:  # z was computed with weights scaled by ``in_scale``
            _, out_scale, shift = self._fused
            np.tanh(z, out=z)
            z *= out_scale
            z += shift
        else:
            self.recurrent_activation.forward(z[:, : 2 * h], out=z[:, : 2 * h])
            self.activation.forward(z[:, 2 * h : 3 * h], out=z[:, 2 * h : 3 * h])
            self.recurrent_activation.forward(z[:, 3 * h :], out=z[:, 3 * h :])

    def _scaled_weights(self):
        """W, U, b, with the fused gate activation's input scale folded in (copies)."""
        w, u, b = self.params["kernel"], self.params["recurrent_kernel"], self._bias()
        if self._fused is not None:
            # b*tanh(a*z)+c for every gate: fold the per-column a into (copies of) the weights
            in_scale = self._fused[0]
            w, u, b = w * in_scale, u * in_scale, b * in_scale
        return w, u, b

    def _step(self, z, h_in, c_prev, u, rec, c_out, act_c_out, h_out, tmp) -> None:
        """One step. z (B, 4H) holds x_t W + b on entry and the gates i, f, g, o on exit;
        then c_out, act_c_out = act(c_out), h_out. ``rec`` (B, 4H) is scratch for h_in U;
        ``tmp`` may be ``act_c_out``; c_out must not be c_prev."""
        h = self.units
        np.matmul(h_in, u, out=rec)
        z += rec
        self._activate_gates(z)
        i, f, g, o = z[:, :h], z[:, h : 2 * h], z[:, 2 * h : 3 * h], z[:, 3 * h :]
        np.multiply(f, c_prev, out=c_out)
        np.multiply(i, g, out=tmp)
        c_out += tmp
        self.activation.forward(c_out, out=act_c_out)
        np.multiply(o, act_c_out, out=h_out)

    def _forward_steps(self, xs, states0, m):
        ws = self._ws
        w, u, b = self._scaled_weights()
        cs, hs, act_c, tmp, rec = ws["c"], ws["h"], ws["act_c"], ws["tmp"], ws["rec"]
        hs[0], cs[0] = states0
        gates = _project_all_steps(xs, w, b, ws["gates"])  # (T, B, 4H): x_t W + b, for now
        skip, rmask, h_drop = self._skip_tm, self._rec_mask, ws["h_drop"]
        for t in range(xs.shape[0]):
            h_in = hs[t] if rmask is None else np.multiply(hs[t], rmask, out=h_drop)
            self._step(gates[t], h_in, cs[t], u, rec, cs[t + 1], act_c[t], hs[t + 1], tmp)
            if skip is not None:
                _carry_masked(cs[t + 1], cs[t], skip[t])
                _carry_masked(hs[t + 1], hs[t], skip[t])

    def _infer_steps(self, xs, states0, skip):
        if xs.shape[1] >= FEATURE_MAJOR_MIN_BATCH:
            return self._infer_steps_feature_major(xs, states0, skip)
        ws = self._inference_workspace(*xs.shape[:2])
        w, u, b = self._scaled_weights()
        hs, cs, rec, tmp, seq = ws["h"], ws["c"], ws["rec"], ws["tmp"], self.return_sequences
        hs[0], cs[0] = states0
        xw = _project_all_steps(xs, w, b, ws["xw"])  # each step turns its block into gates
        for t in range(xs.shape[0]):
            h_prev, h_new = (hs[t], hs[t + 1]) if seq else (hs[t % 2], hs[(t + 1) % 2])
            c_prev, c_new = cs[t % 2], cs[(t + 1) % 2]
            self._step(xw[t], h_prev, c_prev, u, rec, c_new, tmp, h_new, tmp)
            if skip is not None:
                _carry_masked(c_new, c_prev, skip[t])
                _carry_masked(h_new, h_prev, skip[t])
        last = xs.shape[0] % 2
        return (hs[1:] if seq else None), [hs[-1] if seq else hs[last], cs[last]]

    def _infer_steps_feature_major(self, xs, states0, skip):
        """The forward-only loop with every array transposed, (features, batch), and the
        gates in the order i, f, o, g: then each gate is one contiguous block, the three
        sigmoid gates one block, and the gate activations act on whole blocks. Same
        equations as ``_step``; measured 6-27% faster than the batch-major loop for batches
        of 64-128 (docs/performance.md), as fast or slower for batches of 16-32, hence only
        from FEATURE_MAJOR_MIN_BATCH samples. Returns what ``_infer_steps`` returns, as views."""
        h = self.units
        steps, batch, d = xs.shape
        key = (steps, batch, d, self.return_sequences)
        if getattr(self, "_infer_fm", None) is None or self._infer_fm[0] != key:
            shapes = {"xs": (steps, d, batch), "xw": (steps, 4 * h, batch),
                      "h": (steps + 1 if self.return_sequences else 2, h, batch),
                      "c": (2, h, batch), "rec": (4 * h, batch), "tmp": (h, batch)}
            self._infer_ws = None  # one inference workspace at a time
            self._infer_fm = (key, {k: np.empty(v, self.dtype) for k, v in shapes.items()})
        ws = self._infer_fm[1]
        w, u, b = self._scaled_weights()
        order = np.r_[0 : 2 * h, 3 * h : 4 * h, 2 * h : 3 * h]  # [i f c o] -> [i f o c]
        w_t, u_t = np.ascontiguousarray(w[:, order].T), np.ascontiguousarray(u[:, order].T)
        np.copyto(ws["xs"], xs.transpose(0, 2, 1))
        xw = np.matmul(w_t, ws["xs"], out=ws["xw"])  # (T, 4H, B): W^T x_t^T for all steps
        xw += b[order][:, None]
        hs, cs, rec, tmp, seq = ws["h"], ws["c"], ws["rec"], ws["tmp"], self.return_sequences
        hs[0], cs[0] = states0[0].T, states0[1].T
        skip_t = None if skip is None else skip.transpose(0, 2, 1)  # (T, 1, B)
        for t in range(steps):
            h_prev, h_new = (hs[t], hs[t + 1]) if seq else (hs[t % 2], hs[(t + 1) % 2])
            c_prev, c_new = cs[t % 2], cs[(t + 1) % 2]
            z = xw[t]
            np.matmul(u_t, h_prev, out=rec)
            z += rec
            self._activate_gate_blocks(z[: 3 * h], z[3 * h :])
            np.multiply(z[h : 2 * h], c_prev, out=c_new)      # f * c_{t-1}
            np.multiply(z[:h], z[3 * h :], out=tmp)           # i * g
            c_new += tmp
            self.activation.forward(c_new, out=tmp)
            np.multiply(z[2 * h : 3 * h], tmp, out=h_new)     # o * act(c_t)
            if skip_t is not None:
                _carry_masked(c_new, c_prev, skip_t[t])
                _carry_masked(h_new, h_prev, skip_t[t])
        last = steps % 2
        h_last = hs[-1] if seq else hs[last]
        return (hs[1:].transpose(0, 2, 1) if seq else None), [h_last.T, cs[last].T]

    def _activate_gate_blocks(self, sig_block: np.ndarray, act_block: np.ndarray) -> None:
        """sigma on the (i, f, o) block and act on the g block, in place; with the fused
        form the inputs were scaled in the weights, so b*tanh(.)+c per block remains."""
        if self._fused is None:
            self.recurrent_activation.forward(sig_block, out=sig_block)
            self.activation.forward(act_block, out=act_block)
            return
        for block, (_, scale, shift) in ((sig_block, self.recurrent_activation.tanh_form),
                                         (act_block, self.activation.tanh_form)):
            np.tanh(block, out=block)
            if scale != 1:
                block *= scale
            if shift != 0:
                block += shift

    def _backward_steps(self, d_seq, d_last, m):
        ws, h = self._ws, self.units
        steps, batch = self._xs.shape[:2]
        gates, cs, act_c = ws["gates"], ws["c"], ws["act_c"]
        i, f, g, o = (gates[..., k * h : (k + 1) * h] for k in range(4))
        # Everything that does not depend on dh/dc, for all steps at once (gg shares the
        # memory of dz: the loop reads only q, r and o_act_grad, and overwrites dz):
        gg = ws["dz"]
        self.recurrent_activation.derivative(gates, out=gg)
        self.activation.derivative(g, out=gg[..., 2 * h : 3 * h])
        q = ws["q"]  # dz_[i|f|c] = dc * q
        np.multiply(g, gg[..., :h], out=q[..., :h])
        np.multiply(cs[:-1], gg[..., h : 2 * h], out=q[..., h : 2 * h])
        np.multiply(i, gg[..., 2 * h : 3 * h], out=q[..., 2 * h :])
        r = np.multiply(act_c, gg[..., 3 * h :], out=ws["r"])  # dz_o = dh * r
        o_act_grad = self.activation.derivative(act_c, out=ws["o_act_grad"])
        o_act_grad *= o  # dc += dh * o * act'
        dz, dh_t, dc_t, tmp = ws["dz"], ws["dh"], ws["dc"], ws["tmp"]
        ut = np.ascontiguousarray(self.params["recurrent_kernel"].T)
        # dh_t[t], dc_t[t]: dL/dh_t and dL/dc_t. Step t writes what flows back from it
        # straight into dh_t[t-1], dc_t[t-1]; the gradients of h_0, c_0 go to dh_next, dc_next.
        dh_t[-1], dc_t[-1] = d_last
        skip, rmask = self._skip_tm, self._rec_mask
        for t in reversed(range(steps)):
            dh, dc = dh_t[t], dc_t[t]
            dh_prev = dh_t[t - 1] if t else ws["dh_next"]
            dc_prev = dc_t[t - 1] if t else ws["dc_next"]
            if d_seq is not None:
                dh += d_seq[t]
            if m is not None:  # a masked step passed (h, c) through unchanged
                carry_h = np.multiply(dh, skip[t], out=ws["carry_h"])
                carry_c = np.multiply(dc, skip[t], out=ws["carry_c"])
                dh *= m[t]
                dc *= m[t]
            np.multiply(dh, o_act_grad[t], out=tmp)
            dc += tmp                       # dc += dh * o * act'(c)
            np.multiply(q[t].reshape(batch, 3, h), dc[:, None, :],
                        out=dz[t].reshape(batch, 4, h)[:, :3])
            np.multiply(dh, r[t], out=dz[t, :, 3 * h :])
            np.matmul(dz[t], ut, out=dh_prev)   # dh_{t-1} = dz_t U^T
            if rmask is not None:
                dh_prev *= rmask
            np.multiply(dc, f[t], out=dc_prev)  # dc_{t-1} = dc_t * f_t
            if m is not None:
                dh_prev += carry_h
                dc_prev += carry_c
        dh_next, dc_next = ws["dh_next"], ws["dc_next"]
        dz2 = dz.reshape(-1, 4 * h)
        self.grads["recurrent_kernel"] = _gradient_product(
            self._recurrent_inputs().reshape(-1, h).T, dz2)
        dxs = self._input_side_grads(dz)
        self.grads = {k: self.grads[k] for k in self.params}
        return dxs, [dh_next.copy(), dc_next.copy()]

    def _named_steps(self):
        ws, h = self._ws, self.units
        z = self._pre_activations()
        for k, name in enumerate("ifgo"):
            yield "z_" + name, z[..., k * h : (k + 1) * h]
        for k, name in enumerate("ifgo"):
            yield name, ws["gates"][..., k * h : (k + 1) * h]
        yield "c", ws["c"][1:]
        yield "act_c", ws["act_c"]
        yield "h", ws["h"][1:]
        if self._backward_ready:
            for k, name in enumerate("ifgo"):
                yield "dz_" + name, ws["dz"][..., k * h : (k + 1) * h]
            yield "dh", ws["dh"]
            yield "dc", ws["dc"]

    def get_config(self):
        return {**super().get_config(), "unit_forget_bias": self.unit_forget_bias}


class GRU(RNN):
    """Gated recurrent unit (blocks z, r, h in Keras' fused layout).

        z_t  = sigma(x_t W_z + h_{t-1} U_z + b_z)                 update gate
        r_t  = sigma(x_t W_r + h_{t-1} U_r + b_r)                 reset gate
        hh_t = act(x_t W_h + (r_t * h_{t-1}) U_h + b_h)           candidate (reset_after=False)
        hh_t = act(x_t W_h + b_h + r_t * (h_{t-1} U_h + b'_h))    candidate (reset_after=True)
        h_t  = z_t * h_{t-1} + (1 - z_t) * hh_t

    Weights: kernel (D, 3H), recurrent_kernel (H, 3H), bias (3H,) or, with
    ``reset_after=True`` (the modern Keras and PyTorch form, the default), (2, 3H):
    row 0 the input bias, row 1 the recurrent bias.

    Differs from Keras 2.1 on purpose: Keras 2.1's default was ``reset_after=False``. numrnn
    defaults to ``True`` because Keras 3, tf.keras 2 and PyTorch's ``nn.GRU`` all compute that
    form, so a GRU trained here moves to them unchanged (``numrnn.convert``); pass
    ``reset_after=False`` for the 2.1 form. The two forms' weights are not interchangeable.

    Dropout, recurrent dropout (one mask for all three gates, not on the direct path
    z_t * h_{t-1}), statefulness, go_backwards, unroll, implementation: see ``RNN``.
    """

    n_gates = 3

    def __init__(
        self,
        units: int,
        activation: str | None = "tanh",
        recurrent_activation: str | None = "sigmoid",
        use_bias: bool = True,
        kernel_initializer="glorot_uniform",
        recurrent_initializer="orthogonal",
        bias_initializer="zeros",
        kernel_regularizer=None,
        recurrent_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        kernel_constraint=None,
        recurrent_constraint=None,
        bias_constraint=None,
        dropout: float = 0.0,
        recurrent_dropout: float = 0.0,
        implementation: int = 1,
        return_sequences: bool = False,
        return_state: bool = False,
        go_backwards: bool = False,
        stateful: bool = False,
        unroll: bool = False,
        reset_after: bool = True,
        **kwargs,
    ):
        self.reset_after = bool(reset_after)
        super().__init__(
            units, activation=activation, recurrent_activation=recurrent_activation,
            use_bias=use_bias, kernel_initializer=kernel_initializer,
            recurrent_initializer=recurrent_initializer, bias_initializer=bias_initializer,
            kernel_regularizer=kernel_regularizer, recurrent_regularizer=recurrent_regularizer,
            bias_regularizer=bias_regularizer, activity_regularizer=activity_regularizer,
            kernel_constraint=kernel_constraint, recurrent_constraint=recurrent_constraint,
            bias_constraint=bias_constraint, dropout=dropout,
            recurrent_dropout=recurrent_dropout, implementation=implementation,
            return_sequences=return_sequences, return_state=return_state,
            go_backwards=go_backwards, stateful=stateful, unroll=unroll, **kwargs)

    def _bias_shape(self):
        return (2, 3 * self.units) if self.reset_after else (3 * self.units,)

    def _workspace_shapes(self, steps, batch):
        h = self.units
        return {
            "xw": (steps, batch, 3 * h),
            "gates": (steps, batch, 3 * h),   # z, r, hh after activations
            "h": (steps + 1, batch, h),
            "rec": (steps, batch, 3 * h),     # h_{t-1} U (+ b') (reset_after) or r*h_{t-1}
            "tmp": (batch, 3 * h),
            "dz": (steps, batch, 3 * h),
            "drec": (steps, batch, 3 * h),
            "dh": (steps, batch, h),
            "pz": (steps, batch, h),
            "ph": (steps, batch, h),
            "dh_next": (batch, h),
            "tmp_h": (batch, h),
            "drh": (batch, h),
            "carry_h": (batch, h),
            "h_drop": (batch, h),
        }

    def _inference_shapes(self, batch):
        h = self.units
        return {"gates": (batch, 3 * h), "rec": (batch, 3 * h), "tmp": (batch, 3 * h)}

    def _step(self, xw_t, h_prev, h_in, u, u_zr, u_h, rec_bias, gates_t, rec_t, tmp,
              h_out) -> None:
        """One step: z, r, hh into gates_t (B, 3H), h_out. ``h_in`` is h_{t-1} as it enters
        the recurrent matmuls (after recurrent dropout), ``h_prev`` the state itself.
        rec_t holds h_{t-1} U + b' (reset_after) or, in its first H columns, r * h_{t-1}."""
        h = self.units
        zr, r, hh = gates_t[:, : 2 * h], gates_t[:, h : 2 * h], gates_t[:, 2 * h :]
        if self.reset_after:
            np.matmul(h_in, u, out=rec_t)
            rec_t += rec_bias
            np.add(xw_t[:, : 2 * h], rec_t[:, : 2 * h], out=zr)
            self.recurrent_activation.forward(zr, out=zr)
            np.multiply(r, rec_t[:, 2 * h :], out=hh)
        else:
            np.matmul(h_in, u_zr, out=tmp[:, : 2 * h])
            np.add(xw_t[:, : 2 * h], tmp[:, : 2 * h], out=zr)
            self.recurrent_activation.forward(zr, out=zr)
            rh = rec_t[:, :h]
            np.multiply(r, h_in, out=rh)
            np.matmul(rh, u_h, out=hh)
        hh += xw_t[:, 2 * h :]
        self.activation.forward(hh, out=hh)
        # h_t = hh + z * (h_{t-1} - hh)
        diff = np.subtract(h_prev, hh, out=tmp[:, :h])
        diff *= gates_t[:, :h]
        np.add(hh, diff, out=h_out)

    def _weights_for_steps(self):
        h, u, bias = self.units, self.params["recurrent_kernel"], self._bias()
        b_in, rec_bias = (bias[0], bias[1]) if self.reset_after else (bias, None)
        return u, u[:, : 2 * h], u[:, 2 * h :], b_in, rec_bias

    def _forward_steps(self, xs, states0, m):
        ws = self._ws
        u, u_zr, u_h, b_in, rec_bias = self._weights_for_steps()
        gates, hs, rec, tmp = ws["gates"], ws["h"], ws["rec"], ws["tmp"]
        hs[0] = states0[0]
        xw = _project_all_steps(xs, self.params["kernel"], b_in, ws["xw"])
        skip, rmask, h_drop = self._skip_tm, self._rec_mask, ws["h_drop"]
        for t in range(xs.shape[0]):
            h_in = hs[t] if rmask is None else np.multiply(hs[t], rmask, out=h_drop)
            self._step(xw[t], hs[t], h_in, u, u_zr, u_h, rec_bias, gates[t], rec[t], tmp,
                       hs[t + 1])
            if skip is not None:
                _carry_masked(hs[t + 1], hs[t], skip[t])

    def _infer_steps(self, xs, states0, skip):
        ws = self._inference_workspace(*xs.shape[:2])
        u, u_zr, u_h, b_in, rec_bias = self._weights_for_steps()
        hs, gates, rec, tmp, seq = ws["h"], ws["gates"], ws["rec"], ws["tmp"], self.return_sequences
        hs[0] = states0[0]
        xw = _project_all_steps(xs, self.params["kernel"], b_in, ws["xw"])
        for t in range(xs.shape[0]):
            h_prev, h_new = (hs[t], hs[t + 1]) if seq else (hs[t % 2], hs[(t + 1) % 2])
            self._step(xw[t], h_prev, h_prev, u, u_zr, u_h, rec_bias, gates, rec, tmp, h_new)
            if skip is not None:
                _carry_masked(h_new, h_prev, skip[t])
        return (hs[1:] if seq else None), [hs[-1] if seq else hs[xs.shape[0] % 2]]

    def _backward_steps(self, d_seq, d_last, m):
        ws, h = self._ws, self.units
        steps = self._xs.shape[0]
        gates, hs, rec = ws["gates"], ws["h"], ws["rec"]
        z, r, hh = (gates[..., k * h : (k + 1) * h] for k in range(3))
        hs_prev = hs[:-1]
        # the gate derivatives share dz's memory: each block is read before it is overwritten
        gg = ws["dz"]
        self.recurrent_activation.derivative(gates[..., : 2 * h], out=gg[..., : 2 * h])
        self.activation.derivative(hh, out=gg[..., 2 * h :])
        # Step-independent factors: dz_z = dh * pz, dz_h = dh * ph
        pz = np.subtract(hs_prev, hh, out=ws["pz"])
        pz *= gg[..., :h]
        ph = np.subtract(1, z, out=ws["ph"])
        ph *= gg[..., 2 * h :]
        u = self.params["recurrent_kernel"]
        ut = np.ascontiguousarray(u.T)
        u_h_t = np.ascontiguousarray(u[:, 2 * h :].T)
        u_zr_t = np.ascontiguousarray(u[:, : 2 * h].T)
        dz, drec, dh_t = ws["dz"], ws["drec"], ws["dh"]
        dh_next, tmp_h = ws["dh_next"], ws["tmp_h"]
        dh_next[...] = d_last[0]
        skip, rmask = self._skip_tm, self._rec_mask
        h_in = self._recurrent_inputs()  # h_{t-1} as the recurrent matmuls saw it
        for t in reversed(range(steps)):
            dh = dh_t[t]
            if d_seq is not None:
                np.add(dh_next, d_seq[t], out=dh)
            else:
                dh[...] = dh_next
            if m is not None:
                carry = np.multiply(dh, skip[t], out=ws["carry_h"])
                dh *= m[t]
            np.multiply(dh, pz[t], out=dz[t, :, :h])
            np.multiply(dh, ph[t], out=dz[t, :, 2 * h :])
            np.multiply(dh, z[t], out=dh_next)  # h_t = z h_(t-1) + ...: direct path
            if self.reset_after:
                # hh = act(xW_h + b_h + r * rec_h): dr = dz_h * rec_h
                dz[t, :, h : 2 * h] *= dz[t, :, 2 * h :]  # (it held sigma'(r))
                dz[t, :, h : 2 * h] *= rec[t, :, 2 * h :]
                drec[t, :, : 2 * h] = dz[t, :, : 2 * h]
                np.multiply(dz[t, :, 2 * h :], r[t], out=drec[t, :, 2 * h :])
                np.matmul(drec[t], ut, out=tmp_h)
                if rmask is not None:
                    tmp_h *= rmask
                dh_next += tmp_h
            else:
                # hh = act(xW_h + (r*h_{t-1}) U_h + b_h): d(r*h) = dz_h U_h^T
                drh = np.matmul(dz[t, :, 2 * h :], u_h_t, out=ws["drh"])
                dz[t, :, h : 2 * h] *= drh  # (it held sigma'(r))
                dz[t, :, h : 2 * h] *= h_in[t]
                drh *= r[t]
                np.matmul(dz[t, :, : 2 * h], u_zr_t, out=tmp_h)
                tmp_h += drh
                if rmask is not None:
                    tmp_h *= rmask
                dh_next += tmp_h
            if m is not None:
                dh_next += carry
        if self.reset_after:
            drec2 = drec.reshape(-1, 3 * h)
            self.grads["recurrent_kernel"] = _gradient_product(h_in.reshape(-1, h).T, drec2)
            dxs = self._input_side_grads(dz)
            if self.use_bias:
                self.grads["bias"] = np.stack([self.grads["bias"], drec2.sum(axis=0)])
        else:
            dz2 = dz.reshape(-1, 3 * h)
            du = np.empty_like(u)
            du[:, : 2 * h] = _gradient_product(h_in.reshape(-1, h).T, dz2[:, : 2 * h])
            du[:, 2 * h :] = _gradient_product(rec[..., :h].reshape(-1, h).T, dz2[:, 2 * h :])
            self.grads["recurrent_kernel"] = du
            dxs = self._input_side_grads(dz)
        self.grads = {k: self.grads[k] for k in self.params}
        return dxs, [dh_next.copy()]

    def _named_steps(self):
        ws, h = self._ws, self.units
        for k, name in enumerate(("z", "r", "hh")):
            yield name, ws["gates"][..., k * h : (k + 1) * h]
        yield "h", ws["h"][1:]
        if self._backward_ready:
            yield "dh", ws["dh"]

    def get_config(self):
        return {**super().get_config(), "reset_after": self.reset_after}
