"""Forecast a seasonal series with a trend: an LSTM against AR(p) and two naive forecasts.

What it teaches (the chapter's section on sequential data): a forecaster must catch
*periodicity* (a season that repeats, here every SEASON = 12 steps) and *trend* (a slow
drift). The series is made here, so we know its noise:

    y_t = 0.02 t + sin(2 pi t / 12) + 0.5 sin(4 pi t / 12 + 1) + e_t,   e_t ~ N(0, 0.2^2).

Every forecast is one step ahead and may use the true values before t:
- last value:        y^_t = y_(t-1)
- one season ago:    y^_t = y_(t-12)           (misses the trend: 12 x 0.02 = 0.24 too low)
- AR(p), the chapter's baseline: y^_t = a_1 y_(t-1) + ... + a_p y_(t-p) + c, with a and c
  fitted by least squares on the training part (numpy.linalg.lstsq).
- LSTM: reads the last p values and predicts y_t. It reads them *relative to the last one*
  (x_k = y_(t-k) - y_(t-1), target y_t - y_(t-1), both divided by the training spread of the
  one-step change), because the trend carries the test values above anything seen in
  training and a tanh network does not extrapolate; AR is linear and needs no such help.
Both models are fitted on the first 80% and scored by mean squared error (MSE) on the last
20%. No forecast can beat the noise variance 0.2^2 = 0.04 on average.

    python examples/time_series.py                 # plot: examples/output/time_series.png
    python examples/time_series.py --quick         # fewer epochs (for the smoke test)
    python examples/time_series.py --plot-dir docs/images
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

import numrnn
from numrnn.io_utils import atomic_write
from numrnn.layers import LSTM, Dense
from numrnn.models import Sequential
from numrnn.optimizers import Adam

OUTPUT = Path(__file__).resolve().parent / "output"
SEASON, LAGS, LENGTH, NOISE, TREND = 12, 24, 480, 0.2, 0.02


def make_series(length: int = LENGTH, seed: int = 0) -> np.ndarray:
    """The seasonal series with a trend described at the top (float64, shape (length,))."""
    t = np.arange(length)
    season = np.sin(2 * np.pi * t / SEASON) + 0.5 * np.sin(4 * np.pi * t / SEASON + 1)
    noise = NOISE * np.random.default_rng(seed).standard_normal(length)
    return TREND * t + season + noise


def lagged(series: np.ndarray, p: int, targets: range) -> np.ndarray:
    """Row k holds y_(t-1), ..., y_(t-p) for the k-th target time t: shape (len(targets), p)."""
    return np.stack([series[t - p : t][::-1] for t in targets])


def fit_ar(series: np.ndarray, p: int, train_end: int) -> np.ndarray:
    """Least-squares AR(p) with intercept on the targets p .. train_end-1: [a_1..a_p, c]."""
    rows = lagged(series, p, range(p, train_end))
    design = np.column_stack([rows, np.ones(len(rows))])
    coef, *_ = np.linalg.lstsq(design, series[p:train_end], rcond=None)
    return coef


def ar_forecast(series: np.ndarray, coef: np.ndarray, targets: range) -> np.ndarray:
    rows = lagged(series, len(coef) - 1, targets)
    return rows @ coef[:-1] + coef[-1]


def relative_windows(series: np.ndarray, targets: range, scale: float):
    """The LSTM's inputs (n, LAGS, 1), oldest value first, and targets (n, 1), both relative
    to the last value before t and divided by `scale`."""
    last = series[np.array(targets) - 1]
    window = np.stack([series[t - LAGS : t] for t in targets])
    x = (window - last[:, None]) / scale
    y = (series[np.array(targets)] - last) / scale
    return x[:, :, None].astype(np.float32), y[:, None].astype(np.float32), last


def train_lstm(series: np.ndarray, train_end: int, epochs: int, seed: int):
    train_targets = range(LAGS, train_end)
    scale = float(np.std(np.diff(series[:train_end])))
    x, y, _ = relative_windows(series, train_targets, scale)
    numrnn.set_seed(seed)
    model = Sequential()
    model.add(LSTM(16, input_shape=(LAGS, 1)))
    model.add(Dense(1))
    model.compile(Adam(lr=0.01), "mse")
    history = model.fit(x, y, batch_size=32, epochs=epochs, verbose=0, seed=seed)
    return model, scale, history.history["loss"]


def lstm_forecast(model, series, targets: range, scale: float) -> np.ndarray:
    x, _, last = relative_windows(series, targets, scale)
    return last + scale * model.predict(x)[:, 0].astype(np.float64)


def plot(series, train_end, forecasts, mse, plot_dir: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    t = np.arange(len(series))
    test = t[train_end:]
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(12, 6.5))
    top.plot(t[:train_end], series[:train_end], lw=1, label="training part")
    top.plot(test, series[train_end:], lw=1, label="test part")
    top.set(title=f"y_t = {TREND} t + season (period {SEASON}) + noise (sd {NOISE})",
            xlabel="t")
    zoom = test[: 4 * SEASON]
    bottom.plot(zoom, series[zoom], "k.-", lw=1, label="true")
    for name, f in forecasts.items():
        bottom.plot(zoom, f[: len(zoom)], lw=1.2, label=f"{name}: test MSE {mse[name]:.4f}")
    bottom.set(title=f"one-step forecasts, first {len(zoom)} test steps", xlabel="t")
    for ax in (top, bottom):
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1))  # beside the data
    fig.tight_layout()
    out = plot_dir / "time_series.png"
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=80)
    plt.close(fig)
    return out


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="fewer epochs (for the smoke test)")
    ap.add_argument("--epochs", type=int, default=None, help="default 60 (quick: 15)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--no-plot", action="store_true")
    ap.add_argument("--plot-dir", type=Path, default=OUTPUT,
                    help=f"where time_series.png goes (default {OUTPUT})")
    ap.add_argument("--save-arrays", type=Path, default=None, metavar="FILE.npz",
                    help="also save the series and every forecast (for checking the numbers)")
    args = ap.parse_args(argv)
    epochs = args.epochs if args.epochs is not None else (15 if args.quick else 60)
    if epochs <= 0:
        ap.error(f"--epochs {epochs}; accepted: a positive int")

    series = make_series(seed=args.seed)
    train_end = int(0.8 * len(series))
    targets = range(train_end, len(series))
    truth = series[train_end:]
    coef = fit_ar(series, LAGS, train_end)
    model, scale, losses = train_lstm(series, train_end, epochs, args.seed)
    forecasts = {
        "last value": series[train_end - 1 : -1],
        "one season ago": series[train_end - SEASON : -SEASON],
        f"AR({LAGS})": ar_forecast(series, coef, targets),
        "LSTM": lstm_forecast(model, series, targets, scale),
    }
    mse = {name: float(np.mean((f - truth) ** 2)) for name, f in forecasts.items()}

    print(f"series: {len(series)} steps, season {SEASON}, trend {TREND} per step, noise sd "
          f"{NOISE}; training part t < {train_end}, test part t >= {train_end} "
          f"({len(truth)} one-step forecasts)")
    print(f"AR({LAGS}) fitted by least squares: the lag coefficients sum to "
          f"{coef[:-1].sum():.4f}, intercept {coef[-1]:.4f}; largest |a_k| at lag "
          f"{int(np.argmax(np.abs(coef[:-1]))) + 1}")
    print(f"LSTM(16) on {LAGS} relative values: training loss {losses[0]:.4f} -> "
          f"{losses[-1]:.4f} after {epochs} epochs")
    print(f"\n{'forecast':<16}{'test MSE':>10}")
    for name, value in mse.items():
        print(f"{name:<16}{value:>10.4f}")
    print(f"{'(noise variance)':<16}{NOISE ** 2:>10.4f}")
    ranking = sorted(mse, key=mse.get)
    print("best to worst: " + " < ".join(ranking))

    if args.save_arrays is not None:
        with atomic_write(args.save_arrays) as f:
            np.savez(f, format_version=np.array(1), series=series, train_end=np.array(train_end),
                     names=np.array(list(forecasts)), forecasts=np.stack(list(forecasts.values())))
        print(f"saved the series and the forecasts to {args.save_arrays}")
    if not args.no_plot:
        png = plot(series, train_end, forecasts, mse, args.plot_dir)
        print(f"wrote {png}")
    return {"series": series, "train_end": train_end, "coef": coef, "forecasts": forecasts,
            "mse": mse, "ranking": ranking, "losses": losses}


if __name__ == "__main__":
    main()
