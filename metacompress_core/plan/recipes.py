"""Recipes: replayable sequences of moves (plan/moves.py: transforms and renamings), and the default plan.

A recipe names its moves and the seed of each step, so the same recipe always yields the same variant.
That makes variants cheap to describe (in a diagnostic's `data`, a report) and lets a failing variant be
shrunk by replaying the recipe with steps left out.
"""

from __future__ import annotations

from dataclasses import dataclass

from metacompress_core.code.units import Unit
from metacompress_core.plan.moves import apply_move
from metacompress_core.transforms.base import TransformStats, Variant, original, seeded_rng
from metacompress_core.transforms.registry import transforms_for


@dataclass(frozen=True)
class Recipe:
    steps: tuple[tuple[str, int], ...]  # (move, step seed): a transform's name or a renaming (plan/moves.py)

    def without(self, index: int) -> Recipe:
        return Recipe(self.steps[:index] + self.steps[index + 1 :])

    @classmethod
    def of(cls, variant: Variant) -> Recipe:
        """The recipe that replays `variant` (made by `realise`). A step made without a seed (by a transform
        applied directly) cannot be replayed: guessing one would replay another variant, so it is an error."""
        unseeded = [s.transform for s in variant.steps if s.seed is None]
        if unseeded:
            raise ValueError(
                f"the variant's step {unseeded[0]!r} was not made from a recipe (it has no seed), so it cannot be "
                "replayed; make variants with realise() to replay them"
            )
        return cls(tuple((s.move or s.transform, s.seed) for s in variant.steps))


def realise(unit: Unit, recipe: Recipe, stats: TransformStats | None = None) -> Variant | None:
    """The variant a recipe makes; None when a step does not apply (the recipe is then not meaningful)."""
    variant: Variant | None = original(unit)
    for move, seed in recipe.steps:
        variant = apply_move(variant, move, seed, stats)
        if variant is None:
            return None
    return variant


def default_plan(
    unit: Unit,
    budget: int,
    compositions: int,
    seed: int,
    max_steps: int = 3,
    transforms: list[str] | None = None,
    stats: TransformStats | None = None,
) -> list[Variant]:
    """Each applicable transform once, then random compositions of them, at most `budget` distinct variants.

    Single transforms come first (they explain a violation best); compositions of 2..max_steps of the
    applicable transforms fill the rest of the budget, up to `compositions` of them.
    """
    names = transforms if transforms is not None else [t.name for t in transforms_for(unit.language)]
    rng = seeded_rng(seed, unit.key, "plan")
    seen = {unit.source}
    variants: list[Variant] = []
    applicable: list[str] = []
    for name in names:
        if len(variants) >= budget:
            break
        variant = realise(unit, Recipe(((name, seed),)), stats)
        if variant is None:
            continue
        applicable.append(name)
        if variant.source not in seen:
            seen.add(variant.source)
            variants.append(variant)
    if len(applicable) < 2:
        return variants
    attempts = 0
    made = 0
    while made < compositions and len(variants) < budget and attempts < 4 * compositions:
        attempts += 1
        length = rng.randint(2, min(max_steps, len(applicable)))
        steps = tuple((name, rng.randrange(2**31)) for name in rng.sample(applicable, length))
        variant = realise(unit, Recipe(steps), stats)
        if variant is None or variant.source in seen:
            continue
        seen.add(variant.source)
        variants.append(variant)
        made += 1
    return variants
