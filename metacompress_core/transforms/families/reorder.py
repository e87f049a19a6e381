"""Swap two adjacent statements that cannot see each other.

Only plain statements qualify: an assignment, increment or declaration whose expressions are arithmetic on
locals and literals; no calls, no field/array/pointer access (writes through them could alias), nothing
that may throw (Java integer division, Python operators on values of unknown type) and no jumps. Each one's
reads and writes are collected by name, and the pair is swapped only when neither writes a name the other
reads or writes (declarations count as writes). Names are compared by spelling, which is conservative
where C shadowing would make two spellings distinct variables. Python statements qualify only inside a
function (class bodies record the order of their attributes) that does not inspect its own locals.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import tree_sitter

from metacompress_core.code.parsing import Code
from metacompress_core.transforms.analysis.declarations import c_plain_local, declaration_of
from metacompress_core.transforms.analysis.java_types import INTEGRAL, PRIMITIVE, STRING, expression_type
from metacompress_core.transforms.analysis.python_names import (
    TOTAL_INT_OPS,
    cannot_raise,
    definitely_bound,
    python_locals,
)
from metacompress_core.transforms.analysis.statements import block_statements, blocks, has_preprocessor
from metacompress_core.transforms.analysis.syntax import operator, strip_parens
from metacompress_core.transforms.analysis.text import line_number
from metacompress_core.transforms.base import Rewrite, Site, Splice

FLOATING = ("float", "double")
_INTROSPECTION = (
    "locals",
    "vars",
    "dir(",
    "exec",
    "eval",
    "_getframe",
    "f_locals",
    "inspect",
    "currentframe",
)
_PY_LITERALS = ("integer", "float", "true", "false", "none")


@dataclass(frozen=True)
class Effects:
    reads: frozenset[str]
    writes: frozenset[str]

    def independent_of(self, other: Effects) -> bool:
        return not (self.writes & (other.reads | other.writes) or other.writes & self.reads)


def _java_reads(code: Code, node: tree_sitter.Node) -> set[str] | None:
    """Names a Java expression reads, or None when it is not plain arithmetic on primitive/String locals."""
    t = node.type
    if t in (
        "decimal_integer_literal",
        "hex_integer_literal",
        "octal_integer_literal",
        "binary_integer_literal",
        "decimal_floating_point_literal",
        "hex_floating_point_literal",
        "character_literal",
        "string_literal",
        "true",
        "false",
    ):
        return set()
    if t == "identifier":
        typ = expression_type(code, node)
        ok = declaration_of(code, node) is not None and (typ in PRIMITIVE or typ == STRING)
        return {code.node_text(node)} if ok else None
    if t == "cast_expression":
        target = "".join(code.node_text(node.child_by_field_name("type")).split())
        return _java_reads(code, node.child_by_field_name("value")) if target in PRIMITIVE else None
    if (
        t == "binary_expression"
        and operator(node) in ("/", "%")
        and expression_type(code, node) not in FLOATING
    ):
        return None  # integer division by zero throws
    if t in ("parenthesized_expression", "unary_expression", "binary_expression", "ternary_expression"):
        return _union(_java_reads(code, c) for c in node.named_children)
    return None


def _c_reads(code: Code, node: tree_sitter.Node) -> set[str] | None:
    t = node.type
    if t in ("number_literal", "char_literal", "string_literal", "true", "false", "null"):
        return set()
    if t == "identifier":
        return {code.node_text(node)} if c_plain_local(code, node) is not None else None
    if t == "cast_expression":
        return _c_reads(code, node.child_by_field_name("value"))
    if t in ("parenthesized_expression", "unary_expression", "binary_expression", "conditional_expression"):
        return _union(_c_reads(code, c) for c in node.named_children if c.type != "comment")
    return None


def _union(parts) -> set[str] | None:
    out: set[str] = set()
    for p in parts:
        if p is None:
            return None
        out |= p
    return out


def _assignment_effects(code: Code, node: tree_sitter.Node) -> Effects | None:
    """Java/C: `x = e`, `x op= e`, `x++` on a local x."""
    lang = code.language.name
    reads_of = _java_reads if lang == "java" else _c_reads
    if node.type == "update_expression":
        target = next((c for c in node.named_children if c.type != "comment"), None)
        if target is None or target.type != "identifier" or reads_of(code, target) is None:
            return None
        name = code.node_text(target)
        return Effects(frozenset({name}), frozenset({name}))
    if node.type != "assignment_expression":
        return None
    left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
    op = operator(node)
    if left is None or right is None or left.type != "identifier" or reads_of(code, left) is None:
        return None
    if lang == "java" and op in ("/=", "%=") and expression_type(code, left) in INTEGRAL:
        return None
    reads = reads_of(code, right)
    if reads is None:
        return None
    name = code.node_text(left)
    if op != "=":
        reads = reads | {name}
    return Effects(frozenset(reads), frozenset({name}))


def _declaration_effects(code: Code, stmt: tree_sitter.Node) -> Effects | None:
    lang = code.language.name
    reads, writes = set(), set()
    for i, d in enumerate(stmt.children):
        if stmt.field_name_for_child(i) != "declarator":
            continue
        if lang == "java":
            name, value = d.child_by_field_name("name"), d.child_by_field_name("value")
        else:
            value = d.child_by_field_name("value") if d.type == "init_declarator" else None
            name = d.child_by_field_name("declarator") if d.type == "init_declarator" else d
            while name is not None and name.type == "pointer_declarator":
                name = name.child_by_field_name("declarator")
        if name is None or name.type != "identifier":
            return None  # arrays (a VLA size is evaluated), functions, ...
        writes.add(code.node_text(name))
        if value is not None:
            r = (_java_reads if lang == "java" else _c_reads)(code, value)
            if r is None:
                return None
            reads |= r
    if lang == "c":
        type_node = stmt.child_by_field_name("type")
        kinds = {c.type for c in stmt.children}
        qualifiers = {code.node_text(c) for c in stmt.children if c.type == "type_qualifier"}
        if (
            type_node is None
            or type_node.child_by_field_name("body") is not None
            or "storage_class_specifier" in kinds
        ):
            return None
        if qualifiers & {"volatile", "_Atomic"}:
            return None  # an access to a volatile object is itself observable
    return Effects(frozenset(reads), frozenset(writes)) if writes else None


def _python_effects(
    code: Code, stmt: tree_sitter.Node, ints: frozenset[str], globals_: set[str]
) -> Effects | None:
    if stmt.type != "expression_statement" or stmt.named_child_count != 1:
        return None
    node = stmt.named_children[0]
    left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
    if node.type not in ("assignment", "augmented_assignment") or left is None or right is None:
        return None
    if left.type != "identifier" or node.child_by_field_name("type") is not None:
        return None
    name = code.node_text(left)
    if name in globals_:
        return None
    value = strip_parens(right)
    if node.type == "assignment" and (value.type in _PY_LITERALS or _plain_string(value)):
        return Effects(frozenset(), frozenset({name}))
    if not cannot_raise(code, value, ints):
        return None
    reads = {code.node_text(n) for n in code.walk(value) if n.type == "identifier"}
    if node.type == "augmented_assignment":
        if (
            name not in ints
            or operator(node)[:-1] not in TOTAL_INT_OPS
            or not definitely_bound(code, name, left)
        ):
            return None
        reads.add(name)
    return Effects(frozenset(reads), frozenset({name}))


def _plain_string(node: tree_sitter.Node) -> bool:
    return node.type == "string" and not any(c.type == "interpolation" for c in node.children)


def _python_function_block(block: tree_sitter.Node) -> bool:
    scope = block.parent
    while scope is not None and scope.type not in ("function_definition", "class_definition", "lambda"):
        scope = scope.parent
    return scope is not None and scope.type == "function_definition"


# Nodes that rule a statement out before any name is looked up (calls, allocation, indirect access).
_DISQUALIFYING = frozenset(
    {
        "method_invocation",
        "object_creation_expression",
        "array_creation_expression",
        "lambda_expression",
        "field_access",
        "array_access",
        "call_expression",
        "field_expression",
        "subscript_expression",
        "pointer_expression",
        "call",
        "attribute",
        "subscript",
        "lambda",
    }
)


def _disqualified(stmt: tree_sitter.Node) -> bool:
    stack = [stmt]
    while stack:
        n = stack.pop()
        if n.type in _DISQUALIFYING:
            return True
        stack.extend(n.children)
    return False


def statement_effects(
    code: Code, stmt: tree_sitter.Node, ints=frozenset(), globals_=frozenset()
) -> Effects | None:
    """What a plain statement reads and writes, by name; None for anything else."""
    lang = code.language.name
    if _disqualified(stmt):
        return None
    if lang == "python":
        return _python_effects(code, stmt, ints, globals_)
    if stmt.type == "expression_statement" and stmt.named_child_count == 1:
        return _assignment_effects(code, stmt.named_children[0])
    if (lang == "java" and stmt.type == "local_variable_declaration") or (
        lang == "c" and stmt.type == "declaration"
    ):
        return _declaration_effects(code, stmt)
    return None


class SwapStatements:
    name = "swap-statements"
    languages = frozenset({"java", "c", "python"})
    description = "swap two adjacent independent statements (plain assignments/declarations on locals)"

    def sites(self, code: Code) -> list[Site]:
        lang = code.language.name
        ints, globals_ = frozenset(), set()
        if lang == "python":
            if any(word in code.text for word in _INTROSPECTION):
                return []
            ints = python_locals(code).known_ints
            globals_ = {
                code.node_text(n)
                for s in code.walk()
                if s.type in ("global_statement", "nonlocal_statement")
                for n in s.named_children
            }
        out = []
        for block in blocks(code):
            if (lang == "c" and has_preprocessor(block)) or (
                lang == "python" and not _python_function_block(block)
            ):
                continue
            stmts = block_statements(code, block)
            effects = [statement_effects(code, s, ints, globals_) for s in stmts]
            for i in range(len(stmts) - 1):
                a, b = effects[i], effects[i + 1]
                same = code.node_text(stmts[i]) == code.node_text(stmts[i + 1])
                if a is not None and b is not None and a.independent_of(b) and not same:
                    out.append(Site(stmts[i], stmts[i + 1]))
        return out

    def rewrite(self, code: Code, site: Site, rng: random.Random) -> Rewrite | None:
        a, b = site.node, site.data
        (a0, a1), (b0, b1) = code.span(a), code.span(b)
        splices = (Splice(a0, a1, code.node_text(b)), Splice(b0, b1, code.node_text(a)))
        return Rewrite(
            splices, f"swapping the statements at lines {line_number(code, a)} and {line_number(code, b)}"
        )


TRANSFORMS = (SwapStatements(),)
