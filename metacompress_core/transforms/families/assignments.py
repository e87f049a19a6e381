"""Assignment spellings: `x += e` <-> `x = x + e`, and the four ways to count: `i++`, `++i`, `i += 1`,
`i = i + 1`.

In Java `x op= e` means `x = (T)(x op e)`: an implicit cast to x's type T, so `byte b; b += 1` compiles but
`b = b + 1` does not, and `int i; i += 1.5` truncates. The long form is offered only when the cast is the
identity: x's declared type is known and `x op e` already has type T. In C `x op= e` and `x = x op e` are
the same for every arithmetic and pointer type; the difference is that x is evaluated twice, so x must be
a plain local or parameter (not volatile, atomic or a macro), and when e contains a call that could reach x
(x's address is taken, or x is static) the forms are not swapped (the call and the read of x are
indeterminately sequenced). Pre/post increment are only exchanged where the value is not used (a statement
of its own or a for-loop update). Python is left alone: `a += b` mutates a list in place, `a = a + b` does
not.
"""

from __future__ import annotations

import random

import tree_sitter

from metacompress_core.code.parsing import Code
from metacompress_core.transforms.analysis.declarations import (
    address_taken,
    c_plain_local,
    c_words,
    declaration_of,
)
from metacompress_core.transforms.analysis.java_types import (
    INTEGRAL,
    NUMERIC,
    STRING,
    expression_type,
    promote,
    unboxed,
)
from metacompress_core.transforms.analysis.syntax import (
    UNARY,
    binary_precedence,
    glue_safe_splice,
    operand,
    operator,
    precedence,
    spelling_visible,
    strip_parens,
)
from metacompress_core.transforms.analysis.text import line_number
from metacompress_core.transforms.base import Rewrite, Site

_ARITHMETIC = frozenset({"+", "-", "*", "/", "%"})
_BITWISE = frozenset({"&", "|", "^"})
_SHIFTS = frozenset({"<<", ">>", ">>>"})
COMPOUND_OPS = _ARITHMETIC | _BITWISE | _SHIFTS
_JAVA_WIDE = frozenset({"int", "long", "float", "double"})


def _java_compound_is_plain(code: Code, target: tree_sitter.Node, op: str, value: tree_sitter.Node) -> bool:
    """True when Java's `target op= value` needs no implicit narrowing cast: `target op value` has exactly
    the declared type of `target` (a local)."""
    t = expression_type(code, target)
    if t is None or declaration_of(code, target) is None:
        return False
    v = unboxed(expression_type(code, value))
    if t == STRING:
        return op == "+"  # `s + e` is a String whatever e is
    if t == "boolean":
        return op in _BITWISE and v == "boolean"
    if t not in _JAVA_WIDE or v not in NUMERIC:
        return False
    if op in _SHIFTS:
        return t in INTEGRAL and v in INTEGRAL
    if op in _BITWISE and not (t in INTEGRAL and v in INTEGRAL):
        return False
    return promote(t, v) == t


def _c_target_ok(code: Code, target: tree_sitter.Node, value: tree_sitter.Node) -> bool:
    """C: `target` is a local that may be read twice, and `value` cannot change it behind our back."""
    decl = c_plain_local(code, target)
    if decl is None or ("static" in c_words(code, decl) and _has_call(value)):
        return False
    return not (_has_call(value) and code.node_text(target) in address_taken(code))


def _has_call(node: tree_sitter.Node) -> bool:
    stack = [node]
    while stack:
        n = stack.pop()
        if n.type in ("call_expression", "method_invocation"):
            return True
        stack.extend(n.children)
    return False


def _ws(code: Code, a: tree_sitter.Node, b: tree_sitter.Node) -> str:
    """The source between two sibling nodes (the spacing around an operator)."""
    return code.src[a.end_byte - code.offset : b.start_byte - code.offset].decode(errors="surrogateescape")


def _assignment_parts(
    node: tree_sitter.Node,
) -> tuple[tree_sitter.Node, tree_sitter.Node, tree_sitter.Node] | None:
    left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
    op = node.child_by_field_name("operator")
    if op is None:
        op = next((c for c in node.children if not c.is_named), None)
    if left is None or right is None or op is None:
        return None
    return left, op, right


