"""examples/time_series.py --quick: every printed MSE recomputed from the saved arrays."""

import importlib.util
import re
from pathlib import Path

import numpy as np
import pytest

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "time_series.py"


def load():
    spec = importlib.util.spec_from_file_location("time_series", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


ts = load()


def test_ar_fit_recovers_a_known_process():
    """Least squares finds the coefficients of a simulated AR(2) with intercept."""
    rng = np.random.default_rng(3)
    y = np.zeros(5000)
    for t in range(2, len(y)):
        y[t] = 0.6 * y[t - 1] - 0.3 * y[t - 2] + 0.5 + 0.1 * rng.standard_normal()
    coef = ts.fit_ar(y, 2, len(y))
    np.testing.assert_allclose(coef, [0.6, -0.3, 0.5], atol=0.03)
    # the forecast is a_1 y_(t-1) + a_2 y_(t-2) + c, written out
    t = 100
    assert ts.ar_forecast(y, coef, range(t, t + 1))[0] == pytest.approx(
        coef[0] * y[t - 1] + coef[1] * y[t - 2] + coef[2])


def test_quick_run_numbers(capsys, tmp_path):
    arrays = tmp_path / "arrays.npz"
    result = ts.main(["--quick", "--plot-dir", str(tmp_path), "--save-arrays", str(arrays)])
    out = capsys.readouterr().out

    printed = dict(re.findall(r"^(last value|one season ago|AR\(\d+\)|LSTM)\s+(\d\.\d{4})$",
                              out, flags=re.M))
    printed = {name: float(v) for name, v in printed.items()}
    assert list(printed) == ["last value", "one season ago", f"AR({ts.LAGS})", "LSTM"]

    assert f"saved the series and the forecasts to {arrays}" in out
    saved = np.load(arrays)
    assert int(saved["format_version"]) == 1
    series, train_end = saved["series"], int(saved["train_end"])
    forecasts = dict(zip(saved["names"].tolist(), saved["forecasts"], strict=True))
    truth = series[train_end:]
    assert len(truth) == len(series) - int(0.8 * len(series))

    # the series is the docstring's formula: what is left after trend and season is the noise
    t = np.arange(len(series))
    rest = series - 0.02 * t - np.sin(2 * np.pi * t / 12) - 0.5 * np.sin(4 * np.pi * t / 12 + 1)
    assert 0.17 < rest.std() < 0.23 and abs(rest.mean()) < 0.03

    # naive forecasts, recomputed from the series alone
    last = np.array([series[k - 1] for k in range(train_end, len(series))])
    season = np.array([series[k - 12] for k in range(train_end, len(series))])
    assert printed["last value"] == pytest.approx(np.mean((last - truth) ** 2), abs=6e-5)
    assert printed["one season ago"] == pytest.approx(np.mean((season - truth) ** 2), abs=6e-5)

    # AR(p) refitted here by the normal equations (not lstsq), on the training part only
    p = ts.LAGS
    rows = np.array([series[k - p : k][::-1] for k in range(p, train_end)])
    design = np.hstack([rows, np.ones((len(rows), 1))])
    coef = np.linalg.solve(design.T @ design, design.T @ series[p:train_end])
    test_rows = np.array([np.r_[series[k - p : k][::-1], 1.0]
                          for k in range(train_end, len(series))])
    ar = test_rows @ coef
    np.testing.assert_allclose(forecasts[f"AR({p})"], ar, atol=1e-6)
    assert printed[f"AR({p})"] == pytest.approx(np.mean((ar - truth) ** 2), abs=6e-5)
    assert (f"the lag coefficients sum to {coef[:-1].sum():.4f}, intercept {coef[-1]:.4f}; "
            f"largest |a_k| at lag {np.argmax(np.abs(coef[:-1])) + 1}") in out

    # the LSTM's forecasts, as saved, give the printed MSE; and they are the model's
    assert printed["LSTM"] == pytest.approx(np.mean((forecasts["LSTM"] - truth) ** 2),
                                            abs=6e-5)
    np.testing.assert_allclose(forecasts["LSTM"], result["forecasts"]["LSTM"])
    losses = result["losses"]
    assert f"training loss {losses[0]:.4f} -> {losses[-1]:.4f} after 15 epochs" in out

    # the printed ranking is the order of the printed numbers
    ranking = re.search(r"best to worst: (.*)$", out, flags=re.M)[1].split(" < ")
    assert ranking == sorted(printed, key=printed.get)
    # what the guides say of this run: AR first, the LSTM second, both beat the naive ones,
    # and no forecast beats the noise variance
    assert ranking[:2] == [f"AR({p})", "LSTM"]
    assert min(printed.values()) > 0.04 and "(noise variance)    0.0400" in out

    png = tmp_path / "time_series.png"
    assert f"wrote {png}" in out
    assert png.stat().st_size > 10_000


def test_bad_epochs_refused(capsys):
    with pytest.raises(SystemExit):
        ts.main(["--epochs", "-2", "--no-plot"])
    assert "--epochs -2" in capsys.readouterr().err
