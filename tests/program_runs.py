"""Run original and transformed functions for real and compare what they do.

Java: every version of a static method goes into its own class with a driver; one javac and one java run
cover a whole batch. C: every version is compiled under its own name (a #define renames the function,
recursive calls included) into one program with UndefinedBehaviorSanitizer on, so that no test passes by
relying on undefined behaviour. Python: each version is exec'd into a fresh namespace and called on copies
of the same arguments; results, exceptions and mutated arguments are compared.
"""

from __future__ import annotations

import copy
import random
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from metacompress_core.code.parsing import parse
from metacompress_core.transforms.base import Transform, apply_at

HAVE_JAVA = shutil.which("javac") is not None and shutil.which("java") is not None
HAVE_GCC = shutil.which("gcc") is not None


def variants(source: str, language: str, transform: Transform, seeds=range(3)) -> list[tuple[str, str]]:
    """(detail, source) of every distinct variant the transform makes, at every site, for a few seeds."""
    code = parse(source, language, unit=True)
    out: dict[str, str] = {}
    for index in range(len(transform.sites(code))):
        for seed in seeds:
            fresh = parse(source, language, unit=True)  # sites hold nodes of one parse
            site = transform.sites(fresh)[index]
            result = apply_at(fresh, transform, site, random.Random(seed))
            assert result is not None, (
                f"{transform.name} offered a site it cannot rewrite: {site.node.text!r}"
            )
            new_code, rewrite = result
            out.setdefault(new_code.text, rewrite.detail)
    return [(detail, text) for text, detail in out.items()]


def site_texts(source: str, language: str, transform: Transform) -> list[str]:
    code = parse(source, language, unit=True)
    return [code.node_text(s.node) for s in transform.sites(code)]


@dataclass(frozen=True)
class Program:
    """One function (the unit's source) and how to exercise it."""

    source: str
    calls: tuple[str, ...]  # Java/C expressions whose values are printed; Python: argument tuples
    name: str = "f"


# ---------------------------------------------------------------- Java


def run_java(programs: dict[str, Program], workdir: Path) -> dict[str, str]:
    """Output of each program's calls, by key; compile errors raise with the offending sources."""
    parts = []
    for key, prog in programs.items():
        body = "".join(
            f"try {{ out.append(String.valueOf({c})); }} catch (Throwable e) {{ out.append(e.getClass().getName()); }}"
            f' out.append(";");\n'
            for c in prog.calls
        )
        parts.append(
            f"class {key} {{\n{prog.source}\nstatic void drive(StringBuilder out) {{\n{body}}}\n}}\n"
        )
    mains = "".join(
        f'{{ StringBuilder out = new StringBuilder(); {k}.drive(out); System.out.println("{k}\\t" + out.toString().replace("\\n", "\\\\n")); }}\n'
        for k in programs
    )
    parts.append(f"public class Main {{ public static void main(String[] args) {{\n{mains}}} }}\n")
    src = workdir / "Main.java"
    src.write_text("".join(parts), encoding="utf-8")
    compiled = subprocess.run(
        ["javac", "-nowarn", "-encoding", "UTF-8", "-d", str(workdir), str(src)],
        capture_output=True,
        text=True,
    )
    if compiled.returncode != 0:
        raise AssertionError(f"javac failed:\n{compiled.stderr[-6000:]}")
    ran = subprocess.run(["java", "-cp", str(workdir), "Main"], capture_output=True, text=True, timeout=120)
    assert ran.returncode == 0, ran.stderr[-3000:]
    return dict(line.split("\t", 1) for line in ran.stdout.splitlines())


# ---------------------------------------------------------------- C


