"""Statements in statement position: the places where whole statements may be inserted, moved or wrapped."""

from __future__ import annotations

import tree_sitter

from metacompress_core.code.parsing import Code

# The node types of a statement list (a body between braces, or an indented Python block).
BLOCK_TYPES = {"java": {"block"}, "c": {"compound_statement"}, "python": {"block"}}
_NOT_STATEMENTS = {"comment", "line_comment", "block_comment", "{", "}"}
# C preprocessor lines are not statements: moving or wrapping around them changes what they guard.
_PREPROCESSOR = ("preproc_",)


def is_block(code: Code, node: tree_sitter.Node) -> bool:
    return node.type in BLOCK_TYPES[code.language.name]


def block_statements(code: Code, block: tree_sitter.Node) -> list[tree_sitter.Node]:
    """The statements directly inside `block`, in order."""
    return [
        c
        for c in block.named_children
        if c.type not in _NOT_STATEMENTS and not c.type.startswith(_PREPROCESSOR)
    ]


def blocks(code: Code) -> list[tree_sitter.Node]:
    """Every statement list inside the code, outermost first."""
    return [n for n in code.walk() if is_block(code, n)]


def statements(code: Code) -> list[tree_sitter.Node]:
    """Every statement that sits directly in a statement list, in document order."""
    return [s for b in blocks(code) for s in block_statements(code, b)]


def has_preprocessor(block: tree_sitter.Node) -> bool:
    return any(c.type.startswith(_PREPROCESSOR) for c in block.named_children)
