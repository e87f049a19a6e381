"""Scope-aware renaming (rename-variable, rename-parameter): exact rules on tricky code, programs that are
compiled and run before and after every renaming (javac/java, gcc, exec), and property tests over randomly
generated Python functions and Java methods."""

from __future__ import annotations

import re
import shutil
import subprocess
import textwrap
from pathlib import Path

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from metacompress_core.code.parsing import Code, parse
from metacompress_core.code.units import extract_units
from metacompress_core.transforms.analysis.text import identifiers
from metacompress_core.transforms.base import Site, Splice, apply_at, seeded_rng, splice
from metacompress_core.transforms.families.rename import TRANSFORMS, RenameParameter, RenameVariable, rename
from metacompress_core.transforms.registry import TRANSFORMS as REGISTERED

VARIABLE, PARAMETER = RenameVariable(), RenameParameter()
needs_java = pytest.mark.skipif(
    not (shutil.which("javac") and shutil.which("java")), reason="needs javac and java"
)
needs_gcc = pytest.mark.skipif(not shutil.which("gcc"), reason="needs gcc")


# ---------------------------------------------------------------------------------------------- helpers


def unit(source: str, language: str) -> Code:
    code = parse(textwrap.dedent(source).strip("\n") + "\n", language, unit=True)
    assert not code.has_errors()
    return code


def site_names(code: Code, transform) -> list[str]:
    return [code.node_text(s.node) for s in transform.sites(code)]


def site_named(code: Code, transform, name: str, nth: int = 0) -> Site:
    return [s for s in transform.sites(code) if code.node_text(s.node) == name][nth]


def renamed(code: Code, transform, name: str, new: str, nth: int = 0) -> str | None:
    """The code with declaration `name` (the nth one) renamed to `new`, or None when refused."""
    rewrite = rename(code, site_named(code, transform, name, nth), new)
    return None if rewrite is None else splice(code.src, rewrite.splices).decode()


def all_variants(code: Code) -> list[tuple[str, str]]:
    """(detail, source) of every renaming of every site, each with its own seeded generator."""
    out = []
    for t in TRANSFORMS:
        for i, site in enumerate(t.sites(code)):
            result = apply_at(code, t, site, seeded_rng(0, t.name, str(i)))
            assert result is not None, f"{t.name} declined the site {code.node_text(site.node)}"
            new_code, rewrite = result
            out.append((rewrite.detail, new_code.text))
    return out


def file_variants(source: str, language: str) -> list[tuple[str, str]]:
    """Every renaming of every function of a whole file, each spliced back into the file."""
    src = source.encode()
    out = []
    for u in extract_units(source, language):
        for detail, text in all_variants(u.parse()):
            out.append(
                (f"{u.qualname}: {detail}", splice(src, [Splice(u.start_byte, u.end_byte, text)]).decode())
            )
    return out


def test_registered() -> None:
    assert REGISTERED["rename-variable"].languages == frozenset({"java", "c", "python"})
    assert REGISTERED["rename-parameter"].languages == frozenset({"java", "c", "python"})


# ---------------------------------------------------------------------------------------------- Python rules


def test_python_closure_renames_uses_in_nested_functions_and_lambdas() -> None:
    code = unit(
        """
        def f(items):
            total = 0
            def add(v):
                return total + v
            scale = lambda k: k * total
            return add(1) + scale(2)
        """,
        "python",
    )
    assert renamed(code, VARIABLE, "total", "acc") == textwrap.dedent(
        """\
        def f(items):
            acc = 0
            def add(v):
                return acc + v
            scale = lambda k: k * acc
            return add(1) + scale(2)
        """
    )


def test_python_nested_function_rebinding_is_its_own_variable() -> None:
    code = unit(
        """
        def f():
            x = 1
            def g():
                x = 2
                return x
            return x + g()
        """,
        "python",
    )
    outer = renamed(code, VARIABLE, "x", "count", nth=0)
    assert outer is not None and "x = 2\n        return x\n" in outer and "return count + g()" in outer
    inner = renamed(code, VARIABLE, "x", "count", nth=1)
    assert inner is not None and "count = 2\n        return count\n" in inner and "return x + g()" in inner


def test_python_class_body_attributes_are_never_renamed_but_method_closures_are() -> None:
    code = unit(
        """
        def f(n):
            size = n + 1
            class Box:
                size = 10
                width = size * 2
                def get(self):
                    return size
            return Box.size, Box.width, Box().get()
        """,
        "python",
    )
    assert site_names(code, VARIABLE) == ["size"]  # the function's local; Box.size is a class attribute
    out = renamed(code, VARIABLE, "size", "value")
    assert out is not None
    assert "value = n + 1" in out and "        size = 10\n        width = size * 2" in out
    assert "return value\n" in out and "Box.size" in out
    ns_a, ns_b = {}, {}
    exec(code.text, ns_a)
    exec(out, ns_b)
    assert ns_a["f"](3) == ns_b["f"](3) == (10, 20, 4)


def test_python_comprehension_variables_are_their_own_scope() -> None:
    code = unit(
        """
        def f(xs):
            x = 10
            ys = [x * 2 for x in xs if x]
            zs = [y for y in range(x)]
            return x, ys, zs
        """,
        "python",
    )
    outer = renamed(code, VARIABLE, "x", "item", nth=0)
    assert outer is not None
    assert "ys = [x * 2 for x in xs if x]" in outer and "range(item)" in outer and "return item, ys" in outer
    comp = renamed(code, VARIABLE, "x", "item", nth=1)
    assert comp is not None and "ys = [item * 2 for item in xs if item]" in comp and "return x, ys" in comp


def test_python_first_iterable_of_a_comprehension_belongs_to_the_function() -> None:
    code = unit(
        """
        def f(n):
            x = list(range(n))
            return [x for x in x]
        """,
        "python",
    )
    out = renamed(code, VARIABLE, "x", "data", nth=0)
    assert out is not None and "return [x for x in data]" in out


