"""A sweep's results: the table (median and spread over seeds), a Markdown report, plots."""

from __future__ import annotations

import os
import statistics
from pathlib import Path

from ..io_utils import atomic_write
from .imdb import TUTORIAL_VAL_ACC
from .results_log import run_key
from .settings import NOT_APPLICABLE, SETTINGS, config_key, display_value, tutorial_setting


def is_tutorial(config: dict) -> bool:
    """Whether ``config`` is one of the tutorial's four runs (subsets aside)."""
    return all(display_value(name, config) == tutorial_setting(name, config["model"])
               for name in SETTINGS if name not in ("num_train", "num_test"))


def summarise(configs: list[dict], seeds: list[int], records: dict[str, dict]) -> list[dict]:
    """One row per configuration: runs, failures, median and min/max of the figures."""
    rows = []
    for config in configs:
        runs = [records[k] for k in (run_key(config, s) for s in seeds) if k in records]
        ok = [r for r in runs if not r["error"]]
        row = {"config": config, "runs": len(ok), "failed": len(runs) - len(ok),
               "missing": len(seeds) - len(runs), "tutorial": is_tutorial(config),
               "errors": sorted({r["error"] for r in runs if r["error"]}),
               "best_val_acc": [r["best_val_acc"] for r in ok]}
        if ok:
            best = row["best_val_acc"]
            row.update(
                median_best_val_acc=statistics.median(best), min_best_val_acc=min(best),
                max_best_val_acc=max(best),
                median_test_acc=statistics.median(r["test_acc"] for r in ok),
                median_epochs=statistics.median(r["epochs"] for r in ok),
                median_seconds=statistics.median(r["seconds"] for r in ok),
                params=ok[0].get("params"))
        rows.append(row)
    return rows


def _show(value) -> str:
    return "all" if value is None else str(value)


def _fixed(name: str, value) -> str:
    if value is None:
        return {"units": "the model's own", "lr": "the optimizer's default"}.get(name, "all")
    return str(value)


def text_table(rows: list[dict], swept: list[str]) -> str:
    cols = swept or ["model"]
    widths = {c: max(len(c), *(len(_show(display_value(c, r["config"]))) for r in rows))
              for c in cols}
    head = " ".join(f"{c:<{widths[c]}}" for c in cols) + \
        f" {'runs':>5} {'best val_acc':>12} {'(min-max)':>13} {'test acc':>8} {'epochs':>6} " \
        f"{'s/run':>7}"
    lines = [head, "-" * len(head)]
    for r in rows:
        label = " ".join(f"{_show(display_value(c, r['config'])):<{widths[c]}}" for c in cols)
        runs = f"{r['runs']}" + (f"+{r['failed']}F" if r["failed"] else "")
        if r["runs"]:
            figures = (f"{r['median_best_val_acc']:>12.4f} {r['min_best_val_acc']:>6.4f}-"
                       f"{r['max_best_val_acc']:.4f} {r['median_test_acc']:>8.4f} "
                       f"{r['median_epochs']:>6g} {r['median_seconds']:>7.1f}")
        else:
            figures = f"{'-':>12}"
        lines.append(f"{label} {runs:>5} {figures}" + ("  <- tutorial" if r["tutorial"] else ""))
    lines.append("(medians over seeds, min-max in brackets; runs+nF: n runs failed; "
                 "'tutorial': the tutorial's setting)")
    return "\n".join(lines)


