"""The engine on real models whose behaviour is known by construction (tests/known_models.py).

Teacher: "vulnerable" exactly when the code mentions `malloc` (no transform ever adds or removes it); without
it "safe" at 0.881, a reference (>= 0.7) that is not sure (< tau 0.9). Student: "vulnerable" exactly when the
code contains `while`. So the student flips on the for -> while variants of a function with a `for` loop, and
agrees with the teacher everywhere else. (The transforms are limited to those that never write `while`
themselves: dead-code insertion may.)
"""

from __future__ import annotations

import numpy as np
import pytest
from known_models import C_THREE_FUNCTIONS, keyword_model

from metacompress_core.code import extract_units
from metacompress_core.engine import Cancelled, EngineConfig, check_units, rank
from metacompress_core.engine import _broken as engine_broken
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
    assert loop.severity == "warning" and loop.has_violation
    e = loop.evidence
    assert e.induced and e.kind == "student-flip" and e.relation == "prediction-agreement"
    assert {"prediction-agreement", "student-invariance"} <= set(loop.violated)
    assert loop.tallies["teacher-invariance"].total == 0
    assert loop.tallies["prediction-agreement"].on_original == 0  # the original code itself is fine
    assert loop.tallies["prediction-agreement"].induced == e.same >= 1
    assert loop.flips.student_only == e.same and loop.flips.teacher_only == loop.flips.both == 0
    assert loop.culprit.variant.transforms == ("for-to-while",)
    assert "while" in loop.culprit.variant.source
    assert loop.culprit.teacher.argmax() == 0 and loop.culprit.student.argmax() == 1
    assert e.original.student.argmax() == 0
    assert loop.variants_tried >= 2 and loop.inputs_checked == loop.variants_tried + 1
    assert e.among == loop.variants_tried

    for name in ("twice", "clamp"):
        assert findings[name].evidence is None and not findings[name].has_violation
        assert findings[name].violated == ()


def test_a_disagreement_on_the_original_is_never_blamed_on_a_variant(models):
    """The student already answers otherwise on the code as written: the finding says so, names no variant,
    and the variants that disagree as the original does count as persisting, not as caused."""
    teacher, student = models
    source = "int spin(int n)\n{\n    int k = 0;\n    while (k < n)\n        k++;\n    return k;\n}\n"
    (finding,) = check_units(extract_units(source, "c", "spin.c"), teacher, student, config(budget=6))
    e = finding.evidence
    assert e is not None and not e.induced and e.variant is None and finding.culprit is None
    assert e.kind == "disagreement" and e.level == "information"  # the teacher (0.881) is not sure
    pa = finding.tallies["prediction-agreement"]
    assert pa.on_original == 1 and pa.induced == 0 and pa.persisting == finding.variants_tried


def test_a_teacher_below_the_reference_margin_gives_no_finding(tmp_path, units):
    """A teacher at 0.55 is no reference: the same student flips, and nothing is reported."""
    unsure = load_backend(keyword_model(tmp_path / "t", "malloc", negative_logit=0.2))
    student = load_backend(keyword_model(tmp_path / "s", "while"))
    findings = by_name(check_units(units, unsure, student, config(budget=12, seed=1)))
    loop = findings["sum"]
    assert loop.has_violation  # the paper's relations do break...
    assert loop.evidence is None  # ...but there is no evidence against the student
    assert loop.teacher_unsure == loop.inputs_checked


def test_a_sure_teacher_contradicted_on_the_original_is_information_without_a_variant(tmp_path):
    """The student's accuracy on the code as written, which no transformation caused: never a Warning."""
    sure = load_backend(keyword_model(tmp_path / "t", "malloc", negative_logit=3.0))
    student = load_backend(keyword_model(tmp_path / "s", "while"))
    source = "int spin(int n)\n{\n    int k = 0;\n    while (k < n)\n        k++;\n    return k;\n}\n"
    (finding,) = check_units(extract_units(source, "c", "spin.c"), sure, student, config(budget=4))
    assert finding.severity == "information" and finding.evidence.kind == "contradicts-sure-teacher"
    assert finding.culprit is None and not finding.evidence.induced
    assert finding.tallies["prediction-agreement"].on_original == 1


def test_the_teacher_against_itself_gives_nothing(models, units):
    teacher, _ = models
    for f in check_units(units, teacher, teacher, config(budget=12, seed=1)):
        assert f.evidence is None and f.violated == ()


def test_a_student_that_reads_identifier_names_is_flagged_with_induced_warnings(tmp_path):
    """Positive control: positive unless the word `value` is there; a sure teacher. Renaming `value` flips it."""
    sure = load_backend(keyword_model(tmp_path / "t", "malloc", negative_logit=3.0))
    reads_names = load_backend(
        keyword_model(tmp_path / "s", "value", negative_logit=-3.0, positive_weight=-9.0)
    )
    source = "".join(
        f"int f{i}(int value)\n{{\n    int r = value + {i};\n    return r * value;\n}}\n\n" for i in range(5)
    )
    units = extract_units(source, "c", "names.c")
    findings = list(check_units(units, sure, reads_names, EngineConfig(transforms=("rename-parameter",))))
    assert len(findings) == 5
    for f in findings:
        assert f.severity == "warning" and f.evidence.induced and f.evidence.kind == "student-flip"
        assert f.culprit.variant.transforms == ("rename-parameter",)


