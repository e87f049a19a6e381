"""How often Python transforms keep real test suites passing: module x transform -> functions changed, suites passed.

Every function of each CPython module under tests/fixtures/python_stdlib is transformed (one transform at
a time, and three random ones composed per function), and the module's own unittest suite runs against the
transformed copy. A suite "passes" when it runs exactly the tests the untransformed module ran, all green.

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
from collections import defaultdict
from pathlib import Path

from metacompress_core.transforms import python_suites as ps
from metacompress_core.transforms.base import Variant
from metacompress_core.transforms.registry import transforms_for

FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "python_stdlib"
COMPOSE = "compose-3"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--module", action="append", help="only this module (repeatable)")
    parser.add_argument(
        "--transform", action="append", help=f"only this transform, or {COMPOSE} (repeatable)"
    )
    parser.add_argument("--seeds", type=int, default=1, help="seeds per transform (default 1)")
    parser.add_argument("--compose-seeds", type=int, default=2, help=f"seeds for {COMPOSE} (default 2)")
    parser.add_argument("--bisect", action="store_true", help="find the functions that break failing suites")
    args = parser.parse_args(argv)

    if not ps.has_test_support():
        print("this Python has no stdlib test package (test.support): nothing to run", file=sys.stderr)
        return 2
    suites = [s for s in ps.discover(FIXTURES) if not args.module or s.module in args.module]
    transforms = transforms_for("python")
    names = [t.name for t in sorted(transforms, key=lambda t: t.name)] + [COMPOSE]
    if args.transform:
        names = [n for n in names if n in args.transform]
    by_name = {t.name: t for t in transforms}

    # (transform) -> [changed, functions, suites passed, suites run]; rows for the module x transform table
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    rows: list[tuple[str, str, str, str, str]] = []
    failures: list[tuple[ps.ModuleSuite, str, int, tuple[Variant, ...], ps.SuiteResult]] = []
    started = time.perf_counter()
    for suite in suites:
        base = ps.run_suite(suite)
        if not base.passed:
            print(
                f"{suite.module}: the untransformed suite fails ({base.summary()}); skipped", file=sys.stderr
            )
            continue
        n = ps.function_count(suite)
        for name in names:
            seeds = range(args.compose_seeds if name == COMPOSE else args.seeds)
            changed, passed, run = [], 0, 0
            for seed in seeds:
                if name == COMPOSE:
                    source, variants = ps.compose_module(suite, transforms, per_function=3, seed=seed)
                else:
                    source, variants = ps.transform_module(suite, by_name[name], seed=seed)
                changed.append(len(variants))
                if not variants:
                    continue
                result = ps.run_suite(suite, source)
                run += 1
                if result.same_as(base):
                    passed += 1
                else:
                    failures.append((suite, name, seed, variants, result))
                    print(
                        f"FAILED {suite.module} x {name} (seed {seed}): {result.summary()}", file=sys.stderr
                    )
            t = totals[name]
            t[0] += sum(changed)
            t[1] += n * len(seeds)
            t[2] += passed
            t[3] += run
            shown = "/".join(map(str, changed))
            rows.append((suite.module, name, f"{shown} of {n}", f"{passed}/{run}", _rate(passed, run)))

    print(
        f"\nPython transforms x CPython 3.11.7 test suites ({len(suites)} modules, seeds: "
        f"{args.seeds} per transform, {args.compose_seeds} for {COMPOSE}; {time.perf_counter() - started:.0f} s)\n"
    )
    print("| module | transform | functions changed | suites passed | rate |")
    print("|---|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    print("\n| transform | functions changed | suites passed | rate |")
    print("|---|---|---|---|")
    for name in names:
        changed, functions, passed, run = totals[name]
        print(f"| {name} | {changed}/{functions} | {passed}/{run} | {_rate(passed, run)} |")
    all_passed, all_run = sum(t[2] for t in totals.values()), sum(t[3] for t in totals.values())
    print(f"| all | | {all_passed}/{all_run} | {_rate(all_passed, all_run)} |")

    if args.bisect:
        for suite, name, seed, variants, result in failures:
            bisect(suite, name, seed, variants, result)
    return 1 if failures else 0


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
