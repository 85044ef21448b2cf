"""Command line: ``python -m numrnn.experiments sweep imdb [grid options] [--workers N]``.

Examples::

    # MAXLEN x the four tutorial models, 3 seeds, on every core of this machine
    python -m numrnn.experiments sweep imdb --maxlen 20 100 400 --seeds 3
    # the same on a Dask cluster (dask scheduler / dask worker --nthreads 1 ...)
    python -m numrnn.experiments sweep imdb --maxlen 20 100 400 --seeds 3 \\
        --scheduler tcp://scheduler:8786
    # a sweep file (TOML or JSON) with a [grid] table of any setting
    python -m numrnn.experiments sweep imdb --file sweep.toml

Exit status: 0 all runs recorded, 1 some failed (recorded with their error) or were lost
by the executor, 2 bad arguments, 130 interrupted (run the same command to resume).
"""

from __future__ import annotations

import argparse
import platform
import shlex
import sys
import time
from pathlib import Path

import numpy as np

from ..io_utils import atomic_write
from . import report as rep
from .executors import CLUSTER_HINT, default_workers, make_executor
from .imdb import CELLS, EXPERIMENTS, OPTIMIZERS
from .results_log import ResultsLog
from .settings import SETTINGS, check_value, grid_configs, read_sweep_file, swept_settings
from .sweep import describe, run_sweep

_NULL = ("all", "none", "null", "default")


def _value(name: str, text: str):
    """A command-line word as the value of setting ``name``."""
    if text.lower() in _NULL:
        return None
    if name in ("model", "cell", "optimizer"):
        return text
    try:
        return float(text) if name in ("lr", "validation_split") else int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"--{name.replace('_', '-')} {text}: accepted {SETTINGS[name].accepted}") from None


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m numrnn.experiments sweep",
        description="Train every combination of the given settings with every seed, on local "
                    "worker processes or a Dask cluster; results.jsonl keeps each finished run, "
                    "so the same command resumes an interrupted sweep.")
    p.add_argument("dataset", choices=["imdb"], help="the experiment family (only 'imdb')")
    grid = p.add_argument_group(
        "grid", "each takes one or more values (the sweep runs every combination); unset: the "
                "tutorial's value. 'all'/'default' stands for null")
    choices = {"model": EXPERIMENTS, "cell": CELLS, "optimizer": OPTIMIZERS}
    for name, setting in SETTINGS.items():
        flag = "--" + name.replace("_", "-")
        extra = f" (one of: {', '.join(choices[name])})" if name in choices else ""
        default = "all four" if name == "model" else _show(setting.tutorial)
        grid.add_argument(flag, dest=name, nargs="+", metavar="V", default=None,
                          type=lambda text, name=name: _value(name, text),
                          help=f"{setting.accepted}{extra}; default {default}")
    p.add_argument("--file", metavar="SWEEP.toml|.json",
                   help="a sweep file: seeds, first_seed and a [grid] table (options given here "
                        "replace its entries)")
    p.add_argument("--seeds", type=int, default=None, help="runs per configuration (default 1)")
    p.add_argument("--first-seed", type=int, default=None, help="the first seed (default 0)")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--workers", type=int, default=None,
                       help=f"local worker processes, one BLAS thread each (default: the cores, "
                            f"here {default_workers()}); 0 runs in this process")
    where.add_argument("--scheduler", metavar="ADDRESS",
                       help="a Dask scheduler, e.g. tcp://host:8786 (pip install "
                            "'numrnn[cluster]')")
    p.add_argument("--data", default=None,
                   help="imdb.npz or its folder (default: $NUMRNN_DATA, then ~/.numrnn/datasets)")
    p.add_argument("--out", default="runs/sweep", help="folder of results.jsonl (runs/sweep)")
    p.add_argument("--report", default=None, metavar="FILE.md",
                   help="the Markdown report (default OUT/report.md); plots go to the folder "
                        "named like it without .md")
    p.add_argument("--title", default=None,
                   help="the report's title (default: the sweep file's, or 'IMDB sweep: results')")
    p.add_argument("--retry-failed", action="store_true",
                   help="run again the runs recorded with an error")
    p.add_argument("--dry-run", action="store_true", help="list the runs and stop")
    p.add_argument("--report-only", action="store_true",
                   help="write the table, report and plots from results.jsonl; run nothing")
    args = p.parse_args(argv)
    try:
        spec = read_sweep_file(args.file) if args.file else {"grid": {}}
    except (OSError, ValueError) as err:
        p.error(str(err))
    args.grid = {"model": list(EXPERIMENTS), **spec["grid"]}
    for name in SETTINGS:
        if getattr(args, name) is not None:
            args.grid[name] = getattr(args, name)
    try:
        for name, values in args.grid.items():
            for v in values:
                check_value(name, v, f"--{name.replace('_', '-')}: ")
    except ValueError as err:
        p.error(str(err))
    args.title = args.title or spec.get("title", "IMDB sweep: results")
    args.intro = spec.get("intro", "")
    args.seeds = args.seeds if args.seeds is not None else spec.get("seeds", 1)
    args.first_seed = args.first_seed if args.first_seed is not None else spec.get("first_seed", 0)
    if args.seeds < 1:
        p.error(f"--seeds {args.seeds}: give at least 1")
    if args.first_seed < 0:
        p.error(f"--first-seed {args.first_seed}: give a seed >= 0")
    if args.workers is not None and args.workers < 0:
        p.error(f"--workers {args.workers}: give 0 (this process) or more")
    return args


