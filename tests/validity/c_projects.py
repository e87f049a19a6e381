"""Proof by test suite for C: real C projects keep building and passing their own tests when transformed.

Each project under tests/fixtures/c_projects is a copy of a published C project (README there: where from,
which commit, licence) with its own build and its own tests. `ProjectRun` copies one into a scratch folder,
configures it once with its own build system, checks that the untouched copy passes, and then for each
variant of its sources (every function transformed by one transform, or by a composition) writes the
transformed files in place, rebuilds with the project's build and runs the project's tests, restoring the
originals afterwards. The transforms read the macros of the project's headers, as they would in the editor:
the files are transformed at their real paths inside the copy.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from metacompress_core.code.languages import language_by_name
from metacompress_core.code.units import extract_units
from metacompress_core.transforms.base import Transform, TransformStats
from metacompress_core.transforms.whole_file import compose_file, transform_file

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "c_projects"
C = language_by_name("c")


@dataclass(frozen=True)
class CProject:
    name: str
    sources: tuple[str, ...]  # the files whose functions are transformed
    tools: tuple[str, ...]  # programs the build needs
    configure: str  # run once, in the copy (bash)
    build_and_test: str  # the project's own build and tests (bash); exit 0 = pass

    def functions(self) -> int:
        return sum(len(extract_units((FIXTURES / self.name / f).read_text(), C, f)) for f in self.sources)


# cJSON builds with -Werror and -Wall: the variables `insert-unused-variable` and `insert-dead-code` add are
# unused by design, and gcc's warning about exactly that is the one its -Werror may not turn into an error.
UNUSED_BY_DESIGN = "-Wno-error=unused-variable -Wno-error=unused-but-set-variable"

PROJECTS = {
    p.name: p
    for p in (
        # A compression library: its Makefile builds the static and dynamic test runners and the CLI,
        # `make test` runs both suites (about 12,000 tests; the theft tests need libtheft and are off).
        CProject(
            "heatshrink",
            ("heatshrink_encoder.c", "heatshrink_decoder.c", "heatshrink.c"),
            ("gcc", "make"),
            "true",
            "make -s heatshrink test_runners && make -s test",
        ),
        # A JSON parser and printer: its CMake build with the unity test programs (ctest, 22 tests).
        CProject(
            "cjson",
            ("cJSON.c", "cJSON_Utils.c"),
            ("gcc", "cmake"),
            "cmake -S . -B build -DENABLE_CJSON_TEST=On -DENABLE_CJSON_UTILS=On -DCMAKE_BUILD_TYPE=Debug"
            f" '-DCMAKE_C_FLAGS={UNUSED_BY_DESIGN}' > build.log",
            "cmake --build build -j 2 && (cd build && ctest --output-on-failure)",
        ),
        # An INI parser: tests/unittest.sh builds it under 14 preprocessor configurations and writes each
        # run's output; the project's CI passes when those equal the committed baselines.
        CProject(
            "inih",
            ("ini.c",),
            ("gcc",),
            "cp -r tests expected",
            "cd tests && ./unittest.sh && cd .. && diff -r expected tests",
        ),
    )
}


@dataclass(frozen=True)
class Outcome:
    label: str
    functions_changed: int
    passed: bool
    log: str  # the tail of the build and test output when it failed


def missing_tools(project: CProject) -> list[str]:
    return [t for t in project.tools if shutil.which(t) is None]


class ProjectRun:
    """A scratch copy of one project, configured once; variants are built and tested in it in turn."""

    def __init__(self, project: CProject) -> None:
        self.project = project
        self._tmp = tempfile.TemporaryDirectory(prefix=f"mc-{project.name}-")
        self.root = Path(self._tmp.name) / project.name
        shutil.copytree(FIXTURES / project.name, self.root)
        self.originals = {f: (self.root / f).read_text(encoding="utf-8") for f in project.sources}
        done = self._bash(project.configure)
        if done.returncode != 0:
            raise RuntimeError(f"{project.name}: configure failed\n{_tail(done)}")

    def close(self) -> None:
        self._tmp.cleanup()

    def transformed(self, transform: Transform, seed: int, stats: TransformStats | None = None) -> dict:
        """Each source with `transform` applied once to every function where it applies."""
        return {
            f: transform_file(text, C, transform, seed=seed, path=str(self.root / f), stats=stats)
            for f, text in self.originals.items()
        }

    def composed(self, transforms: list[Transform], seed: int, per_function: int = 3) -> dict:
        """Each source with every function rewritten by `per_function` transforms drawn at random."""
        return {
            f: compose_file(text, C, transforms, per_function, seed, path=str(self.root / f))
            for f, text in self.originals.items()
        }

    def check(self, label: str, results: dict) -> Outcome:
        """Build and test with the transformed sources in place, then put the originals back."""
        changed = sum(len(r.variants) for r in results.values())
        try:
            for f, r in results.items():
                self._write(f, r.source)
            done = self._bash(self.project.build_and_test)
        finally:
            for f, text in self.originals.items():
                self._write(f, text)
        return Outcome(label, changed, done.returncode == 0, "" if done.returncode == 0 else _tail(done))

    def baseline(self) -> Outcome:
        return self.check("original", {})

    def _write(self, name: str, text: str) -> None:
        path = self.root / name
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")

    def _bash(self, command: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            ["bash", "-c", command], cwd=self.root, capture_output=True, text=True, errors="replace"
        )


def _tail(done: subprocess.CompletedProcess, lines: int = 40) -> str:
    return "\n".join((done.stdout + done.stderr).splitlines()[-lines:])
