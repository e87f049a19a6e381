"""What one Python function shows about its local names: which are certainly ints, and whether a name is
certainly bound at a given point.

Python operators dispatch on the operands' types at run time (`x + 1` may call a user `__add__`, and
`1 + x` a different `__radd__`), so a rewrite that reorders operands is only sound when the types are
known. A local is a known int when every binding of it in the function is a plain assignment of an
integer expression (integer literals, known ints, integer-closed operators) and no nested scope, `global`,
`nonlocal` or `del` touches it. Parameters are never known: callers may pass anything.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import tree_sitter

from metacompress_core.code.parsing import Code
from metacompress_core.transforms.analysis.syntax import operator, strip_parens

# tree-sitter calls `1j` an integer too.
_INT_LITERAL = re.compile(r"(0[xX][0-9a-fA-F_]+|0[oO][0-7_]+|0[bB][01_]+|[0-9][0-9_]*)\Z")

# Scopes of their own: names inside them are not (only) the function's.
NESTED_SCOPES = frozenset(
    {
        "function_definition",
        "class_definition",
        "lambda",
        "list_comprehension",
        "set_comprehension",
        "dictionary_comprehension",
        "generator_expression",
    }
)
# Operators that map ints to ints (when they do not raise).
INT_OPS = frozenset({"+", "-", "*", "//", "%", "&", "|", "^", "<<", ">>"})
# ... and those among them that never raise on ints.
TOTAL_INT_OPS = frozenset({"+", "-", "*", "&", "|", "^"})
# Expression node types through which an identifier is only read (a target is reached through a field
# named "left"/"name" of an assignment, never through these).
_READ_CONTEXTS = frozenset(
    {
        "binary_operator",
        "unary_operator",
        "comparison_operator",
        "boolean_operator",
        "not_operator",
        "parenthesized_expression",
        "conditional_expression",
        "argument_list",
        "call",
        "subscript",
        "slice",
        "list",
        "set",
        "dictionary",
        "pair",
        "tuple",
        "expression_list",
        "keyword_argument",
        "interpolation",
        "string",
        "concatenated_string",
        "list_splat",
        "dictionary_splat",
        "await",
    }
)
# Statements whose expression parts (other than targets) only read names.
_READ_STATEMENTS = frozenset(
    {
        "expression_statement",
        "return_statement",
        "if_statement",
        "elif_clause",
        "while_statement",
        "assert_statement",
        "raise_statement",
        "print_statement",
    }
)


def function_of(code: Code) -> tree_sitter.Node | None:
    root = code.root
    if root.type == "decorated_definition":
        root = root.child_by_field_name("definition")
    return root if root is not None and root.type == "function_definition" else None


def in_nested_scope(node: tree_sitter.Node, func: tree_sitter.Node) -> bool:
    cur = node.parent
    while cur is not None and cur != func:
        if cur.type in NESTED_SCOPES:
            return True
        cur = cur.parent
    return False


@dataclass(frozen=True)
class _Binding:
    kind: str  # "assign" (name = value), "augment" (name op= value), "walrus" (name := value), "other"
    value: tree_sitter.Node | None = None
    op: str | None = None


def _classify(code: Code, ident: tree_sitter.Node, func: tree_sitter.Node) -> _Binding | None:
    """How an occurrence of a name uses it: None for a plain read, else the kind of binding (anything not
    recognised as a read counts as an unknown binding, "other")."""
    parent = ident.parent
    if parent is None:
        return _Binding("other")
    if parent.type == "attribute" and parent.child_by_field_name("attribute") == ident:
        return None  # `obj.name`: not the variable
    if parent.type == "keyword_argument" and parent.child_by_field_name("name") == ident:
        return None  # `f(name=...)`
    if parent.type in ("assignment", "augmented_assignment") and parent.child_by_field_name("left") == ident:
        value = parent.child_by_field_name("right")
        if parent.type == "augmented_assignment":
            return _Binding("augment", value, operator(parent)[:-1] if operator(parent) else None)
        if value is None or value.type in ("assignment", "augmented_assignment", "yield", "expression_list"):
            return _Binding("other")  # annotation only, chained, or a tuple
        return _Binding("assign", value)
    if parent.type == "named_expression" and parent.child_by_field_name("name") == ident:
        return _Binding("walrus", parent.child_by_field_name("value"))
    prev, cur = ident, parent
    while cur is not None and cur != func:
        if cur.type in ("subscript", "attribute"):
            return None  # `a[i] = v`, `a.f = v`: a and i are read, the object is what changes
        if cur.type in ("assignment", "augmented_assignment"):
            return None if cur.child_by_field_name("right") == prev else _Binding("other")
        if cur.type == "named_expression":
            return None if cur.child_by_field_name("value") == prev else _Binding("other")
        if cur.type == "for_statement":
            return None if cur.child_by_field_name("right") == prev else _Binding("other")
        if cur.type in _READ_STATEMENTS:
            return None
        if cur.type not in _READ_CONTEXTS:
            return _Binding("other")
        prev, cur = cur, cur.parent
    return _Binding("other")


@dataclass(frozen=True)
class PythonLocals:
    known_ints: frozenset[str]


@lru_cache(maxsize=256)
def python_locals(code: Code) -> PythonLocals:
    func = function_of(code)
    if func is None:
        return PythonLocals(frozenset())
    params = func.child_by_field_name("parameters")
    param_names = (
        {code.node_text(n) for n in code.walk(params) if n.type == "identifier"} if params else set()
    )
    bindings: dict[str, list[_Binding]] = {}
    excluded = set(param_names)
    body = func.child_by_field_name("body")
    for n in code.walk(body):
        if n.type != "identifier":
            continue
        name = code.node_text(n)
        if in_nested_scope(n, func):
            excluded.add(name)
            continue
        b = _classify(code, n, func)
        if b is not None:
            bindings.setdefault(name, []).append(b)
    candidates = {
        name
        for name, bs in bindings.items()
        if name not in excluded
        and all(b.kind != "other" for b in bs)
        and any(b.kind != "augment" for b in bs)
    }
    changed = True
    while changed:
        changed = False
        for name in sorted(candidates):
            if not all(_int_binding(code, b, candidates) for b in bindings[name]):
                candidates.discard(name)
                changed = True
    return PythonLocals(frozenset(candidates))


def _int_binding(code: Code, b: _Binding, ints: set[str] | frozenset[str]) -> bool:
    if b.kind == "augment" and b.op not in INT_OPS:
        return False
    return b.value is not None and int_expression(code, b.value, ints)


def int_expression(
    code: Code, node: tree_sitter.Node, ints: set[str] | frozenset[str], total: bool = False
) -> bool:
    """True when `node` is built from integer literals and names in `ints` with int-to-int operators (only
    operators that cannot raise, with `total`)."""
    node = strip_parens(node)
    if node.type == "integer":
        return is_int_literal(code, node)
    if node.type == "identifier":
        return code.node_text(node) in ints
    if node.type == "unary_operator":
        return operator(node) in ("-", "+", "~") and int_expression(
            code, node.child_by_field_name("argument"), ints, total
        )
    if node.type == "binary_operator":
        ops = TOTAL_INT_OPS if total else INT_OPS
        return (
            operator(node) in ops
            and int_expression(code, node.child_by_field_name("left"), ints, total)
            and int_expression(code, node.child_by_field_name("right"), ints, total)
        )
    return False


def is_int_literal(code: Code, node: tree_sitter.Node) -> bool:
    return node.type == "integer" and _INT_LITERAL.match(code.node_text(node)) is not None


def definitely_bound(code: Code, name: str, use: tree_sitter.Node) -> bool:
    """True when a plain `name = ...` statement runs, in the same or an enclosing block, before the statement
    that holds `use` (for a known int, which is never deleted, it then stays bound)."""
    prev, cur = use, use.parent
    while cur is not None:
        if cur.type == "block":
            for stmt in cur.named_children:
                if stmt.end_byte > prev.start_byte:
                    break
                if _assigns(code, stmt, name):
                    return True
        if cur.type in NESTED_SCOPES:
            return False
        prev, cur = cur, cur.parent
    return False


def _assigns(code: Code, stmt: tree_sitter.Node, name: str) -> bool:
    if stmt.type != "expression_statement" or stmt.named_child_count != 1:
        return False
    a = stmt.named_children[0]
    left = a.child_by_field_name("left") if a.type == "assignment" else None
    return (
        left is not None
        and left.type == "identifier"
        and code.node_text(left) == name
        and (a.child_by_field_name("right") is not None)
    )


def cannot_raise(code: Code, node: tree_sitter.Node, ints: frozenset[str]) -> bool:
    """An int expression with only never-raising operators whose names are all certainly bound here."""
    if not int_expression(code, node, ints, total=True):
        return False
    return all(
        definitely_bound(code, code.node_text(n), n) for n in code.walk(node) if n.type == "identifier"
    )
