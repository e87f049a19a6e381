"""All transforms, by name: the one list of them.

Each module of `families/` holds the whole implementation of its transforms and exports them as a TRANSFORMS
tuple; `_FAMILIES` below lists the families. A new transform goes into its family's module (class and
TRANSFORMS entry); a new family is one module there plus its entry in `_FAMILIES`. The order of `_FAMILIES`
is the order of `TRANSFORMS` (`metacompress transform --list`, `transforms_for`), on which seeded plans
depend: append, do not reorder.
"""

from __future__ import annotations

from metacompress_core.errors import MetaCompressError
from metacompress_core.transforms.base import Transform
from metacompress_core.transforms.families import (
    assignments,
    blocks,
    booleans,
    comments,
    conditionals,
    expressions,
    formatting,
    loops,
    rename,
    reorder,
    switch,
    variables,
)

_FAMILIES = (
    comments,
    conditionals,
    switch,
    blocks,
    loops,
    rename,
    expressions,
    booleans,
    assignments,
    variables,
    reorder,
    formatting,
)

TRANSFORMS: dict[str, Transform] = {t.name: t for family in _FAMILIES for t in family.TRANSFORMS}


def get_transform(name: str) -> Transform:
    try:
        return TRANSFORMS[name]
    except KeyError:
        raise MetaCompressError(
            f"unknown transform {name!r}: run `metacompress transform --list` to see the available ones"
        ) from None


def transforms_for(language: str) -> list[Transform]:
    return [t for t in TRANSFORMS.values() if language in t.languages]
