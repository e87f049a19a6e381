"""Control flow facts that restructuring needs: which jumps leave a construct, and whether a Java statement
can complete normally (JLS 14.22), which decides whether code placed after it would be "unreachable".

Answers are conservative: `can_complete_normally` says True only when sure, so a transform that needs the
answer True declines whenever the analysis cannot tell.
"""

from __future__ import annotations

import tree_sitter

from metacompress_core.code.parsing import Code
from metacompress_core.transforms.analysis.declarations import find_declaration
from metacompress_core.transforms.analysis.macro_uses import env_of, may_jump

LOOPS = {
    "java": {"for_statement", "enhanced_for_statement", "while_statement", "do_statement"},
    "c": {"for_statement", "while_statement", "do_statement"},
    "python": {"for_statement", "while_statement"},
}
SWITCHES = {"java": {"switch_expression"}, "c": {"switch_statement"}, "python": set()}
# Jumps never cross these: a lambda, a local/anonymous class or a nested function has its own control flow.
_BOUNDARIES = {
    "java": {"lambda_expression", "class_body", "enum_body", "interface_body", "record_declaration"},
    "c": {"function_definition"},
    "python": {"function_definition", "class_definition", "lambda"},
}


def may_hide_jumps(code: Code, node: tree_sitter.Node) -> bool:
    """C: True when `node` uses a macro that could expand to a `continue` or `break` this analysis cannot
    see: a visible macro whose body jumps, an upper-case call or a bare name used as a statement that no
    visible #define explains (macro_uses.py)."""
    if code.language.name != "c":
        return False
    env = env_of(code)
    if may_jump(code, node, env):
        return True
    for n in code.walk(node):
        if (
            n.type == "expression_statement"
            and n.named_child_count == 1
            and n.named_children[0].type == "identifier"
            and code.node_text(n.named_children[0]) not in env.macros
        ):
            return True
    return False


def labels_of(code: Code, stmt: tree_sitter.Node) -> tuple[list[str], tree_sitter.Node]:
    """The labels written before `stmt` (`a: b: for ...`) and the outermost labelled statement (or stmt)."""
    labels, top = [], stmt
    while top.parent is not None and top.parent.type == "labeled_statement":
        top = top.parent
        label = top.child_by_field_name("label") or top.named_children[0]
        labels.append(code.node_text(label))
    return labels, top


def _jump_label(code: Code, jump: tree_sitter.Node) -> str | None:
    for c in jump.named_children:
        if c.type in ("identifier", "statement_identifier"):
            return code.node_text(c)
    return None


def owned_jumps(
    code: Code, construct: tree_sitter.Node, kind: str, labelled_only: bool = False
) -> list[tree_sitter.Node]:
    """The `kind` statements ("continue_statement" or "break_statement") that transfer control to
    `construct` (a loop or a switch): unlabelled ones not captured by a nested loop (or, for break, a nested
    switch), and labelled ones naming one of the construct's labels (only those when `labelled_only`)."""
    language = code.language.name
    labels, _ = labels_of(code, construct)
    capturing = LOOPS[language] | (SWITCHES[language] if kind == "break_statement" else set())
    found: list[tree_sitter.Node] = []

    def visit(node: tree_sitter.Node, captured: bool) -> None:
        for child in node.children:
            if child.type in _BOUNDARIES[language]:
                continue
            if child.type == kind:
                label = _jump_label(code, child)
                if (label is None and not captured and not labelled_only) or (
                    label is not None and label in labels
                ):
                    found.append(child)
                continue
            visit(child, captured or child.type in capturing)

    visit(construct, False)
    return found


def surely_not_constant(code: Code, expr: tree_sitter.Node) -> bool:
    """True when `expr` is certainly not a Java constant expression (JLS 15.29): it calls, assigns, creates,
    indexes, or reads a local variable or parameter that is not declared final."""
    for n in code.walk(expr):
        if n.type in (
            "method_invocation",
            "object_creation_expression",
            "array_creation_expression",
            "array_access",
            "assignment_expression",
            "update_expression",
            "instanceof_expression",
            "lambda_expression",
            "this",
            "null_literal",
        ):
            return True
        if n.type == "identifier" and (
            n.parent is None or n.parent.type != "field_access" or n.parent.child_by_field_name("object") == n
        ):
            decl = find_declaration(code, n, code.node_text(n))
            if decl is not None and "final" not in decl.modifiers.split():
                return True
    return False


