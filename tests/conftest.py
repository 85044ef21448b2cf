import os
from pathlib import Path

import numpy as np
import pytest

import numrnn

# Tests read the IMDB files from $NUMRNN_DATA; next to a checkout that is ../shared/data.
_SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
if "NUMRNN_DATA" not in os.environ and (_SHARED / "imdb.npz").is_file():
    os.environ["NUMRNN_DATA"] = str(_SHARED)


@pytest.fixture(autouse=True)
def _fresh_session():
    """Every test starts with float32, fresh layer names and a fixed seed."""
    numrnn.backend.set_floatx("float32")
    numrnn.clear_session()
    numrnn.set_seed(1234)
    yield
    numrnn.backend.set_floatx("float32")


@pytest.fixture
def float64():
    numrnn.backend.set_floatx("float64")
    yield
    numrnn.backend.set_floatx("float32")


@pytest.fixture
def imdb_dir() -> Path:
    env = os.environ.get("NUMRNN_DATA")
    if not env or not (Path(env) / "imdb.npz").is_file():
        pytest.fail("data tests need NUMRNN_DATA=/folder/with/imdb.npz "
                    "(deselect them with -m 'not data')")
    return Path(env)


@pytest.fixture
def rng():
    return np.random.default_rng(0)
