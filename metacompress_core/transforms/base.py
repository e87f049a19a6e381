"""The vocabulary of transformations: sites, rewrites, variants, and applying a transform safely.

A transform finds `Site`s in a parsed unit and turns one site into a `Rewrite`: text splices located by
tree-sitter nodes (trees are immutable, so edits are made on the text and the result is re-parsed). A
rewrite whose result does not re-parse cleanly is dropped and counted; nothing invalid is ever emitted.
"""

from __future__ import annotations

import difflib
import hashlib
import random
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import tree_sitter

from metacompress_core.code.macros import env_for_file
from metacompress_core.code.parsing import Code, parse
from metacompress_core.code.units import Unit
from metacompress_core.transforms.analysis.c_dialect import DECLARATION_AFTER_STATEMENT, mixes_declarations


@dataclass(frozen=True)
class Splice:
    """Replace bytes [start, end) of the code with `text`."""

    start: int
    end: int
    text: str


@dataclass(frozen=True, eq=False)
class Site:
    """A place where a transform applies: a node of one parsed `Code`, plus whatever the transform needs."""

    node: tree_sitter.Node
    data: Any = None


@dataclass(frozen=True)
class Rewrite:
    splices: tuple[Splice, ...]
    detail: str  # what was done, for people: "renaming len -> n"


@runtime_checkable
class Transform(Protocol):
    name: str  # kebab-case, stable: used on the command line and in reports
    languages: frozenset[str]
    description: str

    def sites(self, code: Code) -> list[Site]: ...

    def rewrite(self, code: Code, site: Site, rng: random.Random) -> Rewrite | None: ...


@dataclass(frozen=True)
class Declined(Rewrite):
    """What `rewrite` returns when it declines for a reason worth counting (a macro it cannot see through):
    no splices; `apply_at` counts the reason in `TransformStats.declined`."""

    reason: str = ""


@dataclass(frozen=True)
class Step:
    transform: str
    detail: str
    seed: int | None = None  # set when the step was made from a replayable recipe
    move: str | None = None  # the recipe's move when it is not the transform's name ("rename:url")


@dataclass(frozen=True)
class Variant:
    """A behaviour-preserving variant of a unit: its code and the steps that made it."""

    unit: Unit
    source: str
    steps: tuple[Step, ...] = ()

    @property
    def transforms(self) -> tuple[str, ...]:
        return tuple(s.transform for s in self.steps)

    @property
    def description(self) -> str:
        return "; ".join(s.detail for s in self.steps) or "original"

    def parse(self) -> Code:
        macros = env_for_file(self.unit.path) if self.unit.language == "c" else None
        return parse(self.source, self.unit.language, unit=True, first_line=self.unit.start[0], macros=macros)

    def diff(self, context: int = 3) -> str:
        """A unified diff of the unit against the variant; hunk headers count lines of the file."""
        name = self.unit.qualname  # no path: the same code gives the same diff wherever it lies
        lines = difflib.unified_diff(
            self.unit.source.splitlines(keepends=True),
            self.source.splitlines(keepends=True),
            fromfile=f"{name} (original)",
            tofile=f"{name} ({', '.join(self.transforms) or 'original'})",
            n=context,
        )
        return "".join(_shift_hunk(line, self.unit.start[0]) for line in lines)


_HUNK = re.compile(r"^@@ -(\d+)(,\d+)? \+(\d+)(,\d+)? @@")


def _shift_hunk(line: str, by: int) -> str:
    """A hunk header `@@ -a,b +c,d @@` moved down by `by` lines (a unit's lines -> its file's lines)."""
    match = _HUNK.match(line) if by else None
    if match is None:
        return line
    a, b, c, d = match.groups()
    return f"@@ -{int(a) + by}{b or ''} +{int(c) + by}{d or ''} @@" + line[match.end() :]


def original(unit: Unit) -> Variant:
    return Variant(unit, unit.source)


