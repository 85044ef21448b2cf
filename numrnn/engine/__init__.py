"""The engine behind ``numrnn.models``, one job per module:

* `network`: symbolic tensors, graph nodes, running a graph forward and backward;
* `training`: ``Model`` (compile, fit, evaluate, predict, losses with masks and weights);
* `training_arrays`: the fit / test / predict loops over arrays;
* `sequential`: ``Sequential``, the linear special case;
* `data`: checking inputs, targets and sample weights; the validation split;
* `callback_list`: ``CallbackList``;
* `saving`: files (models, weights), configs and JSON;
* `summary`: the ``summary()`` table.
"""

from .callback_list import CallbackList
from .network import Network, Node, SymbolicTensor
from .sequential import Sequential
from .training import Model, NotCompiledError

__all__ = ["CallbackList", "Model", "Network", "Node", "NotCompiledError", "Sequential",
           "SymbolicTensor"]