def markdown(rows: list[dict], swept: list[str], *, title: str, intro: str = "", command: str,
             when: str, machine: str, executor: str, seeds: list[int], plots: list[Path],
             report: Path, notes: list[str]) -> str:
    """The report: command, fixed settings, the table, failures and the plots."""
    cols = swept or ["model"]
    fixed = [name for name in SETTINGS if name not in cols]
    first = next((r["config"] for r in rows if r["config"]["model"] != "ff"),
                 rows[0]["config"] if rows else {})
    lines = [f"# {title}", ""]
    if intro:
        lines += [intro.strip(), ""]
    lines += ["Made by this command (from the repository root, with `NUMRNN_DATA` pointing at "
             "the folder of `imdb.npz`):", "", "```bash", command, "```", "",
             f"Run on {when} ({machine}) by {executor}; seeds "
             f"{', '.join(map(str, seeds))}. Settings not swept: "
             + ", ".join(f"{n} = {_fixed(n, first.get(n))}" for n in fixed) + "."
             " A run trains with `EarlyStopping(monitor='val_acc', patience)` as the tutorial "
             "does; *best val_acc* is the best validation accuracy of a run, *test acc* is "
             "measured with the weights of its last epoch.", ""]
    lines += ["## Median over seeds", "",
              "| " + " | ".join(cols) + " | runs | best val_acc | min–max | test acc "
              "| epochs | s/run | tutorial (book) |",
              "|" + "---|" * len(cols) + "---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        cells = [_show(display_value(c, r["config"])) for c in cols]
        book = f"{TUTORIAL_VAL_ACC[r['config']['model']]:.3f}" if r["tutorial"] else ""
        runs = f"{r['runs']}" + (f" ({r['failed']} failed)" if r["failed"] else "") + \
            (f" ({r['missing']} not run)" if r["missing"] else "")
        if r["runs"]:
            figures = (f"{r['median_best_val_acc']:.4f} | {r['min_best_val_acc']:.4f}–"
                       f"{r['max_best_val_acc']:.4f} | {r['median_test_acc']:.4f} | "
                       f"{r['median_epochs']:g} | {r['median_seconds']:.1f}")
        else:
            figures = "– | – | – | – | –"
        label = " | ".join(f"**{c}**" if r["tutorial"] else c for c in cells)
        lines.append(f"| {label} | {runs} | {figures} | {book} |")
    lines += ["", "Bold rows are the tutorial's setting; *tutorial (book)* is the best val_acc "
              "the tutorial reports for it (Keras 2.1, one run).", ""]
    failures = [r for r in rows if r["failed"]]
    if failures:
        lines += ["## Failed runs", ""]
        for r in failures:
            label = ", ".join(f"{c}={_show(display_value(c, r['config']))}" for c in cols)
            lines.append(f"- {label}: {'; '.join(r['errors'])}")
        lines.append("")
    if notes:
        lines += ["## Notes", ""] + [f"- {n}" for n in notes] + [""]
    if plots:
        lines += ["## Best val_acc against each swept choice", "",
                  "Each point: the median over seeds, the bar from the lowest to the highest "
                  "seed. The other swept settings are held at the tutorial's values where the "
                  "sweep has them (else pooled). A star marks the tutorial's setting, a cross "
                  "the val_acc the tutorial reports for it.", ""]
        for path in plots:
            rel = Path(os.path.relpath(path, report.parent)).as_posix()
            lines += [f"![{path.stem}]({rel})", ""]
    return "\n".join(lines)


def _slice(configs: list[dict], name: str, swept: list[str], model: str | None) -> list[dict]:
    """Configs of ``model`` (None: all) with the other swept settings at the tutorial's
    values, for each setting whose tutorial value the sweep has (else pooled over it)."""
    chosen = [c for c in configs if model is None or c["model"] == model]
    for other in swept:
        if other in (name, "model"):
            continue
        at = [c for c in chosen
              if display_value(other, c) == tutorial_setting(other, c["model"])]
        if at:
            chosen = at
    return chosen


def plot_choices(rows: list[dict], swept: list[str], folder: Path) -> list[Path]:
    """One PNG per swept setting: best val_acc against its values, one line per model."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as err:
        raise ImportError("plots need matplotlib: pip install 'numrnn[plot]'") from err
    by_key = {config_key(r["config"]): r for r in rows if r["runs"]}
    configs = [r["config"] for r in rows if r["runs"]]
    if not configs:
        return []
    models = list(dict.fromkeys(c["model"] for c in configs))
    names = [n for n in swept if n != "model"] or ["model"]
    written = []
    for name in names:
        fig, ax = plt.subplots(figsize=(6.4, 4.0))
        values = [v for v in dict.fromkeys(display_value(name, c) for c in configs)
                  if v != NOT_APPLICABLE]
        if all(isinstance(v, (int, float)) for v in values):
            values.sort()
        pos = {repr(v): i for i, v in enumerate(values)}
        marked = False
        for model in (models if name != "model" else [None]):
            chosen = [c for c in _slice(configs, name, swept, model)
                      if display_value(name, c) != NOT_APPLICABLE]
            if not chosen:
                continue
            xs, ys, lo, hi, tut = [], [], [], [], []
            for v in values:
                at = [by_key[config_key(c)] for c in chosen if display_value(name, c) == v]
                if not at:
                    continue
                best = [b for r in at for b in r["best_val_acc"]]
                m = statistics.median(best)
                xs.append(pos[repr(v)])
                ys.append(m)
                lo.append(m - min(best))
                hi.append(max(best) - m)
                if len(at) == 1 and at[0]["tutorial"]:
                    tut.append((pos[repr(v)], m, at[0]["config"]["model"]))
            line = ax.errorbar(xs, ys, yerr=[lo, hi], marker="o", ms=4, capsize=3,
                               label=model or "median")
            for x, y, m in tut:
                ax.plot([x], [y], marker="*", ms=15, color=line[0].get_color(), mec="black",
                        ls="none", label=None if marked else "tutorial's setting")
                ax.plot([x], [TUTORIAL_VAL_ACC[m]], marker="x", ms=8, color="black", ls="none",
                        label=None if marked else "tutorial's reported val_acc")
                marked = True
        ax.set_xticks(range(len(values)), [_show(v) for v in values])
        ax.set_xlabel(name)
        ax.set_ylabel("best val_acc")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
        ax.set_title(f"best val_acc against {name}")
        fig.tight_layout()
        path = folder / f"val_acc_by_{name}.png"
        with atomic_write(path) as f:
            fig.savefig(f, format="png", dpi=90)
        plt.close(fig)
        written.append(path)
    return written
