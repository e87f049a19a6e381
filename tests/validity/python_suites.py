"""Proof by test suite: run a Python module's own unittest suite against a transformed copy of the module.

A transform preserves behaviour only if every test the module's authors wrote still passes. For each
module `name.py` beside its `test_name.py` (e.g. the CPython stdlib copies under
tests/fixtures/python_stdlib), we transform every function, write the result into a fresh folder with the
test file, and run the suite there in a clean interpreter (`-S -P`: no site hooks, no current directory on
sys.path; PYTHONPATH puts the folder ahead of the stdlib, so children inherit it too). The run then checks
that the module and every function the tests imported from it really came from the transformed copy.
"""

from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from metacompress_core.code.languages import language_by_name
from metacompress_core.code.units import Unit, extract_units
from metacompress_core.transforms import whole_file
from metacompress_core.transforms.base import Transform, Variant
from metacompress_core.transforms.whole_file import compose_file, transform_file

PYTHON = language_by_name("python")


@dataclass(frozen=True)
class ModuleSuite:
    """A pure-Python module and its unittest file (plus data files the tests read), in one folder."""

    folder: Path
    module: str  # "textwrap"
    data: tuple[str, ...] = ()  # e.g. "test_difflib_expect.html"

    @property
    def tests(self) -> str:
        return f"test_{self.module}"

    def source(self) -> str:
        return (self.folder / f"{self.module}.py").read_text(encoding="utf-8")


@dataclass(frozen=True)
class SuiteResult:
    ran: int
    failures: int
    errors: int
    skipped: int
    expected_failures: int
    unexpected_successes: int
    successful: bool  # unittest's verdict
    foreign: tuple[str, ...]  # files the module (or its functions) came from other than the copy
    output: str  # the runner's report, for people
    timed_out: bool = False
    called: frozenset[tuple[str, int]] = frozenset()  # (co_name, co_firstlineno) run, when recorded

    @property
    def passed(self) -> bool:
        return self.successful and not self.foreign and not self.timed_out and self.ran > 0

    def same_as(self, baseline: SuiteResult) -> bool:
        """Passes, and ran (and skipped) exactly the tests the untransformed module did."""
        return self.passed and (self.ran, self.skipped, self.expected_failures) == (
            baseline.ran,
            baseline.skipped,
            baseline.expected_failures,
        )

    def summary(self) -> str:
        if self.timed_out:
            return "timed out"
        text = f"ran {self.ran}, failures {self.failures}, errors {self.errors}, skipped {self.skipped}"
        return text + (
            f"; module not from the transformed copy: {', '.join(self.foreign)}" if self.foreign else ""
        )


def has_test_support() -> bool:
    """Whether this Python ships the stdlib test package (`test.support`) that CPython's tests import."""
    probe = subprocess.run(
        [sys.executable, "-S", "-P", "-c", "import test.support"], capture_output=True, timeout=60
    )
    return probe.returncode == 0


def discover(folder: Path) -> list[ModuleSuite]:
    """Every `name.py` in `folder` with a `test_name.py` beside it; files `test_name*` that are not .py are data."""
    suites = []
    for test in sorted(folder.glob("test_*.py")):
        module = test.stem[len("test_") :]
        if (folder / f"{module}.py").is_file():
            data = tuple(
                sorted(p.name for p in folder.glob(f"test_{module}*") if p.suffix != ".py" and p.is_file())
            )
            suites.append(ModuleSuite(folder, module, data))
    return suites


def function_count(suite: ModuleSuite) -> int:
    return len(extract_units(suite.source(), PYTHON, f"{suite.module}.py"))


def transform_module(
    suite: ModuleSuite, transform: Transform, seed: int = 0
) -> tuple[str, tuple[Variant, ...]]:
    """The module with `transform` applied once to every function where it applies."""
    result = transform_file(suite.source(), PYTHON, transform, seed=seed, path=f"{suite.module}.py")
    return result.source, result.variants


def compose_module(
    suite: ModuleSuite, transforms: list[Transform], per_function: int = 3, seed: int = 0
) -> tuple[str, tuple[Variant, ...]]:
    """Every function rewritten by `per_function` transforms drawn at random for it, applied in turn."""
    result = compose_file(suite.source(), PYTHON, transforms, per_function, seed, path=f"{suite.module}.py")
    return result.source, result.variants


def splice_variants(source: str, variants: list[Variant] | tuple[Variant, ...]) -> str:
    """`source` with each variant's function text in place of the original function."""
    return whole_file.splice_variants(source, PYTHON, variants, "splicing", "<module>")


