"""The one place where a search queries models: a hard query budget, a cache, and the result it reports.

A query is one input scored by one model: scoring n variants under a fidelity objective (teacher and student)
costs 2n queries, under an attack objective n. The original counts too. A batch that does not fit in what is
left of the budget is cut short, so the budget is never exceeded. A variant whose text was scored before is
answered from the cache at no cost. The first success is placed at the query count of the input that
achieved it (inputs of a batch are counted in order).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from metacompress_core.observe import observe
from metacompress_core.plan.objectives import Objective
from metacompress_core.plan.recipes import Recipe
from metacompress_core.transforms.base import Step, Variant


@dataclass(frozen=True, eq=False)
class Scored:
    """What a planner learns of one variant it proposed: the objective's score and verdict, and the outputs."""

    variant: Variant
    score: float
    success: bool
    probs: tuple[np.ndarray, ...]  # one [k] row per model


def answered(cache: dict[str, Scored], proposed: list[Variant]) -> list[Scored]:
    """The Scored of each proposed variant whose text `cache` holds, in order (a variant made another way
    that gives the same text gets the same scores)."""
    out = []
    for v in proposed:
        hit = cache.get(v.source)
        if hit is not None:
            out.append(hit if hit.variant == v else Scored(v, hit.score, hit.success, hit.probs))
    return out


@dataclass(frozen=True, eq=False)
class SearchResult:
    strategy: str
    objective: str
    success: bool
    queries: int  # model queries spent (inputs x models), never more than the budget
    first_success_query: int | None  # the query count at which the first success was scored
    best_source: str  # the successful variant, else the best-scoring one (the original when nothing beat it)
    best_score: float
    original_score: float
    steps: tuple[Step, ...]  # how best_source was made from the source: Step(transform, detail)
    original_probs: tuple[np.ndarray, ...]  # per model of the objective, [k]
    best_probs: tuple[np.ndarray, ...]
    variants_scored: int  # distinct variants (the original included) that were sent to the models
    budget: int
    seconds: float = 0.0
    variants: tuple[str, ...] = ()  # every distinct input text scored, in order (the original first)
    recipe: Recipe = Recipe(())  # replays best_source from the source (plan/recipes.py: realise)

    @property
    def details(self) -> tuple[str, ...]:
        return tuple(s.detail for s in self.steps)


@dataclass
class BudgetedEvaluator:
    objective: Objective
    budget: int
    queries: int = 0
    first_success_query: int | None = None
    best: Scored | None = None
    original: Scored | None = None
    cache: dict[str, Scored] = field(default_factory=dict)

    @property
    def cost(self) -> int:
        return len(self.objective.models)

    @property
    def remaining_inputs(self) -> int:
        return (self.budget - self.queries) // self.cost

    @property
    def done(self) -> bool:
        """Stop searching: something succeeded, or not one more input fits in the budget."""
        return self.first_success_query is not None or self.remaining_inputs <= 0

    def evaluate(self, candidates: list[Variant]) -> list[Scored]:
        """Scores for as many of `candidates` as the budget allows (cached ones are free), in order."""
        fresh: list[Variant] = []
        seen: set[str] = set()
        for c in candidates:
            if c.source not in self.cache and c.source not in seen:
                seen.add(c.source)
                fresh.append(c)
        fresh = fresh[: max(self.remaining_inputs, 0)]
        if fresh:
            self._score(fresh)
        return answered(self.cache, candidates)

    def _score(self, fresh: list[Variant]) -> None:
        inputs = [self.objective.model_input(c.source) for c in fresh]
        probs = tuple(np.asarray(p, dtype=np.float32) for p in observe([inputs], self.objective.models)[0])
        before = self.queries
        self.queries += len(fresh) * self.cost
        if self.original is None:  # the first input ever scored is the original itself
            original = tuple(p[:1] for p in probs)
        else:
            original = tuple(o[None, :] for o in self.original.probs)
        scores, successes = self.objective.judge(probs, original)
        for i, c in enumerate(fresh):
            scored = Scored(c, float(scores[i]), bool(successes[i]), tuple(p[i] for p in probs))
            self.cache[c.source] = scored
            if self.original is None:
                self.original = scored
            if scored.success and self.first_success_query is None:
                self.first_success_query = before + (i + 1) * self.cost
            if self._better(scored):
                self.best = scored

    def _better(self, scored: Scored) -> bool:
        if self.best is None:
            return True
        if self.best.success:
            return False
        return scored.success or scored.score > self.best.score

    def result(self, strategy: str, seconds: float = 0.0) -> SearchResult:
        original, best = self.original, self.best or self.original
        if original is None or best is None:  # the budget did not even cover the original
            empty: tuple[np.ndarray, ...] = ()
            return SearchResult(
                strategy, self.objective.description, False, self.queries, None, "", 0.0, 0.0, (), empty, empty,
                0, self.budget, seconds,
            )  # fmt: skip
        return SearchResult(
            strategy=strategy,
            objective=self.objective.description,
            success=best.success,
            queries=self.queries,
            first_success_query=self.first_success_query,
            best_source=best.variant.source,
            best_score=best.score,
            original_score=original.score,
            steps=best.variant.steps,
            original_probs=original.probs,
            best_probs=best.probs,
            variants_scored=len(self.cache),
            budget=self.budget,
            seconds=seconds,
            variants=tuple(self.cache),
            recipe=Recipe.of(best.variant),
        )
