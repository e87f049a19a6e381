"""Comment insertion and removal: comments never change what code does."""

from __future__ import annotations

import random

from metacompress_core.code.parsing import Code
from metacompress_core.transforms.analysis.statements import statements
from metacompress_core.transforms.analysis.text import indent_of, line_start, newline, starts_line
from metacompress_core.transforms.base import Rewrite, Site, Splice

_COMMENTS = (
    "check the input first",
    "compute the result",
    "TODO: revisit this",
    "handle the common case",
    "update state",
    "see caller for details",
    "keep this in sync",
    "fast path",
)


def _comment_text(language: str, words: str) -> str:
    # C: a block comment, which every C standard has (`//` is C99 and an error under -std=c89 -pedantic).
    return {"python": f"# {words}", "c": f"/* {words} */"}.get(language, f"// {words}")


class InsertComment:
    name = "insert-comment"
    languages = frozenset({"java", "c", "python"})
    description = "insert a comment line before a statement"

    def sites(self, code: Code) -> list[Site]:
        return [Site(s) for s in statements(code) if starts_line(code, s)]

    def rewrite(self, code: Code, site: Site, rng: random.Random) -> Rewrite | None:
        words = rng.choice(_COMMENTS)
        start, _ = code.span(site.node)
        at = line_start(code, start)
        text = f"{indent_of(code, site.node)}{_comment_text(code.language.name, words)}{newline(code)}"
        return Rewrite((Splice(at, at, text),), f"inserting comment '{words}'")


class RemoveComment:
    name = "remove-comment"
    languages = frozenset({"java", "c", "python"})
    description = "remove a comment (a whole line when the comment stands alone on it)"

    def sites(self, code: Code) -> list[Site]:
        return [Site(n) for n in code.walk() if n.type in ("comment", "line_comment", "block_comment")]

    def rewrite(self, code: Code, site: Site, rng: random.Random) -> Rewrite | None:
        start, end = code.span(site.node)
        src = code.src
        line_end = src.find(b"\n", end)
        line_end = len(src) if line_end < 0 else line_end + 1
        if starts_line(code, site.node) and not src[end:line_end].strip():
            at = line_start(code, start)
            return Rewrite((Splice(at, line_end, ""),), "removing a comment line")
        # A comment between tokens still separates them: keep a space (or the line break of a // comment).
        return Rewrite((Splice(start, end, " "),), "removing a comment")


TRANSFORMS = (InsertComment(), RemoveComment())
