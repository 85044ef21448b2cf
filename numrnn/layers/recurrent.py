"""Recurrent layers with hand-written backpropagation through time (BPTT).

Notation (the tutorial's): x_t input at step t, h_t hidden state/output, c_t LSTM
cell state, W the input kernel, U the recurrent kernel, b the bias, sigma the
recurrent (gate) activation, act the activation.

How every layer here runs, for speed and for readability:

1. the input projection of *all* time steps, ``x_t W + b``, is one matmul before the loop;
2. the loop over time does only what must be sequential: ``h_{t-1} U`` and the
   elementwise gate math, writing into preallocated (T, B, ...) arrays;
3. backward walks the loop in reverse, keeping only ``dh_{t-1} = dz_t U^T`` inside it;
   dW, dU, db and dx are then one matmul or sum each over all steps.

Arrays inside are *time-major*, (T, B, features), so that step t is one contiguous block.
"""

from __future__ import annotations

import numpy as np

from .. import activations
from .. import initializers as inits
from .base import Layer, Shape, as_float_array


class RNN(Layer):
    """Shared machinery of SimpleRNN, LSTM and GRU (shapes, masks, states, direction).

    Subclasses set ``n_gates`` (weight blocks), ``state_names`` and implement
    ``_forward_steps`` / ``_backward_steps`` on time-major arrays.
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
        return_sequences: bool = False,
        return_state: bool = False,
        go_backwards: bool = False,
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
        self.return_sequences = bool(return_sequences)
        self.return_state = bool(return_state)
        self.go_backwards = bool(go_backwards)
        self._workspaces: dict[tuple[int, int], dict[str, np.ndarray]] = {}
        self.d_initial_state: list[np.ndarray] | None = None
        super().__init__(**kwargs)

    # ---- shapes and weights -------------------------------------------------------------
    def build(self, input_shape: Shape) -> None:
        if len(input_shape) != 3 or input_shape[-1] is None:
            raise ValueError(
                f"{self.name}: input shape {input_shape}; accepted: (batch, timesteps, features)"
            )
        d, gh = input_shape[-1], self.n_gates * self.units
        self.add_weight("kernel", (d, gh), self.kernel_initializer)
        self.add_weight("recurrent_kernel", (self.units, gh), self.recurrent_initializer)
        if self.use_bias:
            self.add_weight("bias", self._bias_shape(), self.bias_initializer)
        super().build(input_shape)

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
        if self.return_state:
            return [out_mask] + [None] * len(self.state_names)
        return out_mask

    def _bias(self) -> np.ndarray:
        if self.use_bias:
            return self.params["bias"]
        return np.zeros(self._bias_shape(), self.dtype)

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

    # ---- forward ------------------------------------------------------------------------
    def forward(self, inputs, mask=None, training=False, initial_state=None):
        """inputs (B, T, D) -> output (B, T, H) or (B, H), plus final states if return_state."""
        x = as_float_array(inputs, self.dtype, f"{self.name} inputs")
        d = self.params["kernel"].shape[0]
        if x.ndim != 3 or x.shape[2] != d or x.shape[1] == 0:
            raise ValueError(
                f"{self.name} inputs: shape {x.shape}; accepted: (batch, timesteps >= 1, {d})"
            )
        batch, steps = x.shape[0], x.shape[1]
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
        self._xs = np.ascontiguousarray(xs)
        self._mask_tm = m
        self._skip_tm = None if m is None else ~m  # masked-out steps, inverted once per call
        self._has_initial_state = initial_state is not None
        self._ws = self._workspace(steps, batch)
        self._forward_steps(self._xs, states0, m)
        hs = self._ws["h"]  # (T+1, B, H); hs[0] is the initial state
        output = hs[1:].transpose(1, 0, 2).copy() if self.return_sequences else hs[-1].copy()
        if self.return_state:
            return [output] + [s.copy() for s in self._final_states()]
        return output

    def _initial_states(self, initial_state, batch: int) -> list[np.ndarray]:
        n = len(self.state_names)
        if initial_state is None:
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

    # ---- backward -----------------------------------------------------------------------
    def backward(self, dout):
        """dout: dL/d(output), or a list [d output, d state...] with return_state (None = 0).

        Sets ``grads`` and ``d_initial_state``; returns dL/d(inputs), (B, T, D).
        """
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
        dxs, d_states0 = self._backward_steps(d_seq, d_last, self._mask_tm)
        self.d_initial_state = d_states0 if self._has_initial_state else None
        if self.go_backwards:
            dxs = dxs[::-1]
        return dxs.transpose(1, 0, 2).copy()

    # ---- parameter gradients shared by all cells ---------------------------------------
    def _input_side_grads(self, dz: np.ndarray) -> np.ndarray:
        """From dL/d(x_t W + b) at every step: dW and db (one matmul, one sum), and dx."""
        steps, batch, width = dz.shape
        dz2 = dz.reshape(steps * batch, width)
        x2 = self._xs.reshape(steps * batch, -1)
        self.grads["kernel"] = x2.T @ dz2
        if self.use_bias:
            self.grads["bias"] = dz2.sum(axis=0)
        return (dz2 @ self.params["kernel"].T).reshape(steps, batch, -1)

    # ---- step-through -------------------------------------------------------------------
    def internals(self) -> dict[str, np.ndarray]:
        """Per-step values of the last forward (and backward) call, batch-major (B, T, ...).

        Names follow the equations in the class docstring: LSTM ``z_i`` .. ``z_o`` (gate
        pre-activations), ``i``, ``f``, ``g``, ``o``, ``c``, ``act_c``, ``h``; SimpleRNN ``z``,
        ``h``; GRU ``z``, ``r``, ``hh``, ``h``. After ``backward`` also ``dh`` (and ``dc``):
        dL/dh_t, dL/dc_t including what flows back from later steps, and ``dz``/``dz_i``..:
        dL/d(pre-activation). With go_backwards, step 0 is the last input.
        """
        if not hasattr(self, "_ws"):
            raise RuntimeError(f"{self.name}: internals() needs a forward call first")
        out = {k: v.transpose(1, 0, *range(2, v.ndim)).copy() for k, v in self._named_steps()}
        return out

    def _named_steps(self):
        raise NotImplementedError

    def _pre_activations(self) -> np.ndarray:
        """x_t W + h_{t-1} U + b for every step, recomputed from the cache (T, B, G*H), for
        the cells whose pre-activation has this form (SimpleRNN, LSTM).

        Not stored during training (that would cost time); computed here on request.
        """
        hs = self._ws["h"][:-1]
        return self._xs @ self.params["kernel"] + hs @ self.params["recurrent_kernel"] \
            + self._bias()

    # ---- config -------------------------------------------------------------------------
    def get_config(self):
        return {
            **super().get_config(),
            "units": self.units,
            "activation": self.activation.name,
            "recurrent_activation": self.recurrent_activation.name,
            "use_bias": self.use_bias,
            "kernel_initializer": inits.serialize(self.kernel_initializer),
            "recurrent_initializer": inits.serialize(self.recurrent_initializer),
            "bias_initializer": inits.serialize(self.bias_initializer),
            "return_sequences": self.return_sequences,
            "return_state": self.return_state,
            "go_backwards": self.go_backwards,
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        for key in ("kernel_initializer", "recurrent_initializer", "bias_initializer"):
            config[key] = inits.deserialize(config[key])
        return super().from_config(config)


def _project_all_steps(xs: np.ndarray, w: np.ndarray, b: np.ndarray, out: np.ndarray):
    """x_t W + b for every step t at once, in one matmul call, into ``out`` (T, B, G*H)."""
    np.matmul(xs, w, out=out)  # measured faster here than the (T*B, D) x (D, G*H) reshape
    out += b
    return out


def _carry_masked(new: np.ndarray, old: np.ndarray, skip: np.ndarray) -> None:
    """Where the step is masked out (``skip``, i.e. ~mask), keep the previous state: new = old."""
    np.copyto(new, old, where=skip)


class SimpleRNN(RNN):
    """Fully connected recurrence:  h_t = act(x_t W + h_{t-1} U + b).

    Weights: kernel W (D, H), recurrent_kernel U (H, H), bias b (H,).
    Backward:  dz_t = (dL/dh_t) * act'(h_t);  dh_{t-1} += dz_t U^T.
    """

    def __init__(self, units: int, activation: str | None = "tanh", **kwargs):
        kwargs.pop("recurrent_activation", None)
        super().__init__(units, activation=activation, **kwargs)

    def _workspace_shapes(self, steps, batch):
        h = self.units
        return {"h": (steps + 1, batch, h), "dz": (steps, batch, h), "dh": (steps, batch, h),
                "act_grad": (steps, batch, h), "dh_next": (batch, h), "xw": (steps, batch, h),
                "carry_h": (batch, h)}

    def _forward_steps(self, xs, states0, m):
        ws, u = self._ws, self.params["recurrent_kernel"]
        hs = ws["h"]
        hs[0] = states0[0]
        xw = _project_all_steps(xs, self.params["kernel"], self._bias(), ws["xw"])
        skip = self._skip_tm
        for t in range(xs.shape[0]):
            h = hs[t + 1]
            np.matmul(hs[t], u, out=h)
            h += xw[t]
            self.activation.forward(h, out=h)
            if skip is not None:
                _carry_masked(h, hs[t], skip[t])

    def _backward_steps(self, d_seq, d_last, m):
        ws = self._ws
        hs, dz, dh_t = ws["h"], ws["dz"], ws["dh"]
        act_grad = self.activation.derivative(hs[1:], out=ws["act_grad"])
        ut = np.ascontiguousarray(self.params["recurrent_kernel"].T)
        dh_next = ws["dh_next"]
        dh_next[...] = d_last[0]
        skip = self._skip_tm
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
            if m is not None:
                dh_next += carry
        hs_prev = hs[:-1].reshape(-1, self.units)
        self.grads["recurrent_kernel"] = hs_prev.T @ dz.reshape(-1, self.units)
        dxs = self._input_side_grads(dz)
        self.grads = {k: self.grads[k] for k in self.params}  # Keras order
        return dxs, [dh_next.copy()]

    def _named_steps(self):
        ws = self._ws
        yield "z", self._pre_activations()
        yield "h", ws["h"][1:]
        if "kernel" in self.grads:
            yield "dz", ws["dz"]
            yield "dh", ws["dh"]


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

    def __init__(self, units: int, unit_forget_bias: bool = True, **kwargs):
        self.unit_forget_bias = bool(unit_forget_bias)
        super().__init__(units, **kwargs)

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
            "xw": (steps, batch, 4 * h),      # x_t W + b for all steps
            "gates": (steps, batch, 4 * h),   # i, f, g, o after their activations
            "c": (steps + 1, batch, h),
            "h": (steps + 1, batch, h),
            "act_c": (steps, batch, h),       # act(c_t)
            "tmp": (batch, h),
            "dz": (steps, batch, 4 * h),      # dL/d(pre-activations)
            "dh": (steps, batch, h),
            "dc": (steps, batch, h),
            "gate_grad": (steps, batch, 4 * h),
            "q": (steps, batch, 3 * h),
            "r": (steps, batch, h),
            "o_act_grad": (steps, batch, h),
            "dh_next": (batch, h),
            "dc_next": (batch, h),
            "carry_h": (batch, h),
            "carry_c": (batch, h),
        }

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

    def _forward_steps(self, xs, states0, m):
        ws, h = self._ws, self.units
        w, u, b = self.params["kernel"], self.params["recurrent_kernel"], self._bias()
        if self._fused is not None:
            # b*tanh(a*z)+c for every gate: fold the per-column a into (copies of) the weights
            in_scale = self._fused[0]
            w, u, b = w * in_scale, u * in_scale, b * in_scale
        gates, cs, hs, act_c, tmp = ws["gates"], ws["c"], ws["h"], ws["act_c"], ws["tmp"]
        hs[0], cs[0] = states0
        xw = _project_all_steps(xs, w, b, ws["xw"])  # (T, B, 4H)
        skip = self._skip_tm
        for t in range(xs.shape[0]):
            z = gates[t]
            np.matmul(hs[t], u, out=z)
            z += xw[t]
            self._activate_gates(z)
            i, f, g, o = z[:, :h], z[:, h : 2 * h], z[:, 2 * h : 3 * h], z[:, 3 * h :]
            c = cs[t + 1]
            np.multiply(f, cs[t], out=c)
            np.multiply(i, g, out=tmp)
            c += tmp
            self.activation.forward(c, out=act_c[t])
            np.multiply(o, act_c[t], out=hs[t + 1])
            if skip is not None:
                _carry_masked(c, cs[t], skip[t])
                _carry_masked(hs[t + 1], hs[t], skip[t])

    def _backward_steps(self, d_seq, d_last, m):
        ws, h = self._ws, self.units
        steps, batch = self._xs.shape[:2]
        gates, cs, hs, act_c = ws["gates"], ws["c"], ws["h"], ws["act_c"]
        i, f, g, o = (gates[..., k * h : (k + 1) * h] for k in range(4))
        # Everything that does not depend on dh/dc, for all steps at once:
        gg = ws["gate_grad"]
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
        skip = self._skip_tm
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
            np.multiply(dc, f[t], out=dc_prev)  # dc_{t-1} = dc_t * f_t
            if m is not None:
                dh_prev += carry_h
                dc_prev += carry_c
        dh_next, dc_next = ws["dh_next"], ws["dc_next"]
        dz2 = dz.reshape(-1, 4 * h)
        self.grads["recurrent_kernel"] = hs[:-1].reshape(-1, h).T @ dz2
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
        if "kernel" in self.grads:
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
    """

    n_gates = 3

    def __init__(self, units: int, reset_after: bool = True, **kwargs):
        self.reset_after = bool(reset_after)
        super().__init__(units, **kwargs)

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
            "gate_grad": (steps, batch, 3 * h),
            "pz": (steps, batch, h),
            "ph": (steps, batch, h),
            "dh_next": (batch, h),
            "tmp_h": (batch, h),
            "drh": (batch, h),
            "carry_h": (batch, h),
        }

    def _forward_steps(self, xs, states0, m):
        ws, h = self._ws, self.units
        u = self.params["recurrent_kernel"]
        u_zr, u_h = u[:, : 2 * h], u[:, 2 * h :]
        gates, hs, rec, tmp = ws["gates"], ws["h"], ws["rec"], ws["tmp"]
        bias = self._bias()
        b_in = bias[0] if self.reset_after else bias
        hs[0] = states0[0]
        xw = _project_all_steps(xs, self.params["kernel"], b_in, ws["xw"])
        sig, act = self.recurrent_activation, self.activation
        skip = self._skip_tm
        for t in range(xs.shape[0]):
            zr, hh = gates[t, :, : 2 * h], gates[t, :, 2 * h :]
            r = gates[t, :, h : 2 * h]
            if self.reset_after:
                np.matmul(hs[t], u, out=rec[t])
                rec[t] += bias[1]
                np.add(xw[t, :, : 2 * h], rec[t, :, : 2 * h], out=zr)
                sig.forward(zr, out=zr)
                np.multiply(r, rec[t, :, 2 * h :], out=hh)
            else:
                np.matmul(hs[t], u_zr, out=tmp[:, : 2 * h])
                np.add(xw[t, :, : 2 * h], tmp[:, : 2 * h], out=zr)
                sig.forward(zr, out=zr)
                rh = rec[t, :, :h]
                np.multiply(r, hs[t], out=rh)
                np.matmul(rh, u_h, out=hh)
            hh += xw[t, :, 2 * h :]
            act.forward(hh, out=hh)
            # h_t = hh + z * (h_{t-1} - hh)
            diff = np.subtract(hs[t], hh, out=tmp[:, :h])
            diff *= gates[t, :, :h]
            np.add(hh, diff, out=hs[t + 1])
            if skip is not None:
                _carry_masked(hs[t + 1], hs[t], skip[t])

    def _backward_steps(self, d_seq, d_last, m):
        ws, h = self._ws, self.units
        steps = self._xs.shape[0]
        gates, hs, rec = ws["gates"], ws["h"], ws["rec"]
        z, r, hh = (gates[..., k * h : (k + 1) * h] for k in range(3))
        hs_prev = hs[:-1]
        gg = ws["gate_grad"]
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
        skip = self._skip_tm
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
                np.multiply(dz[t, :, 2 * h :], rec[t, :, 2 * h :], out=dz[t, :, h : 2 * h])
                dz[t, :, h : 2 * h] *= gg[t, :, h : 2 * h]
                drec[t, :, : 2 * h] = dz[t, :, : 2 * h]
                np.multiply(dz[t, :, 2 * h :], r[t], out=drec[t, :, 2 * h :])
                dh_next += np.matmul(drec[t], ut, out=tmp_h)
            else:
                # hh = act(xW_h + (r*h_{t-1}) U_h + b_h): d(r*h) = dz_h U_h^T
                drh = np.matmul(dz[t, :, 2 * h :], u_h_t, out=ws["drh"])
                np.multiply(drh, hs_prev[t], out=dz[t, :, h : 2 * h])
                dz[t, :, h : 2 * h] *= gg[t, :, h : 2 * h]
                drh *= r[t]
                dh_next += drh
                dh_next += np.matmul(dz[t, :, : 2 * h], u_zr_t, out=tmp_h)
            if m is not None:
                dh_next += carry
        if self.reset_after:
            drec2 = drec.reshape(-1, 3 * h)
            self.grads["recurrent_kernel"] = hs_prev.reshape(-1, h).T @ drec2
            dxs = self._input_side_grads(dz)
            if self.use_bias:
                self.grads["bias"] = np.stack([self.grads["bias"], drec2.sum(axis=0)])
        else:
            dz2 = dz.reshape(-1, 3 * h)
            du = np.empty_like(u)
            du[:, : 2 * h] = hs_prev.reshape(-1, h).T @ dz2[:, : 2 * h]
            du[:, 2 * h :] = rec[..., :h].reshape(-1, h).T @ dz2[:, 2 * h :]
            self.grads["recurrent_kernel"] = du
            dxs = self._input_side_grads(dz)
        self.grads = {k: self.grads[k] for k in self.params}
        return dxs, [dh_next.copy()]

    def _named_steps(self):
        ws, h = self._ws, self.units
        for k, name in enumerate(("z", "r", "hh")):
            yield name, ws["gates"][..., k * h : (k + 1) * h]
        yield "h", ws["h"][1:]
        if "kernel" in self.grads:
            yield "dh", ws["dh"]

    def get_config(self):
        return {**super().get_config(), "reset_after": self.reset_after}
