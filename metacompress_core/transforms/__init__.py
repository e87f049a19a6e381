"""Behaviour-preserving code transformations.

- `base`: the vocabulary (sites, rewrites, variants) and applying a transform safely;
- `registry`: the one list of transforms, by name;
- `families/`: one module per family of transforms, each holding its transforms' whole implementation;
- `analysis/`: what transforms need to know about the code (scopes, declarations, control flow, purity,
  types, macro uses, C dialect, text and syntax);
- `whole_file`: a transform applied to every function of a file (`metacompress transform`).
"""

from metacompress_core.transforms.base import (
    Rewrite,
    Site,
    Splice,
    Step,
    Transform,
    TransformStats,
    Variant,
    apply_at,
    apply_random,
    compose,
    original,
    seeded_rng,
    transform_variant,
)
from metacompress_core.transforms.registry import TRANSFORMS, get_transform, transforms_for

__all__ = [
    "TRANSFORMS",
    "Rewrite",
    "Site",
    "Splice",
    "Step",
    "Transform",
    "TransformStats",
    "Variant",
    "apply_at",
    "apply_random",
    "compose",
    "get_transform",
    "original",
    "seeded_rng",
    "transform_variant",
    "transforms_for",
]
