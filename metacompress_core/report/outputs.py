"""The two models' outputs and the failing variant of a finding, in the words and values reports use."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from metacompress_core.engine import Finding, Observation
from metacompress_core.report.summary import ANY_PAPER_RELATION, PAPER_RELATION_NAMES


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


def outputs_phrase(obs: Observation, labels: tuple[str, ...]) -> str:
    """'student: vulnerable 0.97, teacher: safe 0.88'"""
    s_label, s_p = prediction(obs.student, labels)
    t_label, t_p = prediction(obs.teacher, labels)
    return f"student: {s_label} {s_p:.2f}, teacher: {t_label} {t_p:.2f}"


def variant_phrase(obs: Observation) -> str:
    """'after for -> while at line 4', or 'on the original code' when no transform was applied."""
    return f"after {clean(obs.variant.description)}" if obs.variant.steps else "on the original code"


def relations_broken(finding: Finding) -> list[str]:
    """The relations some input of the finding breaks: the paper's first, then the invariances."""
    names = [name for name in finding.violated if name != ANY_PAPER_RELATION]
    return [n for n in names if n in PAPER_RELATION_NAMES] + [
        n for n in names if n not in PAPER_RELATION_NAMES
    ]


def clean(text: str) -> str:
    """`text` without lone surrogates (undecodable source bytes), which no UTF-8 report can hold."""
    try:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    except UnicodeEncodeError:  # a surrogate that no byte stands for
        return text.encode("utf-8", "replace").decode("utf-8")
