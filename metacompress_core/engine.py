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
from metacompress_core.evidence import Assessment, Policy, Rows, assess, strength
from metacompress_core.findings import (
    Evidence,
    Finding,
    Observation,
    broken_paper,
    flips,
    headline,
    input_key,
    outcomes,
    same_departure,
    tallies,
    unsure,
)
from metacompress_core.models.base import TASK_INPUT, Backend, ModelInput, check_compatible
from metacompress_core.plan.recipes import Recipe, default_plan, realise
from metacompress_core.relations import RELATIONS, Context, Thresholds, js_divergence
from metacompress_core.transforms.base import TransformStats, Variant, original

__all__ = ["Cancelled", "EngineConfig", "Finding", "Observation", "check_units", "rank"]


class Cancelled(Exception):
    """The run was cancelled through its token; findings already yielded stay valid."""


@dataclass(frozen=True)
class EngineConfig:
    budget: int = 16  # variants per unit (the original is checked on top)
    compositions: int = 4  # of those, random compositions of several transforms
    max_steps: int = 3  # transforms in one composition
    seed: int = 0
    thresholds: Thresholds = field(default_factory=Thresholds)
    evidence: Policy = field(default_factory=Policy)
    transforms: tuple[str, ...] | None = None  # None: every transform of the unit's language
    partners: int = 3  # clone detection: pairs per unit (itself, then its nearest neighbours in the file)
    chunk_units: int = 16  # units per model call: smaller = earlier first results, larger = fuller batches
    shrink: bool = True


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
    """The strongest evidence first (caused by a variant before on the original, then the most inputs showing
    it); then functions without evidence, those where a paper relation breaks first."""
    return sorted(
        findings,
        key=lambda f: (
            -(strength(f.severity) if f.severity else 0),
            not (f.evidence and f.evidence.induced),
            -(f.evidence.same if f.evidence else 0),
            not f.has_violation,
            -f.violating_inputs,
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

    @property
    def originals(self) -> int:
        return len(self.partners)

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
        yield _account(job, t, s, labels, teacher, student, config, cancel, stats)


def _account(job: _Job, t, s, labels, teacher, student, config, cancel, stats) -> Finding:
    """One unit's Finding from both models' outputs on its rows (for each partner: the original, then variants)."""
    per_partner = len(job.variants)
    first = np.arange(len(t)) // per_partner * per_partner  # each row's original: its partner's first row
    rows = Rows(t, s, first)
    broken = _broken(t, s, t[first], s[first], labels, config.thresholds)
    divergence = js_divergence(t, s)
    steps = [len(job.variants[r % per_partner].steps) for r in range(len(t))]
    assessments = assess(rows, broken, config.evidence, config.thresholds)

    def observe(r: int) -> Observation:
        p, v = divmod(r, per_partner)
        return Observation(job.variants[v], job.partners[p], t[r], s[r], broken[r], float(divergence[r]))

    chosen = headline(assessments, steps, rows)
    evidence = None
    if chosen is not None:
        origin = observe(int(first[chosen.row]))
        shown = observe(chosen.row) if chosen.induced else None
        if shown is not None and config.shrink and len(shown.variant.steps) > 1:
            shown = _shrink(job, shown, origin, chosen, teacher, student, labels, config, cancel, stats)
        evidence = Evidence(
            level=chosen.level,
            relation=chosen.relation,
            kind=chosen.kind,
            induced=chosen.induced,
            original=origin,
            variant=shown,
            same=same_departure(assessments, chosen),
            among=len(t) - job.originals if chosen.induced else job.originals,
        )
    return Finding(
        unit=job.unit,
        labels=labels,
        original=evidence.original if evidence else observe(0),
        evidence=evidence,
        tallies=tallies(rows, broken),
        flips=flips(rows),
        inputs_checked=len(t),
        originals=job.originals,
        variants_tried=len(job.variants) - 1,
        teacher_unsure=unsure(rows, config.evidence),
        policy=config.evidence,
        violating_inputs=broken_paper(broken),
        input_outcomes=outcomes(
            [input_key(job.variants[r % per_partner], job.partners[r // per_partner]) for r in range(len(t))],
            broken,
        ),
    )


def _shrink(
    job,
    shown: Observation,
    origin: Observation,
    chosen: Assessment,
    teacher,
    student,
    labels,
    config,
    cancel,
    stats,
) -> Observation:
    """Drop transforms from the culprit while a smaller variant still shows the same departure, as strongly."""
    recipe = Recipe.of(shown.variant)
    while len(recipe.steps) > 1:
        smaller = [
            (c, realise(job.unit, c, stats)) for c in (recipe.without(i) for i in range(len(recipe.steps)))
        ]
        smaller = [(c, v) for c, v in smaller if v is not None]
        if not smaller:
            break
        _check_cancel(cancel)
        inputs = [_model_input(v, origin.partner) for _, v in smaller]
        # Row 0 is the original, as the finding reports it; the candidates follow.
        t = np.vstack([origin.teacher[None], teacher.predict(inputs)])
        s = np.vstack([origin.student[None], student.predict(inputs)])
        rows = Rows(t, s, np.zeros(len(t), dtype=int))
        broken = _broken(t, s, t[:1], s[:1], labels, config.thresholds)
        keep = [
            a.row
            for a in assess(rows, broken, config.evidence, config.thresholds)
            if a.row > 0
            and a.relation == chosen.relation
            and a.induced
            and strength(a.level) >= strength(chosen.level)
        ]
        if not keep:
            break
        divergence = js_divergence(t, s)
        i = max(keep, key=lambda r: divergence[r])
        recipe, variant = smaller[i - 1]
        shown = Observation(variant, origin.partner, t[i], s[i], broken[i], float(divergence[i]))
    return shown
