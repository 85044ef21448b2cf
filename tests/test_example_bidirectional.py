"""examples/imdb_bidirectional.py --quick runs and prints its val_acc beside the four models."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "imdb_bidirectional.py"


@pytest.mark.data
def test_imdb_bidirectional_quick():
    result = subprocess.run([sys.executable, str(EXAMPLE), "--quick"], capture_output=True,
                            text=True, env=dict(os.environ), timeout=600, check=False)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "bidirectional_1 (Bidirection (None, 64)                10496" in out  # Keras cuts at 29
    table = out[out.index("best val_acc"):].splitlines()[1:]
    names = [line.split()[0] for line in table]
    assert names == ["bilstm32", "ff", "lstm1", "lstm32", "lstm4"]
    val_acc = float(table[0].split()[1])
    epoch_lines = re.findall(r"val_acc: (\d\.\d{4})", out)
    assert len(epoch_lines) in (1, 2)                   # 2 epochs, or 1 if early stopping
    assert val_acc == max(float(v) for v in epoch_lines)
    assert 0.55 < val_acc < 0.95                         # it learnt something on 4000 reviews
    assert "0.7552" in table[3]                          # lstm32's median from docs/results.md
