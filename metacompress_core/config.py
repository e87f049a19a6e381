"""Settings from `.metacompress.toml` or `[tool.metacompress]` in pyproject.toml, overridden by the command line.

[tool.metacompress]
budget = 16            # variants per function
compositions = 4       # of which random compositions
max_budget = 64        # the editor doubles `budget` up to this while the person is idle (<= budget: never)
seed = 0
strategy = "default"   # default | guided | random | greedy | ga | mhm: how variants are chosen (plan/planners.py)
transforms = ["rename-variable", "for-to-while"]   # default: all of the language's
fail_on = 0.25         # `check` exits 1 above this violation rate
device = "auto"        # auto | cpu | cuda
threads = 2
backend = "torch"      # torch | onnx (ONNX Runtime on the CPU for Hugging Face folders; the onnx extra)
batch_size = 32
cache = true
cache_dir = "~/.cache/metacompress"

[tool.metacompress.thresholds]
js_eps = 0.05
confidence_tau = 0.9
calibration_delta = 0.1

[tool.metacompress.evidence]       # what a finding needs (docs/RELATIONS.md "Severity")
reference = 0.7                    # the teacher's confidence for its answer to count
margin = 0.1                       # an answer is decided when it leads the next class by this much

[tool.metacompress.models.c]       # per language: java, c, python
teacher = "models/vuln-teacher"    # relative paths are relative to the settings file
student = "models/vuln-student"
task = "vuln"
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from metacompress_core.engine import EngineConfig
from metacompress_core.errors import MetaCompressError
from metacompress_core.evidence import Policy
from metacompress_core.models.device import DeviceOptions
from metacompress_core.plan.planners import PLANNERS
from metacompress_core.relations import Thresholds

_TOP_KEYS = {
    "budget",
    "max_budget",
    "compositions",
    "max_steps",
    "seed",
    "strategy",
    "transforms",
    "partners",
    "fail_on",
    "device",
    "threads",
    "batch_size",
    "half",
    "backend",
    "cache",
    "cache_dir",
    "thresholds",
    "evidence",
    "models",
}
_MODEL_KEYS = {"teacher", "student", "task", "allow_pickle", "weights_dir"}


@dataclass(frozen=True)
class ModelPair:
    teacher: Path
    student: Path
    task: str | None = None
    allow_pickle: bool = False
    weights_dir: Path | None = None  # where manifests' weight paths are relative to (default: their folder)


@dataclass(frozen=True)
class Settings:
    engine: EngineConfig = field(default_factory=EngineConfig)
    device: DeviceOptions = field(default_factory=DeviceOptions)
    models: dict[str, ModelPair] = field(default_factory=dict)  # by language
    fail_on: float | None = None
    max_budget: int = 64  # the editor's idle deepening: budget doubles up to this (at or below budget: off)
    cache: bool = True
    cache_dir: Path | None = None
    source: Path | None = None  # the settings file these came from


def find_settings_file(start: Path) -> Path | None:
    """The nearest `.metacompress.toml`, or pyproject.toml with a [tool.metacompress] table, at or above `start`."""
    start = start.resolve()
    for folder in [start, *start.parents] if start.is_dir() else [start.parent, *start.parent.parents]:
        own = folder / ".metacompress.toml"
        if own.is_file():
            return own
        pyproject = folder / "pyproject.toml"
        if pyproject.is_file() and "metacompress" in _read_toml(pyproject).get("tool", {}):
            return pyproject
    return None


def load_settings(path: Path | None) -> Settings:
    """Settings from a file (None: the defaults)."""
    if path is None:
        return Settings()
    data = _read_toml(path)
    table = data.get("tool", {}).get("metacompress", {}) if path.name == "pyproject.toml" else data
    return settings_from_table(table, path)


def settings_from_table(table: dict[str, Any], source: Path | None = None) -> Settings:
    where = str(source) if source else "settings"
    if not isinstance(table, dict):
        raise MetaCompressError(f"{where}: the settings must be a table, got {_kind(table)}")
    _no_unknown(table, _TOP_KEYS, where)
    _check_types(table, where)
    base = source.parent if source else Path.cwd()
    try:
        thresholds = Thresholds(**_only(table.get("thresholds", {}), Thresholds, f"{where} [thresholds]"))
        engine = EngineConfig(
            **{
                k: table[k]
                for k in ("budget", "compositions", "max_steps", "seed", "partners", "strategy")
                if k in table
            },
            thresholds=thresholds,
            evidence=Policy(**_only(table.get("evidence", {}), Policy, f"{where} [evidence]")),
            transforms=tuple(table["transforms"]) if "transforms" in table else None,
        )
        device = DeviceOptions(
            **{k: table[k] for k in ("device", "threads", "batch_size", "half", "backend") if k in table}
        )
    except (TypeError, ValueError) as e:
        raise MetaCompressError(f"{where}: {e}") from None
    models = {}
    for language, spec in table.get("models", {}).items():
        _no_unknown(spec, _MODEL_KEYS, f"{where} [models.{language}]")
        if "teacher" not in spec or "student" not in spec:
            raise MetaCompressError(f"{where} [models.{language}] needs both `teacher` and `student`")
        models[language] = ModelPair(
            _resolve(base, spec["teacher"]),
            _resolve(base, spec["student"]),
            spec.get("task"),
            bool(spec.get("allow_pickle", False)),
            _resolve(base, spec["weights_dir"]) if spec.get("weights_dir") else None,
        )
    cache_dir = table.get("cache_dir")
    return Settings(
        engine=engine,
        device=device,
        models=models,
        fail_on=table.get("fail_on"),
        max_budget=table.get("max_budget", Settings.max_budget),
        cache=bool(table.get("cache", True)),
        cache_dir=_resolve(base, cache_dir) if cache_dir else None,
        source=source,
    )


def check_budget(value: Any, name: str = "budget") -> None:
    """A budget is a whole number of variants, at least 1 (0 or fewer would check nothing and pass)."""
    if not _is_int(value) or value < 1:
        raise MetaCompressError(f"`{name}` must be a whole number of variants, at least 1; got {value!r}")


def check_max_budget(value: Any, name: str = "max_budget") -> None:
    """The most variants per function the editor deepens to: a whole number, 0 (or anything at or below
    `budget`) for no deepening; a negative or fractional cap is a mistake, not a way to say "off"."""
    if not _is_int(value) or value < 0:
        raise MetaCompressError(
            f"`{name}` must be a whole number of variants, at least 0 (at or below `budget`: no deepening); "
            f"got {value!r}"
        )


def check_fail_on(value: Any, name: str = "fail_on") -> None:
    """A violation rate: a finite number in [0, 1] (NaN would never be exceeded)."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0.0 <= value <= 1.0:
        raise MetaCompressError(f"`{name}` must be a violation rate between 0 and 1; got {value!r}")


