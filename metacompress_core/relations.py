"""The metamorphic relations between a teacher's and a student's outputs (docs/RELATIONS.md).

Pure functions over probability arrays of shape [n, classes] (row i: both models on the same input i, usually a
behaviour-preserving variant). A relation never calls a model. Each `check` is vectorised: it returns one
verdict per row, plus a score (how far the row is from holding; 0 when it holds comfortably) and a short
explanation of each row for people.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np


@dataclass(frozen=True)
class Thresholds:
    js_eps: float = 0.05  # Probability Distribution Similarity: JS divergence (base 2, in [0, 1]) <= eps
    confidence_tau: float = 0.9  # High Confidence Preservation: "confident" means max probability >= tau
    calibration_delta: float = 0.1  # Calibration Alignment: |confidence difference| <= delta per input
    ece_delta: float = 0.05  # Calibration Alignment over a dataset: |ECE difference| <= delta
    ece_bins: int = 10  # equal-width confidence bins for ECE

    def __post_init__(self) -> None:
        for name in ("js_eps", "confidence_tau", "calibration_delta", "ece_delta"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"threshold {name} must lie in [0, 1], got {value}")
        if self.ece_bins < 1:
            raise ValueError(f"ece_bins must be at least 1, got {self.ece_bins}")


@dataclass(frozen=True)
class Context:
    """What a relation may need besides the two models' outputs on the inputs under test."""

    labels: tuple[str, ...] = ()  # class names, for explanations
    thresholds: Thresholds = field(default_factory=Thresholds)
    teacher_original: np.ndarray | None = None  # teacher on the original of each input ([n, k] or [1, k])
    student_original: np.ndarray | None = None
    truth: np.ndarray | None = None  # ground-truth class index per input, for dataset calibration

    def label(self, index: int) -> str:
        return self.labels[index] if index < len(self.labels) else f"class {index}"


@dataclass(frozen=True, eq=False)
class Verdict:
    holds: np.ndarray  # bool [n]
    score: np.ndarray  # float [n], >= 0; larger means further from holding
    detail: tuple[str, ...]  # one line per row
    applies: np.ndarray | None = None  # bool [n]; rows where the relation says nothing hold trivially

    @property
    def violations(self) -> np.ndarray:
        """Indices of the rows that break the relation."""
        return np.flatnonzero(~self.holds)

    @property
    def all_hold(self) -> bool:
        return bool(self.holds.all())

    def rate(self) -> float:
        """Share of the applicable rows that break the relation (0.0 when none applies)."""
        applicable = self.holds.size if self.applies is None else int(self.applies.sum())
        return float((~self.holds).sum() / applicable) if applicable else 0.0


class Relation(Protocol):
    """A relation and what every surface says about it (docs/RELATIONS.md): adding one touches this file only."""

    name: str  # the id in reports, settings and SARIF rules
    title: str  # CamelCase, for SARIF rule names
    short: str  # a few words, for tables and hovers
    column: str  # the column heading in eval's tables ("PA")
    description: str
    paper: bool  # one of the paper's four relations (counts towards the violation rate)
    severity: str | None  # the most severe diagnostic its evidence can give (docs/RELATIONS.md "Severity")
    # What a break says about the student (evidence.py): "answer" (it may give another answer than the teacher),
    # "drift" (same answer, probabilities apart), "own-answer" (it changes its own answer), None (nothing).
    evidence: str | None

    def rule(self, thresholds: Thresholds) -> str: ...

    def check(self, teacher: np.ndarray, student: np.ndarray, context: Context) -> Verdict: ...


# ---- the quantities ---------------------------------------------------------------------------------------------


def as_probabilities(probs: np.ndarray) -> np.ndarray:
    """`probs` as a float64 [n, k] array; a single distribution becomes one row."""
    p = np.asarray(probs, dtype=np.float64)
    if p.ndim == 1:
        p = p[None, :]
    if p.ndim != 2 or p.shape[1] < 2:
        raise ValueError(f"expected probabilities of shape [n, classes>=2], got {np.shape(probs)}")
    return p


