"""`check`: source files -> units -> (models per language) -> engine -> findings, for the CLI and scripts."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from metacompress_core.code import detect_language, extract_units, read_source
from metacompress_core.code.files import source_files
from metacompress_core.code.units import Unit, unparsed_lines
from metacompress_core.config import ModelPair, Settings
from metacompress_core.default_models import TASK_OF_LANGUAGE, default_pair
from metacompress_core.engine import Finding, check_units
from metacompress_core.errors import MetaCompressError
from metacompress_core.models import Backend, CachedBackend, PredictionCache, load_backend
from metacompress_core.transforms.base import TransformStats


@dataclass
class CheckResult:
    findings: list[Finding]
    files: list[Path]
    skipped: list[str]  # "path: why" for what was not checked: unusable files, code that does not parse
    models: dict[str, tuple[Backend, Backend]]  # by language
    stats: TransformStats
    elapsed: float = 0.0
    units: int = 0
    texts: dict[str, str] = field(default_factory=dict)  # path -> source text, for column conversion
    notes: list[str] = field(default_factory=list)  # things the user should know about the results


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
    teacher = _load(pair.teacher, options)
    student = _load(pair.student, options)
    if not settings.cache:
        return teacher, student
    cache = PredictionCache(settings.cache_dir)
    return CachedBackend(teacher, cache), CachedBackend(student, cache)


def _load(path: Path, options: dict) -> Backend:
    """One model; a file the loader cannot read (truncated or garbage weights, a pickle that is no state dict,
    an unreadable file) is the user's to fix, so it becomes a MetaCompressError naming the model."""
    try:
        return load_backend(path, **options)
    except MetaCompressError:
        raise
    except (Exception, RecursionError) as e:  # safetensors, torch, transformers and OS errors alike
        detail = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise MetaCompressError(
            f"cannot load the model {path}: {detail} ({type(e).__name__}); check that its files are complete "
            "(re-save or re-download it)"
        ) from None


def check_paths(paths: list[str]) -> None:
    """Refuse named paths that cannot be read as sources without blocking or looping: a FIFO, socket or
    device (reading one waits forever), a symlink loop or a dangling symlink."""
    for raw in paths:
        path = Path(raw)
        if os.path.lexists(path) and not os.path.exists(path):
            raise MetaCompressError(
                f"{path} is a dangling symlink or a symlink loop: pass a source file or folder"
            )
        if path.exists() and not (path.is_dir() or path.is_file()):
            raise MetaCompressError(
                f"{path} is not a regular file (a FIFO, socket or device): pass a source file or folder"
            )


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
    check_paths(paths)
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
        units = extract_units(text, language, str(file))
        by_language.setdefault(language.name, []).extend(units)
        for first, last in unparsed_lines(text, language, units):
            where = f"line {first}" if first == last else f"lines {first}-{last}"
            skipped.append(
                f"{file} {where}: {language.name.capitalize()} code that does not parse; the functions there are not checked"
            )
    total = sum(len(u) for u in by_language.values())
    result = CheckResult([], files, skipped, {}, TransformStats(), texts=texts, units=total)
    # Which models check each language, decided before any model loads: a language without models is skipped
    # with one line while others have them (a mixed folder keeps its Java and C results); alone, it is an error.
    pairs: dict[str, ModelPair] = {}
    missing: dict[str, MetaCompressError] = {}
    for language, units in by_language.items():
        if not units:
            continue
        try:
            pairs[language] = model_pair(language, settings, teacher, student, task)
        except MetaCompressError as e:
            missing[language] = e
    if missing and not pairs:
        raise next(iter(missing.values()))
    for language, error in missing.items():
        names = sorted({u.path for u in by_language[language]})
        shown = ", ".join(Path(n).name for n in names[:3]) + (", ..." if len(names) > 3 else "")
        result.skipped.append(f"{len(names)} {language} file(s) ({shown}): {error}")
        total -= len(by_language[language])
    result.units = total
    loaded: dict[ModelPair, tuple[Backend, Backend]] = {}
    for language, pair in pairs.items():
        units = by_language[language]
        if pair not in loaded:
            loaded[pair] = load_pair(pair, settings, allow_pickle, weights_dir)
        result.models[language] = loaded[pair]
        meant = sorted(lang for lang, t in TASK_OF_LANGUAGE.items() if t == loaded[pair][0].task)
        if meant and language not in meant:
            result.notes.append(
                f"the {language} files are checked with {loaded[pair][0].task} models, made for "
                f"{' and '.join(meant)} code: their findings may say little"
            )
        for finding in check_units(units, *loaded[pair], settings.engine, stats=result.stats):
            result.findings.append(finding)
            if progress is not None:
                progress(len(result.findings), total, finding)
    result.elapsed = time.perf_counter() - started
    return result
