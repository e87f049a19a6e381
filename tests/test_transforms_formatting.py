"""reformat-layout: only whitespace between tokens changes (the token sequence is identical; for Python
the AST is identical), and the programs still run the same, including string literals whose bytes span
lines, C macros that stringify their argument, and Python f-strings that print their own expression."""

from __future__ import annotations

import ast

import pytest
from program_runs import HAVE_GCC, HAVE_JAVA, Program, compare_c, compare_java, compare_python, variants

from metacompress_core.code.parsing import parse
from metacompress_core.transforms.families.formatting import ReformatLayout

LAYOUT = ReformatLayout()

JAVA = Program(
    """    /**
     * Sums things.
     */
    static String fmt(int a, int b) {
        int s = 0;
        for (int i = 0; i < a; i++) {
            if (i % 2 == 0)
            {
                s += i * b - -a;
            } else {
                s -= i+++b;
            }
        }
        java.util.List<java.util.List<String>> nested = new java.util.ArrayList<>();
        String block = \"\"\"
            text
              block \"\"\";
        String plain = "a  +  b";
        char c = '+';
        long h = 0x1E-1;
        double e = 1e5-2;
        int q = a>b?a-b:b/ -1;
        return s + block + plain + c + nested + h + e + q + (a<b);
    }""",
    ("fmt(3, 4)", "fmt(0, -2)", "fmt(7, 1)"),
    "fmt",
)

C_PRELUDE = """#define SHOW(x) show(#x, (long)(x))
static long show(const char *s, long v) { return v * 1000 + (long)strlen(s); }
"""

C = Program(
    """long fmt(int a, int b, int *p) {
  long s = 0;
  for (int i = 0; i < a; i++) {
    if (i % 2 == 0)
    {
      s += i * b - -a;
    } else {
      s -= a / *p;
    }
  }
#define LOCAL 3
  const char *text = "one \\
two";
  long h = 0x1E - 1;
  long shown = SHOW(a+b) + SHOW(a * b);
  s += LOCAL+h;
#undef LOCAL
  return s + shown + (long)strlen(text) + (a<b);
}""",
    ("fmt(3, 4, (int[]){2})", "fmt(0, -2, (int[]){1})", "fmt(7, 1, (int[]){-3})"),
    "fmt",
)

PYTHON = Program(
    '''    @staticmethod
    def fmt(a, b=1):
        """Doc
        string."""
        x = [1,
             2]  # c
        if a<b and not a in x:
            # comment
            return f"{a+b=}", x
        elif a is not None:
            try:
                y = -a ** 2 + (a if b else 0)
            except TypeError:
                y = """m
  l"""
            finally:
                z = "q" + \\
                    "r"
        # trailing
        match a:
            case 1:
                return y, z, 0 < a <= 2
        def inner(v):
            return v*2
        return [inner(k) for k in range(a) if k%2], y, z, (lambda t: t-1)(a)
''',
    ((0, 1), (1, 2), (3,), ("s", "t"), (2.5, 0)),
    "fmt",
)


def _tokens(source: str, language: str) -> list[str]:
    code = parse(source, language, unit=True)
    out = []
    for n in code.walk():
        if n.child_count == 0 and "comment" not in n.type:
            out.append(code.node_text(n))
        elif "comment" in n.type:
            out.append(" ".join(code.node_text(n).split()))
    return out


@pytest.mark.parametrize("program,language", [(JAVA, "java"), (C, "c")])
def test_only_whitespace_between_tokens_changes(program, language):
    outs = variants(program.source, language, LAYOUT)
    kinds = {detail.split(" ")[0] for detail, _ in outs}
    assert kinds >= {"re-indenting:", "removing", "adding", "moving"}
    for _, text in outs:
        assert _tokens(text, language) == _tokens(program.source, language)


def test_python_variants_have_the_same_ast():
    outs = variants(PYTHON.source, "python", LAYOUT)
    assert {d.split(" ")[0] for d, _ in outs} >= {"re-indenting:", "removing", "adding"}
    want = ast.dump(ast.parse("if True:\n" + PYTHON.source))
    for _, text in outs:
        assert ast.dump(ast.parse("if True:\n" + text)) == want
        assert text.splitlines()[0] == PYTHON.source.splitlines()[0]  # the base indentation stays
        assert len(text.splitlines()) == len(PYTHON.source.splitlines())  # no line broken or joined


@pytest.mark.skipif(not HAVE_JAVA, reason="needs javac and java")
def test_java_variants_behave_the_same(tmp_path):
    assert compare_java([JAVA], [LAYOUT], tmp_path) >= 5


@pytest.mark.skipif(not HAVE_GCC, reason="needs gcc")
def test_c_variants_behave_the_same(tmp_path):
    assert compare_c([C], [LAYOUT], tmp_path, C_PRELUDE) >= 5


def test_python_variants_behave_the_same():
    assert compare_python([PYTHON], [LAYOUT]) >= 4


def test_hazardous_joins_keep_their_space():
    outs = {t for _, t in variants(JAVA.source, "java", LAYOUT) if "removing" in _}
    compact = next(iter(outs))
    assert "b- -a" in compact and "a>b?a-b:b/ -1" in compact
    c_compact = next(t for d, t in variants(C.source, "c", LAYOUT) if d.startswith("removing"))
    assert "0x1E -1" in c_compact  # `0x1E-1` would be one preprocessing number in C
    assert "a/ *p" in c_compact  # `a/*p` would open a comment
    assert "SHOW(a+b)+SHOW(a * b)" in c_compact  # macro arguments may be stringified: left alone


def test_reindent_python_moves_continuations_with_their_statement_and_keeps_strings():
    two = next(t for d, t in variants(PYTHON.source, "python", LAYOUT, seeds=range(8)) if "-> 2 spaces" in d)
    assert "      x = [1,\n           2]  # c\n" in two
    assert '                y = """m\n  l"""\n' not in two and '          y = """m\n  l"""\n' in two
    assert "      # trailing\n      match a:\n" in two


def test_crlf_stays_crlf():
    src = (
        "static int f(int a) {\r\n    if (a > 0) {\r\n        return a+1;\r\n    }\r\n    return 0;\r\n}\r\n"
    )
    for _, text in variants(src, "java", LAYOUT):
        assert text.count("\n") == text.count("\r\n")
