"""boolean-equivalent: double negation of conditions and De Morgan keep values, short-circuiting and the
order (and number) of side effects; run for real in Java, C and Python."""

from __future__ import annotations

import pytest
from program_runs import (
    HAVE_GCC,
    HAVE_JAVA,
    Program,
    compare_c,
    compare_java,
    compare_python,
    site_texts,
    variants,
)

from metacompress_core.transforms.families.booleans import BooleanEquivalent

BOOL = BooleanEquivalent()

JAVA = Program(
    """static String sc(int x, Boolean maybe) {
        int[] calls = {0};
        StringBuilder log = new StringBuilder();
        java.util.function.IntPredicate p = v -> { calls[0] += v; log.append(v); return v > x; };
        String r = "";
        if (p.test(1) && p.test(2)) r += "a";
        if (p.test(3) || !p.test(4)) r += "b";
        boolean z = p.test(5) && !p.test(6) || p.test(7);
        while (calls[0] < 40 && (p.test(1) || x > 100)) r += ".";
        for (int i = 0; i < 3 && !(i == x); i++) r += i;
        do { r += "d"; } while (!p.test(8) && calls[0] < 60);
        int t = p.test(9) ? 1 : 2;
        if (maybe) r += "m";
        return r + z + t + calls[0] + log;
    }""",
    ("sc(0, true)", "sc(3, false)", "sc(6, true)", "sc(100, false)", "sc(2, null)"),
    "sc",
)

C = Program(
    """int sc(int x, int *calls, const char *s) {
        int r = 0;
        if ((*calls += 1) > x && (*calls += 2) > x) r += 1;
        if (s && *s == 'a' || !s) r += 2;
        int both = x > 2 && (*calls *= 2) > 5;
        int either = x || *calls;
        while (*calls < 50 && (x > 1 || *calls % 2)) *calls += 3;
        for (int i = 0; i < 4 && !(i == x); i++) r += i;
        return r * 1000 + both * 100 + either * 10 + (s ? 1 : 0) + *calls * 10000;
    }""",
    (
        'sc(0, (int[]){0}, "a")',
        "sc(3, (int[]){1}, 0)",
        'sc(2, (int[]){7}, "b")',
        'sc(-1, (int[]){0}, "")',
    ),
    "sc",
)


class Truthy:
    """An object whose truth test logs itself: rewritten conditions must test each operand the same number
    of times, in the same order."""

    def __init__(self, value, log):
        self.value, self.log = value, log

    def __bool__(self):
        self.log.append(self.value)
        return bool(self.value)

    def __repr__(self):
        return f"Truthy({self.value})"


def _probes(*values):
    log: list = []
    return tuple(Truthy(v, log) for v in values) + (log,)


PYTHON = Program(
    """def sc(a, b, c, log):
    out = []
    if a and b:
        out.append(1)
    if a or not b and c:
        out.append(2)
    elif not (a or c):
        out.append(3)
    while len(out) < 6 and (b or c):
        out.append(4)
    assert a or b or c or True
    v = 5 if a and c else 6
    y = a and b
    z = not (a or b)
    w = [k for k in range(3) if k and (a or c)]
    return out, v, y, z, w, list(log)
""",
    (_probes(0, 0, 0), _probes(1, 0, 1), _probes(0, 1, 0), _probes(1, 1, 1), _probes("", [1], None)),
    "sc",
)


@pytest.mark.skipif(not HAVE_JAVA, reason="needs javac and java")
def test_java_variants_behave_the_same(tmp_path):
    assert compare_java([JAVA], [BOOL], tmp_path) >= 15


@pytest.mark.skipif(not HAVE_GCC, reason="needs gcc")
def test_c_variants_behave_the_same(tmp_path):
    assert compare_c([C], [BOOL], tmp_path) >= 10


def test_python_variants_test_truth_the_same_number_of_times():
    assert compare_python([PYTHON], [BOOL]) >= 10


def test_python_and_or_outside_conditions_are_left_alone():
    sites = site_texts(PYTHON.source, "python", BOOL)
    assert "a and b" in sites  # `if a and b:`
    texts = {t for _, t in variants(PYTHON.source, "python", BOOL)}
    for text in texts:  # the value-producing `and`/`or` (and the `not` whose operand is a value) stay
        assert "    y = a and b\n" in text and "    z = not (a or b)\n" in text


def test_c_double_negation_only_where_truth_matters():
    src = "int f(int x, int *p) { int y = x; if (x) y = !p; return y ? x : 0; }"
    texts = {t for _, t in variants(src, "c", BOOL)}
    assert "int f(int x, int *p) { int y = x; if (!!x) y = !p; return y ? x : 0; }" in texts
    assert "int f(int x, int *p) { int y = x; if (x) y = !p; return !!y ? x : 0; }" in texts
    assert all("int y = x;" in t and "y = !p;" in t for t in texts)  # values stay values


def test_de_morgan_text():
    texts = {
        t for _, t in variants("static boolean f(boolean a, int b) { return a && !(b > 2); }", "java", BOOL)
    }
    assert texts == {"static boolean f(boolean a, int b) { return !(!a || (b > 2)); }"}
    texts = {
        t for _, t in variants("def f(a, b):\n    if a < 1 or not b:\n        return 1\n", "python", BOOL)
    }
    assert "def f(a, b):\n    if not (not a < 1 and b):\n        return 1\n" in texts
    assert "def f(a, b):\n    if not not (a < 1 or not b):\n        return 1\n" in texts


def test_no_rewrites_inside_c_call_arguments():
    # assert() and friends may be macros that print their argument's spelling.
    assert site_texts("void f(int a, int b) { assert(a && b); g(!a || b); }", "c", BOOL) == []


def test_python_fstring_fields_are_left_alone():
    src = 'def f(a, b):\n    return f"{1 if a and b else 2=}"\n'
    assert site_texts(src, "python", BOOL) == []
