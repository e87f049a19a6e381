"""The statistics of `metacompress eval` (docs/REPRODUCTION.md, "Intervals and tests"): a 95% interval on every
rate, with the dataset's inputs as the clusters (an input is one function: its original and its variants, which
share its code and are not independent), and paired tests between the students evaluated together.

The statistics themselves are `check --baseline`'s (metacompress_core.scores): the cluster-robust interval, and
the exact sign-flip test over functions, which is McNemar's exact test when each function differs by one input.
"""

from __future__ import annotations

from itertools import combinations

import numpy as np

from metacompress_core.report.baseline import ALPHA
from metacompress_core.scores import holm, paired_outcomes, rate_interval

OUTCOME = "an input (a function's original or one of its variants) breaks at least one of the paper's four relations"
TEST = (
    "McNemar's exact test with functions as the units (sign-flip over the functions whose inputs differ), "
    "two-sided: 2 x the smaller one-sided p, at most 1"
)


def interval(checked, hits) -> list[float] | None:
    """The 95% interval of sum(hits) / sum(checked) over clusters, as JSON ([low, high] or None)."""
    ci = rate_interval(checked, hits)
    return None if ci is None else [ci[0], ci[1]]


def _per_cluster(values: np.ndarray, clusters: np.ndarray) -> np.ndarray:
    _, index = np.unique(clusters, return_inverse=True)
    return np.bincount(index.reshape(-1), weights=values.astype(np.float64))


def rate_entry(applies: np.ndarray, hits: np.ndarray, clusters: np.ndarray) -> dict:
    """applicable, violations, rate and its 95% interval; rate and interval are None where nothing applies."""
    applies = np.asarray(applies, dtype=bool)
    hits = np.asarray(hits, dtype=bool) & applies
    applicable, violations = int(applies.sum()), int(hits.sum())
    if not applicable:
        return {"applicable": 0, "violations": 0, "rate": None, "ci": None}
    return {
        "applicable": applicable,
        "violations": violations,
        "rate": violations / applicable,
        "ci": interval(_per_cluster(applies, clusters), _per_cluster(hits, clusters)),
    }


def score_intervals(predicted: np.ndarray, truth: np.ndarray, clusters: np.ndarray) -> dict:
    """95% intervals of accuracy, precision and recall (positive class 1) of predicted labels, and how many
    labels each is a rate over (`precision_of` 0: nothing predicted positive, the precision is undefined)."""
    predicted, truth = np.asarray(predicted).reshape(-1), np.asarray(truth).reshape(-1)
    out = {}
    for name, over, hit in (
        ("accuracy", np.ones(len(truth), dtype=bool), predicted == truth),
        ("precision", predicted == 1, truth == 1),
        ("recall", truth == 1, predicted == 1),
    ):
        entry = rate_entry(over, hit, clusters)
        out[f"{name}_ci"], out[f"{name}_of"] = entry["ci"], entry["applicable"]
    return out


def pairwise(outcomes: dict[str, list[list[bool]]]) -> dict:
    """Every pair of students on the same inputs: per input, whether each breaks a relation (`OUTCOME`);
    the exact paired test over functions, two-sided; significance at ALPHA after Holm's correction over the
    pairs. `outcomes[role]` holds, per function, its inputs' outcomes (original first, then the variants)."""
    pairs = []
    for a, b in combinations(outcomes, 2):
        test = paired_outcomes(
            [list(zip(x, y, strict=True)) for x, y in zip(outcomes[a], outcomes[b], strict=True)]
        )
        pairs.append(
            {
                "a": a,
                "b": b,
                "inputs": test.inputs,
                "functions": test.clusters,
                "rate_a": test.rate_a,
                "ci_a": interval(test.checked, test.hits_a),
                "rate_b": test.rate_b,
                "ci_b": interval(test.checked, test.hits_b),
                "a_only": test.a_only,
                "b_only": test.b_only,
                "functions_differing": test.clusters_differing,
                "p_a_greater": test.p_greater,
                "p_b_greater": test.p_less,
                "p_two_sided": test.p_two_sided,
            }
        )
    for pair, adjusted in zip(pairs, holm([p["p_two_sided"] for p in pairs]), strict=True):
        pair["p_holm"] = adjusted
        pair["significant"] = adjusted < ALPHA
        worse = pair["a"] if pair["a_only"] > pair["b_only"] else pair["b"]
        pair["worse"] = worse if pair["significant"] else None
    return {"outcome": OUTCOME, "test": TEST, "alpha": ALPHA, "correction": "holm", "pairs": pairs}
