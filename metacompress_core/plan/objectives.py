"""What a search tries to achieve: a score to maximise and a success test, over the outputs of its models.

An objective names the models it queries and how a variant becomes a model input; it never calls a model
itself (the budgeted evaluator does, so that every query is counted in one place).

- attack: move one model away from the ground-truth label (score 1 - p(label); success: it predicts another
  class), as ALERT and MHM do.
- fidelity: make teacher and student disagree (score: Jensen-Shannon divergence between their outputs;
  success: they predict different classes), or break one named relation of relations.py (success: that
  relation's verdict fails; score: its distance from holding plus the divergence, so the search has a slope).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from metacompress_core.errors import MetaCompressError
from metacompress_core.models.base import Backend, ModelInput, check_compatible
from metacompress_core.relations import (
    INVARIANCES,
    PAPER_RELATIONS,
    Relation,
    Thresholds,
    as_probabilities,
    js_divergence,
    verdicts,
)

RELATIONS_BY_NAME: dict[str, Relation] = {r.name: r for r in (*PAPER_RELATIONS, *INVARIANCES)}


@dataclass(frozen=True, eq=False)
class Objective:
    kind: str  # "attack" | "fidelity"
    models: tuple[Backend, ...]  # every input is scored by each of them: len(models) queries per input
    partner: str | None = None  # the other function of a clone pair; None for single-function tasks
    label: int | None = None  # attack: the ground-truth class
    relation: Relation | None = None  # fidelity: the relation to break (None: prediction disagreement)
    thresholds: Thresholds = field(default_factory=Thresholds)

    @property
    def description(self) -> str:
        if self.kind == "attack":
            return f"attack {self.models[0].name} (label {self.label})"
        goal = f"break {self.relation.name}" if self.relation else "teacher-student disagreement"
        return f"fidelity: {goal}"

    def model_input(self, source: str) -> ModelInput:
        return source if self.partner is None else (source, self.partner)

    def judge(
        self, probs: tuple[np.ndarray, ...], original: tuple[np.ndarray, ...]
    ) -> tuple[np.ndarray, np.ndarray]:
        """(score [n], success [n]) for n inputs; `probs[m]` is model m's [n, k] output, `original` its [1, k]."""
        if self.kind == "attack":
            p = as_probabilities(probs[0])
            score = 1.0 - p[:, self.label]
            return score, p.argmax(axis=1) != self.label
        t, s = as_probabilities(probs[0]), as_probabilities(probs[1])
        divergence = js_divergence(t, s)
        if self.relation is None:
            return divergence, t.argmax(axis=1) != s.argmax(axis=1)
        found = verdicts(
            t, s, self.models[0].labels, self.thresholds, originals=original[:2], relations=(self.relation,)
        )
        verdict = found[self.relation.name]
        return verdict.score + divergence, ~verdict.holds


def attack_objective(model: Backend, label: int, partner: str | None = None) -> Objective:
    """Move `model` away from the ground-truth `label` (a class index)."""
    if not 0 <= label < len(model.labels):
        raise MetaCompressError(
            f"label {label} is not a class of {model.name!r} (labels {list(model.labels)})"
        )
    return Objective("attack", (model,), partner, label=label)


def fidelity_objective(
    teacher: Backend,
    student: Backend,
    partner: str | None = None,
    relation: str | None = None,
    thresholds: Thresholds | None = None,
) -> Objective:
    """Make teacher and student disagree, or break `relation` (a name from relations.py)."""
    check_compatible(teacher, student)
    chosen = None
    if relation is not None:
        if relation not in RELATIONS_BY_NAME:
            raise MetaCompressError(
                f"unknown relation {relation!r}: use one of {', '.join(sorted(RELATIONS_BY_NAME))}"
            )
        chosen = RELATIONS_BY_NAME[relation]
    return Objective(
        "fidelity", (teacher, student), partner, relation=chosen, thresholds=thresholds or Thresholds()
    )
