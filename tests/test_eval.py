"""`metacompress eval` on tiny datasets written here, with keyword models whose answers are known by
construction (tests/known_models.py: the teacher answers "vulnerable" exactly when the code contains `malloc`,
the student when it contains `while`), so every number in results.json can be computed by hand."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from metacompress.cli import main
from metacompress_core.evaluation.metrics import linear_cka, reliability
from metacompress_core.models import load_backend
from tests.known_models import keyword_model

# (id, code, label). Teacher: A, D positive (malloc); student: D positive (while).
FUNCTIONS = [
    (
        "A",
        "int a(int n) {\n    char *p = malloc(n);\n    int s = 0;\n"
        "    for (int i = 0; i < n; i++) {\n        s += i;\n    }\n    return s;\n}\n",
        1,
    ),
    ("B", "int b(int x) {\n    return x + 1;\n}\n", 0),
    (
        "C",
        "int c(int n) {\n    int s = 0;\n    for (int i = 0; i < n; i++) {\n        s += i;\n    }\n"
        "    return s;\n}\n",
        0,
    ),
    (
        "D",
        "void d(int n) {\n    char *p = malloc(n);\n    while (n > 0) {\n        n--;\n    }\n    free(p);\n}\n",
        0,
    ),
]


@pytest.fixture(scope="module")
def setup(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("eval")
    keyword_model(root / "teacher", "malloc")
    keyword_model(root / "student", "while")
    keyword_model(root / "clone-teacher", "malloc", task="clone", labels=("not-clone", "clone"))
    keyword_model(root / "clone-student", "while", task="clone", labels=("not-clone", "clone"))
    with open(root / "devign.jsonl", "w") as f:
        for i, code, label in FUNCTIONS:
            f.write(json.dumps({"id": i, "code": code, "label": label, "split": "test"}) + "\n")
        f.write(
            json.dumps({"id": "T", "code": "int t(void) { return 0; }", "label": 0, "split": "train"}) + "\n"
        )
    return root


def _eval(setup: Path, out: str, *extra: str, student: str = "student") -> int:
    return main(
        [
            "eval", "--task", "vuln", "--dataset", str(setup / "devign.jsonl"),
            "--teacher", str(setup / "teacher"), "--student", str(setup / student),
            "--transforms", "for-to-while", "--chunk", "2", "--out", str(setup / out), *extra,
        ]
    )  # fmt: skip


def _results(setup: Path, out: str) -> dict:
    return json.loads((setup / out / "results.json").read_text())


def _without_run_facts(results: dict) -> dict:
    """What must not depend on how the run went (timing, engine)."""
    r = dict(results, timing=None)
    r["config"] = dict(r["config"], engine=None)
    return r


@pytest.fixture(scope="module")
def base(setup) -> dict:
    assert _eval(setup, "base") == 0
    return _results(setup, "base")


def test_scores_match_hand_computed_values(setup, base):
    assert base["inputs"] == 4  # the train example is not in the test split
    teacher, student = base["accuracy"]["teacher"]["original"], base["accuracy"]["student-1"]["original"]
    assert teacher["accuracy"] == 0.75 and student["accuracy"] == 0.5  # teacher wrong on D; student on A, D
    assert teacher["precision"] == 0.5 and teacher["recall"] == 1.0 and teacher["f1"] == pytest.approx(2 / 3)
    assert student["f1"] == 0.0
    # On the variants A' (vulnerable) and C' (safe) the teacher is right twice, the student (now saying
    # vulnerable on both) once.
    assert base["accuracy"]["teacher"]["transformed"]["accuracy"] == 1.0
    assert base["accuracy"]["student-1"]["transformed"]["accuracy"] == 0.5
    # ECE: teacher confident p_hi on A (right) and D (wrong), p_lo on B and C (both right).
    probs = load_backend(setup / "teacher").predict(["malloc", "x"])
    p_hi, p_lo = float(probs[0].max()), float(probs[1].max())
    assert 0.9 < p_hi <= 1.0 and 0.8 < p_lo <= 0.9
    expected = 0.5 * abs(0.5 - p_hi) + 0.5 * abs(1.0 - p_lo)
    assert base["calibration"]["teacher"]["ece"] == pytest.approx(expected, abs=1e-6)
    bins = base["calibration"]["teacher"]["bins"]
    assert [b["count"] for b in bins] == [0] * 8 + [2, 2]
    assert bins[9]["accuracy"] == 0.5 and bins[8]["accuracy"] == 1.0


def test_violation_rates_on_transformed_inputs(base):
    # for-to-while applies to A and C only. The student flips to "vulnerable" on both variants; on A' it
    # then agrees with the teacher (malloc), on C' it disagrees.
    assert base["variants"] == 2
    rates = base["relations"]["transformed"]["student-1"]
    for group in (rates["all"], rates["per_transform"]["for-to-while"]):
        assert group["inputs"] == 2
        assert (
            group["prediction-agreement"]["violations"] == 1 and group["prediction-agreement"]["rate"] == 0.5
        )
        assert group["student-invariance"]["rate"] == 1.0
        assert group["teacher-invariance"]["rate"] == 0.0
    original = base["relations"]["original"]["student-1"]
    assert original["prediction-agreement"]["violations"] == 1  # A: teacher vulnerable, student safe


def test_linear_cka_hand_values():
    x = np.array([[1.0], [2.0], [3.0]])
    y = np.array([[1.0], [3.0], [2.0]])
    assert linear_cka(x, y) == pytest.approx(0.25)  # centred: (-1,0,1).(-1,1,0) = 1; 1^2 / (2 * 2)
    rng = np.random.default_rng(0)
    a = rng.normal(size=(20, 5))
    q, _ = np.linalg.qr(rng.normal(size=(5, 5)))
    assert linear_cka(a, 3.0 * a @ q + 1.0) == pytest.approx(1.0)  # rotation, scale and shift invariant
    assert linear_cka(np.ones((4, 3)), a[:4]) is None  # the same for every input: undefined
    assert reliability(np.array([[0.2, 0.8]]), np.array([1]), bins=10)["ece"] == pytest.approx(0.2)


def test_cka_of_a_model_with_itself_is_one(setup):
    assert _eval(setup, "self", "--variants", "0", student="teacher") == 0
    rep = _results(setup, "self")["representations"]["student-1"]
    assert rep["teacher_layers"] == rep["student_layers"] == 1  # one encoder layer
    assert rep["last_layer"] == pytest.approx(1.0)


def test_resume_skips_done_inputs_and_gives_identical_results(setup, base):
    shutil.copytree(setup / "base", setup / "resumed")
    records = setup / "resumed" / "records.jsonl"
    lines = records.read_text().splitlines(keepends=True)
    records.write_text("".join(lines[:3]) + lines[3][:20])  # chunk 1 complete, chunk 2 cut mid-line
    assert _eval(setup, "resumed") == 0
    resumed = _results(setup, "resumed")
    assert resumed["timing"]["inputs_resumed"] == 2 and resumed["timing"]["inputs_evaluated_now"] == 2
    assert _without_run_facts(resumed) == _without_run_facts(base)
    assert _eval(setup, "resumed") == 0  # everything done: nothing evaluated again
    assert _results(setup, "resumed")["timing"]["inputs_evaluated_now"] == 0


def test_a_different_configuration_is_not_mixed_into_old_results(setup, base, capsys):
    shutil.copytree(setup / "base", setup / "other-seed")
    assert _eval(setup, "other-seed", "--seed", "7") == 2
    assert "different evaluation" in capsys.readouterr().err


def test_records_of_a_changed_dataset_are_refused(setup, base, capsys):
    shutil.copytree(setup / "base", setup / "changed")
    records = setup / "changed" / "records.jsonl"
    records.write_text(records.read_text().replace('"id": "B"', '"id": "Z"'))
    assert _eval(setup, "changed") == 2
    assert "the dataset changed" in capsys.readouterr().err


def test_reports_hold_the_tables_and_plots(setup, base):
    md = (setup / "base" / "report.md").read_text()
    for heading in (
        "Effectiveness",
        "Behavioural discrepancies",
        "Violation rates per transform",
        "Calibration",
        "Representational fidelity",
        "Reliability bins",
    ):
        assert f"## {heading}" in md or f"### {heading}" in md
    # Each rate with its 95% interval (one true positive: too few for an interval on recall).
    assert (
        "| teacher (teacher) | 75.00% [26.0, 100.0] | 50.00% [0.0, 100.0] | 100.00% (no CI) | 66.67% |" in md
    )
    assert "| Model | Accuracy | Precision | Recall | F1 | ECE | Accuracy (variants) |" in md
    html = (setup / "base" / "report.html").read_text()
    assert html.count("<svg") == 3  # violation rates of the student, reliability of both models
    assert (
        "<table>" in html
        and "<script" not in html
        and "http://" not in html.replace("http://www.w3.org/2000/svg", "")
    )
    assert not list((setup / "base").glob(".*.tmp"))
    results = json.loads((setup / "base" / "results.json").read_text())
    assert results["models"]["teacher"]["fingerprint"] == load_backend(setup / "teacher").fingerprint
    assert results["config"]["seed"] == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--dataset", "/nonexistent/devign.jsonl"], "does not exist"),
        (["--task", "summarisation"], "unknown task"),
        (["--student", "{root}/clone-student"], "'clone' model, but the task is 'vuln'"),
        (["--limit", "0"], "--limit must be at least 1"),
    ],
)
def test_bad_inputs_are_usage_errors(setup, capsys, args, message):
    base_args = {
        "--task": "vuln",
        "--dataset": str(setup / "devign.jsonl"),
        "--teacher": str(setup / "teacher"),
        "--student": str(setup / "student"),
        "--limit": None,
    }
    for flag, value in zip(args[::2], args[1::2], strict=True):
        base_args[flag] = value.format(root=setup)
    argv = ["eval", "--out", str(setup / "bad")]
    for flag, value in base_args.items():
        if value is not None:
            argv += [flag, value]
    assert main(argv) == 2
    assert message in capsys.readouterr().err


def test_clone_pairs_transform_the_first_function_and_keep_the_partner(setup):
    plain = "int g(int x) {\n    return x;\n}\n"
    loop = "int f(int n) {\n    int s = 0;\n    for (int i = 0; i < n; i++) {\n        s += i;\n    }\n    return s;\n}\n"
    spin = "void h(int n) {\n    while (n > 0) {\n        n--;\n    }\n}\n"
    folder = setup / "bcb"
    folder.mkdir()
    with open(folder / "functions.jsonl", "w") as f:
        for fid, code in (("1", loop), ("2", plain), ("3", spin)):
            f.write(json.dumps({"id": fid, "code": code.replace("int ", "int ", 1)}) + "\n")
    with open(folder / "pairs.jsonl", "w") as f:
        f.write(json.dumps({"id1": "1", "id2": "2", "label": 0, "split": "test"}) + "\n")
        f.write(json.dumps({"id1": "3", "id2": "2", "label": 1, "split": "test"}) + "\n")
    argv = ["eval", "--task", "clone", "--dataset", str(folder / "pairs.jsonl"),
            "--teacher", str(setup / "clone-teacher"), "--student", str(setup / "clone-student"),
            "--transforms", "for-to-while", "--out", str(setup / "clone")]  # fmt: skip
    assert main(argv) == 0
    results = _results(setup, "clone")
    assert results["accuracy"]["teacher"]["original"]["accuracy"] == 0.5  # never says clone
    assert results["accuracy"]["student-1"]["original"]["accuracy"] == 1.0
    rates = results["relations"]["transformed"]["student-1"]["per_transform"]["for-to-while"]
    assert rates["inputs"] == 1 and rates["student-invariance"]["rate"] == 1.0  # f's loop becomes a while


def test_attacks_run_per_model(setup, capsys):
    code = _eval(setup, "attack", "--attack", "random", "--budget", "4")
    assert code == 0
    results = _results(setup, "attack")
    for role in ("teacher", "student-1"):
        attack = results["attacks"]["random"][role]
        correct = round(results["accuracy"][role]["original"]["accuracy"] * 4)
        assert attack["attacked"] == correct
        assert attack["success_rate"] == (attack["successes"] / correct if correct else 0.0)
        assert attack["scores"]["accuracy"] <= results["accuracy"][role]["original"]["accuracy"]
    # No behaviour-preserving transform adds or removes `malloc`: the teacher cannot be attacked.
    assert results["attacks"]["random"]["teacher"]["successes"] == 0
    assert results["performance_drop"]["random"]["teacher"]["drop"] == 0.0
    assert results["performance_drop"]["random"]["student-1"]["greater_drop_pct"] is None


def test_ray_engine_gives_the_local_results(setup, base, monkeypatch):
    ray = pytest.importorskip("ray")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    monkeypatch.chdir(setup)  # relative model paths must reach the actors too
    argv = ["eval", "--task", "vuln", "--dataset", "devign.jsonl", "--teacher", "teacher", "--student", "student",
            "--transforms", "for-to-while", "--chunk", "2", "--engine", "ray", "--replicas", "2", "--out", "ray"]  # fmt: skip
    try:
        assert main(argv) == 0
    finally:
        ray.shutdown()
    results = _results(setup, "ray")
    assert results["config"]["engine"] == "ray"
    assert _without_run_facts(results) == _without_run_facts(base)
