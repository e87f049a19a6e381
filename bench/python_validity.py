"""How often Python transforms keep real test suites passing: module x transform -> functions changed, suites passed.

Every function of each CPython module under tests/fixtures/python_stdlib is transformed (one transform at
a time, and three random ones composed per function), and the module's own unittest suite runs against the
transformed copy. A suite "passes" when it runs exactly the tests the untransformed module ran, all green.
Each transformed module is also compared with the original as callers see it (docstrings, parameter names,
globals read, generator kind, closures), and the baseline run records which functions the suite calls, so
the table says how many changed functions the tests actually ran.

    python bench/python_validity.py                      # all modules, all Python transforms, seed 0
    python bench/python_validity.py --seeds 3            # three seeds per transform (different sites)
    python bench/python_validity.py --module heapq --transform insert-comment --bisect

--bisect re-runs a failing suite with one changed function at a time and prints the diff of each function
whose variant alone breaks it, with the failing tests.
"""

from __future__ import annotations

import argparse
import difflib
import sys
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))  # the harness lives in tests/validity

from validity import python_suites as ps  # noqa: E402
from validity.python_interface import interface_changes  # noqa: E402

from metacompress_core.transforms.base import Variant  # noqa: E402
from metacompress_core.transforms.registry import transforms_for  # noqa: E402

FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "python_stdlib"
COMPOSE = "compose"  # several transforms drawn at random per function, applied in turn


@dataclass
class Cell:
    """One module x transform: functions changed (summed over seeds) and suite runs."""

    changed: int = 0
    exercised: int = 0  # changed functions that the suite calls
    functions: int = 0
    interface: int = 0  # changes callers could see (python_interface), which suites may not test
    passed: int = 0
    run: int = 0

    def add(self, other: Cell) -> None:
        self.changed += other.changed
        self.exercised += other.exercised
        self.functions += other.functions
        self.interface += other.interface
        self.passed += other.passed
        self.run += other.run

    def shown(self) -> str:
        verdict = (
            "-" if not self.run else "ok" if self.passed == self.run else f"FAIL {self.passed}/{self.run}"
        )
        return f"{self.changed} {verdict}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--module", action="append", help="only this module (repeatable)")
    parser.add_argument(
        "--transform", action="append", help=f"only this transform, or {COMPOSE} (repeatable)"
    )
    parser.add_argument("--seeds", type=int, default=1, help="seeds per transform (default 1)")
    parser.add_argument("--compose-seeds", type=int, default=2, help=f"seeds for {COMPOSE} (default 2)")
    parser.add_argument("--per-function", type=int, default=3, help=f"transforms per function in {COMPOSE}")
    parser.add_argument("--bisect", action="store_true", help="find the functions that break failing suites")
    args = parser.parse_args(argv)

    if not ps.has_test_support():
        print("this Python has no stdlib test package (test.support): nothing to run", file=sys.stderr)
        return 2
    suites = [s for s in ps.discover(FIXTURES) if not args.module or s.module in args.module]
    transforms = transforms_for("python")
    by_name = {t.name: t for t in transforms}
    names = [n for n in [*sorted(by_name), COMPOSE] if not args.transform or n in args.transform]
    label = {n: n for n in names} | {COMPOSE: f"{COMPOSE}-{args.per_function}"}

    cells: dict[tuple[str, str], Cell] = {}
    counts: dict[str, str] = {}  # module -> "name (functions the suite calls / functions)"
    failures: list[tuple[ps.ModuleSuite, str, int, tuple[Variant, ...], ps.SuiteResult]] = []
    started = time.perf_counter()
    for suite in suites:
        base = ps.run_suite(suite, record_calls=True)
        if not base.passed:
            print(
                f"{suite.module}: the untransformed suite fails ({base.summary()}); skipped", file=sys.stderr
            )
            continue
        n, run_by_tests = ps.function_count(suite), ps.exercised(suite, base)
        counts[suite.module] = f"{suite.module} ({len(run_by_tests)}/{n})"
        for name in names:
            cell = cells[suite.module, name] = Cell()
            for seed in range(args.compose_seeds if name == COMPOSE else args.seeds):
                if name == COMPOSE:
                    source, variants = ps.compose_module(suite, transforms, args.per_function, seed)
                else:
                    source, variants = ps.transform_module(suite, by_name[name], seed)
                cell.changed += len(variants)
                cell.exercised += sum(v.unit.id in run_by_tests for v in variants)
                cell.functions += n
                if not variants:
                    continue
                problems = interface_changes(suite.source(), source, f"{suite.module}.py")
                cell.interface += len(problems)
                for problem in problems:
                    print(
                        f"INTERFACE {suite.module} x {label[name]} (seed {seed}): {problem}", file=sys.stderr
                    )
                result = ps.run_suite(suite, source)
                cell.run += 1
                if result.same_as(base):
                    cell.passed += 1
                else:
                    failures.append((suite, name, seed, variants, result))
                    print(
                        f"FAILED {suite.module} x {label[name]} (seed {seed}): {result.summary()}",
                        file=sys.stderr,
                    )

    modules = [s.module for s in suites if (s.module, names[0]) in cells] if names else []
    print(
        f"\nPython transforms x CPython 3.11.7 test suites: {len(modules)} modules, {args.seeds} seed(s) per "
        f"transform, {args.compose_seeds} for {label.get(COMPOSE, COMPOSE)}; "
        f"{time.perf_counter() - started:.0f} s\n"
    )
    print(
        "Columns: each module with (functions its suite calls / functions). Cells: functions changed (summed "
        "over seeds), then ok (suite passed), FAIL passed/run, or - (nothing changed, suite not run).\n"
    )
    print(
        "| transform | "
        + " | ".join(counts[m] for m in modules)
        + " | changed | changed, run by tests | interface changes | suites passed | rate |"
    )
    print("|---" * (len(modules) + 6) + "|")
    grand = Cell()
    for name in names:
        total = Cell()
        for m in modules:
            total.add(cells[m, name])
        grand.add(total)
        row = [label[name], *(cells[m, name].shown() for m in modules)]
        row += [
            f"{total.changed}/{total.functions}",
            str(total.exercised),
            str(total.interface),
            f"{total.passed}/{total.run}",
            _rate(total.passed, total.run),
        ]
        print("| " + " | ".join(row) + " |")
    blank = " | " * len(modules)
    print(
        f"| all |{blank}{grand.changed}/{grand.functions} | {grand.exercised} | {grand.interface} | {grand.passed}/{grand.run} | "
        f"{_rate(grand.passed, grand.run)} |"
    )

    if args.bisect:
        for suite, name, seed, variants, result in failures:
            bisect(suite, label[name], seed, variants, result)
    return 1 if failures or grand.interface else 0


