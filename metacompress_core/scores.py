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


def clustered_rate_interval(
    checked: list[int] | np.ndarray, hits: list[int] | np.ndarray, z: float = 1.96
) -> tuple[float, float] | None:
    """A 95% interval for sum(hits) / sum(checked) when the items come in clusters (the inputs of one function:
    its original and variants, which are not independent of each other).

    The cluster-robust (delta-method) standard error of a ratio estimator: with r the rate and n clusters,
    se² = n / (n - 1) · Σ (hits_i − r · checked_i)² / (Σ checked_i)². The number of functions, not of inputs,
    sets the width: 600 inputs from 3 functions say little. None with fewer than 2 clusters (no spread to
    measure). Normal-approximation interval, clipped to [0, 1]; rough below ~10 functions.
    """
    c, h = np.asarray(checked, dtype=float), np.asarray(hits, dtype=float)
    keep = c > 0
    c, h = c[keep], h[keep]
    n = len(c)
    if n < 2:
        return None
    rate = h.sum() / c.sum()
    se = np.sqrt(n / (n - 1) * ((h - rate * c) ** 2).sum()) / c.sum()
    return max(0.0, float(rate - z * se)), min(1.0, float(rate + z * se))
