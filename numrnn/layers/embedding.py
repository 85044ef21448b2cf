"""Embedding: a lookup table of word vectors."""

from __future__ import annotations

import numpy as np

from .. import constraints, regularizers
from .. import initializers as inits
from ..sparse import RowSparseGrad
from .base import Layer, Shape


class Embedding(Layer):
    """Maps token ids to vectors: ``y[b, t] = E[x[b, t]]``.

    x: (B, T) integer ids in [0, input_dim) -> y: (B, T, output_dim).
    Weight: ``embeddings`` E (input_dim, output_dim), initialised U(-0.05, 0.05).
    Backward: dE[v] = sum of dy[b, t] over all (b, t) with x[b, t] == v. Only the
    rows of the batch's ids are non-zero, so the gradient is a `RowSparseGrad`.
    ``mask_zero=True``: id 0 is padding; the mask ``x != 0`` is passed to the next layer.
    ``embeddings_regularizer`` / ``embeddings_constraint`` / ``activity_regularizer``: see
    `numrnn.regularizers` and `numrnn.constraints` (a penalty's gradient is dense: it
    touches every row, so the optimizer then updates the whole table).
    """

    def __init__(
        self,
        input_dim: int,
        output_dim: int,
        embeddings_initializer="uniform",
        embeddings_regularizer=None,
        activity_regularizer=None,
        embeddings_constraint=None,
        mask_zero: bool = False,
        input_length: int | None = None,
        **kwargs,
    ):
        for arg, value in (("input_dim", input_dim), ("output_dim", output_dim)):
            if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value <= 0:
                raise ValueError(f"{arg}={value!r}; accepted: a positive int")
        if input_length is not None and (
            not isinstance(input_length, (int, np.integer)) or input_length <= 0
        ):
            raise ValueError(f"input_length={input_length!r}; accepted: a positive int or None")
        self.input_dim, self.output_dim = int(input_dim), int(output_dim)
        self.embeddings_initializer = inits.get(embeddings_initializer, "embeddings_initializer")
        self.embeddings_regularizer = regularizers.get(embeddings_regularizer,
                                                       "embeddings_regularizer")
        self.activity_regularizer = regularizers.get(activity_regularizer,
                                                     "activity_regularizer")
        self.embeddings_constraint = constraints.get(embeddings_constraint,
                                                     "embeddings_constraint")
        self.mask_zero = bool(mask_zero)
        self.input_length = None if input_length is None else int(input_length)
        if "input_shape" not in kwargs and "batch_input_shape" not in kwargs:
            kwargs["input_shape"] = (self.input_length,)
        super().__init__(**kwargs)
        self.supports_masking = self.mask_zero

    def build(self, input_shape: Shape) -> None:
        if len(input_shape) != 2:
            raise ValueError(f"{self.name}: input shape {input_shape}; accepted: (batch, length)")
        self.add_weight("embeddings", (self.input_dim, self.output_dim),
                        self.embeddings_initializer, regularizer=self.embeddings_regularizer,
                        constraint=self.embeddings_constraint)
        super().build(input_shape)

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        return (input_shape[0], input_shape[1], self.output_dim)

    def check_input(self, x, argument: str = "x") -> np.ndarray:
        """Data fed to the model: checked token ids (see `check_ids`)."""
        return self.check_ids(x)

    def check_ids(self, inputs) -> np.ndarray:
        """Return the ids as an int array, or raise naming what is wrong."""
        x = np.asarray(inputs)
        if x.dtype.kind == "f":
            if not np.isfinite(x).all() or not np.array_equal(x, np.floor(x)):
                raise TypeError(
                    f"{self.name} inputs: token ids must be integers; got non-integral or "
                    f"non-finite {x.dtype} values"
                )
            if x.size and (x.min() < 0 or x.max() >= self.input_dim):  # before the cast,
                bad = x.min() if x.min() < 0 else x.max()  # which would wrap 1e20 around
                raise ValueError(
                    f"{self.name} inputs: token id {bad:g} is out of range; accepted: "
                    f"0 <= id < input_dim={self.input_dim}"
                )
            x = x.astype(np.int64)
        elif x.dtype.kind not in "iu":
            raise TypeError(
                f"{self.name} inputs: dtype {x.dtype}; accepted: integer token ids"
            )
        if x.ndim != 2:
            raise ValueError(
                f"{self.name} inputs: shape {x.shape}; accepted: (batch, length) token ids"
            )
        if self.input_length is not None and x.shape[1] != self.input_length:
            raise ValueError(
                f"{self.name} inputs: length {x.shape[1]}, but input_length={self.input_length}"
            )
        if x.size:
            lo, hi = int(x.min()), int(x.max())
            if lo < 0 or hi >= self.input_dim:
                bad = lo if lo < 0 else hi
                raise ValueError(
                    f"{self.name} inputs: token id {bad} is out of range; accepted: "
                    f"0 <= id < input_dim={self.input_dim}"
                )
        return x

    def forward(self, inputs, mask=None, training=False):
        ids = self.check_ids(inputs)
        self.ids = ids
        return np.take(self.params["embeddings"], ids, axis=0)

    def backward(self, dout):
        self.grads["embeddings"] = RowSparseGrad.from_ids(self.ids, dout, self.input_dim)
        return None  # ids have no gradient

    def compute_mask(self, inputs, mask):
        if not self.mask_zero:
            return None
        return np.asarray(inputs) != 0

    def get_config(self):
        config = super().get_config()
        config.pop("batch_input_shape", None)
        return {
            **config,
            "input_dim": self.input_dim,
            "output_dim": self.output_dim,
            "embeddings_initializer": inits.serialize(self.embeddings_initializer),
            "embeddings_regularizer": regularizers.serialize(self.embeddings_regularizer),
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),
            "embeddings_constraint": constraints.serialize(self.embeddings_constraint),
            "mask_zero": self.mask_zero,
            "input_length": self.input_length,
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["embeddings_initializer"] = inits.deserialize(config["embeddings_initializer"])
        return cls(**config)
