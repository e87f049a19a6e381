"""Search strategies on real tiny models with known behaviour (tests/known_models.py).

The teacher answers "vulnerable" exactly when the input contains `malloc`, the student when it contains
`while`; a third model reacts to the identifier `count`. Variants are checked by running them: Python ones are
executed, C ones compiled with gcc and run, and their results compared with the original's.
"""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest
from known_models import keyword_model

from metacompress_core.code.parsing import parse
from metacompress_core.code.units import whole_unit
from metacompress_core.errors import MetaCompressError
from metacompress_core.models.loading import load_backend
from metacompress_core.plan import (
    STRATEGIES,
    NameSource,
    attack_objective,
    fidelity_objective,
    run_search,
)
from metacompress_core.transforms.analysis.bindings import analyze
from metacompress_core.transforms.analysis.text import RESERVED

C_SUM = """int sum_above(int *a, int n, int limit) {
    int total = 0;
    int count = 0;
    for (int i = 0; i < n; i++) {
        if (a[i] > limit) {
            total += a[i];
            count++;
        }
    }
    return total * 100 + count;
}
"""
C_MAIN = """
#include <stdio.h>
int main(void) {
    int a[] = {5, -3, 8, 12, 0, 7, 7, 1};
    for (int lim = -5; lim < 14; lim += 3) printf("%d\\n", sum_above(a, 8, lim));
    return 0;
}
"""
PY_SCORE = """def score(items, limit):
    total = 0
    count = 0
    for i in range(len(items)):
        if items[i] > limit:
            total += items[i]
            count += 1
    acc = [x * 2 for x in items if x != limit]
    return total * 100 + count + sum(acc)
"""
PY_INPUTS = [([5, -3, 8, 12, 0, 7, 7, 1], lim) for lim in range(-5, 14, 3)] + [([], 0), ([1], 1)]


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    root = tmp_path_factory.mktemp("search-models")
    return {word: load_backend(keyword_model(root / word, word)) for word in ("malloc", "while", "count")}


def run_python(source: str) -> list:
    namespace: dict = {}
    exec(compile(source, "<variant>", "exec"), namespace)
    return [namespace["score"](list(items), limit) for items, limit in PY_INPUTS]


def run_c(source: str, tmp_path, name: str) -> str:
    path = tmp_path / f"{name}.c"
    path.write_text(source + C_MAIN)
    exe = tmp_path / name
    subprocess.run(["gcc", "-std=gnu11", "-w", "-o", str(exe), str(path)], check=True, timeout=60)
    return subprocess.run([str(exe)], check=True, capture_output=True, text=True, timeout=10).stdout


def test_guided_fidelity_finds_the_disagreement_a_loop_rewrite_causes(models):
    objective = fidelity_objective(models["malloc"], models["while"])
    result = run_search("guided", whole_unit(C_SUM, "c"), objective, budget=80, seed=3)
    assert result.success
    assert result.first_success_query is not None and result.first_success_query <= result.queries <= 80
    assert "while" in result.best_source and "while" not in C_SUM
    teacher, student = result.best_probs
    assert teacher.argmax() == 0 and student.argmax() == 1  # only the student reacts to `while`
    assert result.steps and all(step.detail for step in result.steps)
    assert not parse(result.best_source, "c", unit=True).has_errors()


def test_renaming_strategies_cannot_introduce_a_keyword_so_they_never_find_it(models):
    objective = fidelity_objective(models["malloc"], models["while"])
    names = NameSource.from_counts({"while": 50, "for": 40, "int": 30, "malloc_size": 3, "width": 2})
    for strategy in ("greedy", "ga", "mhm"):
        result = run_search(strategy, whole_unit(C_SUM, "c"), objective, budget=60, seed=0, names=names)
        assert not result.success and result.first_success_query is None
        assert all(not re.search(r"\bwhile\b", v) for v in result.variants)


def test_fidelity_objective_with_a_named_relation(models):
    objective = fidelity_objective(models["malloc"], models["while"], relation="student-invariance")
    result = run_search("guided", whole_unit(C_SUM, "c"), objective, budget=80, seed=1)
    assert result.success and result.best_probs[1].argmax() == 1 and result.original_probs[1].argmax() == 0
    with pytest.raises(MetaCompressError, match="unknown relation"):
        fidelity_objective(models["malloc"], models["while"], relation="no-such-relation")


