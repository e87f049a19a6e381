"""swap-relational and swap-commutative: every variant at every site compiles and behaves like the original
(Java run with java, C with gcc + UBSan, Python exec'd with operands whose comparison methods log their
calls); the unsafe sites are not offered."""

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

from metacompress_core.transforms.families.expressions import SwapCommutative, SwapRelational

REL, COM = SwapRelational(), SwapCommutative()

JAVA_REL = Program(
    """static int rel(int a, int b, long c, int[] arr) {
        int n = 0;
        if (a < b) n += 1;
        if (a <= c) n += 2;
        if (b > arr.length) n += 4;
        if (arr.length >= a) n += 8;
        if (a == b) n += 16;
        if (c != b) n += 32;
        if (-1 < a) n += 64;
        if ((a + b) * 2 < c - a) n += 128;
        if (a / 2 < b) n += 256;
        if (arr[0] < a) n += 512;
        return n + (a<b?1:0);
    }""",
    (
        "rel(1, 2, 3L, new int[]{5})",
        "rel(3, 3, 3L, new int[]{1, 2, 3})",
        "rel(-2, 5, -7L, new int[]{0})",
        "rel(0, 0, 0L, new int[0])",
        "rel(1, 2, 3L, null)",
    ),
    "rel",
)

JAVA_COM = Program(
    """static String com(int a, long b, double d, boolean p, boolean q, char ch, String s, Integer boxed) {
        long r = a + b;
        double e = d * a + 0.5;
        int bits = (a & 7) | (a ^ 3);
        boolean both = p & q | p ^ q;
        int cc = ch + a;
        String t = s + a;
        String u = a + b + s;
        int v = boxed + a;
        float f = 1.5f * a;
        return r + ":" + e + ":" + bits + ":" + both + ":" + cc + ":" + t + ":" + u + ":" + v + f + (a == b) + (d != a);
    }""",
    (
        "com(1, 2L, 0.25, true, false, 'x', \"s\", 5)",
        "com(-3, 1L << 40, Double.NaN, false, true, 'a', null, -1)",
        "com(Integer.MAX_VALUE, Long.MIN_VALUE, -0.0, true, true, '\\u0000', \"\", 7)",
        "com(2, 3L, 1e300, false, false, 'z', \"x\", null)",
    ),
    "com",
)

C_PROGRAMS = [
    Program(
        """int rel(int a, int b, unsigned u, int *p, double d) {
            int n = 0;
            if (a < b) n |= 1;
            if (u >= (unsigned)a) n |= 2;
            if (*p > a) n |= 4;
            if (p[1] <= b) n |= 8;
            if (d < a) n |= 16;
            if (a == b) n |= 32;
            if (a + b != *p * 2) n |= 64;
            if (p + 1 == &p[1]) n |= 128;
            return n + (a * b) + (a & b) + (a | b) + (a ^ b) + (1 + p)[0];
        }""",
        (
            "rel(1, 2, 3u, (int[]){3, 4}, 0.5)",
            "rel(-7, -7, 0u, (int[]){-14, 0}, -7.0)",
            "rel(100, 3, 4000000000u, (int[]){50, 200}, 1e9)",
        ),
        "rel",
    ),
    Program(
        """double mix(double x, float y, long k, char c) {
            double s = x + y;
            s = s * (k + c) + (c - k);
            return s + (x * y == y * x) + (c < 'm') + ('a' <= c);
        }""",
        ("mix(0.1, 0.2f, 3, 'a') * 1000", "mix(-1.5, 1e30f, -9, 'z')", "mix(0.0, -0.0f, 0, 0)"),
        "mix",
    ),
]


class Probe(int):
    """An int subclass whose comparisons log themselves: mirrored comparisons must call the same methods."""

    def __new__(cls, value, log=None):
        obj = super().__new__(cls, value)
        obj.log = [] if log is None else log
        return obj

    def __lt__(self, other):
        self.log.append(("lt", int(self), other))
        return int(self) < other

    def __gt__(self, other):
        self.log.append(("gt", int(self), other))
        return int(self) > other

    def __repr__(self):
        return f"Probe({int(self)}, {self.log})"


class FloatProbe(float):
    def __new__(cls, value, log=None):
        obj = super().__new__(cls, value)
        obj.log = [] if log is None else log
        return obj

    def __le__(self, other):
        self.log.append(("le", float(self), other))
        return True

    def __ge__(self, other):
        self.log.append(("ge", float(self), other))
        return False

    def __repr__(self):
        return f"FloatProbe({float(self)}, {self.log})"


class OnlyLess:
    """A user type with __lt__ only: `x < 3` works; `3 > x` must still reach x.__lt__ (int defers)."""

    def __init__(self):
        self.calls = 0

    def __lt__(self, other):
        self.calls += 1
        return True

    def __repr__(self):
        return f"OnlyLess({self.calls})"