class ExpandCompoundAssignment:
    name = "expand-compound-assignment"
    languages = frozenset({"java", "c"})
    description = "write a compound assignment out: x += e -> x = x + e (where the two mean the same)"

    def sites(self, code: Code) -> list[Site]:
        out = []
        for n in code.walk():
            if n.type != "assignment_expression" or spelling_visible(code, n):
                continue
            parts = _assignment_parts(n)
            if parts is None or parts[0].type != "identifier" or parts[1].type[:-1] not in COMPOUND_OPS:
                continue
            target, op, value = parts
            if code.language.name == "java":
                ok = _java_compound_is_plain(code, target, op.type[:-1], value)
            else:
                ok = op.type != ">>>=" and _c_target_ok(code, target, value)
            if ok:
                out.append(Site(n))
        return out

    def rewrite(self, code: Code, site: Site, rng: random.Random) -> Rewrite | None:
        target, op, value = _assignment_parts(site.node)
        binop = op.type[:-1]
        x = code.node_text(target)
        before, after = _ws(code, target, op), _ws(code, op, value)
        space = " " if before or after else ""
        rhs = operand(code, value, binary_precedence(code.language.name, binop) + 1)
        text = f"{x}{before}={after}{x}{space}{binop}{space}{rhs}"
        start, end = code.span(site.node)
        detail = f"{x} {op.type} ... -> {x} = {x} {binop} ... at line {line_number(code, site.node)}"
        return Rewrite((glue_safe_splice(code, start, end, text),), detail)


class ContractAssignment:
    name = "contract-assignment"
    languages = frozenset({"java", "c"})
    description = "use a compound assignment: x = x + e -> x += e (where the two mean the same)"

    def sites(self, code: Code) -> list[Site]:
        out = []
        for n in code.walk():
            if n.type != "assignment_expression" or spelling_visible(code, n):
                continue
            parts = _assignment_parts(n)
            if parts is None or parts[1].type != "=" or parts[0].type != "identifier":
                continue
            target, _, value = parts
            value = strip_parens(value)
            if value.type != "binary_expression" or operator(value) not in COMPOUND_OPS:
                continue
            first = value.child_by_field_name("left")
            if first.type != "identifier" or code.node_text(first) != code.node_text(target):
                continue
            if code.language.name == "java":
                # `x = x op e` compiles, so `x op e` is assignable to x: the cast of `x op= e` is the identity.
                t = expression_type(code, target)
                ok = declaration_of(code, target) is not None and (
                    t in _JAVA_WIDE or t in ("boolean", STRING)
                )
            else:
                ok = operator(value) != ">>>" and _c_target_ok(code, target, value)
            if ok:
                out.append(Site(n, value))
        return out

    def rewrite(self, code: Code, site: Site, rng: random.Random) -> Rewrite | None:
        target, op, _ = _assignment_parts(site.node)
        value = site.data
        binop = operator(value)
        rest = value.child_by_field_name("right")
        x = code.node_text(target)
        text = f"{x}{_ws(code, target, op)}{binop}={_ws(code, op, site.node.child_by_field_name('right'))}"
        text += code.node_text(rest)
        start, end = code.span(site.node)
        detail = f"{x} = {x} {binop} ... -> {x} {binop}= ... at line {line_number(code, site.node)}"
        return Rewrite((glue_safe_splice(code, start, end, text),), detail)


# The four spellings of adding (or subtracting) one.
POST, PRE, COMPOUND, ASSIGN = "post", "pre", "compound", "assign"


def _discarded_expressions(code: Code) -> list[tree_sitter.Node]:
    """Expressions whose value nobody uses: a statement of its own, a for-loop update (and the parts of a
    comma expression there)."""
    out = []
    for n in code.walk():
        if n.type == "expression_statement" and n.named_child_count >= 1:
            parent = n.parent
            # A Java switch rule's expression is the switch expression's value; a GNU statement
            # expression's last statement is its value.
            if parent is not None and parent.type in ("switch_rule",):
                continue
            if (
                parent is not None
                and parent.parent is not None
                and parent.parent.type
                in (
                    "parenthesized_expression",
                    "statement_expression",
                )
            ):
                continue
            out.append(n.named_children[0])
        elif n.type == "for_statement":
            out += [c for i, c in enumerate(n.children) if n.field_name_for_child(i) == "update"]
    flat = []
    while out:
        e = out.pop()
        if e.type == "comma_expression":
            out += [e.child_by_field_name("left"), e.child_by_field_name("right")]
        else:
            flat.append(e)
    return flat


