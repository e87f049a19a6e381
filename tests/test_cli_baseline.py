"""`metacompress check --baseline FILE` (issue 15, item 3): the gate, SARIF baselineState, and bad baseline files,
on real models with known behaviour (tests/known_models.py).

Teacher: "vulnerable" exactly when the code mentions `malloc` (never, here). The faithful student is keyed to
`malloc` too, so it never departs; the worse student is keyed to `while`, so it departs on the for -> while
variants of every function with a `for` loop, and nowhere else.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import jsonschema
import pytest
from known_models import keyword_model

from metacompress.cli import main
from metacompress_core.scores import sign_flip_greater

SCHEMA = Path(__file__).parent / "fixtures" / "sarif" / "sarif-schema-2.1.0.json"
TRANSFORMS = "for-to-while,rename-variable,swap-relational,insert-comment"


def loop(name: str) -> str:
    return (
        f"int {name}(const int *a, int n)\n{{\n    int t = 0;\n    for (int i = 0; i < n; i++)\n"
        "        t += a[i];\n    return t;\n}\n"
    )


LOOPS = ("sum", "total", "count", "acc", "fold", "reduce")
PLAIN = "int twice(int x)\n{\n    int y = x * 2;\n    return y;\n}\n"


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    root = tmp_path_factory.mktemp("models")
    return {
        "teacher": keyword_model(root / "teacher", "malloc"),
        "faithful": keyword_model(root / "faithful", "malloc"),
        "worse": keyword_model(root / "worse", "while"),
    }


def check(capsys, models, student: str, *args: str) -> tuple[int, str, str]:
    argv = ["check", *args, "--teacher", str(models["teacher"]), "--student", str(models[student])]
    code = main([*argv, "--transforms", TRANSFORMS, "--no-cache", "-q"])
    out = capsys.readouterr()
    return code, out.out, out.err


def gate_line(err: str) -> str:
    (line,) = [line for line in err.splitlines() if line.startswith("metacompress: baseline ")]
    return line


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    """Six functions with a loop (the test counts functions: five or more must move the same way for p < 0.05)
    and one without."""
    folder = tmp_path_factory.mktemp("project")
    (folder / "src").mkdir()
    for name in LOOPS:
        (folder / "src" / f"{name}.c").write_text(loop(name))
    (folder / "src" / "plain.c").write_text(PLAIN)
    return folder


@pytest.fixture(scope="module")
def reports(project, models):
    out = {}
    for student in ("faithful", "worse"):
        out[student] = project / f"{student}.json"
        code = main(
            [
                "check",
                str(project / "src"),
                "--teacher",
                str(models["teacher"]),
                "--student",
                str(models[student]),
                "--transforms",
                TRANSFORMS,
                "--no-cache",
                "-q",
                "-f",
                "json",
                "-o",
                str(out[student]),
            ]
        )
        assert code == 0
    return out


def test_the_report_records_each_input_outcome(reports):
    data = json.loads(reports["worse"].read_text())
    by_name = {f["unit"]["qualname"]: f for f in data["findings"]}
    for f in data["findings"]:
        outcomes = f["input_outcomes"]
        assert len(outcomes["keys"]) == len(outcomes["violated"]) == f["inputs_checked"]
        assert outcomes["violated"].count("1") == f["violating_inputs"]
        assert all(len(k) == 16 and int(k, 16) >= 0 for k in outcomes["keys"])
    assert by_name["sum"]["input_outcomes"]["violated"].count("1") > 0
    assert set(by_name["twice"]["input_outcomes"]["violated"]) == {"0"}
    # The same inputs are checked with either student: the keys name inputs, not outcomes.
    faithful = json.loads(reports["faithful"].read_text())
    assert [f["input_outcomes"]["keys"] for f in faithful["findings"]] == [
        f["input_outcomes"]["keys"] for f in data["findings"]
    ]
    assert {f["input_outcomes"]["violated"].count("1") for f in faithful["findings"]} == {0}


def test_a_student_passes_against_itself(project, models, reports, capsys):
    code, _, err = check(capsys, models, "worse", str(project / "src"), "--baseline", str(reports["worse"]))
    line = gate_line(err)
    assert code == 0, err
    assert "paired on the" in line and "7 functions" in line
    assert "0 inputs newly violated, 0 no longer" in line and "p = 1:" in line and line.endswith("pass")


def test_a_worse_student_fails_and_a_better_one_passes(project, models, reports, capsys):
    code, _, err = check(
        capsys, models, "worse", str(project / "src"), "--baseline", str(reports["faithful"])
    )
    line = gate_line(err)
    assert code == 1, err
    assert "McNemar exact test over functions" in line and line.endswith("FAIL")
    report = json.loads(reports["worse"].read_text())
    worse = report["summary"]
    assert f"violation rate {worse['violation_rate']:.3f} (95% CI " in line
    assert "vs baseline 0.000 (95% CI 0.00-0.41)" in line  # no violation in 7 functions: Clopper-Pearson
    assert f"{worse['inputs_violating']} inputs newly violated, 0 no longer" in line
    p = sign_flip_greater([f["violating_inputs"] for f in report["findings"]])
    assert p == 2 ** -len(LOOPS) and f"p = {p:.3g}:" in line  # every loop function moved the same way

    # One-sided: the faithful student against the worse one's baseline is better, so it passes.
    code, _, err = check(
        capsys, models, "faithful", str(project / "src"), "--baseline", str(reports["worse"])
    )
    assert code == 0 and "0 inputs newly violated" in gate_line(err) and gate_line(err).endswith("pass")


def test_fail_on_still_applies_with_a_baseline(project, models, reports, capsys):
    code, _, err = check(
        capsys,
        models,
        "worse",
        str(project / "src"),
        "--baseline",
        str(reports["worse"]),
        "--fail-on",
        "0",
    )
    assert code == 1 and gate_line(err).endswith("pass") and "exceeds --fail-on 0" in err


def test_without_per_input_outcomes_the_rates_are_compared(project, models, reports, capsys, tmp_path):
    """A baseline written before reports held per-input outcomes: the rates with cluster-robust errors."""
    for student in ("faithful", "worse"):
        data = json.loads(reports[student].read_text())
        for f in data["findings"]:
            del f["input_outcomes"]
        (tmp_path / f"{student}.json").write_text(json.dumps(data))
    code, _, err = check(
        capsys, models, "worse", str(project / "src"), "--baseline", str(tmp_path / "faithful.json")
    )
    line = gate_line(err)
    assert code == 1, err
    assert "not paired (the baseline report has no per-input outcomes" in line
    assert "z-test on cluster-robust standard errors" in line and line.endswith("FAIL")
    code, _, err = check(
        capsys, models, "worse", str(project / "src"), "--baseline", str(tmp_path / "worse.json")
    )
    assert code == 0 and gate_line(err).endswith("pass")


def test_sarif_marks_results_new_unchanged_and_absent(models, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    src = Path("src")
    src.mkdir()
    (src / "kept.c").write_text(loop("kept"))
    (src / "gone.c").write_text(loop("gone"))
    (src / "plain.c").write_text(PLAIN)
    code, _, _ = check(capsys, models, "worse", "src", "-f", "json", "-o", "base.json")
    assert code == 0
    (src / "gone.c").unlink()
    (src / "added.c").write_text(loop("added"))

    code, _, err = check(
        capsys, models, "worse", "src", "-f", "sarif", "-o", "now.sarif", "--baseline", "base.json"
    )
    assert code == 0, err  # the same student on the code both runs checked
    assert "paired on the" in gate_line(err) and "0 inputs newly violated" in gate_line(err)
    log = json.loads(Path("now.sarif").read_text())
    validator = jsonschema.Draft4Validator(json.loads(SCHEMA.read_text(encoding="utf-8")))
    errors = list(validator.iter_errors(log))
    assert not errors, [f"{list(e.path)}: {e.message}" for e in errors]
    results = log["runs"][0]["results"]
    states = {
        r["locations"][0]["logicalLocations"][0]["fullyQualifiedName"]: r["baselineState"] for r in results
    }
    assert states == {"kept": "unchanged", "added": "new", "gone": "absent"}
    gone = next(r for r in results if r["baselineState"] == "absent")
    kept = next(r for r in results if r["baselineState"] == "unchanged")
    assert gone["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "src/gone.c"
    assert gone["locations"][0]["physicalLocation"]["region"] == {"startLine": 1}
    assert gone["ruleId"] == kept["ruleId"] == "prediction-agreement" and gone["level"] == "warning"
    assert gone["message"]["text"].startswith("After for -> while at line 4")
    # Identity: function, relation and the variant's recipe; not the line (kept.c's function moves down).
    assert all(set(r["fingerprints"]) == {"metacompressDeparture/v1"} for r in results)
    (src / "kept.c").write_text("\n\n\n" + loop("kept"))
    code, out, _ = check(capsys, models, "worse", "src", "-f", "sarif", "--baseline", "base.json")
    (moved,) = [r for r in json.loads(out)["runs"][0]["results"] if r["fingerprints"] == kept["fingerprints"]]
    assert moved["baselineState"] == "unchanged"
    assert moved["locations"][0]["physicalLocation"]["region"]["startLine"] == 4


@pytest.mark.parametrize(
    ("name", "content", "needle"),
    [
        ("missing.json", None, "does not exist"),
        ("folder", "DIR", "is a folder"),
        ("table.txt", "LOCATION  FUNCTION\n", "is not JSON"),
        ("latin1.json", b"\xff\xfe{", "not UTF-8"),
        ("report.sarif", json.dumps({"version": "2.1.0", "runs": []}), "is a SARIF log"),
        ("other.json", json.dumps({"schema": "something/1"}), "not a JSON report of `metacompress check`"),
        ("damaged.json", json.dumps({"schema": "metacompress-check/2", "findings": {}}), "damaged"),
    ],
)
def test_a_bad_baseline_is_a_usage_error_before_any_model_loads(tmp_path, capsys, name, content, needle):
    path = tmp_path / name
    if content == "DIR":
        path.mkdir()
    elif isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content)
    (tmp_path / "a.c").write_text(PLAIN)
    # Models that do not exist: the baseline is refused first, so no model is ever looked for.
    code = main(
        [
            "check",
            str(tmp_path / "a.c"),
            "--teacher",
            str(tmp_path / "no-t"),
            "--student",
            str(tmp_path / "no-s"),
            "--baseline",
            str(path),
            "-q",
        ]
    )
    out = capsys.readouterr()
    assert code == 2 and out.out == ""
    assert f"metacompress: error: --baseline {path} " in out.err and needle in out.err
    assert "-f json -o" in out.err  # what to do
    assert "Traceback" not in out.err and "no-t" not in out.err


def test_the_paired_test_is_mcnemar_exact_over_functions():
    assert sign_flip_greater([]) == sign_flip_greater([0, 0]) == 1.0
    # One discordant input per function: McNemar's exact test, P(Binomial(m, 1/2) >= newly violated).
    assert sign_flip_greater([1] * 5) == pytest.approx(1 / 32)  # the fewest functions that can fail at 5%
    assert sign_flip_greater([1] * 4) == pytest.approx(1 / 16)
    assert sign_flip_greater([1] * 8 + [-1] * 2) == pytest.approx(56 / 1024)  # 8 of 10: p 0.055, passes
    assert sign_flip_greater([-1] * 9) == 1.0
    # Many inputs of few functions count as few: 40 inputs newly violated in 2 functions is p = 1/4.
    assert sign_flip_greater([20, 20]) == pytest.approx(0.25)
    # Functions moving both ways: the sum of the sign patterns at least the observed one (brute force).
    diffs = [12, 7, -7, -14, -1, 14, 14, -1, 2, -2, -6, 1]
    patterns = itertools.product((1, -1), repeat=len(diffs))
    at_least = sum(
        sum(s * abs(d) for s, d in zip(signs, diffs, strict=True)) >= sum(diffs) for signs in patterns
    )
    assert sign_flip_greater(diffs) == pytest.approx(at_least / 2 ** len(diffs))
