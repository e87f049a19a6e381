"""Loop exchange: for <-> while and do-while -> while, in Java and C.

`for (init; cond; update) body` runs `update` after the body and before each `continue`; the while form
spells that out: the update goes at the end of the body and in front of every `continue` that belongs to the
loop. Python loops are not offered: a Python `for` walks an iterator and has no while equivalent in general.
"""

from __future__ import annotations

import random

import tree_sitter

from metacompress_core.code.parsing import Code
from metacompress_core.transforms.analysis.declarations import declared_names, identifier_texts
from metacompress_core.transforms.analysis.flow import (
    can_complete_normally,
    labels_of,
    may_hide_jumps,
    owned_jumps,
    surely_not_constant,
)
from metacompress_core.transforms.analysis.macro_uses import MACRO_MAY_JUMP, declined
from metacompress_core.transforms.analysis.text import (
    indent_of,
    indent_unit,
    line_number,
    line_start,
    line_starts,
    newline,
    starts_line,
)
from metacompress_core.transforms.base import Rewrite, Site, Splice

_TRUE = {"java": "true", "c": "1"}
# Statement lists: a statement placed before another one here runs right before it, in the same scope.
_STATEMENT_LISTS = {
    "block",
    "constructor_body",
    "compound_statement",
    "switch_block_statement_group",
    "case_statement",
}


def fields(node: tree_sitter.Node, name: str) -> list[tree_sitter.Node]:
    return [c for i, c in enumerate(node.children) if node.field_name_for_child(i) == name]


def _condition_inner(code: Code, condition: tree_sitter.Node) -> str:
    """The text of a condition without its surrounding parentheses."""
    if condition.type == "parenthesized_expression":
        start, end = code.span(condition)
        return code.src[start + 1 : end - 1].decode("utf-8", errors="surrogateescape").strip()
    return code.node_text(condition)


def _close_paren(loop: tree_sitter.Node, body: tree_sitter.Node) -> tree_sitter.Node | None:
    parens = [c for c in loop.children if c.type == ")" and c.end_byte <= body.start_byte]
    return parens[-1] if parens else None


def append_to_body(
    code: Code, loop: tree_sitter.Node, head_end: int, body: tree_sitter.Node, stmts: list[str], shift: str
) -> list[Splice]:
    """Splices that put `stmts` at the end of a loop body, for a loop whose lines are being shifted right by
    `shift`. A single-statement body gets braces; its last splice is the insertion at the body's end, and
    `head_end` is where the loop header ends (the opening brace goes there when the body has its own line)."""
    nl, unit, ind = newline(code), indent_unit(code), indent_of(code, loop)
    start, end = code.span(body)
    if body.type in ("block", "compound_statement"):
        close = end - 1
        if starts_line(code, body.children[-1]):
            close_indent = code.src[line_start(code, close) : close].decode()
            text = "".join(f"{unit}{s}{nl}{shift}{close_indent}" for s in stmts)
        else:
            before = code.src[close - 1 : close]
            text = ("" if before in (b" ", b"\t") else " ") + " ".join(stmts) + " "
        return [Splice(close, close, text)]
    if starts_line(code, body):
        body_indent = indent_of(code, body)
        tail = "".join(f"{nl}{shift}{body_indent}{s}" for s in stmts) + f"{nl}{shift}{ind}}}"
        return [Splice(head_end, head_end, " {"), Splice(end, end, tail)]
    return [Splice(start, start, "{ "), Splice(end, end, " " + " ".join(stmts) + " }")]


def _leaves_cleanup(jump: tree_sitter.Node, loop: tree_sitter.Node) -> bool:
    """Java: True when `jump` leaves a try-finally, a try-with-resources or a synchronized block on its way
    to `loop`: the finally/close/unlock runs before the loop's update, so the update cannot move before
    the jump."""
    cur = jump.parent
    while cur is not None and cur != loop:
        if cur.type in ("try_with_resources_statement", "synchronized_statement") or (
            cur.type == "try_statement" and any(c.type == "finally_clause" for c in cur.children)
        ):
            return True
        cur = cur.parent
    return False


def _body_ends_reachably(code: Code, body: tree_sitter.Node) -> bool:
    """Java: a statement appended at the end of the body would be reachable."""
    if code.language.name != "java":
        return True
    return can_complete_normally(code, body)


