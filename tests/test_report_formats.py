"""Report formats on real findings from models whose behaviour is known (tests/known_models.py).

Teacher: "vulnerable" exactly when the code mentions `malloc`; student: exactly when it contains `while`. So the
student departs from the teacher on the for -> while variants of every function with a `for` loop, and nowhere
else. The checked files hold such functions (one with a comment holding non-ASCII text before its name on the
same line, one with a non-ASCII name) and a loop-free one.
"""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from known_models import keyword_model

from metacompress_core import __version__
from metacompress_core.code import extract_units
from metacompress_core.engine import EngineConfig, check_units
from metacompress_core.models import load_backend
from metacompress_core.relations import Thresholds
from metacompress_core.report import render, summarise
from metacompress_core.report.outputs import relations_broken
from metacompress_core.report.sarif import sarif_log

SCHEMA = Path(__file__).parent / "fixtures" / "sarif" / "sarif-schema-2.1.0.json"
TRANSFORMS = ("for-to-while", "rename-variable", "swap-relational", "insert-comment", "split-declaration")
PAPER = (
    "prediction-agreement",
    "distribution-similarity",
    "high-confidence-preservation",
    "calibration-alignment",
)

C_SOURCE = """\
int sum(const int *a, int n)
{
    int total = 0;
    for (int i = 0; i < n; i++)
        total += a[i];
    return total;
}

int twice(int x)
{
    int y = x * 2;
    return y;
}

/* Größe, ß */ int count(const int *a, int n) { int c = 0; for (int i = 0; i < n; i++) if (a[i]) c++; return c; }
"""

COUNT_LINE = next(i for i, line in enumerate(C_SOURCE.splitlines(), 1) if "count(" in line)

JAVA_SOURCE = """\
class Maße {
    static int größe(int[] a) {
        int t = 0;
        for (int i = 0; i < a.length; i++)
            t += a[i];
        return t;
    }
}
"""


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    root = tmp_path_factory.mktemp("models")
    return (
        load_backend(keyword_model(root / "teacher", "malloc")),
        load_backend(keyword_model(root / "student", "while")),
    )


@pytest.fixture(scope="module")
def run(models, tmp_path_factory):
    """(findings, summary, source folder) of one check over a C file and a Java file."""
    teacher, student = models
    folder = tmp_path_factory.mktemp("project")
    (folder / "src").mkdir()
    files = {folder / "src" / "demo.c": (C_SOURCE, "c"), folder / "src" / "Maße.java": (JAVA_SOURCE, "java")}
    config = EngineConfig(transforms=TRANSFORMS, budget=10, seed=1)
    findings = []
    for path, (text, language) in files.items():
        path.write_text(text, encoding="utf-8")
        findings += check_units(extract_units(text, language, str(path)), teacher, student, config)
    return findings, summarise(findings, teacher, student, config, list(files), 1.5), folder


def by_name(findings):
    return {f.unit.name: f for f in findings}


def test_the_findings_are_the_known_ones(run):
    findings, _, _ = run
    found = by_name(findings)
    assert set(found) == {"sum", "twice", "count", "größe"}
    for name in ("sum", "count", "größe"):
        assert found[name].severity == "warning" and found[name].culprit.variant.transforms == (
            "for-to-while",
        )
    assert found["twice"].evidence is None and relations_broken(found["twice"]) == []


# ---- summary ----------------------------------------------------------------------------------------------------


def test_summary_counts_and_violation_rate(run, models):
    findings, summary, _ = run
    assert summary.tool_version == __version__
    assert summary.teacher.name == "teacher" and summary.student.name == "student"
    assert summary.teacher.fingerprint == models[0].fingerprint
    assert summary.labels == ("safe", "vulnerable")
    assert summary.files_checked == 2 and summary.units_checked == 4 and summary.units_with_violation == 3
    assert dict(summary.findings) == {"warning": 3, "information": 0, "hint": 0}
    assert summary.inputs_checked == sum(f.inputs_checked for f in findings)
    assert summary.inputs_violating == sum(f.violating_inputs for f in findings) > 0
    assert summary.violation_rate == pytest.approx(summary.inputs_violating / summary.inputs_checked)
    assert summary.relation_counts["teacher-invariance"] == 0
    assert summary.relation_counts["prediction-agreement"] == summary.inputs_violating  # only flips here
    assert "any-paper-relation" not in summary.relation_counts
    assert summary.config["budget"] == 10 and summary.config["thresholds"]["js_eps"] == 0.05
    assert summary.config["transforms"] == list(TRANSFORMS)


