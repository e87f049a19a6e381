"""Compressor's architecture search: a genetic algorithm whose fitness rewards computation under a size budget.

Compressor (Shi et al., ASE 2022) uses GFLOPs as a training-free proxy for capacity: among models of about the
target size, the one doing more computation per input tends to learn more. Fitness here is
log(GFLOPs) - closeness_weight * |size - target| / target for a model at or under the target, and strictly
below every such model when it is over (the target is a hard limit for shipped students).
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from metacompress_core.distill.architecture import Arch, gflops, weight_bytes
from metacompress_core.distill.search_space import SearchSpace, crossover, mutate, sample
from metacompress_core.errors import MetaCompressError

OVER_BUDGET = -1e9


@dataclass(frozen=True)
class GASettings:
    population: int = 50
    generations: int = 100
    tournament: int = 3
    elite: int = 2
    crossover_rate: float = 0.6
    mutation_rate: float = 0.3
    closeness_weight: float = 2.0


def fitness(a: Arch, target_bytes: int, max_length: int, weight: float) -> float:
    size = weight_bytes(a, max_length)
    distance = abs(size - target_bytes) / target_bytes
    if size > target_bytes:
        return OVER_BUDGET - distance
    return math.log(gflops(a, max_length)) - weight * distance


def genetic_search(
    space: SearchSpace, target_bytes: int, max_length: int, seed: int, settings: GASettings | None = None
) -> tuple[Arch, list[dict]]:
    """The fittest architecture found, and one record per generation (best fitness, size, GFLOPs)."""
    s = settings or GASettings()
    rng = random.Random(seed)
    score_cache: dict[Arch, float] = {}

    def score(a: Arch) -> float:
        if a not in score_cache:
            score_cache[a] = fitness(a, target_bytes, max_length, s.closeness_weight)
        return score_cache[a]

    population = [sample(space, rng) for _ in range(s.population)]
    history: list[dict] = []
    for generation in range(s.generations + 1):
        ranked = sorted(population, key=lambda a: (-score(a), a))
        best = ranked[0]
        history.append(
            {
                "generation": generation,
                "fitness": round(score(best), 5),
                "bytes": weight_bytes(best, max_length),
                "gflops": round(gflops(best, max_length), 5),
                "arch": best.to_dict(),
                "feasible": sum(score(a) > OVER_BUDGET / 2 for a in population),
            }
        )
        if generation == s.generations:
            break
        children = ranked[: s.elite]
        while len(children) < s.population:
            a = _tournament(population, s.tournament, score, rng)
            if rng.random() < s.crossover_rate:
                child = crossover(a, _tournament(population, s.tournament, score, rng), space, rng)
            else:
                child = a
            children.append(mutate(child, space, rng, s.mutation_rate))
        population = children
    best = min(score_cache, key=lambda a: (-score_cache[a], a))
    if score_cache[best] <= OVER_BUDGET / 2:
        raise MetaCompressError(
            f"no architecture in the search space fits {target_bytes:,} bytes: lower the space's minimum "
            "vocabulary/hidden size (--space) or raise --size-mb"
        )
    return best, history


def _tournament(population: list[Arch], k: int, score, rng: random.Random) -> Arch:
    return max(rng.sample(population, min(k, len(population))), key=lambda a: (score(a), a))