class ForToWhile:
    name = "for-to-while"
    languages = frozenset({"java", "c"})
    description = (
        "rewrite a for loop as a while loop (the update moves to the body's end and before continue)"
    )

    def sites(self, code: Code) -> list[Site]:
        return [Site(n) for n in code.walk() if n.type == "for_statement" and not n.has_error]

    def rewrite(self, code: Code, site: Site, rng: random.Random) -> Rewrite | None:
        language = code.language.name
        loop = site.node
        body = loop.child_by_field_name("body")
        paren = _close_paren(loop, body) if body is not None else None
        if paren is None:
            return None
        inits = fields(loop, "init" if language == "java" else "initializer")
        condition = loop.child_by_field_name("condition")
        updates = fields(loop, "update")
        nl, unit, ind = newline(code), indent_unit(code), indent_of(code, loop)
        labels, top = labels_of(code, loop)
        # Java keeps the labels on the loop (for `continue L`); C leaves them on the new block (goto targets).
        outer = top if language == "java" else loop
        init_stmts = [
            code.node_text(n) if n.type.endswith("declaration") else code.node_text(n) + ";" for n in inits
        ]
        update_stmts = [code.node_text(n) + ";" for n in updates]
        if any("\n" in s for s in init_stmts + update_stmts):
            return None

        splices: list[Splice] = []
        declares = any(n.type.endswith("declaration") for n in inits)
        in_list = outer.parent is not None and outer.parent.type in _STATEMENT_LISTS
        wrap = bool(init_stmts) and (declares or not in_list)
        shift = unit if wrap else ""
        loop_start, loop_end = code.span(loop)
        outer_start = code.span(outer)[0]
        if wrap:
            splices += [Splice(p, p, shift) for p in line_starts(code, outer_start, loop_end)]
            head = f"{{{nl}{ind}{unit}" + " ".join(init_stmts) + f"{nl}{ind}{unit}"
            splices.insert(0, Splice(outer_start, outer_start, head))
        elif init_stmts:
            splices.append(Splice(outer_start, outer_start, " ".join(init_stmts) + f"{nl}{ind}"))
        cond_text = _condition_inner(code, condition) if condition is not None else _TRUE[language]
        splices.append(Splice(loop_start, code.span(paren)[1], f"while ({cond_text})"))

        if update_stmts:
            if declared_names(code, [body]) & identifier_texts(code, updates):
                return None  # the update would see a body variable instead of the one it names
            if may_hide_jumps(code, body):
                return declined(MACRO_MAY_JUMP)
            if not _body_ends_reachably(code, body):
                return None
            jumps = owned_jumps(code, loop, "continue_statement")
            if any(_leaves_cleanup(jump, loop) for jump in jumps):
                return None
            for jump in jumps:
                start, end = code.span(jump)
                splices.append(
                    Splice(start, end, "{ " + " ".join(update_stmts) + " " + code.node_text(jump) + " }")
                )
            splices += append_to_body(code, loop, code.span(paren)[1], body, update_stmts, shift)
        if wrap:
            splices.append(Splice(loop_end, loop_end, f"{nl}{ind}}}"))
        label_note = f" (label {labels[0]})" if labels else ""
        return Rewrite(tuple(splices), f"for -> while at line {line_number(code, loop)}{label_note}")


class WhileToFor:
    name = "while-to-for"
    languages = frozenset({"java", "c"})
    description = "rewrite a while loop as a for loop with empty init and update"

    def sites(self, code: Code) -> list[Site]:
        return [Site(n) for n in code.walk() if n.type == "while_statement" and not n.has_error]

    def rewrite(self, code: Code, site: Site, rng: random.Random) -> Rewrite | None:
        loop = site.node
        condition = loop.child_by_field_name("condition")
        if condition is None or condition.type != "parenthesized_expression":
            return None
        start = code.span(loop)[0]
        end = code.span(condition)[1]
        text = f"for (; {_condition_inner(code, condition)}; )"
        return Rewrite((Splice(start, end, text),), f"while -> for at line {line_number(code, loop)}")


class DoWhileToWhile:
    name = "do-while-to-while"
    languages = frozenset({"java", "c"})
    description = "rewrite do { B } while (c); as while (true) { B if (!(c)) break; } when B has no continue"

    def sites(self, code: Code) -> list[Site]:
        return [Site(n) for n in code.walk() if n.type == "do_statement" and not n.has_error]

    def rewrite(self, code: Code, site: Site, rng: random.Random) -> Rewrite | None:
        language = code.language.name
        loop = site.node
        body = loop.child_by_field_name("body")
        condition = loop.child_by_field_name("condition")
        if body is None or condition is None or condition.type != "parenthesized_expression":
            return None
        # `continue` in a do-while jumps to the condition; in `while (true)` it would skip it.
        if owned_jumps(code, loop, "continue_statement"):
            return None
        if may_hide_jumps(code, body):
            return declined(MACRO_MAY_JUMP)
        if declared_names(code, [body]) & identifier_texts(code, [condition]):
            return None  # the condition would see a body variable instead of the one it names
        # Java: the appended check must be reachable, and `while (true)` must not change what follows the loop.
        if language == "java" and not (
            can_complete_normally(code, body) and surely_not_constant(code, condition)
        ):
            return None
        check = f"if (!({_condition_inner(code, condition)})) break;"
        start, end = code.span(loop)
        do_keyword = loop.children[0]
        splices = [Splice(start, code.span(do_keyword)[1], f"while ({_TRUE[language]})")]
        tail = append_to_body(code, loop, code.span(do_keyword)[1], body, [check], "")
        body_end = code.span(body)[1]
        if body.type in ("block", "compound_statement"):
            splices += [*tail, Splice(body_end, end, "")]
        else:  # the braces close where `while (c);` stood
            splices += [*tail[:-1], Splice(body_end, end, tail[-1].text)]
        return Rewrite(tuple(splices), f"do-while -> while at line {line_number(code, loop)}")


TRANSFORMS = (ForToWhile(), WhileToFor(), DoWhileToWhile())