def test_violation_rate_counts_paper_relations_only(tmp_path):
    """Teacher and student both keyed to `while`: both flip together, so only the invariances break."""
    teacher = load_backend(keyword_model(tmp_path / "t", "while"))
    student = load_backend(keyword_model(tmp_path / "s", "while"))
    units = extract_units(C_SOURCE, "c", "demo.c")[:1]
    findings = list(check_units(units, teacher, student, EngineConfig(transforms=TRANSFORMS, budget=6)))
    summary = summarise(findings, teacher, student, EngineConfig(), 1, 0.0)
    assert (
        summary.relation_counts["teacher-invariance"] > 0
        and summary.relation_counts["student-invariance"] > 0
    )
    assert (
        summary.inputs_violating == 0 and summary.violation_rate == 0.0 and summary.units_with_violation == 0
    )
    assert summary.files_checked == 1 and summary.files == ()
    # Both models flip together: the teacher moved, so nothing is the student's doing and nothing is shown.
    assert findings[0].flips.both > 0 and findings[0].evidence is None
    assert "## `sum`" not in render("markdown", findings, summary)


def test_nothing_checked_gives_rate_zero_and_rules_state_the_run_thresholds(models):
    summary = summarise([], *models, EngineConfig(thresholds=Thresholds(js_eps=0.125)), [], 0.0)
    assert summary.violation_rate == 0.0 and summary.units_checked == 0
    log = json.loads(render("sarif", [], summary))
    jsonschema.Draft4Validator(json.loads(SCHEMA.read_text(encoding="utf-8"))).validate(log)
    assert log["runs"][0]["results"] == []
    rules = {r["id"]: r for r in log["runs"][0]["tool"]["driver"]["rules"]}
    assert "eps = 0.125" in rules["distribution-similarity"]["fullDescription"]["text"]
    assert "No function shows evidence" in render("markdown", [], summary)
    assert (
        render("table", [], summary)
        .splitlines()[-1]
        .startswith("0 functions in 0 files: 0 warning, 0 information, 0 hint;")
    )


# ---- json -------------------------------------------------------------------------------------------------------


def test_json_round_trip(run):
    findings, summary, _ = run
    text = render("json", findings, summary)
    assert text == render("json", findings, summary)  # deterministic
    data = json.loads(text)
    assert list(data) == ["schema", "tool", "models", "labels", "config", "relations", "summary", "findings"]
    assert data["schema"] == "metacompress-check/2"
    assert data["tool"] == {"name": "metacompress", "version": __version__}
    assert data["labels"] == ["safe", "vulnerable"]
    assert data["models"]["student"]["fingerprint"] == summary.student.fingerprint
    s = data["summary"]
    assert (s["files_checked"], s["units_checked"], s["units_with_violation"]) == (2, 4, 3)
    assert (s["inputs_checked"], s["inputs_violating"]) == (summary.inputs_checked, summary.inputs_violating)
    assert s["violation_rate"] == pytest.approx(summary.violation_rate)
    low, high = s["violation_rate_ci95"]
    assert low <= s["violation_rate"] <= high and [low, high] == pytest.approx(
        list(summary.violation_rate_ci95)
    )
    assert s["relation_counts"] == dict(summary.relation_counts) and s["elapsed_seconds"] == 1.5
    assert s["findings"] == {"warning": 3, "information": 0, "hint": 0}
    assert [r["name"] for r in data["relations"] if r["paper"]] == list(PAPER)

    found = {f["unit"]["name"]: f for f in data["findings"]}
    loop, model_loop = found["sum"], by_name(findings)["sum"]
    assert loop["unit"]["qualname"] == "sum" and loop["unit"]["path"].endswith("demo.c")
    assert loop["unit"]["id"] == model_loop.unit.id
    assert loop["unit"]["spans"]["name_start"] == [0, 4] and loop["unit"]["spans"]["start"] == [0, 0]
    assert loop["has_violation"] is True and loop["severity"] == "warning"
    assert {"prediction-agreement", "student-invariance"} <= set(loop["violated"])
    assert loop["tallies"]["prediction-agreement"]["induced"] >= 1
    assert loop["tallies"]["teacher-invariance"]["total"] == 0
    assert loop["inputs_checked"] == loop["variants_tried"] + 1 and loop["originals"] == 1
    e = loop["evidence"]
    assert (e["level"], e["kind"], e["induced"]) == ("warning", "student-flip", True)
    assert e["same"] == loop["tallies"]["prediction-agreement"]["induced"] == loop["flips"]["student_only"]
    assert loop["message"].startswith("After for -> while at line 4, the student flips from safe 0.88")
    v = e["variant"]
    assert v["teacher"]["predicted"] == "safe" and v["student"]["predicted"] == "vulnerable"
    assert v["student"]["probabilities"]["vulnerable"] == pytest.approx(0.974, abs=0.01)
    assert sum(v["teacher"]["probabilities"].values()) == pytest.approx(1.0, abs=1e-6)
    assert v["js_divergence"] == pytest.approx(model_loop.culprit.divergence) and v["js_divergence"] > 0.05
    assert v["variant"]["transforms"] == ["for-to-while"]
    assert v["variant"]["description"] == "for -> while at line 4"
    assert "while (" in v["variant"]["source"] and "for (" not in v["variant"]["source"]
    assert "-    for (int i = 0; i < n; i++)" in v["variant"]["diff"]
    assert loop["original"]["student"]["predicted"] == "safe" and loop["original"]["js_divergence"] == 0.0

    clean = found["twice"]
    assert clean["has_violation"] is False and clean["violated"] == [] and clean["evidence"] is None
    assert {t["total"] for t in clean["tallies"].values()} == {0}
    assert clean["message"].startswith("The student agrees with its teacher on all")
    assert clean["original"]["teacher"]["predicted"] == clean["original"]["student"]["predicted"] == "safe"
    assert found["größe"]["unit"]["qualname"] == "Maße.größe"  # non-ASCII kept as text, not escaped
    assert "größe" in text


