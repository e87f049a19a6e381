"""Operand swaps: `a < b` -> `b > a` and `a + b` -> `b + a`, only where neither the value nor anything
observable can change.

Swapping operands swaps the order in which they are evaluated, so both must be free of effects (no calls,
assignments, increments, allocations, volatile or unknown names), and in Java at most one may throw (the
first exception raised wins). Operators must commute for the operand types: Java `+` may concatenate
strings, so it is only swapped on known numeric operands. Python dispatches comparisons and arithmetic to
the operands' own methods (`__lt__` / `__gt__`, `__add__` / `__radd__`), so a Python comparison is only
mirrored against an integer literal, and arithmetic only on locals known to hold ints. Only one binary node
is ever changed, never regrouped: IEEE addition commutes but does not associate.
"""

from __future__ import annotations

import random

import tree_sitter

from metacompress_core.code.parsing import Code
from metacompress_core.transforms.analysis.java_types import NUMERIC, expression_type, unboxed
from metacompress_core.transforms.analysis.purity import c_effect_free, java_may_throw
from metacompress_core.transforms.analysis.python_names import (
    cannot_raise,
    int_expression,
    is_int_literal,
    python_locals,
)
from metacompress_core.transforms.analysis.syntax import (
    PY_COMPARISON,
    binary_precedence,
    glue_safe_splice,
    operand,
    spelling_visible,
    strip_parens,
)
from metacompress_core.transforms.analysis.text import line_number
from metacompress_core.transforms.base import Rewrite, Site

MIRROR = {"<": ">", ">": "<", "<=": ">=", ">=": "<=", "==": "==", "!=": "!="}


def binary_parts(code: Code, node: tree_sitter.Node) -> tuple[tree_sitter.Node, str, tree_sitter.Node] | None:
    """(left, operator, right) of a binary node with exactly two operands and one operator token."""
    if node.type in ("binary_expression", "binary_operator"):
        left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
        op = node.child_by_field_name("operator")
        return (left, op.type, right) if left is not None and right is not None and op is not None else None
    if node.type == "comparison_operator":
        named = [c for c in node.named_children if c.type != "comment"]
        ops = [c for c in node.children if not c.is_named]
        if len(named) == 2 and len(ops) == 1:
            return named[0], ops[0].type, named[1]
    return None


def swapped(code: Code, node: tree_sitter.Node, new_op: str, detail_verb: str) -> Rewrite:
    """`node` rewritten as `right new_op left`, keeping the spacing around the operator."""
    left, op, right = binary_parts(code, node)
    op_node = next(c for c in node.children if not c.is_named and c.type == op)
    src = code.src
    before = src[left.end_byte - code.offset : op_node.start_byte - code.offset].decode(
        errors="surrogateescape"
    )
    after = src[op_node.end_byte - code.offset : right.start_byte - code.offset].decode(
        errors="surrogateescape"
    )
    lang = code.language.name
    p = PY_COMPARISON if node.type == "comparison_operator" else binary_precedence(lang, op)
    text = f"{operand(code, right, p)}{before}{new_op}{after}{operand(code, left, p + 1)}"
    start, end = code.span(node)
    detail = (
        f"{detail_verb} {_short(code.node_text(node))} -> {_short(text)} at line {line_number(code, node)}"
    )
    return Rewrite((glue_safe_splice(code, start, end, text),), detail)


def _short(text: str, limit: int = 40) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _effect_free_pair(code: Code, left: tree_sitter.Node, right: tree_sitter.Node) -> bool:
    """Both operands may be evaluated in either order (Java: at most one of them may throw)."""
    if code.language.name == "java":
        a, b = java_may_throw(code, left), java_may_throw(code, right)
        return a is not None and b is not None and not (a and b)
    if code.language.name == "c":
        return c_effect_free(code, left) and c_effect_free(code, right)
    return False


def _python_int_literal(code: Code, node: tree_sitter.Node) -> bool:
    node = strip_parens(node)
    if node.type == "unary_operator" and node.children[0].type in ("-", "+"):
        node = node.child_by_field_name("argument")
    return is_int_literal(code, node)


class SwapRelational:
    name = "swap-relational"
    languages = frozenset({"java", "c", "python"})
    description = "mirror a comparison: a < b -> b > a (operands without side effects)"

    def sites(self, code: Code) -> list[Site]:
        out = []
        for n in code.walk():
            parts = binary_parts(code, n)
            if parts is None or parts[1] not in MIRROR or spelling_visible(code, n):
                continue
            left, op, right = parts
            if MIRROR[op] == op and code.node_text(left) == code.node_text(right):
                continue  # `a == a`: nothing would change
            if code.language.name == "python":
                # Only `<`, `<=`, `>`, `>=` against an int literal: int's own comparison then either answers
                # (int operands) or defers to the other operand's reflected method, exactly as before.
                ok = op not in ("==", "!=") and (
                    _python_int_literal(code, left) or _python_int_literal(code, right)
                )
            else:
                ok = _effect_free_pair(code, left, right)
            if ok:
                out.append(Site(n))
        return out

    def rewrite(self, code: Code, site: Site, rng: random.Random) -> Rewrite | None:
        op = binary_parts(code, site.node)[1]
        return swapped(code, site.node, MIRROR[op], "mirroring")


COMMUTATIVE = frozenset({"*", "+", "&", "|", "^", "==", "!="})


class SwapCommutative:
    name = "swap-commutative"
    languages = frozenset({"java", "c", "python"})
    description = "swap the operands of a commutative operator: a + b -> b + a (types and effects checked)"

    def sites(self, code: Code) -> list[Site]:
        lang = code.language.name
        ints = python_locals(code).known_ints if lang == "python" else frozenset()
        out = []
        for n in code.walk():
            parts = binary_parts(code, n)
            if parts is None or parts[1] not in COMMUTATIVE or spelling_visible(code, n):
                continue
            left, op, right = parts
            if code.node_text(left) == code.node_text(right):
                continue  # `d + d`: nothing would change
            if lang == "python":
                ok = (
                    (n.type == "binary_operator" or op in ("==", "!="))
                    and int_expression(code, left, ints)
                    and int_expression(code, right, ints)
                    and (cannot_raise(code, left, ints) or cannot_raise(code, right, ints))
                )
            else:
                ok = _effect_free_pair(code, left, right)
                if ok and lang == "java" and op == "+":
                    ok = all(unboxed(expression_type(code, x)) in NUMERIC for x in (left, right))
            if ok:
                out.append(Site(n))
        return out

    def rewrite(self, code: Code, site: Site, rng: random.Random) -> Rewrite | None:
        op = binary_parts(code, site.node)[1]
        return swapped(code, site.node, op, "swapping")


TRANSFORMS = (SwapRelational(), SwapCommutative())
