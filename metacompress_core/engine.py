"""Units -> variants -> predictions -> verdicts -> findings: the one entry point every surface calls.

Work goes in chunks of units so that results arrive incrementally (the editor shows each function as soon as it
is done) and a cancellation token is honoured between model batches. Within a chunk, every model input of every
unit goes to each model in one call (observe.py), so backends can batch across units (sorted by length) and hit
the cache. A planner (plan/planners.py) proposes each unit's variants: the default plan all at once, an adaptive
one (`strategy = "guided"`) in rounds, each round of the chunk's units observed together.
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
from metacompress_core.observe import observe
from metacompress_core.plan.budget import Scored, answered
from metacompress_core.plan.objectives import Objective, fidelity_objective
from metacompress_core.plan.planners import DEFAULT, Planner, PlanSettings, make_planner
from metacompress_core.plan.recipes import Recipe, realise
from metacompress_core.relations import Thresholds, broken_by_row, js_divergence, verdicts
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
    strategy: str = DEFAULT  # the planner: "default", or a search strategy that learns from the outputs

    @property
    def plan_settings(self) -> PlanSettings:
        return PlanSettings(self.seed, self.compositions, self.max_steps, self.transforms)


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
    objective = fidelity_objective(teacher, student, thresholds=config.thresholds)
    for start in range(0, len(units), config.chunk_units):
        chunk = units[start : start + config.chunk_units]
        _check_cancel(cancel)
        jobs = [_Job.start(unit, units, task_input, config, stats) for unit in chunk]
        _run_rounds(jobs, teacher, student, objective, config, cancel)
        labels = tuple(teacher.labels)
        for job in jobs:
            t, s = job.rows()
            yield _account(job, t, s, labels, teacher, student, config, cancel, stats)


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
    planner: Planner
    budget: int  # variants (the original not counted)
    variants: list[Variant] = field(default_factory=list)  # observed, the original first
    # per round: how many variants it observed, and both models' rows (for each partner, those variants)
    rounds: list[tuple[int, np.ndarray, np.ndarray]] = field(default_factory=list)
    scored: dict[str, Scored] = field(default_factory=dict)  # by variant text: what the planner was told

    @classmethod
    def start(
        cls, unit: Unit, all_units: Sequence[Unit], task_input: str, config: EngineConfig, stats
    ) -> _Job:
        partners = _partners(unit, all_units, config.partners) if task_input == "pair" else [None]
        return cls(unit, partners, make_planner(config.strategy, config.plan_settings, stats), config.budget)

    @property
    def originals(self) -> int:
        return len(self.partners)

    @property
    def remaining(self) -> int:
        return self.budget + 1 - len(self.variants)

    def inputs(self, variants: Sequence[Variant] | None = None) -> list[ModelInput]:
        """Row order: for each partner, every variant (the original first)."""
        return [_model_input(v, p) for p in self.partners for v in (variants or self.variants)]

    def fresh(self, proposed: Sequence[Variant]) -> list[Variant]:
        """The proposed variants not observed yet (each text once), as many as the budget has room for."""
        seen, out = set(self.scored), []
        for v in proposed:
            if v.source not in seen:
                seen.add(v.source)
                out.append(v)
        return out[: self.remaining]

    def record(self, new: list[Variant], t: np.ndarray, s: np.ndarray, objective: Objective) -> None:
        """Keep a round's rows; score its variants on the first partner for the planner."""
        origin = (t[:1], s[:1]) if not self.variants else (self.rounds[0][1][:1], self.rounds[0][2][:1])
        self.variants += new
        self.rounds.append((len(new), t, s))
        score, success = objective.judge((t[: len(new)], s[: len(new)]), origin)
        for i, v in enumerate(new):
            self.scored[v.source] = Scored(v, float(score[i]), bool(success[i]), (t[i], s[i]))

    def feedback(self, proposed: Sequence[Variant]) -> list[Scored]:
        """What the planner learns of what it proposed (texts seen before answered from what was observed)."""
        return answered(self.scored, list(proposed))

    def rows(self) -> tuple[np.ndarray, np.ndarray]:
        """Both models' rows in the order of `inputs()`: per partner, every variant, the original first."""
        parts: tuple[list[np.ndarray], list[np.ndarray]] = ([], [])
        for p in range(len(self.partners)):
            for n, t, s in self.rounds:
                parts[0].append(t[p * n : (p + 1) * n])
                parts[1].append(s[p * n : (p + 1) * n])
        return np.concatenate(parts[0]), np.concatenate(parts[1])


