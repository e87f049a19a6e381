"""Lines of code as edits see them: where lines begin outside multi-line literals, where they end, and
their numbers.

Re-indenting a stretch of code (moving statements into or out of a block) is only safe at line breaks that
are not inside a literal (a Java text block, a Python triple-quoted string, a C string continued with a
backslash), whose bytes are data: `line_starts` lists the others.
"""

from __future__ import annotations

from functools import lru_cache

import tree_sitter

from metacompress_core.code.parsing import Code

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
