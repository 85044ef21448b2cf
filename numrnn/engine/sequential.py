"""``Sequential``: a linear stack of layers, the special case of `Model` with one chain.

It keeps Keras 2.1's behaviour: ``add`` builds each layer as soon as the input shape is
known, so ``summary()`` works before any data is seen when the first layer declares its
input (``Embedding(..., input_length=20)`` or ``input_shape=(20, 8)``); otherwise the model
is built from the first data given to ``fit``/``predict`` (or by ``build(input_shape)``).
``model.layers`` does not list the Input layer, as in Keras 2.1.
"""

from __future__ import annotations

import numpy as np

from ..layers.base import Layer
from ..layers.input_layer import Input
from .training import Model


class Sequential(Model):
    """A linear stack of layers (``Sequential([layer, ...])`` or ``add`` one at a time)."""

    def __init__(self, layers: list[Layer] | None = None, name: str | None = None):
        super().__init__(name=name)
        self._stack: list[Layer] = []
        self._pending_layers = self._stack
        self._input_tensor = None
        self._tensors: list = []  # output tensor of every layer once built
        if layers is not None and not isinstance(layers, (list, tuple)):
            raise TypeError(f"layers has type {type(layers).__name__}; accepted: a list of "
                            "layers")
        for layer in layers or []:
            self.add(layer)

    # ---- structure ------------------------------------------------------------------
    @property
    def layers(self) -> list[Layer]:
        return list(self._stack)

    def add(self, layer: Layer) -> None:
        """Append a layer; it is checked (and built, when the input shape is known) before the
        model changes."""
        if not isinstance(layer, Layer):
            raise TypeError(f"layer has type {type(layer).__name__}; accepted: a numrnn Layer")
        if any(existing is layer for existing in self._stack):
            raise ValueError(f"layer {layer.name!r} is already in this model")
        if any(existing.name == layer.name for existing in self._stack):
            raise ValueError(f"All layer names should be unique: this model already has a layer "
                             f"named {layer.name!r}; give the new layer another name=")
        if self.built:
            self._extend_graph([layer], self._tensors[-1])
        elif not self._stack and (layer.batch_input_shape is not None or layer.built):
            shape = layer.batch_input_shape if layer.batch_input_shape is not None \
                else layer.input_shape
            self._build_chain([layer], shape)
            self._stack.append(layer)
            return
        self._stack.append(layer)

    def pop(self) -> None:
        """Remove the last layer (Keras' ``model.pop()``)."""
        if not self._stack:
            raise TypeError("pop: there are no layers in the model")
        self._stack.pop()
        if self.built:
            self._tensors.pop()
            if self._stack:
                self._set_graph(self._input_tensor, self._tensors[-1])
            else:
                self._graph_ready = False
                self._input_tensor, self._tensors = None, []
        if self._compiled and self.built:
            self._resolve_metrics()

    def build(self, input_shape: tuple | None = None) -> None:
        """Build every layer for inputs of ``input_shape`` (batch dimension included). All or
        nothing: if a layer cannot take the shape, no layer is left built by this call."""
        if not self._stack:
            raise ValueError("build: the model has no layers; add some first")
        if input_shape is None:
            first = self._stack[0]
            input_shape = first.batch_input_shape
            if input_shape is None:
                raise ValueError("build: input_shape=None and the first layer declares none; "
                                 "accepted: a shape such as (None, 20) (batch first)")
        if not isinstance(input_shape, (tuple, list)) or len(input_shape) < 2:
            raise ValueError(f"input_shape={input_shape!r}; accepted: a shape with the batch "
                             "dimension first, such as (None, 20) or (None, 20, 8)")
        if self.built:
            built = self._input_tensor.shape
            if len(built) != len(input_shape) or any(
                    b is not None and b != d for b, d in zip(built[1:], input_shape[1:])):
                raise ValueError(f"{self.name} was built for input {self._input_tensor.shape}, "
                                 f"but receives {tuple(input_shape)}")
            return
        self._build_chain(list(self._stack), input_shape)

    def _build_chain(self, layers: list[Layer], input_shape) -> None:
        # A batch size declared by the first layer (batch_input_shape, batch_size=) is kept,
        # as Keras does: stateful layers need it.
        shape = tuple(input_shape)
        first = layers[0]
        dtype = first.dtype if first.dtype.kind == "f" else None
        tensor = Input(batch_shape=shape, dtype=dtype.name if dtype is not None else None,
                       name=f"{first.name}_input")
        self._extend_graph(layers, tensor, start=tensor)

    def _extend_graph(self, layers: list[Layer], tensor, start=None) -> None:
        """Call ``layers`` one after the other on ``tensor``; undo everything if one fails."""
        was_built = [layer.built for layer in layers]
        n_nodes = [len(layer._inbound_nodes) for layer in layers]
        tensors = []
        try:
            for layer in layers:
                tensor = layer(tensor)
                if isinstance(tensor, list):
                    raise ValueError(
                        f"{layer.name}: return_state=True gives several outputs; a Sequential "
                        "passes one array on, so use the functional API (numrnn.models.Model, "
                        "see examples/seq2seq.py)")
                tensors.append(tensor)
        except BaseException:
            for layer, built, count in zip(layers, was_built, n_nodes):
                del layer._inbound_nodes[count:]
                if not built and layer.built:
                    layer.unbuild()
            raise
        if start is not None:
            self._input_tensor = start
        self._tensors.extend(tensors)
        self._set_graph(self._input_tensor, self._tensors[-1])
        if self._compiled:
            self._resolve_metrics()

    def _ensure_built_for(self, x) -> None:
        if not self.built:
            if x is None:
                raise ValueError("x=None; accepted: an array of inputs")
            shape = np.shape(x)
            self.build((None, *shape[1:]))
        super()._ensure_built_for(x)

    def _require_layers(self, what: str) -> None:
        if not self._stack:
            raise ValueError(f"{what}: the model has no layers; add some first")

    def _compile_output_names(self) -> list[str]:
        return [self._stack[-1].name]

    def _output_shapes(self) -> list[tuple]:
        if not self.built:
            return [(None, None)]
        return super()._output_shapes()

    @property
    def input_shape(self):
        self._require_built("input_shape")
        return self._input_tensor.shape

    @property
    def inputs(self):
        return self.__dict__.get("inputs", [])

    @inputs.setter
    def inputs(self, value):
        self.__dict__["inputs"] = value

    @property
    def outputs(self):
        return self.__dict__.get("outputs", [])

    @outputs.setter
    def outputs(self, value):
        self.__dict__["outputs"] = value

    @property
    def output_names(self) -> list[str]:
        return [self._stack[-1].name] if self._stack else []

    def _forward(self, x: np.ndarray, training: bool = False):
        """The chain's forward pass on one checked batch: (output, output mask)."""
        outs, masks = self._forward_graph([x], training=training)
        return outs[0], masks[0]

    # ---- Keras 2.1 Sequential extras -------------------------------------------------
    def predict_classes(self, x, batch_size: int | None = None, verbose: int = 0) -> np.ndarray:
        """Class labels: ``p > 0.5`` for one output unit, else the argmax."""
        proba = self.predict(x, batch_size, verbose)
        if proba.shape[-1] > 1:
            return proba.argmax(axis=-1)
        return (proba > 0.5).astype("int32")

    def predict_proba(self, x, batch_size: int | None = None, verbose: int = 0) -> np.ndarray:
        """``predict`` (Keras 2.1 kept it for class probabilities)."""
        return self.predict(x, batch_size, verbose)
