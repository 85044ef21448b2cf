"""examples/stateful_char_rnn.py runs in its quick mode, and what it printed holds."""

import importlib.util
import re
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "stateful_char_rnn.py"


def test_stateful_char_rnn_quick(capsys):
    spec = importlib.util.spec_from_file_location("stateful_char_rnn", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    result = module.main(["--quick"])
    out = capsys.readouterr().out
    printed = [float(v) for v in re.findall(r"^epoch \d+/\d+: loss ([0-9.]+)", out, re.M)]
    assert len(printed) == 4 and printed == [round(v, 4) for v in result["losses"]]
    assert printed[-1] < printed[0] - 0.2                     # it learns across the chunks
    diff = float(re.search(r"max \|difference\| (\S+)", out).group(1))
    assert diff < 1e-5                                       # chunks + carried states = whole
    sample = re.search(r"^sample: (.*)$", out, re.M).group(1)
    assert len(sample) == 60 and sample == result["sample"].replace("\n", " ")
    assert f"{result['chunks']} chunks of 32 characters" in out
