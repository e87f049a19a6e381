"""Severity from evidence: what a broken relation on one input says about the student (docs/RELATIONS.md).

A relation that breaks is a fact about two probability vectors. Whether a person should act on it depends on
what surrounds it:

- the teacher must be a reference: below `reference` confidence its answer is close to a coin flip, and a
  student that differs from a coin flip tells nothing;
- an answer must be decided: a student at 0.51 against 0.49 has no answer to change;
- only a variant can blame a transformation: a relation that breaks on the original code is a fact about the
  student on that code (its accuracy: at most Information, even against a sure teacher), and a variant on
  which it still breaks adds nothing;
- a teacher that changes its own answer under the variant makes the change the teacher's, not the student's.

`assess` turns the rows of one function (its originals and their variants, both models' probabilities, the
relations each row breaks) into one `Assessment` per row and relation that carries evidence. Pure numpy; no
model, no transform.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from metacompress_core.relations import SEVERITIES, Thresholds, relation_named

LEVELS = ("warning", "information", "hint")  # evidence levels, strongest first


@dataclass(frozen=True)
class Policy:
    """The margins that decide whether an input is evidence, and how strong (defaults in docs/RELATIONS.md)."""

    reference: float = 0.7  # the teacher's confidence needed for its answer to be a reference
    margin: float = 0.1  # an answer is decided when its top probability leads the next one by this much

    def __post_init__(self) -> None:
        for name in ("reference", "margin"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"evidence {name} must lie in [0, 1], got {value}")


@dataclass(frozen=True)
class Assessment:
    """One relation broken on one row, as evidence."""

    row: int
    relation: str
    level: str  # "warning" | "information" | "hint"
    induced: bool  # the relation holds on the row's original: the variant's transformation caused the break
    kind: str  # what happened, in a few words (see KINDS)


KINDS = {
    "student-flip": "the student changes its answer; the teacher keeps its own",
    "flip-to-teacher": "the student changes its answer to the teacher's; it disagreed on the original",
    "contradicts-sure-teacher": "the student contradicts an answer the teacher is sure of",
    "disagreement": "the student gives another answer than the teacher",
    "confidence-drift": "no decided other answer; the student's probabilities or confidence move away from the teacher's",
}


@dataclass(frozen=True)
class Rows:
    """Per-row facts of one function's inputs (originals and variants, every partner)."""

    teacher: np.ndarray  # [n, k]
    student: np.ndarray
    original: np.ndarray  # int [n]: the row of each row's original (itself for an original)

    @property
    def is_variant(self) -> np.ndarray:
        return self.original != np.arange(len(self.teacher))


def _top(p: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each row's class, its probability, and its lead over the next class."""
    order = np.sort(p, axis=1)
    return p.argmax(axis=1), order[:, -1], order[:, -1] - order[:, -2]


def assess(
    rows: Rows,
    broken: Sequence[Sequence[str]],
    held: Sequence[Sequence[str]],
    policy: Policy,
    thresholds: Thresholds,
) -> list[Assessment]:
    """Every (row, relation) whose break is evidence, with its level; rows in order, relations as broken.

    `held[r]`: the relations row r breaks against its original's teacher outputs, as if the teacher had not
    moved. A variant's break is the student's only if it is there too: a teacher that grows surer (and so
    crosses tau) or drifts away from a student that stays put makes the change the teacher's.
    """
    t_class, t_conf, _ = _top(rows.teacher)
    s_class, _, s_lead = _top(rows.student)
    reference = t_conf >= policy.reference
    decided = s_lead >= policy.margin - 1e-12
    out: list[Assessment] = []
    for r, names in enumerate(broken):
        o = int(rows.original[r])
        variant = o != r
        if not reference[r]:
            continue  # the teacher is unsure on this input: no reference to depart from
        if variant and not (reference[o] and t_class[r] == t_class[o]):
            continue  # the teacher moved (or was unsure on the original): not the student's departure
        if variant and decided[r] and decided[o] and s_class[r] == s_class[o] != t_class[o]:
            continue  # the same other answer as on the original, where it is counted: the variant changed nothing
        for name in names:
            induced = variant and name not in broken[o]
            if variant and not induced:
                continue  # breaks as on the original: counted once, there
            if variant and name not in held[r]:
                continue  # it breaks only because the teacher moved
            relation = relation_named(name)
            found = _evidence(relation.evidence, r, o, induced, t_class, t_conf, s_class, decided, thresholds)
            if found is None:
                continue
            level, kind = found
            level = _capped(level, relation.severity)
            if level is not None:
                out.append(Assessment(r, name, level, induced, kind))
    return out


def _evidence(role, r, o, induced, t_class, t_conf, s_class, decided, thresholds) -> tuple[str, str] | None:
    """(level, kind) of one broken relation on row r (original row o), by what the relation's break says."""
    disagrees = s_class[r] != t_class[r] and decided[r]
    agreed_before = s_class[o] == t_class[o] and decided[o]
    if role == "answer":
        if disagrees:
            if induced and agreed_before:
                return "warning", "student-flip"
            if t_conf[r] >= thresholds.confidence_tau:
                # On the code as written it is the student's accuracy, which no transformation caused, and
                # out of its training distribution a sure teacher is not always right: Information.
                return ("warning" if induced else "information"), "contradicts-sure-teacher"
            return "information", "disagreement"
        if induced and s_class[r] == t_class[r]:
            return "hint", "confidence-drift"  # same answer, below tau (high-confidence-preservation)
        return None  # an undecided answer is no answer; a drift on the original is accuracy
    if role == "own-answer":  # only variants break it, so it is always induced
        if not (decided[r] and decided[o]):
            return None  # a flip between two undecided answers is noise
        if s_class[r] != t_class[r]:
            return ("warning", "student-flip") if agreed_before else ("information", "disagreement")
        return "information", "flip-to-teacher"
    if role == "drift" and induced:
        return "hint", "confidence-drift"
    return None  # no role (the teacher's own invariance), or drift already present on the original


def _capped(level: str, cap: str | None) -> str | None:
    """`level`, but never more severe than the relation allows (None: the relation gives no diagnostics)."""
    if cap is None:
        return None
    return level if SEVERITIES.index(level) >= SEVERITIES.index(cap) else cap


def strength(level: str) -> int:
    """Larger is stronger: warning 3, information 2, hint 1."""
    return len(LEVELS) - LEVELS.index(level)
