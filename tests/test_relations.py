"""The metamorphic relations on hand-made probability arrays: each in cases that hold and cases that break."""

from __future__ import annotations

import numpy as np
import pytest

from metacompress_core.relations import (
    INVARIANCES,
    PAPER_RELATIONS,
    CalibrationAlignment,
    Context,
    DatasetCalibration,
    DistributionSimilarity,
    HighConfidencePreservation,
    Invariance,
    PredictionAgreement,
    Thresholds,
    expected_calibration_error,
    js_divergence,
)

LABELS = ("safe", "vulnerable")
CTX = Context(labels=LABELS)


def probs(*positive: float) -> np.ndarray:
    """Binary distributions from the probabilities of class 1."""
    p = np.asarray(positive, dtype=np.float32)
    return np.stack([1 - p, p], axis=1)


def test_prediction_agreement_holds_and_breaks_per_row():
    teacher = probs(0.9, 0.2, 0.6)
    student = probs(0.7, 0.4, 0.3)
    verdict = PredictionAgreement().check(teacher, student, CTX)
    assert verdict.holds.tolist() == [True, True, False]
    assert verdict.violations.tolist() == [2]
    assert verdict.score[:2].tolist() == [0.0, 0.0]
    assert verdict.score[2] == pytest.approx(0.6 - 0.3)
    assert "teacher predicts vulnerable" in verdict.detail[2] and "student safe" in verdict.detail[2]
    assert verdict.rate() == pytest.approx(1 / 3)


def test_prediction_agreement_multiclass():
    teacher = np.array([[0.1, 0.2, 0.7], [0.5, 0.3, 0.2]])
    student = np.array([[0.2, 0.2, 0.6], [0.2, 0.5, 0.3]])
    verdict = PredictionAgreement().check(teacher, student, Context())
    assert verdict.holds.tolist() == [True, False]


def test_js_divergence_is_base_two_and_symmetric():
    assert js_divergence(probs(0.3), probs(0.3))[0] == pytest.approx(0.0, abs=1e-12)
    assert js_divergence(np.array([[1.0, 0.0]]), np.array([[0.0, 1.0]]))[0] == pytest.approx(1.0)
    a, b = probs(0.5, 0.9), probs(0.75, 0.6)
    np.testing.assert_allclose(js_divergence(a, b), js_divergence(b, a))
    # A known value: JS((0.5, 0.5), (0.75, 0.25)) in bits.
    expected = 0.5 * (0.5 * np.log2(0.5 / 0.625) + 0.5 * np.log2(0.5 / 0.375)) + 0.5 * (
        0.75 * np.log2(0.75 / 0.625) + 0.25 * np.log2(0.25 / 0.375)
    )
    assert js_divergence(probs(0.5), probs(0.25))[0] == pytest.approx(expected)


def test_distribution_similarity_threshold():
    teacher = probs(0.5, 0.9, 0.1)
    student = probs(0.7, 0.6, 0.12)  # JS 0.030 (holds), 0.091 (breaks), tiny (holds)
    verdict = DistributionSimilarity().check(teacher, student, CTX)
    assert verdict.holds.tolist() == [True, False, True]
    assert verdict.score[1] == pytest.approx(js_divergence(probs(0.9), probs(0.6))[0])
    stricter = Context(labels=LABELS, thresholds=Thresholds(js_eps=0.01))
    assert DistributionSimilarity().check(teacher, student, stricter).holds.tolist() == [False, False, True]


def test_high_confidence_preservation():
    teacher = probs(0.95, 0.95, 0.95, 0.6, 0.02)
    student = probs(0.93, 0.85, 0.2, 0.1, 0.05)
    verdict = HighConfidencePreservation().check(teacher, student, CTX)
    # confident & kept; confident but student below tau; confident but student flips; teacher not confident;
    # confident on class 0 (0.98) and student keeps class 0 at 0.95.
    assert verdict.applies.tolist() == [True, True, True, False, True]
    assert verdict.holds.tolist() == [True, False, False, True, True]
    assert verdict.score[1] == pytest.approx(0.9 - 0.85, abs=1e-6)
    assert verdict.score[3] == 0.0
    assert verdict.rate() == pytest.approx(2 / 4)
    assert "not confident" in verdict.detail[3]