def check_strategy(value: Any, name: str = "strategy") -> None:
    """A planner's name (plan/planners.py)."""
    if value not in PLANNERS:
        known = ", ".join(f'"{p}"' for p in PLANNERS)
        raise MetaCompressError(f"`{name}` must be one of {known}; got {value!r}")


DEVICES = ("auto", "cpu", "cuda")
TASKS = ("vuln", "clone")


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _kind(value: Any) -> str:
    names = {str: "a string", bool: "a boolean", int: "a number", float: "a number", list: "a list"}
    names |= {dict: "a table", type(None): "nothing"}
    return names.get(type(value), type(value).__name__)


def _check_types(table: dict[str, Any], where: str) -> None:
    """Refuse values of the wrong type, naming the setting, before anything is built from them."""

    def bad(key: str, wanted: str) -> MetaCompressError:
        return MetaCompressError(f"{where}: `{key}` must be {wanted}, got {_kind(table[key])} {table[key]!r}")

    if "budget" in table:
        try:
            check_budget(table["budget"])
        except MetaCompressError as e:
            raise MetaCompressError(f"{where}: {e}") from None
    if "max_budget" in table:
        try:
            check_max_budget(table["max_budget"])
        except MetaCompressError as e:
            raise MetaCompressError(f"{where}: {e}") from None
    for key, low in (("compositions", 0), ("max_steps", 1), ("partners", 1), ("threads", 1)):
        if key in table and (not _is_int(table[key]) or table[key] < low):
            raise bad(key, f"a whole number, at least {low}")
    if "seed" in table and not _is_int(table["seed"]):
        raise bad("seed", "a whole number")
    if "batch_size" in table and (not _is_int(table["batch_size"]) or table["batch_size"] < 1):
        raise bad("batch_size", "a whole number, at least 1")
    if "transforms" in table and (
        not isinstance(table["transforms"], list) or not all(isinstance(t, str) for t in table["transforms"])
    ):
        raise bad("transforms", "a list of transform names")
    if "fail_on" in table:
        try:
            check_fail_on(table["fail_on"])
        except MetaCompressError as e:
            raise MetaCompressError(f"{where}: {e}") from None
    if "device" in table and (
        not isinstance(table["device"], str)
        or not (table["device"] in DEVICES or table["device"].startswith("cuda:"))
    ):
        raise bad("device", "one of " + ", ".join(f'"{d}"' for d in DEVICES) + ' (or "cuda:N")')
    if "strategy" in table:
        try:
            check_strategy(table["strategy"])
        except MetaCompressError as e:
            raise MetaCompressError(f"{where}: {e}") from None
    if "backend" in table and table["backend"] not in ("torch", "onnx"):
        raise bad("backend", '"torch" or "onnx"')
    for key in ("half", "cache"):
        if key in table and not isinstance(table[key], bool):
            raise bad(key, "true or false")
    if "cache_dir" in table and not isinstance(table["cache_dir"], str):
        raise bad("cache_dir", "a folder path (a string)")
    for group in ("thresholds", "evidence"):
        if group not in table:
            continue
        if not isinstance(table[group], dict):
            raise bad(group, "a table of numbers")
        for name, value in table[group].items():
            if isinstance(value, bool) or not isinstance(value, int | float) or value != value:
                raise MetaCompressError(
                    f"{where}: `{group}.{name}` must be a number, got {_kind(value)} {value!r}"
                )
    if "models" in table:
        if not isinstance(table["models"], dict):
            raise bad("models", "a table of languages, each with a `teacher` and a `student`")
        for language, spec in table["models"].items():
            name = f"models.{language}"
            if not isinstance(spec, dict):
                raise MetaCompressError(
                    f"{where}: `{name}` must be a table with `teacher` and `student`, got {_kind(spec)} {spec!r}"
                )
            for key in ("teacher", "student", "weights_dir"):
                if key in spec and (not isinstance(spec[key], str) or not spec[key]):
                    raise MetaCompressError(
                        f"{where}: `{name}.{key}` must be a path (a string), got {_kind(spec[key])} {spec[key]!r}"
                    )
            if "task" in spec and spec["task"] not in TASKS:
                raise MetaCompressError(
                    f"{where}: `{name}.task` must be one of {', '.join(TASKS)}, got {spec['task']!r}"
                )
            if "allow_pickle" in spec and not isinstance(spec["allow_pickle"], bool):
                raise MetaCompressError(f"{where}: `{name}.allow_pickle` must be true or false")


def with_overrides(settings: Settings, **engine_overrides: Any) -> Settings:
    """Settings with command-line values (those not None) laid over the file's."""
    given = {k: v for k, v in engine_overrides.items() if v is not None}
    return replace(settings, engine=replace(settings.engine, **given)) if given else settings


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as e:
        raise MetaCompressError(f"cannot read settings file {path}: {e}") from None
    except tomllib.TOMLDecodeError as e:
        raise MetaCompressError(f"settings file {path} is not valid TOML: {e}") from None


def _no_unknown(table: dict[str, Any], allowed: set[str], where: str) -> None:
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise MetaCompressError(
            f"{where}: unknown setting(s) {', '.join(unknown)}; known: {', '.join(sorted(allowed))}"
        )


def _only(table: dict[str, Any], cls, where: str) -> dict[str, Any]:
    _no_unknown(table, {f.name for f in fields(cls)}, where)
    return table


def _resolve(base: Path, value: str) -> Path:
    path = Path(value).expanduser()
    return path if path.is_absolute() else base / path