def run_suite(
    suite: ModuleSuite, module_source: str | None = None, timeout: float = 300, record_calls: bool = False
) -> SuiteResult:
    """Run the suite against `module_source` (default: the untransformed module) in a fresh interpreter.

    `record_calls` also notes which of the module's functions the tests call (slower: a profile hook).
    """
    with tempfile.TemporaryDirectory(prefix=f"suite-{suite.module}-") as tmp:
        folder = Path(tmp)
        (folder / f"{suite.module}.py").write_text(
            suite.source() if module_source is None else module_source, encoding="utf-8"
        )
        for name in (f"{suite.tests}.py", *suite.data):
            shutil.copyfile(suite.folder / name, folder / name)
        report = folder / "result.json"
        env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
        env.update(PYTHONPATH=str(folder), PYTHONDONTWRITEBYTECODE="1", PYTHONHASHSEED="0")
        cmd = [sys.executable, "-S", "-P", "-c", _DRIVER, suite.module, suite.tests, str(folder), str(report)]
        cmd += ["calls"] if record_calls else []
        try:
            proc = subprocess.run(cmd, cwd=folder, env=env, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            return SuiteResult(0, 0, 0, 0, 0, 0, False, (), "", timed_out=True)
        if not report.is_file():  # the interpreter died before the driver could report
            return SuiteResult(0, 0, 1, 0, 0, 0, False, (), (proc.stdout + proc.stderr)[-4000:])
        r = json.loads(report.read_text(encoding="utf-8"))
        return SuiteResult(
            r["ran"],
            r["failures"],
            r["errors"],
            r["skipped"],
            r["expected_failures"],
            r["unexpected_successes"],
            r["successful"],
            tuple(r["foreign"]),
            (r["output"] + proc.stdout + proc.stderr)[-4000:],
            called=frozenset((name, line) for name, line in r["called"]),
        )


def exercised(suite: ModuleSuite, baseline: SuiteResult) -> frozenset[str]:
    """Ids of the (untransformed) module's units that the suite called, from a `record_calls` run.

    A code object's first line is its first decorator's line; units start at `def`: `ast` maps one to the other.
    """
    source = suite.source()
    def_lines = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            first = min([d.lineno for d in node.decorator_list] + [node.lineno])
            if (node.name, first) in baseline.called:
                def_lines.add(node.lineno)
    units = extract_units(source, PYTHON, f"{suite.module}.py")
    return frozenset(u.id for u in units if _def_line(u) in def_lines)


def _def_line(unit: Unit) -> int:
    """1-based line of the unit's `def` (its source may start with the line's indentation)."""
    return unit.start[0] + 1


# Runs inside the child interpreter: load the test module, run it, and check where the code came from.
_DRIVER = r"""
import io, json, os, sys, traceback, types, unittest
module, tests, given, report = sys.argv[1:5]
folder = os.path.realpath(given)
stream = io.StringIO()
out = dict(ran=0, failures=0, errors=1, skipped=0, expected_failures=0, unexpected_successes=0,
           successful=False, foreign=[], output="", called=[])
called = set()
if sys.argv[5:] == ["calls"]:
    target = os.path.join(given, module + ".py")
    def profile(frame, event, arg):
        if event == "call" and frame.f_code.co_filename == target:
            called.add((frame.f_code.co_name, frame.f_code.co_firstlineno))
    sys.setprofile(profile)
try:
    test_module = __import__(tests)
    suite = unittest.defaultTestLoader.loadTestsFromModule(test_module)
    result = unittest.TextTestRunner(stream=stream, verbosity=1).run(suite)
    out.update(ran=result.testsRun, failures=len(result.failures), errors=len(result.errors),
               skipped=len(result.skipped), expected_failures=len(result.expectedFailures),
               unexpected_successes=len(result.unexpectedSuccesses), successful=result.wasSuccessful())
    # The module itself, every copy the tests hold (import_fresh_module makes more), and every function
    # they imported from it must come from the transformed file.
    held = [sys.modules.get(module)] + [v for v in vars(test_module).values()
                                        if isinstance(v, types.ModuleType) and v.__name__ == module]
    files = [getattr(m, "__file__", None) or "<no file>" for m in held]
    files += [v.__code__.co_filename for v in vars(test_module).values()
              if isinstance(v, types.FunctionType) and v.__module__ == module]
    out["foreign"] = sorted({f for f in files if os.path.dirname(os.path.realpath(f)) != folder})
except BaseException:
    stream.write(traceback.format_exc())
sys.setprofile(None)
out["called"] = sorted(called)
out["output"] = stream.getvalue()[-6000:]
with open(report, "w", encoding="utf-8") as f:
    json.dump(out, f)
"""
