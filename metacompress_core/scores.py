"""Classification scores of predicted labels against the truth, and the statistics every command reports
(cluster-robust intervals, exact paired tests over clusters): one definition for every command."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

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


def rate_interval(
    checked: list[int] | np.ndarray, hits: list[int] | np.ndarray
) -> tuple[float, float] | None:
    """The 95% interval of sum(hits) / sum(checked) that `eval` reports: `clustered_rate_interval`, except at
    the edges. With no hit at all (or nothing but hits) the cluster-robust standard error is 0 and the normal
    interval shrinks to a point, a certainty that 0 violations in 40 functions cannot give; there the interval
    runs from the estimate to the exact two-sided 95% (Clopper-Pearson) bound with the m clusters as the trials,
    1 - 0.025^(1/m): as if each function's inputs all moved together, the cautious reading. None with fewer than
    2 clusters that checked something.
    """
    c, h = np.asarray(checked, dtype=float), np.asarray(hits, dtype=float)
    keep = c > 0
    m = int(keep.sum())
    if m < 2:
        return None
    hit, total = float(h[keep].sum()), float(c[keep].sum())
    if hit == 0:
        return 0.0, 1.0 - 0.025 ** (1.0 / m)
    if hit == total:
        return 0.025 ** (1.0 / m), 1.0
    return clustered_rate_interval(c, h)


@dataclass(frozen=True)
class PairedOutcomes:
    """Two binary outcomes, a and b (e.g. "violated by this student" and "by that one"), on the same inputs,
    grouped in clusters (a function's original and variants), with the exact paired test over clusters."""

    checked: tuple[int, ...]  # per cluster: inputs paired
    hits_a: tuple[int, ...]  # per cluster: inputs where a is hit
    hits_b: tuple[int, ...]
    a_only: int  # inputs where a is hit and b is not
    b_only: int
    differences: tuple[int, ...]  # per cluster: (a hit, b not) - (b hit, a not)
    p_greater: float  # one-sided: a is hit more often than b (`sign_flip_greater`)
    p_less: float  # one-sided: b more often than a

    @property
    def inputs(self) -> int:
        return sum(self.checked)

    @property
    def clusters(self) -> int:
        return len(self.checked)

    @property
    def rate_a(self) -> float:
        return sum(self.hits_a) / self.inputs if self.inputs else 0.0

    @property
    def rate_b(self) -> float:
        return sum(self.hits_b) / self.inputs if self.inputs else 0.0

    @property
    def clusters_differing(self) -> int:
        return sum(d != 0 for d in self.differences)

    @property
    def p_two_sided(self) -> float:
        """Two-sided p-value from the two one-sided exact tests: 2 x the smaller one, at most 1."""
        return min(1.0, 2.0 * min(self.p_greater, self.p_less))


def paired_outcomes(clusters: Iterable[Sequence[tuple[bool, bool]]]) -> PairedOutcomes:
    """(a, b) per input, inputs grouped by cluster (empty clusters are left out) -> counts and exact tests."""
    groups = [list(pairs) for pairs in clusters if len(pairs)]
    a_only = [sum(a and not b for a, b in pairs) for pairs in groups]
    b_only = [sum(b and not a for a, b in pairs) for pairs in groups]
    differences = [x - y for x, y in zip(a_only, b_only, strict=True)]
    return PairedOutcomes(
        checked=tuple(len(pairs) for pairs in groups),
        hits_a=tuple(sum(bool(a) for a, _ in pairs) for pairs in groups),
        hits_b=tuple(sum(bool(b) for _, b in pairs) for pairs in groups),
        a_only=sum(a_only),
        b_only=sum(b_only),
        differences=tuple(differences),
        p_greater=sign_flip_greater(differences),
        p_less=sign_flip_greater([-d for d in differences]),
    )


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm's step-down adjustment, for several tests read together: the k-th smallest of m p-values is
    multiplied by (m - k + 1), kept at least as large as the adjusted ones before it, and capped at 1. A test is
    significant at level alpha when its adjusted p-value is below alpha; the chance of any false positive among
    the m is then at most alpha."""
    m = len(p_values)
    adjusted = [1.0] * m
    running = 0.0
    for rank, i in enumerate(sorted(range(m), key=lambda i: p_values[i])):
        running = max(running, min(1.0, (m - rank) * p_values[i]))
        adjusted[i] = running
    return adjusted


def independent_rates_greater(
    now: tuple[float, float] | None, then: tuple[float, float] | None
) -> float | None:
    """One-sided p of rate(now) > rate(then) for two independent samples, each given as (rate, cluster-robust
    standard error) from `clustered_rate_se`: a z-test on the difference. None when either has no standard
    error (fewer than two clusters)."""
    if now is None or then is None:
        return None
    (rate, se), (base, base_se) = now, then
    spread = math.hypot(se, base_se)
    if spread == 0.0:
        return 0.0 if rate > base else 1.0
    return normal_greater((rate - base) / spread)


def p_text(p: float | None) -> str:
    """A p-value as reports print it: 3 significant digits; one too small for a float is "< 1e-300", not 0."""
    if p is None:
        return "n/a"
    return "< 1e-300" if p < 1e-300 else f"{p:.3g}"
