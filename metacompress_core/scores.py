"""Classification scores of predicted labels against the truth: one definition for every command."""

from __future__ import annotations

import numpy as np


def classification_scores(truth, predicted) -> dict[str, float | int]:
    """n, accuracy, and precision/recall/F1 of the positive class (label 1); zeros where undefined."""
    y, p = np.asarray(truth).reshape(-1), np.asarray(predicted).reshape(-1)
    tp = int(((p == 1) & (y == 1)).sum())
    fp = int(((p == 1) & (y == 0)).sum())
    fn = int(((p == 0) & (y == 1)).sum())
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    accuracy = float((p == y).mean()) if len(y) else 0.0
    return {"n": len(y), "accuracy": accuracy, "precision": precision, "recall": recall, "f1": f1}