def _is_one(code: Code, node: tree_sitter.Node) -> bool:
    return node.type in ("decimal_integer_literal", "number_literal") and code.node_text(node) == "1"


def _increment(code: Code, node: tree_sitter.Node) -> tuple[str, str, tree_sitter.Node] | None:
    """(form, sign, target) when `node` adds or subtracts one: `i++`, `--i`, `i += 1`, `i = i - 1`."""
    if node.type == "update_expression":
        op_node = next((c for c in node.children if c.type in ("++", "--")), None)
        target = next((c for c in node.named_children if c.type != "comment"), None)
        if op_node is None or target is None:
            return None
        return (PRE if op_node.start_byte < target.start_byte else POST), op_node.type[0], target
    if node.type != "assignment_expression":
        return None
    parts = _assignment_parts(node)
    if parts is None:
        return None
    target, op, value = parts
    if op.type in ("+=", "-=") and _is_one(code, value):
        return COMPOUND, op.type[0], target
    value = strip_parens(value)
    if op.type == "=" and target.type == "identifier" and value.type == "binary_expression":
        first, second = value.child_by_field_name("left"), value.child_by_field_name("right")
        same = first.type == "identifier" and code.node_text(first) == code.node_text(target)
        if operator(value) in ("+", "-") and same and _is_one(code, second):
            return ASSIGN, operator(value), target
    return None


def _allowed_forms(code: Code, form: str, target: tree_sitter.Node) -> list[str]:
    """The spellings that mean the same as `form` for this target (`form` itself included)."""
    if code.language.name == "java":
        t = expression_type(code, target)
        known = t in NUMERIC and (target.type != "identifier" or declaration_of(code, target) is not None)
        forms = [POST, PRE] if form in (POST, PRE) else []
        if known:
            forms = [POST, PRE, COMPOUND]
            if target.type == "identifier" and t in _JAVA_WIDE:
                forms.append(ASSIGN)  # `b = b + 1` does not compile for byte/short/char
        return forms if form in forms else []
    # C: every name in the target must be a local (an unknown name may be a macro that regroups the text).
    names = [n for n in _walk(target) if n.type == "identifier"]
    if any(declaration_of(code, n) is None for n in names):
        return []
    if target.type == "identifier":
        return [POST, PRE, COMPOUND, ASSIGN] if c_plain_local(code, target) is not None else []
    return [] if form == ASSIGN else [POST, PRE, COMPOUND]


def _walk(node: tree_sitter.Node):
    stack = [node]
    while stack:
        n = stack.pop()
        yield n
        stack.extend(n.children)


class IncrementForm:
    name = "increment-form"
    languages = frozenset({"java", "c"})
    description = "respell a statement that adds one: i++ <-> ++i <-> i += 1 <-> i = i + 1"

    def sites(self, code: Code) -> list[Site]:
        out = []
        for e in sorted(_discarded_expressions(code), key=lambda n: n.start_byte):
            inc = _increment(code, e)
            if inc is None or spelling_visible(code, e):
                continue
            forms = _allowed_forms(code, inc[0], inc[2])
            if len(forms) > 1:
                out.append(Site(e, (inc, tuple(forms))))
        return out

    def rewrite(self, code: Code, site: Site, rng: random.Random) -> Rewrite | None:
        (form, sign, target), forms = site.data
        new_form = rng.choice([f for f in forms if f != form])
        lv = code.node_text(target)
        op = sign * 2
        if new_form == POST:
            text = f"({lv}){op}" if precedence(code, target) <= UNARY else f"{lv}{op}"
        elif new_form == PRE:
            text = f"{op}({lv})" if precedence(code, target) < UNARY else f"{op}{lv}"
        elif new_form == COMPOUND:
            text = f"{lv} {sign}= 1"
        else:
            text = f"{lv} = {lv} {sign} 1"
        start, end = code.span(site.node)
        detail = f"{code.node_text(site.node)} -> {text} at line {line_number(code, site.node)}"
        return Rewrite((glue_safe_splice(code, start, end, text),), detail)


TRANSFORMS = (ExpandCompoundAssignment(), ContractAssignment(), IncrementForm())
