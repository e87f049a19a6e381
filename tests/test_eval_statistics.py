"""`metacompress eval`'s statistics (issue 15): an interval on every rate, paired tests between students
(Holm-corrected), `eval --baseline DIR`, "n/a" where a relation applies to nothing, and reliability diagrams
with axes. Real keyword models (tests/known_models.py) whose answers are known by construction: the teacher
says "vulnerable" exactly when the code contains `malloc`; `same` and `copy` are the teacher's exact
equivalents (they never break a relation); `different` says "vulnerable" wherever there is a `return`, so it
disagrees with the teacher on every input of the ten functions without `malloc`."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from metacompress.cli import main
from metacompress_core.scores import clustered_rate_interval, holm, paired_outcomes, rate_interval
from tests.known_models import keyword_model

MALLOC = "int m{i}(int n) {{\n    char *p = malloc(n);\n    int s = n * {i};\n    return s;\n}}\n"
PLAIN = "int f{i}(int x) {{\n    int y = x + {i};\n    if (y > 3) {{\n        y = y - 1;\n    }}\n    return y;\n}}\n"
FUNCTIONS = [(f"m{i}", MALLOC.format(i=i), 1) for i in range(2)] + [
    (f"f{i}", PLAIN.format(i=i), i % 2) for i in range(10)
]
CELL = re.compile(r"(\d+\.\d+)% \[(\d+\.\d+), (\d+\.\d+)\]")


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("evalstats")
    keyword_model(root / "teacher", "malloc")
    keyword_model(root / "same", "malloc")
    keyword_model(root / "copy", "malloc")
    keyword_model(root / "different", "return")
    keyword_model(root / "unsure", "zzz", negative_logit=0.2)  # never above 0.55: never confident
    with open(root / "devign.jsonl", "w") as f:
        for i, code, label in FUNCTIONS:
            f.write(json.dumps({"id": i, "code": code, "label": label, "split": "test"}) + "\n")
    return root


def _eval(
    world: Path, out: str, *students: str, teacher: str = "teacher", extra: tuple[str, ...] = ()
) -> int:
    argv = [
        "eval",
        "--task",
        "vuln",
        "--dataset",
        str(world / "devign.jsonl"),
        "--teacher",
        str(world / teacher),
    ]
    for s in students:
        argv += ["--student", str(world / s)]
    argv += ["--variants", "2", "--cka-inputs", "2", "-q", "--out", str(world / out), *extra]
    return main(argv)


def _results(world: Path, out: str) -> dict:
    return json.loads((world / out / "results.json").read_text())


@pytest.fixture(scope="module")
def three(world) -> dict:
    assert _eval(world, "three", "same", "copy", "different") == 0
    return _results(world, "three")


def _rates(node):
    """Every (rate, ci) pair in results.json: relation entries, accuracy/precision/recall, attack success."""
    if isinstance(node, dict):
        if "rate" in node and "ci" in node:
            yield node["rate"], node["ci"]
        for name in ("accuracy", "precision", "recall", "success_rate"):
            if f"{name}_ci" in node:
                yield node[name], node[f"{name}_ci"]
        for value in node.values():
            yield from _rates(value)
    elif isinstance(node, list):
        for value in node:
            yield from _rates(value)


def test_every_rate_has_an_interval_that_contains_it(world, three):
    pairs = list(_rates({k: three[k] for k in ("accuracy", "relations")}))
    with_interval = [(rate, ci) for rate, ci in pairs if ci is not None]
    assert len(with_interval) > 50
    for rate, ci in with_interval:
        assert ci[0] <= rate <= ci[1], (rate, ci)
    # The different student disagrees with the teacher on the originals of the ten functions without malloc;
    # on the originals each function is its own cluster, and the interval is scores' cluster-robust one.
    pa = three["relations"]["original"]["student-3"]["prediction-agreement"]
    assert (pa["violations"], pa["applicable"]) == (10, 12)
    assert pa["ci"] == pytest.approx(list(clustered_rate_interval([1] * 12, [0, 0] + [1] * 10)))
    # On the variants the clusters are the functions: fewer clusters than inputs, a wider interval than if
    # every variant counted as independent.
    every = three["relations"]["transformed"]["student-3"]["all"]
    assert every["functions"] == 12 and every["inputs"] > 12
    # No violation at all is not certainty: the interval reaches the exact bound over the 12 functions.
    none = three["relations"]["original"]["student-1"]["any-paper-relation"]
    assert none["rate"] == 0.0 and none["ci"] == pytest.approx([0.0, 1 - 0.025 ** (1 / 12)])
    md = (world / "three" / "report.md").read_text()
    html = (world / "three" / "report.html").read_text()
    cells = CELL.findall(md)
    assert len(cells) > 50
    for value, low, high in cells:
        assert float(low) - 0.05 <= float(value) <= float(high) + 0.05
    for cell in {m.group(0) for m in CELL.finditer(md)}:
        assert cell in html
    assert "95% interval" in md and 'class="ci"' in html  # a note on every table, whiskers on the bars


def test_pairwise_table_marks_a_different_student_and_not_an_identical_copy(world, three):
    c = three["comparisons"]
    assert c["correction"] == "holm" and c["alpha"] == 0.05
    pairs = {(p["a"], p["b"]): p for p in c["pairs"]}
    assert set(pairs) == {("student-1", "student-2"), ("student-1", "student-3"), ("student-2", "student-3")}
    twins = pairs[("student-1", "student-2")]
    assert twins["a_only"] == twins["b_only"] == 0 and twins["p_two_sided"] == 1.0
    assert not twins["significant"] and twins["worse"] is None
    for key in (("student-1", "student-3"), ("student-2", "student-3")):
        p = pairs[key]
        rel = three["relations"]
        violated = rel["original"]["student-3"]["any-paper-relation"]["violations"]
        violated += rel["transformed"]["student-3"]["all"]["any-paper-relation"]["violations"]
        assert p["functions_differing"] == 10 and p["a_only"] == 0 and p["b_only"] == violated
        assert p["p_two_sided"] == pytest.approx(2 * 2**-10)  # all ten functions move the same way
        assert p["p_holm"] == pytest.approx(3 * 2 * 2**-10)  # the smallest of three p-values, times 3
        assert p["significant"] and p["worse"] == "student-3"
    md = (world / "three" / "report.md").read_text()
    assert "## Students compared: paired tests on the same inputs" in md
    assert "yes: different (student-3) violates more" in md and "Holm" in md
    row = next(line for line in md.splitlines() if line.startswith("| same (student-1) | copy (student-2) |"))
    assert row.rstrip(" |").endswith("| no")
    assert "Students compared" in (world / "three" / "report.html").read_text()


def test_two_sided_p_and_holm_by_hand():
    six = paired_outcomes([[(True, False)]] * 6)  # six functions, each violated only by a
    assert (six.p_greater, six.p_less, six.p_two_sided) == (pytest.approx(1 / 64), 1.0, pytest.approx(1 / 32))
    assert paired_outcomes([[(True, True), (False, False)]] * 3).p_two_sided == 1.0
    assert holm([0.01, 0.04, 0.03]) == pytest.approx([0.03, 0.06, 0.06])
    assert rate_interval([3, 3], [0, 0]) == pytest.approx((0.0, 1 - 0.025**0.5))
    assert rate_interval([3], [1]) is None  # one cluster: no spread to measure


def test_baseline_passes_against_itself_and_fails_a_worse_student(world, capsys):
    assert _eval(world, "base", "same", "copy") == 0
    capsys.readouterr()
    # The same run again, against itself (everything resumed): no difference, exit 0.
    assert _eval(world, "base", "same", "copy", extra=("--baseline", str(world / "base"))) == 0
    err = capsys.readouterr().err
    assert err.count("not significantly worse than the baseline (p >= 0.05): pass") == 2
    # A candidate whose second student is the different one, and a third student the baseline lacks.
    code = _eval(world, "cand", "same", "different", "copy", extra=("--baseline", str(world / "base")))
    err = capsys.readouterr().err
    assert code == 1
    lines = [line for line in err.splitlines() if line.startswith("metacompress: baseline")]
    assert len(lines) == 3
    assert "student-1 (same against the baseline's same)" in lines[0] and lines[0].endswith(": pass")
    assert "student-2 (different against the baseline's copy)" in lines[1] and lines[1].endswith(": FAIL")
    assert "student-3 (copy) is not in the baseline" in lines[2]
    baseline = _results(world, "cand")["baseline"]
    worse = baseline["students"]["student-2"]
    assert worse["paired"] and worse["worse"] and worse["p_value"] == pytest.approx(2**-10)
    assert worse["newly_violated"] > 0 and worse["no_longer"] == 0
    assert not baseline["students"]["student-1"]["worse"]
    md = (world / "cand" / "report.md").read_text()
    assert "## Against the baseline" in md and "significantly worse: FAIL" in md


@pytest.mark.parametrize("kind", ["missing", "empty folder", "a file", "other json"])
def test_a_baseline_that_is_not_an_eval_folder_is_a_usage_error(world, capsys, kind):
    target = world / f"not-a-baseline-{kind.replace(' ', '-')}"
    if kind == "empty folder":
        target.mkdir()
    elif kind == "a file":
        target.write_text('{"schema": "metacompress-report/1"}')
    elif kind == "other json":
        target.mkdir()
        (target / "results.json").write_text('{"schema": "something else"}')
        (target / "records.jsonl").write_text("")
    out = f"out-{kind.replace(' ', '-')}"
    assert _eval(world, out, "same", extra=("--baseline", str(target))) == 2
    assert "pass the --out folder of an earlier `metacompress eval` run" in capsys.readouterr().err
    assert not (world / out).exists()  # refused before any model ran


def _table_rows(md: str, title: str) -> list[list[str]]:
    lines = md.split(f"## {title}\n", 1)[1].split("\n\n", 1)[0].splitlines()
    return [[c.strip() for c in line.strip("|").split("|")] for line in lines if line.startswith("|")]


def test_na_where_a_relation_applies_to_nothing(world):
    # The unsure teacher is never confident, so high-confidence preservation applies to no input.
    assert _eval(world, "unsure", "same", teacher="unsure") == 0
    results = _results(world, "unsure")
    hcp = results["relations"]["original"]["student-1"]["high-confidence-preservation"]
    assert hcp == {"applicable": 0, "violations": 0, "rate": None, "ci": None}
    md = (world / "unsure" / "report.md").read_text()
    header, _, *rows = _table_rows(md, "Behavioural discrepancies: relation violation rates")
    column = header.index("HCP")
    assert [r[column] for r in rows] == ["n/a", "n/a"]  # originals and variants
    assert rows[0][header.index("PA")].startswith("16.7% [")  # the others still have theirs: m0, m1 differ
    html = (world / "unsure" / "report.html").read_text()
    assert "<td>n/a</td>" in html


def test_reliability_diagrams_have_axes_ticks_and_counts(world, three):
    html = (world / "three" / "report.html").read_text()
    figures = [f for f in re.findall(r"<figure>.*?</figure>", html, re.S) if "perfect" in f]
    assert len(figures) == 4  # teacher and three students
    for figure in figures:
        ticks = re.findall(r'<text class="tick"[^>]*>([^<]+)</text>', figure)
        for value in ("0.0", "0.2", "0.4", "0.6", "0.8", "1.0"):
            assert ticks.count(value) == 2  # on both axes
        counts = [int(n) for n in re.findall(r'<text class="count"[^>]*>(\d+)</text>', figure)]
        assert sum(counts) == 12  # every original in some bin
        assert "confidence" in figure and "accuracy" in figure


def test_headings_follow_what_ran(world, three):
    md = (world / "three" / "report.md").read_text()
    headings = [line for line in md.splitlines() if line.startswith("#")]
    assert not [h for h in headings if "attack" in h.lower()]
    assert "## Effectiveness on original inputs and variants" in headings
    html = (world / "three" / "report.html").read_text()
    assert not [h for h in re.findall(r"<h2>(.*?)</h2>", html) if "attack" in h.lower()]
    assert (
        _eval(world, "attacked", "same", extra=("--limit", "3", "--attack", "random", "--budget", "3")) == 0
    )
    md = (world / "attacked" / "report.md").read_text()
    assert "## Effectiveness on original inputs and variants and under attack" in md
    assert "## Attack `random` against the ground truth" in md
