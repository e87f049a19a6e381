"""Unit extraction: every function and method, exact spans, qualified names, stable ids, bad input."""

from __future__ import annotations

import pytest

from metacompress_core.code import detect_language, extract_units, parse, read_source
from metacompress_core.errors import MetaCompressError

JAVA = """package demo;

public class Outer {
    private int count;

    public Outer(int count) {
        this.count = count;
    }

    int twice(int x) { return 2 * x; }

    static class Inner {
        void run() {
            Runnable r = new Runnable() {
                public void run() { System.out.println("hi"); }
            };
            r.run();
        }
    }
}
"""

C = """#include <stdio.h>

static int *pick(int *a, int n) { return n > 0 ? a : 0; }

int main(void)
{
    int v[2] = {1, 2};
    printf("%d\\n", *pick(v, 2));
    return 0;
}
"""

PY = """import os

class Greeter:
    def __init__(self, name):
        self.name = name

    async def greet(self):
        def shout(text):
            return text.upper()
        return shout(self.name)

def top(a, b=2):
    return a + b
"""


def test_java_methods_constructors_and_nested_classes():
    units = extract_units(JAVA, "java", "Outer.java")
    assert [u.qualname for u in units] == [
        "Outer.Outer",
        "Outer.twice",
        "Outer.Inner.run",
        "Outer.Inner.run.run",
    ]
    ctor = units[0]
    assert ctor.source.startswith("    public Outer(int count) {")
    assert ctor.source.endswith("}")
    assert ctor.start == (5, 0) and ctor.end == (7, 5)
    assert ctor.name_start == (5, 11) and ctor.name_end == (5, 16)


def test_c_function_names_through_pointer_declarators():
    units = extract_units(C, "c", "m.c")
    assert [u.name for u in units] == ["pick", "main"]
    assert units[0].source == "static int *pick(int *a, int n) { return n > 0 ? a : 0; }"


def test_python_methods_nested_and_async():
    units = extract_units(PY, "python", "g.py")
    assert [u.qualname for u in units] == ["Greeter.__init__", "Greeter.greet", "Greeter.greet.shout", "top"]
    greet = units[1]
    assert greet.source.startswith("    async def greet(self):")
    assert not greet.parse().has_errors()
    assert greet.parse().root.type == "function_definition"


@pytest.mark.parametrize(("text", "lang"), [(JAVA, "java"), (C, "c"), (PY, "python")])
def test_spans_are_exact_byte_slices_of_the_file(text, lang):
    data = text.encode()
    for unit in extract_units(text, lang):
        assert data[unit.start_byte : unit.end_byte].decode() == unit.source
        line = text.splitlines()[unit.name_start[0]]
        assert line.encode()[unit.name_start[1] : unit.name_end[1]].decode() == unit.name


def test_ids_are_stable_and_distinct_for_overloads():
    src = "class A { int f(int a) { return a; } int f(long a) { return 1; } int g() { return 0; } }"
    first = extract_units(src, "java", "A.java")
    again = extract_units(src, "java", "A.java")
    assert [u.id for u in first] == [u.id for u in again]
    assert len({u.id for u in first}) == 3
    # an edit elsewhere does not change the id of an untouched function
    edited = extract_units(src.replace("return 0", "return 7"), "java", "A.java")
    assert edited[0].id == first[0].id and edited[2].id != first[2].id


def test_file_with_syntax_errors_keeps_the_intact_units():
    src = "def good(a):\n    return a\n\ndef bad(:\n    pass\n\ndef also_good():\n    return 1\n"
    assert [u.name for u in extract_units(src, "python")] == ["good", "also_good"]
    c_src = "int ok(void) { return 1; }\nint broken( { return; }\nint fine(int x) { return x; }\n"
    names = [u.name for u in extract_units(c_src, "c")]
    assert "ok" in names and "broken" not in names


def test_crlf_source_keeps_its_line_endings():
    src = "class A {\r\n    int f(int a) {\r\n        return a;\r\n    }\r\n}\r\n"
    (unit,) = extract_units(src, "java")
    assert "\r\n" in unit.source and not unit.parse().has_errors()


def test_language_detection_by_extension_and_lsp_id():
    assert detect_language("x/Y.java").name == "java"
    assert detect_language("a.h").name == "c"
    assert detect_language("a.PY").name == "python"
    assert detect_language(None, lsp_id="c").name == "c"
    assert detect_language("weird.txt", lsp_id="python").name == "python"
    with pytest.raises(MetaCompressError, match="unsupported language"):
        detect_language("notes.txt")


def test_parse_hides_the_unit_wrapper():
    code = parse("public Foo(int a) { this.a = a; }", "java", unit=True)
    assert code.root.type == "constructor_declaration"
    assert code.span(code.root) == (0, len(code.src))
    assert code.node_text(code.root).startswith("public Foo")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\x00\x01\x02binary", "binary"),
        (b"int f() { return '\xff'; }", "not valid UTF-8"),
    ],
)
def test_bad_files_give_clear_errors(tmp_path, content, message):
    path = tmp_path / "bad.c"
    path.write_bytes(content)
    with pytest.raises(MetaCompressError, match=message):
        read_source(path)


def test_missing_and_directory_paths(tmp_path):
    with pytest.raises(MetaCompressError, match="cannot read"):
        read_source(tmp_path / "nope.java")
    with pytest.raises(MetaCompressError, match="directory"):
        read_source(tmp_path)


def test_empty_and_garbage_sources_yield_nothing():
    for lang in ("java", "c", "python"):
        assert extract_units("", lang) == []
        assert extract_units("}}}{{{ ))) garbage ;;; \n\t", lang) == []


def test_large_file_is_handled(tmp_path):
    pad = "    a = a * 31 + 7; /* keep the function long enough to make the file big */\n" * 3
    body = "".join(f"int f{i}(int a)\n{{\n{pad}    return a + {i};\n}}\n" for i in range(20_000))
    assert len(body) > 5_000_000
    path = tmp_path / "big.c"
    path.write_text(body)
    units = extract_units(read_source(path), "c", str(path))
    assert len(units) == 20_000 and units[-1].name == "f19999" and units[-1].start == (19_999 * 7, 0)
