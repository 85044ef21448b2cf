"""Command line: ``python -m numrnn.experiments imdb [ff lstm1 lstm32 lstm4] [--seeds N]``.

``python -m numrnn.experiments sweep imdb ...`` runs a sweep instead (`sweep_cli`).
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np

from ..io_utils import atomic_write
from .imdb import EXPERIMENTS, REFERENCE_MEDIANS, TUTORIAL_VAL_ACC, load_imdb, run_experiment


def parse_args(argv):
    p = argparse.ArgumentParser(
        prog="python -m numrnn.experiments",
        description="Train the tutorial's IMDB experiments and print a results table. "
                    "(For sweeps over the tutorial's choices: python -m numrnn.experiments "
                    "sweep --help.)")
    p.add_argument("dataset", choices=["imdb"], help="the experiment family (only 'imdb')")
    p.add_argument("experiments", nargs="*", metavar="NAME",
                   help=f"which to run (default: all): {', '.join(EXPERIMENTS)}")
    p.add_argument("--seeds", type=int, default=1, help="runs per experiment (seeds 0..N-1)")
    p.add_argument("--first-seed", type=int, default=0, help="the first seed")
    p.add_argument("--epochs", type=int, default=30, help="at most this many epochs (30)")
    p.add_argument("--data", default=None,
                   help="imdb.npz or its folder (default: $NUMRNN_DATA, then ~/.numrnn/datasets)")
    p.add_argument("--out", default="runs/imdb", help="folder for results.json and the plots")
    p.add_argument("--report", default=None, metavar="FILE.md",
                   help="also write the tables and plots as a Markdown report")
    p.add_argument("--verbose", type=int, choices=[0, 1, 2], default=2,
                   help="fit's progress output (Keras' verbose)")
    args = p.parse_args(argv)
    for name in args.experiments:
        if name not in EXPERIMENTS:
            p.error(f"unknown experiment {name!r}; choose from {', '.join(EXPERIMENTS)}")
    if args.seeds < 1:
        p.error(f"--seeds {args.seeds}: give at least 1")
    if args.epochs < 1:
        p.error(f"--epochs {args.epochs}: give at least 1")
    return args


def table(summary: list[dict]) -> str:
    head = (f"{'experiment':<10} {'params':>9} {'seeds':>5} {'epochs':>7} {'best val_acc':>13} "
            f"{'test acc':>9} {'s/epoch':>8} {'tutorial':>9}")
    rows = [head, "-" * len(head)]
    for s in summary:
        rows.append(
            f"{s['experiment']:<10} {s['params']:>9,} {s['seeds']:>5} {s['median_epochs']:>7g} "
            f"{s['median_best_val_acc']:>13.4f} {s['median_test_acc']:>9.4f} "
            f"{s['median_seconds_per_epoch']:>8.2f} {TUTORIAL_VAL_ACC[s['experiment']]:>9.3f}")
    rows.append("(medians over seeds; 'tutorial' is the best val_acc the tutorial reports)")
    return "\n".join(rows)


def markdown_report(record: dict, plots: list[Path], report: Path) -> str:
    """The run as Markdown: the summary table, every run, and the learning curves."""
    import os

    lines = ["# IMDB experiments: results", "",
             "Made by this command (from the repository root, with `NUMRNN_DATA` pointing at "
             "the folder of `imdb.npz`):", "", "```bash", record["command"], "```", "",
             f"Run on {record['date']} (Python {record['machine']['python']}, NumPy "
             f"{record['machine']['numpy']}, {record['machine']['processor']}). Data: last 20 "
             "tokens of each review, Embedding(NUM_WORDS, 8), RMSprop(), batch 128, "
             "validation_split 0.2, EarlyStopping(monitor='val_acc') (patience 0), at most 30 "
             "epochs. 'tutorial' is the best val_acc the tutorial reports (Keras 2.1, one run).",
             "", "## Medians over seeds", "",
             "| experiment | model | params | seeds | epochs run | best val_acc | test acc "
             "| s/epoch | tutorial |", "|---|---|---:|---:|---:|---:|---:|---:|---:|"]
    for s in record["summary"]:
        lines.append(
            f"| {s['experiment']} | {EXPERIMENTS[s['experiment']]} | {s['params']:,} | "
            f"{s['seeds']} | {s['median_epochs']:g} | {s['median_best_val_acc']:.4f} | "
            f"{s['median_test_acc']:.4f} | {s['median_seconds_per_epoch']:.2f} | "
            f"{TUTORIAL_VAL_ACC[s['experiment']]:.3f} |")
    lines += ["", "For comparison, the median best val_acc over 3 seeds of the same models on the "
              "same data in other frameworks:", "",
              "| framework | " + " | ".join(s["experiment"] for s in record["summary"]) + " |",
              "|---|" + "---:|" * len(record["summary"])]
    for framework, medians in REFERENCE_MEDIANS.items():
        lines.append(f"| {framework} | " + " | ".join(
            f"{medians[s['experiment']]:.3f}" for s in record["summary"]) + " |")
    lines += ["", "## Every run", "", "| experiment | seed | epochs run | best val_acc (epoch) "
              "| test loss | test acc | s/epoch |", "|---|---:|---:|---:|---:|---:|---:|"]
    for r in record["runs"]:
        lines.append(f"| {r['experiment']} | {r['seed']} | {r['epochs_run']} | "
                     f"{r['best_val_acc']:.4f} ({r['best_epoch']}) | {r['test_loss']:.4f} | "
                     f"{r['test_acc']:.4f} | {r['seconds_per_epoch']:.2f} |")
    lines += ["", "Test accuracy is measured with the weights of the last epoch (EarlyStopping "
              "keeps them, as in Keras 2.1).", ""]
    if plots:
        lines += ["## Learning curves", ""]
        for path in plots:
            rel = os.path.relpath(path, report.parent)
            lines += [f"![{path.stem}]({rel})", ""]
    return "\n".join(lines)


def plot_curves(runs: list[dict], out: Path) -> list[Path]:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        from matplotlib.ticker import MaxNLocator
    except ImportError:
        return []
    written = []
    for name in dict.fromkeys(r["experiment"] for r in runs):
        fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
        for r in (r for r in runs if r["experiment"] == name):
            h = r["history"]
            ep = np.arange(1, len(h["loss"]) + 1)
            for ax, key in zip(axes, ("loss", "acc")):
                (line,) = ax.plot(ep, h[key], "-o", ms=3, label=f"train (seed {r['seed']})")
                ax.plot(ep, h["val_" + key], "--s", ms=3, color=line.get_color(),
                        label=f"validation (seed {r['seed']})")
        for ax, key in zip(axes, ("loss", "accuracy")):
            ax.set_xlabel("epoch")
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            ax.set_ylabel(key)
            ax.grid(alpha=0.3)
        axes[1].legend(fontsize=7)
        fig.suptitle(f"{name}: {EXPERIMENTS[name]}")
        fig.tight_layout()
        path = out / f"{name}_curves.png"
        with atomic_write(path) as f:
            fig.savefig(f, format="png", dpi=90)
        plt.close(fig)
        written.append(path)
    return written


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["sweep"]:
        from .sweep_cli import main as sweep_main

        return sweep_main(argv[1:])
    args = parse_args(argv)
    names = args.experiments or list(EXPERIMENTS)
    try:
        data = load_imdb(args.data)
    except FileNotFoundError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(f"IMDB: {len(data[0][0])} training and {len(data[1][0])} test reviews, "
          f"last 20 tokens each, NUM_WORDS = {data[2]}")
    runs = []
    for name in names:
        for seed in range(args.first_seed, args.first_seed + args.seeds):
            print(f"\n=== {name} ({EXPERIMENTS[name]}), seed {seed} ===")
            result = run_experiment(name, data, seed, args.epochs, args.verbose)
            print(f"best val_acc {result.best_val_acc:.4f} (epoch {result.best_epoch} of "
                  f"{result.epochs_run}), test acc {result.test_acc:.4f}")
            runs.append(result.to_dict())
    summary = []
    for name in names:
        rs = [r for r in runs if r["experiment"] == name]
        summary.append({
            "experiment": name, "params": rs[0]["params"], "seeds": len(rs),
            "median_epochs": statistics.median(r["epochs_run"] for r in rs),
            "median_best_val_acc": statistics.median(r["best_val_acc"] for r in rs),
            "median_test_acc": statistics.median(r["test_acc"] for r in rs),
            "median_seconds_per_epoch": statistics.median(r["seconds_per_epoch"] for r in rs),
        })
    print("\n" + table(summary))
    out = Path(args.out)
    command = "python -m numrnn.experiments " + " ".join(argv)
    record = {"command": command, "date": time.strftime("%Y-%m-%d %H:%M:%S"),
              "machine": {"python": platform.python_version(), "numpy": np.__version__,
                          "processor": platform.machine()},
              "summary": summary, "runs": runs}
    with atomic_write(out / "results.json", "w", encoding="utf-8") as f:
        json.dump(record, f, indent=1)
    print(f"\nwrote {out / 'results.json'}")
    plots = plot_curves(runs, out)
    for path in plots:
        print(f"wrote {path}")
    if args.report:
        report = Path(args.report)
        with atomic_write(report, "w", encoding="utf-8") as f:
            f.write(markdown_report(record, plots, report))
        print(f"wrote {report}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
