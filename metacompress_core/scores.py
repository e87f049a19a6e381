"""Classification scores of predicted labels against the truth: one definition for every command."""

from __future__ import annotations

import math

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
    estimate = clustered_rate_se(checked, hits)
    if estimate is None:
        return None
    rate, se = estimate
    return max(0.0, rate - z * se), min(1.0, rate + z * se)


def clustered_rate_se(
    checked: list[int] | np.ndarray, hits: list[int] | np.ndarray
) -> tuple[float, float] | None:
    """(rate, cluster-robust standard error) of sum(hits) / sum(checked), as `clustered_rate_interval` uses
    them; None with fewer than 2 clusters that checked something."""
    c, h = np.asarray(checked, dtype=float), np.asarray(hits, dtype=float)
    keep = c > 0
    c, h = c[keep], h[keep]
    n = len(c)
    if n < 2:
        return None
    rate = h.sum() / c.sum()
    se = np.sqrt(n / (n - 1) * ((h - rate * c) ** 2).sum()) / c.sum()
    return float(rate), float(se)


def sign_flip_greater(differences: list[int] | np.ndarray) -> float:
    """Exact one-sided p-value that paired differences lean positive, with clusters as the units: the chance,
    if each cluster's difference were as likely to have the other sign (all 2^m sign patterns of the m non-zero
    ones equally likely), of a sum at least the observed one.

    For `check --baseline`, a cluster is a function and its difference is (inputs violated now but not in the
    baseline) − (violated in the baseline but not now). With one discordant input per function this is McNemar's
    exact test, P(Binomial(m, 1/2) >= newly violated); with more, a function's inputs move together (they share
    its code), so its whole difference flips sign as one. So m functions can give at best 2^-m: five moving the
    same way for p < 0.05.
    1.0 when nothing differs.
    """
    d = np.abs(np.asarray(differences, dtype=np.int64))
    observed = int(np.sum(differences))
    d = d[d > 0]
    if len(d) == 0:
        return 1.0
    total = int(d.sum())
    # Distribution of the sum of ±d_i over the 2^m sign patterns, indexed by sum + total.
    prob = np.zeros(2 * total + 1)
    prob[total] = 1.0
    for x in d:
        prob = _step(prob, int(x))
    return float(min(1.0, prob[observed + total :].sum()))


def _step(prob: np.ndarray, x: int) -> np.ndarray:
    """The distribution after adding +x or -x with probability 1/2 each."""
    out = np.zeros_like(prob)
    out[x:] += 0.5 * prob[: len(prob) - x]
    out[: len(prob) - x] += 0.5 * prob[x:]
    return out


def normal_greater(z: float) -> float:
    """P(Z >= z) for a standard normal Z (one-sided p-value of a z statistic)."""
    return 0.5 * math.erfc(z / math.sqrt(2.0))
