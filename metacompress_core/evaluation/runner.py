"""`metacompress eval`: a dataset slice, a teacher and its students -> results.json, report.md, report.html.

The inputs go in fixed chunks (by index) to an engine (this process, or Ray Data); each chunk's records are
persisted as it finishes, so a re-run skips complete chunks. Every number is computed from the records at the
end, in index order, so a resumed run and a fresh one (and both engines) give the same results for a seed.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from metacompress_core import __version__
from metacompress_core.errors import MetaCompressError
from metacompress_core.evaluation.aggregate import aggregate
from metacompress_core.evaluation.attacks import check_strategies
from metacompress_core.evaluation.baseline import EvalBaseline, compare_with_baseline
from metacompress_core.evaluation.inputs import EvalInput, load_inputs
from metacompress_core.evaluation.metrics import cka_matrix
from metacompress_core.evaluation.models import ModelSpec, describe, load_models
from metacompress_core.evaluation.ray_engine import evaluate_on_ray
from metacompress_core.evaluation.records import EvalSettings, evaluate_chunk
from metacompress_core.evaluation.report_html import render_html
from metacompress_core.evaluation.report_md import render_markdown
from metacompress_core.evaluation.representations import layer_states
from metacompress_core.evaluation.store import RESULTS, SCHEMA, RecordStore
from metacompress_core.models.base import Backend, canonical_task
from metacompress_core.relations import Thresholds
from metacompress_core.report.io import write_atomic

ENGINES = ("local", "ray")


@dataclass(frozen=True)
class EvalConfig:
    task: str
    dataset: str
    out: str
    models: ModelSpec
    settings: EvalSettings = field(default_factory=EvalSettings)
    split: str = "test"
    limit: int | None = None
    engine: str = "local"
    replicas: int | None = None  # Ray: model replicas (actors); default one per GPU, else one
    cka_inputs: int = 256  # originals whose hidden states are compared (the first N of the slice)
    thresholds: Thresholds = field(default_factory=Thresholds)


Progress = Callable[[int, int], None]


def run_eval(
    config: EvalConfig, progress: Progress | None = None, baseline: EvalBaseline | None = None
) -> dict:
    """Evaluate, write the three reports into `config.out` and return the results; with a `baseline` (an
    earlier evaluation, `load_eval_baseline`), each student is also compared with the baseline's
    (results["baseline"])."""
    started = time.perf_counter()
    task = canonical_task(config.task)
    if config.engine not in ENGINES:
        raise MetaCompressError(f"unknown engine {config.engine!r}: use local or ray")
    check_strategies(config.settings.attacks)
    if config.settings.budget < 1:
        raise MetaCompressError(f"--budget must be at least 1, got {config.settings.budget}")
    items = load_inputs(task, config.dataset, config.split, config.limit)
    models = load_models(config.models)
    labels = tuple(models["teacher"].labels)
    identity = {
        "schema": SCHEMA,
        "task": task,
        "dataset": str(Path(config.dataset).resolve()),
        "split": config.split,
        "models": {role: m.fingerprint for role, m in models.items()},
        "settings": config.settings.to_json(),
    }
    store = RecordStore(Path(config.out), identity)
    store.check_ids({x.index: x.id for x in items})
    chunks = [items[i : i + config.settings.chunk] for i in range(0, len(items), config.settings.chunk)]
    todo = [c for c in chunks if not store.done([x.index for x in c])]
    skipped = len(items) - sum(len(c) for c in todo)
    done = skipped
    if progress:
        progress(done, len(items))

    def finished(lines: list[str]) -> None:
        nonlocal done
        store.add(lines)
        done += len(lines)
        if progress:
            progress(done, len(items))

    evaluated_at = time.perf_counter()
    if todo and config.engine == "ray":
        del models  # the actors load their own replicas
        evaluate_on_ray(todo, config.models, config.settings, finished, config.replicas)
        models = load_models(config.models)
    else:
        for chunk in todo:
            finished(evaluate_chunk(chunk, models, config.settings))
    evaluation_seconds = time.perf_counter() - evaluated_at
    records = store.ordered(len(items))
    results = aggregate(records, tuple(models), labels, config.thresholds, config.settings.attacks)
    results["representations"] = representational_fidelity(models, items[: config.cka_inputs])
    results = {
        "schema": SCHEMA,
        "version": __version__,
        "config": {
            "task": task,
            "dataset": str(Path(config.dataset).resolve()),
            "split": config.split,
            "limit": config.limit,
            "engine": config.engine,
            "seed": config.settings.seed,
            "settings": config.settings.to_json(),
            "thresholds": config.thresholds.__dict__,
            "cka_inputs": min(config.cka_inputs, len(items)),
        },
        "labels": list(labels),
        "models": describe(config.models, models),
        **results,
        "timing": {
            "inputs_evaluated_now": len(items) - skipped,
            "inputs_resumed": skipped,
            "evaluation_seconds": evaluation_seconds,
            "total_seconds": time.perf_counter() - started,
        },
    }
    if baseline is not None:
        results["baseline"] = compare_with_baseline(baseline, records, results, config.thresholds)
    write_reports(Path(config.out), results)
    return results


def representational_fidelity(models: dict[str, Backend], items: list[EvalInput]) -> dict:
    """Layer-wise linear CKA between the teacher's and each student's hidden states on the originals."""
    if len(items) < 2:
        return {"skipped": "CKA needs at least two inputs"}
    inputs = [item.model_input() for item in items]
    teacher = layer_states(models["teacher"], inputs)
    if teacher is None:
        return {"skipped": f"the teacher ({models['teacher'].name}) gives no hidden states"}
    out: dict = {
        "inputs": len(items),
        "representation": "what the head reads after each encoder layer (first-token vector; mean-pooled models: the mean of the token vectors)",
    }
    for role, model in models.items():
        if role == "teacher":
            continue
        student = layer_states(model, inputs)
        if student is None:
            out[role] = {"skipped": f"{model.name} gives no hidden states"}
            continue
        matrix = cka_matrix(teacher, student)
        out[role] = {
            "teacher_layers": len(teacher),
            "student_layers": len(student),
            "matrix": matrix,
            "last_layer": matrix[-1][-1],
            "best_per_student_layer": [
                max((v for v in col if v is not None), default=None) for col in zip(*matrix, strict=True)
            ],
        }
    return out


def write_reports(out: Path, results: dict) -> None:
    write_atomic(out / RESULTS, json.dumps(results, indent=1, sort_keys=True) + "\n")
    write_atomic(out / "report.md", render_markdown(results))
    write_atomic(out / "report.html", render_html(results))
