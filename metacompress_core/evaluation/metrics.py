"""The numbers of an evaluation: classification scores, calibration (ECE with its reliability bins) and
linear CKA between two models' representations. Pure functions over numpy arrays."""

from __future__ import annotations

import numpy as np

from metacompress_core.relations import as_probabilities, expected_calibration_error
from metacompress_core.scores import classification_scores


def classification(probs: np.ndarray, truth: np.ndarray) -> dict[str, float | int]:
    """Accuracy, and precision/recall/F1 of the positive class (column 1 of the canonical labels)."""
    return classification_scores(truth, as_probabilities(probs).argmax(axis=1))


def reliability(probs: np.ndarray, truth: np.ndarray, bins: int = 10) -> dict:
    """ECE and its reliability diagram: per equal-width confidence bin (lower, upper], the number of inputs,
    their accuracy and mean confidence (the same binning as relations.expected_calibration_error)."""
    p = as_probabilities(probs)
    truth = np.asarray(truth).reshape(-1)
    conf = p.max(axis=1)
    correct = (p.argmax(axis=1) == truth).astype(np.float64)
    index = np.clip(np.ceil(conf * bins).astype(int) - 1, 0, bins - 1)
    rows = []
    for b in range(bins):
        inside = index == b
        count = int(inside.sum())
        rows.append(
            {
                "lower": b / bins,
                "upper": (b + 1) / bins,
                "count": count,
                "accuracy": float(correct[inside].mean()) if count else None,
                "confidence": float(conf[inside].mean()) if count else None,
            }
        )
    return {"ece": expected_calibration_error(p, truth, bins), "bins": rows}


def linear_cka(x: np.ndarray, y: np.ndarray) -> float | None:
    """Linear centered kernel alignment (Kornblith et al., 2019) between two representations of the same
    n inputs ([n, d1] and [n, d2]): ||Yc^T Xc||_F^2 / (||Xc^T Xc||_F ||Yc^T Yc||_F), in [0, 1].
    None when either representation is the same for every input (CKA is undefined there)."""
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if x.shape[0] != y.shape[0]:
        raise ValueError(f"CKA needs the same inputs: {x.shape[0]} vs {y.shape[0]} rows")
    if x.shape[0] < 2 or bool(np.all(x == x[0])) or bool(np.all(y == y[0])):
        return None
    x = x - x.mean(axis=0, keepdims=True)
    y = y - y.mean(axis=0, keepdims=True)
    cross = np.linalg.norm(y.T @ x, "fro") ** 2
    norm = np.linalg.norm(x.T @ x, "fro") * np.linalg.norm(y.T @ y, "fro")
    return float(cross / norm) if norm > 0 else None


def cka_matrix(
    teacher_layers: list[np.ndarray], student_layers: list[np.ndarray]
) -> list[list[float | None]]:
    """CKA of every (teacher layer, student layer) pair: rows are teacher layers, columns student layers."""
    return [[linear_cka(t, s) for s in student_layers] for t in teacher_layers]
