"""What every model backend offers: inputs, the `Backend` protocol, tasks and their label spaces.

A backend maps model inputs (one code string for vulnerability prediction, a pair of code strings for clone
detection) to float32 class probabilities whose columns follow `labels`. For the known tasks the columns are
always in the task's canonical order, whatever order the checkpoint's outputs come in, so that a teacher and a
student can be compared column by column.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Protocol, runtime_checkable

import numpy as np

from metacompress_core.errors import MetaCompressError

ModelInput = str | tuple[str, str]

# Canonical label order per task: index 1 is the positive class, as in Devign and BigCloneBench.
TASK_LABELS: dict[str, tuple[str, ...]] = {
    "vuln": ("safe", "vulnerable"),
    "clone": ("not-clone", "clone"),
}
_TASK_ALIASES = {
    "vuln": "vuln",
    "vulnerability": "vuln",
    "vulnerability-prediction": "vuln",
    "defect": "vuln",
    "defect-detection": "vuln",
    "clone": "clone",
    "clone-detection": "clone",
}
# Which inputs each task takes: a single function, or a pair of functions.
TASK_INPUT = {"vuln": "single", "clone": "pair"}


def canonical_task(task: str | None) -> str | None:
    """The project's name for a task ("vuln" or "clone"), None when not given."""
    if task is None:
        return None
    try:
        return _TASK_ALIASES[task.strip().lower()]
    except KeyError:
        raise MetaCompressError(
            f"unknown task {task!r}: use one of {', '.join(sorted(TASK_LABELS))}"
        ) from None


@runtime_checkable
class Backend(Protocol):
    """A classifier of code: `predict` returns float32 probabilities of shape [len(inputs), len(labels)]."""

    name: str
    task: str | None  # "vuln" | "clone" | None (unknown)
    labels: tuple[str, ...]
    fingerprint: str  # sha256 over weights, tokenizer and preprocessing: the cache key's model part

    def predict(self, inputs: Sequence[ModelInput]) -> np.ndarray: ...


def check_compatible(teacher: Backend, student: Backend) -> None:
    """Raise a MetaCompressError unless teacher and student answer the same question in the same label space."""
    problems = []
    if len(teacher.labels) != len(student.labels):
        problems.append(f"the teacher has {len(teacher.labels)} classes, the student {len(student.labels)}")
    elif tuple(teacher.labels) != tuple(student.labels):
        problems.append(
            f"the teacher's labels are {list(teacher.labels)}, the student's {list(student.labels)}"
        )
    if teacher.task and student.task and teacher.task != student.task:
        problems.append(f"the teacher is a {teacher.task!r} model, the student a {student.task!r} model")
    if problems:
        raise MetaCompressError(
            f"teacher {teacher.name!r} and student {student.name!r} cannot be compared: "
            + "; ".join(problems)
            + ". Pass a teacher and a student of the same task with the same labels "
            "(state them in metacompress.json or the manifest)."
        )


def input_digest(item: ModelInput) -> str:
    """sha256 of the exact model input; a pair is hashed with lengths so ("ab","c") differs from ("a","bc")."""
    h = hashlib.sha256()
    if isinstance(item, str):
        h.update(b"single\0")
        h.update(item.encode("utf-8", errors="surrogatepass"))
    else:
        h.update(b"pair\0")
        for part in item:
            data = part.encode("utf-8", errors="surrogatepass")
            h.update(len(data).to_bytes(8, "little"))
            h.update(data)
    return h.hexdigest()


def check_inputs(inputs: Sequence[ModelInput], pairs: bool | None, model: str) -> None:
    """Reject inputs of the wrong kind: a pair model needs (code_a, code_b) pairs, a single model strings."""
    for i, item in enumerate(inputs):
        is_pair = isinstance(item, tuple)
        if is_pair and (len(item) != 2 or not all(isinstance(p, str) for p in item)):
            raise MetaCompressError(f"input {i} for {model!r} is not a pair of code strings")
        if not is_pair and not isinstance(item, str):
            raise MetaCompressError(f"input {i} for {model!r} is a {type(item).__name__}, not code text")
        if pairs is True and not is_pair:
            raise MetaCompressError(
                f"{model!r} compares two functions (clone detection): pass (code_a, code_b) pairs"
            )
        if pairs is False and is_pair:
            raise MetaCompressError(
                f"{model!r} classifies one function at a time: pass code strings, not pairs"
            )


def label_permutation(outputs: Sequence[str], task: str | None) -> tuple[tuple[str, ...], list[int] | None]:
    """The labels a backend reports and the column order that puts its outputs in that order.

    `outputs[i]` is what output index i of the checkpoint means. For a known task whose labels are a permutation
    of the canonical ones, the columns are reordered to the canonical order; otherwise they are kept.
    """
    outputs = tuple(outputs)
    if task in TASK_LABELS:
        canonical = TASK_LABELS[task]
        if sorted(outputs) == sorted(canonical):
            order = [outputs.index(label) for label in canonical]
            return canonical, (None if order == list(range(len(order))) else order)
        raise MetaCompressError(
            f"a {task!r} model must have the labels {list(canonical)} (in any order); this one states {list(outputs)}"
        )
    if len(set(outputs)) != len(outputs):
        raise MetaCompressError(f"the model's labels repeat: {list(outputs)}")
    return outputs, None


def to_probabilities(logits: np.ndarray, order: list[int] | None) -> np.ndarray:
    """Softmax over the last axis (in float64 for stability), columns reordered, as float32."""
    x = logits.astype(np.float64)
    x -= x.max(axis=-1, keepdims=True)
    e = np.exp(x)
    probs = e / e.sum(axis=-1, keepdims=True)
    if order is not None:
        probs = probs[:, order]
    return probs.astype(np.float32)
