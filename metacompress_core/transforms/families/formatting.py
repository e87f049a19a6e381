"""Whitespace-only reformatting: another indentation step, spaces around binary operators, and the brace
style of Java/C blocks. Every token stays as it is; only whitespace between tokens changes.

What must not move: the bytes of a multi-line string (they are data), a line continued with a backslash
(part of one C macro or string), C preprocessor lines, and in Python the indentation structure. Python
lines that start a statement or clause are re-indented from their depth in the tree (blocks between them
and the function), so every block stays consistent; the other lines (continuations inside brackets,
comment lines) move along with the statement they belong to; no Python line is ever broken or joined.
Spaces around an operator are removed only where the neighbouring tokens cannot fuse (`a - -b`,
`a / *p`, and C's `0x1E - 1`, which would read as one preprocessing number), and never inside a C call
whose callee may be a macro that turns its argument's spelling into a string, or inside a Python f-string.
"""

from __future__ import annotations

import random
from collections import Counter

import tree_sitter

from metacompress_core.code.parsing import Code
from metacompress_core.transforms.analysis.statements import has_preprocessor
from metacompress_core.transforms.analysis.syntax import OPERATOR_CHARS, WORD_CHARS, spelling_visible
from metacompress_core.transforms.analysis.text import literal_spans, newline
from metacompress_core.transforms.base import Rewrite, Site, Splice

_PY_CLAUSES = {
    "elif_clause",
    "else_clause",
    "except_clause",
    "except_group_clause",
    "finally_clause",
    "case_clause",
    "decorator",
}
_PY_OPERATORS = {
    "<",
    ">",
    "<=",
    ">=",
    "==",
    "!=",
    "+",
    "-",
    "*",
    "/",
    "//",
    "%",
    "@",
    "**",
    "&",
    "|",
    "^",
    "<<",
    ">>",
}
# Blocks that are not the body of a statement header, or whose `{` on its own line would look odd.
_NOT_HEADERS = {"block", "compound_statement", "lambda_expression", "switch_rule"}
_BRACE_BLOCKS = {"java": {"block", "constructor_body", "switch_block"}, "c": {"compound_statement"}}


# ---------------------------------------------------------------- lines


def _lines(code: Code) -> list[tuple[int, int]]:
    """(start, end) of every line's content, without its newline."""
    out, pos, src = [], 0, code.src
    while pos <= len(src):
        eol = src.find(b"\n", pos)
        end = len(src) if eol < 0 else eol
        out.append((pos, end - 1 if end > pos and src[end - 1 : end] == b"\r" else end))
        if eol < 0:
            break
        pos = eol + 1
    return out


def _leading(code: Code, start: int, end: int) -> bytes:
    line = code.src[start:end]
    return line[: len(line) - len(line.lstrip(b" \t"))]


def _movable_lines(code: Code) -> list[tuple[int, int]]:
    """Lines after the first whose indentation may change: not blank, not starting inside a multi-line
    literal, not continuing a backslash line, not a C preprocessor line."""
    spans = literal_spans(code)
    lines = _lines(code)
    out = []
    for i, (start, end) in enumerate(lines):
        if i == 0 or not code.src[start:end].strip():
            continue
        prev_start, prev_end = lines[i - 1]
        if code.src[prev_start:prev_end].endswith(b"\\"):
            continue
        if any(s < start < e for s, e in spans):
            continue
        if code.language.name == "c" and code.src[start:end].lstrip().startswith(b"#"):
            continue
        out.append((start, end))
    return out


def _step(widths: list[int]) -> int | None:
    """The most common positive increase of indentation between consecutive lines."""
    rises = Counter(b - a for a, b in zip(widths, widths[1:], strict=False) if b > a)
    if not rises:
        return None
    best = max(rises.values())
    return min(r for r, n in rises.items() if n == best)


def _base(code: Code) -> bytes:
    first = _lines(code)[0]
    return _leading(code, *first)


# ---------------------------------------------------------------- indentation


def _tabs_then_spaces(lead: bytes) -> tuple[int, int] | None:
    tabs = len(lead) - len(lead.lstrip(b"\t"))
    rest = lead[tabs:]
    return (tabs, len(rest)) if b"\t" not in rest else None


