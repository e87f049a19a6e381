"""C functions that tree-sitter cannot parse because of a macro, parsed with the macro use masked.

Real C (Devign's FFmpeg and QEMU functions) often does not parse as written: an attribute macro in the
header (`static av_cold int init(...)`, `coroutine_fn`), a loop macro (`QTAILQ_FOREACH(req, &s->reqs, next)
{ ... }`), a statement macro without its `;` (`FF_DISABLE_DEPRECATION_WARNINGS`). When a unit does not parse,
`mask` tries, in turn: blanking one attribute-like word of the header; reading each loop macro head on a line
of its own as `while(1)`; blanking a bare upper-case statement macro that stands between two statements. The
first that parses cleanly is kept: the tree is the masked text's, the code keeps its own text, and the masked
ranges travel with it (`Code.masked`). Transforms never edit a masked range (`apply_at` declines such a
rewrite), names written inside one are never renamed, and a masked macro counts as one that may read any
name and hide any jump.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_WORD = re.compile(rb"[A-Za-z_]\w*")
_C_HEADER_WORDS = frozenset(
    b"""static inline const volatile extern unsigned signed int char short long float double void struct
    union enum register auto restrict _Bool bool __inline __inline__ __attribute__""".split()
)
# `NAME(args) {` or `NAME(args)` alone on its line: a loop macro's head.
_LOOP_HEAD = re.compile(
    rb"^[ \t]*([A-Z_][A-Z0-9_]*[ \t]*\((?:[^()\n]|\((?:[^()\n]|\([^()\n]*\))*\))*\))[ \t]*(?=\{|\r?\n)", re.M
)
_BARE = re.compile(rb"^[ \t]*([A-Z_][A-Z0-9_]*)[ \t]*\r?$", re.M)
_STATEMENT_END = (b";", b"{", b"}")


@dataclass(frozen=True)
class Mask:
    start: int
    end: int
    words: frozenset[str]  # the names written in the masked text


def _blank(src: bytes, start: int, end: int) -> bytes:
    return src[:start] + re.sub(rb"[^\n]", b" ", src[start:end]) + src[end:]


def _mask(start: int, end: int, src: bytes) -> Mask:
    return Mask(start, end, frozenset(w.decode() for w in _WORD.findall(src[start:end])))


def _after_statement(src: bytes, pos: int) -> bool:
    """True when the last non-blank text before `pos` ends a statement or opens/closes a block."""
    before = src[:pos].rstrip()
    return not before or before.endswith(_STATEMENT_END) or before.endswith(b"*/")


def candidates(src: bytes) -> list[tuple[bytes, tuple[Mask, ...]]]:
    """Masked texts to try, in order, with their masks."""
    out: list[tuple[bytes, tuple[Mask, ...]]] = []
    paren = src.find(b"(")
    header = src[:paren] if paren > 0 else b""
    words = list(_WORD.finditer(header))
    for m in words[:-1]:  # the last word before `(` is the function's name
        if m.group() not in _C_HEADER_WORDS:
            out.append((_blank(src, m.start(), m.end()), (_mask(m.start(), m.end(), src),)))
    text, masks = src, []
    for m in _LOOP_HEAD.finditer(src):
        start, end = m.span(1)
        before = src[:start].rstrip()
        if end - start >= len(b"while(1)") and (
            _after_statement(src, start) or before.endswith(b")") or before.endswith(b"else")
        ):
            text = text[:start] + b"while(1)" + b" " * (end - start - 8) + text[end:]
            masks.append(_mask(start, end, src))
    for m in _BARE.finditer(src):
        start, end = m.span(1)
        if _after_statement(src, start):
            text = _blank(text, start, end)
            masks.append(_mask(start, end, src))
    if masks:
        out.append((text, tuple(masks)))
        for m in words[:-1]:
            if m.group() not in _C_HEADER_WORDS:
                out.append((_blank(text, m.start(), m.end()), (_mask(m.start(), m.end(), src), *masks)))
    return out
