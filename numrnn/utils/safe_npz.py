"""Read ``.npz`` files whose object arrays hold only lists of numbers, without running code.

Keras' ``imdb.npz`` stores its ragged reviews as NumPy object arrays: each is a pickle of an
``ndarray`` of Python lists of ints. ``np.load(..., allow_pickle=True)`` would unpickle
*anything*, and a pickle can call any importable function while it loads. Here the pickle is
read by an unpickler that resolves only the three names such a file needs (NumPy's array
reconstruction, ``ndarray`` and ``dtype``); lists, ints, tuples and strings are pickle opcodes
and need no name. Any other name is refused *before* it is imported or called.
"""

from __future__ import annotations

import io
import os
import pickle
import zipfile
import zlib

import numpy as np

_RECONSTRUCT = np.ndarray.__reduce__(np.zeros(0, dtype=object))[0]  # NumPy's _reconstruct

# (module, name) -> the object it may resolve to; both NumPy 1 and NumPy 2 module names.
_ALLOWED = {
    ("numpy.core.multiarray", "_reconstruct"): _RECONSTRUCT,
    ("numpy._core.multiarray", "_reconstruct"): _RECONSTRUCT,
    ("numpy", "ndarray"): np.ndarray,
    ("numpy", "dtype"): np.dtype,
}


class UnsafeFileError(ValueError):
    """A data file asked to run code (a pickle naming a function we do not allow)."""


class _ArrayOnlyUnpickler(pickle.Unpickler):
    def __init__(self, file, source: str):
        super().__init__(file)
        self._source = source

    def find_class(self, module: str, name: str):
        try:
            return _ALLOWED[(module, name)]
        except KeyError:
            raise UnsafeFileError(
                f"{self._source}: refused to load: its pickled data names {module}.{name}, "
                "which could run code; accepted: NumPy arrays of lists of numbers only"
            ) from None


def _read_member(data: bytes, source: str) -> np.ndarray:
    f = io.BytesIO(data)
    try:
        version = np.lib.format.read_magic(f)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(f)
        else:
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(f)
    except ValueError as err:
        raise ValueError(f"{source}: not a NumPy .npy array ({err})") from None
    if not dtype.hasobject:
        f.seek(0)
        return np.lib.format.read_array(f, allow_pickle=False)
    try:
        arr = _ArrayOnlyUnpickler(f, source).load()
    except UnsafeFileError:
        raise
    except Exception as err:  # a damaged pickle can fail in many ways
        raise ValueError(f"{source}: damaged object array ({type(err).__name__}: {err})") \
            from None
    if not isinstance(arr, np.ndarray) or arr.shape != tuple(shape):
        raise ValueError(f"{source}: the object array does not match its header {shape}")
    return arr


def load_npz(path: str | os.PathLike) -> dict[str, np.ndarray]:
    """All arrays of the ``.npz`` file at ``path``, by name (``x_train``, not ``x_train.npy``).

    Raises ValueError naming the file when it is not a zip of ``.npy`` arrays, and
    `UnsafeFileError` (a ValueError) when an object array would need a name other than
    NumPy's array reconstruction to load.
    """
    source = os.fspath(path)
    try:
        archive = zipfile.ZipFile(source)
    except zipfile.BadZipFile:
        raise ValueError(f"{source}: not an .npz file (not a zip archive); it may be "
                         "truncated, a web page saved under this name, or another format") \
            from None
    arrays = {}
    with archive:
        for member in archive.namelist():
            name = member[:-4] if member.endswith(".npy") else member
            try:
                data = archive.read(member)
            except (zipfile.BadZipFile, zlib.error, OSError, EOFError) as err:
                raise ValueError(f"{source}: damaged entry {member!r} ({err})") from None
            arrays[name] = _read_member(data, f"{source} [{member}]")
    return arrays