def bisect(
    suite: ps.ModuleSuite, name: str, seed: int, variants: tuple[Variant, ...], result: ps.SuiteResult
) -> None:
    """Run the suite with each changed function alone; print the ones that break it."""
    print(f"\n## {suite.module} x {name} (seed {seed}): {result.summary()}")
    source, base = suite.source(), ps.run_suite(suite)
    culprits = 0
    for v in variants:
        alone = ps.run_suite(suite, ps.splice_variants(source, [v]))
        if alone.same_as(base):
            continue
        culprits += 1
        print(f"\n### {v.unit.qualname}: {v.description}\n{alone.summary()}\n")
        print(_diff(v))
        print(_failing_tests(alone.output))
    if not culprits:
        print("no single function breaks the suite alone: the failure needs several variants together")


def _diff(v: Variant) -> str:
    """The variant's diff (each side ends with a newline, so the last lines do not run together)."""
    name = f"{v.unit.path}:{v.unit.qualname}"
    return "".join(
        difflib.unified_diff(
            (v.unit.source + "\n").splitlines(keepends=True),
            (v.source + "\n").splitlines(keepends=True),
            fromfile=f"{name} (original)",
            tofile=f"{name} ({', '.join(v.transforms)})",
        )
    )


def _failing_tests(output: str) -> str:
    """The FAIL/ERROR sections of a unittest report (shortened)."""
    start = min((i for i in (output.find("\n======"), output.find("======")) if i >= 0), default=-1)
    return output[start : start + 3000] if start >= 0 else output[-3000:]


def _rate(passed: int, run: int) -> str:
    return f"{100 * passed / run:.1f}%" if run else "n/a"


if __name__ == "__main__":
    sys.exit(main())