def _c_like_reindent(code: Code, new: str) -> list[Splice] | None:
    """Java/C: each line's indentation beyond the first line's is `levels * step + rest`; write it again
    with the new step (`rest`, e.g. the space before ` * ` in a block comment, is kept)."""
    base = _base(code)
    lines = _movable_lines(code)
    leads = [_leading(code, s, e) for s, e in lines]
    shapes = [_tabs_then_spaces(lead) for lead in [base, *leads]]
    if None in shapes:
        return None  # spaces before tabs: no telling what a level is
    tabs = any(t for t, _ in shapes)
    if tabs and shapes[0][1]:
        return None
    old = None if tabs else _step([len(lead) for lead in leads])
    if not tabs and old is None:
        return None
    splices = []
    for (start, _), lead, (t, sp) in zip(lines, leads, shapes[1:], strict=True):
        if tabs:
            levels, rest = t - shapes[0][0], sp
        else:
            levels, rest = divmod(len(lead) - len(base), old)
        if levels < 0 or len(lead) < len(base):
            continue
        text = base.decode() + new * levels + " " * rest
        if text.encode() != lead:
            splices.append(Splice(start, start + len(lead), text))
    return splices


def _py_structural_depth(code: Code, pos: int) -> int | None:
    """Python: the block depth (below the function) of the statement or clause that starts at `pos`, or
    None when the line starting there continues something else or is a comment."""
    root = code.root
    node = code.tree.root_node.descendant_for_byte_range(pos + code.offset, pos + code.offset + 1)
    if node is None or node.type == "comment":
        return None
    while node is not None and node.start_byte == pos + code.offset:
        parent = node.parent
        structural = (
            node == root
            or node.type in _PY_CLAUSES
            or (parent is not None and parent.type in ("block", "module"))
            or (parent is not None and parent.type == "decorated_definition" and node.type != "decorator")
        )
        if structural:
            depth, a = 0, node.parent
            while a is not None and node != root and a != root:
                depth += a.type == "block"
                a = a.parent
            return depth
        if node == root:
            break
        node = parent
    return None


def _python_reindent(code: Code, new: str) -> list[Splice] | None:
    base = _base(code)
    lines = _movable_lines(code)
    leads = [_leading(code, s, e) for s, e in lines]
    if b"\t" in base or any(b"\t" in lead for lead in leads):
        return None
    depths = [_py_structural_depth(code, s + len(lead)) for (s, _), lead in zip(lines, leads, strict=True)]
    targets = [None if d is None else len(base) + d * len(new) for d in depths]
    # A continuation line moves with the statement above it, a comment line with the statement below it.
    deltas: list[int | None] = [
        None if t is None else t - len(lead) for t, lead in zip(targets, leads, strict=True)
    ]
    out_widths = []
    last = 0
    for i, lead in enumerate(leads):
        if deltas[i] is not None:
            last = deltas[i]
            out_widths.append(targets[i])
            continue
        start = lines[i][0] + len(lead)
        delta = last
        if code.src[start : start + 1] == b"#":
            delta = next((d for d in deltas[i + 1 :] if d is not None), last)
        out_widths.append(max(0, len(lead) + delta))
    splices = []
    for (start, _), lead, width in zip(lines, leads, out_widths, strict=True):
        if width != len(lead):
            splices.append(Splice(start, start + len(lead), " " * width))
    return splices


def _python_step(code: Code) -> int | None:
    lines = _movable_lines(code)
    base = len(_base(code))
    for start, end in lines:
        lead = _leading(code, start, end)
        if _py_structural_depth(code, start + len(lead)) == 1:
            return len(lead) - base
    return None


def _current_step(code: Code) -> str | None:
    if code.language.name == "python":
        step = _python_step(code)
        return " " * step if step else None
    leads = [_leading(code, s, e) for s, e in _movable_lines(code)]
    if any(b"\t" in lead for lead in leads):
        return "\t"
    step = _step([len(lead) for lead in leads])
    return " " * step if step else None


# ---------------------------------------------------------------- operators


def _operator_tokens(code: Code) -> list[tuple[tree_sitter.Node, tree_sitter.Node, tree_sitter.Node]]:
    """(left operand, operator token, right operand) of every binary operator whose spacing may change."""
    out = []
    lang = code.language.name
    for n in code.walk():
        wanted = ("binary_operator", "comparison_operator") if lang == "python" else ("binary_expression",)
        if n.type not in wanted or spelling_visible(code, n):
            continue
        kids = [c for c in n.children if c.type not in ("comment", "line_comment", "block_comment")]
        for i in range(1, len(kids) - 1):
            op = kids[i]
            if op.is_named or (lang == "python" and op.type not in _PY_OPERATORS):
                continue
            out.append((kids[i - 1], op, kids[i + 1]))
    return out


def _can_touch(a: int, b: int) -> bool:
    return not ((a in WORD_CHARS and b in WORD_CHARS) or (a in OPERATOR_CHARS and b in OPERATOR_CHARS))


def _gap(code: Code, a: tree_sitter.Node, b: tree_sitter.Node) -> tuple[int, int]:
    return a.end_byte - code.offset, b.start_byte - code.offset


