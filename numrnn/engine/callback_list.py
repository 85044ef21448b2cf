"""``CallbackList``: calls one hook on every callback, in order (Keras 2.1's ``CallbackList``)."""

from __future__ import annotations

from ..callbacks import Callback


def as_callback_list(callbacks, argument: str = "callbacks") -> list[Callback]:
    """``callbacks`` as a list of Callback objects, or a TypeError saying what was given."""
    if callbacks is None:
        return []
    if isinstance(callbacks, Callback):
        raise TypeError(f"{argument}: given one {type(callbacks).__name__}, accepted: a list of "
                        f"callbacks; write {argument}=[{type(callbacks).__name__}(...)]")
    if not isinstance(callbacks, (list, tuple)):
        raise TypeError(f"{argument} has type {type(callbacks).__name__}; accepted: a list of "
                        "numrnn.callbacks.Callback objects")
    for cb in callbacks:
        if not isinstance(cb, Callback):
            raise TypeError(f"{argument}: {cb!r} is not a numrnn Callback")
    return list(callbacks)


class CallbackList:
    """Dispatches every Keras 2.1 hook: ``on_train_begin/end``, ``on_epoch_begin/end``,
    ``on_batch_begin/end``, each to all callbacks in the order given."""

    def __init__(self, callbacks: list[Callback] | None = None):
        self.callbacks = list(callbacks or [])

    def __iter__(self):
        return iter(self.callbacks)

    def set_model(self, model) -> None:
        for cb in self.callbacks:
            cb.set_model(model)

    def set_params(self, params: dict) -> None:
        for cb in self.callbacks:
            cb.set_params(params)

    def on_train_begin(self, logs: dict | None = None) -> None:
        for cb in self.callbacks:
            cb.on_train_begin(logs or {})

    def on_train_end(self, logs: dict | None = None) -> None:
        for cb in self.callbacks:
            cb.on_train_end(logs or {})

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None:
        for cb in self.callbacks:
            cb.on_epoch_begin(epoch, logs or {})

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
        for cb in self.callbacks:
            cb.on_epoch_end(epoch, logs or {})

    def on_batch_begin(self, batch: int, logs: dict | None = None) -> None:
        for cb in self.callbacks:
            cb.on_batch_begin(batch, logs or {})

    def on_batch_end(self, batch: int, logs: dict | None = None) -> None:
        for cb in self.callbacks:
            cb.on_batch_end(batch, logs or {})