@dataclass
class TransformStats:
    """What happened when transforms were applied: emitted variants, invalid rewrites dropped, and sites
    declined for a counted reason (by (transform, reason): a macro the transform cannot see through)."""

    emitted: Counter = field(default_factory=Counter)
    dropped: Counter = field(default_factory=Counter)
    declined: Counter = field(default_factory=Counter)

    def merge(self, other: TransformStats) -> None:
        self.emitted.update(other.emitted)
        self.dropped.update(other.dropped)
        self.declined.update(other.declined)


def seeded_rng(seed: int, *keys: str) -> random.Random:
    """A generator determined by the seed and the keys alone (stable across processes, unlike hash())."""
    digest = hashlib.sha256(repr((seed, *keys)).encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def splice(src: bytes, splices: tuple[Splice, ...] | list[Splice]) -> bytes:
    """Apply non-overlapping splices (byte offsets into `src`)."""
    out, pos = [], 0
    for s in sorted(splices, key=lambda s: (s.start, s.end)):
        if s.start < pos:
            raise ValueError(f"overlapping splices at byte {s.start}")
        out += [src[pos : s.start], s.text.encode("utf-8", errors="surrogateescape")]
        pos = s.end
    out.append(src[pos:])
    return b"".join(out)


MASKED_EDIT = "the rewrite would change a macro use the parser read masked"


def _edits_masked(code: Code, splices: tuple[Splice, ...]) -> bool:
    """True when a splice cuts into a masked macro use, or replaces one without keeping its text."""
    for s in splices:
        for m in code.masked:
            if s.start == s.end:
                if m.start < s.start < m.end:
                    return True
            elif s.start < m.end and m.start < s.end:
                inside = s.start <= m.start and m.end <= s.end
                if not inside or code.src[m.start : m.end].decode("utf-8", "surrogateescape") not in s.text:
                    return True
    return False


def apply_at(
    code: Code, transform: Transform, site: Site, rng: random.Random, stats: TransformStats | None = None
) -> tuple[Code, Rewrite] | None:
    """Apply `transform` at `site`; None when it declines or its result does not parse cleanly (counted)."""
    rewrite = transform.rewrite(code, site, rng)
    if isinstance(rewrite, Declined) and stats is not None:
        stats.declined[(transform.name, rewrite.reason)] += 1
    if rewrite is None or not rewrite.splices:
        return None
    if code.masked and _edits_masked(code, rewrite.splices):
        if stats is not None:
            stats.declined[(transform.name, MASKED_EDIT)] += 1
        return None
    new_src = splice(code.src, rewrite.splices)
    new_code = parse(
        new_src, code.language, unit=code.is_unit, first_line=code.first_line, macros=code.macros
    )
    if new_code.has_errors() or new_src == code.src:
        if stats is not None and new_src != code.src:
            stats.dropped[transform.name] += 1
        return None
    if code.language.name == "c" and mixes_declarations(new_code) and not mixes_declarations(code):
        if stats is not None:
            stats.declined[(transform.name, DECLARATION_AFTER_STATEMENT)] += 1
        return None
    if stats is not None:
        stats.emitted[transform.name] += 1
    return new_code, rewrite


def apply_random(
    code: Code, transform: Transform, rng: random.Random, stats: TransformStats | None = None
) -> tuple[Code, Rewrite] | None:
    """Apply `transform` once at a site chosen by `rng`, trying other sites if the first one fails."""
    if code.language.name not in transform.languages:
        return None
    sites = transform.sites(code)
    rng.shuffle(sites)
    for site in sites:
        result = apply_at(code, transform, site, rng, stats)
        if result is not None:
            return result
    return None


def transform_variant(
    variant: Variant, transform: Transform, rng: random.Random, stats: TransformStats | None = None
) -> Variant | None:
    """One more step on a variant (composition); None when the transform does not apply."""
    result = apply_random(variant.parse(), transform, rng, stats)
    if result is None:
        return None
    new_code, rewrite = result
    return Variant(variant.unit, new_code.text, (*variant.steps, Step(transform.name, rewrite.detail)))


def compose(
    unit: Unit, transforms: list[Transform], rng: random.Random, stats: TransformStats | None = None
) -> Variant:
    """Apply each transform in turn (those that do not apply are skipped)."""
    variant = original(unit)
    for t in transforms:
        variant = transform_variant(variant, t, rng, stats) or variant
    return variant
