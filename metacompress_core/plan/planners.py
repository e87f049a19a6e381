"""Planners: what `check`, `eval` and the searches ask for the variants of a function.

A planner proposes variants, each made by `realise` so that `Recipe.of` replays it, and may learn from how
the models answered. Its first call (`feedback` None) proposes what it can without seeing any output: the
default plan proposes everything there. Every later call gets the Scored of what the previous call proposed
(the original first after the first call) and returns the next batch, [] when it is done.

To add a planner: write a class with this `plan` method and add a line to PLANNERS.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from metacompress_core.code.units import Unit
from metacompress_core.errors import MetaCompressError
from metacompress_core.plan.budget import Scored
from metacompress_core.plan.recipes import default_plan
from metacompress_core.plan.strategies import STRATEGIES, Adaptive
from metacompress_core.transforms.base import TransformStats, Variant


class Planner(Protocol):
    def plan(self, unit: Unit, budget: int, feedback: Sequence[Scored] | None) -> list[Variant]:
        """At most `budget` variants of `unit` to observe next; [] when there is nothing more to propose."""
        ...


@dataclass(frozen=True)
class PlanSettings:
    seed: int = 0
    compositions: int = 4  # the default plan: of its variants, random compositions of several transforms
    max_steps: int = 3  # transforms in one composition
    transforms: tuple[str, ...] | None = None  # None: every transform of the unit's language


@dataclass
class DefaultPlan:
    """Each applicable transform once, then random compositions of them, all proposed at once, blind."""

    settings: PlanSettings
    stats: TransformStats | None = None

    def plan(self, unit: Unit, budget: int, feedback: Sequence[Scored] | None) -> list[Variant]:
        if feedback is not None:
            return []
        s = self.settings
        transforms = list(s.transforms) if s.transforms is not None else None
        return default_plan(unit, budget, s.compositions, s.seed, s.max_steps, transforms, self.stats)


DEFAULT = "default"
PLANNERS: dict[str, Callable[[PlanSettings, TransformStats | None], Planner]] = {
    DEFAULT: DefaultPlan,
    **{
        name: (lambda s, _stats, name=name: Adaptive(name, s.seed, transforms=s.transforms))
        for name in STRATEGIES
    },
}


def make_planner(name: str, settings: PlanSettings, stats: TransformStats | None = None) -> Planner:
    """A fresh planner (adaptive ones keep state: one per function)."""
    if name not in PLANNERS:
        raise MetaCompressError(f"unknown strategy {name!r}: use one of {', '.join(PLANNERS)}")
    return PLANNERS[name](settings, stats)
