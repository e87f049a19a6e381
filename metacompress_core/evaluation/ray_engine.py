"""The Ray engine: the same chunks, evaluated on Ray Data by a pool of actors, each holding one replica of
every model (teacher and students), on a GPU each when there are GPUs.

Each dataset row is one whole chunk, so a chunk's model batches are exactly those of the local engine and the
records are identical for a seed. Records stream back to the driver, which persists them as they come.
Needs the optional extra: pip install 'metacompress[ray]'.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np

from metacompress_core.errors import MetaCompressError
from metacompress_core.evaluation.inputs import EvalInput
from metacompress_core.evaluation.models import ModelSpec, load_models
from metacompress_core.evaluation.records import EvalSettings, evaluate_chunk


class ChunkEvaluator:
    """A Ray Data actor: loads the models once, then evaluates one chunk per row."""

    def __init__(self, spec: ModelSpec, settings: EvalSettings):
        self.models = load_models(spec)
        self.settings = settings

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        out = []
        for chunk in batch["chunk"]:
            items = [EvalInput.from_json(d) for d in json.loads(chunk)]
            out.append(json.dumps(evaluate_chunk(items, self.models, self.settings)))
        return {"lines": np.asarray(out, dtype=object)}


def evaluate_on_ray(
    chunks: list[list[EvalInput]],
    spec: ModelSpec,
    settings: EvalSettings,
    finished: Callable[[list[str]], None],
    replicas: int | None = None,
) -> None:
    try:
        import ray
        import ray.data
    except ImportError:
        raise MetaCompressError(
            "--engine ray needs Ray: pip install 'metacompress[ray]' (or use --engine local)"
        ) from None
    if not ray.is_initialized():
        ray.init(include_dashboard=False, log_to_driver=False)
    gpus = int(ray.cluster_resources().get("GPU", 0))
    actors = replicas or max(gpus, 1)
    if actors < 1:
        raise MetaCompressError(f"--replicas must be at least 1, got {actors}")
    context = ray.data.DataContext.get_current()
    context.enable_progress_bars = False
    spec = _absolute(spec)  # workers need not share the driver's working directory
    rows = [{"chunk": json.dumps([x.to_json() for x in chunk])} for chunk in chunks]
    dataset = ray.data.from_items(rows, override_num_blocks=len(rows)).map_batches(
        ChunkEvaluator,
        fn_constructor_kwargs={"spec": spec, "settings": settings},
        batch_size=1,
        concurrency=actors,
        num_gpus=min(1.0, gpus / actors) if gpus else 0,  # more replicas than GPUs share them
        num_cpus=1,
    )
    for row in dataset.iter_rows():
        finished(json.loads(row["lines"]))


def _absolute(spec: ModelSpec) -> ModelSpec:
    def resolve(path: str | None) -> str | None:
        return None if path is None else str(Path(path).expanduser().resolve())

    return replace(
        spec,
        teacher=resolve(spec.teacher),
        students=tuple(resolve(s) for s in spec.students),
        weights_dir=resolve(spec.weights_dir),
    )
