"""One time step of SimpleRNN, LSTM and GRU, forward and backward, written to be read.

These are the plain versions of what ``numrnn.layers.SimpleRNN``, ``LSTM`` and ``GRU``
compute (tests prove them equal to 1e-12 in float64). Read them beside the equations;
the layers do the same arithmetic, only reorganised for speed.

Conventions (the same as the layers and Keras):

- row vectors: a batch is ``x_t`` (B, D), ``h_prev`` (B, H); a step is ``x_t W + h_prev U + b``;
- weights in Keras' layout: ``W`` (D, G*H), ``U`` (H, G*H), ``b`` (G*H,), column blocks
  ``[i | f | c | o]`` for the LSTM (G = 4), ``[z | r | h]`` for the GRU (G = 3), one block
  for SimpleRNN (G = 1);
- gate activation sigmoid, state activation tanh;
- ``d<name>`` is dL/d<name>: ``dh_t`` is dL/dh_t, ``di`` is dL/di_t (the gate's *output*),
  ``dz_i`` is dL/dz_i (its pre-activation);
- derivatives are written through the function's output y:  sigmoid' = y (1 - y),
  tanh' = 1 - y^2.

A loop over time is a loop over a step function; backpropagation through time is the same
loop backwards, adding up the weight gradients (see ``tests/test_cells.py`` for both)::

    h, caches = h0, []
    for t in range(T):
        h, cache = rnn_step(x[:, t], h, W, U, b)
        caches.append(cache)
    dh, dW, dU, db = dL_dh_T, 0, 0, 0
    for cache in reversed(caches):
        dx_t, dh, dW_t, dU_t, db_t = rnn_step_backward(dh, cache)
        dW, dU, db = dW + dW_t, dU + dU_t, db + db_t
"""

from __future__ import annotations

import numpy as np

__all__ = ["sigmoid", "rnn_step", "rnn_step_backward", "lstm_step", "lstm_step_backward",
           "gru_step", "gru_step_backward"]


def sigmoid(z: np.ndarray) -> np.ndarray:
    """1 / (1 + exp(-z)), computed as (1 + tanh(z/2)) / 2: the same value, never overflows."""
    return 0.5 * (1.0 + np.tanh(0.5 * z))


def _check(name: str, array: np.ndarray, shape: tuple[int, ...]) -> None:
    if np.shape(array) != shape:
        raise ValueError(f"{name}: shape {np.shape(array)}; accepted: {shape}")


def _check_step(x_t, h_prev, W, U, b, gates: int, b_shape=None) -> None:
    (batch, d), h = np.shape(x_t), np.shape(h_prev)[-1]
    _check("h_prev", h_prev, (batch, h))
    _check("W", W, (d, gates * h))
    _check("U", U, (h, gates * h))
    _check("b", b, b_shape or (gates * h,))


# ---- SimpleRNN ---------------------------------------------------------------------------

def rnn_step(x_t, h_prev, W, U, b):
    """h_t = tanh(x_t W + h_prev U + b).  Shapes: x_t (B, D), h_prev (B, H) -> h_t (B, H)."""
    _check_step(x_t, h_prev, W, U, b, gates=1)
    h_t = np.tanh(x_t @ W + h_prev @ U + b)
    return h_t, (x_t, h_prev, h_t, W, U)


def rnn_step_backward(dh_t, cache):
    """From dL/dh_t to the inputs and weights of the step:

        dz   = dh_t * (1 - h_t^2)          tanh' written through h_t
        dx_t = dz W^T,   dh_prev = dz U^T
        dW = x_t^T dz,   dU = h_prev^T dz,   db = sum over the batch of dz
    """
    x_t, h_prev, h_t, W, U = cache
    dz = dh_t * (1 - h_t**2)
    return dz @ W.T, dz @ U.T, x_t.T @ dz, h_prev.T @ dz, dz.sum(axis=0)


# ---- LSTM --------------------------------------------------------------------------------

def lstm_step(x_t, h_prev, c_prev, W, U, b):
    """One LSTM step (Keras' gate order i, f, c, o; the chapter's C~_t is g_t here).

        z = x_t W + h_prev U + b,  split into four blocks z_i, z_f, z_g, z_o
        i_t = sigmoid(z_i)      input gate
        f_t = sigmoid(z_f)      forget gate
        g_t = tanh(z_g)         candidate content (the chapter's C~_t)
        o_t = sigmoid(z_o)      output gate
        c_t = f_t * c_prev + i_t * g_t
        h_t = o_t * tanh(c_t)

    Shapes: x_t (B, D), h_prev and c_prev (B, H), W (D, 4H), U (H, 4H), b (4H,).
    """
    _check_step(x_t, h_prev, W, U, b, gates=4)
    _check("c_prev", c_prev, np.shape(h_prev))
    z_i, z_f, z_g, z_o = np.split(x_t @ W + h_prev @ U + b, 4, axis=1)
    i, f, g, o = sigmoid(z_i), sigmoid(z_f), np.tanh(z_g), sigmoid(z_o)
    c_t = f * c_prev + i * g
    h_t = o * np.tanh(c_t)
    return h_t, c_t, (x_t, h_prev, c_prev, i, f, g, o, c_t, W, U)


