"""The engine on real models whose behaviour is known by construction (tests/known_models.py).

Teacher: "vulnerable" exactly when the code mentions `malloc` (no transform ever adds or removes it).
Student: "vulnerable" exactly when the code contains `while`. So the student flips on the for -> while
variants of a function with a `for` loop, and agrees with the teacher everywhere else. (The transforms are
limited to those that never write `while` themselves: dead-code insertion may.)
"""

from __future__ import annotations

import pytest
from known_models import C_THREE_FUNCTIONS, keyword_model

from metacompress_core.code import extract_units
from metacompress_core.engine import Cancelled, EngineConfig, check_units, rank
from metacompress_core.errors import MetaCompressError
from metacompress_core.models import CachedBackend, PredictionCache, load_backend

C_SOURCE = C_THREE_FUNCTIONS


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    root = tmp_path_factory.mktemp("models")
    teacher = load_backend(keyword_model(root / "teacher", "malloc"))
    student = load_backend(keyword_model(root / "student", "while"))
    return teacher, student


@pytest.fixture(scope="module")
def units():
    return extract_units(C_SOURCE, "c", "demo.c")


TRANSFORMS = ("for-to-while", "rename-variable", "swap-relational", "insert-comment", "split-declaration")


def config(**kw) -> EngineConfig:
    return EngineConfig(transforms=TRANSFORMS, **kw)


def by_name(findings):
    return {f.unit.name: f for f in findings}


def test_student_flips_on_for_to_while_and_nowhere_else(models, units):
    teacher, student = models
    findings = by_name(check_units(units, teacher, student, config(budget=12, seed=1)))
    assert set(findings) == {"sum", "twice", "clamp"}

    loop = findings["sum"]
    assert loop.has_violation
    assert {"prediction-agreement", "student-invariance"} <= set(loop.violated)
    assert loop.violations["teacher-invariance"] == 0
    assert "for-to-while" in loop.worst.variant.transforms
    assert "while" in loop.worst.variant.source
    assert loop.worst.teacher.argmax() == 0 and loop.worst.student.argmax() == 1
    assert loop.original.student.argmax() == 0  # the original itself is fine
    assert loop.variants_tried >= 2 and loop.inputs_checked == loop.variants_tried + 1

    for name in ("twice", "clamp"):
        assert not findings[name].has_violation, findings[name].violations
        assert findings[name].violated == ()


def test_worst_variant_is_shrunk_to_the_transform_that_matters(models, units):
    teacher, student = models
    # Only compositions: every variant is several transforms, one of which is for -> while.
    settings = config(budget=8, compositions=8, seed=3)
    (loop,) = [f for f in check_units(units[:1], teacher, student, settings)]
    assert loop.has_violation
    assert loop.worst.variant.transforms == ("for-to-while",)


def test_results_arrive_per_chunk_and_cancel_between_batches(models, units):
    teacher, student = models
    seen = []
    with pytest.raises(Cancelled):
        for finding in check_units(
            units, teacher, student, config(budget=4, chunk_units=1), cancel=lambda: len(seen) >= 1
        ):
            seen.append(finding)
    assert [f.unit.name for f in seen] == ["sum"]


def test_same_seed_same_findings(models, units):
    teacher, student = models
    runs = [
        [
            (f.unit.id, f.worst.variant.source, dict(f.violations))
            for f in check_units(units, teacher, student, config())
        ]
        for _ in range(2)
    ]
    assert runs[0] == runs[1]


def test_rank_puts_violations_first(models, units):
    teacher, student = models
    ranked = rank(check_units(units, teacher, student, config()))
    assert ranked[0].unit.name == "sum" and not ranked[-1].has_violation


def test_second_run_is_served_by_the_cache(models, units, tmp_path):
    teacher, student = models
    cache = PredictionCache(tmp_path / "cache")
    cached = CachedBackend(teacher, cache), CachedBackend(student, cache)
    first = [f.violations for f in check_units(units, *cached, config())]
    assert cached[0].model_inputs > 0
    again = CachedBackend(teacher, cache), CachedBackend(student, cache)
    second = [f.violations for f in check_units(units, *again, config())]
    assert second == first
    assert again[0].model_calls == 0 and again[1].model_calls == 0


def test_clone_pairs_use_the_function_and_its_neighbours(tmp_path):
    labels = ("not-clone", "clone")
    teacher = load_backend(keyword_model(tmp_path / "t", "malloc", task="clone", labels=labels))
    student = load_backend(keyword_model(tmp_path / "s", "while", task="clone", labels=labels))
    java = (
        "class A {\n"
        "  int sum(int[] a) { int t = 0; for (int i = 0; i < a.length; i++) t += a[i]; return t; }\n"
        "  int one() { return 1; }\n"
        "}\n"
    )
    units = extract_units(java, "java", "A.java")
    findings = by_name(check_units(units, teacher, student, config(budget=6, partners=2)))
    loop = findings["sum"]
    assert loop.has_violation and loop.worst.partner is not None
    assert loop.inputs_checked == 2 * (loop.variants_tried + 1)  # two partners: itself and `one`


def test_teacher_and_student_of_different_tasks_are_refused(tmp_path, units):
    teacher = load_backend(keyword_model(tmp_path / "t", "malloc"))
    student = load_backend(
        keyword_model(tmp_path / "s", "while", task="clone", labels=("not-clone", "clone"))
    )
    with pytest.raises(MetaCompressError, match="cannot be compared"):
        list(check_units(units, teacher, student))
