"""Validity rates: every transform applied once (seeded) to every unit; each variant re-parsed and compiled.

`measure` takes the units, the transforms, a function that turns a unit's (variant) source into a
compilation unit, and a batch compiler; it returns, per transform, how many variants were emitted, how
many re-parse cleanly and how many compile, with every failure kept for a readable report.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from metacompress_core.code.units import Unit
from metacompress_core.transforms.base import (
    Transform,
    TransformStats,
    Variant,
    compose,
    original,
    seeded_rng,
    transform_variant,
)

COMPOSED = 3  # transforms per composed variant

Wrap = Callable[[Unit, str], str]  # (unit, unit or variant source) -> compilation unit text
Compile = Callable[[Mapping[tuple[str, str], str]], Mapping[tuple[str, str], str | None]]


@dataclass(frozen=True)
class Failure:
    transform: str
    variant: Variant
    message: str  # the compiler's error, or why it does not re-parse

    def report(self) -> str:
        return f"--- {self.transform} on {self.variant.unit.path}: {self.variant.description}\n{self.message}\n{self.variant.diff()}"


@dataclass
class Rate:
    transform: str
    units: int = 0  # units tried
    variants: int = 0  # variants emitted
    reparsed: int = 0
    compiled: int = 0
    dropped: int = 0  # rewrites the framework discarded because their result did not re-parse
    seconds: float = 0.0  # CPU seconds spent making the variants (not compiling them)
    failures: list[Failure] = field(default_factory=list)

    @property
    def reparse_rate(self) -> float:
        return self.reparsed / self.variants if self.variants else 1.0

    @property
    def compile_rate(self) -> float:
        return self.compiled / self.variants if self.variants else 1.0


def make_variants(
    units: Sequence[Unit], transforms: Sequence[Transform], seed: int = 0
) -> tuple[dict[tuple[str, str], Variant], dict[str, Rate]]:
    """One variant per (transform, unit) where the transform applies, keyed by (transform name, unit id)."""
    variants: dict[tuple[str, str], Variant] = {}
    rates: dict[str, Rate] = {}
    for t in transforms:
        rate = rates[t.name] = Rate(t.name, units=len(units))
        stats = TransformStats()
        started = time.process_time()  # CPU time: a rate per core, whatever else the machine runs
        for unit in units:
            variant = transform_variant(original(unit), t, seeded_rng(seed, unit.key, t.name), stats)
            if variant is not None:
                variants[(t.name, unit.id)] = variant
                rate.variants += 1
        rate.seconds = time.process_time() - started
        rate.dropped = stats.dropped[t.name]
    return variants, rates


def make_composed(
    units: Sequence[Unit], transforms: Sequence[Transform], seed: int = 0, k: int = COMPOSED
) -> tuple[dict[tuple[str, str], Variant], Rate]:
    """One variant per unit made by `k` transforms drawn at random and applied in turn, keyed
    (f"compose-{k}", unit id): transforms applied to each other's output meet code shapes none of them makes."""
    name = f"compose-{k}"
    rate = Rate(name, units=len(units))
    variants: dict[tuple[str, str], Variant] = {}
    stats = TransformStats()
    started = time.process_time()
    for unit in units:
        rng = seeded_rng(seed, unit.key, name)
        variant = compose(unit, rng.sample(list(transforms), min(k, len(transforms))), rng, stats)
        if variant.steps:
            variants[(name, unit.id)] = variant
            rate.variants += 1
    rate.seconds = time.process_time() - started
    rate.dropped = sum(stats.dropped.values())
    return variants, rate


def measure(
    units: Sequence[Unit], transforms: Sequence[Transform], wrap: Wrap, compile_units: Compile, seed: int = 0
) -> dict[str, Rate]:
    """Per transform: variants emitted, re-parsed and compiled (the units themselves must compile)."""
    variants, rates = make_variants(units, transforms, seed)
    composed, rate = make_composed(units, transforms, seed)
    variants.update(composed)
    rates[rate.transform] = rate
    check(variants, rates, wrap, compile_units)
    return rates


def check(
    variants: Mapping[tuple[str, str], Variant], rates: Mapping[str, Rate], wrap: Wrap, compile_units: Compile
) -> None:
    """Re-parse and compile every variant, counting into `rates` (keyed by transform name)."""
    sources: dict[tuple[str, str], str] = {}
    for key, variant in variants.items():
        rate = rates[key[0]]
        reparsed = variant.parse()
        if reparsed.has_errors() or reparsed.root.type != variant.unit.parse().root.type:
            rate.failures.append(Failure(key[0], variant, "the variant does not re-parse cleanly"))
            continue
        rate.reparsed += 1
        sources[key] = wrap(variant.unit, variant.source)
    for key, error in compile_units(sources).items():
        rate = rates[key[0]]
        if error is None:
            rate.compiled += 1
        else:
            rate.failures.append(Failure(key[0], variants[key], error))


def total(rates: Mapping[str, Rate], name: str = "all") -> Rate:
    out = Rate(name)
    for r in rates.values():
        out.units = max(out.units, r.units)
        out.variants += r.variants
        out.reparsed += r.reparsed
        out.compiled += r.compiled
        out.dropped += r.dropped
        out.seconds += r.seconds
        out.failures += r.failures
    return out


def table(rates: Mapping[str, Rate], title: str) -> str:
    """A plain-text table: transform, variants, re-parsed %, compiled %, dropped rewrites."""
    rows = [*sorted(rates.values(), key=lambda r: r.transform), total(rates)]
    width = max(len(r.transform) for r in rows)
    lines = [
        title,
        f"{'transform':<{width}}  {'variants':>8}  {'re-parse':>8}  {'compile':>8}  {'dropped':>7}",
    ]
    for r in rows:
        lines.append(
            f"{r.transform:<{width}}  {r.variants:>8}  {100 * r.reparse_rate:>7.2f}%  "
            f"{100 * r.compile_rate:>7.2f}%  {r.dropped:>7}"
        )
    return "\n".join(lines)


def failures_report(rates: Mapping[str, Rate], limit: int = 25) -> str:
    """The first `limit` failures: transform, what it did, the compiler's message and the variant's diff."""
    failures = [f for r in sorted(rates.values(), key=lambda r: r.transform) for f in r.failures]
    shown = "\n".join(f.report() for f in failures[:limit])
    more = f"\n... and {len(failures) - limit} more" if len(failures) > limit else ""
    return shown + more


def under_threshold(rates: Mapping[str, Rate], minimum: float) -> list[str]:
    """Transforms whose compile rate is under `minimum` (one failure is tolerated in a small sample)."""
    return [
        r.transform
        for r in rates.values()
        if r.variants and r.variants - r.compiled > max(1, int((1 - minimum) * r.variants))
    ]
