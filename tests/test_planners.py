"""Planners and recipes: every variant a check or a search reports replays from its recipe, `check` runs a
search strategy through the same engine, and relation verdicts are built in one place."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from known_models import keyword_model
from test_search import C_SUM

from metacompress_core.code.units import extract_units, whole_unit
from metacompress_core.config import settings_from_table
from metacompress_core.engine import EngineConfig, check_units
from metacompress_core.errors import MetaCompressError
from metacompress_core.models.loading import load_backend
from metacompress_core.plan import (
    PLANNERS,
    NameSource,
    PlanSettings,
    Recipe,
    attack_objective,
    make_planner,
    realise,
    run_search,
)
from metacompress_core.plan.moves import apply_genes, genes_of, renaming_slots

REPO = Path(__file__).resolve().parents[1]

C_FILE = (
    C_SUM
    + """
int largest(int *a, int n) {
    int best = a[0];
    for (int i = 1; i < n; i++) {
        if (a[i] > best) {
            best = a[i];
        }
    }
    return best;
}
"""
)


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    root = tmp_path_factory.mktemp("planner-models")
    return {word: load_backend(keyword_model(root / word, word)) for word in ("malloc", "while", "total")}


@pytest.mark.parametrize("strategy", ["random", "greedy", "ga", "mhm", "guided"])
def test_every_search_result_replays_from_its_recipe(models, strategy):
    unit = whole_unit(C_SUM, "c")
    names = NameSource.from_counts({"width": 9, "acc": 7, "result": 5, "k": 3, "size": 2})
    objective = attack_objective(models["total"], label=1)  # it answers 1 until `total` is renamed
    result = run_search(strategy, unit, objective, budget=40, seed=1, names=names)
    assert result.variants_scored > 1
    if strategy != "random":  # the baseline seldom picks that one renaming in 40 tries
        assert result.success and "total" not in result.best_source
    replayed = realise(unit, result.recipe)
    assert replayed is not None and replayed.source == result.best_source
    assert len(result.recipe.steps) == len(result.steps)
    assert all(seed is not None for _, seed in result.recipe.steps)


def test_genes_become_rename_moves_that_replay_alone_and_together():
    unit = whole_unit(C_SUM, "c")
    slots = renaming_slots(unit)
    by_name = {s.name: s.index for s in slots}
    genes = {by_name["total"]: "acc", by_name["count"]: "hits"}
    variant = apply_genes(unit, slots, genes)
    assert "acc" in variant.source and "hits" in variant.source and "total" not in variant.source
    assert dict(genes_of(variant)) == genes
    assert realise(unit, Recipe.of(variant)).source == variant.source
    # a gene the rename transform refuses (a name the function already uses) is left out, and says so
    clash = apply_genes(unit, slots, {by_name["total"]: "count"})
    assert clash.source == unit.source and genes_of(clash) == ()


def test_check_with_a_strategy_stops_at_the_disagreement_and_its_variant_replays(models):
    units = extract_units(C_FILE, "c", "sums.c")
    config = EngineConfig(strategy="guided", budget=48, seed=0, shrink=False)
    findings = list(check_units(units, models["malloc"], models["while"], config))
    assert [f.unit.qualname for f in findings] == [u.qualname for u in units]
    for finding in findings:
        shown = finding.evidence.variant if finding.evidence else None
        assert shown is not None, "the student reacts to `while`, which a loop rewrite introduces"
        assert "while" in shown.variant.source and shown.teacher.argmax() == 0 and shown.student.argmax() == 1
        assert realise(finding.unit, Recipe.of(shown.variant)).source == shown.variant.source
        # it stopped at the first disagreement instead of spending the whole budget
        assert finding.variants_tried < config.budget


def test_check_with_a_strategy_does_not_stop_at_a_drift(tmp_path):
    """A student whose confidence only drops on `while` (safe 0.95 -> about 0.75, the same answer) gives Hints;
    the search spends its whole budget looking for a departure a person would act on."""
    teacher = load_backend(keyword_model(tmp_path / "t", "malloc", negative_logit=3.0))
    drifts = load_backend(keyword_model(tmp_path / "s", "while", negative_logit=3.0, positive_weight=2.0))
    config = EngineConfig(strategy="guided", budget=24, seed=0, shrink=False)
    findings = list(check_units(extract_units(C_FILE, "c", "sums.c"), teacher, drifts, config))
    assert findings and all(f.severity == "hint" and f.evidence.induced for f in findings)
    assert all(f.variants_tried == config.budget for f in findings)


def test_the_default_planner_proposes_once_and_adaptive_ones_only_after_feedback():
    unit = extract_units(C_FILE, "c", "sums.c")[0]
    default = make_planner("default", PlanSettings(seed=0))
    first = default.plan(unit, 16, None)
    assert 0 < len(first) <= 16 and default.plan(unit, 16, []) == []
    assert all(realise(unit, Recipe.of(v)).source == v.source for v in first)
    assert make_planner("guided", PlanSettings(seed=0)).plan(unit, 16, None) == []
    assert set(PLANNERS) == {"default", "random", "greedy", "ga", "mhm", "guided"}
    with pytest.raises(MetaCompressError, match="unknown strategy 'beam'"):
        make_planner("beam", PlanSettings())


def test_a_wrong_strategy_setting_is_refused_with_its_name():
    with pytest.raises(MetaCompressError, match="`strategy` must be one of .*got 'beam'"):
        settings_from_table({"strategy": "beam"})
    assert settings_from_table({"strategy": "guided"}).engine.strategy == "guided"


def test_only_relations_py_builds_a_relation_context():
    builders = []
    for path in (REPO / "metacompress_core").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Context":
                builders.append(path.relative_to(REPO).as_posix())
    assert builders == ["metacompress_core/relations.py"]
