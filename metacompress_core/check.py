"""`check`: source files -> units -> (models per language) -> engine -> findings, for the CLI and scripts."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from metacompress_core.code import detect_language, extract_units, read_source
from metacompress_core.code.files import source_files
from metacompress_core.code.units import Unit
from metacompress_core.config import ModelPair, Settings
from metacompress_core.default_models import default_pair
from metacompress_core.engine import Finding, check_units
from metacompress_core.errors import MetaCompressError
from metacompress_core.models import Backend, CachedBackend, PredictionCache, load_backend
from metacompress_core.transforms.base import TransformStats


@dataclass
class CheckResult:
    findings: list[Finding]
    files: list[Path]
    skipped: list[str]  # "path: why" for files below a directory that could not be used
    models: dict[str, tuple[Backend, Backend]]  # by language
    stats: TransformStats
    elapsed: float = 0.0
    units: int = 0
    texts: dict[str, str] = field(default_factory=dict)  # path -> source text, for column conversion


def model_pair(language: str, settings: Settings, teacher: str | None, student: str | None, task: str | None):
    """Which models check `language`: the command line, else the settings file, else the embedded defaults."""
    if (teacher is None) != (student is None):
        raise MetaCompressError(
            "pass both --teacher and --student, or neither (to use the configured models)"
        )
    if teacher is not None:
        return ModelPair(Path(teacher), Path(student), task)
    if language in settings.models:
        pair = settings.models[language]
        return pair if task is None else replace(pair, task=task)
    t, s, default_task = default_pair(language)
    return ModelPair(t, s, task or default_task)


def load_pair(
    pair: ModelPair, settings: Settings, allow_pickle: bool = False, weights_dir: str | None = None
) -> tuple[Backend, Backend]:
    """Both models (behind the prediction cache unless it is switched off). `weights_dir`: where manifests'
    weight paths are relative to (default: the manifest's own folder)."""
    pickle = allow_pickle or pair.allow_pickle
    options = {
        "task": pair.task,
        "options": settings.device,
        "allow_pickle": pickle,
        "weights_dir": weights_dir or pair.weights_dir,
    }
    teacher = load_backend(pair.teacher, **options)
    student = load_backend(pair.student, **options)
    if not settings.cache:
        return teacher, student
    cache = PredictionCache(settings.cache_dir)
    return CachedBackend(teacher, cache), CachedBackend(student, cache)


def run_check(
    paths: list[str],
    settings: Settings,
    teacher: str | None = None,
    student: str | None = None,
    task: str | None = None,
    allow_pickle: bool = False,
    progress: Callable[[int, int, Finding], None] | None = None,
    weights_dir: str | None = None,
) -> CheckResult:
    started = time.perf_counter()
    files = source_files(paths)
    named = {Path(p) for p in paths}
    by_language: dict[str, list[Unit]] = {}
    skipped: list[str] = []
    texts: dict[str, str] = {}
    for file in files:
        try:
            language = detect_language(file)
            text = read_source(file)
        except MetaCompressError as e:
            if file in named:
                raise
            skipped.append(f"{file}: {e}")
            continue
        texts[str(file)] = text
        by_language.setdefault(language.name, []).extend(extract_units(text, language, str(file)))
    total = sum(len(u) for u in by_language.values())
    result = CheckResult([], files, skipped, {}, TransformStats(), texts=texts, units=total)
    loaded: dict[ModelPair, tuple[Backend, Backend]] = {}
    for language, units in by_language.items():
        if not units:
            continue
        pair = model_pair(language, settings, teacher, student, task)
        if pair not in loaded:
            loaded[pair] = load_pair(pair, settings, allow_pickle, weights_dir)
        result.models[language] = loaded[pair]
        for finding in check_units(units, *loaded[pair], settings.engine, stats=result.stats):
            result.findings.append(finding)
            if progress is not None:
                progress(len(result.findings), total, finding)
    result.elapsed = time.perf_counter() - started
    return result
