"""examples/look_inside_keras_model.py runs (quick mode) and shows what it claims."""

import importlib.util
from pathlib import Path

import numpy as np
import pytest

pytestmark = [pytest.mark.convert, pytest.mark.data]
pytest.importorskip("h5py", reason="numrnn[convert] (h5py) is not installed")

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "look_inside_keras_model.py"


def _main():
    spec = importlib.util.spec_from_file_location("look_inside_keras_model", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.main


def _check(result):
    assert len(result["words"]) == 20
    for gate in ("i", "f", "o"):
        assert np.all((result["steps"][gate] > 0) & (result["steps"][gate] < 1))
    # lstm1's output is h = o * sigmoid(c), the predicted probability at the last step
    h = result["steps"]["o"] * (1 / (1 + np.exp(-result["steps"]["c"])))
    np.testing.assert_allclose(h, result["steps"]["h"], rtol=1e-5)
    assert abs(result["steps"]["h"][-1] - result["probability"]) < 1e-6
    assert result["gradcheck_error"] < 1e-6


def test_without_keras(imdb_dir, capsys):
    result = _main()(["--data", str(imdb_dir), "--quick", "--no-keras", "--plot"])
    assert result["source"] == "numrnn" and result["max_abs_diff"] == 0.0
    _check(result)
    assert "h = o * sigmoid(c)" in capsys.readouterr().out
    assert (EXAMPLE.parent / "output" / "look_inside_keras_model.png").is_file()


@pytest.mark.skipif(importlib.util.find_spec("keras") is None,
                    reason="numrnn[convert-test] (keras) is not installed")
def test_with_keras(imdb_dir):
    result = _main()(["--data", str(imdb_dir), "--quick"])
    assert result["source"] == "keras" and result["max_abs_diff"] < 1e-5
    _check(result)
