"""How variants are chosen: recipes (replayable moves), planners (the default plan, and the adaptive search
strategies), the objectives a search pursues and the query budget it spends."""

from metacompress_core.plan.budget import Scored, SearchResult
from metacompress_core.plan.names import NameSource
from metacompress_core.plan.objectives import Objective, attack_objective, fidelity_objective
from metacompress_core.plan.planners import PLANNERS, Planner, PlanSettings, make_planner
from metacompress_core.plan.recipes import Recipe, realise
from metacompress_core.plan.strategies import STRATEGIES, run_search

__all__ = [
    "PLANNERS",
    "STRATEGIES",
    "NameSource",
    "Objective",
    "PlanSettings",
    "Planner",
    "Recipe",
    "Scored",
    "SearchResult",
    "attack_objective",
    "fidelity_objective",
    "make_planner",
    "realise",
    "run_search",
]