# ---- sarif ------------------------------------------------------------------------------------------------------


def test_sarif_is_valid_sarif_2_1_0(run, monkeypatch):
    findings, summary, folder = run
    monkeypatch.chdir(folder)
    log = json.loads(render("sarif", findings, summary))
    validator = jsonschema.Draft4Validator(
        json.loads(SCHEMA.read_text(encoding="utf-8")),
        format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER,
    )
    errors = sorted(validator.iter_errors(log), key=lambda e: list(e.path))
    assert not errors, [f"{list(e.path)}: {e.message}" for e in errors]
    assert log["version"] == "2.1.0"
    driver = log["runs"][0]["tool"]["driver"]
    assert driver["name"] == "MetaCompress" and driver["version"] == __version__
    assert driver["informationUri"].startswith("https://")
    rules = driver["rules"]
    assert [r["id"] for r in rules] == [*PAPER, "teacher-invariance", "student-invariance"]
    for rule in rules:
        assert rule["shortDescription"]["text"] and rule["fullDescription"]["text"] and rule["help"]["text"]
    assert "eps = 0.05" in rules[1]["fullDescription"]["text"]


def test_sarif_has_one_result_per_function_with_evidence(run, monkeypatch):
    findings, summary, folder = run
    monkeypatch.chdir(folder)
    results = json.loads(render("sarif", findings, summary))["runs"][0]["results"]
    expected = {(f.unit.qualname, f.evidence.relation) for f in findings if f.evidence}
    got = [(r["locations"][0]["logicalLocations"][0]["fullyQualifiedName"], r["ruleId"]) for r in results]
    assert len(got) == len(set(got)) == 3 and set(got) == expected
    assert not any(q == "twice" for q, _ in got)
    rules = json.loads(render("sarif", findings, summary))["runs"][0]["tool"]["driver"]["rules"]
    for r in results:
        assert rules[r["ruleIndex"]]["id"] == r["ruleId"]
        assert r["level"] == "warning"
    assert {r["id"]: r["defaultConfiguration"]["level"] for r in rules}["teacher-invariance"] == "none"

    fingerprints = [r["partialFingerprints"]["metacompressFunction/v1"] for r in results]
    assert len(set(fingerprints)) == len(results)
    again = json.loads(render("sarif", findings, summary))["runs"][0]["results"]
    assert [r["partialFingerprints"] for r in again] == [r["partialFingerprints"] for r in results]

    agreement = next(r for r in results if r["locations"][0]["logicalLocations"][0]["name"] == "sum")
    loop = by_name(findings)["sum"]
    assert agreement["message"]["text"].startswith(
        "After for -> while at line 4, the student flips from safe"
    )
    assert f"{loop.evidence.same} of {loop.evidence.among} variants" in agreement["message"]["text"]
    props = agreement["properties"]
    assert props["transforms"] == ["for-to-while"] and "+        while (i < n) {" in props["diff"]
    assert (props["sameDeparture"], props["induced"]) == (loop.evidence.same, True)
    assert props["student"]["variant"]["predicted"] == "vulnerable"
    assert props["teacher"]["variant"]["predicted"] == "safe"
    assert props["student"]["original"]["predicted"] == "safe"