def run_c(programs: dict[str, Program], workdir: Path, prelude: str = "") -> dict[str, str]:
    parts = ["#include <stdio.h>\n#include <string.h>\n#include <stdlib.h>\n", prelude]
    for key, prog in programs.items():
        calls = "".join(f'  printf("%lld;", (long long)({c}));\n' for c in prog.calls)
        parts.append(
            f"#define {prog.name} {prog.name}__{key}\n{prog.source}\n"
            f'static void drive_{key}(void) {{\n  printf("{key}\\t");\n{calls}  printf("\\n");\n}}\n'
            f"#undef {prog.name}\n"
        )
    parts.append("int main(void) {\n" + "".join(f"  drive_{k}();\n" for k in programs) + "  return 0;\n}\n")
    src = workdir / "prog.c"
    src.write_text("".join(parts), encoding="utf-8")
    exe = workdir / "prog"
    compiled = subprocess.run(
        [
            "gcc",
            "-std=gnu17",
            "-O0",
            "-w",
            "-fsanitize=undefined",
            "-fno-sanitize-recover=all",
            "-o",
            str(exe),
            str(src),
        ],
        capture_output=True,
        text=True,
    )
    if compiled.returncode != 0:
        raise AssertionError(f"gcc failed:\n{compiled.stderr[-6000:]}")
    ran = subprocess.run([str(exe)], capture_output=True, text=True, timeout=60)
    assert ran.returncode == 0, f"program failed (undefined behaviour?):\n{ran.stderr[-3000:]}"
    return dict(line.split("\t", 1) for line in ran.stdout.splitlines())


def c_syntax_ok(source: str, prelude: str = "") -> str:
    """gcc -fsyntax-only's complaints about a function (empty when it compiles)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "unit.c"
        path.write_text(f"#include <stdio.h>\n#include <string.h>\n{prelude}\n{source}\n", encoding="utf-8")
        res = subprocess.run(
            ["gcc", "-std=gnu17", "-fsyntax-only", "-w", str(path)], capture_output=True, text=True
        )
        return res.stderr


# ---------------------------------------------------------------- Python


def run_python(source: str, name: str, calls: tuple[tuple, ...]) -> list[str]:
    """For each argument tuple: repr of the result (or the exception type) and of the arguments after."""
    namespace: dict = {}
    # An indented method is run as it is parsed: inside `if True:` (dedenting would break multi-line strings).
    exec(compile("if True:\n" + source if source[:1] in " \t" else source, "<unit>", "exec"), namespace)
    func = namespace[name]
    out = []
    for args in calls:
        args = copy.deepcopy(args)
        try:
            result = repr(func(*args))
        except Exception as e:  # noqa: BLE001 - the exception type is the behaviour being compared
            result = f"raised {type(e).__name__}"
        out.append(f"{result} | {args!r}")
    return out


# ---------------------------------------------------------------- comparing


def compare_java(cases: list[Program], transforms: list[Transform], tmp_path: Path) -> int:
    """Every variant of every case (by every transform) behaves like its original. Returns the count."""
    programs, expected = {}, {}
    for i, case in enumerate(cases):
        programs[f"O{i}"] = case
        for t in transforms:
            for j, (_, text) in enumerate(variants(case.source, "java", t)):
                key = f"V{i}_{t.name.replace('-', '_')}_{j}"
                programs[key] = Program(text, case.calls, case.name)
                expected[key] = (f"O{i}", text)
    outputs = run_java(programs, tmp_path)
    for key, (orig, text) in expected.items():
        assert outputs[key] == outputs[orig], f"{key} differs:\n{text}\n{outputs[key]}\nvs\n{outputs[orig]}"
    return len(expected)


def compare_c(cases: list[Program], transforms: list[Transform], tmp_path: Path, prelude: str = "") -> int:
    programs, expected = {}, {}
    for i, case in enumerate(cases):
        programs[f"O{i}"] = case
        for t in transforms:
            for j, (_, text) in enumerate(variants(case.source, "c", t)):
                key = f"V{i}_{t.name.replace('-', '_')}_{j}"
                programs[key] = Program(text, case.calls, case.name)
                expected[key] = (f"O{i}", text)
    outputs = run_c(programs, tmp_path, prelude)
    for key, (orig, text) in expected.items():
        assert outputs[key] == outputs[orig], f"{key} differs:\n{text}\n{outputs[key]}\nvs\n{outputs[orig]}"
    return len(expected)


def compare_python(cases: list[Program], transforms: list[Transform]) -> int:
    count = 0
    for case in cases:
        want = run_python(case.source, case.name, case.calls)
        for t in transforms:
            for detail, text in variants(case.source, "python", t):
                assert run_python(text, case.name, case.calls) == want, (
                    f"{t.name} ({detail}) changed:\n{text}"
                )
                count += 1
    return count
