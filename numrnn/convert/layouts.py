"""Weight layouts of Keras, PyTorch and ONNX, and the conversions between them.

numrnn stores every weight in Keras' layout. The other frameworks differ in three ways
(see docs/convert.md for the table):

* **orientation**: Keras kernels are (inputs, outputs), PyTorch and ONNX store the
  transpose (outputs, inputs);
* **gate order** of the fused recurrent weights (blocks of ``units`` columns):

  ========  ==============  ===================  ==============
  layer     Keras / numrnn  PyTorch              ONNX
  ========  ==============  ===================  ==============
  LSTM      i, f, c, o      i, f, g, o (same)    i, o, f, c
  GRU       z, r, h         r, z, n              z, r, h (same)
  ========  ==============  ===================  ==============

* **biases**: Keras' LSTM and SimpleRNN have one bias b; PyTorch and ONNX add an
  input bias and a recurrent bias, so b = b_ih + b_hh. Keras' GRU with
  ``reset_after=True`` keeps both, as a (2, 3H) array (row 0 input, row 1 recurrent).

Everything here is plain NumPy on arrays; the frameworks are never imported.
"""

from __future__ import annotations

import re

import numpy as np

# Block permutations: ``blocks(w, PERM)`` reorders the gate blocks of ``w``'s last axis.
# Keras order -> other order, given as the Keras block index of each target block.
LSTM_KERAS_TO_TORCH = (0, 1, 2, 3)   # i f c o -> i f g o
LSTM_KERAS_TO_ONNX = (0, 3, 1, 2)    # i f c o -> i o f c
GRU_KERAS_TO_TORCH = (1, 0, 2)       # z r h  -> r z n
GRU_KERAS_TO_ONNX = (0, 1, 2)        # z r h  -> z r h


def reorder_blocks(w: np.ndarray, order: tuple[int, ...]) -> np.ndarray:
    """The gate blocks of ``w``'s last axis, taken in ``order`` (a copy)."""
    n = len(order)
    if w.shape[-1] % n:
        raise ValueError(f"last axis of shape {w.shape} does not split into {n} gate blocks")
    parts = np.split(w, n, axis=-1)
    return np.ascontiguousarray(np.concatenate([parts[k] for k in order], axis=-1))


def inverse(order: tuple[int, ...]) -> tuple[int, ...]:
    """The permutation that undoes ``order``."""
    inv = [0] * len(order)
    for target, source in enumerate(order):
        inv[source] = target
    return tuple(inv)


def keras_to_torch(kernel: np.ndarray, order: tuple[int, ...]) -> np.ndarray:
    """Keras (in, G*H) with Keras gate order -> PyTorch/ONNX (G*H, in) in ``order``."""
    return np.ascontiguousarray(reorder_blocks(kernel, order).T)


def torch_to_keras(weight: np.ndarray, order: tuple[int, ...]) -> np.ndarray:
    """PyTorch/ONNX (G*H, in) in ``order`` -> Keras (in, G*H) in Keras gate order."""
    return reorder_blocks(np.ascontiguousarray(weight.T), inverse(order))


# ---- activations whose meaning depends on the Keras version ------------------------------
#: numrnn's name for Keras 3's hard_sigmoid, clip(x/6 + 0.5, 0, 1) (`numrnn.activations`);
#: the name 'hard_sigmoid' keeps meaning Keras 2's clip(0.2x + 0.5, 0, 1).
KERAS3_HARD_SIGMOID = "hard_sigmoid_keras3"


def keras_major(version: str | None, source: str) -> int:
    """The major version (2 or 3) of the Keras that wrote a file, or a ValueError."""
    if not version:
        raise ValueError(f"{source}: the file does not say which Keras version wrote it "
                         "(no keras_version); accepted: files written by Keras 2.x or 3.x")
    try:
        major = int(str(version).split(".")[0])
    except ValueError:
        major = -1
    if major not in (2, 3):
        raise ValueError(f"{source} was written by Keras {version}; numrnn reads files of "
                         "Keras 2.x (including tf.keras 2.x) and Keras 3.x")
    return major


def activation_from_keras(name: object, major: int, where: str) -> str:
    """numrnn's activation name for Keras activation ``name`` in a file of Keras ``major``.

    Keras 2 (2.0-2.15, tf.keras 2.x): hard_sigmoid = clip(0.2x + 0.5, 0, 1), numrnn's
    'hard_sigmoid'. Keras 3: hard_sigmoid = clip(x/6 + 0.5, 0, 1), another function.
    """
    if name is None:
        return "linear"
    if not isinstance(name, str):
        raise ValueError(f"{where}: activation {name!r} is not a built-in Keras activation; "
                         "numrnn reads activations given by name")
    if name == "hard_sigmoid" and major >= 3:
        return KERAS3_HARD_SIGMOID
    if name == KERAS3_HARD_SIGMOID:  # numrnn's own name never appears in a Keras file
        raise ValueError(f"{where}: activation {name!r} is not a Keras activation")
    return name


def activation_to_keras3(name: str, where: str) -> str:
    """Keras 3's name for numrnn activation ``name``, or a ValueError if Keras 3 has none.

    numrnn's 'hard_sigmoid_keras3' is Keras 3's 'hard_sigmoid'. numrnn's 'hard_sigmoid'
    (Keras 2's clip(0.2x + 0.5, 0, 1)) has no Keras 3 built-in and is refused: writing it
    as Keras 3's hard_sigmoid would compute another function, and rescaling the weights
    (hs3(1.2 z) = hs2(z)) would make the file's weights disagree with the model's, so a
    later ``load_weights`` of numrnn's weights would silently change the predictions.
    """
    if name == "hard_sigmoid":
        raise ValueError(
            f"{where}: numrnn's 'hard_sigmoid' is Keras 2's clip(0.2x + 0.5, 0, 1) and Keras 3 "
            "has no built-in for it (Keras 3's 'hard_sigmoid' is clip(x/6 + 0.5, 0, 1)), so a "
            "Keras 3 file cannot express this model; use 'sigmoid' or 'hard_sigmoid_keras3' "
            "in numrnn, or save_keras_weights (weights alone) into a Keras model you build")
    if name == KERAS3_HARD_SIGMOID:
        return "hard_sigmoid"
    return name


# ---- names that depend on the architecture only -----------------------------------------
def snake_case(class_name: str) -> str:
    """``SimpleRNN`` -> ``simple_rnn``, ``SpatialDropout1D`` -> ``spatial_dropout1d``, as
    Keras names things."""
    s = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", class_name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", s).lower()


def numbered_names(class_names: list[str]) -> list[str]:
    """Names from the layer classes alone, numbered per class in order: ``lstm``,
    ``flatten``, ``lstm_1``, ... Keras 3 addresses a Sequential's layers so in its weight
    files, and numrnn names the PyTorch submodules so: whatever the layers' own names
    (``lstm_1`` in numrnn, ``lstm`` in Keras 3), models of one architecture agree."""
    counts: dict[str, int] = {}
    names = []
    for class_name in class_names:
        snake = snake_case(class_name)
        k = counts.get(snake, 0)
        counts[snake] = k + 1
        names.append(snake if k == 0 else f"{snake}_{k}")
    return names
