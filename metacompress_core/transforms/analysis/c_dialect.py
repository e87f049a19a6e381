"""C89 declaration order: a function written with every declaration at the top of its block stays so.

C99 lets a block declare a variable after a statement; C89 does not (`gcc -std=c89 -pedantic` warns,
`-Werror` rejects, older compilers refuse), and much real C (cJSON, FFmpeg, the Linux kernel) keeps the old
order on purpose. A rewrite that inserts a statement before a declaration, or a declaration after a
statement, would change which dialect the function needs, so it is declined when the function did not
already mix them (base.apply_at).
"""

from __future__ import annotations

from collections.abc import Iterator

import tree_sitter

from metacompress_core.code.parsing import Code

DECLARATION_AFTER_STATEMENT = (
    "it would declare a variable after a statement in a function written in C89 order"
)

# Conditional compilation inside a block: its branches' children count as the block's own, in order.
_TRANSPARENT = frozenset({"preproc_if", "preproc_ifdef", "preproc_else", "preproc_elif", "preproc_elifdef"})
_NOT_STATEMENTS = frozenset(
    {"comment", "preproc_def", "preproc_function_def", "preproc_call", "preproc_include"}
)


def mixes_declarations(code: Code) -> bool:
    """Whether some block of `code` declares a variable after one of its statements."""
    return any(node.type == "compound_statement" and _mixes(node) for node in code.walk())


def _mixes(block: tree_sitter.Node) -> bool:
    seen_statement = False
    for child in _items(block):
        if child.type == "declaration":
            if seen_statement:
                return True
        elif child.type not in _NOT_STATEMENTS:
            seen_statement = True
    return False


def _items(node: tree_sitter.Node) -> Iterator[tree_sitter.Node]:
    for i, child in enumerate(node.named_children):
        if node.type in _TRANSPARENT and node.field_name_for_named_child(i) in ("condition", "name"):
            continue
        if child.type in _TRANSPARENT:
            yield from _items(child)
        else:
            yield child


def keeps_c89_order(code: Code) -> bool:
    """Whether rewrites of `code` must keep every declaration before the statements of its block."""
    return code.language.name == "c" and not mixes_declarations(code)


def statements_before(node: tree_sitter.Node) -> bool:
    """Whether a statement comes before `node` in its block (so a declaration may not go before it)."""
    before, _ = _around(node)
    return any(n.type != "declaration" and n.type not in _NOT_STATEMENTS for n in before)


def declarations_after(node: tree_sitter.Node) -> bool:
    """Whether a declaration comes after `node` in its block (so no statement may go before them)."""
    _, rest = _around(node)
    return any(n.type == "declaration" for n in rest[1:])


def _around(node: tree_sitter.Node) -> tuple[list[tree_sitter.Node], list[tree_sitter.Node]]:
    """The items of `node`'s block before it, and from it on (conditional compilation seen through)."""
    block = node.parent
    while block is not None and block.type in _TRANSPARENT:
        block = block.parent
    if block is None or block.type != "compound_statement":
        return [], [node]
    items = list(_items(block))
    at = next((i for i, n in enumerate(items) if n.start_byte >= node.start_byte), len(items))
    return items[:at], items[at:]