PY_REL = Program(
    """def rel(a, b):
    n = 0
    if a < 3:
        n += 1
    if -1 <= a:
        n += 2
    if 10 > b:
        n += 4
    if 0 < a < b:
        n += 8
    if a == 1:
        n += 16
    if a < b:
        n += 32
    return n, [x for x in range(5) if x >= 2]
""",
    (
        (1, 2),
        (5, 20),
        (2.5, -1),
        ("x", 1),
        (Probe(2, []), Probe(30, [])),
        (FloatProbe(7.5, []), FloatProbe(-1.0, [])),
        (OnlyLess(), 3),
        (None, None),
    ),
    "rel",
)

PY_COM = Program(
    """def com(a, flag):
    i = 3
    j = i * 2 + 1
    k = (i + j) & 0xFF
    s = a + 1
    if flag:
        m = 5
    t = j * 4
    total = (i + j, j * k, i | k, i ^ j, k == j, i != 2, s, t + 1)
    if flag:
        total = total + (m * t,)
    return total
""",
    ((1, True), (2.5, False), (10**30, True)),
    "com",
)


@pytest.mark.skipif(not HAVE_JAVA, reason="needs javac and java")
def test_java_variants_compile_and_behave_the_same(tmp_path):
    assert compare_java([JAVA_REL, JAVA_COM], [REL, COM], tmp_path) >= 20


@pytest.mark.skipif(not HAVE_GCC, reason="needs gcc")
def test_c_variants_compile_and_behave_the_same(tmp_path):
    assert compare_c(C_PROGRAMS, [REL, COM], tmp_path) >= 20


def test_python_variants_behave_the_same_even_with_overloaded_comparisons():
    assert compare_python([PY_REL, PY_COM], [REL, COM]) >= 8


def test_java_sites_are_exactly_the_safe_ones():
    rel = site_texts(JAVA_REL.source, "java", REL)
    assert "a < b" in rel and "arr.length >= a" in rel and "a / 2 < b" in rel and "arr[0] < a" in rel
    com = site_texts(JAVA_COM.source, "java", COM)
    assert "a + b" in com and "ch + a" in com and "boxed + a" in com and "p & q" in com
    assert "s + a" not in com  # string concatenation does not commute
    assert not any(t.startswith("a + b + s") or t.startswith("r + ") for t in com)
    unsafe = """static boolean g(int a, int b, int[] xs) {
        int i = 0;
        boolean r = next() < a || i++ < b || a < count || a / b < a % b || xs[a] < xs[b];
        r |= this.limit > a;
        return r & flag(a) | next() + a > 0;
    }"""
    assert site_texts(unsafe, "java", REL) == []
    assert site_texts(unsafe, "java", COM) == []


def test_c_sites_exclude_calls_macros_volatile_and_macro_arguments():
    unsafe = """int g(int a, int b, struct s *sp) {
        volatile int v = 1;
        int n = (next() < a) + (a++ < b) + (MAX < a) + (v < a) + (sp->x < a);
        check(a < b);
        return n + (a + next()) + (v * 2);
    }"""
    assert site_texts(unsafe, "c", REL) == []
    assert site_texts(unsafe, "c", COM) == []


def test_python_sites_exclude_chains_equality_unknown_types_and_possibly_unbound_pairs():
    rel = site_texts(PY_REL.source, "python", REL)
    assert rel == ["a < 3", "-1 <= a", "10 > b", "x >= 2"]
    com = site_texts(PY_COM.source, "python", COM)
    assert "a + 1" not in com  # a parameter: any type, any __add__/__radd__
    assert "m * t" in com  # m may be unbound, t is certainly bound: at most one side can raise
    both_maybe_unbound = """def h(c, s):
    if c:
        i = 1
        j = 2
    x = s
    return i + j, x + x, s * 2
"""
    assert site_texts(both_maybe_unbound, "python", COM) == []
    complex_local = "def g():\n    z = 1j\n    w = 2\n    return z + w, w + 3\n"
    assert site_texts(complex_local, "python", COM) == ["w + 3"]  # `1j` is not an int


def test_detail_says_what_and_where():
    (detail, text), *_ = variants("int f(int a, int b) {\n  return a < b;\n}", "c", REL)
    assert detail == "mirroring a < b -> b > a at line 2"
    assert "return b > a;" in text


def test_moved_operands_keep_their_grouping_and_do_not_glue_to_keywords():
    out = {t for _, t in variants("int f(int a, int b, int c) { return a - b + c < a; }", "c", COM)}
    assert "int f(int a, int b, int c) { return c + (a - b) < a; }" in out
    out = {
        t for _, t in variants("static int f(int a) { if (a > 0) return-1<a?1:0; return 0; }", "java", REL)
    }
    assert "static int f(int a) { if (a > 0) return a>-1?1:0; return 0; }" in out


def test_python_fstring_fields_print_their_own_spelling_and_are_left_alone():
    src = 'def f(a):\n    i = 1\n    return f"{a < 3=}", f"{i + 2=}", a < 3\n'
    assert site_texts(src, "python", REL) == ["a < 3"]  # the last one only
    assert site_texts(src, "python", COM) == []