def test_python_walrus_in_comprehension_binds_in_the_function() -> None:
    code = unit(
        """
        def f(xs):
            last = None
            ys = [last := v for v in xs]
            return last, ys
        """,
        "python",
    )
    out = renamed(code, VARIABLE, "last", "prev")
    assert out is not None and "[prev := v for v in xs]" in out and "return prev, ys" in out


def test_python_fstring_interpolations_are_code_but_strings_and_attributes_are_not() -> None:
    code = unit(
        """
        def f(obj):
            name = obj.name
            width = 8
            return f"{name:>{width}} name={obj.name!r}" + "name" + str(obj.width)
        """,
        "python",
    )
    out = renamed(code, VARIABLE, "name", "label")
    assert out is not None
    assert 'f"{label:>{width}} name={obj.name!r}" + "name"' in out and "label = obj.name" in out
    out = renamed(code, VARIABLE, "width", "size")
    assert out is not None and "{name:>{size}}" in out and "str(obj.width)" in out


def test_python_self_documenting_fstring_keeps_the_name() -> None:
    code = unit(
        """
        def f(a):
            total = a + 1
            other = a * 2
            return f"{total=} {other}"
        """,
        "python",
    )
    assert site_names(code, VARIABLE) == ["other"]


def test_python_keyword_arguments_are_not_references() -> None:
    code = unit(
        """
        def f(a):
            key = a + 1
            return dict(key=key), sorted([3, 1], key=None)
        """,
        "python",
    )
    out = renamed(code, VARIABLE, "key", "entry")
    assert out is not None and "dict(key=entry), sorted([3, 1], key=None)" in out


@pytest.mark.parametrize(
    "line",
    ["print(locals())", "eval('x')", "exec('x = 2')", "print(vars())", "print(globals())", "print(dir())"],
)
def test_python_reflection_leaves_the_function_alone(line: str) -> None:
    code = unit(
        f"""
        def f(a, /, *rest):
            x = a + 1
            {line}
            return x
        """,
        "python",
    )
    assert VARIABLE.sites(code) == [] and PARAMETER.sites(code) == []


def test_python_a_local_named_like_a_reflection_builtin_is_just_a_local() -> None:
    code = unit(
        """
        def f(path):
            dir = path + "/"
            return [dir + name for name in ("a", "b")]
        """,
        "python",
    )
    assert site_names(code, VARIABLE) == ["dir", "name"]


@pytest.mark.parametrize(
    ("body", "kept"),
    [
        ("    def g():\n        nonlocal x\n        x = 2\n    g()\n", "x"),
        ("    del x\n    x = 3\n", "x"),
        ("    def g():\n        global x\n        return x\n", "x"),
        ("    import os as x\n", "x"),
        ("    match y:\n        case [x, *_]:\n            pass\n", "x"),
        ("    z: x = 3\n", "x"),
    ],
)
def test_python_names_touched_by_unsupported_constructs_are_not_offered(body: str, kept: str) -> None:
    code = parse(f"def f(a):\n    x = a\n    y = [a]\n{body}    return x, y\n", "python", unit=True)
    assert not code.has_errors()
    assert kept not in site_names(code, VARIABLE)
    assert "y" in site_names(code, VARIABLE)


def test_python_parameters_only_where_callers_cannot_name_them() -> None:
    code = unit(
        """
        def f(a, b=1, /, c=2, *args, d, **kwargs):
            g = lambda p, /, q: p + q
            return a + b + c + d + len(args) + len(kwargs) + g(1, q=2)
        """,
        "python",
    )
    assert site_names(code, PARAMETER) == ["a", "b", "args", "kwargs", "p"]
    out = renamed(code, PARAMETER, "b", "step")
    assert out is not None and out.startswith("def f(a, step=1, /, c=2") and "a + step + c" in out


def test_python_self_cls_and_decorated_parameters_are_kept() -> None:
    code = unit(
        """
        class K:
            def m(self, x, /):
                return x
            @classmethod
            def c(cls, y, /):
                return y
            @app.route("/x")
            def h(z, /):
                return z
        """,
        "python",
    )
    # Parsing the whole class as a "unit" is not what extract_units does, but the rules are the same.
    assert site_names(code, PARAMETER) == ["x", "y"]


def test_python_unit_method_indented() -> None:
    src = "class A:\n    def m(self, v, /):\n        w = v * 2\n        return w\n"
    (u,) = [u for u in extract_units(src, "python") if u.name == "m"]
    code = u.parse()
    assert site_names(code, VARIABLE) == ["w"] and site_names(code, PARAMETER) == ["v"]
    variants = all_variants(code)
    assert all(text.startswith("    def m(self, ") for _, text in variants)


# ---------------------------------------------------------------------------------------------- Java rules


def test_java_sibling_blocks_and_field_with_the_same_name() -> None:
    code = unit(
        """
        int f(int a) {
            int total = 0;
            {
                int x = a * 2;
                total += x;
            }
            {
                int x = a * 3;
                total -= x;
            }
            return total + x;
        }
        """,
        "java",
    )
    out = renamed(code, VARIABLE, "x", "value", nth=0)
    assert out is not None
    assert "int value = a * 2;\n        total += value;" in out
    assert "int x = a * 3;\n        total -= x;" in out
    assert "return total + x;" in out  # the field x, outside both blocks


def test_java_loops_catch_and_resources() -> None:
    code = unit(
        """
        String f(String[] names) throws Exception {
            String e = "";
            for (int i = 0, j = i; i < names.length; i++) { e += names[i] + j; }
            for (String n : names) { e += n; }
            try (java.io.Reader r = new java.io.StringReader(e)) {
                e += (char) r.read();
            } catch (java.io.IOException r) {
                e += r.getMessage();
            }
            return e;
        }
        """,
        "java",
    )
    assert site_names(code, VARIABLE) == ["e", "i", "j", "n", "r", "r"]
    out = renamed(code, VARIABLE, "r", "input", nth=0)
    assert out is not None and "Reader input = new" in out and "(char) input.read()" in out
    assert "IOException r) {\n        e += r.getMessage()" in out
    out = renamed(code, VARIABLE, "i", "idx")
    assert (
        out is not None and "int idx = 0, j = idx; idx < names.length; idx++) { e += names[idx] + j; }" in out
    )


