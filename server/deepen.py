"""Deepening while the person is idle (issue 13): the budget starts small and doubles up to `max_budget`.

After an idle delay with nothing queued (the `idle` setting: no edit or open meanwhile), the server checks the
most recently active open document again with twice its last budget, until `max_budget`. Such a pass is ordinary
scheduled work at the lowest rank (server/scheduler.py), so every other check goes first; an edit starts the
document over at the configured budget.

Only the new variants cost model calls: the default plan (plan/recipes.py `default_plan`) with a larger budget,
and compositions grown by as many, proposes the earlier variants first, then more. Its singles follow the fixed
transform order and its compositions come from an rng seeded by (seed, unit) alone, whose draws do not depend on
the budget or the count asked for (those only decide when the loop stops), so a deeper plan continues the same
sequence; the prediction cache (models/cache.py) answers what was seen.
"""

from __future__ import annotations

from dataclasses import replace

from metacompress_core.engine import EngineConfig


def next_budget(current: int, cap: int) -> int | None:
    """The budget of the next deeper pass, None once `cap` is reached (a cap at or below `current`: never)."""
    deeper = min(2 * current, cap)
    return deeper if deeper > current else None


def deepened(engine: EngineConfig, budget: int) -> EngineConfig:
    """`engine` with `budget` variants per function: the extra ones all compositions, since a plan's singles
    (one per applicable transform) are usually fewer than the configured budget already."""
    return replace(engine, budget=budget, compositions=engine.compositions + max(budget - engine.budget, 0))
