"""Move models between numrnn and Keras, PyTorch and ONNX.

* `from_keras`, `load_keras_weights`, `save_keras_weights`, `save_keras`: Keras files;
* `torch_state_dict`, `load_torch_state_dict`: PyTorch state dicts (torch is never
  imported: tensors are read through ``.numpy()`` / ``__array__``);
* `to_onnx`: an ONNX graph that ONNX Runtime runs.

The file formats need ``pip install 'numrnn[convert]'`` (h5py, onnx); each function
says so when they are missing. Layouts and gate orders: docs/convert.md.
"""

from .keras_io import from_keras, load_keras_weights, save_keras, save_keras_weights
from .onnx_io import to_onnx
from .torch_io import load_torch_state_dict, torch_state_dict

__all__ = ["from_keras", "load_keras_weights", "save_keras_weights", "save_keras",
           "torch_state_dict", "load_torch_state_dict", "to_onnx"]
