"""swap-if-else: negate an if's condition and swap its then and else branches (Java, C, Python).

The branches are swapped only where the swap is exact: not in else-if chains (in Python the last elif
before an else is the site), not where an `else` written after the moved branch would attach to an if inside
it (the dangling else), and in C not where an unbraced branch is a macro that brings its own `;` or braces,
or expands to an open `if`.
"""

from __future__ import annotations

import random

import tree_sitter

from metacompress_core.code.parsing import Code
from metacompress_core.transforms.analysis.macro_uses import (
    STATEMENT_MACRO_BRANCH,
    UNRESOLVED_BRANCH,
    declined,
    env_of,
    statement_kind,
    statement_use,
)
from metacompress_core.transforms.analysis.text import indent_of, line_number, starts_line
from metacompress_core.transforms.base import Declined, Rewrite, Site, Splice

_COMMENTS = {"comment", "line_comment", "block_comment"}
_BRACED = {"block", "compound_statement"}
# Python expressions that bind at least as tightly as `not`'s operand needs: `not <these>` needs no parentheses.
_PYTHON_TIGHT = {
    "identifier",
    "call",
    "attribute",
    "subscript",
    "parenthesized_expression",
    "comparison_operator",
    "true",
    "false",
    "none",
    "integer",
    "string",
    "list",
    "tuple",
    "dictionary",
    "set",
}


def _text(code: Code, start: int, end: int) -> str:
    return code.src[start:end].decode("utf-8", errors="surrogateescape")


# ---------------------------------------------------------------------------------------------- swap-if-else


def _negated(code: Code, condition: tree_sitter.Node) -> str:
    """The condition's logical negation, in the form the `if` needs (parenthesized in Java/C)."""
    if code.language.name == "python":
        if condition.type == "not_operator":
            return code.node_text(condition.child_by_field_name("argument"))
        inner = code.node_text(condition)
        return f"not {inner}" if condition.type in _PYTHON_TIGHT else f"not ({inner})"
    inner_nodes = [c for c in condition.named_children if c.type not in _COMMENTS]
    if len(inner_nodes) != 1:
        return f"(!{code.node_text(condition)})"
    inner = inner_nodes[0]
    operator = inner.child_by_field_name("operator") if inner.type == "unary_expression" else None
    if operator is not None and code.node_text(operator) == "!":
        operand = inner.child_by_field_name("operand") or inner.child_by_field_name("argument")
        text = code.node_text(operand)
        return text if operand.type == "parenthesized_expression" else f"({text})"
    return f"(!({code.node_text(inner)}))"


def _ends_with_open_if(stmt: tree_sitter.Node) -> bool:
    """True when an `else` written after `stmt` would attach to an if inside it (the dangling else)."""
    while True:
        if stmt.type == "if_statement":
            alternative = stmt.child_by_field_name("alternative")
            if alternative is None:
                return True
            stmt = alternative.named_children[-1] if alternative.type == "else_clause" else alternative
        elif stmt.type in ("for_statement", "while_statement", "enhanced_for_statement", "labeled_statement"):
            stmt = stmt.child_by_field_name("body") or stmt.named_children[-1]
        else:
            return False


class SwapIfElse:
    name = "swap-if-else"
    languages = frozenset({"java", "c", "python"})
    description = "negate an if's condition and swap its then and else branches"

    def sites(self, code: Code) -> list[Site]:
        return [
            Site(n)
            for n in code.walk()
            if n.type in ("if_statement", "elif_clause") and self._branches(code, n) is not None
        ]

    def _branches(
        self, code: Code, node: tree_sitter.Node
    ) -> tuple[tree_sitter.Node, tree_sitter.Node] | Declined | None:
        """The (then, else) branches to swap at an if (or, in Python, at the last elif before an else)."""
        if node.has_error:
            return None
        owner = node.parent if node.type == "elif_clause" else node
        consequence = node.child_by_field_name("consequence")
        alternatives = [
            c for i, c in enumerate(owner.children) if owner.field_name_for_child(i) == "alternative"
        ]
        if node.type == "elif_clause":
            # the last elif and the else form an if/else of their own: `elif c: A else: B`
            if len(alternatives) < 2 or alternatives[-2] != node:
                return None
            alternatives = alternatives[-1:]
        if consequence is None or len(alternatives) != 1:
            return None
        alternative = alternatives[0]
        if code.language.name == "python":
            if alternative.type != "else_clause":
                return None  # an elif chain: its last elif is the site
            other = alternative.child_by_field_name("body")
            if other is None or starts_line(code, consequence) != starts_line(code, other):
                return None
            if starts_line(code, consequence) and indent_of(code, consequence) != indent_of(code, other):
                return None
            return consequence, other
        if alternative.type == "else_clause":
            alternative = alternative.named_children[-1] if alternative.named_children else None
        if alternative is None or alternative.type == "if_statement" or _ends_with_open_if(alternative):
            return None  # else-if chains; an else that would capture the moved branch's inner if
        if code.language.name == "c" and (reason := _macro_branch(code, consequence, alternative)):
            return declined(reason)
        same_shape = (consequence.type in _BRACED) == (alternative.type in _BRACED)
        inline = not starts_line(code, consequence) and not starts_line(code, alternative)
        if not (same_shape or inline):
            return None
        return consequence, alternative

    def rewrite(self, code: Code, site: Site, rng: random.Random) -> Rewrite | None:
        branches = self._branches(code, site.node)
        condition = site.node.child_by_field_name("condition")
        if isinstance(branches, Declined):
            return branches
        if branches is None or condition is None:
            return None
        then, other = branches
        c_start, c_end = code.span(condition)
        t_start, t_end = code.span(then)
        o_start, o_end = code.span(other)
        splices = (
            Splice(c_start, c_end, _negated(code, condition)),
            Splice(t_start, t_end, _glued(code, t_start, _text(code, o_start, o_end))),
            Splice(o_start, o_end, _glued(code, o_start, _text(code, t_start, t_end))),
        )
        keyword = "elif" if site.node.type == "elif_clause" else "if"
        return Rewrite(splices, f"swapping {keyword}/else branches at line {line_number(code, site.node)}")


def _macro_branch(code: Code, then: tree_sitter.Node, other: tree_sitter.Node) -> str | None:
    """Why swapping these C branches may change how the preprocessed code parses: the else branch moves
    before an `else`, where a macro that brings its own `;` or braces ends the if (`M(2);` -> `f(2);;`), and
    the then branch moves after one, where a macro that expands to an open `if` would take it over."""
    env = env_of(code)
    for branch, moving_before_else in ((other, True), (then, False)):
        if branch.type in _BRACED:
            continue
        kind = statement_kind(code, branch, env)
        if kind == "unresolved":
            return UNRESOLVED_BRANCH
        if kind == "statement" and (moving_before_else or _open_if_macro(code, branch, env)):
            return STATEMENT_MACRO_BRANCH
    return None


def _open_if_macro(code: Code, stmt: tree_sitter.Node, env) -> bool:
    use = statement_use(code, stmt, env)
    return use is not None and "if" in env.expansion_words(use.name)


def _glued(code: Code, at: int, text: str) -> str:
    """`text` to put at byte `at`, with a space in front where it would otherwise fuse with the word before
    it (`else{...}` swapped with a plain statement must not become `elsex = 1;`)."""
    before = _text(code, at - 1, at) if at > 0 else ""
    if (before.isalnum() or before == "_") and (text[:1].isalnum() or text[:1] == "_"):
        return " " + text
    return text


TRANSFORMS = (SwapIfElse(),)
