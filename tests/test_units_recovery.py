"""A C file with one broken function still yields its other functions, at their places in the file."""

from __future__ import annotations

import pytest

from metacompress_core.code import extract_units
from metacompress_core.code.units import unparsed_lines

BROKEN_IN_THE_MIDDLE = """\
#include <stdio.h>

static int first(int x)
{
    return x + 1;
}

int broken(int y)
{
    if (y {
        return 2;
    }

int after(int z)
{
    int i;
    for (i = 0; i < z; i++) {
        if (i == 3)
            goto out;
    }
out:
    return i;
}

static void last(void)
{
    const char *s = "}";
    char c = '{';
    /* { */
    printf("%s%c\\n", s, c);
}
"""

MACRO_WITHOUT_SEMICOLON = """\
int before(int a)
{
    return a * 2;
}

void walk(struct list *l)
{
    struct node *n;
    LIST_FOREACH(n, l) {
        visit(n)
    }
    DONE(l)
}

int after(int b)
{
    return b - 1;
}
"""


def test_functions_after_a_broken_one_are_units() -> None:
    units = extract_units(BROKEN_IN_THE_MIDDLE, "c", "f.c")
    assert [u.qualname for u in units] == ["first", "after", "last"]
    for u in units:
        assert BROKEN_IN_THE_MIDDLE.encode()[u.start_byte : u.end_byte].decode() == u.source
        assert u.parse().has_errors() is False
    after = units[1]
    assert after.source.startswith("int after(int z)") and after.source.rstrip().endswith("return i;\n}")
    assert after.start == (13, 0)


def test_a_statement_macro_without_semicolon_loses_only_its_function() -> None:
    units = extract_units(MACRO_WITHOUT_SEMICOLON, "c", "g.c")
    names = [u.qualname for u in units]
    assert "before" in names and "after" in names
    assert all(not u.parse().has_errors() for u in units)


def test_clean_files_are_unchanged() -> None:
    clean = BROKEN_IN_THE_MIDDLE.replace("if (y {", "if (y) {").replace(
        "return 2;\n    }\n", "return 2;\n    }\n}\n", 1
    )
    assert [u.qualname for u in extract_units(clean, "c")] == ["first", "broken", "after", "last"]


@pytest.mark.parametrize(
    ("language", "source", "expected", "kept"),
    [
        ("c", "int a(void)\n{\n    return 1;\n}\n\nint b(int x)\n{\n    return x +;\n}\n", [(6, 9)], ["a"]),
        (
            "java",
            "class A {\n  int ok() { return 1; }\n  int bad() { return 1 +; }\n  int ok2() { return 2; }\n}\n",
            [(3, 3)],
            ["A.ok", "A.ok2"],
        ),
        ("python", "def f(x):\n    return x\n\ndef g(x:\n    return x\n", [(4, 4)], ["f"]),
        ("c", "int a(void)\n{\n    return 1;\n}\n", [], ["a"]),
    ],
)
def test_the_lines_that_do_not_parse_are_named(language, source, expected, kept) -> None:
    units = extract_units(source, language)
    assert [u.qualname for u in units] == kept
    assert unparsed_lines(source, language, units) == expected
