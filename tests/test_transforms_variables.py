"""insert-unused-variable and split-declaration: every variant compiles and runs like the original (Java,
C, Python); declarations whose meaning would change are not split, and no variable is inserted where it
would be seen."""

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

from metacompress_core.transforms.families.variables import InsertUnusedVariable, SplitDeclaration

INSERT, SPLIT = InsertUnusedVariable(), SplitDeclaration()

JAVA = Program(
    """static String decl(int n, String s) {
        int a = n, b = a * 2, c[] = {a, b};
        final int k = 3, m = k + 1;
        long total = 0;
        String t = s + a;
        int[] arr = new int[n < 0 ? 0 : n];
        java.util.List<String> list = new java.util.ArrayList<>();
        Runnable r = () -> list.add("x" + k);
        int captured = n;
        java.util.function.IntSupplier sup = () -> captured + 1;
        for (int i = 0; i < arr.length; i++) {
            int sq = i * i;
            total += sq;
        }
        r.run();
        byte small = 10;
        char ch = 'q';
        label:
        while (total > 0) {
            total -= 5;
            if (total < 3) break label;
        }
        return a + ":" + b + ":" + c.length + ":" + m + ":" + total + ":" + t + ":" + list + ":" + sup.getAsInt() + small + ch;
    }""",
    ('decl(4, "s")', "decl(0, null)", 'decl(-3, "")'),
    "decl",
)

C = Program(
    """int decl(int n) {
        int a = n, b = a * 2, *p = &a;
        static int calls = 0, seen;
        calls++;
        const char *s = "abc", *t = s + 1;
        unsigned long u = 5;
        int arr[3] = {1, 2, 3};
        struct pt { int x, y; } q = {1, 2};
        struct pt r = q;
        size_t len = strlen(t);
        char *w = NULL;
        int total = 0;
        for (int i = 0; i < n; i++) {
            int sq = i * i;
            total += sq;
        }
        switch (n) {
        case 1:
            total += 1;
            break;
        default:
            total -= 1;
        }
        return a + b + *p + calls + seen + (int)u + arr[2] + r.y + (int)len + total + *t + (w == NULL);
    }""",
    ("decl(4)", "decl(0)", "decl(1)", "decl(-2)"),
    "decl",
)

PYTHON = Program(
    '''def decl(n, items):
    """Docstring stays first."""
    total = 0
    for i in range(n):
        sq = i * i
        total += sq
    if total > 10:
        items.append(total)
    else:
        items.append(-1)

    class Inner:
        x = 1
        y = 2

    def helper(v):
        return v + 1

    names = [k for k in Inner.__dict__ if not k.startswith("__")]
    return total, decl.__doc__, names, helper(total), decl.__code__.co_argcount
''',
    ((3, []), (0, [1]), (6, ["a"])),
    "decl",
)


@pytest.mark.skipif(not HAVE_JAVA, reason="needs javac and java")
def test_java_variants_compile_and_behave_the_same(tmp_path):
    assert compare_java([JAVA], [INSERT, SPLIT], tmp_path) >= 30


@pytest.mark.skipif(not HAVE_GCC, reason="needs gcc")
def test_c_variants_compile_and_behave_the_same(tmp_path):
    assert compare_c([C], [INSERT, SPLIT], tmp_path) >= 20


def test_python_variants_behave_the_same():
    assert compare_python([PYTHON], [INSERT]) >= 8


def test_python_never_inserts_before_a_docstring_in_a_class_body_or_where_locals_are_inspected():
    sites = site_texts(PYTHON.source, "python", INSERT)
    assert not any(s.startswith('"""') for s in sites)
    assert "x = 1" not in sites and "y = 2" not in sites  # class attributes
    assert "return v + 1" in sites  # a nested function's body is fine
    assert site_texts("def f(a):\n    b = a\n    return locals()\n", "python", INSERT) == []


def test_java_insertion_keeps_explicit_constructor_call_first():
    src = "Point(int x) {\n    this(x, 0);\n    if (x > 0) {\n        log(x);\n    }\n}"
    assert site_texts(src, "java", INSERT) == ["log(x);"]


def test_c_insertion_avoids_switch_bodies_and_preprocessor_blocks():
    src = "int f(int n) {\n    switch (n) {\n    case 1:\n        n++;\n    }\n#ifdef X\n    n--;\n#endif\n    return n;\n}"
    assert site_texts(src, "c", INSERT) == []
    nested = "int f(int n) {\n    if (n) {\n        n++;\n    }\n    return n;\n}"
    # Not before `return n;`: a declaration after the if would be C99 in a function written in C89 order.
    assert site_texts(nested, "c", INSERT) == ["if (n) {\n        n++;\n    }", "n++;"]
    c99 = "int f(int n) {\n    n++;\n    int m = n;\n    return m;\n}"
    assert site_texts(c99, "c", INSERT) == ["n++;", "int m = n;", "return m;"]


def test_split_sites_exclude_what_an_assignment_cannot_do():
    java = """static void f() {
        final int x = 1;
        var v = 2;
        int[] a = {1};
        int b[] = {2};
        int ok = 3;
    }"""
    assert site_texts(java, "java", SPLIT) == ["int ok = 3;"]
    c = """void f(void) {
        g();  /* a statement first: C99 order, so no declaration is kept from splitting by a later one */
        static int s = 1;
        const int k = 1;
        volatile int v = 1;
        int arr[2] = {1, 2};
        char buf[] = "x";
        struct { int x; } u, w;
        int *const p = 0;
        my_t m = 0;
        __auto_type q = 1;
        struct pt r = {0};
        int ok = 3;
        const char *str = "x";
    }"""
    assert site_texts(c, "c", SPLIT) == ["int ok = 3;", 'const char *str = "x";']


def test_split_texts_keep_modifiers_and_declarator_parts():
    out = {t for _, t in variants("void f(void) {\n    static int *p = 0, q[2], r;\n}", "c", SPLIT)}
    assert out == {"void f(void) {\n    static int *p = 0;\n    static int q[2];\n    static int r;\n}"}
    out = {t for _, t in variants("static void f() {\n    int x = 1;\n}", "java", SPLIT)}
    assert out == {"static void f() {\n    int x;\n    x = 1;\n}"}


def test_crlf_code_stays_crlf():
    src = "static void f() {\r\n    int x = 1, y = 2;\r\n    g(x + y);\r\n}\r\n"
    for t in (INSERT, SPLIT):
        for _, text in variants(src, "java", t):
            assert text.count("\n") == text.count("\r\n") and text != src