def _compact_splices(code: Code) -> list[Splice]:
    src = code.src
    out = []
    for left, op, right in _operator_tokens(code):
        (l0, l1), (r0, r1) = _gap(code, left, op), _gap(code, op, right)
        if l1 > l0 and not src[l0:l1].strip(b" \t") and _can_touch(src[l0 - 1], src[l1]):
            last = _last_leaf(left)
            if not (code.language.name == "c" and last.type == "number_literal" and op.type[0] in "+-"):
                out.append(Splice(l0, l1, ""))
        if r1 > r0 and not src[r0:r1].strip(b" \t") and _can_touch(src[r0 - 1], src[r1]):
            out.append(Splice(r0, r1, ""))
    return out


def _last_leaf(node: tree_sitter.Node) -> tree_sitter.Node:
    while node.child_count:
        node = node.children[-1]
    return node


def _spacing_splices(code: Code) -> list[Splice]:
    out = []
    for left, op, right in _operator_tokens(code):
        (l0, l1), (r0, r1) = _gap(code, left, op), _gap(code, op, right)
        if l0 == l1:
            out.append(Splice(l0, l0, " "))
        if r0 == r1:
            out.append(Splice(r0, r0, " "))
    return out


# ---------------------------------------------------------------- braces


def _brace_gaps(code: Code) -> list[tuple[int, int, tree_sitter.Node]]:
    """(gap start, gap end, block) for each block whose `{` follows its header's last token."""
    out = []
    for n in code.walk():
        if n.type not in _BRACE_BLOCKS[code.language.name] or not n.children or n.children[0].type != "{":
            continue
        prev = n.prev_sibling
        parent = n.parent
        if prev is None or parent is None or parent.type in _NOT_HEADERS:
            continue
        if prev.type.startswith("preproc") or "comment" in prev.type or spelling_visible(code, n):
            continue
        if code.language.name == "c" and (
            has_preprocessor(n) or any(c.type.startswith("preproc") for c in parent.children)
        ):
            continue
        start, end = prev.end_byte - code.offset, n.start_byte - code.offset
        if code.src[start:end].strip():
            continue
        out.append((start, end, n))
    return out


def _brace_splices(code: Code, own_line: bool) -> list[Splice]:
    out = []
    nl = newline(code)
    for start, end, _ in _brace_gaps(code):
        gap = code.src[start:end]
        if own_line and b"\n" not in gap:
            header_line = code.src.rfind(b"\n", 0, start) + 1
            indent = _leading(code, header_line, start).decode()
            out.append(Splice(start, end, nl + indent))
        elif not own_line and b"\n" in gap:
            out.append(Splice(start, end, " "))
    return out


# ---------------------------------------------------------------- the transform


class ReformatLayout:
    name = "reformat-layout"
    languages = frozenset({"java", "c", "python"})
    description = "change whitespace only: indentation step, spaces around operators, brace placement"

    def sites(self, code: Code) -> list[Site]:
        out = []
        if _current_step(code) is not None:
            out.append(Site(code.root, "indent"))
        if _compact_splices(code):
            out.append(Site(code.root, "compact-operators"))
        if _spacing_splices(code):
            out.append(Site(code.root, "space-operators"))
        if code.language.name != "python":
            if _brace_splices(code, own_line=True):
                out.append(Site(code.root, "braces-own-line"))
            if _brace_splices(code, own_line=False):
                out.append(Site(code.root, "braces-same-line"))
        return out

    def rewrite(self, code: Code, site: Site, rng: random.Random) -> Rewrite | None:
        kind = site.data
        if kind == "indent":
            old = _current_step(code)
            choices = ["  ", "    ", "        "] + (["   "] if code.language.name == "python" else ["\t"])
            new = rng.choice([c for c in choices if c != old])
            splices = (_python_reindent if code.language.name == "python" else _c_like_reindent)(code, new)
            if not splices:
                return None
            return Rewrite(tuple(splices), f"re-indenting: {_describe(old)} -> {_describe(new)} per level")
        if kind == "compact-operators":
            splices = _compact_splices(code)
            return Rewrite(tuple(splices), f"removing {len(splices)} spaces around binary operators")
        if kind == "space-operators":
            splices = _spacing_splices(code)
            return Rewrite(tuple(splices), f"adding {len(splices)} spaces around binary operators")
        own_line = kind == "braces-own-line"
        splices = _brace_splices(code, own_line)
        where = "onto their own lines" if own_line else "up to the line before"
        return Rewrite(tuple(splices), f"moving {len(splices)} opening braces {where}")


def _describe(step: str | None) -> str:
    if step == "\t":
        return "a tab"
    return f"{len(step or '')} spaces"


TRANSFORMS = (ReformatLayout(),)
