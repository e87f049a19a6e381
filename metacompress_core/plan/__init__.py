"""How variants are chosen: recipes (replayable transform sequences), the default plan, and the adaptive search
strategies over them."""

from metacompress_core.plan.budget import Candidate, SearchResult
from metacompress_core.plan.names import NameSource
from metacompress_core.plan.objectives import Objective, attack_objective, fidelity_objective
from metacompress_core.plan.strategies import STRATEGIES, run_search

__all__ = [
    "STRATEGIES",
    "Candidate",
    "NameSource",
    "Objective",
    "SearchResult",
    "attack_objective",
    "fidelity_objective",
    "run_search",
]
