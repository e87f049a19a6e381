"""Boolean equivalents: a condition `c` -> `!!c` (Python `not not c`), and De Morgan's laws
`a && b` -> `!(!a || !b)`, `a || b` -> `!(!a && !b)`.

Both keep evaluation order and short-circuiting: `!a || !b` evaluates `a`, and `b` only when `a` holds. In
Java the operands are booleans, so the rewrite is exact anywhere. In C `&&`, `||` and `!` all yield the int
0 or 1, so De Morgan is exact anywhere too, while `!!x` differs from `x` as a value and is only used where
the value is tested for truth (conditions). Python's `and`/`or` return one of their operands, not a bool,
so Python rewrites are made only where nothing but the truth of the value is used: the condition of `if`,
`elif`, `while`, `assert`, a conditional expression or a comprehension filter, and the operands of `not`,
`and` and `or` that themselves sit in such a place.
"""

from __future__ import annotations

import random

import tree_sitter

from metacompress_core.code.parsing import Code
from metacompress_core.transforms.analysis.syntax import (
    PY_NOT,
    UNARY,
    glue_safe_splice,
    operator,
    precedence,
    spelling_visible,
)
from metacompress_core.transforms.analysis.text import line_number
from metacompress_core.transforms.base import Rewrite, Site

_CONDITION_OWNERS = {
    "java": {"if_statement", "while_statement", "do_statement", "for_statement", "ternary_expression"},
    "c": {"if_statement", "while_statement", "do_statement", "for_statement", "conditional_expression"},
    "python": {"if_statement", "elif_clause", "while_statement"},
}


def _conditions(code: Code) -> list[tree_sitter.Node]:
    """The expressions whose value is only tested for truth by the statement or expression that owns them."""
    lang = code.language.name
    out = []
    for n in code.walk():
        cond = None
        if n.type in _CONDITION_OWNERS[lang]:
            cond = n.child_by_field_name("condition")
        elif lang == "python" and n.type == "conditional_expression" and n.named_child_count == 3:
            cond = n.named_children[1]
        elif lang == "python" and n.type in ("if_clause", "assert_statement") and n.named_child_count >= 1:
            cond = n.named_children[0]
        if cond is None:
            continue
        if lang != "python" and cond.type == "parenthesized_expression" and cond.named_child_count == 1:
            cond = cond.named_children[0]  # `if (c)`: the parentheses belong to the statement
        if cond.type != "comment" and not spelling_visible(code, cond):
            out.append(cond)
    return out


def _truth_only(code: Code, node: tree_sitter.Node, conditions: set[tree_sitter.Node]) -> bool:
    """Python: `node` sits, through nothing but parentheses, `not`, `and` and `or`, in a condition. CPython
    compiles such a condition into jumps that test each operand's truth exactly once; elsewhere (`y = not
    (a and b)`) the value is computed and tested again, so the number of `__bool__` calls could change."""
    while node not in conditions:
        parent = node.parent
        if parent is None or parent.type not in (
            "parenthesized_expression",
            "not_operator",
            "boolean_operator",
        ):
            return False
        node = parent
    return True


def negation(code: Code, node: tree_sitter.Node) -> str:
    """An expression for the logical negation of `node`, ready to be an operand of `&&`/`||`/`and`/`or`
    (a leading `!`/`not` is dropped instead of doubled: only truth matters there)."""
    inner = node
    while inner.type == "parenthesized_expression" and inner.named_child_count == 1:
        inner = inner.named_children[0]
    if code.language.name == "python":
        if inner.type == "not_operator":
            return code.node_text(inner.child_by_field_name("argument"))
        text = code.node_text(node)
        return f"not {text}" if precedence(code, node) > PY_NOT else f"not ({text})"
    if inner.type == "unary_expression" and operator(inner) == "!":
        field = "operand" if code.language.name == "java" else "argument"
        return code.node_text(inner.child_by_field_name(field))
    text = code.node_text(node)
    return f"!{text}" if precedence(code, node) >= UNARY else f"!({text})"


class BooleanEquivalent:
    name = "boolean-equivalent"
    languages = frozenset({"java", "c", "python"})
    description = "rewrite a condition to an equivalent: c -> !!c, a && b -> !(!a || !b) (De Morgan)"

    def sites(self, code: Code) -> list[Site]:
        conditions = _conditions(code)
        out = [Site(c, "double-negation") for c in conditions]
        cond_set = set(conditions)
        for n in code.walk():
            if code.language.name == "python":
                if (
                    n.type == "boolean_operator"
                    and _truth_only(code, n, cond_set)
                    and not spelling_visible(code, n)
                ):
                    out.append(Site(n, "de-morgan"))
            elif (
                n.type == "binary_expression"
                and operator(n) in ("&&", "||")
                and not spelling_visible(code, n)
            ):
                out.append(Site(n, "de-morgan"))
        return out

    def rewrite(self, code: Code, site: Site, rng: random.Random) -> Rewrite | None:
        node = site.node
        start, end = code.span(node)
        text = code.node_text(node)
        line = line_number(code, node)
        if site.data == "double-negation":
            if code.language.name == "python":
                new = f"not not {text}" if precedence(code, node) > PY_NOT else f"not not ({text})"
            else:
                new = f"!!{text}" if precedence(code, node) >= UNARY else f"!!({text})"
            return Rewrite(
                (glue_safe_splice(code, start, end, new),), f"double negation of a condition at line {line}"
            )
        left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
        op_node = node.child_by_field_name("operator")
        before = code.src[left.end_byte - code.offset : op_node.start_byte - code.offset].decode(
            errors="surrogateescape"
        )
        after = code.src[op_node.end_byte - code.offset : right.start_byte - code.offset].decode(
            errors="surrogateescape"
        )
        dual = {"&&": "||", "||": "&&", "and": "or", "or": "and"}[op_node.type]
        neg = "not " if code.language.name == "python" else "!"
        new = f"{neg}({negation(code, left)}{before}{dual}{after}{negation(code, right)})"
        return Rewrite(
            (glue_safe_splice(code, start, end, new),), f"De Morgan on '{op_node.type}' at line {line}"
        )


TRANSFORMS = (BooleanEquivalent(),)