def _regions(log):
    return {
        r["locations"][0]["logicalLocations"][0]["name"]: r["locations"][0]["physicalLocation"]
        for r in log["runs"][0]["results"]
    }


def test_sarif_locations_are_relative_one_based_and_count_characters(run, monkeypatch):
    findings, summary, folder = run
    monkeypatch.chdir(folder)
    regions = _regions(json.loads(render("sarif", findings, summary)))
    assert regions["sum"]["artifactLocation"] == {"uri": "src/demo.c", "uriBaseId": "%SRCROOT%"}
    assert regions["sum"]["region"] == {"startLine": 1, "startColumn": 5, "endLine": 1, "endColumn": 8}

    # The comment before `count` holds 2-byte characters: byte and character columns differ by 3.
    line = C_SOURCE.splitlines()[COUNT_LINE - 1]
    column = line.index("count(") + 1
    assert len(line[: column - 1].encode()) == column - 1 + 3
    assert regions["count"]["region"] == {
        "startLine": COUNT_LINE,
        "startColumn": column,
        "endLine": COUNT_LINE,
        "endColumn": column + len("count"),
    }
    # A non-ASCII name: `größe` is 5 characters (7 bytes); a non-ASCII file name is percent-encoded.
    assert regions["größe"]["region"] == {"startLine": 2, "startColumn": 16, "endLine": 2, "endColumn": 21}
    assert regions["größe"]["artifactLocation"]["uri"] == "src/Ma%C3%9Fe.java"

    monkeypatch.chdir(folder / "src")
    assert (
        _regions(json.loads(render("sarif", findings, summary)))["sum"]["artifactLocation"]["uri"] == "demo.c"
    )


def test_sarif_columns_without_the_file_on_disk(models, tmp_path):
    """Texts given in `sources` are used; without them, the unit's own source covers the lines it starts."""
    teacher, student = models
    config = EngineConfig(transforms=("for-to-while",), budget=2)
    findings = [
        *check_units(extract_units(C_SOURCE, "c", "gone/demo.c"), teacher, student, config),
        *check_units(extract_units(JAVA_SOURCE, "java", "gone/Maße.java"), teacher, student, config),
    ]
    summary = summarise(findings, teacher, student, config, 2, 0.0)
    line = C_SOURCE.splitlines()[COUNT_LINE - 1]
    column = line.index("count(") + 1

    regions = _regions(sarif_log(findings, summary, sources={"gone/demo.c": C_SOURCE}, root=tmp_path))
    assert regions["count"]["region"]["startColumn"] == column
    assert regions["größe"]["region"] == {"startLine": 2, "startColumn": 16, "endLine": 2, "endColumn": 21}
    # Outside the root: an absolute file URI and no uriBaseId.
    assert regions["sum"]["artifactLocation"]["uri"].startswith("file:///")
    assert "uriBaseId" not in regions["sum"]["artifactLocation"]

    # No text at all: what precedes `count`'s definition on its line is unknown and counted in bytes.
    regions = _regions(sarif_log(findings, summary, root=tmp_path))
    assert regions["count"]["region"]["startColumn"] == column + 3
    assert regions["größe"]["region"]["endColumn"] == 21


def test_sarif_ignores_a_file_that_changed_since_the_check(run, tmp_path):
    findings, summary, _ = run
    java = next(f for f in findings if f.unit.name == "größe")
    changed = {java.unit.path: "// ein Kommentar mit Umlauten: äöü\n" + JAVA_SOURCE}
    region = _regions(sarif_log([java], summary, sources=changed, root=tmp_path))["größe"]["region"]
    assert region == {"startLine": 2, "startColumn": 16, "endLine": 2, "endColumn": 21}


