"""Expression syntax that expression-level rewrites share: operator precedence, when a moved operand needs
parentheses, and splicing text in without gluing it to its neighbours (`return-1<a` -> `return a>-1`).
"""

from __future__ import annotations

import tree_sitter

from metacompress_core.code.parsing import Code
from metacompress_core.transforms.analysis.macro_uses import non_atomic
from metacompress_core.transforms.base import Splice

ATOM = 100  # identifiers, literals, calls, parenthesised expressions: never need parentheses

# Binary operator precedence (higher binds tighter); Java and C share one table.
_C_LIKE_BINARY = {
    "||": 4, "&&": 5, "|": 6, "^": 7, "&": 8, "==": 9, "!=": 9,
    "<": 10, ">": 10, "<=": 10, ">=": 10, "instanceof": 10,
    "<<": 11, ">>": 11, ">>>": 11, "+": 12, "-": 12, "*": 13, "/": 13, "%": 13,
}  # fmt: skip
_PYTHON_BINARY = {
    "|": 5, "^": 6, "&": 7, "<<": 8, ">>": 8, "+": 9, "-": 9,
    "*": 10, "/": 10, "//": 10, "%": 10, "@": 10, "**": 12,
}  # fmt: skip
UNARY = 14  # Java/C prefix operators and casts
PY_NOT, PY_COMPARISON, PY_UNARY = 3, 4, 11

_C_LIKE_LOW = {
    "ternary_expression": 3,
    "conditional_expression": 3,
    "assignment_expression": 2,
    "lambda_expression": 1,
    "comma_expression": 0,
    "instanceof_expression": 10,
    "unary_expression": UNARY,
    "pointer_expression": UNARY,
    "cast_expression": UNARY,
    "sizeof_expression": UNARY,
    "alignof_expression": UNARY,
}
_PYTHON_LOW = {
    "not_operator": PY_NOT,
    "comparison_operator": PY_COMPARISON,
    "unary_operator": PY_UNARY,
    "await": 13,
    "conditional_expression": 0,
    "lambda": -1,
    "named_expression": -2,
    "expression_list": -3,
}

WORD_CHARS = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_$")
OPERATOR_CHARS = frozenset(b"+-*/%&|^!~<>=?:.@")


def operator(node: tree_sitter.Node) -> str | None:
    """The operator token of a binary/unary/update/assignment node (its first unnamed child that is not a
    parenthesis), or None."""
    field = node.child_by_field_name("operator")
    if field is not None:
        return field.type
    for c in node.children:
        if not c.is_named and c.type not in ("(", ")"):
            return c.type
    return None


def binary_precedence(language: str, op: str) -> int:
    table = _PYTHON_BINARY if language == "python" else _C_LIKE_BINARY
    return table[op]


def precedence(code: Code, node: tree_sitter.Node) -> int:
    """How tightly `node` binds as an operand (ATOM for anything that never needs parentheses)."""
    lang = code.language.name
    if lang == "python":
        if node.type == "binary_operator":
            return _PYTHON_BINARY.get(operator(node) or "", 0)
        if node.type == "boolean_operator":
            return 2 if operator(node) == "and" else 1
        return _PYTHON_LOW.get(node.type, ATOM)
    if node.type == "binary_expression":
        return _C_LIKE_BINARY.get(operator(node) or "", 0)
    if lang == "c" and node.type in ("identifier", "call_expression") and _macro_operand(code, node):
        return 0  # a macro whose expansion is no single operand (`#define N a + 1`): parenthesize it
    if node.type == "update_expression":
        return UNARY if node.children[0].type in ("++", "--") else UNARY + 1
    return _C_LIKE_LOW.get(node.type, ATOM)


def operand(code: Code, node: tree_sitter.Node, at_least: int) -> str:
    """The text of `node`, parenthesised when it binds less tightly than `at_least`."""
    text = code.node_text(node)
    return f"({text})" if precedence(code, node) < at_least else text


def strip_parens(node: tree_sitter.Node) -> tree_sitter.Node:
    while node.type == "parenthesized_expression" and node.named_child_count == 1:
        node = node.named_children[0]
    return node


def glue_safe_splice(code: Code, start: int, end: int, text: str) -> Splice:
    """Replace [start, end) with `text`, adding a space at either end where the new text would otherwise run
    into the neighbouring character and form one token with it (`return` + `a` -> `returna`)."""
    src = code.src
    if text and start > 0 and _glues(src[start - 1], text.encode()[0]):
        text = " " + text
    if text and end < len(src) and _glues(text.encode()[-1], src[end]):
        text = text + " "
    return Splice(start, end, text)


def _glues(a: int, b: int) -> bool:
    return (a in WORD_CHARS and b in WORD_CHARS) or (a in OPERATOR_CHARS and b in OPERATOR_CHARS)


def spelling_visible(code: Code, node: tree_sitter.Node) -> bool:
    """True where the program may see how `node` is spelled, so that even an equivalent rewrite changes its
    behaviour: in C, a call's arguments (the callee may be a macro that turns its argument into a string:
    `assert(a < b)` prints "a < b") and preprocessor lines; in Python, an f-string's replacement fields
    (`f"{a<b=}"` prints "a<b=True")."""
    lang = code.language.name
    if lang == "java":
        return False
    if lang == "c" and any(
        _macro_operand(code, n) for n in code.walk(node) if n.type in ("identifier", "call_expression")
    ):
        return True  # a macro that expands to more than one operand: the operators around it bind differently
    cur = node.parent
    while cur is not None:
        if lang == "c" and (cur.type == "argument_list" or cur.type.startswith("preproc_")):
            return True
        if lang == "python" and cur.type == "interpolation":
            return True
        cur = cur.parent
    return False


def _macro_operand(code: Code, node: tree_sitter.Node) -> bool:
    return non_atomic(code, node)