def lstm_step_backward(dh_t, dc_t, cache):
    """From dL/dh_t and dL/dc_t (what later steps sent along the cell) back through one step.

        dc      = dc_t + dh_t * o_t * (1 - tanh(c_t)^2)    the cell gets h_t's share too
        do      = dh_t * tanh(c_t)          di = dc * g_t
        df      = dc * c_prev               dg = dc * i_t
        dc_prev = dc * f_t                  the conveyor belt: only the forget gate
        dz      = [di * i(1-i) | df * f(1-f) | dg * (1-g^2) | do * o(1-o)]
        dx_t = dz W^T,  dh_prev = dz U^T,  dW = x_t^T dz,  dU = h_prev^T dz,  db = sum dz
    """
    x_t, h_prev, c_prev, i, f, g, o, c_t, W, U = cache
    tanh_c = np.tanh(c_t)
    dc = dc_t + dh_t * o * (1 - tanh_c**2)
    do = dh_t * tanh_c
    di = dc * g
    df = dc * c_prev
    dg = dc * i
    dc_prev = dc * f
    dz = np.concatenate([di * i * (1 - i), df * f * (1 - f), dg * (1 - g**2),
                         do * o * (1 - o)], axis=1)
    return dz @ W.T, dz @ U.T, dc_prev, x_t.T @ dz, h_prev.T @ dz, dz.sum(axis=0)


# ---- GRU ---------------------------------------------------------------------------------

def gru_step(x_t, h_prev, W, U, b, reset_after: bool = True):
    """One GRU step (Keras' block order z, r, h; numrnn's and Keras' default reset_after=True).

    reset_after=True (b has shape (2, 3H): row 0 input bias, row 1 recurrent bias; PyTorch's form)
        a = x_t W + b[0],   s = h_prev U + b[1]        both split into blocks _z, _r, _h
        z_t  = sigmoid(a_z + s_z)        update gate
        r_t  = sigmoid(a_r + s_r)        reset gate
        hh_t = tanh(a_h + r_t * s_h)     candidate: the reset gate scales h_prev U_h + b'_h
    reset_after=False (b has shape (3H,); Keras 2.1's only form)
        z_t, r_t as above with a = x_t W + b, s = h_prev U
        hh_t = tanh(a_h + (r_t * h_prev) U_h)
    both:
        h_t = z_t * h_prev + (1 - z_t) * hh_t
    """
    H = np.shape(h_prev)[-1]
    _check_step(x_t, h_prev, W, U, b, gates=3, b_shape=(2, 3 * H) if reset_after else (3 * H,))
    a_z, a_r, a_h = np.split(x_t @ W + (b[0] if reset_after else b), 3, axis=1)
    if reset_after:
        s_z, s_r, s_h = np.split(h_prev @ U + b[1], 3, axis=1)
    else:
        s_z, s_r = np.split(h_prev @ U[:, : 2 * H], 2, axis=1)
    z, r = sigmoid(a_z + s_z), sigmoid(a_r + s_r)
    if reset_after:
        hh = np.tanh(a_h + r * s_h)
    else:
        s_h = None  # not needed: r_t acts before U_h
        hh = np.tanh(a_h + (r * h_prev) @ U[:, 2 * H :])
    h_t = z * h_prev + (1 - z) * hh
    return h_t, (x_t, h_prev, z, r, hh, s_h, W, U, reset_after)


def gru_step_backward(dh_t, cache):
    """From dL/dh_t back through one GRU step.

        dz = dh_t * (h_prev - hh_t)     dhh = dh_t * (1 - z_t)     dh_prev = dh_t * z_t + ...
        dz_h = dhh * (1 - hh^2)         dz_z = dz * z(1-z)
        reset_after=True:   dr = dz_h * s_h;   the recurrent side gets [dz_z | dz_r | dz_h * r]
        reset_after=False:  d(r*h_prev) = dz_h U_h^T;   dr = d(r*h_prev) * h_prev
        dz_r = dr * r(1-r)
    Returns dx_t, dh_prev, dW, dU, db (db has b's shape).
    """
    x_t, h_prev, z, r, hh, s_h, W, U, reset_after = cache
    dz = dh_t * (h_prev - hh)
    dhh = dh_t * (1 - z)
    dh_prev = dh_t * z
    dz_h = dhh * (1 - hh**2)
    dz_z = dz * z * (1 - z)
    if reset_after:
        dr = dz_h * s_h
        dz_r = dr * r * (1 - r)
        d_input = np.concatenate([dz_z, dz_r, dz_h], axis=1)            # dL/d(x_t W + b[0])
        d_recurrent = np.concatenate([dz_z, dz_r, dz_h * r], axis=1)   # dL/d(h_prev U + b[1])
        dh_prev = dh_prev + d_recurrent @ U.T
        dU = h_prev.T @ d_recurrent
        db = np.stack([d_input.sum(axis=0), d_recurrent.sum(axis=0)])
    else:
        H = z.shape[1]
        d_rh = dz_h @ U[:, 2 * H :].T                                   # dL/d(r_t * h_prev)
        dz_r = d_rh * h_prev * r * (1 - r)
        d_input = np.concatenate([dz_z, dz_r, dz_h], axis=1)            # dL/d(x_t W + b)
        dh_prev = dh_prev + d_rh * r + d_input[:, : 2 * H] @ U[:, : 2 * H].T
        dU = np.concatenate([h_prev.T @ d_input[:, : 2 * H], (r * h_prev).T @ dz_h], axis=1)
        db = d_input.sum(axis=0)
    return d_input @ W.T, dh_prev, x_t.T @ d_input, dU, db