def test_calibration_alignment_per_input():
    teacher = probs(0.9, 0.9, 0.2)
    student = probs(0.85, 0.7, 0.35)  # confidences 0.9/0.85, 0.9/0.7, 0.8/0.65
    verdict = CalibrationAlignment().check(teacher, student, CTX)
    assert verdict.holds.tolist() == [True, False, False]
    np.testing.assert_allclose(verdict.score, [0.05, 0.2, 0.15], atol=1e-6)
    # Confidence is about each model's own predicted class: opposite classes with equal confidence align.
    assert CalibrationAlignment().check(probs(0.8), probs(0.2), CTX).all_hold


def test_expected_calibration_error_by_hand():
    # Two bins used: (0.6, 0.7] holds confidences 0.65, 0.65 (one right) and (0.9, 1.0] holds 0.95 (right).
    p = probs(0.65, 0.35, 0.95)
    truth = np.array([1, 1, 1])
    expected = 2 / 3 * abs(0.5 - 0.65) + 1 / 3 * abs(1.0 - 0.95)
    assert expected_calibration_error(p, truth, bins=10) == pytest.approx(expected)
    perfect = probs(1.0, 0.0)
    assert expected_calibration_error(perfect, np.array([1, 0])) == pytest.approx(0.0)


def test_dataset_calibration_holds_and_breaks():
    truth = np.array([1, 0, 1, 0])
    teacher = probs(0.9, 0.1, 0.8, 0.3)
    close = probs(0.88, 0.12, 0.78, 0.32)
    overconfident_and_wrong = probs(0.99, 0.99, 0.99, 0.99)
    rel = DatasetCalibration()
    ctx = Context(labels=LABELS, truth=truth)
    assert rel.check(teacher, close, ctx).all_hold
    broken = rel.check(teacher, overconfident_and_wrong, ctx)
    assert not broken.all_hold and broken.holds.shape == (1,)
    assert broken.score[0] > 0.3
    with pytest.raises(ValueError, match="ground-truth"):
        rel.check(teacher, close, CTX)


def test_invariance_of_each_model():
    teacher_original, student_original = probs(0.8), probs(0.7)
    teacher_variants = probs(0.75, 0.9, 0.6)
    student_variants = probs(0.6, 0.4, 0.55)
    ctx = Context(labels=LABELS, teacher_original=teacher_original, student_original=student_original)
    t = Invariance("teacher").check(teacher_variants, student_variants, ctx)
    s = Invariance("student").check(teacher_variants, student_variants, ctx)
    assert t.all_hold
    assert s.holds.tolist() == [True, False, True]
    assert s.score[1] == pytest.approx(0.7 - 0.4)
    assert "student flips vulnerable" in s.detail[1]
    # Per-row originals work as well as one broadcast original.
    per_row = Context(
        labels=LABELS, teacher_original=probs(0.8, 0.8, 0.2), student_original=probs(0.7, 0.3, 0.7)
    )
    assert Invariance("teacher").check(teacher_variants, student_variants, per_row).holds.tolist() == [
        True,
        True,
        False,
    ]
    with pytest.raises(ValueError, match="originals"):
        Invariance("student").check(teacher_variants, student_variants, CTX)


def test_paper_relations_and_names():
    teacher, student = probs(0.95, 0.55), probs(0.96, 0.45)
    verdicts = {r.name: r.check(teacher, student, CTX) for r in PAPER_RELATIONS}
    assert list(verdicts) == [r.name for r in PAPER_RELATIONS]
    assert [r.name for r in INVARIANCES] == ["teacher-invariance", "student-invariance"]
    assert verdicts["prediction-agreement"].holds.tolist() == [True, False]
    assert verdicts["distribution-similarity"].all_hold


def test_bad_shapes_and_thresholds_are_refused():
    with pytest.raises(ValueError, match="differ in shape"):
        PredictionAgreement().check(probs(0.5, 0.5), probs(0.5), CTX)
    with pytest.raises(ValueError, match="lie in"):
        Thresholds(js_eps=1.5)
