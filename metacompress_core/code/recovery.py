"""Error recovery for C files: the functions of a file survive one broken function.

tree-sitter's own recovery keeps a C file's tree, but a function with an unbalanced brace or a statement-like
macro without its `;` swallows everything after it (the next functions become nested definitions inside an
error). Here the regions of the file that hold an error are cut into top-level pieces by brace depth and by
the layout real C code has (a function's closing brace, and the next definition, start at column 0), and each
piece is parsed on its own, at its place in the file: the pieces that are whole, clean function definitions
become units again; the broken region itself yields nothing.
"""

from __future__ import annotations

import bisect
import re

import tree_sitter

from metacompress_core.code.parsing import Code

_LABEL = re.compile(rb"[A-Za-z_]\w*\s*:(?!:)")
_STARTS_DEFINITION = re.compile(rb"[A-Za-z_]")


def error_regions(code: Code) -> list[tuple[int, int]]:
    """The byte ranges of the top-level nodes of a file's tree that hold an ERROR or MISSING node."""
    return [(n.start_byte, n.end_byte) for n in code.tree.root_node.children if n.has_error]


def _pieces(src: bytes, start: int, end: int) -> list[tuple[int, int]]:
    """Cut src[start:end] into top-level pieces: after a `}` that brings the brace depth back to 0, after a
    `}` at column 0, and before a line at column 0 that starts a new definition while a brace is still open
    (the piece before it is broken). Comments, strings, characters and preprocessor lines are skipped."""
    cuts = [start]
    depth = 0
    i = start
    at_line_start = i == 0 or src[i - 1 : i] == b"\n"
    while i < end:
        ch = src[i : i + 1]
        if at_line_start:
            at_line_start = False
            if ch == b"#":  # a preprocessor line (with its continuations)
                while i < end and not (src[i : i + 1] == b"\n" and src[i - 1 : i] != b"\\"):
                    i += 1
                at_line_start = True
                i += 1
                continue
            if depth > 0 and _STARTS_DEFINITION.match(ch) and not _LABEL.match(src, i):
                if i > cuts[-1]:
                    cuts.append(i)
                depth = 0
            if ch == b"}":
                depth = 0
                cut = i + 1
                if cut > cuts[-1]:
                    cuts.append(cut)
                i += 1
                continue
        if ch == b"\n":
            at_line_start = True
        elif src.startswith(b"/*", i):
            close = src.find(b"*/", i + 2, end)
            nl = src.count(b"\n", i, close if close >= 0 else end)
            i = close + 2 if close >= 0 else end
            at_line_start = nl > 0 and src[i - 1 : i] == b"\n"
            continue
        elif src.startswith(b"//", i):
            nl = src.find(b"\n", i, end)
            i = nl if nl >= 0 else end
            continue
        elif ch in (b'"', b"'"):
            j = i + 1
            while j < end and src[j : j + 1] not in (ch, b"\n"):
                j += 2 if src[j : j + 1] == b"\\" else 1
            i = j + 1
            continue
        elif ch == b"{":
            depth += 1
        elif ch == b"}":
            depth = max(0, depth - 1)
            if depth == 0 and i + 1 > cuts[-1]:
                cuts.append(i + 1)
        i += 1
    cuts.append(end)
    return [(a, b) for a, b in zip(cuts, cuts[1:], strict=False) if src[a:b].strip()]


def recovered_pieces(code: Code) -> list[Code]:
    """Each top-level piece of the file's broken regions, parsed alone at its own place: a `Code` with the
    file's bytes and a tree of that piece only (offsets and points are the file's)."""
    if code.is_unit or code.language.name != "c":
        return []
    out = []
    parser = code.language.parser()
    starts = [0, *(m.end() for m in re.finditer(rb"\n", code.src))]  # where each line begins

    def point(offset: int) -> tuple[int, int]:
        line = bisect.bisect_right(starts, offset) - 1
        return line, offset - starts[line]

    for start, end in error_regions(code):
        for a, b in _pieces(code.src, start, end):
            # Only the piece is parsed (tree-sitter's included ranges), at the file's own offsets: linear in
            # the piece, where blanking the rest of the file would cost the whole file for every piece.
            parser.included_ranges = [tree_sitter.Range(point(a), point(b), a, b)]
            out.append(Code(code.language, code.src, parser.parse(code.src), 0, False))
    return out
