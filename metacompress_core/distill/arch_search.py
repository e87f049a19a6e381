"""The architecture search of each method.

- compressor: the genetic algorithm of genetic.py (training-free: size and GFLOPs only).
- avatar: a handful of configurations are briefly distilled (probes) and surrogate regressions learn their
  accuracy and held-out distillation loss; an evolutionary multi-objective search then trades predicted accuracy, GFLOPs and size (tokenizer
  type and vocabulary are searched too), and the pick is the most accurate point of the Pareto front.
- morph: as avatar, plus the prediction-flip rate on renamed variants (measured on the probes, predicted by
  a second surrogate) as an objective; the pick maximises predicted accuracy minus predicted flips.
Every size is checked against the target: nothing over it is ever picked.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from metacompress_core.distill.architecture import Arch, gflops, weight_bytes
from metacompress_core.distill.genetic import GASettings, genetic_search
from metacompress_core.distill.pareto import Surrogate, non_dominated_fronts
from metacompress_core.distill.search_space import SearchSpace, crossover, mutate, sample
from metacompress_core.errors import MetaCompressError

METHODS = ("compressor", "avatar", "morph")
# A probe: briefly distil an architecture and measure it on a validation sample: {"accuracy", "loss" (the
# distillation loss to the teacher's outputs there), "flips" (morph: share of renamings that change the answer)}.
Probe = Callable[[Arch], dict]


@dataclass(frozen=True)
class SearchBudget:
    generations: int = 100  # compressor's GA; also the multi-objective search's generations
    population: int = 50
    probes: int = 8  # avatar/morph: configurations briefly distilled to fit the surrogates


def search(
    method: str,
    space: SearchSpace,
    target_bytes: int,
    max_length: int,
    seed: int,
    budget: SearchBudget,
    probe: Probe | None = None,
) -> dict:
    """{"arch": the chosen Arch as a dict, ...what the card reports about how it was chosen}."""
    if method == "compressor":
        arch, history = genetic_search(
            space,
            target_bytes,
            max_length,
            seed,
            GASettings(population=budget.population, generations=budget.generations),
        )
        return {"arch": arch.to_dict(), "history": history, **_measures(arch, max_length)}
    if method not in METHODS:
        raise MetaCompressError(f"unknown method {method!r}: use one of {', '.join(METHODS)}")
    if probe is None:
        raise MetaCompressError(f"the {method} search needs a probe (brief distillation) function")
    rng = random.Random(seed)
    feasible = [a for a in _distinct_samples(space, rng, 400) if weight_bytes(a, max_length) <= target_bytes]
    if not feasible:
        raise MetaCompressError(
            f"no architecture in the search space fits {target_bytes:,} bytes: lower the space's minima "
            "(--space) or raise --size-mb"
        )
    probes = _spread(feasible, budget.probes, max_length)
    measured = [(a, probe(a)) for a in probes]
    archs_measured = [a for a, _ in measured]
    keys = ("accuracy", "loss", "flips") if method == "morph" else ("accuracy", "loss")
    surrogates = {k: Surrogate(max_length).fit(archs_measured, [m[k] for _, m in measured]) for k in keys}
    predicted: dict[Arch, dict[str, float]] = {}

    def objectives(a: Arch) -> tuple[float, ...]:
        p = predicted.setdefault(a, {k: s.predict(a) for k, s in surrogates.items()})
        quality = (-p["accuracy"], p["loss"], *((p["flips"],) if "flips" in p else ()))
        return (*quality, gflops(a, max_length), weight_bytes(a, max_length) / target_bytes)

    seen: dict[Arch, tuple[float, ...]] = {}
    population = list(probes) + [rng.choice(feasible) for _ in range(max(0, budget.population - len(probes)))]
    for _ in range(budget.generations):
        for a in population:
            if a not in seen and weight_bytes(a, max_length) <= target_bytes:
                seen[a] = objectives(a)
        population = _next_generation(
            population, seen, space, rng, budget.population, target_bytes, max_length
        )
    for a in population:
        if a not in seen and weight_bytes(a, max_length) <= target_bytes:
            seen[a] = objectives(a)
    archs = sorted(seen)
    front = [archs[i] for i in non_dominated_fronts([seen[a] for a in archs])[0]]

    def merit(a: Arch) -> tuple[float, float, float]:
        """Predicted accuracy (minus predicted flips for morph), to 3 decimals; then the lower predicted
        held-out distillation loss (informative even when brief probes all predict the majority class)."""
        p = predicted[a]
        return (round(p["accuracy"] - p.get("flips", 0.0), 3), -p["loss"], -gflops(a, max_length))

    def report(a: Arch) -> dict:
        return {f"predicted_{k}": round(v, 4) for k, v in predicted[a].items()} | _measures(a, max_length)

    chosen = max(front, key=lambda a: (merit(a), a))
    return {
        "arch": chosen.to_dict(),
        "probes": [{"arch": a.to_dict(), **m, **_measures(a, max_length)} for a, m in measured],
        "front": [
            {"arch": a.to_dict(), **report(a)} for a in sorted(front, key=lambda a: (merit(a), a))[::-1][:20]
        ],
        **report(chosen),
    }


def _measures(a: Arch, max_length: int) -> dict:
    return {"bytes": weight_bytes(a, max_length), "gflops": round(gflops(a, max_length), 5)}


def _distinct_samples(space: SearchSpace, rng: random.Random, n: int) -> list[Arch]:
    return sorted({sample(space, rng) for _ in range(n)})


def _spread(feasible: list[Arch], k: int, max_length: int) -> list[Arch]:
    """k probes spread evenly over the feasible sizes (so the surrogate sees small and large models)."""
    by_size = sorted(feasible, key=lambda a: (weight_bytes(a, max_length), a))
    if k >= len(by_size):
        return by_size
    step = (len(by_size) - 1) / max(1, k - 1)
    return sorted({by_size[round(i * step)] for i in range(k)})


def _next_generation(
    population: list[Arch],
    seen: dict[Arch, tuple[float, ...]],
    space: SearchSpace,
    rng: random.Random,
    size: int,
    target_bytes: int,
    max_length: int,
) -> list[Arch]:
    """Parents by Pareto rank (binary tournament), children by crossover and mutation, kept under the target."""
    ranked = sorted(a for a in set(population) if a in seen)
    fronts = non_dominated_fronts([seen[a] for a in ranked])
    rank = {ranked[i]: r for r, front in enumerate(fronts) for i in front}
    parents = ranked or population
    children: list[Arch] = [a for a in ranked if rank[a] == 0][: size // 2]
    tries = 0
    while len(children) < size and tries < size * 20:
        tries += 1
        a, b = (
            min(rng.sample(parents, min(2, len(parents))), key=lambda x: (rank.get(x, 99), x)) for _ in "ab"
        )
        child = mutate(crossover(a, b, space, rng), space, rng)
        if weight_bytes(child, max_length) <= target_bytes:
            children.append(child)
    return children or population
