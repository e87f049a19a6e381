"""Recipes replay variants exactly, and a variant that no recipe made is refused rather than replayed wrongly."""

from __future__ import annotations

import pytest

from metacompress_core.code.units import extract_units
from metacompress_core.plan.recipes import Recipe, default_plan, realise
from metacompress_core.transforms.base import original, seeded_rng, transform_variant
from metacompress_core.transforms.registry import get_transform

C = (
    "int total(const int *a, int n)\n{\n    int t = 0;\n    for (int i = 0; i < n; i++) {\n"
    "        if (a[i] > 0)\n            t += a[i];\n    }\n    return t;\n}\n"
)


def test_every_planned_variant_is_replayed_exactly_by_its_recipe() -> None:
    unit = extract_units(C, "c", "t.c")[0]
    variants = default_plan(unit, budget=12, compositions=4, seed=3)
    assert len(variants) >= 8
    for variant in variants:
        recipe = Recipe.of(variant)
        again = realise(unit, recipe)
        assert again is not None and again.source == variant.source
        assert Recipe.of(again) == recipe
    two = Recipe((("for-to-while", 1), ("rename-variable", 2)))
    replayed = realise(unit, two)
    assert replayed is not None and [s.transform for s in replayed.steps] == [
        "for-to-while",
        "rename-variable",
    ]
    one = realise(unit, two.without(0))
    assert two.without(0).steps == (("rename-variable", 2),)
    assert one is not None and "while" not in one.source and one.source != replayed.source


def test_a_variant_made_without_a_recipe_cannot_become_one() -> None:
    unit = extract_units(C, "c", "t.c")[0]
    variant = transform_variant(original(unit), get_transform("for-to-while"), seeded_rng(0, "x", "y"))
    assert variant is not None and variant.steps[0].seed is None
    with pytest.raises(ValueError, match="for-to-while.*no seed"):
        Recipe.of(variant)
    assert Recipe.of(original(unit)) == Recipe(())  # the original needs no step
