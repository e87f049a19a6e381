"""Applying a transform to every function of a file and splicing the variants back into it."""

from __future__ import annotations

from dataclasses import dataclass

from metacompress_core.code.languages import Language
from metacompress_core.code.parsing import parse
from metacompress_core.code.units import Unit, extract_units
from metacompress_core.errors import MetaCompressError
from metacompress_core.transforms.base import (
    Splice,
    Transform,
    TransformStats,
    Variant,
    compose,
    original,
    seeded_rng,
    splice,
    transform_variant,
)


@dataclass(frozen=True)
class FileResult:
    source: str  # the whole transformed file
    variants: tuple[Variant, ...]  # one per function that changed


def transform_file(
    source: str,
    language: Language,
    transform: Transform,
    seed: int = 0,
    function: str | None = None,
    path: str = "<memory>",
    stats: TransformStats | None = None,
) -> FileResult:
    """The transform applied once to every function where it applies (or only to `function`).

    A function nested in one that already changed is left alone, so splices never overlap.
    """
    if language.name not in transform.languages:
        raise MetaCompressError(
            f"transform {transform.name!r} does not apply to {language.name} "
            f"(it handles {', '.join(sorted(transform.languages))})"
        )
    units = extract_units(source, language, path)
    if function is not None:
        units = [u for u in units if u.qualname == function or u.name == function]
        if not units:
            raise MetaCompressError(f"no function named {function!r} in {path}")
    changed: list[Variant] = []
    for unit in units:
        if any(_inside(unit, v.unit) for v in changed):
            continue
        variant = transform_variant(
            original(unit), transform, seeded_rng(seed, unit.key, transform.name), stats
        )
        if variant is not None:
            changed.append(variant)
    return FileResult(splice_variants(source, language, changed, transform.name, path), tuple(changed))


def compose_file(
    source: str,
    language: Language,
    transforms: list[Transform],
    per_function: int = 3,
    seed: int = 0,
    path: str = "<memory>",
) -> FileResult:
    """Every function rewritten by `per_function` transforms drawn at random for it, applied in turn.

    Spliced back like `transform_file`: a function nested in one that already changed is left alone.
    """
    ordered = sorted((t for t in transforms if language.name in t.languages), key=lambda t: t.name)
    changed: list[Variant] = []
    for unit in extract_units(source, language, path):
        if any(_inside(unit, v.unit) for v in changed):
            continue
        rng = seeded_rng(seed, unit.key, "compose")  # the code's key, not its path: the same draws anywhere
        variant = compose(unit, rng.sample(ordered, min(per_function, len(ordered))), rng)
        if variant.steps:
            changed.append(variant)
    return FileResult(splice_variants(source, language, changed, "compose", path), tuple(changed))


def splice_variants(
    source: str, language: Language, variants: list[Variant] | tuple[Variant, ...], what: str, path: str
) -> str:
    """`source` with each variant's function text in place of the original function."""
    src = source.encode("utf-8", errors="surrogateescape")
    new_src = splice(src, [Splice(v.unit.start_byte, v.unit.end_byte, v.source) for v in variants])
    if (
        parse(new_src, language).tree.root_node.has_error
        and not parse(src, language).tree.root_node.has_error
    ):
        raise MetaCompressError(f"internal error: {what} broke {path}; please report it")
    return new_src.decode("utf-8", errors="surrogateescape")


def _inside(inner: Unit, outer: Unit) -> bool:
    return outer.start_byte <= inner.start_byte and inner.end_byte <= outer.end_byte
