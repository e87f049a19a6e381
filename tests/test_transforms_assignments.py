"""expand-compound-assignment, contract-assignment, increment-form: run for real in Java and C; the spellings
whose meaning differs (Java's implicit narrowing, string `+`, C macros and aliasing, values in use) are not
offered."""

from __future__ import annotations

import pytest
from program_runs import (
    HAVE_GCC,
    HAVE_JAVA,
    Program,
    c_syntax_ok,
    compare_c,
    compare_java,
    site_texts,
    variants,
)

from metacompress_core.transforms.families.assignments import (
    ContractAssignment,
    ExpandCompoundAssignment,
    IncrementForm,
)

EXPAND, CONTRACT, INC = ExpandCompoundAssignment(), ContractAssignment(), IncrementForm()
ALL = [EXPAND, CONTRACT, INC]

JAVA = Program(
    """static String run(int a, long b, double d, String s, boolean flag) {
        int i = a;
        long l = b;
        double x = d;
        float f = 1.5f;
        String t = s;
        boolean g = flag;
        i += 3;
        i -= a - 1;
        i *= 2 + a;
        i /= a == 0 ? 1 : a;
        i %= 7;
        i <<= 2;
        i >>= 1;
        i >>>= 1;
        i &= 0xFF;
        i |= a;
        i ^= 5;
        l += i;
        l *= l - 1;
        l >>= 3;
        x -= i * 0.5;
        x /= 3;
        f += 2;
        t += 1 + 2;
        t += a;
        t = t + "z" + a;
        g &= a > 2;
        g |= b < 0;
        g ^= flag;
        i = i + 1;
        i = i * (a + 1);
        i = i - a;
        l = l - i;
        x = x / 2;
        t = t + i;
        g = g & flag;
        for (int k = 0; k < 3; k++) { i++; --l; x += 1; }
        for (int k = 5; k > 0; k -= 1, i = i - 1) { f++; }
        int[] arr = {1, 2, 3};
        arr[1]++;
        arr[2] += 1;
        short sh = 3;
        sh++;
        sh += 1;
        char c = 'a';
        c++;
        c += 1;
        return i + ":" + l + ":" + x + ":" + f + ":" + t + ":" + g + ":" + arr[1] + arr[2] + sh + c;
    }""",
    (
        'run(1, 2L, 0.5, "s", true)',
        'run(-7, Long.MAX_VALUE, -3.25, "", false)',
        "run(0, 0L, Double.NaN, null, true)",
        'run(Integer.MAX_VALUE, -1L, 1e308, "q", false)',
    ),
    "run",
)

C = Program(
    """long run(int a, long b, double d, unsigned char u, int *p) {
        int i = a;
        long l = b;
        double x = d;
        char *s = "hello";
        unsigned char c = u;
        i += 3;
        i -= a - 1;
        i *= 2 + (a & 3);
        i /= a == 0 ? 1 : a;
        i %= 7;
        i = i < 0 ? -i : i;
        i <<= 2;
        i >>= 1;
        i &= 0xFF;
        i |= a & 0xF;
        i ^= 5;
        c += 200;
        c <<= 1;
        l += i;
        x -= i * 0.5;
        x /= 3;
        s += 1;
        s = s + 2;
        i = i + 1;
        i = i * (1 + (a & 3));
        l = l - i;
        x = x / 2;
        c = c - 7;
        for (int k = 0; k < 3; k++) { i++; --l; }
        for (int k = 5; k > 0; k -= 1, i = i - 1) { c++; }
        p[0]++;
        p[1] += 1;
        (*p)--;
        *p -= 1;
        return i * 100000L + l + (long)(x * 1000) + c + *s + p[0] * 7 + p[1] * 11;
    }""",
    (
        "run(1, 2, 0.5, 3, (int[]){4, 5})",
        "run(-7, 100000, -3.25, 255, (int[]){0, -1})",
        "run(0, 0, 0.0, 0, (int[]){9, 9})",
        "run(1000, -5, 1e6, 128, (int[]){-9, 2})",
    ),
    "run",
)


@pytest.mark.skipif(not HAVE_JAVA, reason="needs javac and java")
def test_java_variants_compile_and_behave_the_same(tmp_path):
    assert compare_java([JAVA], ALL, tmp_path) >= 60


@pytest.mark.skipif(not HAVE_GCC, reason="needs gcc")
def test_c_variants_compile_and_behave_the_same(tmp_path):
    assert compare_c([C], ALL, tmp_path) >= 40


def test_java_narrowing_and_string_cases_are_not_offered():
    src = """static void f(byte b, short s, char c, int i, long l, String t, Integer boxed, Object o) {
        b += 1;
        s *= 2;
        c += 1;
        i += l;
        i += 1.5;
        i *= 2.0f;
        l += 0.5;
        t -= 1;
        boxed += 1;
        this.count += 1;
        count = count + 1;
        i = 1 + i;
        i = i - 1 - 2;
        s = (short) (s + 1);
    }"""
    assert site_texts(src, "java", EXPAND) == []
    assert site_texts(src, "java", CONTRACT) == []
    # `b = b + 1` does not compile for byte/short/char: ++ and += 1 only.
    inc = """static void g(byte b, char c, int i) { b++; c += 1; i += 1; }"""
    forms = {t for _, t in variants(inc, "java", INC, seeds=range(12))}
    assert not any("b = b + 1" in t or "c = c + 1" in t for t in forms)
    assert any("i = i + 1" in t for t in forms)


def test_c_aliasing_macros_and_volatile_are_not_offered():
    src = """void f(int *p, int n) {
        int x = 0;
        static int st = 0;
        volatile int v = 0;
        int *q = &x;
        x += next(q);
        st += next(p);
        v += 1;
        COUNT += 1;
        g_total = g_total + n;
        p[0] = p[0] + 1;
    }"""
    assert site_texts(src, "c", EXPAND) == []
    assert site_texts(src, "c", CONTRACT) == []
    # A macro or global may expand to anything (`#define COUNT *ptr`): its ++ is left alone.
    assert site_texts("void f(int n) { COUNT++; total += 1; n++; }", "c", INC) == ["n++"]


def test_increment_values_in_use_are_left_alone():
    java = """static int f(int i, int[] a) {
        int j = i++;
        a[i++] = 1;
        int r = switch (j) { case 1 -> i++; default -> 0; };
        return j + ++i + r;
    }"""
    assert site_texts(java, "java", INC) == []
    c = "int f(int i) { int j = i++; while (i-- > 0) j += i; return j + ++i; }"
    assert site_texts(c, "c", INC) == []


def test_python_is_not_offered():
    # `a += [1]` mutates the list in place (other references see it), `a = a + [1]` does not.
    assert (
        "python" not in EXPAND.languages
        and "python" not in CONTRACT.languages
        and "python" not in INC.languages
    )


@pytest.mark.skipif(not HAVE_GCC, reason="needs gcc")
def test_c_variants_pass_syntax_check_with_a_pointer_lvalue():
    src = "void f(int *p, int n) { for (int i = 0; i < n; i++) *p += 1; }"
    outs = variants(src, "c", INC, seeds=range(6))
    assert {t for _, t in outs} >= {
        "void f(int *p, int n) { for (int i = 0; i < n; i++) (*p)++; }",
        "void f(int *p, int n) { for (int i = 0; i < n; i++) ++*p; }",
    }
    for _, text in outs:
        assert c_syntax_ok(text) == ""


def test_detail():
    (detail, _), *_ = variants("void f(int x) {\n  x += 2;\n}", "c", EXPAND)
    assert detail == "x += ... -> x = x + ... at line 2"