def test_java_labels_methods_members_and_this_are_not_variables() -> None:
    code = unit(
        """
        int f(Node x) {
            int count = 0;
            count:
            for (int i = 0; i < 3; i++) {
                if (i == count) continue count;
                count += this.count + x.count + count();
            }
            return count;
        }
        """,
        "java",
    )
    out = renamed(code, VARIABLE, "count", "total")
    assert out is not None
    assert "    count:\n" in out and "continue count;" in out
    assert "total += this.count + x.count + count();" in out and "return total;" in out


def test_java_anonymous_class_fields_shadow_but_outer_uses_are_renamed() -> None:
    code = unit(
        """
        int f(int n) {
            int step = n + 1;
            Runnable task = new Runnable() {
                int n = 5;
                public void run() { System.out.println(n + step); }
            };
            java.util.function.IntUnaryOperator g = q -> q + step + n;
            task.run();
            return g.applyAsInt(step);
        }
        """,
        "java",
    )
    out = renamed(code, PARAMETER, "n", "limit")
    assert out is not None
    assert "int step = limit + 1;" in out and "int n = 5;" in out and "println(n + step)" in out
    assert "q -> q + step + limit;" in out
    out = renamed(code, VARIABLE, "step", "delta")
    assert out is not None and "println(n + delta)" in out and "g.applyAsInt(delta)" in out


def test_java_classes_with_unknown_supertypes_keep_captured_names() -> None:
    # Base may declare a field `step` that the anonymous class would see instead of the local.
    code = unit(
        """
        int f(int n) {
            int step = n + 1;
            int other = 2;
            Base b = new Base() { int get() { return step; } };
            return b.get() + other;
        }
        """,
        "java",
    )
    assert "step" not in site_names(code, VARIABLE) and "other" in site_names(code, VARIABLE)


def test_java_pattern_variables() -> None:
    code = unit(
        """
        int f(Object o) {
            if (o instanceof String s && !s.isEmpty()) { return s.length(); }
            if (!(o instanceof Integer k)) { return 0; }
            return k;
        }
        """,
        "java",
    )
    assert site_names(code, VARIABLE) == ["s"]
    out = renamed(code, VARIABLE, "s", "text")
    assert out is not None and "instanceof String text && !text.isEmpty()) { return text.length(); }" in out


def test_java_annotated_parameters_are_kept() -> None:
    code = unit(
        """
        @GetMapping("/x")
        String f(@RequestParam String name, int n) { return name + n; }
        """,
        "java",
    )
    assert site_names(code, PARAMETER) == []
    code = unit("@Override\npublic String f(@Nonnull String name, int n) { return name + n; }", "java")
    assert site_names(code, PARAMETER) == ["n"]


def test_java_switch_group_declarations_reach_later_groups() -> None:
    code = unit(
        """
        int f(int k) {
            switch (k) {
                case 0: int s = 1; return s;
                case 1: s = 2; return s;
                default: return 0;
            }
        }
        """,
        "java",
    )
    out = renamed(code, VARIABLE, "s", "res")
    assert out is not None and "case 1: res = 2; return res;" in out


# ---------------------------------------------------------------------------------------------- C rules


def test_c_members_labels_and_designators_stay() -> None:
    code = unit(
        """
        int f(struct point *p, int x)
        {
            struct point s = { .x = x, .y = 2 };
            int y = s.x + p->x + p->y;
        x:
            if (y > 100)
                goto x;
            return y + sizeof x + sizeof(y);
        }
        """,
        "c",
    )
    out = renamed(code, PARAMETER, "x", "width")
    assert out is not None
    assert "{ .x = width, .y = 2 }" in out and "s.x + p->x + p->y" in out
    assert "\nx:\n" in out and "goto x;" in out and "sizeof width" in out
    out = renamed(code, VARIABLE, "y", "sum_y")
    assert out is not None and ".y = 2" in out and "p->y;" in out and "sizeof(sum_y)" in out


def test_c_block_shadowing_and_for_init() -> None:
    code = unit(
        """
        int f(int n)
        {
            int v = n;
            for (int i = 0; i < n; i++) {
                int v = i * 2;
                n += v;
            }
            for (int i = 0; i < 2; i++)
                n -= i;
            return v + n;
        }
        """,
        "c",
    )
    out = renamed(code, VARIABLE, "v", "val", nth=0)
    assert out is not None and "int val = n;" in out and "int v = i * 2;\n        n += v;" in out
    assert "return val + n;" in out
    out = renamed(code, VARIABLE, "i", "idx", nth=1)
    assert (
        out is not None
        and "for (int i = 0; i < n; i++)" in out
        and "for (int idx = 0; idx < 2; idx++)" in out
    )


def test_c_preprocessor_macros_and_calls_keep_names() -> None:
    code = unit(
        """
        int f(int n, int (*cb)(int))
        {
            int a = n, b = 2, c = 3, d = 4, e = 5;
        #define TWICE(v) ((v) + (v) + b)
            assert(c > 0);
            extern int ext;
            return TWICE(a) + d(1) + cb(e) + ext;
        }
        """,
        "c",
    )
    # b: inside a #define; c: inside assert (stringified); d: called like a function (a macro?);
    # ext: extern. a (a macro argument) and e (passed to a function pointer) are plain references.
    assert site_names(code, VARIABLE) == ["a", "e"]
    assert site_names(code, PARAMETER) == ["n", "cb"]
    out = renamed(code, PARAMETER, "cb", "fn")
    assert out is not None and "int (*fn)(int)" in out and "fn(e)" in out