@pytest.mark.parametrize("strategy", ["greedy", "ga", "mhm", "guided"])
def test_attack_flips_a_model_that_depends_on_an_identifier(models, strategy):
    objective = attack_objective(models["count"], label=1)  # "vulnerable" only because of the name `count`
    result = run_search(strategy, whole_unit(C_SUM, "c"), objective, budget=120, seed=0)
    assert result.original_probs[0].argmax() == 1
    assert result.success and result.best_probs[0].argmax() == 0
    assert not re.search(r"\bcount\b", result.best_source)
    assert any(step.transform.startswith("rename-") and "count ->" in step.detail for step in result.steps)
    assert result.first_success_query is not None and result.first_success_query <= result.queries <= 120


def test_an_original_that_already_succeeds_costs_one_query_per_model(models):
    result = run_search(
        "greedy", whole_unit(C_SUM, "c"), attack_objective(models["count"], label=0), budget=50, seed=0
    )
    assert result.success and result.queries == 1 and result.first_success_query == 1 and result.steps == ()


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_the_budget_is_never_exceeded(models, strategy):
    fidelity = fidelity_objective(models["malloc"], models["malloc"])  # 2 queries per variant, never succeeds
    attack = attack_objective(models["malloc"], label=0)  # never succeeds: only `malloc` could flip it
    for objective, budgets in ((fidelity, (0, 1, 2, 3, 9)), (attack, (0, 1, 5, 17))):
        for budget in budgets:
            result = run_search(strategy, whole_unit(PY_SCORE, "python"), objective, budget=budget, seed=2)
            assert result.queries <= budget
            assert result.queries == len(result.variants) * len(objective.models)


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_same_seed_same_result(models, strategy):
    objective = fidelity_objective(models["malloc"], models["while"])
    a, b = (run_search(strategy, whole_unit(C_SUM, "c"), objective, budget=40, seed=7) for _ in range(2))
    assert (a.variants, a.queries, a.first_success_query, a.best_source, a.steps) == (
        b.variants,
        b.queries,
        b.first_success_query,
        b.best_source,
        b.steps,
    )


def test_mined_names_exclude_keywords_and_builtins():
    texts = [
        "def f(list, n):\n    total = 0\n    for item in list:\n        total += item\n    return total\n",
        "def g(n):\n    total = n\n    width = 2\n    return total * width\n",
    ]
    names = NameSource.from_code(texts, "python")
    assert names.names[0] == "total" and names.counts[0] == 2  # declared once in each function
    assert "list" not in names.names and "width" in names.names and "item" in names.names
    c_names = NameSource.from_code(["int f(int errno, int len) { int NULLX = len; return NULLX; }"], "c")
    assert "errno" not in c_names.names and "NULLX" not in c_names.names and "len" in c_names.names


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_python_variants_behave_like_the_original(models, strategy):
    # names that collide with the function's own (items, limit, acc, x), keywords and builtins are offered
    names = NameSource.from_counts(
        {"items": 9, "limit": 9, "acc": 9, "x": 9, "len": 9, "range": 9, "lambda": 9, "value": 5, "res": 4}
    )
    objective = attack_objective(models["malloc"], label=0)  # never succeeds, so the whole budget is used
    result = run_search(strategy, whole_unit(PY_SCORE, "python"), objective, budget=40, seed=5, names=names)
    expected = run_python(PY_SCORE)
    assert len(result.variants) > 5
    original_bindings = len(analyze(parse(PY_SCORE, "python", unit=True)).bindings)
    for variant in result.variants:
        code = parse(variant, "python", unit=True)
        assert not code.has_errors()
        assert run_python(variant) == expected, variant
        if strategy in ("greedy", "ga", "mhm"):  # renamings only: same declarations, none reserved
            analysis = analyze(code)
            assert len(analysis.bindings) == original_bindings
            assert not any(b.name in RESERVED["python"] for b in analysis.bindings if b.role)


@pytest.mark.skipif(shutil.which("gcc") is None, reason="needs gcc")
@pytest.mark.parametrize("strategy", STRATEGIES)
def test_c_variants_compile_and_behave_like_the_original(models, strategy, tmp_path):
    objective = attack_objective(models["malloc"], label=0)  # never succeeds, so the whole budget is used
    result = run_search(strategy, whole_unit(C_SUM, "c"), objective, budget=24, seed=4)
    expected = run_c(C_SUM, tmp_path, "original")
    assert len(result.variants) > 3
    for i, variant in enumerate(result.variants[1:]):
        assert run_c(variant, tmp_path, f"v{i}") == expected, variant


def test_unknown_strategy_is_refused(models):
    with pytest.raises(MetaCompressError, match="unknown search strategy"):
        run_search("beam", whole_unit(C_SUM, "c"), attack_objective(models["count"], 1), 10, 0)
