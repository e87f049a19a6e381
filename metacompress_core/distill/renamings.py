"""MORPH's variants: the same function with its local variables and parameters renamed.

Made with the project's own scope-aware transforms (rename-variable, rename-parameter), so a variant behaves
exactly like its original. A function the transforms cannot rename (no locals, or code tree-sitter cannot
parse cleanly) has no variant.
"""

from __future__ import annotations

from metacompress_core.code.parsing import parse
from metacompress_core.models.base import ModelInput
from metacompress_core.transforms.base import apply_random, seeded_rng
from metacompress_core.transforms.families.rename import RENAMINGS
from metacompress_core.transforms.registry import get_transform

LANGUAGE = {"vuln": "c", "clone": "java"}


def renamed(code: str, language: str, seed: int, steps: int = 2) -> str | None:
    """`code` with up to `steps` renamings (variables and parameters, alternately); None when none applies."""
    try:
        current = parse(code, language, unit=True)
    except Exception:  # tree-sitter could not take it as one unit: no variant rather than a wrong one
        return None
    if current.has_errors():
        return None
    rng = seeded_rng(seed, "morph", code)
    changed = False
    for i in range(steps):
        result = apply_random(current, get_transform(RENAMINGS[i % len(RENAMINGS)]), rng)
        if result is not None:
            current, changed = result[0], True
    return current.text if changed else None


def renamed_input(item: ModelInput, task: str, seed: int) -> ModelInput | None:
    """A renamed variant of a function, or of both functions of a clone pair (either side alone when only one
    can be renamed); None when nothing can be renamed."""
    language = LANGUAGE[task]
    if isinstance(item, str):
        return renamed(item, language, seed)
    a, b = item
    ra, rb = renamed(a, language, seed), renamed(b, language, seed + 1)
    if ra is None and rb is None:
        return None
    return (ra or a, rb or b)
