"""The account of one function: what the engine concluded, derived once, read by every surface.

A diagnostic, a hover, the status bar, a code action, the table, JSON, SARIF and Markdown all read the same
`Finding`, so a number shown in one equals the number shown in another. `account` builds it from the rows of
one function: its original input(s) and their behaviour-preserving variants, both models' probabilities, and
the relations each row breaks.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from metacompress_core.code.units import Unit
from metacompress_core.evidence import Assessment, Policy, Rows, strength
from metacompress_core.relations import PAPER_NAMES, RELATIONS
from metacompress_core.transforms.base import Variant


@dataclass(frozen=True, eq=False)
class Observation:
    """Both models on one input: a (variant of a) unit, paired with a partner for clone detection."""

    variant: Variant
    partner: Unit | None
    teacher: np.ndarray  # probabilities [classes]
    student: np.ndarray
    violated: tuple[str, ...]  # the relations this input breaks (paper relations and invariances)
    divergence: float  # Jensen-Shannon divergence between the two outputs

    @property
    def is_variant(self) -> bool:
        return bool(self.variant.steps)


@dataclass(frozen=True)
class Tally:
    """One relation over a function's inputs."""

    on_original: int  # originals (one per partner) where it breaks
    induced: int  # variants where it breaks while it holds on their original
    persisting: int  # variants where it breaks as it does on their original

    @property
    def total(self) -> int:
        return self.on_original + self.induced + self.persisting


@dataclass(frozen=True)
class Flips:
    """Variants on which a model changes its answer from the one it gave on the original."""

    student_only: int  # the student flips, the teacher keeps its answer: the paper's central observation
    teacher_only: int  # the teacher's own weakness, not the student's
    both: int  # inherited from the teacher


@dataclass(frozen=True, eq=False)
class Evidence:
    """The strongest reason to show a function, with the inputs that show it."""

    level: str  # "warning" | "information" | "hint" (docs/RELATIONS.md "Severity")
    relation: str
    kind: str  # evidence.KINDS
    induced: bool  # caused by `variant` (else: on the original code, no transformation to blame)
    original: Observation  # both models on the original (of the variant's partner)
    variant: Observation | None  # the smallest variant that causes it; None when it is on the original
    same: int  # inputs that show the same departure (same relation, induced or not, at this level)
    among: int  # of how many: variants when induced, originals otherwise


@dataclass(frozen=True, eq=False)
class Finding:
    """What the engine concluded about one unit."""

    unit: Unit
    labels: tuple[str, ...]
    original: Observation  # both models on the original code (the evidence's partner, else the first)
    evidence: Evidence | None  # None: nothing a person should act on
    tallies: dict[str, Tally]  # relation -> counts, in RELATIONS order
    flips: Flips
    inputs_checked: int  # originals and variants, over all partners
    originals: int  # original inputs: 1, or the number of partners for clone detection
    variants_tried: int  # variants of the unit (each paired with every partner)
    teacher_unsure: int  # inputs where the teacher's confidence is below the policy's reference
    policy: Policy  # the margins the evidence was judged with
    violating_inputs: int  # inputs breaking at least one of the paper's relations (the paper's statistic)
    # Per input, in row order: (input_key, breaks a paper relation). What pairs two runs input by input
    # (`check --baseline`); the count of True is `violating_inputs`.
    input_outcomes: tuple[tuple[str, bool], ...] = ()

    @property
    def severity(self) -> str | None:
        return self.evidence.level if self.evidence else None

    @property
    def culprit(self) -> Observation | None:
        """The variant whose transformation makes the student depart; None when nothing was caused by one."""
        return self.evidence.variant if self.evidence else None

    @property
    def violated(self) -> tuple[str, ...]:
        """Relations broken on some input, whatever the evidence (paper relations first)."""
        return tuple(name for name, t in self.tallies.items() if t.total)

    @property
    def has_violation(self) -> bool:
        """A paper relation (not only a model's own invariance) breaks on some input."""
        return self.violating_inputs > 0


def tallies(rows: Rows, broken: Sequence[Sequence[str]]) -> dict[str, Tally]:
    out = {}
    for relation in RELATIONS:
        name = relation.name
        on, induced, persisting = 0, 0, 0
        for r, names in enumerate(broken):
            if name not in names:
                continue
            o = int(rows.original[r])
            if o == r:
                on += 1
            elif name in broken[o]:
                persisting += 1
            else:
                induced += 1
        out[name] = Tally(on, induced, persisting)
    return out


def flips(rows: Rows) -> Flips:
    variants = rows.is_variant
    t, s = rows.teacher.argmax(axis=1), rows.student.argmax(axis=1)
    t_flip = (t != t[rows.original]) & variants
    s_flip = (s != s[rows.original]) & variants
    return Flips(int((s_flip & ~t_flip).sum()), int((t_flip & ~s_flip).sum()), int((s_flip & t_flip).sum()))


def headline(assessments: Sequence[Assessment], steps: Sequence[int], rows: Rows) -> Assessment | None:
    """The assessment to show: strongest level; then caused by a variant; then the fewest transforms; then
    the student furthest from the teacher on the teacher's answer."""
    if not assessments:
        return None
    t_class = rows.teacher.argmax(axis=1)
    gap = rows.teacher[np.arange(len(t_class)), t_class] - rows.student[np.arange(len(t_class)), t_class]
    return max(
        assessments,
        key=lambda a: (strength(a.level), a.induced, -steps[a.row], float(gap[a.row]), -a.row),
    )


def same_departure(assessments: Sequence[Assessment], chosen: Assessment) -> int:
    """Inputs with evidence of the chosen kind: same relation, induced or not, at least as strong."""
    rows = {
        a.row
        for a in assessments
        if a.relation == chosen.relation
        and a.induced == chosen.induced
        and strength(a.level) >= strength(chosen.level)
    }
    return len(rows)


def input_key(variant: Variant, partner: Unit | None) -> str:
    """What identifies one model input across runs: the function (its qualified name and text: `Unit.key`), the
    partner's (clone detection) and the exact text of the variant. The same code checked with the same settings
    gives the same keys wherever the files lie; a changed function gives new ones."""
    parts = (variant.unit.key, partner.key if partner is not None else "", variant.source)
    digest = hashlib.sha256("\x00".join(parts).encode("utf-8", "surrogateescape"))
    return digest.hexdigest()[:16]


def outcomes(keys: Sequence[str], broken: Sequence[Sequence[str]]) -> tuple[tuple[str, bool], ...]:
    """Each input's key with whether it breaks one of the paper's relations (what the violation rate counts)."""
    return tuple((k, bool(set(names) & PAPER_NAMES)) for k, names in zip(keys, broken, strict=True))


def broken_paper(broken: Sequence[Sequence[str]]) -> int:
    return sum(bool(set(names) & PAPER_NAMES) for names in broken)


def unsure(rows: Rows, policy: Policy) -> int:
    return int((rows.teacher.max(axis=1) < policy.reference).sum())
