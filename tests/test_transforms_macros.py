"""C transforms respect the preprocessor: macros from the unit's file and its project headers.

A program whose macros read locals by name, bring their own `;` or braces, jump, declare names, or expand to
more than one operand is transformed by every C transform (every function, several seeds, and chains of
three), built with gcc against its own header and run: it must print what the original prints. The two
patterns of issue 16 are checked one by one, and where a macro cannot be resolved the transforms decline
and count it.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from metacompress_core.code import extract_units
from metacompress_core.code.languages import language_by_name
from metacompress_core.code.macros import ENV_VARIABLE, env_for_file
from metacompress_core.transforms.analysis.macro_uses import (
    STATEMENT_MACRO_BRANCH,
    UNRESOLVED_BRANCH,
    UNRESOLVED_IN_SCOPE,
)
from metacompress_core.transforms.base import (
    Splice,
    TransformStats,
    compose,
    original,
    seeded_rng,
    splice,
    transform_variant,
)
from metacompress_core.transforms.registry import get_transform, transforms_for
from metacompress_core.transforms.whole_file import transform_file

needs_gcc = pytest.mark.skipif(shutil.which("gcc") is None, reason="gcc is needed")

ISSUE_HEADER = """\
#define M(x) f(x);
#define use() if (cond) f(1);
"""
ISSUE_PROGRAM = """\
#include <stdio.h>
#include "issue.h"
static int calls;
static void f(int x) { calls += x; printf("f(%d)\\n", x); }

void g(int c) {
  if (c) f(1); else M(2);
}

void h(int a) {
  int cond = a > 0;
  use();
}

int main(void) {
  g(0); g(1); h(1); h(-1);
  printf("%d\\n", calls);
  return 0;
}
"""

HEADER = """\
#ifndef MACROS_H
#define MACROS_H
#include <stdio.h>
#define M(x) f(x);
#define use() if (cond) f(1);
#define SUM a + b
#define PUSH(v) (stack[top++] = (v))
#define skip_if(c) if (c) continue
#define stop_if(c) if (c) break
#define twice(x) do { f(x); f(x); } while (0)
#define DECL_BUF(n) int buf[n]
#define report(x) printf("%s = %d\\n", #x, (x))
#define total_of(x) (x + acc)
#define GLUE(a, b) a##b
#endif
"""
PROGRAM = """\
#include "macros.h"
static int calls;
static void f(int x) { calls += x; }

static int g(int c) {
    if (c) f(1); else M(2);
    if (c > 1) twice(3); else M(4);
    return calls;
}

static int h(int a) {
    int cond = a > 0;
    int other = a * 2;
    use();
    return other + cond;
}

static int sums(int a, int b) {
    int r = SUM * 2;
    int s = 3 * SUM;
    int t = 0;
    t += SUM;
    if (SUM) t = t + 1;
    return r + s + t;
}

static int pushes(int n) {
    int stack[16];
    int top = 0;
    int i;
    for (i = 0; i < n && i < 16; i++) {
        PUSH(i * i);
    }
    return top + stack[top - 1];
}

static int loops(int n) {
    int acc = 0;
    int i;
    for (i = 0; i < n; i++) {
        skip_if(i % 3 == 0);
        acc += i;
    }
    i = 0;
    do {
        i++;
        skip_if(i == 2);
        acc += total_of(i);
    } while (i < n);
    while (1) {
        stop_if(acc > 10);
        acc++;
    }
    return acc;
}

static int switches(int k) {
    int acc = 1;
    int i;
    for (i = 0; i < 3; i++) {
        switch (k) {
        case 1:
            stop_if(i == 1);
            acc += 2;
            break;
        case 2:
            acc *= 3;
            break;
        default:
            acc -= 1;
            break;
        }
    }
    return acc;
}

static int declares(int n) {
    DECL_BUF(4);
    int GLUE(my, value) = n;
    buf[0] = n;
    buf[1] = myvalue;
    twice(n);
    report(n + 1);
    return buf[0] + buf[1];
}