def _run_rounds(
    jobs: list[_Job], teacher, student, objective: Objective, config: EngineConfig, cancel
) -> None:
    """Observe what each unit's planner proposes, round after round, the units of a round in one call per
    model, until every planner is done or out of budget, or a variant has given evidence a person should act
    on (the student departs from a sure teacher where it follows it on the original: evidence.py)."""
    labels = tuple(teacher.labels)
    proposed = {job: [original(job.unit), *job.planner.plan(job.unit, job.budget, None)] for job in jobs}
    while proposed:
        _check_cancel(cancel)
        new = {job: job.fresh(vs) for job, vs in proposed.items()}
        active = [job for job in proposed if new[job]]
        outputs = observe(
            [job.inputs(new[job]) for job in active], (teacher, student), lambda: _check_cancel(cancel)
        )
        for job, (t, s) in zip(active, outputs, strict=True):
            job.record(new[job], t, s, objective)
        proposed = {job: more for job, vs in proposed.items() if (more := _next(job, vs, labels, config))}


def _shows_induced_warning(job: _Job, labels, config: EngineConfig) -> bool:
    """A variant already made the student depart as strongly as evidence goes; a drift or a weaker disagreement
    is no reason to stop looking."""
    t, s = job.rows()
    return any(a.induced and a.level == "warning" for a in _assessed(job, t, s, labels, config)[2])


def _next(job: _Job, proposed: list[Variant], labels, config: EngineConfig) -> list[Variant]:
    """The planner's next proposal once `proposed` has been observed; [] when the unit is done."""
    for _ in range(_IDLE_ROUNDS):
        feedback = job.feedback(proposed)
        if job.remaining <= 0 or _shows_induced_warning(job, labels, config):
            return []  # a variant made the student depart where it follows the teacher: that is the finding
        proposed = job.planner.plan(job.unit, job.remaining, feedback)
        if not proposed or job.fresh(proposed):
            return proposed
    return []  # round after round of texts already observed: the planner has run out of new variants


_IDLE_ROUNDS = 64


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


def _broken(
    t: np.ndarray, s: np.ndarray, t_orig: np.ndarray, s_orig: np.ndarray, labels, thresholds: Thresholds
) -> list[tuple[str, ...]]:
    """Per row, the names of the relations it breaks (invariance compares each row with its original)."""
    return broken_by_row(verdicts(t, s, labels, thresholds, originals=(t_orig, s_orig)), len(t))


def _assessed(
    job: _Job, t, s, labels, config: EngineConfig
) -> tuple[Rows, list[tuple[str, ...]], list[Assessment]]:
    """The unit's rows (each with its partner's original), the relations each breaks, and the evidence."""
    per_partner = len(job.variants)
    first = np.arange(len(t)) // per_partner * per_partner  # each row's original: its partner's first row
    rows = Rows(t, s, first)
    return (rows, *_judged(rows, labels, config))


def _judged(rows: Rows, labels, config: EngineConfig) -> tuple[list[tuple[str, ...]], list[Assessment]]:
    """The relations each row breaks, and the evidence, judged also against the teacher held at its original
    outputs (what the student's move alone breaks)."""
    t, s, first = rows.teacher, rows.student, rows.original
    broken = _broken(t, s, t[first], s[first], labels, config.thresholds)
    held = _broken(t[first], s, t[first], s[first], labels, config.thresholds)
    return broken, assess(rows, broken, held, config.evidence, config.thresholds)


def _account(job: _Job, t, s, labels, teacher, student, config, cancel, stats) -> Finding:
    """One unit's Finding from both models' outputs on its rows (for each partner: the original, then variants)."""
    per_partner = len(job.variants)
    rows, broken, assessments = _assessed(job, t, s, labels, config)
    first = rows.original
    divergence = js_divergence(t, s)
    steps = [len(job.variants[r % per_partner].steps) for r in range(len(t))]

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
        ((t_new, s_new),) = observe([inputs], (teacher, student))
        # Row 0 is the original, as the finding reports it; the candidates follow.
        t, s = np.vstack([origin.teacher[None], t_new]), np.vstack([origin.student[None], s_new])
        broken, assessments = _judged(Rows(t, s, np.zeros(len(t), dtype=int)), labels, config)
        keep = [
            a.row
            for a in assessments
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
