"""Parsing a piece of code (a whole file or one unit) into an immutable tree-sitter tree.

A unit's code is not always a complete program on its own (a Java method needs a class around it; an indented
Python method needs a block), so it is parsed inside a wrapper. `Code` hides the wrapper: every span it hands
out is relative to the code itself.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import tree_sitter

from metacompress_core.code.languages import Language, language_by_name
from metacompress_core.code.macros import MacroEnv
from metacompress_core.code.masking import Mask, candidates


def _unit_wrapper(language: str, src: bytes) -> tuple[bytes, bytes]:
    if language == "java":
        return b"class __MetaCompressUnit__ {\n", b"\n}\n"
    if language == "python" and src[:1] in (b" ", b"\t"):
        return b"if True:\n", b""
    return b"", b""


@dataclass(frozen=True, eq=False)
class Code:
    """Source bytes with their tree. Offsets are byte offsets into `src`."""

    language: Language
    src: bytes
    tree: tree_sitter.Tree
    offset: int = 0  # bytes of wrapper before `src` in the parsed buffer
    is_unit: bool = False  # parsed as one function/method rather than a whole file
    first_line: int = 0  # the file line (0-based) where `src` starts, so that people read lines of the file
    macros: MacroEnv | None = None  # C: the macros of the unit's file and headers (None: not known)
    masked: tuple[Mask, ...] = ()  # C: macro uses the parser read masked (code/masking.py); never edited

    @property
    def text(self) -> str:
        return self.src.decode("utf-8", errors="surrogateescape")

    @property
    def root(self) -> tree_sitter.Node:
        """The node of the code itself: the unit's definition, or the whole file's root."""
        whole = self.tree.root_node
        if not self.is_unit:
            return whole
        stripped = self.src.strip()
        if not stripped:
            return whole
        start = self.offset + self.src.index(stripped)
        node = whole.named_descendant_for_byte_range(start, start + len(stripped))
        return node or whole

    def span(self, node: tree_sitter.Node) -> tuple[int, int]:
        return node.start_byte - self.offset, node.end_byte - self.offset

    def node_text(self, node: tree_sitter.Node) -> str:
        start, end = self.span(node)
        return self.src[start:end].decode("utf-8", errors="surrogateescape")

    def walk(self, node: tree_sitter.Node | None = None) -> Iterator[tree_sitter.Node]:
        """Every node below `node` (default: the code's root), in document order."""
        stack = [node or self.root]
        while stack:
            n = stack.pop()
            yield n
            stack.extend(reversed(n.children))

    def has_errors(self) -> bool:
        """True when the tree holds an ERROR or MISSING node anywhere (wrapper included)."""
        return self.tree.root_node.has_error


def parse(
    source: str | bytes,
    language: Language | str,
    unit: bool = False,
    first_line: int = 0,
    macros: MacroEnv | None = None,
) -> Code:
    """Parse `source`; with `unit=True` the source is one function/method and is wrapped where needed.

    `first_line`: the 0-based line of the file where `source` starts (lines in transform details count from it).
    `macros`: C, the macros visible to the code (metacompress_core/code/macros.py), for the transforms.
    C units that do not parse because of a macro use are parsed with it masked (metacompress_core/code/masking.py).
    """
    lang = language_by_name(language) if isinstance(language, str) else language
    src = source.encode("utf-8", errors="surrogateescape") if isinstance(source, str) else source
    prefix, suffix = _unit_wrapper(lang.name, src) if unit else (b"", b"")
    parser = lang.parser()
    tree = parser.parse(prefix + src + suffix)
    masked: tuple[Mask, ...] = ()
    if unit and lang.name == "c" and tree.root_node.has_error:
        for text, masks in candidates(src):  # a macro use that does not parse as C: read it masked
            attempt = parser.parse(prefix + text + suffix)
            if not attempt.root_node.has_error:
                tree, masked = attempt, masks
                break
    return Code(lang, src, tree, len(prefix), unit, first_line=first_line, macros=macros, masked=masked)
