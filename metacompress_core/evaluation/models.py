"""The models of an evaluation: one teacher and its students, loaded by role ("teacher", "student-1", ...)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from metacompress_core.errors import MetaCompressError
from metacompress_core.models.base import Backend, check_compatible
from metacompress_core.models.device import DeviceOptions
from metacompress_core.models.loading import load_backend


@dataclass(frozen=True)
class ModelSpec:
    """Everything needed to load the models again (in another process, e.g. a Ray actor)."""

    task: str
    teacher: str
    students: tuple[str, ...]
    weights_dir: str | None = None
    allow_pickle: bool = False
    device: str = "auto"
    threads: int | None = None
    batch_size: int = 32

    @property
    def roles(self) -> tuple[str, ...]:
        return ("teacher", *(f"student-{i + 1}" for i in range(len(self.students))))

    def paths(self) -> dict[str, str]:
        return dict(zip(self.roles, (self.teacher, *self.students), strict=True))


def load_models(spec: ModelSpec) -> dict[str, Backend]:
    """Every model by role; each must be a model of `spec.task` with the teacher's labels."""
    options = DeviceOptions(device=spec.device, threads=spec.threads, batch_size=spec.batch_size)
    models: dict[str, Backend] = {}
    for role, path in spec.paths().items():
        backend = load_backend(
            path,
            task=spec.task,
            options=options,
            allow_pickle=spec.allow_pickle,
            weights_dir=spec.weights_dir,
        )
        if backend.task is None:
            raise MetaCompressError(
                f'{role} {path!r} states no task: add "task": "{spec.task}" to its metacompress.json'
            )
        models[role] = backend
    teacher = models["teacher"]
    for role, backend in models.items():
        if role != "teacher":
            check_compatible(teacher, backend)
    return models


def describe(spec: ModelSpec, models: dict[str, Backend]) -> dict[str, dict]:
    """What results.json records about each model: name, path, fingerprint, labels."""
    return {
        role: {
            "name": m.name,
            "path": str(Path(spec.paths()[role]).expanduser().resolve()),
            "fingerprint": m.fingerprint,
            "task": m.task,
            "labels": list(m.labels),
        }
        for role, m in models.items()
    }
