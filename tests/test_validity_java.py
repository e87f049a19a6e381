"""Java transforms keep code compilable and behaving: every transform in the registry, on real methods.

BigCloneBench methods (../shared/data) that compile with javac inside a class with wide imports are
transformed once per transform (seeded) and every variant is compiled; our own example programs are
transformed whole, compiled and run, and must print what the originals print.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from validity import data
from validity.javac import compile_java, have_javac, method_class
from validity.measure import failures_report, measure, table, total, under_threshold
from validity.programs import (
    assert_own_programs_keep_their_output,
    run_java,
)
from validity.samples import compilable_java

from metacompress_core.transforms.registry import transforms_for

pytestmark = pytest.mark.skipif(not have_javac(), reason="javac and java (JDK 17) are needed")

REPO = Path(__file__).resolve().parents[1]
SAMPLE = 300  # methods: enough to meet every transform often, small enough for CI
MIN_COMPILE_RATE = 0.995
# BigCloneBench ids of the methods that compiled unchanged with javac 17 (written by bench/transforms.py
# --save-java-ids); only a hint that spares CI from compiling ~2,400 candidates: each is compiled again.
COMPILABLE_IDS = REPO / "tests" / "fixtures" / "bcb_compilable_ids.txt"


def _bcb_candidates() -> list[data.Function]:
    functions = data.bcb_functions()
    if not functions:
        pytest.skip(
            "BigCloneBench is absent (../shared/data/bcb/functions.jsonl.gz, or set METACOMPRESS_DATA)"
        )
    if COMPILABLE_IDS.is_file():
        keep = set(COMPILABLE_IDS.read_text().split())
        functions = [f for f in functions if f.id in keep] or functions
    return data.stable_order(functions)


@pytest.mark.shared_data
def test_transformed_bcb_methods_compile() -> None:
    subset = compilable_java(_bcb_candidates(), SAMPLE)
    assert len(subset.units) >= SAMPLE // 2, (
        f"only {len(subset.units)} BigCloneBench methods compile as they are"
    )
    rates = measure(subset.units, transforms_for("java"), subset.wrap, compile_java)
    report = table(
        rates, f"Java, {len(subset.units)} BigCloneBench methods that compile ({subset.checked} checked)"
    )
    print(report)
    overall = total(rates)
    assert overall.variants > 0
    assert overall.reparsed == overall.variants, failures_report(rates)
    assert overall.compile_rate >= MIN_COMPILE_RATE, f"{report}\n{failures_report(rates)}"
    assert not under_threshold(rates, MIN_COMPILE_RATE), f"{report}\n{failures_report(rates)}"


def test_transformed_own_programs_compile_and_print_the_same() -> None:
    folders = (REPO / "examples" / "java", REPO / "tests" / "fixtures" / "java")
    assert_own_programs_keep_their_output(folders, "java", ".java", run_java)


def test_batch_compiler_reports_every_units_own_errors() -> None:
    # One javac run for all: an unknown name in one unit must not hide another's flow errors.
    units = {
        "unknown": method_class("int f() { return nope; }"),
        "uninitialised": method_class("int g() { int x; return x; }"),
        "unreachable": method_class("int h() { while (true) {} return 1; }"),
        "fine": method_class("int k(int n) { return n + 1; }"),
        "constructor": method_class("    Point(int x) { System.out.println(x); }"),  # class named Point
    }
    errors = compile_java(units)
    assert "cannot find symbol" in errors["unknown"]
    assert "might not have been initialized" in errors["uninitialised"]
    assert "unreachable statement" in errors["unreachable"]
    assert errors["fine"] is None
    assert errors["constructor"] is None, errors["constructor"]