def _pair(teacher: np.ndarray, student: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    t, s = as_probabilities(teacher), as_probabilities(student)
    if t.shape != s.shape:
        raise ValueError(f"teacher and student outputs differ in shape: {t.shape} vs {s.shape}")
    return t, s


def js_divergence(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Jensen-Shannon divergence per row, base 2, so it lies in [0, 1] (0: identical, 1: disjoint)."""
    p, q = _pair(p, q)
    m = (p + q) / 2

    def kl(a: np.ndarray) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            terms = np.where(a > 0, a * np.log2(a / m), 0.0)
        return terms.sum(axis=1)

    return np.clip((kl(p) + kl(q)) / 2, 0.0, 1.0)


def expected_calibration_error(probs: np.ndarray, truth: np.ndarray, bins: int = 10) -> float:
    """ECE: sum over equal-width confidence bins of |bin| / n * |accuracy(bin) - mean confidence(bin)|.

    Bins are (0, 1/b], (1/b, 2/b], ..., ((b-1)/b, 1]; a confidence of exactly 0 falls into the first.
    """
    p = as_probabilities(probs)
    truth = np.asarray(truth).reshape(-1)
    if truth.shape[0] != p.shape[0]:
        raise ValueError(f"{truth.shape[0]} labels for {p.shape[0]} predictions")
    if p.shape[0] == 0:
        return 0.0
    conf = p.max(axis=1)
    correct = (p.argmax(axis=1) == truth).astype(np.float64)
    index = np.clip(np.ceil(conf * bins).astype(int) - 1, 0, bins - 1)
    total = 0.0
    for b in range(bins):
        in_bin = index == b
        if in_bin.any():
            total += in_bin.sum() / p.shape[0] * abs(correct[in_bin].mean() - conf[in_bin].mean())
    return float(total)


def _fmt(values: np.ndarray) -> str:
    return "[" + ", ".join(f"{v:.3f}" for v in values) + "]"


# ---- the relations ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PredictionAgreement:
    name: str = "prediction-agreement"
    title: str = "PredictionAgreement"
    short: str = "same answer"
    column: str = "PA"
    description: str = "the student predicts the teacher's class"
    paper: bool = True
    severity: str | None = "warning"
    evidence: str | None = "answer"

    def rule(self, t: Thresholds) -> str:
        return "On every behaviour-preserving variant of a function, the student predicts the class the teacher predicts."

    def check(self, teacher: np.ndarray, student: np.ndarray, context: Context) -> Verdict:
        t, s = _pair(teacher, student)
        tc, sc = t.argmax(axis=1), s.argmax(axis=1)
        holds = tc == sc
        rows = np.arange(len(t))
        score = np.where(holds, 0.0, t[rows, tc] - s[rows, tc])  # how far the student is from agreeing
        detail = tuple(
            f"both predict {context.label(a)}"
            if a == b
            else f"teacher predicts {context.label(a)} ({t[i, a]:.3f}), student {context.label(b)} ({s[i, b]:.3f})"
            for i, (a, b) in enumerate(zip(tc, sc, strict=True))
        )
        return Verdict(holds, np.maximum(score, 0.0), detail)


@dataclass(frozen=True)
class DistributionSimilarity:
    name: str = "distribution-similarity"
    title: str = "ProbabilityDistributionSimilarity"
    short: str = "similar probabilities"
    column: str = "PDS"
    description: str = "Jensen-Shannon divergence between the two output distributions is at most eps"
    paper: bool = True
    severity: str | None = "hint"  # the answer may agree; only the probabilities drift
    evidence: str | None = "drift"

    def rule(self, t: Thresholds) -> str:
        return (
            "On every behaviour-preserving variant, the Jensen-Shannon divergence (base 2) between the teacher's and "
            f"the student's output distributions is at most eps = {t.js_eps}."
        )

    def check(self, teacher: np.ndarray, student: np.ndarray, context: Context) -> Verdict:
        t, s = _pair(teacher, student)
        eps = context.thresholds.js_eps
        js = js_divergence(t, s)
        holds = js <= eps
        detail = tuple(
            f"JS divergence {d:.4f} {'<=' if ok else '>'} {eps} (teacher {_fmt(t[i])}, student {_fmt(s[i])})"
            for i, (d, ok) in enumerate(zip(js, holds, strict=True))
        )
        return Verdict(holds, js, detail)


@dataclass(frozen=True)
class HighConfidencePreservation:
    name: str = "high-confidence-preservation"
    title: str = "HighConfidencePreservation"
    short: str = "keeps a sure answer"
    column: str = "HCP"
    description: str = "where the teacher is confident (>= tau), the student predicts its class with >= tau"
    paper: bool = True
    severity: str | None = "warning"
    evidence: str | None = "answer"  # another answer, or the same one below tau (then drift)

    def rule(self, t: Thresholds) -> str:
        return (
            f"Where the teacher is confident on a variant (top probability >= tau = {t.confidence_tau}), the "
            "student predicts the same class with probability >= tau."
        )

    def check(self, teacher: np.ndarray, student: np.ndarray, context: Context) -> Verdict:
        t, s = _pair(teacher, student)
        tau = context.thresholds.confidence_tau
        tc = t.argmax(axis=1)
        rows = np.arange(len(t))
        applies = t[rows, tc] >= tau
        student_on_class = s[rows, tc]
        kept = (s.argmax(axis=1) == tc) & (student_on_class >= tau)
        holds = ~applies | kept
        score = np.where(applies, np.maximum(tau - student_on_class, 0.0), 0.0)
        detail = tuple(
            f"teacher is not confident ({t[i, tc[i]]:.3f} < {tau})"
            if not applies[i]
            else f"teacher {context.label(tc[i])} at {t[i, tc[i]]:.3f}; student gives it {student_on_class[i]:.3f}"
            + ("" if holds[i] else f" (needs >= {tau})")
            for i in rows
        )
        return Verdict(holds, score, detail, applies)


@dataclass(frozen=True)
class CalibrationAlignment:
    name: str = "calibration-alignment"
    title: str = "CalibrationAlignment"
    short: str = "similar confidence"
    column: str = "CA"
    description: str = "the two models' confidences differ by at most delta"
    paper: bool = True
    severity: str | None = "hint"  # the answer may agree; only the confidence drifts
    evidence: str | None = "drift"

    def rule(self, t: Thresholds) -> str:
        return (
            "On every behaviour-preserving variant, the teacher's and the student's confidences (top probabilities) "
            f"differ by at most delta = {t.calibration_delta}."
        )

    def check(self, teacher: np.ndarray, student: np.ndarray, context: Context) -> Verdict:
        t, s = _pair(teacher, student)
        delta = context.thresholds.calibration_delta
        tconf, sconf = t.max(axis=1), s.max(axis=1)
        gap = np.abs(tconf - sconf)
        holds = gap <= delta + 1e-12
        detail = tuple(
            f"confidence teacher {a:.3f}, student {b:.3f}: difference {g:.3f} {'<=' if ok else '>'} {delta}"
            for a, b, g, ok in zip(tconf, sconf, gap, holds, strict=True)
        )
        return Verdict(holds, gap, detail)


@dataclass(frozen=True)
class DatasetCalibration:
    """Calibration Alignment over a dataset: the students' ECE is within delta of the teacher's.

    One verdict row for the whole set of inputs; needs the ground truth (`context.truth`).
    """

    name: str = "dataset-calibration"
    description: str = "the two models' expected calibration errors (ECE) differ by at most delta"

    def check(self, teacher: np.ndarray, student: np.ndarray, context: Context) -> Verdict:
        t, s = _pair(teacher, student)
        if context.truth is None:
            raise ValueError("dataset calibration needs the ground-truth labels (context.truth)")
        bins, delta = context.thresholds.ece_bins, context.thresholds.ece_delta
        te = expected_calibration_error(t, context.truth, bins)
        se = expected_calibration_error(s, context.truth, bins)
        gap = abs(te - se)
        ok = gap <= delta + 1e-12
        detail = (
            f"ECE teacher {te:.4f}, student {se:.4f} over {len(t)} inputs: difference {gap:.4f} "
            f"{'<=' if ok else '>'} {delta}",
        )
        return Verdict(np.array([ok]), np.array([gap]), detail)


@dataclass(frozen=True)
class Invariance:
    """A model's own invariance: its predicted class on a variant equals its predicted class on the original.

    `model` picks whose outputs are checked ("teacher" or "student"); the originals come from the context.
    """

    model: str = "student"
    name: str = ""
    title: str = ""
    short: str = ""
    column: str = ""
    description: str = ""
    paper: bool = False
    # The student changing its answer where the teacher does not is the paper's central observation; the
    # teacher changing its own answer is the teacher's weakness, never shown as the student's.
    severity: str | None = None
    evidence: str | None = None

    def __post_init__(self) -> None:
        if self.model not in ("teacher", "student"):
            raise ValueError(f"invariance is of the teacher or the student, not {self.model!r}")
        defaults = {
            "name": f"{self.model}-invariance",
            "title": f"{self.model.capitalize()}Invariance",
            "short": f"{self.model} keeps its answer",
            "column": f"{self.model} flips",
            "description": f"the {self.model} predicts the same class as on the original",
            "severity": "warning" if self.model == "student" else None,
            "evidence": "own-answer" if self.model == "student" else None,
        }
        for key, value in defaults.items():
            if not getattr(self, key):
                object.__setattr__(self, key, value)

    def rule(self, t: Thresholds) -> str:
        return f"The {self.model} predicts the same class on a behaviour-preserving variant as on the original function."

    def check(self, teacher: np.ndarray, student: np.ndarray, context: Context) -> Verdict:
        t, s = _pair(teacher, student)
        variant = t if self.model == "teacher" else s
        original = context.teacher_original if self.model == "teacher" else context.student_original
        if original is None:
            raise ValueError(f"{self.name} needs the {self.model}'s outputs on the originals in the context")
        o = np.broadcast_to(as_probabilities(original), variant.shape)
        oc, vc = o.argmax(axis=1), variant.argmax(axis=1)
        holds = oc == vc
        rows = np.arange(len(variant))
        score = np.where(holds, 0.0, np.maximum(o[rows, oc] - variant[rows, oc], 0.0))
        detail = tuple(
            f"{self.model} keeps {context.label(a)}"
            if a == b
            else f"{self.model} flips {context.label(a)} ({o[i, a]:.3f}) -> {context.label(b)} ({variant[i, b]:.3f})"
            for i, (a, b) in enumerate(zip(oc, vc, strict=True))
        )
        return Verdict(holds, score, detail)


# The per-input relations every variant is checked against (the paper's four, then the two invariances).
PAPER_RELATIONS: tuple[Relation, ...] = (
    PredictionAgreement(),
    DistributionSimilarity(),
    HighConfidencePreservation(),
    CalibrationAlignment(),
)
INVARIANCES: tuple[Relation, ...] = (Invariance("teacher"), Invariance("student"))
RELATIONS: tuple[Relation, ...] = (*PAPER_RELATIONS, *INVARIANCES)
PAPER_NAMES: frozenset[str] = frozenset(r.name for r in PAPER_RELATIONS)
SEVERITIES = ("error", "warning", "information", "hint")  # most severe first, as LSP numbers them


def relation_named(name: str) -> Relation:
    for relation in RELATIONS:
        if relation.name == name:
            return relation
    raise KeyError(name)


def verdicts(
    teacher: np.ndarray,
    student: np.ndarray,
    labels: Sequence[str],
    thresholds: Thresholds,
    *,
    originals: tuple[np.ndarray, np.ndarray] | None = None,
    truth: np.ndarray | None = None,
    relations: Sequence[Relation] = RELATIONS,
) -> dict[str, Verdict]:
    """Each relation's verdict on rows of both models' outputs: the one place a relation's context is built.

    `originals`: (teacher, student) on each row's original ([n, k], or [1, k] for one original shared by every
    row); the invariances need it. `truth`: ground-truth classes, for dataset calibration."""
    t_orig, s_orig = originals if originals is not None else (None, None)
    context = Context(tuple(labels), thresholds, t_orig, s_orig, truth)
    return {r.name: r.check(teacher, student, context) for r in relations}


def broken_by_row(found: dict[str, Verdict], rows: int) -> list[tuple[str, ...]]:
    """Per row, the names of the relations whose verdicts it breaks (in the order of `found`)."""
    broken: list[list[str]] = [[] for _ in range(rows)]
    for name, verdict in found.items():
        for row in verdict.violations:
            broken[row].append(name)
    return [tuple(b) for b in broken]