# ---- markdown and table -----------------------------------------------------------------------------------------


def test_markdown_has_a_summary_and_a_section_per_violating_function(run, monkeypatch):
    findings, summary, folder = run
    monkeypatch.chdir(folder)
    text = render("markdown", findings, summary)
    assert text.startswith("# MetaCompress check")
    assert "| Functions shown as warning | 3 |" in text and "| Files checked | 2 |" in text
    low, high = summary.violation_rate_ci95
    assert (
        f"| Violation rate | {summary.violation_rate:.4f}, 95% CI {low:.2f}-{high:.2f} over 4 functions |"
        in text
    )
    for name, where in (
        ("sum", "src/demo.c:1"),
        ("count", f"src/demo.c:{COUNT_LINE}"),
        ("Maße.größe", "src/Maße.java:2"),
    ):
        assert f"## `{name}` ({where}): warning" in text
    assert "## `twice`" not in text
    assert text.count("```diff") == 3
    assert "-    for (int i = 0; i < n; i++)" in text and "+        while (i < n) {" in text
    assert "| variant | safe 0.881 | vulnerable 0.974 |" in text


def test_table_rows_violations_first_and_a_summary_line(run, monkeypatch):
    findings, summary, folder = run
    monkeypatch.chdir(folder)
    text = render("table", findings, summary, color=False)
    lines = text.splitlines()
    assert lines[0].split() == ["LOCATION", "FUNCTION", "FINDING", "VARIANTS", "BROKEN", "EVIDENCE"]
    assert [line.split()[1] for line in lines[1:5]][-1] == "twice"  # the only clean function comes last
    row = next(line for line in lines if line.split()[1] == "sum")
    f = by_name(findings)["sum"]
    assert row.startswith("src/demo.c:1 ")
    assert f"{f.violating_inputs}/{f.inputs_checked}" in row and " warning " in row
    assert "After for -> while at line 4, the student flips" in row
    assert next(line for line in lines if line.split()[1] == "twice").rstrip().endswith("-")
    assert lines[-1].startswith("4 functions in 2 files: 3 warning, 0 information, 0 hint;")
    low, high = summary.violation_rate_ci95
    rate = f"violation rate {summary.violation_rate:.3f}, 95% CI {low:.2f}-{high:.2f} over 4 functions;"
    assert rate in lines[-1]
    assert "\033[" not in text
    colored = render("table", findings, summary, color=True)
    assert "\033[31m" in colored and "\033[0m" in colored


def test_the_violation_rate_interval_counts_functions_not_inputs():
    from metacompress_core.scores import clustered_rate_interval

    # One function alone: no spread to measure.
    assert clustered_rate_interval([50], [25]) is None
    # The same 50% rate: many small functions give a narrower interval than few big ones with the same inputs.
    many = clustered_rate_interval([10] * 40, [10, 0] * 20)
    few = clustered_rate_interval([200] * 2, [200, 0])
    assert many is not None and few is not None
    assert many[0] <= 0.5 <= many[1] and (many[1] - many[0]) < (few[1] - few[0])
    # Every function at the same rate: a narrow interval around it, inside [0, 1].
    low, high = clustered_rate_interval([10, 20, 30], [3, 6, 9])
    assert 0.29 < low <= 0.3 <= high < 0.31
    assert clustered_rate_interval([10, 10, 10], [10, 10, 9])[1] <= 1.0


def test_progress_bar_counts_from_its_first_update_and_gives_an_eta(capsys, monkeypatch):
    from metacompress_core.report import progress

    clock = iter([100.0, 102.0, 104.0])
    monkeypatch.setattr(progress.time, "perf_counter", lambda: next(clock))
    bar = progress.ProgressBar(enabled=True, unit="functions", width=10)
    bar.update(3, 13)  # e.g. after model loading: not counted as work
    bar.update(5, 13)  # 2 functions in 2 s
    bar.update(13, 13)
    bar.close()
    out = capsys.readouterr().err
    assert "[##########] 13/13 functions" in out
    assert "5/13 functions, 1.00/s, ETA 8 s" in out  # 8 left at 1 per second
    assert "13/13 functions, 2.50/s   " in out and out.count("ETA") == 1  # no ETA once done
    progress.ProgressBar(enabled=False).update(1, 2)
    assert capsys.readouterr().err == ""
