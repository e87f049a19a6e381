"""Adversarial attacks of `eval --attack`: the search package's strategies against one model, per input."""

from __future__ import annotations

import hashlib
from typing import Any

from metacompress_core.code.units import whole_unit
from metacompress_core.errors import MetaCompressError
from metacompress_core.plan import STRATEGIES, attack_objective, run_search


def check_strategies(names: tuple[str, ...]) -> None:
    unknown = [n for n in names if n not in STRATEGIES]
    if unknown:
        raise MetaCompressError(f"unknown attack {unknown[0]!r}: use one of {', '.join(STRATEGIES)}")


def attack_seed(seed: int, *keys: str) -> int:
    """A per-(input, model, strategy) seed, stable across processes and engines."""
    digest = hashlib.sha256(repr((seed, *keys)).encode()).digest()
    return int.from_bytes(digest[:4], "big")


def attack(
    strategy: str, source: str, language: str, model, label: int, partner: str | None, budget: int, seed: int
) -> dict[str, Any]:
    """One search against `model` on the ground truth `label`: outcome, queries and the adversarial source."""
    objective = attack_objective(model, label, partner)
    result = run_search(strategy, whole_unit(source, language), objective, budget, seed)
    return {
        "attacked": True,
        "success": bool(result.success),
        "queries": int(result.queries),
        "first_success_query": None
        if result.first_success_query is None
        else int(result.first_success_query),
        "steps": [step.transform for step in result.steps],
        "source": result.best_source,
    }
