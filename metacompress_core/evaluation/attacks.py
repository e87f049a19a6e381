"""Adversarial attacks from the search package, reached through one guarded import (the package is optional
while it is being written: asking for an attack without it is a clear error, not an ImportError)."""

from __future__ import annotations

import hashlib
from typing import Any

from metacompress_core.errors import MetaCompressError


def search_api() -> Any:
    """The search module (run_search, attack_objective, STRATEGIES), or None when it is not available."""
    try:
        from metacompress_core import search
        from metacompress_core.search import STRATEGIES, attack_objective, run_search  # noqa: F401
    except ImportError:
        return None
    return search


def check_strategies(names: tuple[str, ...]) -> None:
    if not names:
        return
    api = search_api()
    if api is None:
        raise MetaCompressError(
            "--attack needs the adversarial search package (metacompress_core.search with run_search), "
            "which this installation does not have yet: run eval without --attack"
        )
    known = list(api.STRATEGIES)
    unknown = [n for n in names if n not in known]
    if unknown:
        raise MetaCompressError(f"unknown attack {unknown[0]!r}: use one of {', '.join(known)}")


def attack_seed(seed: int, *keys: str) -> int:
    """A per-(input, model, strategy) seed, stable across processes and engines."""
    digest = hashlib.sha256(repr((seed, *keys)).encode()).digest()
    return int.from_bytes(digest[:4], "big")


def attack(
    strategy: str, source: str, language: str, model, label: int, partner: str | None, budget: int, seed: int
) -> dict[str, Any]:
    """One search against `model` on the ground truth `label`: outcome, queries and the adversarial source."""
    api = search_api()
    objective = api.attack_objective(model, label, partner)
    result = api.run_search(strategy, source, language, objective, budget, seed)
    return {
        "attacked": True,
        "success": bool(result.success),
        "queries": int(result.queries),
        "first_success_query": None
        if result.first_success_query is None
        else int(result.first_success_query),
        "steps": [getattr(step, "transform", str(step)) for step in getattr(result, "steps", ())],
        "source": result.best_source,
    }
