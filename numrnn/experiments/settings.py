"""The settings a sweep can vary, their tutorial values, and the grid of run configurations.

A *configuration* is a dict with every key of `SETTINGS`; one run trains it with one
seed. A grid gives each key a list of values and the sweep runs their product (every
configuration with every seed). Settings a model does not have are normalised away
(`normalise`), so the grid holds no two names for the same run.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .imdb import CELLS, EMBEDDING_DIM, EXPERIMENTS, MAXLEN, OPTIMIZERS, TUTORIAL_UNITS


def _int(minimum: int) -> Callable[[Any], bool]:
    return lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= minimum


def _opt_int(minimum: int) -> Callable[[Any], bool]:
    return lambda v: v is None or _int(minimum)(v)


def _fraction(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and 0 < v < 1


def _opt_positive(v: Any) -> bool:
    return v is None or (isinstance(v, (int, float)) and not isinstance(v, bool) and v > 0)


@dataclass(frozen=True)
class Setting:
    name: str
    tutorial: Any              # the tutorial's value (None: the model's own / library default)
    check: Callable[[Any], bool]
    accepted: str              # for error messages
    preprocessing: bool = False  # changes the data, not the model


SETTINGS: dict[str, Setting] = {s.name: s for s in [
    Setting("model", "lstm32", lambda v: v in EXPERIMENTS, ", ".join(EXPERIMENTS)),
    Setting("maxlen", MAXLEN, _int(1), "an int >= 1 (tokens kept from the end)", True),
    Setting("num_words", None, _opt_int(3), "an int >= 3 or null (all words)", True),
    Setting("num_train", None, _opt_int(2), "an int >= 2 or null (all 25,000 reviews)", True),
    Setting("num_test", None, _opt_int(1), "an int >= 1 or null (all 25,000 reviews)", True),
    Setting("embedding_dim", EMBEDDING_DIM, _int(1), "an int >= 1"),
    Setting("cell", "lstm", lambda v: v in CELLS, ", ".join(CELLS)),
    Setting("units", None, _opt_int(1), "an int >= 1 or null (the model's own: 32, 4)"),
    Setting("optimizer", "rmsprop", lambda v: v in OPTIMIZERS, ", ".join(OPTIMIZERS)),
    Setting("lr", None, _opt_positive, "a number > 0 or null (the optimizer's default)"),
    Setting("batch_size", 128, _int(1), "an int >= 1"),
    Setting("epochs", 30, _int(1), "an int >= 1"),
    Setting("patience", 0, _int(0), "an int >= 0 (EarlyStopping on val_acc)"),
    Setting("validation_split", 0.2, _fraction, "a number between 0 and 1"),
]}
PREPROCESSING = tuple(name for name, s in SETTINGS.items() if s.preprocessing)
TUTORIAL = {name: s.tutorial for name, s in SETTINGS.items()}
SWEEP_FILE_KEYS = ("seeds", "first_seed", "grid", "title", "intro")


def check_value(name: str, value: Any, where: str = "") -> Any:
    """``value`` if it is valid for setting ``name``, else a ValueError naming both."""
    if name not in SETTINGS:
        raise ValueError(f"{where}unknown setting {name!r}; accepted: {', '.join(SETTINGS)}")
    setting = SETTINGS[name]
    if not setting.check(value):
        raise ValueError(f"{where}{name}={value!r}; accepted: {setting.accepted}")
    return float(value) if name in ("lr", "validation_split") and value is not None else value


def normalise(config: dict) -> dict:
    """The same run under one name: ff has no cell or units; lstm1's one unit is fixed."""
    config = dict(config)
    if config["model"] == "ff":
        config["cell"] = config["units"] = None
    elif config["model"] == "lstm1":
        config["units"] = None
    elif config["units"] == TUTORIAL_UNITS[config["model"]]:
        config["units"] = None  # the model's own width, spelt out
    return config