def test_c_declarations_repeated_in_preprocessor_branches_are_kept() -> None:
    code = unit(
        """
        int f(int n)
        {
        #ifdef WIDE
            long r = n;
        #else
            int r = n;
        #endif
            int q = n;
            return r + q;
        }
        """,
        "c",
    )
    assert site_names(code, VARIABLE) == ["q"]


# ---------------------------------------------------------------------------------------------- the rename API


def test_rename_refuses_names_that_collide_capture_or_shadow() -> None:
    java = unit(
        """
        int f(int a) {
            int x = a;
            { int k = x; a += k; }
            { int j = 2; a += j; }
            return x + limit + a;
        }
        """,
        "java",
    )
    assert renamed(java, VARIABLE, "x", "a") is None  # collides with the parameter
    assert renamed(java, VARIABLE, "x", "k") is None  # would shadow/be shadowed by the block's k
    assert renamed(java, VARIABLE, "x", "limit") is None  # would capture the field `limit`
    assert renamed(java, VARIABLE, "x", "class") is None  # keyword
    assert renamed(java, VARIABLE, "x", "2x") is None  # not an identifier
    assert renamed(java, VARIABLE, "x", "x") is None
    assert renamed(java, VARIABLE, "k", "j") is not None  # j lives in a sibling block: no conflict
    assert renamed(java, VARIABLE, "x", "value") is not None

    python = unit(
        """
        def f(a, /):
            x = a
            def g():
                return helper(x)
            return g() + total
        """,
        "python",
    )
    assert renamed(python, VARIABLE, "x", "helper") is None  # captures the global used in g
    assert renamed(python, VARIABLE, "x", "total") is None  # captures the global used in f
    assert renamed(python, VARIABLE, "x", "len") is None  # builtin
    assert renamed(python, VARIABLE, "x", "g") is None  # the nested function
    assert renamed(python, VARIABLE, "x", "__x") is None  # mangled inside classes
    assert renamed(python, PARAMETER, "a", "value") is not None

    c = unit(
        """
        int f(int a)
        {
            int x = a;
            return g(x) + a;
        }
        """,
        "c",
    )
    assert renamed(c, VARIABLE, "x", "g") is None  # the called function would be shadowed
    assert renamed(c, VARIABLE, "x", "errno") is None  # a macro in <errno.h>
    assert renamed(c, VARIABLE, "x", "BUFLEN") is None  # macro-like
    assert renamed(c, VARIABLE, "x", "int") is None
    assert renamed(c, VARIABLE, "x", "val") is not None


def test_rename_takes_a_declaration_node_too() -> None:
    code = unit("def f(a, /):\n    x = a\n    return x\n", "python")
    decl = next(n for n in code.walk() if n.type == "identifier" and code.node_text(n) == "x")
    rewrite = rename(code, decl, "y")
    assert rewrite is not None and rewrite.detail == "renaming x -> y"
    assert splice(code.src, rewrite.splices).decode() == "def f(a, /):\n    y = a\n    return y\n"
    use = [n for n in code.walk() if n.type == "identifier" and code.node_text(n) == "x"][1]
    assert rename(code, use, "y") is None  # not a declaration


@pytest.mark.parametrize(
    ("language", "source"),
    [
        ("python", "def f(a, /, *rest):\n    x = a\n    y = [x for x in rest]\n    return x, y\n"),
        (
            "java",
            "int f(int a) {\n    int x = a;\n    for (int i = 0; i < 3; i++) x += i;\n    return x;\n}\n",
        ),
        ("c", "int f(int a)\n{\n    int x = a;\n    for (int i = 0; i < 3; i++) x += i;\n    return x;\n}\n"),
    ],
)
def test_renaming_is_deterministic_fresh_and_reparses(language: str, source: str) -> None:
    code = parse(source, language, unit=True)
    before = identifiers(code)
    for t in TRANSFORMS:
        for site in t.sites(code):
            first = apply_at(code, t, site, seeded_rng(7, "k"))
            again = apply_at(code, t, site, seeded_rng(7, "k"))
            assert first is not None and again is not None
            assert first[0].text == again[0].text and not first[0].has_errors()
            new_name = first[1].detail.rsplit(" ", 1)[1]
            assert new_name not in before


def test_crlf_and_style_are_kept() -> None:
    code = parse("def f(a, /):\r\n    x = a  # x here\r\n    return x\r\n", "python", unit=True)
    (site,) = VARIABLE.sites(code)
    rewrite = rename(code, site, "val")
    assert rewrite is not None
    assert splice(code.src, rewrite.splices) == b"def f(a, /):\r\n    val = a  # x here\r\n    return val\r\n"


def test_code_with_syntax_errors_offers_nothing() -> None:
    code = parse("int f(int a) { int x = ; return x; }", "java", unit=True)
    assert VARIABLE.sites(code) == [] and PARAMETER.sites(code) == []


# ---------------------------------------------------------------------------------------------- compile and run

_DRIVER = """
import java.nio.file.*;
public class Driver {
    public static void main(String[] args) throws Exception {
        java.io.PrintStream stdout = System.out;
        for (int i = 0; i < %d; i++) {
            java.io.ByteArrayOutputStream buf = new java.io.ByteArrayOutputStream();
            System.setOut(new java.io.PrintStream(buf, true, "UTF-8"));
            try {
                Class.forName("p" + i + ".Main").getMethod("main", String[].class).invoke(null, (Object) new String[0]);
            } catch (java.lang.reflect.InvocationTargetException e) {
                System.out.println("exception: " + e.getCause());
            }
            System.out.flush();
            System.setOut(stdout);
            Files.write(Paths.get(args[0], i + ".out"), buf.toByteArray());
        }
    }
}
"""