def test_file_lines_in_descriptions_and_diffs(models):
    """A transform's 'at line N' and a diff's hunk header count lines of the file, not of the function."""
    teacher, student = models
    source = "\n" * 40 + C_SOURCE
    units = extract_units(source, "c", "far.c")
    loop = by_name(check_units(units, teacher, student, config(budget=12, seed=1)))["sum"]
    line = 40 + C_SOURCE.splitlines().index("    for (int i = 0; i < n; i++)") + 1
    assert f"at line {line}" in loop.culprit.variant.description
    assert loop.culprit.variant.diff().splitlines()[2].startswith("@@ -41,")


def test_worst_variant_is_shrunk_to_the_transform_that_matters(models, units):
    teacher, student = models
    # Only compositions: every variant is several transforms, one of which is for -> while.
    settings = config(budget=8, compositions=8, seed=3)
    (loop,) = [f for f in check_units(units[:1], teacher, student, settings)]
    assert loop.evidence.induced
    assert loop.culprit.variant.transforms == ("for-to-while",)


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
            (f.unit.id, f.culprit.variant.source if f.culprit else None, f.tallies, f.severity)
            for f in check_units(units, teacher, student, config())
        ]
        for _ in range(2)
    ]
    assert runs[0] == runs[1]


def test_rank_puts_violations_first(models, units):
    teacher, student = models
    ranked = rank(check_units(units, teacher, student, config()))
    assert ranked[0].unit.name == "sum" and ranked[-1].evidence is None


def test_second_run_is_served_by_the_cache(models, units, tmp_path):
    teacher, student = models
    cache = PredictionCache(tmp_path / "cache")
    cached = CachedBackend(teacher, cache), CachedBackend(student, cache)
    first = [f.tallies for f in check_units(units, *cached, config())]
    assert cached[0].model_inputs > 0
    again = CachedBackend(teacher, cache), CachedBackend(student, cache)
    second = [f.tallies for f in check_units(units, *again, config())]
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
    assert loop.severity == "warning" and loop.culprit.partner is not None
    assert loop.inputs_checked == 2 * (loop.variants_tried + 1)  # two partners: itself and `one`


def test_teacher_and_student_of_different_tasks_are_refused(tmp_path, units):
    teacher = load_backend(keyword_model(tmp_path / "t", "malloc"))
    student = load_backend(
        keyword_model(tmp_path / "s", "while", task="clone", labels=("not-clone", "clone"))
    )
    with pytest.raises(MetaCompressError, match="cannot be compared"):
        list(check_units(units, teacher, student))


def test_evidence_levels_on_hand_made_rows():
    """The rules of docs/RELATIONS.md "Severity" on probabilities chosen by hand (row 0 the original)."""
    from metacompress_core.evidence import Policy, Rows, assess
    from metacompress_core.relations import Thresholds

    def levels(teacher, student):
        t, s = (np.array([[1 - p, p] for p in probs]) for probs in (teacher, student))
        rows = Rows(t, s, np.zeros(len(t), dtype=int))
        labels = ("safe", "vulnerable")
        broken = engine_broken(t, s, t[:1], s[:1], labels, Thresholds())
        held = engine_broken(t[rows.original], s, t[:1], s[:1], labels, Thresholds())
        found = assess(rows, broken, held, Policy(), Thresholds())
        return {(a.row, a.relation): (a.level, a.kind) for a in found}

    # The student flips decidedly while a reference teacher stays: a Warning caused by the variant.
    found = levels([0.2, 0.2], [0.3, 0.8])
    assert found[(1, "prediction-agreement")] == ("warning", "student-flip")
    # The same flip against a teacher at 0.55: nothing at all.
    assert levels([0.45, 0.45], [0.3, 0.8]) == {}
    # The student moves to 0.52 (undecided) on the other side: no answer to flip, only a drift (a Hint).
    assert set(levels([0.2, 0.2], [0.3, 0.52]).values()) == {("hint", "confidence-drift")}
    # Same answer, but the student's confidence drops far below the teacher's: a Hint.
    found = levels([0.05, 0.05], [0.08, 0.35])
    assert set(found.values()) == {("hint", "confidence-drift")}
    # The teacher itself changes its answer: the change is the teacher's, not the student's.
    assert levels([0.2, 0.8], [0.3, 0.8]) == {}
    # A sure teacher contradicted on the original (and as much on the variant): Information, once.
    found = levels([0.05, 0.05], [0.8, 0.8])
    assert {row for row, _ in found} == {0}
    assert set(found.values()) == {("information", "contradicts-sure-teacher")}
    # The student undecided but on the teacher's side on the original, contradicting it on the variant: caused
    # by the variant, a Warning.
    found = levels([0.05, 0.05], [0.47, 0.8])
    assert found[(1, "prediction-agreement")] == ("warning", "contradicts-sure-teacher")
    # The student gives the same other answer on both while the teacher only grows sure (0.85 -> 0.99): the
    # variant breaks high-confidence-preservation, which did not apply on the original, yet it changed nothing.
    found = levels([0.85, 0.99], [0.18, 0.19])
    assert found == {(0, "prediction-agreement"): ("information", "disagreement")}
    # The student stays at 0.8 while the teacher grows sure (0.75 -> 0.99): the confidence gap is the
    # teacher's doing, so no drift is the student's (against the teacher held at 0.75 nothing breaks).
    assert levels([0.75, 0.99], [0.8, 0.8]) == {}
