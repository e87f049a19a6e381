"""The two models' outputs and the failing variant of a finding, in the words and values reports use."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from metacompress_core.findings import Finding, Observation
from metacompress_core.relations import PAPER_NAMES


def number(x: Any) -> float | None:
    """A probability or divergence as a JSON number (None for NaN/inf, which JSON cannot hold)."""
    value = float(x)
    return value if math.isfinite(value) else None


def prediction(probs: np.ndarray, labels: tuple[str, ...]) -> tuple[str, float]:
    """The predicted label and its probability."""
    index = int(np.argmax(probs))
    label = labels[index] if index < len(labels) else f"class {index}"
    return label, float(probs[index])


def model_output(probs: np.ndarray, labels: tuple[str, ...]) -> dict[str, Any]:
    label, p = prediction(probs, labels)
    names = [labels[i] if i < len(labels) else f"class {i}" for i in range(len(probs))]
    return {
        "predicted": label,
        "confidence": number(p),
        "probabilities": {name: number(v) for name, v in zip(names, probs, strict=True)},
    }


def both_outputs(obs: Observation, labels: tuple[str, ...]) -> dict[str, Any]:
    return {
        "teacher": model_output(obs.teacher, labels),
        "student": model_output(obs.student, labels),
        "js_divergence": number(obs.divergence),
        "violated": list(obs.violated),
    }


def _said(probs: np.ndarray, labels: tuple[str, ...]) -> str:
    label, p = prediction(probs, labels)
    return f"{label} {p:.2f}"


def _on_class(probs: np.ndarray, index: int) -> str:
    return f"{float(probs[index]):.2f}"


def _pairing(obs: Observation, finding: Finding) -> str:
    """' (paired with add)' for clone detection, when the pair is not the function with itself."""
    partner = obs.partner
    if partner is None:
        return ""
    if partner.id == finding.unit.id:
        return " (paired with itself)"
    return f" (paired with {clean(partner.qualname)})"


def evidence_message(finding: Finding) -> str:
    """One self-contained sentence: what the student does, on which code, and what the teacher does there."""
    e = finding.evidence
    if e is None:
        return no_evidence_reason(finding)
    labels, o = finding.labels, e.original
    t_class = int(np.argmax(o.teacher))
    teacher_o = _said(o.teacher, labels)
    if not e.induced:
        sure = " is sure of" if e.kind == "contradicts-sure-teacher" else " answers"
        return (
            f"On the code as written{_pairing(o, finding)}, the student answers {_said(o.student, labels)} where "
            f"the teacher{sure} {teacher_o}; no transformation is involved"
        )
    v = e.variant
    assert v is not None  # induced evidence always names its variant
    after = f"After {clean(v.variant.description)}{_pairing(v, finding)}"
    teacher_v = _said(v.teacher, labels)
    if e.kind == "student-flip":
        return (
            f"{after}, the student flips from {_said(o.student, labels)} to {_said(v.student, labels)}; "
            f"the teacher keeps {prediction(v.teacher, labels)[0]} ({_on_class(o.teacher, t_class)} -> "
            f"{_on_class(v.teacher, t_class)})"
        )
    if e.kind == "flip-to-teacher":
        return (
            f"{after}, the student changes from {_said(o.student, labels)} to the teacher's answer "
            f"{_said(v.student, labels)}: its disagreement on the original (teacher {teacher_o}) does not survive "
            "a behaviour-preserving change"
        )
    if e.kind == "confidence-drift":
        label = prediction(v.teacher, labels)[0]
        return (
            f"{after}, the student's probability of the teacher's answer {label} moves away from the teacher's: "
            f"teacher {_on_class(o.teacher, t_class)} -> {_on_class(v.teacher, t_class)}, "
            f"student {_on_class(o.student, t_class)} -> {_on_class(v.student, t_class)}"
        )
    sure = " is sure of" if e.kind == "contradicts-sure-teacher" else " answers"
    return (
        f"{after}, the student answers {_said(v.student, labels)} where the teacher{sure} {teacher_v}; "
        f"on the original the student said {_said(o.student, labels)}"
    )


def evidence_count(finding: Finding) -> str:
    """'prediction-agreement; 3 of 16 variants': the relation and how many inputs show the same departure. On the
    original: also on how many variants the relation still breaks as it does there."""
    e = finding.evidence
    if e is None:
        return ""
    pairs = finding.original.partner is not None
    if e.induced:
        what = "pairs with a variant" if pairs else ("variant" if e.among == 1 else "variants")
        return f"{e.relation}; {e.same} of {e.among} {what}"
    what = ("original pair" if e.among == 1 else "original pairs") if pairs else "original"
    if not pairs and e.among > 1:
        what = "originals"
    variants = finding.inputs_checked - finding.originals
    still = finding.tallies[e.relation].persisting
    return f"{e.relation}; {e.same} of {e.among} {what}, and still on {still} of {variants} with a variant"


def finding_message(finding: Finding) -> str:
    """The diagnostic / SARIF / table sentence: the evidence and its count."""
    if finding.evidence is None:
        return no_evidence_reason(finding)
    return clean(f"{evidence_message(finding)} ({evidence_count(finding)})")


def no_evidence_reason(finding: Finding) -> str:
    """Why a function is not shown, in a sentence."""
    n, reference = finding.inputs_checked, finding.policy.reference
    if finding.teacher_unsure == n:
        return (
            f"The teacher is unsure on all {n} inputs (confidence below {reference:.2f}): it is no reference "
            "here, so nothing is reported"
        )
    broken = sum(1 for t in finding.tallies.values() if t.total)
    if not broken:
        return f"The student agrees with its teacher on all {n} inputs"
    parts = []
    if finding.teacher_unsure:
        parts.append(
            f"the teacher is unsure on {finding.teacher_unsure} of {n} inputs (below {reference:.2f})"
        )
    if finding.flips.teacher_only or finding.flips.both:
        parts.append(
            f"the teacher itself changes its answer on {finding.flips.teacher_only + finding.flips.both}"
        )
    parts.append(
        "the rest are undecided answers, or breaks the student's own move did not cause (the teacher moved, "
        "or they are already present on the original code)"
    )
    return "Relations break, but no input is evidence against the student: " + "; ".join(parts)


def relations_broken(finding: Finding) -> list[str]:
    """The relations some input of the finding breaks: the paper's first, then the invariances."""
    names = list(finding.violated)
    return [n for n in names if n in PAPER_NAMES] + [n for n in names if n not in PAPER_NAMES]


def clean(text: str) -> str:
    """`text` without lone surrogates (undecodable source bytes), which no UTF-8 report can hold."""
    try:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    except UnicodeEncodeError:  # a surrogate that no byte stands for
        return text.encode("utf-8", "replace").decode("utf-8")
