"""swap-statements: swapped pairs run like the original in Java, C and Python; pairs that share a name,
call anything, write through a pointer/array/field, may throw, or touch a global are never swapped."""

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

from metacompress_core.transforms.families.reorder import SwapStatements

SWAP = SwapStatements()

JAVA = Program(
    """static String ord(int a, int b) {
        int x = a + 1;
        int y = b * 2;
        x += 3;
        y -= a;
        double d = 1.5;
        String s = "v" + a;
        int z = x + y;
        long w = 7;
        a++;
        b = b * 3;
        int q = a / 2;
        int r2 = b;
        char c = 'c';
        boolean f = a > b;
        return x + ":" + y + ":" + d + ":" + s + ":" + z + ":" + w + ":" + a + ":" + b + q + r2 + c + f;
    }""",
    ("ord(1, 2)", "ord(-5, 0)", "ord(Integer.MAX_VALUE, Integer.MIN_VALUE)"),
    "ord",
)

C = Program(
    """long ord(int a, int b) {
        int x = a + 1;
        int y = b * 2;
        x += 3;
        y -= a;
        double d = 1.5;
        int z = x + y;
        long w = 7;
        a++;
        b = b * 3;
        int q = a / 2;
        int r2 = b;
        unsigned u = 4u;
        return x + y * 10 + (long)(d * 100) + z + w + a + b + q + r2 + u;
    }""",
    ("ord(1, 2)", "ord(-5, 0)", "ord(1000, -1000)"),
    "ord",
)

PYTHON = Program(
    """def ord(a):
    x = 1
    y = 2
    s = 'str'
    z = x + y
    x += 5
    w = None
    t = a + 1
    u = -3
    v = 2.5
    return x, y, s, z, w, t, u, v
""",
    ((1,), (2.5,), ([1],)),
    "ord",
)


@pytest.mark.skipif(not HAVE_JAVA, reason="needs javac and java")
def test_java_swaps_behave_the_same(tmp_path):
    assert compare_java([JAVA], [SWAP], tmp_path) >= 6


@pytest.mark.skipif(not HAVE_GCC, reason="needs gcc")
def test_c_swaps_behave_the_same(tmp_path):
    assert compare_c([C], [SWAP], tmp_path) >= 6


def test_python_swaps_behave_the_same():
    assert compare_python([PYTHON], [SWAP]) >= 4


def test_pairs_found_are_exactly_the_independent_ones():
    # Each site is named by the first statement of its pair.
    assert site_texts(JAVA.source, "java", SWAP) == [
        "int x = a + 1;",  # / int y = b * 2;
        "int y = b * 2;",  # / x += 3;
        "x += 3;",  # / y -= a;
        "y -= a;",  # / double d = 1.5;
        "double d = 1.5;",
        'String s = "v" + a;',  # / int z = x + y;
        "int z = x + y;",
        "long w = 7;",  # / a++;
        "a++;",  # / b = b * 3;   (then `int q = a / 2;` may throw: no pairs with it)
        "int r2 = b;",
        "char c = 'c';",
    ]
    # C division by zero is undefined, not an exception: the C pairs include it.
    assert "int q = a / 2;" in site_texts(C.source, "c", SWAP)
    assert site_texts(PYTHON.source, "python", SWAP) == ["x = 1", "y = 2", "s = 'str'", "x += 5", "u = -3"]


def test_dependent_or_effectful_pairs_are_not_swapped():
    java = """static void f(int[] arr, int a) {
        int u = next();
        int v = 2;
        arr[0] = 1;
        arr[1] = 2;
        this.x = 1;
        a = 2;
        int p = a;
        int q = p;
        q = bump(q);
        Integer boxed = 3;
        int r = boxed;
        a = a / 0;
        int s = 1;
    }"""
    assert site_texts(java, "java", SWAP) == []
    c = """void f(int *p, int *q, int a) {
        *p = 1;
        *q = 2;
        g = 1;
        a = 2;
        volatile int v = 3;
        int w = v;
        int x = a;
        int y = x;
        a = bump(a);
        int z = 5;
    }"""
    assert site_texts(c, "c", SWAP) == []
    py = """def f(a, obj):
    global g
    g = 1
    y = 2
    obj.x = 1
    b = 3
    i = b
    i += 1
    c = i
    d = a + 1
    e = 4
"""
    assert site_texts(py, "python", SWAP) == []
    assert site_texts("def f():\n    a = 1\n    b = 2\n    return locals()\n", "python", SWAP) == []


def test_swap_text_and_detail():
    ((detail, text),) = variants("void f(void) {\n    int a = 1;\n    int b = 2;\n}", "c", SWAP)
    assert text == "void f(void) {\n    int b = 2;\n    int a = 1;\n}"
    assert detail == "swapping the statements at lines 2 and 3"
