"""Optional dependencies of numrnn.convert, imported only when a function needs them."""

from __future__ import annotations

import importlib
from types import ModuleType


def require(module: str, purpose: str) -> ModuleType:
    """Import ``module`` or raise ImportError saying which extra brings it."""
    try:
        return importlib.import_module(module)
    except ImportError as err:
        raise ImportError(
            f"{purpose} needs the '{module}' package: pip install 'numrnn[convert]'"
        ) from err