def _last_statement(code: Code, block: tree_sitter.Node) -> tree_sitter.Node | None:
    stmts = [c for c in block.named_children if c.type not in ("line_comment", "block_comment", "comment")]
    return stmts[-1] if stmts else None


def can_complete_normally(code: Code, stmt: tree_sitter.Node | None) -> bool:
    """Java: True when `stmt` can certainly complete normally, so that a statement placed after it is
    reachable. False when it cannot, or when this conservative analysis cannot tell."""
    if stmt is None:
        return True
    t = stmt.type
    if t in (
        "expression_statement",
        "local_variable_declaration",
        "assert_statement",
        "class_declaration",
        "record_declaration",
        "interface_declaration",
        "enum_declaration",
        ";",
    ):
        return True
    if t in (
        "return_statement",
        "throw_statement",
        "break_statement",
        "continue_statement",
        "yield_statement",
    ):
        return False
    if t == "block":
        return can_complete_normally(code, _last_statement(code, stmt))
    if t == "if_statement":
        alternative = stmt.child_by_field_name("alternative")
        if alternative is None:
            return True
        return can_complete_normally(code, stmt.child_by_field_name("consequence")) or can_complete_normally(
            code, alternative
        )
    if t == "labeled_statement":
        return can_complete_normally(code, stmt.named_children[-1]) or bool(
            owned_jumps(code, stmt.named_children[-1], "break_statement", labelled_only=True)
        )
    if t == "synchronized_statement":
        return can_complete_normally(code, stmt.child_by_field_name("body"))
    if t in ("while_statement", "for_statement"):
        if owned_jumps(code, stmt, "break_statement"):
            return True
        condition = stmt.child_by_field_name("condition")
        return condition is not None and surely_not_constant(code, condition)
    if t == "enhanced_for_statement":
        return True
    if t == "do_statement":
        if owned_jumps(code, stmt, "break_statement"):
            return True
        body = stmt.child_by_field_name("body")
        return surely_not_constant(code, stmt.child_by_field_name("condition")) and (
            can_complete_normally(code, body) or bool(owned_jumps(code, stmt, "continue_statement"))
        )
    if t in ("try_statement", "try_with_resources_statement"):
        finally_clause = next((c for c in stmt.named_children if c.type == "finally_clause"), None)
        if finally_clause is not None and not can_complete_normally(code, finally_clause.named_children[-1]):
            return False
        bodies = [stmt.child_by_field_name("body")] + [
            c.child_by_field_name("body") for c in stmt.named_children if c.type == "catch_clause"
        ]
        return any(can_complete_normally(code, b) for b in bodies)
    if t == "switch_expression":
        return _switch_can_complete_normally(code, stmt)
    return False


def _switch_can_complete_normally(code: Code, switch: tree_sitter.Node) -> bool:
    body = switch.child_by_field_name("body")
    members = body.named_children if body is not None else []
    if any(m.type == "switch_rule" for m in members):
        return any(
            m.named_children[-1].type == "expression_statement"
            or (m.named_children[-1].type == "block" and can_complete_normally(code, m.named_children[-1]))
            for m in members
            if m.type == "switch_rule"
        ) or bool(owned_jumps(code, switch, "break_statement"))
    has_default = any(
        label.type == "switch_label" and any(c.type == "default" for c in label.children)
        for m in members
        for label in m.named_children
    )
    if not has_default or owned_jumps(code, switch, "break_statement"):
        return True
    last = members[-1] if members else None
    if last is None:
        return True
    stmts = [c for c in last.named_children if c.type != "switch_label"]
    return can_complete_normally(code, stmts[-1] if stmts else None)
