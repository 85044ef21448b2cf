"""Every example runs in its quick mode, and what it claims is true."""

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def load(name: str):
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_step_through_lstm_numbers_match_finite_differences(capsys, tmp_path):
    result = load("step_through_lstm").main(["--plot", "--plot-dir", str(tmp_path)])
    assert result["lstm_error"] < 1e-6 and result["simple_rnn_error"] < 1e-6
    out = capsys.readouterr().out
    assert "f = sigmoid(z_f)" in out and "sent back: dL/dc_t * f_t" in out
    assert f"wrote {tmp_path / 'step_through_lstm.png'}" in out
    assert (tmp_path / "step_through_lstm.png").stat().st_size > 10_000


def test_vanishing_gradient_claims(capsys):
    result = load("vanishing_gradient").main(["--quick", "--no-plot"])
    out = capsys.readouterr().out
    assert result["ratio_open_at_20"] > 100          # orders of magnitude at distance 20
    products = result["products"]
    assert products["linear, w=0.9"][19] < 0.2 < 5 < products["linear, w=1.1"][19]
    # "every sigmoid row vanishes", small and large w alike
    sigmoid_rows = [curve for label, curve in products.items() if label.startswith("sigmoid")]
    assert len(sigmoid_rows) == 5 and all(curve[19] < 1e-10 for curve in sigmoid_rows)
    assert products["sigmoid, w=8"][19] < products["sigmoid, w=4"][19]
    assert 0.25 < result["settled_factor"] < 0.3 and "<= 0.278" in out
    # the default-initialised LSTM's cell gradient shrinks by orders of magnitude by n=40
    assert result["default_lstm"][40] < 1e-3 * result["default_lstm"][0]
    # clipping: no run becomes NaN; the printed counts are the runs' own
    runs, baseline = result["runs"], result["baseline"]
    clipped = [r for r in runs if r["clipnorm"]]
    unclipped = [r for r in runs if not r["clipnorm"]]
    assert any(r["blew_up"] for r in unclipped)
    assert not any(r["blew_up"] for r in clipped)
    for r in runs:
        assert r["below_baseline"] == (not r["blew_up"] and r["losses"][-1] < baseline)
    n_below = sum(r["below_baseline"] for r in clipped)
    assert f"clipnorm=1  : 0 of {len(clipped)} runs became NaN, {n_below} of {len(clipped)}" in out
    # the docstring's claim "none of these runs ends below the mean's loss" (full run: 4 seeds)
    assert n_below == 0


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


def test_many_to_one_vs_many(capsys):
    result = load("many_to_one_vs_many").main(["--quick"])
    assert set(result) == {"many-to-one", "many-to-many", "many-to-one via Flatten"}
    assert all(acc > 0.8 for acc in result.values())
    out = capsys.readouterr().out
    assert "many-to-many (tagging: share of correct steps)" in out
    assert f"{result['many-to-many']:.3f}" in out


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
    assert "scraped 216 reviews of 6 restaurants" in result.stdout
    held_out = float(result.stdout.split("held-out accuracy (the last 44 reviews, never "
                                         "trained on): ")[1].split()[0])
    assert held_out > 0.8


@pytest.mark.data
def test_word_order_shuffles_each_review_and_prints_its_own_numbers(capsys):
    module = load("word_order")
    x = np.array([[0, 0, 5, 6, 7], [3, 4, 5, 6, 7]])
    shuffled = module.shuffle_words(x, 0)
    assert (shuffled[0, :2] == 0).all()                       # padding stays in front
    assert (np.sort(shuffled, axis=1) == np.sort(x, axis=1)).all()
    assert not (shuffled == x).all()
    result = module.main(["--quick"])
    out = capsys.readouterr().out
    diffs = result["difference"]
    for model, acc in result["accuracy"]["as written"].items():
        line = f"{model:<8}{np.mean(acc):>12.4f}"
        assert line in out
    largest = max(diffs, key=lambda m: abs(diffs[m]))
    assert f"largest change from shuffling: {diffs[largest] * 100:+.1f} points ({largest})" in out


@pytest.mark.data
def test_lstm_gates_imdb_h_of_lstm1_is_the_predicted_probability(capsys, tmp_path):
    result = load("lstm_gates_imdb").main(["--quick", "--plot-dir", str(tmp_path)])
    out = capsys.readouterr().out
    for (name, _), r in result.items():
        parts = r["parts"]
        assert set(parts) == {"i", "f", "o", "g", "c", "h"}
        assert parts["h"].shape == (20, 1 if name == "lstm1" else 4)
        assert len(r["words"]) == 20 and "<pad>" not in r["words"]
        if name == "lstm1":  # the one unit's last h is what the model predicts
            assert abs(parts["h"][-1, 0] - r["probability"]) < 1e-5
            assert f"predicted P(positive) = {r['probability']:.3f}" in out
    for name in ("lstm1", "lstm4"):
        assert f"wrote {tmp_path / (name + '_gates.png')}" in out
        assert (tmp_path / f"{name}_gates.png").stat().st_size > 10_000


def test_attention_map_has_a_colour_bar_and_says_which_labels(capsys, tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(EXAMPLES))
    module = load("attention_map")
    result = module.main(["--quick", "--plot-dir", str(tmp_path)])
    out = capsys.readouterr().out
    weights = result["weights"]
    rows = weights[: len(result["predicted"]) + 1, : len(result["number"])]
    assert np.all(rows >= 0) and np.allclose(weights.sum(axis=-1), 1.0)
    labels = "Hangul labels" if result["hangul"] else "romanised labels"
    assert f"wrote {result['path']} ({labels}" in out
    assert result["hangul"] == (module.hangul_font() is not None)
    assert result["path"].stat().st_size > 5_000
