"""Text helpers that transforms share: lines, indentation, newlines, identifiers and fresh names.

Lines as edits see them: re-indenting a stretch of code (moving statements into or out of a block) is only
safe at line breaks that are not inside a literal (a Java text block, a Python triple-quoted string, a C
string continued with a backslash), whose bytes are data: `line_starts` lists the others.
"""

from __future__ import annotations

import builtins
import keyword
import random
from functools import lru_cache

import tree_sitter

from metacompress_core.code.parsing import Code
from metacompress_core.transforms.analysis.macro_uses import env_of

JAVA_KEYWORDS = frozenset(
    """abstract assert boolean break byte case catch char class const continue default do double else enum
    extends final finally float for goto if implements import instanceof int interface long native new package
    private protected public return short static strictfp super switch synchronized this throw throws
    transient try void volatile while true false null var record yield sealed permits non-sealed""".split()
)
C_KEYWORDS = frozenset(
    """auto break case char const continue default do double else enum extern float for goto if inline int
    long register restrict return short signed sizeof static struct switch typedef union unsigned void
    volatile while _Bool _Complex _Imaginary bool true false NULL main""".split()
)
PYTHON_RESERVED = frozenset(keyword.kwlist) | frozenset(keyword.softkwlist) | frozenset(dir(builtins))
RESERVED = {"java": JAVA_KEYWORDS, "c": C_KEYWORDS, "python": PYTHON_RESERVED}

# Plain, natural names for fresh identifiers (renaming, unused declarations, dead code).
NATURAL_NAMES = (
    "value tmp result item count index total data buf len size offset pos idx key elem node current prev "
    "next_val acc flag status res ret val num cnt limit start end step width height state entry target "
    "source dest out input output handle ctx info temp aux sum product delta"
).split()


def newline(code: Code) -> str:
    return "\r\n" if b"\r\n" in code.src else "\n"


def line_start(code: Code, pos: int) -> int:
    return code.src.rfind(b"\n", 0, pos) + 1


def indent_of(code: Code, node: tree_sitter.Node) -> str:
    """The whitespace at the start of the line on which `node` starts."""
    start, _ = code.span(node)
    ls = line_start(code, start)
    line = code.src[ls:start]
    ws = line[: len(line) - len(line.lstrip(b" \t"))]
    return ws.decode()


def indent_unit(code: Code) -> str:
    """The code's indentation step (four spaces unless the code shows another)."""
    widths = set()
    prev = None
    for raw in code.src.splitlines():
        if not raw.strip():
            continue
        ws = raw[: len(raw) - len(raw.lstrip(b" \t"))]
        if ws.startswith(b"\t"):
            return "\t"
        if prev is not None and len(ws) > prev:
            widths.add(len(ws) - prev)
        prev = len(ws)
    return " " * (min(widths) if widths else 4)


def starts_line(code: Code, node: tree_sitter.Node) -> bool:
    """True when only whitespace precedes `node` on its line."""
    start, _ = code.span(node)
    return not code.src[line_start(code, start) : start].strip()


_LITERAL_TYPES = {
    "java": {"string_literal", "text_block", "character_literal"},
    "c": {"string_literal", "raw_string_literal", "char_literal", "system_lib_string"},
    "python": {"string", "concatenated_string"},
}


def literal_spans(code: Code, node: tree_sitter.Node | None = None) -> list[tuple[int, int]]:
    """Byte spans of the string/char literals under `node` that run over more than one line."""
    types = _LITERAL_TYPES[code.language.name]
    spans = []
    for n in code.walk(node):
        if n.type in types and n.start_point[0] != n.end_point[0]:
            spans.append(code.span(n))
    return spans


@lru_cache(maxsize=16)
def _code_literal_spans(code: Code) -> tuple[tuple[int, int], ...]:
    return tuple(literal_spans(code))  # a Code hashes by identity: one walk per parsed unit


def _inside(pos: int, spans: tuple[tuple[int, int], ...]) -> bool:
    return any(s < pos < e for s, e in spans)


def line_starts(code: Code, start: int, end: int) -> list[int]:
    """Offsets in (start, end) at which a line begins outside any multi-line literal."""
    spans = _code_literal_spans(code)
    out, pos = [], code.src.find(b"\n", start, end)
    while pos >= 0:
        if pos + 1 < end and not _inside(pos + 1, spans):
            out.append(pos + 1)
        pos = code.src.find(b"\n", pos + 1, end)
    return out


def line_end(code: Code, pos: int) -> int:
    """Where the line holding `pos` ends: the offset of its `\n` (or `\r\n`), or the end of the code."""
    eol = code.src.find(b"\n", pos)
    if eol < 0:
        return len(code.src)
    return eol - 1 if eol > 0 and code.src[eol - 1 : eol] == b"\r" else eol


def line_number(code: Code, node: tree_sitter.Node) -> int:
    """1-based line of `node` in its file (the code's own lines when it was parsed alone; wrappers excluded)."""
    return code.first_line + code.src.count(b"\n", 0, code.span(node)[0]) + 1


def identifiers(code: Code) -> set[str]:
    """Every identifier-like token text in the code (any kind of identifier node)."""
    return {code.node_text(n) for n in code.walk() if n.type.endswith("identifier") or n.type == "identifier"}


def fresh_name(code: Code, rng: random.Random, taken: set[str] | None = None, pool=NATURAL_NAMES) -> str:
    """A name that occurs nowhere in the code, is no keyword or builtin, and is not in `taken`."""
    used = identifiers(code) | set(taken or ()) | RESERVED[code.language.name]
    if code.language.name == "c":
        used |= env_of(code).body_words  # a macro's name, or a name a macro body reads: no capture
    words = code.text  # also avoid names that occur inside strings/comments, to keep diffs unambiguous
    choices = [n for n in pool if n not in used and n not in words]
    if choices:
        return rng.choice(choices)
    base = rng.choice(pool)
    i = 2
    while f"{base}{i}" in used or f"{base}{i}" in words:
        i += 1
    return f"{base}{i}"
