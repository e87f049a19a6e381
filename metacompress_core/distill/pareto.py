"""Multi-objective pieces of the AVATAR and MORPH searches: Pareto fronts and a small surrogate regression.

Objectives are minimised; a maximised quantity (accuracy) enters negated.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from metacompress_core.distill.architecture import TOKENIZERS, Arch, gflops, param_count


def dominates(a: Sequence[float], b: Sequence[float]) -> bool:
    return all(x <= y for x, y in zip(a, b, strict=True)) and any(x < y for x, y in zip(a, b, strict=True))


def non_dominated_fronts(points: Sequence[Sequence[float]]) -> list[list[int]]:
    """Indices by front (NSGA-II's fast non-dominated sort): front 0 is the Pareto front."""
    n = len(points)
    dominated_by: list[list[int]] = [[] for _ in range(n)]
    count = [0] * n
    for i in range(n):
        for j in range(n):
            if i != j and dominates(points[i], points[j]):
                dominated_by[i].append(j)
            elif i != j and dominates(points[j], points[i]):
                count[i] += 1
    fronts = [[i for i in range(n) if count[i] == 0]]
    while fronts[-1]:
        nxt = []
        for i in fronts[-1]:
            for j in dominated_by[i]:
                count[j] -= 1
                if count[j] == 0:
                    nxt.append(j)
        fronts.append(sorted(nxt))
    return fronts[:-1]


def features(a: Arch, max_length: int) -> list[float]:
    """What the surrogate sees: log sizes of each dimension, tokenizer type, log parameters and log GFLOPs."""
    return [
        math.log(a.vocab),
        float(a.layers),
        math.log(a.hidden),
        math.log2(a.heads),
        math.log(a.ffn),
        math.log(param_count(a, max_length)),
        math.log(gflops(a, max_length)),
        *[float(a.tokenizer == t) for t in TOKENIZERS[1:]],
    ]


class Surrogate:
    """Ridge regression on standardised features, fitted on the few briefly distilled probe configurations.

    With few probes a linear model with a strong ridge is the honest choice: it ranks, it does not memorise.
    """

    def __init__(self, max_length: int, ridge: float = 1.0):
        self.max_length, self.ridge = max_length, ridge
        self.mean = self.scale = self.coef = None
        self.bias = 0.0

    def fit(self, archs: Sequence[Arch], targets: Sequence[float]) -> Surrogate:
        x = np.array([features(a, self.max_length) for a in archs], dtype=np.float64)
        y = np.asarray(targets, dtype=np.float64)
        self.mean, self.scale = x.mean(axis=0), x.std(axis=0)
        self.scale[self.scale == 0] = 1.0
        z = (x - self.mean) / self.scale
        self.bias = float(y.mean())
        self.coef = np.linalg.solve(z.T @ z + self.ridge * np.eye(z.shape[1]), z.T @ (y - self.bias))
        return self

    def predict(self, a: Arch) -> float:
        z = (np.array(features(a, self.max_length)) - self.mean) / self.scale
        return float(self.bias + z @ self.coef)
