"""Python transforms preserve behaviour: CPython modules keep passing their own test suites when transformed.

For each stdlib module under tests/fixtures/python_stdlib and each Python transform in the registry, every
function of the module is transformed (fixed seed) and the module's unittest suite runs against the
transformed copy in a fresh interpreter: it must pass with exactly the tests the untransformed module ran.
A second run composes three random transforms per function. One suite run per (module, transform) keeps
this to a couple of minutes. Each transformed module is also compared with the original as callers see it
(docstrings, parameter names, globals read, generator kind, closures: `python_interface`), since a suite
proves only what it exercises. Run with `-s` to see the table of transformed functions; it is also written to
<pytest basetemp>/python_stdlib_summary.md.

A failure names the functions that changed; `python bench/python_validity.py --module M --transform T
--bisect` finds which function's variant breaks the suite.
"""

from __future__ import annotations

import functools
from pathlib import Path

import pytest
from validity import python_suites as ps
from validity.python_interface import interface_changes

from metacompress_core.transforms.base import Variant
from metacompress_core.transforms.registry import transforms_for

FIXTURES = Path(__file__).parent / "fixtures" / "python_stdlib"
SUITES = {s.module: s for s in ps.discover(FIXTURES)}
TRANSFORMS = {t.name: t for t in transforms_for("python")}
SEED = 0
COMPOSE_SEEDS = (0, 1)

pytestmark = pytest.mark.slow  # about a hundred suite runs: one to two minutes


@pytest.fixture(scope="module", autouse=True)
def _needs_test_support() -> None:
    if not ps.has_test_support():
        pytest.skip(
            "this Python has no stdlib test package (test.support), which CPython's test files import"
        )


@pytest.fixture(scope="module")
def summary(tmp_path_factory: pytest.TempPathFactory):
    rows: list[tuple[str, str, str, str]] = []
    yield rows
    lines = [
        "| module | transform | functions changed | suite |",
        "|---|---|---|---|",
        *(f"| {m} | {t} | {c} | {r} |" for m, t, c, r in sorted(rows)),
    ]
    path = tmp_path_factory.getbasetemp() / "python_stdlib_summary.md"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n" + "\n".join(lines) + f"\n(written to {path})")


@functools.cache
def baseline(module: str) -> ps.SuiteResult:
    return ps.run_suite(SUITES[module], record_calls=True)


@functools.cache
def transformed(module: str, transform: str) -> tuple[str, tuple[Variant, ...]]:
    return ps.transform_module(SUITES[module], TRANSFORMS[transform], seed=SEED)


@functools.cache
def functions(module: str) -> int:
    return ps.function_count(SUITES[module])


def check_suite(module: str, label: str, source: str, variants: tuple[Variant, ...], rows: list) -> None:
    changes = interface_changes(SUITES[module].source(), source, f"{module}.py")
    assert not changes, f"{label} changed what callers of {module} see:\n" + "\n".join(changes)
    called = ps.exercised(SUITES[module], baseline(module))
    run_by_tests = sum(v.unit.id in called for v in variants)
    changed = f"{len(variants)}/{functions(module)} ({run_by_tests} called by the tests)"
    if not variants:
        assert source == SUITES[module].source()
        rows.append((module, label, changed, "not run (nothing changed)"))
        return
    base = baseline(module)
    result = ps.run_suite(SUITES[module], source)
    rows.append(
        (module, label, changed, f"{'passed' if result.same_as(base) else 'FAILED'}: {result.summary()}")
    )
    print(f"{module} x {label}: {changed} functions changed; {result.summary()}")
    names = ", ".join(v.unit.qualname for v in variants)
    assert result.same_as(base), (
        f"{label} broke {module}'s test suite ({result.summary()}; untransformed: {base.summary()}).\n"
        f"Changed functions: {names}\n"
        f"Find the culprit: python bench/python_validity.py --module {module} --transform {label} --bisect\n"
        f"{result.output}"
    )


@pytest.mark.parametrize("module", sorted(SUITES))
def test_untransformed_suite_passes(module: str) -> None:
    result = baseline(module)
    assert result.passed, result.summary() + "\n" + result.output
    assert result.ran >= 15
    # The suite exercises the module: most of its functions run (so a broken variant has a chance to show).
    assert len(ps.exercised(SUITES[module], result)) >= functions(module) // 2


def test_a_behaviour_change_fails_the_suite() -> None:
    """The check is not vacuous: a module whose dedent() no longer dedents fails its suite."""
    suite = SUITES["textwrap"]
    broken = suite.source() + "\n\ndef dedent(text):\n    return text\n"
    result = ps.run_suite(suite, broken)
    assert not result.passed
    assert result.failures > 0
    assert result.ran == baseline("textwrap").ran


def test_interface_check_catches_what_suites_may_miss() -> None:
    """Docstrings, keyword-callable parameter names and global reads are compared, not only test results."""
    source = SUITES["textwrap"].source()
    changed = (
        source.replace("def wrap(text, width=70, **kwargs):", "def wrap(text, cols=70, **kwargs):")
        .replace("Fill a single paragraph", "Fill one paragraph")
        .replace("while i < len(chunks)-1:", "while i < lenx(chunks)-1:")
    )
    problems = interface_changes(source, changed)
    assert any(p.startswith("wrap: parameters") for p in problems)
    assert "fill: docstring changed" in problems
    assert any("TextWrapper._fix_sentence_endings: now reads global(s) ['lenx']" in p for p in problems)
    assert interface_changes(source, source) == []


@pytest.mark.parametrize("transform", sorted(TRANSFORMS))
@pytest.mark.parametrize("module", sorted(SUITES))
def test_transformed_suite_passes(module: str, transform: str, summary: list) -> None:
    source, variants = transformed(module, transform)
    check_suite(module, transform, source, variants, summary)


@pytest.mark.parametrize("seed", COMPOSE_SEEDS)
@pytest.mark.parametrize("module", sorted(SUITES))
def test_composed_suite_passes(module: str, seed: int, summary: list) -> None:
    source, variants = ps.compose_module(SUITES[module], list(TRANSFORMS.values()), per_function=3, seed=seed)
    assert len(variants) > functions(module) // 2  # three transforms per function: most functions change
    check_suite(module, f"compose-3 (seed {seed})", source, variants, summary)


@pytest.mark.parametrize("transform", sorted(TRANSFORMS))
def test_every_transform_changes_some_function(transform: str) -> None:
    counts = {m: len(transformed(m, transform)[1]) for m in SUITES}
    assert sum(counts.values()) > 0, f"{transform} changed no function in {', '.join(SUITES)}"