def run_java_programs(programs: list[str], tmp: Path) -> list[str]:
    """Compile every program (each a `Main` class) with one javac call and run them all in one JVM."""
    src = tmp / "src"
    files = []
    for i, program in enumerate(programs):
        path = src / f"p{i}" / "Main.java"
        path.parent.mkdir(parents=True)
        path.write_text(f"package p{i};\n{program}")
        files.append(str(path))
    (src / "Driver.java").write_text(_DRIVER % len(programs))
    files.append(str(src / "Driver.java"))
    done = subprocess.run(
        ["javac", "-nowarn", "-d", str(tmp / "classes"), *files], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-4000:]
    (tmp / "out").mkdir()
    subprocess.run(["java", "-cp", str(tmp / "classes"), "Driver", str(tmp / "out")], check=True, timeout=300)
    return [(tmp / "out" / f"{i}.out").read_text() for i in range(len(programs))]


def run_c_programs(programs: list[str], tmp: Path) -> list[str]:
    """Compile every program into one executable (each `main` renamed) and run them in turn."""
    files, calls = [], []
    for i, program in enumerate(programs):
        path = tmp / f"p{i}.c"
        path.write_text(f"#define main program_{i}\n{program}")
        files.append(str(path))
        calls.append(f'    printf("@@%d\\n", {i}); fflush(stdout); program_{i}(); fflush(stdout);\n')
    driver = tmp / "driver.c"
    decls = "".join(f"int program_{i}(void);\n" for i in range(len(programs)))
    driver.write_text(f"#include <stdio.h>\n{decls}int main(void)\n{{\n{''.join(calls)}    return 0;\n}}\n")
    exe = tmp / "programs"
    done = subprocess.run(
        ["gcc", "-std=gnu11", "-O0", "-w", "-o", str(exe), str(driver), *files],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    out = subprocess.run([str(exe)], capture_output=True, text=True, check=True, timeout=120).stdout
    parts = re.split(r"^@@\d+\n", out, flags=re.M)[1:]
    assert len(parts) == len(programs)
    return parts


JAVA_PROGRAM = """
import java.util.*;
import java.util.function.*;

public class Main {
    static int x = 100;
    int count = 7;
    static StringBuilder out = new StringBuilder();

    static int shadowing(int a, int b) {
        int total = 0;
        {
            int x = a * 2;
            total += x;
        }
        total += x;
        for (int i = 0; i < b; i++) { int k = i * i; total += k; }
        for (int i = 0; i < 3; i++) { total -= i; }
        int[] arr = {a, b, 3};
        for (int v : arr) total += v;
        outer:
        for (int i = 0; i < 4; i++) {
            for (int j = 0; j < 4; j++) {
                if (j == 2) continue outer;
                if (i == 3) break outer;
                total += i * j;
            }
        }
        switch (a % 3) {
            case 0: int s = 5; total += s; break;
            case 1: s = 6; total += s; break;
            default: total += 1;
        }
        return total;
    }

    int fieldsAndLocals(int count) {
        int r = count + this.count;
        Runnable task = new Runnable() {
            int count = 1000;
            public void run() { out.append(count + r).append(';'); }
        };
        task.run();
        IntUnaryOperator f = q -> q + r + count;
        return f.applyAsInt(r);
    }

    static String resources(String text) throws Exception {
        String line = "";
        try (java.io.BufferedReader reader = new java.io.BufferedReader(new java.io.StringReader(text))) {
            line = reader.readLine();
        } catch (java.io.IOException e) {
            line = e.getMessage();
        }
        Object o = line;
        if (o instanceof String str && !str.isEmpty()) { line = str.toUpperCase() + str.length(); }
        return line;
    }

    static int localClass(int n) {
        class Counter implements IntSupplier {
            int step = n;
            public int getAsInt() { return step * 2 + n; }
        }
        Comparator<Integer> cmp = new Comparator<Integer>() {
            public int compare(Integer p, Integer q) { return Integer.compare(q, p) * n; }
        };
        List<Integer> xs = new ArrayList<>(List.of(3, 1, 2));
        xs.sort(cmp);
        return new Counter().getAsInt() + xs.get(0);
    }

    static long strings(String... parts) {
        long h = 0;
        for (String p : parts) {
            String x = p.trim();
            h = h * 31 + x.hashCode();
        }
        String x = "x" + Main.x;
        return h + x.length();
    }

    public static void main(String[] args) throws Exception {
        System.out.println(shadowing(3, 4));
        System.out.println(shadowing(4, 2));
        System.out.println(new Main().fieldsAndLocals(5));
        System.out.println(out);
        System.out.println(resources("hello\\nworld"));
        System.out.println(localClass(4));
        System.out.println(strings(" a ", "bc", "d"));
    }
}
"""


@needs_java
def test_java_program_behaves_the_same_after_every_renaming(tmp_path: Path) -> None:
    variants = file_variants(JAVA_PROGRAM, "java")
    details = [d for d, _ in variants]
    assert len(variants) >= 30, details
    assert any("fieldsAndLocals: renaming count" in d for d in details)  # the parameter hiding the field
    assert any("localClass: renaming n" in d for d in details)  # captured by local/anonymous classes
    outputs = run_java_programs([JAVA_PROGRAM] + [v for _, v in variants], tmp_path)
    assert outputs[0].count("\n") == 7
    for (detail, _), output in zip(variants, outputs[1:], strict=True):
        assert output == outputs[0], detail


C_PROGRAM = r"""
#include <stdio.h>
#include <string.h>

struct point { int x; int y; };
static int x = 100;

static int shadow(int a, int b)
{
    int total = 0;
    {
        int x = a * 2;
        total += x;
    }
    total += x;
    for (int i = 0; i < b; i++) {
        int k = i * i;
        total += k;
    }
    struct point p = { .x = a, .y = b };
    struct point *pp = &p;
    total += p.x + pp->y;
    int y = sizeof total + sizeof(p);
    total += y;
    int done = 0;
    if (total > 1000)
        goto done;
    total += 1;
    done = 1;
done:
    return total + done;
}

static int inner_blocks(int n)
{
    int acc = 0;
    int v = n;
    {
        int v = 2 * n;
        acc += v;
        {
            int w = v + 1;
            acc += w;
        }
    }
    acc += v;
    switch (n) {
    case 1: { int t = 5; acc += t; break; }
    default: acc -= 1;
    }
    int arr[4] = { 1, 2, 3, 4 };
    for (int i = 0; i < 4; i++)
        acc += arr[i];
    int (*op)(int, int) = shadow;
    return acc + op(n, 1);
}

static void text(const char *s, size_t n)
{
    char buf[32];
    size_t len = strlen(s) < n ? strlen(s) : n;
    memcpy(buf, s, len);
    buf[len] = '\0';
    printf("%s|%zu\n", buf, len);
}

int main(void)
{
    printf("%d\n", shadow(3, 4));
    printf("%d\n", inner_blocks(1));
    printf("%d\n", inner_blocks(2));
    text("hello world", 5);
    return 0;
}
"""


@needs_gcc
def test_c_program_behaves_the_same_after_every_renaming(tmp_path: Path) -> None:
    variants = file_variants(C_PROGRAM, "c")
    assert len(variants) >= 20, [d for d, _ in variants]
    outputs = run_c_programs([C_PROGRAM] + [v for _, v in variants], tmp_path)
    assert outputs[0].count("\n") == 4
    for (detail, _), output in zip(variants, outputs[1:], strict=True):
        assert output == outputs[0], detail


PYTHON_PROGRAM = """
import functools


def tricky(a, b=2, /, *rest, scale=1, **options):
    total = a + b
    class Box:
        total = 10
        label = f"box{total}"
        def get(self):
            return total * scale
    def add(v, /):
        return total + v
    items = [total * i for i in range(3) if i != total]
    pairs = {k: v for k, v in options.items()}
    seen = [(last := item) for item in items]
    text = f"{total:>{b}}|{Box.label}|{add(1)!r}"
    try:
        ratio = a // (b - 2)
    except ZeroDivisionError as err:
        ratio = type(err).__name__
    return total, Box.total, Box().get(), items, pairs, seen, last, text, ratio, sum(rest), dict(total=total)


class Account:
    def __init__(self, owner, /, balance=0):
        self.owner = owner
        self.balance = balance

    def deposit(self, amount, /, *notes):
        balance = self.balance + amount
        self.balance = balance
        log = [f"{self.owner}:{note}" for note in notes]
        return balance, log

    @functools.lru_cache
    def cached(self, n, /):
        acc = 0
        for i in range(n):
            acc += i * i
        return acc
"""


def _run_python(source: str) -> object:
    ns: dict = {}
    exec(compile(source, "<variant>", "exec"), ns)
    acct = ns["Account"]("ann", 5)
    return (
        ns["tricky"](3, 2, 4, 5, scale=3, x=1),
        ns["tricky"](1, 4),
        acct.deposit(10, "a", "b"),
        acct.balance,
        acct.cached(6),
    )


def test_python_program_behaves_the_same_after_every_renaming() -> None:
    variants = file_variants(PYTHON_PROGRAM, "python")
    details = [d for d, _ in variants]
    assert len(variants) >= 15, details
    assert any("renaming total" in d for d in details) and any("renaming rest" in d for d in details)
    expected = _run_python(PYTHON_PROGRAM)
    for detail, source in variants:
        assert _run_python(source) == expected, detail


# ---------------------------------------------------------------------------------------------- property tests

_NAMES = ("x", "y", "z", "w")


@st.composite
def _py_expr(draw, names: tuple[str, ...] = _NAMES, depth: int = 0) -> str:
    choice = draw(st.integers(0, 5 if depth < 2 else 2))
    if choice == 0:
        return str(draw(st.integers(0, 9)))
    if choice in (1, 2):
        return draw(st.sampled_from(names))
    left = draw(_py_expr(names, depth + 1))
    right = draw(_py_expr(names, depth + 1))
    return f"({left} {draw(st.sampled_from(['+', '-', '*']))} {right}) % 1000"


@st.composite
def _py_block(draw, indent: int, depth: int, counter: list[int]) -> list[str]:
    pad = "    " * indent
    lines: list[str] = []
    for _ in range(draw(st.integers(1, 4))):
        counter[0] += 1
        n = counter[0]
        v, u = draw(st.sampled_from(_NAMES)), draw(st.sampled_from(_NAMES))
        e = draw(_py_expr())
        kind = draw(st.integers(0, 11 if depth < 2 else 7))
        if kind == 0:
            lines.append(f"{pad}{v} = {e}")
        elif kind == 1:
            lines.append(f"{pad}{v} += {e}")
        elif kind == 2:  # a comprehension whose variable may shadow a local
            lines.append(
                f"{pad}{v} = sum([{draw(_py_expr((u, 'a')))} for {u} in ({u}, a, 3) if {u} != {e}]) % 1000"
            )
        elif kind == 3:  # a closure reading enclosing locals, called with a keyword argument
            lines += [
                f"{pad}def g{n}(p, q=1):",
                f"{pad}    return (p * q + {e}) % 1000",
                f"{pad}{v} = g{n}({u}, q=2)",
            ]
        elif kind == 4:  # a nested function with its own local of the same name
            lines += [
                f"{pad}def h{n}():",
                f"{pad}    {v} = {u} + 1" if u != v else f"{pad}    {v} = 1",
                f"{pad}    return {v} * 2",
                f"{pad}out.append(h{n}())",
            ]
        elif kind == 5:  # f-strings with nested interpolations
            lines.append(f'{pad}out.append(f"{{{v}}}-{{{u}:>{{a % 5 + 1}}}}-{{[{v}]!r}}")')
        elif kind == 6:  # a class body: attributes named like locals, methods closing over locals
            lines += [
                f"{pad}class K{n}:",
                f"{pad}    {v} = 7",
                f"{pad}    def m(self):",
                f"{pad}        return {u}",
                f"{pad}out.append((K{n}.{v}, K{n}().m()))",
            ]
        elif kind == 7:  # keyword arguments and attribute names that look like locals
            lines.append(f"{pad}out.append(dict({v}={u}, a=len(rest)) | {{'{u}': opts.get('{v}', {v})}})")
        elif kind == 8:
            lines.append(f"{pad}if {e} > 300:")
            lines += draw(_py_block(indent + 1, depth + 1, counter))
            lines.append(f"{pad}else:")
            lines += draw(_py_block(indent + 1, depth + 1, counter))
        elif kind == 9:
            lines.append(f"{pad}for {v} in range({draw(st.integers(0, 3))}):")
            lines += draw(_py_block(indent + 1, depth + 1, counter))
        elif kind == 10:
            lines += [
                f"{pad}try:",
                f"{pad}    {v} = {u} // ({u} - {u})",
                f"{pad}except ZeroDivisionError as err:",
                f"{pad}    out.append(type(err).__name__)",
            ]
        else:
            lines += [
                f"{pad}if ({v} := {e}) > 100:",
                f"{pad}    out.append({v})",
                f"{pad}fn = lambda k, /: (k + {u}) % 1000",
                f"{pad}{u} = fn({v})",
            ]
    return lines


@st.composite
def python_functions(draw) -> str:
    lines = [
        "def f(a, b, /, *rest, **opts):",
        "    out = []",
        "    x = a",
        "    y = b",
        "    z = len(rest)",
        "    w = 1",
    ]
    lines += draw(_py_block(1, 0, [0]))
    lines.append("    return x, y, z, w, out")
    return "\n".join(lines) + "\n"


def _outcome(source: str) -> object:
    ns: dict = {}
    exec(compile(source, "<generated>", "exec"), ns)
    try:
        return ns["f"](5, 8, 1, 2, x=3, k=4)
    except Exception as e:  # the same exception (type and message) is the same behaviour
        return ("raised", type(e).__name__, str(e))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(python_functions())
def test_property_python_every_renaming_behaves_the_same(source: str) -> None:
    code = parse(source, "python", unit=True)
    assert not code.has_errors(), source
    expected = _outcome(source)
    before = identifiers(code)
    variants = all_variants(code)
    assert variants  # the locals x, y, z, w and the parameters a, b, rest, opts are always there
    for detail, variant in variants:
        assert not parse(variant, "python", unit=True).has_errors()
        assert detail.rsplit(" ", 1)[1] not in before, detail
        assert _outcome(variant) == expected, f"{detail}\n{source}\n{variant}"
    assert all_variants(code) == variants  # deterministic


class _JavaMethod:
    """A random static method over int locals named like the class's static fields (x, y, z, w), with
    nested blocks, shadowing across sibling blocks, loops, labels, switch groups, lambdas, anonymous and
    local classes. Locals never shadow locals (javac forbids it); they do shadow the fields."""

    def __init__(self, draw, index: int) -> None:
        self.draw = draw
        self.index = index
        self.scopes: list[set[str]] = [{"a", "b", "acc"}]
        self.readonly: set[str] = {"acc"}  # loop counters and finals: never assigned (no endless loops)
        self.labels: list[str] = []
        self.counter = 0

    def fresh(self) -> int:
        self.counter += 1
        return self.counter

    def in_scope(self, name: str) -> bool:
        return any(name in s for s in self.scopes)

    def free_name(self) -> str | None:
        names = [n for n in _NAMES if not self.in_scope(n)]
        return self.draw(st.sampled_from(names)) if names else None

    def expr(self, depth: int = 0, declaring: str = "") -> str:
        """An int expression; never the name being declared (its initialiser cannot read it)."""
        choice = self.draw(st.integers(0, 5 if depth < 2 else 2))
        if choice == 0:
            return str(self.draw(st.integers(0, 9)))
        if choice in (1, 2):
            return self.draw(st.sampled_from([n for n in (*_NAMES, "a", "b") if n != declaring]))
        op = self.draw(st.sampled_from(["+", "-", "*", "^"]))
        return f"({self.expr(depth + 1, declaring)} {op} {self.expr(depth + 1, declaring)})"

    def final_local(self, pad: str, lines: list[str]) -> str | None:
        c = self.free_name()
        if c is not None:
            lines.append(f"{pad}final int {c} = {self.expr(declaring=c)};")
            self.scopes[-1].add(c)
            self.readonly.add(c)
        return c

    def block(self, indent: int, depth: int, extra: set[str] = frozenset()) -> list[str]:
        self.scopes.append(set(extra))
        lines: list[str] = []
        pad = "    " * indent
        for _ in range(self.draw(st.integers(1, 4))):
            lines += self.statement(pad, indent, depth)
        self.scopes.pop()
        return lines

    def statement(self, pad: str, indent: int, depth: int) -> list[str]:
        kind = self.draw(st.integers(0, 12 if depth < 2 else 3))
        n = self.fresh()
        lines: list[str] = []
        if kind == 0:
            v = self.free_name()
            if v is not None:
                lines.append(f"{pad}int {v} = {self.expr(declaring=v)};")
                self.scopes[-1].add(v)
        elif kind == 1:
            targets = [t for t in (*_NAMES, "a", "b") if t not in self.readonly]
            v = self.draw(st.sampled_from(targets))
            lines.append(f"{pad}{v} {self.draw(st.sampled_from(['=', '+=', '^=']))} {self.expr()};")
        elif kind == 2:
            lines.append(f"{pad}acc = acc * 31 + {self.expr()} + Main.{self.draw(st.sampled_from(_NAMES))};")
        elif kind == 3:
            lines += [f"{pad}{{", *self.block(indent + 1, depth + 1), f"{pad}}}"]
        elif kind == 4:
            lines += [
                f"{pad}if ({self.expr()} > 20) {{",
                *self.block(indent + 1, depth + 1),
                f"{pad}}} else {{",
                *self.block(indent + 1, depth + 1),
                f"{pad}}}",
            ]
        elif kind == 5:
            i = self.free_name()
            if i is not None:
                self.readonly.add(i)
                body = self.block(indent + 1, depth + 1, {i})
                self.readonly.discard(i)
                lines += [
                    f"{pad}for (int {i} = 0; {i} < {self.draw(st.integers(0, 3))}; {i}++) {{",
                    *body,
                    f"{pad}}}",
                ]
        elif kind == 6:
            v = self.free_name()
            if v is not None:
                body = self.block(indent + 1, depth + 1, {v})
                lines += [
                    f"{pad}for (int {v} : new int[] {{{self.expr()}, {self.expr()}}}) {{",
                    *body,
                    f"{pad}}}",
                ]
        elif kind == 7:
            c = self.final_local(pad, lines)
            q = self.free_name()
            if c is not None and q is not None:
                lines += [
                    f"{pad}IntUnaryOperator fn{n} = {q} -> ({q} * 3 + {c}) ^ 5;",
                    f"{pad}acc += fn{n}.applyAsInt({self.expr()});",
                ]
        elif kind == 8:  # the anonymous class's field may have the name of an enclosing local
            c = self.final_local(pad, lines)
            if c is not None:
                f = self.draw(st.sampled_from(_NAMES))
                lines += [
                    f"{pad}IntSupplier s{n} = new IntSupplier() {{",
                    f"{pad}    int {f} = 2;",
                    f"{pad}    public int getAsInt() {{ int t = {f} * 10; return t + {c}; }}",
                    f"{pad}}};",
                    f"{pad}acc += s{n}.getAsInt();",
                ]
        elif kind == 9:
            c = self.final_local(pad, lines)
            if c is not None:
                lines += [
                    f"{pad}class Local{n} implements IntSupplier {{",
                    f"{pad}    int k = {c} + 1;",
                    f"{pad}    public int getAsInt() {{ return k * {c}; }}",
                    f"{pad}}}",
                    f"{pad}acc += new Local{n}().getAsInt();",
                ]
        elif kind == 10:  # a label named like a local
            label = self.draw(st.sampled_from([n for n in _NAMES if n not in self.labels]))
            i = self.free_name()
            if i is not None:
                self.labels.append(label)
                self.readonly.add(i)
                body = self.block(indent + 1, depth + 1, {i})
                self.readonly.discard(i)
                self.labels.pop()
                lines += [
                    f"{pad}{label}:",
                    f"{pad}for (int {i} = 0; {i} < 3; {i}++) {{",
                    f"{pad}    if ({i} == 1) continue {label};",
                    *body,
                    f"{pad}}}",
                ]
        elif kind == 11:  # a declaration in one switch group, used in the next
            v = self.free_name()
            if v is not None:
                lines += [
                    f"{pad}switch ({self.expr()} & 3) {{",
                    f"{pad}    case 0: int {v} = 1; acc += {v}; break;",
                    f"{pad}    case 1: {v} = 2; acc += {v}; break;",
                    f"{pad}    default: acc += 3;",
                    f"{pad}}}",
                ]
        else:  # the same name declared in sibling blocks
            v = self.free_name()
            if v is not None:
                lines += [
                    f"{pad}{{ int {v} = {self.expr(declaring=v)}; acc += {v}; }}",
                    f"{pad}{{ int {v} = {self.expr(declaring=v)}; acc -= {v}; }}",
                    f"{pad}acc += {v};",
                ]
        return lines

    def source(self) -> str:
        body = self.block(2, 0)
        return (
            "\n".join(
                [
                    f"    static long m{self.index}(int a, int b) {{",
                    "        long acc = 0;",
                    *body,
                    "        return acc * 31 + x + y + z + w;",
                    "    }",
                ]
            )
            + "\n"
        )


@st.composite
def java_methods(draw, count: int = 8) -> list[str]:
    return [_JavaMethod(draw, i).source() for i in range(count)]


@needs_java
@settings(
    max_examples=8,
    deadline=None,
    phases=[
        Phase.explicit,
        Phase.reuse,
        Phase.generate,
    ],  # shrinking recompiles for minutes; messages name the method
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(java_methods())
def test_property_java_every_renaming_compiles_and_behaves_the_same(methods: list[str]) -> None:
    import tempfile

    bodies, calls = [], []
    for i, method in enumerate(methods):
        code = parse(method, "java", unit=True)
        assert not code.has_errors(), method
        before = identifiers(code)
        variants = all_variants(code)
        assert variants  # a, b and acc at least
        assert all_variants(code) == variants  # deterministic
        bodies.append(method)
        calls.append(f'        reset(); System.out.println("{i} " + m{i}(4, 9));\n')
        for j, (detail, variant) in enumerate(variants):
            assert detail.rsplit(" ", 1)[1] not in before, detail
            assert variant.count(f"long m{i}(") == 1
            bodies.append(variant.replace(f"long m{i}(", f"long m{i}_{j}(", 1))
            calls.append(f'        reset(); System.out.println("{i} " + m{i}_{j}(4, 9));\n')
    program = (
        "import java.util.function.*;\n\npublic class Main {\n    static int x, y, z, w;\n"
        "    static void reset() { x = 3; y = 5; z = 7; w = 11; }\n\n"
        + "\n".join(bodies)
        + "\n    public static void main(String[] args) {\n"
        + "".join(calls)
        + "    }\n}\n"
    )
    with tempfile.TemporaryDirectory() as tmp:
        (output,) = run_java_programs([program], Path(tmp))
    results: dict[str, str] = {}
    for line in output.splitlines():
        method, value = line.split(" ")
        assert results.setdefault(method, value) == value, f"method {method}:\n{methods[int(method)]}"
    assert len(results) == len(methods)
