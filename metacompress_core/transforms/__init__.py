"""Behaviour-preserving code transformations: one module per family, collected in `registry`."""

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
