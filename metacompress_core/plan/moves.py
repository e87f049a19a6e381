"""The moves a search may make, all behaviour-preserving: registry transforms, and renamings to natural names.

Renamings go through the scope-aware `rename` transform, which refuses keywords, builtins, macros and any
name that would collide with, capture or shadow another. A renaming strategy (greedy, genetic, MHM) works on
"slots": the renameable variables and parameters of the original, numbered in document order, so that a
renaming is a set of (slot, new name) genes that can be replayed on the original in any combination.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from metacompress_core.code.parsing import Code, parse
from metacompress_core.plan.budget import Candidate
from metacompress_core.plan.names import NameSource
from metacompress_core.transforms.base import Site, Step, Transform, apply_random, splice
from metacompress_core.transforms.bindings import analyze
from metacompress_core.transforms.registry import transforms_for
from metacompress_core.transforms.rename import Declared, name_allowed, rename
from metacompress_core.transforms.text import identifiers

# The registry's own renamings draw fresh names from a fixed list; searches rename through a NameSource.
RENAMING_TRANSFORMS = frozenset({"rename-variable", "rename-parameter"})
RENAME_OPERATOR = "rename"


@dataclass(frozen=True)
class Slot:
    index: int  # position in the original's scope analysis (Analysis.bindings)
    name: str  # the original name
    role: str  # "variable" | "parameter"


def renaming_slots(source: str, language: str) -> list[Slot]:
    analysis = analyze(parse(source, language, unit=True))
    return [
        Slot(i, b.name, b.role)
        for i, b in enumerate(analysis.bindings)
        if b.role is not None and analysis.why_not(b) is None
    ]


def _rename_binding(code: Code, index: int, expected: str, new_name: str) -> tuple[Code, str] | None:
    analysis = analyze(code)
    if index >= len(analysis.bindings) or analysis.bindings[index].name != expected:
        return None
    binding = analysis.bindings[index]
    rewrite = rename(code, Site(binding.decl, Declared(analysis, binding)), new_name)
    if rewrite is None:
        return None
    new_code = parse(splice(code.src, rewrite.splices), code.language, unit=True)
    return None if new_code.has_errors() else (new_code, rewrite.detail)


def apply_genes(source: str, language: str, slots: list[Slot], genes: dict[int, str]) -> Candidate:
    """The original with slot `s` renamed to `genes[s]` for each gene that the rename transform accepts.

    Genes it refuses (the name would collide with another variable, or the new name is reserved) are left
    out of the candidate, whose `genes` say which ones were applied."""
    code = parse(source, language, unit=True)
    by_slot = {s.index: s for s in slots}
    steps: list[Step] = []
    applied: list[tuple[int, str]] = []
    for slot_index in sorted(genes):
        slot = by_slot[slot_index]
        new_name = genes[slot_index]
        if new_name == slot.name:
            continue
        done = _rename_binding(code, slot.index, slot.name, new_name)
        if done is None:
            continue
        code, detail = done
        steps.append(Step(f"rename-{slot.role}", detail))
        applied.append((slot_index, new_name))
    return Candidate(code.text, tuple(steps), tuple(applied))


def substitutes(source: str, language: str, names: NameSource, rng: random.Random, k: int) -> list[str]:
    """Up to k natural names that do not occur in the function yet (so no collision is likely)."""
    return names.sample(rng, k, exclude=identifiers(parse(source, language, unit=True)))


def operators(language: str) -> list[str]:
    """Every move a transform-level search may choose: each registry transform, and renaming."""
    return [t.name for t in transforms_for(language) if t.name not in RENAMING_TRANSFORMS] + [RENAME_OPERATOR]


def renaming_operators(names: list[str]) -> list[str]:
    """One operator per substitute name: "rename:url" renames some variable to `url`."""
    return [f"{RENAME_OPERATOR}:{name}" for name in names]


def apply_operator(
    candidate: Candidate,
    language: str,
    operator: str,
    transforms: dict[str, Transform],
    names: NameSource,
    rng: random.Random,
) -> Candidate | None:
    """One more step on `candidate` (None when the operator does not apply to it)."""
    code = parse(candidate.source, language, unit=True)
    if operator == RENAME_OPERATOR:
        return _rename_random(candidate, code, names, rng)
    if operator.startswith(RENAME_OPERATOR + ":"):
        return _rename_random(candidate, code, names, rng, operator.split(":", 1)[1])
    result = apply_random(code, transforms[operator], rng)
    if result is None:
        return None
    new_code, rewrite = result
    return Candidate(new_code.text, (*candidate.steps, Step(operator, rewrite.detail)))


def _rename_random(
    candidate: Candidate, code: Code, names: NameSource, rng: random.Random, new_name: str | None = None
) -> Candidate | None:
    """Rename a random variable or parameter to `new_name`, else to one of a few names drawn from `names`."""
    analysis = analyze(code)
    bindings = [b for b in analysis.bindings if b.role is not None and analysis.why_not(b) is None]
    if not bindings:
        return None
    present = identifiers(code)
    if new_name is None:
        tries = [(rng.choice(bindings), name) for name in names.sample(rng, 4, exclude=present)]
    elif new_name in present:  # renamed to it already, or taken: renaming more to it would collide
        return None
    else:
        tries = [(b, new_name) for b in rng.sample(bindings, min(2, len(bindings)))]
    for binding, name in tries:
        if not name_allowed(analysis, binding, name):  # cheap check before the full re-analysis
            continue
        rewrite = rename(code, Site(binding.decl, Declared(analysis, binding)), name)
        if rewrite is None:
            continue
        new_code = parse(splice(code.src, rewrite.splices), code.language, unit=True)
        if not new_code.has_errors():
            step = Step(f"rename-{binding.role}", rewrite.detail)
            return Candidate(new_code.text, (*candidate.steps, step))
    return None
