"""Settings from `.metacompress.toml` or `[tool.metacompress]` in pyproject.toml, overridden by the command line.

[tool.metacompress]
budget = 16            # variants per function
compositions = 4       # of which random compositions
seed = 0
transforms = ["rename-variable", "for-to-while"]   # default: all of the language's
fail_on = 0.25         # `check` exits 1 above this violation rate
device = "auto"        # auto | cpu | cuda
threads = 2
batch_size = 32
cache = true
cache_dir = "~/.cache/metacompress"

[tool.metacompress.thresholds]
js_eps = 0.05
confidence_tau = 0.9
calibration_delta = 0.1

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
from metacompress_core.models.device import DeviceOptions
from metacompress_core.relations import Thresholds

_TOP_KEYS = {
    "budget",
    "compositions",
    "max_steps",
    "seed",
    "transforms",
    "partners",
    "fail_on",
    "device",
    "threads",
    "batch_size",
    "half",
    "cache",
    "cache_dir",
    "thresholds",
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
    _no_unknown(table, _TOP_KEYS, where)
    base = source.parent if source else Path.cwd()
    try:
        thresholds = Thresholds(**_only(table.get("thresholds", {}), Thresholds, f"{where} [thresholds]"))
        engine = EngineConfig(
            **{
                k: table[k] for k in ("budget", "compositions", "max_steps", "seed", "partners") if k in table
            },
            thresholds=thresholds,
            transforms=tuple(table["transforms"]) if "transforms" in table else None,
        )
        device = DeviceOptions(
            **{k: table[k] for k in ("device", "threads", "batch_size", "half") if k in table}
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
        cache=bool(table.get("cache", True)),
        cache_dir=_resolve(base, cache_dir) if cache_dir else None,
        source=source,
    )


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