def _show(value) -> str:
    return "null" if value is None else str(value)


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    configs = grid_configs(args.grid)
    seeds = list(range(args.first_seed, args.first_seed + args.seeds))
    runs = [(c, s) for c in configs for s in seeds]
    swept = swept_settings(args.grid)
    print(f"sweep: {len(configs)} configurations x {len(seeds)} seeds = {len(runs)} runs"
          + (f"; swept: {', '.join(swept)}" if swept else ""))
    if args.dry_run:
        for c in configs:
            print("  " + describe(c, swept or ["model"]))
        return 0
    out = Path(args.out)
    log = ResultsLog(out / "results.jsonl").load()
    for note in log.notes:
        print(f"note: {note}", file=sys.stderr)
    executor_name = "an earlier session"
    outcome = None
    if not args.report_only:
        try:
            executor = make_executor(args.workers, args.scheduler)
        except ImportError:
            print(f"error: {CLUSTER_HINT}", file=sys.stderr)
            return 2
        except OSError as err:
            print(f"error: cannot reach the Dask scheduler {args.scheduler}: {err}",
                  file=sys.stderr)
            return 2
        executor_name = executor.describe()
        with log, executor:
            try:
                outcome = run_sweep(runs, log, executor, args.data, args.retry_failed, swept)
            except FileNotFoundError as err:
                print(f"error: {err}", file=sys.stderr)
                return 2
            except KeyboardInterrupt:  # while the data was being prepared
                print("\ninterrupted before any run was submitted", file=sys.stderr)
                return 130
        if outcome.interrupted:
            print(f"\ninterrupted: {outcome.done} runs finished in this session are in "
                  f"{log.path}; {outcome.lost} in flight were dropped. Run the same command "
                  "to resume.", file=sys.stderr)
            return 130
    rows = rep.summarise(configs, seeds, log.records)
    print("\n" + rep.text_table(rows, swept))
    report = Path(args.report) if args.report else out / "report.md"
    try:
        plots = rep.plot_choices(rows, swept, report.with_suffix(""))
    except ImportError as err:  # matplotlib is optional
        print(f"note: no plots: {err}", file=sys.stderr)
        plots = []
    command = shlex.join(["python", "-m", "numrnn.experiments", "sweep", *argv])
    machine = (f"Python {platform.python_version()}, NumPy {np.__version__}, "
               f"{platform.machine()}")
    text = rep.markdown(rows, swept, title=args.title, intro=args.intro, command=command,
                        when=time.strftime("%Y-%m-%d %H:%M:%S"), machine=machine,
                        executor=executor_name, seeds=seeds, plots=plots, report=report,
                        notes=log.notes)
    with atomic_write(report, "w", encoding="utf-8") as f:
        f.write(text)
    for path in [*plots, report]:
        print(f"wrote {path}")
    failed = sum(r["failed"] for r in rows)
    missing = sum(r["missing"] for r in rows)
    if failed or missing:
        print(f"{failed} runs failed (recorded with their error), {missing} not recorded",
              file=sys.stderr)
        return 1
    return 0
