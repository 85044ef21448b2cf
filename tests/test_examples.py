"""Every example runs in its quick mode, and what it claims is true."""

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def load(name: str):
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_step_through_lstm_numbers_match_finite_differences(capsys):
    result = load("step_through_lstm").main(["--plot"])
    assert result["lstm_error"] < 1e-6 and result["simple_rnn_error"] < 1e-6
    out = capsys.readouterr().out
    assert "f = sigmoid(z_f)" in out and "sent back: dL/dc_t * f_t" in out
    assert (EXAMPLES / "output" / "step_through_lstm.png").is_file()


def test_vanishing_gradient_claims():
    result = load("vanishing_gradient").main(["--quick", "--no-plot"])
    assert result["ratio_open_at_20"] > 100          # orders of magnitude at distance 20
    products = result["products"]
    assert products["linear, w=0.9"][19] < 0.2 < 5 < products["linear, w=1.1"][19]
    assert products["sigmoid, w=0.5"][19] < 1e-15
    clipped = [r for r in result["runs"] if r["clipnorm"]]
    unclipped = [r for r in result["runs"] if not r["clipnorm"]]
    assert any(r["blew_up"] for r in unclipped)
    assert not any(r["blew_up"] for r in clipped)
    assert all(r["losses"][-1] < r["losses"][0] for r in clipped)


def test_teacher_forcing_reproduces_the_words():
    result = load("char_rnn_teacher_forcing").main(["--quick"])
    forced = result["with teacher forcing"]
    assert forced["generated"]["국민대학"] == "국민대학"
    assert forced["correct"] == 10
    free = result["without teacher forcing"]
    assert free["solved_at"] is None or forced["solved_at"] < free["solved_at"]


def test_seq2seq_attention_helps_on_long_inputs():
    result = load("seq2seq").main(["--quick", "--no-plot"])
    assert result["gradient_error"] < 1e-6
    assert result["model_gradient_difference"] < 1e-8   # the Input/Model version, gradcheck
    assert result["same_as_by_hand"] < 1e-12             # the Model computes the hand network
    assert result["long_with"] > result["long_without"] + 0.1
    assert result["with attention"]["by_length"][1] == 1.0


def test_many_to_one_vs_many():
    result = load("many_to_one_vs_many").main(["--quick"])
    assert set(result) == {"many-to-one", "many-to-many", "many-to-one via Flatten"}
    assert all(acc > 0.8 for acc in result.values())


@pytest.mark.data
def test_imdb_experiments_script():
    env = dict(os.environ)
    result = subprocess.run([sys.executable, str(EXAMPLES / "imdb_experiments.py"), "--quick"],
                            capture_output=True, text=True, env=env, timeout=600, check=False)
    assert result.returncode == 0, result.stderr
    rows = [line.split()[0] for line in result.stdout.splitlines()[-4:]]
    assert rows == ["ff", "lstm1", "lstm32", "lstm4"]


@pytest.mark.browser
def test_scrape_and_train_demo():
    result = subprocess.run([sys.executable, str(EXAMPLES / "scrape_and_train.py"), "--demo",
                             "--epochs", "40"], capture_output=True, text=True, timeout=600,
                            check=False)
    assert result.returncode == 0, result.stderr
    assert "scraped 8 reviews" in result.stdout
    assert "accuracy on the training reviews after 40 epochs: 1.000" in result.stdout
