"""C transforms keep a function's C dialect: C89 code stays C89 (found on cJSON, built -std=c89 -pedantic -Werror).

Two things broke it: `insert-comment` wrote `//` comments (C99), and rewrites that put a statement before a
declaration (`insert-dead-code`, `insert-unused-variable` after a statement, `split-declaration` followed by
more declarations) made blocks that C89 rejects. A function that already mixes declarations and statements
(C99) may still get them anywhere.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from metacompress_core.code.languages import language_by_name
from metacompress_core.code.parsing import parse
from metacompress_core.code.units import extract_units
from metacompress_core.transforms.analysis.c_dialect import DECLARATION_AFTER_STATEMENT, mixes_declarations
from metacompress_core.transforms.base import (
    Site,
    TransformStats,
    apply_at,
    original,
    seeded_rng,
    transform_variant,
)
from metacompress_core.transforms.registry import get_transform, transforms_for

C = language_by_name("c")
C89_FLAGS = [
    "-std=c89",
    "-pedantic",
    "-Wall",
    "-Werror",
    "-Wno-error=unused-variable",
    "-Wno-unused-but-set-variable",
]

C89_PROGRAM = """\
#include <stdio.h>

static int total(const int *values, int n, int limit)
{
    int i;
    int sum = 0;
    int skipped = 0;
    /* count the values under the limit */
    for (i = 0; i < n; i++) {
        int v = values[i];
        int doubled = v * 2;
        if (v > limit) {
            skipped++;
            continue;
        }
        sum += doubled / 2;
    }
    while (skipped > 0 && sum > 0) {
        sum = sum - 1;
        skipped--;
    }
    return sum;
}

int main(void)
{
    int values[5] = {3, 9, 4, 12, 1};
    int limit = 8;
    int result = total(values, 5, limit);
    printf("%d\\n", result);
    return result > 100;
}
"""


def _mixes(source: str) -> bool:
    return mixes_declarations(parse(source.encode(), C))


def test_declaration_after_statement_is_seen_through_conditional_compilation() -> None:
    assert not _mixes("void f(void) { int a; int b; a = 1; b = a; }")
    assert _mixes("void f(void) { int a; a = 1; int b = a; }")
    assert _mixes("void f(void) { if (1) { g(); int x; } }")
    assert not _mixes("void f(void) {\n  int a;\n#ifdef X\n  int b;\n#endif\n  a = 1;\n}\n")
    assert _mixes("void f(void) {\n  int a;\n#ifdef X\n  a = 2;\n#endif\n  int b;\n}\n")
    assert not _mixes("void f(void) { /* note */ int a; /* more */ a = 1; }")


@pytest.mark.skipif(shutil.which("gcc") is None, reason="needs gcc")
def test_every_c_transform_keeps_a_c89_program_c89_and_its_output(tmp_path: Path) -> None:
    expected = _build_and_run(tmp_path / "original.c", C89_PROGRAM)
    source = C89_PROGRAM.encode()
    failures, emitted = [], 0
    for transform in transforms_for("c"):
        for seed in range(4):
            new = source
            for unit in reversed(extract_units(C89_PROGRAM, C, "p.c")):
                variant = transform_variant(
                    original(unit), transform, seeded_rng(seed, unit.key, transform.name)
                )
                if variant is not None:
                    new = new[: unit.start_byte] + variant.source.encode() + new[unit.end_byte :]
                    emitted += 1
            if new == source:
                continue
            text = new.decode()
            out = _build_and_run(tmp_path / f"{transform.name}-{seed}.c", text)
            if out != expected:
                failures.append(f"{transform.name} seed {seed}: {out}\n{text}")
    assert emitted > 40
    assert not failures, "\n\n".join(failures)


def test_statements_still_go_anywhere_in_a_c99_function() -> None:
    c99 = "int f(int a) {\n    a = a + 1;\n    int b = a * 2;\n    b = b - 1;\n    int c = b;\n    return c;\n}\n"
    unit = extract_units(c99, C, "f.c")[0]
    dead = get_transform("insert-dead-code")
    placed = {
        v.source.index("(0)") < v.source.index("int b")
        for s in range(30)
        if (v := transform_variant(original(unit), dead, seeded_rng(s, unit.key, "d"))) is not None
    }
    assert placed == {True, False}


def test_a_rewrite_that_would_mix_a_c89_function_is_declined_and_counted() -> None:
    """The last line of defence (base.apply_at), for a site a transform offered without knowing the rule."""
    code = parse(b"int f(int a) {\n    int b = a;\n    b++;\n    return b;\n}\n", C, unit=True)
    last = next(n for n in code.walk() if n.type == "return_statement")
    stats = TransformStats()
    assert (
        apply_at(code, get_transform("insert-unused-variable"), Site(last), seeded_rng(0, "u", "i"), stats)
        is None
    )
    assert stats.declined[("insert-unused-variable", DECLARATION_AFTER_STATEMENT)] == 1


def test_a_c89_function_is_split_and_commented_in_c89() -> None:
    c89 = "int f(int a) {\n    int b = a;\n    int c = b + 1;\n    return c;\n}\n"
    unit = extract_units(c89, C, "f.c")[0]
    split = get_transform("split-declaration")
    variants = {
        v.source
        for s in range(20)
        if (v := transform_variant(original(unit), split, seeded_rng(s, unit.key, "s"))) is not None
    }
    # `int b; b = a; int c = ...` would be C99; only the last declaration of the run can be split.
    assert variants == {"int f(int a) {\n    int b = a;\n    int c;\n    c = b + 1;\n    return c;\n}"}
    comment = transform_variant(original(unit), get_transform("insert-comment"), seeded_rng(0, unit.id, "c"))
    assert comment is not None and "/* " in comment.source and "//" not in comment.source


def _build_and_run(path: Path, source: str) -> str:
    path.write_text(source)
    exe = path.with_suffix("")
    done = subprocess.run(["gcc", *C89_FLAGS, str(path), "-o", str(exe)], capture_output=True, text=True)
    if done.returncode != 0:
        return f"does not compile as C89:\n{done.stderr[-2000:]}"
    run = subprocess.run([str(exe)], capture_output=True, text=True, timeout=30)
    return f"{run.returncode} {run.stdout}"