def tutorial_setting(name: str, model: str) -> Any:
    """The tutorial's value of setting ``name`` for ``model``, as `display_value` shows it."""
    return display_value(name, normalise({**TUTORIAL, "model": model}))


NOT_APPLICABLE = "-"


def display_value(name: str, config: dict) -> Any:
    """The value to show: the model's own width instead of null, '-' where it has none."""
    value = config[name]
    if name == "cell" and config["model"] == "ff":
        return NOT_APPLICABLE
    if name == "units":
        return NOT_APPLICABLE if config["model"] == "ff" else \
            value or TUTORIAL_UNITS[config["model"]]
    return value


def swept_settings(grid: dict[str, list]) -> list[str]:
    """The settings given more than one value, in `SETTINGS` order."""
    return [name for name in SETTINGS if len(grid.get(name, ())) > 1]


def grid_configs(grid: dict[str, list]) -> list[dict]:
    """Every configuration of the product of ``grid`` (other keys: the tutorial's), once each.

    Order: the grid's keys vary like nested loops, the first slowest.
    """
    for name, values in grid.items():
        if not isinstance(values, list) or not values:
            raise ValueError(f"grid {name}={values!r}; accepted: a non-empty list of values")
        for v in values:
            check_value(name, v, "grid: ")
    names = list(grid)
    seen: dict[str, dict] = {}
    for combo in itertools.product(*(grid[n] for n in names)):
        config = normalise({**TUTORIAL, **dict(zip(names, combo))})
        seen.setdefault(config_key(config), config)
    return list(seen.values())


def config_key(config: dict) -> str:
    return json.dumps(config, sort_keys=True)


def preprocessing_of(config: dict) -> tuple:
    return tuple(config[name] for name in PREPROCESSING)


def read_sweep_file(path: str | Path) -> dict:
    """A sweep file (TOML or JSON): ``seeds``, ``first_seed``, a ``grid`` table, and the
    report's ``title`` and ``intro`` (Markdown put under the title).

    In the grid each setting is a value or a list of values, for example::

        seeds = 3
        title = "MAXLEN and the four models"
        [grid]
        model = ["ff", "lstm1", "lstm4", "lstm32"]
        maxlen = [20, 100, 400]
        epochs = 30
    """
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".toml":
        try:
            import tomllib
        except ModuleNotFoundError:  # Python 3.10
            import tomli as tomllib
        try:
            spec = tomllib.loads(text)
        except tomllib.TOMLDecodeError as err:
            raise ValueError(f"{path}: not valid TOML: {err}") from err
    elif path.suffix == ".json":
        try:
            spec = json.loads(text)
        except json.JSONDecodeError as err:
            raise ValueError(f"{path}: not valid JSON: {err}") from err
    else:
        raise ValueError(f"sweep file {str(path)!r}; accepted: a .toml or .json file")
    if not isinstance(spec, dict):
        raise ValueError(f"{path}: accepted a table with keys {', '.join(SWEEP_FILE_KEYS)}")
    unknown = sorted(set(spec) - set(SWEEP_FILE_KEYS))
    if unknown:
        raise ValueError(f"{path}: unknown keys {unknown}; accepted: {', '.join(SWEEP_FILE_KEYS)}"
                         " (settings go in the [grid] table)")
    grid = spec.get("grid", {})
    if not isinstance(grid, dict):
        raise ValueError(f"{path}: grid={grid!r}; accepted: a table of setting = value(s)")
    spec["grid"] = {name: values if isinstance(values, list) else [values]
                    for name, values in grid.items()}
    for name, values in spec["grid"].items():
        for v in values:
            check_value(name, v, f"{path}: grid: ")
    for key in ("title", "intro"):
        if key in spec and not isinstance(spec[key], str):
            raise ValueError(f"{path}: {key}={spec[key]!r}; accepted: a string")
    for key, minimum in (("seeds", 1), ("first_seed", 0)):
        if key in spec and not _int(minimum)(spec[key]):
            raise ValueError(f"{path}: {key}={spec[key]!r}; accepted: an int >= {minimum}")
    return spec
