"""switch-to-if: a switch statement as an if/else-if chain, when that reading is exact (Java, C).

A switch is an if chain only when no case falls through into another (every group but the last ends in a
jump), the only `break`s that leave the switch are those ending a group, no declaration is shared between
groups, and the subject can be read again without changing anything (a local variable of a known integral
type; C: not volatile, and no macro-like call in the body that could hide a `break`). `plan_switch` checks
all that and returns the groups, or None; `SwitchToIf` writes the chain.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

import tree_sitter

from metacompress_core.code.parsing import Code
from metacompress_core.transforms.analysis.declarations import (
    find_declaration,
    identifier_texts,
    top_level_declared,
)
from metacompress_core.transforms.analysis.flow import may_hide_jumps, owned_jumps
from metacompress_core.transforms.analysis.text import (
    indent_of,
    indent_unit,
    line_end,
    line_number,
    line_start,
    line_starts,
    newline,
    starts_line,
)
from metacompress_core.transforms.base import Rewrite, Site, Splice, splice

_COMMENTS = {"comment", "line_comment", "block_comment"}
_JAVA_SWITCHABLE = {"int", "char", "short", "byte"}
_STATEMENT_PARENTS = {
    "block",
    "compound_statement",
    "switch_block_statement_group",
    "case_statement",
    "labeled_statement",
}
_ENDS = {"break_statement", "return_statement", "throw_statement", "continue_statement", "goto_statement"}
# Parts a case label may be built from: constants, names of constants, and operators over them.
_LABEL_PARTS = {
    "identifier",
    "field_access",
    "scoped_identifier",
    "char_literal",
    "character_literal",
    "character",
    "escape_sequence",
    "number_literal",
    "decimal_integer_literal",
    "hex_integer_literal",
    "octal_integer_literal",
    "binary_integer_literal",
    "parenthesized_expression",
    "unary_expression",
    "binary_expression",
}
_ATOMS = {
    "identifier",
    "field_access",
    "char_literal",
    "character_literal",
    "number_literal",
    "decimal_integer_literal",
    "hex_integer_literal",
    "octal_integer_literal",
    "binary_integer_literal",
    "parenthesized_expression",
}
_C_INT = re.compile(r"(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)[uU]?\Z")


@dataclass(frozen=True)
class CaseGroup:
    labels: tuple[tree_sitter.Node, ...]  # case label expressions (empty for a default-only group)
    is_default: bool
    statements: tuple[tree_sitter.Node, ...]  # the statements that stay (a final `break` is dropped)
    drop: tuple[tree_sitter.Node, ...]  # breaks inside a trailing block that must go


@dataclass(frozen=True)
class SwitchPlan:
    subject: str
    groups: tuple[CaseGroup, ...]


def _statements(node: tree_sitter.Node, skip: set[str]) -> list[tree_sitter.Node]:
    return [c for c in node.named_children if c.type not in _COMMENTS and c.type not in skip]


def _raw_groups(code: Code, body: tree_sitter.Node) -> list[tuple[list[tree_sitter.Node], bool, list]] | None:
    """(label expressions, has default, statements) per group, with label-only groups merged forward."""
    raw = []
    for member in body.named_children:
        if member.type in _COMMENTS:
            continue
        if code.language.name == "java":
            if member.type != "switch_block_statement_group":
                return None  # `case X ->` rules
            labels, default = [], False
            for label in (c for c in member.named_children if c.type == "switch_label"):
                if any(c.type == "default" for c in label.children):
                    default = True
                exprs = label.named_children
                if any(e.type not in _LABEL_PARTS for e in exprs):
                    return None  # patterns, guards, `case null`
                labels += exprs
            stmts = _statements(member, {"switch_label"})
        else:
            if member.type != "case_statement":
                return None  # statements before the first label
            value = member.child_by_field_name("value")
            default = value is None
            labels = [value] if value is not None else []
            stmts = [c for c in _statements(member, set()) if c != value]
        raw.append((labels, default, stmts))
    merged: list[tuple[list[tree_sitter.Node], bool, list]] = []
    pending: tuple[list, bool] = ([], False)
    for labels, default, stmts in raw:
        labels, default = pending[0] + labels, pending[1] or default
        if stmts:
            merged.append((labels, default, stmts))
            pending = ([], False)
        else:
            pending = (labels, default)
    if pending[0] or pending[1]:
        merged.append((pending[0], pending[1], []))
    return merged


def _terminal(stmt: tree_sitter.Node) -> tree_sitter.Node | None:
    """The jump that ends `stmt` (itself, or the last statement of a trailing block), if any."""
    while stmt.type in ("block", "compound_statement"):
        inner = _statements(stmt, set())
        if not inner:
            return None
        stmt = inner[-1]
    return stmt if stmt.type in _ENDS else None


def _is_plain_break(code: Code, node: tree_sitter.Node) -> bool:
    return node.type == "break_statement" and not any(c.type == "identifier" for c in node.named_children)


def _label_ok(code: Code, label: tree_sitter.Node) -> bool:
    for n in code.walk(label):
        if n.is_named and n.type not in _LABEL_PARTS and n.type not in _COMMENTS:
            return False
        if code.language.name == "c" and n.type == "number_literal":
            # The switch converts a label to the subject's type; `==` would widen the subject instead.
            # Labels that fit in an int compare the same both ways.
            text = code.node_text(n)
            if not _C_INT.match(text) or int(text.rstrip("uU"), 0) > 0x7FFFFFFF:
                return False
    return True


def label_text(code: Code, label: tree_sitter.Node) -> str:
    text = code.node_text(label)
    return text if label.type in _ATOMS else f"({text})"


def _subject_ok(code: Code, switch: tree_sitter.Node, subject: tree_sitter.Node) -> bool:
    if subject.type != "identifier":
        return False
    decl = find_declaration(code, switch, code.node_text(subject))
    if decl is None or not decl.plain or decl.type_text is None:
        return False
    if code.language.name == "java":
        return decl.type_text in _JAVA_SWITCHABLE
    return "volatile" not in decl.modifiers.split() and "volatile" not in decl.type_text.split()


def plan_switch(code: Code, switch: tree_sitter.Node) -> SwitchPlan | None:
    """The if-chain reading of a switch statement, or None when it would not be exact."""
    if switch.parent is None or switch.parent.type not in _STATEMENT_PARENTS or switch.has_error:
        return None
    condition = switch.child_by_field_name("condition")
    body = switch.child_by_field_name("body")
    if condition is None or body is None or condition.type != "parenthesized_expression":
        return None
    subjects = [c for c in condition.named_children if c.type not in _COMMENTS]
    if len(subjects) != 1 or not _subject_ok(code, switch, subjects[0]):
        return None
    # Duff's device: a case label below the switch body's top level.
    if code.language.name == "c" and any(
        n.type == "case_statement" and n.parent != body and not _inside_nested_switch(n, switch)
        for n in code.walk(body)
    ):
        return None
    if may_hide_jumps(code, body):
        return None  # a macro could expand to a `break` (or a case label) this reading cannot see
    raw = _raw_groups(code, body)
    if not raw or not any(labels for labels, _, _ in raw):
        return None
    groups: list[CaseGroup] = []
    ending_breaks: list[tree_sitter.Node] = []
    for i, (labels, default, stmts) in enumerate(raw):
        if any(not _label_ok(code, label) for label in labels):
            return None
        end = _terminal(stmts[-1]) if stmts else None
        if end is None and i != len(raw) - 1:
            return None  # falls through into the next group
        keep, drop = list(stmts), []
        if end is not None and _is_plain_break(code, end):
            ending_breaks.append(end)
            if end == stmts[-1]:
                keep.pop()
            else:
                drop.append(end)
        if len(keep) == 1 and keep[0].type in ("block", "compound_statement"):
            # `case 3: { ... }`: the if body is a block already; its statements become the body
            inner = _statements(keep[0], set())
            if drop and inner and drop[-1] == inner[-1]:
                inner, drop = inner[:-1], drop[:-1]
            keep = inner
        groups.append(CaseGroup(tuple(labels), default, tuple(keep), tuple(drop)))
    if set(owned_jumps(code, switch, "break_statement")) - set(ending_breaks):
        return None  # a break in the middle of a group would leave the if chain's enclosing loop instead
    for group in groups:
        names = {n for s in group.statements for n in top_level_declared(code, s)}
        others = [s for g in groups if g is not group for s in g.statements]
        if names & identifier_texts(code, others):
            return None  # a declaration in one group is in scope in the next ones
    return SwitchPlan(code.node_text(subjects[0]), tuple(groups))


def _inside_nested_switch(node: tree_sitter.Node, switch: tree_sitter.Node) -> bool:
    cur = node.parent
    while cur is not None and cur != switch:
        if cur.type == "switch_statement":
            return True
        cur = cur.parent
    return False


# ---------------------------------------------------------------------------------------------- switch-to-if


def _body_text(
    code: Code, stmts: tuple[tree_sitter.Node, ...], drop: tuple[tree_sitter.Node, ...], ind: str
) -> str:
    """The statements' text, re-indented to sit one level inside an `if` at indentation `ind`, without the
    `drop`ped breaks (each the last statement of a trailing block)."""
    if not stmts:
        return ""
    nl, new = newline(code), ind + indent_unit(code)
    start, end = code.span(stmts[0])[0], code.span(stmts[-1])[1]
    anchor = next((s for s in stmts if starts_line(code, s)), None)
    old = indent_of(code, anchor).encode() if anchor is not None else None
    cuts = [
        Splice(p, p + len(old), new)
        for p in line_starts(code, start, end)
        if old is not None and code.src.startswith(old, p)
    ]
    for jump in drop:
        j_start, j_end = code.span(jump)
        if starts_line(code, jump) and not code.src[j_end : line_end(code, j_end)].strip():
            ls = line_start(code, j_start)
            after = code.src.find(b"\n", j_end)
            cuts = [c for c in cuts if c.start != ls]
            cuts.append(Splice(ls, after + 1 if after >= 0 else j_end, ""))
        else:
            while j_start > start and code.src[j_start - 1 : j_start] in (b" ", b"\t"):
                j_start -= 1
            cuts.append(Splice(j_start, j_end, ""))
    relative = [Splice(c.start - start, c.end - start, c.text) for c in cuts]
    return f"{new}{splice(code.src[start:end], relative).decode('utf-8', errors='surrogateescape')}{nl}"


class SwitchToIf:
    name = "switch-to-if"
    languages = frozenset({"java", "c"})
    description = "rewrite a switch whose cases never fall through as an if/else-if chain"

    _TYPES = {"java": "switch_expression", "c": "switch_statement"}

    def sites(self, code: Code) -> list[Site]:
        kind = self._TYPES[code.language.name]
        return [Site(n, plan) for n in code.walk() if n.type == kind and (plan := plan_switch(code, n))]

    def rewrite(self, code: Code, site: Site, rng: random.Random) -> Rewrite | None:
        plan = site.data or plan_switch(code, site.node)
        if plan is None:
            return None
        nl, ind = newline(code), indent_of(code, site.node)
        cases = [g for g in plan.groups if not g.is_default]
        default = next((g for g in plan.groups if g.is_default), None)
        parts = []
        for i, group in enumerate(cases):
            test = " || ".join(f"{plan.subject} == {label_text(code, label)}" for label in group.labels)
            head = "if" if i == 0 else "} else if"
            parts.append(f"{head} ({test}) {{{nl}{_body_text(code, group.statements, group.drop, ind)}{ind}")
        if default is not None and (default.statements or not cases):
            parts.append(f"}} else {{{nl}{_body_text(code, default.statements, default.drop, ind)}{ind}")
        text = "".join(parts) + "}"
        start, end = code.span(site.node)
        return Rewrite((Splice(start, end, text),), f"switch -> if at line {line_number(code, site.node)}")


TRANSFORMS = (SwitchToIf(),)
