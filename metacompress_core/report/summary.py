"""The numbers of one `check` run, shared by every report format and by `--fail-on`."""

from __future__ import annotations

import dataclasses
import math
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from metacompress_core import __version__
from metacompress_core.evidence import LEVELS
from metacompress_core.findings import Finding
from metacompress_core.models.base import Backend
from metacompress_core.relations import RELATIONS
from metacompress_core.scores import rate_interval

RELATION_NAMES: tuple[str, ...] = tuple(r.name for r in RELATIONS)  # paper relations, then invariances


@dataclass(frozen=True)
class ModelInfo:
    name: str
    fingerprint: str
    labels: tuple[str, ...]
    task: str | None = None

    @classmethod
    def of(cls, backend: Backend | None) -> ModelInfo:
        if backend is None:  # nothing was checked, so no model was loaded
            return cls("(none)", "", ())
        return cls(backend.name, backend.fingerprint, tuple(backend.labels), getattr(backend, "task", None))

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "fingerprint": self.fingerprint,
            "labels": list(self.labels),
            "task": self.task,
        }


@dataclass(frozen=True)
class RunSummary:
    """What one run checked and found.

    `violation_rate` = inputs that break at least one of the paper's four relations / inputs checked, where an
    input is one model input of a function: its original or one of its behaviour-preserving variants (times the
    partners, for clone detection). A model's own invariance breaking alone does not count. This is the number
    `--fail-on RATE` compares against (the run fails when the rate exceeds RATE); 0.0 when nothing was checked.
    """

    tool_version: str
    teacher: ModelInfo
    student: ModelInfo
    config: Mapping[str, Any]  # the EngineConfig as plain JSON values
    files: tuple[str, ...]  # the files checked (empty when only their number was given)
    files_checked: int
    units_checked: int
    findings: Mapping[
        str, int
    ]  # evidence level -> functions shown at that level (docs/RELATIONS.md "Severity")
    units_with_violation: int  # functions where a paper relation breaks on some input
    inputs_checked: int
    inputs_violating: int  # inputs breaking at least one paper relation
    relation_counts: Mapping[
        str, int
    ]  # relation name -> inputs breaking it (paper relations, then invariances)
    elapsed_seconds: float
    skipped: tuple[str, ...] = ()  # what was not checked, and why (unusable files, code that does not parse)
    # 95% interval of the violation rate, functions as clusters (scores.rate_interval, as eval); None below 2.
    violation_rate_ci95: tuple[float, float] | None = None

    @property
    def labels(self) -> tuple[str, ...]:
        return self.teacher.labels

    @property
    def violation_rate(self) -> float:
        return self.inputs_violating / self.inputs_checked if self.inputs_checked else 0.0

    def violation_rate_text(self, digits: int = 3) -> str:
        """The rate with its interval, e.g. `0.624, 95% CI 0.52-0.73 over 23 functions` (none below two)."""
        text = f"{self.violation_rate:.{digits}f}"
        if self.violation_rate_ci95 is None:
            return text
        low, high = self.violation_rate_ci95
        return f"{text}, 95% CI {low:.2f}-{high:.2f} over {self.units_checked} functions"


def summarise(
    findings: Iterable[Finding],
    teacher: Backend | None,
    student: Backend | None,
    config: Any,
    files: Sequence[str | os.PathLike[str]] | int,
    elapsed: float,
    skipped: Sequence[str] = (),
) -> RunSummary:
    """Count what `findings` say. `config` is an EngineConfig (any dataclass or mapping works); `files` the
    files checked, or just how many there were."""
    findings = list(findings)
    counts = {name: sum(f.tallies[name].total for f in findings) for name in RELATION_NAMES}
    paths = () if isinstance(files, int) else tuple(os.fspath(p) for p in files)
    return RunSummary(
        tool_version=__version__,
        teacher=ModelInfo.of(teacher),
        student=ModelInfo.of(student),
        config=plain(config) if config is not None else {},
        files=paths,
        files_checked=files if isinstance(files, int) else len(paths),
        units_checked=len(findings),
        findings={level: sum(f.severity == level for f in findings) for level in LEVELS},
        units_with_violation=sum(f.has_violation for f in findings),
        inputs_checked=sum(f.inputs_checked for f in findings),
        inputs_violating=sum(f.violating_inputs for f in findings),
        relation_counts=counts,
        elapsed_seconds=float(elapsed),
        skipped=tuple(skipped),
        violation_rate_ci95=rate_interval(
            [f.inputs_checked for f in findings], [f.violating_inputs for f in findings]
        ),
    )


def plain(value: Any) -> Any:
    """`value` as JSON values: dataclasses and mappings become dicts, sequences lists, paths strings."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return sorted(plain(v) for v in value)
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if value is None or isinstance(value, (str, int, bool)):
        return value
    if hasattr(value, "item"):  # numpy scalars
        return plain(value.item())
    return str(value)
