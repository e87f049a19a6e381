"""How variants are chosen: recipes (replayable transform sequences) and the search strategies over them."""

from metacompress_core.search.evaluation import Candidate, SearchResult
from metacompress_core.search.names import NameSource
from metacompress_core.search.objectives import Objective, attack_objective, fidelity_objective
from metacompress_core.search.strategies import STRATEGIES, run_search

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
