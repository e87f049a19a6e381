"""All transforms, by name. Each family module exports a TRANSFORMS tuple; this is the one list of them."""

from __future__ import annotations

from metacompress_core.errors import MetaCompressError
from metacompress_core.transforms import (
    assignments,
    booleans,
    comments,
    control,
    expressions,
    formatting,
    loops,
    rename,
    reorder,
    variables,
)
from metacompress_core.transforms.base import Transform

_FAMILIES = (
    comments,
    control,
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