int main(void) {
    printf("%d %d\\n", g(0), g(2));
    printf("%d %d\\n", h(1), h(-1));
    printf("%d\\n", sums(2, 3));
    printf("%d\\n", pushes(5));
    printf("%d %d\\n", loops(7), loops(2));
    printf("%d %d %d\\n", switches(1), switches(2), switches(3));
    printf("%d\\n", declares(5));
    printf("%d\\n", calls);
    return 0;
}
"""
SEEDS = range(3)


def _write(folder: Path, name: str, program: str, header_name: str, header: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / header_name).write_text(header)
    path = folder / name
    path.write_text(program)
    return path


def _run(path: Path, sources: dict[str, str], include: list[Path] | None = None) -> dict[str, str]:
    """Build each source beside `path` (so its own #includes resolve) and run it: output, or the error."""
    out = {}
    flags = ["-std=gnu11", "-O0", "-Werror=implicit-function-declaration"]
    flags += [f"-I{d}" for d in include or []]
    for key, text in sources.items():
        src = path.parent / f"variant_{len(out)}.c"
        exe = path.parent / f"variant_{len(out)}"
        src.write_text(text)
        built = subprocess.run(["gcc", *flags, "-o", str(exe), str(src)], capture_output=True, text=True)
        if built.returncode != 0:
            out[key] = "BUILD FAILED\n" + built.stderr
            continue
        ran = subprocess.run([str(exe)], capture_output=True, text=True, timeout=10)
        out[key] = f"{ran.stdout}[exit {ran.returncode}]"
    return out


def _variants(path: Path) -> dict[str, str]:
    """Every C transform on every function (seeds 0-3), and chains of three, as whole programs."""
    source = path.read_text()
    c = language_by_name("c")
    out: dict[str, str] = {}
    for t in transforms_for("c"):
        for seed in SEEDS:
            result = transform_file(source, c, t, seed, path=str(path))
            if result.variants:
                out[f"{t.name} seed {seed}: " + "; ".join(v.description for v in result.variants)] = (
                    result.source
                )
    usable = transforms_for("c")
    for seed in range(8):
        changed = []
        for unit in extract_units(source, "c", str(path)):
            rng = seeded_rng(seed, unit.key, "compose-3")
            variant = compose(unit, rng.sample(usable, 3), rng)
            if variant.steps:
                changed.append(variant)
        new = splice(source.encode(), [Splice(v.unit.start_byte, v.unit.end_byte, v.source) for v in changed])
        out[f"compose-3 seed {seed}: " + " | ".join(v.description for v in changed)] = new.decode()
    return out


def _unit(path: Path, name: str):
    return next(u for u in extract_units(path.read_text(), "c", str(path)) if u.name == name)


def _all_variants(unit, transform: str, seeds=range(10)) -> tuple[set[str], TransformStats]:
    stats = TransformStats()
    t = get_transform(transform)
    out = set()
    for seed in seeds:
        v = transform_variant(original(unit), t, seeded_rng(seed, unit.key, t.name), stats)
        if v is not None:
            out.add(v.source)
    return out, stats


def test_issue_swap_if_else_keeps_a_statement_macro_out_of_the_then_branch(tmp_path: Path) -> None:
    path = _write(tmp_path, "issue.c", ISSUE_PROGRAM, "issue.h", ISSUE_HEADER)
    variants, stats = _all_variants(_unit(path, "g"), "swap-if-else")
    assert variants == set()
    assert stats.declined[("swap-if-else", STATEMENT_MACRO_BRANCH)] > 0


def test_issue_a_local_a_macro_reads_is_neither_renamed_nor_moved_out_of_scope(tmp_path: Path) -> None:
    path = _write(tmp_path, "issue.c", ISSUE_PROGRAM, "issue.h", ISSUE_HEADER)
    unit = _unit(path, "h")
    renamed, _ = _all_variants(unit, "rename-variable")
    assert all("int cond = a > 0;" in v for v in renamed)
    wrapped, _ = _all_variants(unit, "wrap-block")
    assert wrapped, "wrap-block may still wrap both statements together"
    for v in wrapped:
        assert v.index("use();") < v.index("}", v.index("int cond")), v  # use() stays in cond's block


def test_a_name_pasted_together_in_a_declarator_is_not_wrapped_away_from_its_uses(tmp_path: Path) -> None:
    path = _write(tmp_path, "prog.c", PROGRAM, "macros.h", HEADER)
    wrapped, _ = _all_variants(_unit(path, "declares"), "wrap-block", seeds=range(40))
    assert wrapped, "runs after the pasted declaration may still be wrapped"
    for v in wrapped:
        between = v[v.index("int GLUE(my, value)") : v.index("buf[1] = myvalue;")]
        assert between.count("}") <= between.count("{"), v  # no block closes over myvalue's declaration


def test_a_file_gets_the_same_variants_wherever_it_lies(tmp_path: Path) -> None:
    c = language_by_name("c")
    here = _write(tmp_path / "a", "prog.c", PROGRAM, "macros.h", HEADER)
    there = _write(tmp_path / "elsewhere" / "b", "prog.c", PROGRAM, "macros.h", HEADER)
    for t in transforms_for("c"):
        first = transform_file(PROGRAM, c, t, 3, path=str(here)).source
        assert first == transform_file(PROGRAM, c, t, 3, path=str(there)).source, t.name


@needs_gcc
def test_issue_program_keeps_its_output_under_every_transform(tmp_path: Path) -> None:
    path = _write(tmp_path, "issue.c", ISSUE_PROGRAM, "issue.h", ISSUE_HEADER)
    _assert_same_output(path)


@needs_gcc
def test_macro_heavy_program_keeps_its_output_under_every_transform(tmp_path: Path) -> None:
    path = _write(tmp_path, "prog.c", PROGRAM, "macros.h", HEADER)
    _assert_same_output(path, min_variants=40)


def _assert_same_output(path: Path, min_variants: int = 1, include: list[Path] | None = None) -> None:
    variants = _variants(path)
    assert len(variants) >= min_variants
    results = _run(path, {"original": path.read_text(), **variants}, include)
    expected = results.pop("original")
    assert "BUILD FAILED" not in expected, expected
    broken = {k: v for k, v in results.items() if v != expected}
    assert not broken, "\n\n".join(f"{k}\n{v[:600]}" for k, v in list(broken.items())[:5])


def test_headers_are_found_through_include_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    include = tmp_path / "include"
    include.mkdir()
    (include / "project.h").write_text("#define use() if (cond) f(1);\n")
    src = tmp_path / "src" / "h.c"
    src.parent.mkdir()
    src.write_text(
        '#include "project.h"\n#include <stdio.h>\nvoid f(int x) { printf("%d", x); }\n'
        "void h(int a) {\n  int cond = a > 0;\n  use();\n}\n"
    )
    assert "use" not in env_for_file(src, ()).macros
    assert "project.h" in env_for_file(src, ()).missing
    assert "use" in env_for_file(src, (str(include),)).macros
    monkeypatch.setenv(ENV_VARIABLE, str(include))
    assert "use" in env_for_file(src).macros
    renamed, _ = _all_variants(_unit(src, "h"), "rename-variable")
    assert all("int cond = a > 0;" in v for v in renamed)


def test_unresolved_macros_make_transforms_decline_and_count() -> None:
    # No file: CHECK and EMIT are no visible #define, and look like macros: they may read `ret` by name,
    # or bring their own `;`.
    source = (
        "int f(int a) {\n    int ret = a * 2;\n    int other = 1;\n    CHECK(a);\n"
        "    if (a) other = 2; else EMIT(a);\n    return ret + other;\n}\n"
    )
    unit = extract_units(source, "c", "<memory>/f.c")[0]
    renamed, stats = _all_variants(unit, "rename-variable")
    assert all("int ret = a * 2;" in v for v in renamed)
    assert stats.declined[("rename-variable", UNRESOLVED_IN_SCOPE)] > 0
    swapped, stats = _all_variants(unit, "swap-if-else")
    assert swapped == set()
    assert stats.declined[("swap-if-else", UNRESOLVED_BRANCH)] > 0
    merged = TransformStats()
    merged.merge(stats)
    assert merged.declined == stats.declined


def test_fresh_names_avoid_macro_names_and_the_names_macros_read(tmp_path: Path) -> None:
    header = "#define value 3\n#define count_it() (count++)\n"
    program = '#include "n.h"\nint count;\nint f(int a) {\n    int x = a;\n    count_it();\n    return x + value;\n}\n'
    path = _write(tmp_path, "n.c", program, "n.h", header)
    unit = _unit(path, "f")
    for name in ("rename-variable", "rename-parameter", "insert-unused-variable", "insert-dead-code"):
        for v in _all_variants(unit, name, range(20))[0]:
            assert " count " not in v.replace(";", " ").replace("=", " ") or "count_it" in v
            assert v.count("value") == 1, v


MASKED_HEADER = """\
#include <stdio.h>
#define av_cold __attribute__((cold))
#define FOREACH(var, arr, n) for ((var) = (arr); (var) < (arr) + (n); (var)++)
#define QUIET
#define NEXT_OR_STOP(p) if (*(p) < 0) break
"""
# Functions tree-sitter cannot parse as written (an attribute macro, a loop macro, a bare statement macro):
# they are units all the same, parsed with the macro use masked, and every transform keeps them working.
MASKED_PROGRAM = """\
#include "masked.h"

static av_cold int init(int *values, int n)
{
    int *p;
    int total = 0;
    int count = 0;
    FOREACH(p, values, n) {
        NEXT_OR_STOP(p);
        total += *p;
        count++;
        if (count > 3)
            break;
    }
    QUIET
    total = total * 2;
    return total + count;
}

int main(void)
{
    int values[] = {1, 2, 3, 4, 5, -1, 7};
    printf("%d %d\\n", init(values, 7), init(values + 4, 3));
    return 0;
}
"""


def test_functions_with_macros_tree_sitter_cannot_parse_are_units(tmp_path: Path) -> None:
    path = _write(tmp_path, "masked.c", MASKED_PROGRAM, "masked.h", MASKED_HEADER)
    unit = _unit(path, "init")
    code = unit.parse()
    assert not code.has_errors()
    assert [code.src[m.start : m.end].decode() for m in code.masked] == [
        "av_cold",
        "FOREACH(p, values, n)",
        "QUIET",
    ]
    loops, stats = _all_variants(unit, "while-to-for")
    assert loops == set()  # the masked loop head is never rewritten
    renamed, _ = _all_variants(unit, "rename-variable", range(20))
    assert renamed and all("FOREACH(p, values, n)" in v for v in renamed)  # p is named by the macro use


@needs_gcc
def test_functions_read_with_masked_macros_keep_their_output(tmp_path: Path) -> None:
    path = _write(tmp_path, "masked.c", MASKED_PROGRAM, "masked.h", MASKED_HEADER)
    _assert_same_output(path, min_variants=20)
