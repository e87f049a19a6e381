"""Units -> variants -> predictions -> verdicts -> findings: the one entry point every surface calls.

Work goes in chunks of units so that results arrive incrementally (the editor shows each function as soon as it
is done) and a cancellation token is honoured between model batches. Within a chunk, every model input of every
unit goes to each model in one call, so backends can batch across units (sorted by length) and hit the cache.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np

from metacompress_core.code.units import Unit
from metacompress_core.models.base import TASK_INPUT, Backend, ModelInput, check_compatible
from metacompress_core.relations import (
    INVARIANCES,
    PAPER_RELATIONS,
    Context,
    Relation,
    Thresholds,
    js_divergence,
)
from metacompress_core.search.recipes import Recipe, default_plan, realise
from metacompress_core.transforms.base import TransformStats, Variant, original


class Cancelled(Exception):
    """The run was cancelled through its token; findings already yielded stay valid."""


@dataclass(frozen=True)
class EngineConfig:
    budget: int = 16  # variants per unit (the original is checked on top)
    compositions: int = 4  # of those, random compositions of several transforms
    max_steps: int = 3  # transforms in one composition
    seed: int = 0
    thresholds: Thresholds = field(default_factory=Thresholds)
    transforms: tuple[str, ...] | None = None  # None: every transform of the unit's language
    partners: int = 3  # clone detection: pairs per unit (itself, then its nearest neighbours in the file)
    chunk_units: int = 16  # units per model call: smaller = earlier first results, larger = fuller batches
    shrink: bool = True


@dataclass(frozen=True, eq=False)
class Observation:
    """Both models on one input: a (variant of a) unit, paired with a partner for clone detection."""

    variant: Variant
    partner: Unit | None
    teacher: np.ndarray  # probabilities [classes]
    student: np.ndarray
    violated: tuple[str, ...]  # names of the relations this input breaks (paper relations and invariances)
    divergence: float  # Jensen-Shannon divergence between the two outputs

    @property
    def breaks_paper_relation(self) -> bool:
        return any(name in _PAPER_NAMES for name in self.violated)


@dataclass(frozen=True, eq=False)
class Finding:
    """What the engine concluded about one unit."""

    unit: Unit
    labels: tuple[str, ...]
    original: Observation  # the original input (of the worst variant's pair)
    worst: Observation  # the variant that departs most (shrunk to its fewest transforms)
    violations: dict[str, int]  # relation -> number of inputs that break it
    inputs_checked: int  # originals and variants, over all pairs
    variants_tried: int

    @property
    def violated(self) -> tuple[str, ...]:
        return tuple(name for name, count in self.violations.items() if count)

    @property
    def has_violation(self) -> bool:
        """True when a paper relation (not only a model's own invariance) breaks somewhere."""
        return any(self.violations.get(name, 0) for name in _PAPER_NAMES)

    @property
    def violating_inputs(self) -> int:
        return self.violations.get(_ANY, 0)


_PAPER_NAMES = frozenset(r.name for r in PAPER_RELATIONS)
_ANY = "any-paper-relation"
RELATIONS: tuple[Relation, ...] = (*PAPER_RELATIONS, *INVARIANCES)


def check_units(
    units: Sequence[Unit],
    teacher: Backend,
    student: Backend,
    config: EngineConfig | None = None,
    cancel: Callable[[], bool] | None = None,
    stats: TransformStats | None = None,
) -> Iterator[Finding]:
    """Findings for `units`, one per unit, chunk by chunk, in the order of `units`.

    Raises Cancelled (between model batches) once `cancel()` returns True.
    """
    config = config or EngineConfig()
    check_compatible(teacher, student)
    task_input = TASK_INPUT.get(teacher.task or student.task or "vuln", "single")
    for start in range(0, len(units), config.chunk_units):
        chunk = units[start : start + config.chunk_units]
        _check_cancel(cancel)
        jobs = [_Job.plan(unit, units, task_input, config, stats) for unit in chunk]
        yield from _evaluate(jobs, teacher, student, config, cancel, stats)


def rank(findings: Iterable[Finding]) -> list[Finding]:
    """Violations first; then by how many relations break, how often, and how far the worst variant departs."""
    return sorted(
        findings,
        key=lambda f: (
            not f.has_violation,
            -len(f.violated),
            -f.violating_inputs,
            -f.worst.divergence,
        ),
    )


# ---- the work for one unit -----------------------------------------------------------------------------------


@dataclass(eq=False)
class _Job:
    unit: Unit
    partners: list[Unit | None]  # [None] for single-function tasks
    variants: list[Variant]  # the original first

    @classmethod
    def plan(
        cls, unit: Unit, all_units: Sequence[Unit], task_input: str, config: EngineConfig, stats
    ) -> _Job:
        variants = default_plan(
            unit,
            config.budget,
            config.compositions,
            config.seed,
            config.max_steps,
            list(config.transforms) if config.transforms is not None else None,
            stats,
        )
        partners = _partners(unit, all_units, config.partners) if task_input == "pair" else [None]
        return cls(unit, partners, [original(unit), *variants])

    def inputs(self, variants: Sequence[Variant] | None = None) -> list[ModelInput]:
        """Row order: for each partner, every variant (the original first)."""
        return [_model_input(v, p) for p in self.partners for v in (variants or self.variants)]


def _partners(unit: Unit, all_units: Sequence[Unit], count: int) -> list[Unit | None]:
    """The unit itself, then the other units of its file nearest to it (clone pairs for one function)."""
    others = [u for u in all_units if u.path == unit.path and u.id != unit.id]
    others.sort(key=lambda u: abs(u.start_byte - unit.start_byte))
    return [unit, *others[: max(count - 1, 0)]]


def _model_input(variant: Variant, partner: Unit | None) -> ModelInput:
    return (
        variant.source if partner is None else (variant.source, partner.source)
    )  # as eval and search pair them


def _check_cancel(cancel: Callable[[], bool] | None) -> None:
    if cancel is not None and cancel():
        raise Cancelled()


def _predict(
    jobs: list[_Job], teacher: Backend, student: Backend, cancel
) -> list[tuple[np.ndarray, np.ndarray]]:
    inputs = [x for job in jobs for x in job.inputs()]
    t = teacher.predict(inputs)
    _check_cancel(cancel)
    s = student.predict(inputs)
    _check_cancel(cancel)
    out, at = [], 0
    for job in jobs:
        n = len(job.partners) * len(job.variants)
        out.append((t[at : at + n], s[at : at + n]))
        at += n
    return out


def _broken(
    t: np.ndarray, s: np.ndarray, t_orig: np.ndarray, s_orig: np.ndarray, labels, thresholds: Thresholds
) -> list[tuple[str, ...]]:
    """Per row, the names of the relations it breaks (invariance compares each row with its original)."""
    context = Context(
        labels,
        thresholds,
        teacher_original=np.broadcast_to(t_orig, t.shape),
        student_original=np.broadcast_to(s_orig, s.shape),
    )
    broken: list[list[str]] = [[] for _ in range(len(t))]
    for relation in RELATIONS:
        for row in relation.check(t, s, context).violations:
            broken[row].append(relation.name)
    return [tuple(b) for b in broken]


def _evaluate(jobs, teacher, student, config, cancel, stats) -> Iterator[Finding]:
    labels = tuple(teacher.labels)
    for job, (t, s) in zip(jobs, _predict(jobs, teacher, student, cancel), strict=True):
        per_partner = len(job.variants)
        first = np.arange(len(t)) // per_partner * per_partner  # each row's original: its partner's first row
        broken = _broken(t, s, t[first], s[first], labels, config.thresholds)
        divergence = js_divergence(t, s)
        rows = range(len(t))
        worst = max(rows, key=lambda r: (bool(set(broken[r]) & _PAPER_NAMES), divergence[r]))
        p, v = divmod(worst, per_partner)
        worst_obs = Observation(
            job.variants[v], job.partners[p], t[worst], s[worst], broken[worst], float(divergence[worst])
        )
        base = p * per_partner
        original_obs = Observation(
            job.variants[0], job.partners[p], t[base], s[base], broken[base], float(divergence[base])
        )
        if config.shrink and len(worst_obs.variant.steps) > 1 and worst_obs.breaks_paper_relation:
            worst_obs = _shrink(job, worst_obs, original_obs, teacher, student, labels, config, cancel, stats)
        counts = {r.name: sum(r.name in b for b in broken) for r in RELATIONS}
        counts[_ANY] = sum(bool(set(b) & _PAPER_NAMES) for b in broken)
        yield Finding(
            unit=job.unit,
            labels=labels,
            original=original_obs,
            worst=worst_obs,
            violations=counts,
            inputs_checked=len(t),
            variants_tried=len(job.variants) - 1,
        )


def _shrink(job, worst, original_obs, teacher, student, labels, config, cancel, stats) -> Observation:
    """Drop transforms from the worst variant while it still breaks one of the paper relations it broke."""
    target = set(worst.violated) & _PAPER_NAMES
    recipe = Recipe.of(worst.variant)
    while len(recipe.steps) > 1:
        smaller = [
            (c, realise(job.unit, c, stats)) for c in (recipe.without(i) for i in range(len(recipe.steps)))
        ]
        smaller = [(c, v) for c, v in smaller if v is not None]
        if not smaller:
            break
        _check_cancel(cancel)
        inputs = [_model_input(v, worst.partner) for _, v in smaller]
        t, s = teacher.predict(inputs), student.predict(inputs)
        broken = _broken(t, s, original_obs.teacher, original_obs.student, labels, config.thresholds)
        divergence = js_divergence(t, s)
        keep = [i for i in range(len(smaller)) if set(broken[i]) & target]
        if not keep:
            break
        i = max(keep, key=lambda i: divergence[i])
        recipe = smaller[i][0]
        worst = Observation(smaller[i][1], worst.partner, t[i], s[i], broken[i], float(divergence[i]))
    return worst
