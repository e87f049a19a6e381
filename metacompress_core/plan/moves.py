"""Moves: the replayable steps of a recipe, all behaviour-preserving.

A move is a registry transform's name, applied at a site chosen by the step's seed, or a renaming:
- `rename:url`: rename a variable or parameter chosen by the seed to `url`;
- `rename-binding:3:i:url`: rename binding 3 (in document order), named `i`, to `url`.
Renamings go through the scope-aware `rename` transform, which refuses keywords, builtins, macros and any
name that would collide with, capture or shadow another. A renaming strategy (greedy, genetic, MHM) works on
"slots": the renameable variables and parameters of the original, numbered in document order, so that a
renaming is a set of (slot, new name) genes that can be replayed on the original in any combination.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace

from metacompress_core.code.units import Unit
from metacompress_core.plan.names import NameSource
from metacompress_core.transforms.analysis.bindings import Analysis, Binding, analyze
from metacompress_core.transforms.analysis.text import identifiers
from metacompress_core.transforms.base import (
    Site,
    Step,
    TransformStats,
    Variant,
    original,
    seeded_rng,
    splice,
    transform_variant,
)
from metacompress_core.transforms.families.rename import RENAMINGS, Declared, name_allowed, rename
from metacompress_core.transforms.registry import get_transform, transforms_for

RENAME_OPERATOR = "rename"
RENAME_TO = "rename:"  # + the new name
RENAME_BINDING = "rename-binding:"  # + slot:old:new


def apply_move(variant: Variant, move: str, seed: int, stats: TransformStats | None = None) -> Variant | None:
    """One more step on `variant`, determined by the move and the seed alone; None when it does not apply."""
    rng = seeded_rng(seed, variant.unit.key, move)
    if move.startswith(RENAME_TO):
        return _rename_some(variant, move, seed, move.removeprefix(RENAME_TO), rng)
    if move.startswith(RENAME_BINDING):
        index, old, new = move.removeprefix(RENAME_BINDING).split(":")
        return _rename_binding(variant, move, seed, int(index), old, new)
    step = transform_variant(variant, get_transform(move), rng, stats)
    if step is None:
        return None
    return replace(step, steps=(*step.steps[:-1], replace(step.steps[-1], seed=seed)))


def _renameable(variant: Variant) -> tuple[Analysis, list[Binding]]:
    analysis = analyze(variant.parse())
    return analysis, [b for b in analysis.bindings if b.role is not None and analysis.why_not(b) is None]


def _renamed(variant: Variant, analysis: Analysis, binding: Binding, new_name: str, move: str, seed: int):
    code = analysis.code
    rewrite = rename(code, Site(binding.decl, Declared(analysis, binding)), new_name)
    if rewrite is None:
        return None
    new_variant = Variant(variant.unit, splice(code.src, rewrite.splices).decode("utf-8", "surrogateescape"))
    if new_variant.parse().has_errors():
        return None
    step = Step(f"rename-{binding.role}", rewrite.detail, seed, move)
    return replace(new_variant, steps=(*variant.steps, step))


def _rename_some(variant: Variant, move: str, seed: int, new_name: str, rng: random.Random) -> Variant | None:
    """Rename one of (at most two tried) random variables or parameters to `new_name`."""
    analysis, bindings = _renameable(variant)
    if not bindings or new_name in identifiers(analysis.code):  # taken: renaming to it would collide
        return None
    for binding in rng.sample(bindings, min(2, len(bindings))):
        if name_allowed(analysis, binding, new_name):  # cheap check before the full re-analysis
            done = _renamed(variant, analysis, binding, new_name, move, seed)
            if done is not None:
                return done
    return None


def _rename_binding(variant: Variant, move: str, seed: int, index: int, old: str, new: str) -> Variant | None:
    analysis = analyze(variant.parse())
    if index >= len(analysis.bindings) or analysis.bindings[index].name != old:
        return None
    return _renamed(variant, analysis, analysis.bindings[index], new, move, seed)


@dataclass(frozen=True)
class Slot:
    index: int  # position in the original's scope analysis (Analysis.bindings)
    name: str  # the original name
    role: str  # "variable" | "parameter"


def renaming_slots(unit: Unit) -> list[Slot]:
    analysis = analyze(original(unit).parse())
    return [
        Slot(i, b.name, b.role)
        for i, b in enumerate(analysis.bindings)
        if b.role is not None and analysis.why_not(b) is None
    ]


def apply_genes(unit: Unit, slots: list[Slot], genes: dict[int, str]) -> Variant:
    """The original with slot `s` renamed to `genes[s]` for each gene that the rename transform accepts.

    Genes it refuses (the name would collide with another variable, or the new name is reserved) are left
    out of the variant, whose steps say which ones were applied (`genes_of`)."""
    by_slot = {s.index: s for s in slots}
    variant = original(unit)
    for index in sorted(genes):
        slot = by_slot[index]
        if genes[index] != slot.name:
            move = f"{RENAME_BINDING}{index}:{slot.name}:{genes[index]}"
            variant = apply_move(variant, move, 0) or variant
    return variant


def genes_of(variant: Variant) -> tuple[tuple[int, str], ...]:
    """The (slot, new name) renamings a variant made by `apply_genes` carries."""
    moves = [s.move for s in variant.steps if s.move and s.move.startswith(RENAME_BINDING)]
    return tuple((int(i), new) for i, _, new in (m.removeprefix(RENAME_BINDING).split(":") for m in moves))


def substitutes(unit: Unit, names: NameSource, rng: random.Random, k: int) -> list[str]:
    """Up to k natural names that do not occur in the function yet (so no collision is likely)."""
    return names.sample(rng, k, exclude=identifiers(original(unit).parse()))


def operators(language: str) -> list[str]:
    """Every move a transform-level search may choose: each registry transform, and renaming."""
    return [t.name for t in transforms_for(language) if t.name not in RENAMINGS] + [RENAME_OPERATOR]


def renaming_operators(names: list[str]) -> list[str]:
    """One operator per substitute name: "rename:url" renames some variable to `url`."""
    return [f"{RENAME_TO}{name}" for name in names]


def apply_operator(variant: Variant, operator: str, names: NameSource, rng: random.Random) -> Variant | None:
    """One more step on `variant` (None when the operator does not apply to it); the step's seed is drawn
    from `rng`, so the result is a recipe that replays. The bare renaming operator first picks a few
    natural names, each tried as its own `rename:<name>` move."""
    seed = rng.randrange(2**31)
    if operator != RENAME_OPERATOR:
        return apply_move(variant, operator, seed)
    for name in names.sample(rng, 4, exclude=identifiers(variant.parse())):
        moved = apply_move(variant, f"{RENAME_TO}{name}", seed)
        if moved is not None:
            return moved
    return None
