"""The static types of simple Java expressions, as far as one method shows them.

Rewrites such as `x += e` -> `x = x + e` or `a + b` -> `b + a` are only right for some types (a compound
assignment narrows implicitly, `+` may concatenate strings). The answer comes from the declarations of
locals and parameters in the unit and from literals; anything else (fields, calls, generics) is None, and
callers decline.
"""

from __future__ import annotations

import tree_sitter

from metacompress_core.code.parsing import Code
from metacompress_core.transforms.analysis.declarations import declaration_of
from metacompress_core.transforms.analysis.syntax import operator, strip_parens

NUMERIC = ("byte", "short", "char", "int", "long", "float", "double")  # in widening order (char ~ short)
INTEGRAL = frozenset({"byte", "short", "char", "int", "long"})
PRIMITIVE = frozenset(NUMERIC) | {"boolean"}
BOXED = {
    "Byte": "byte",
    "Short": "short",
    "Character": "char",
    "Integer": "int",
    "Long": "long",
    "Float": "float",
    "Double": "double",
    "Boolean": "boolean",
}
STRING = "String"
_INT_LITERALS = {
    "decimal_integer_literal",
    "hex_integer_literal",
    "octal_integer_literal",
    "binary_integer_literal",
}
_FLOAT_LITERALS = {"decimal_floating_point_literal", "hex_floating_point_literal"}


def declared_type(code: Code, ident: tree_sitter.Node) -> str | None:
    """The declared type of the local `ident` names: "int", "String", "Integer", "int[]", ... (None: unknown).
    Annotations and whitespace are dropped; a declarator's own dimensions (`int a[]`) are added."""
    decl = declaration_of(code, ident)
    if decl is None or decl.type_text is None:
        return None
    text = "".join(decl.type_text.split())
    if text.startswith("java.lang."):
        text = text[len("java.lang.") :]
    if decl.node.type == "spread_parameter":
        return text + "[]"
    if not decl.plain:
        dims = decl.declarator.child_by_field_name("dimensions") if decl.declarator is not None else None
        if dims is None:
            dims = decl.node.child_by_field_name("dimensions")
        if dims is None:
            return None
        text += "".join(code.node_text(dims).split())
    return text


def promote(*types: str) -> str | None:
    """Binary numeric promotion (JLS 5.6): the type arithmetic on these operand types computes in."""
    if not all(t in NUMERIC for t in types):
        return None
    for wide in ("double", "float", "long"):
        if wide in types:
            return wide
    return "int"


def expression_type(code: Code, node: tree_sitter.Node) -> str | None:
    """The static type of a simple expression: a primitive, "String", a boxed or other declared reference
    type, "null"; None when the method alone cannot tell."""
    node = strip_parens(node)
    t = node.type
    if t in _INT_LITERALS:
        return "long" if code.node_text(node)[-1] in "lL" else "int"
    if t in _FLOAT_LITERALS:
        return "float" if code.node_text(node)[-1] in "fF" else "double"
    if t == "character_literal":
        return "char"
    if t in ("true", "false"):
        return "boolean"
    if t in ("string_literal", "text_block"):
        return STRING
    if t == "null_literal":
        return "null"
    if t == "identifier":
        return declared_type(code, node)
    if t == "cast_expression":
        target = "".join(code.node_text(node.child_by_field_name("type")).split())
        return target if target in PRIMITIVE or target == STRING else None
    if t == "unary_expression":
        inner = expression_type(code, node.child_by_field_name("operand"))
        if operator(node) == "!":
            return "boolean" if inner == "boolean" else None
        return promote(unboxed(inner)) if inner else None
    if t == "field_access":
        obj, field = node.child_by_field_name("object"), node.child_by_field_name("field")
        if obj.type == "identifier" and code.node_text(field) == "length":
            obj_type = declared_type(code, obj)
            return "int" if obj_type is not None and obj_type.endswith("[]") else None
        return None
    if t == "array_access":
        array = node.child_by_field_name("array")
        array_type = declared_type(code, array) if array.type == "identifier" else None
        return array_type[:-2] if array_type is not None and array_type.endswith("[]") else None
    if t == "binary_expression":
        return _binary_type(code, node)
    if t == "ternary_expression":
        a = expression_type(code, node.child_by_field_name("consequence"))
        b = expression_type(code, node.child_by_field_name("alternative"))
        return a if a is not None and a == b else None
    return None


def unboxed(t: str | None) -> str | None:
    return BOXED.get(t, t) if t is not None else None


def _binary_type(code: Code, node: tree_sitter.Node) -> str | None:
    op = operator(node)
    left = expression_type(code, node.child_by_field_name("left"))
    right = expression_type(code, node.child_by_field_name("right"))
    if op in ("==", "!=", "<", ">", "<=", ">=", "&&", "||"):
        return "boolean"
    if left is None or right is None:
        return None
    if op == "+" and STRING in (left, right):
        return STRING
    left, right = unboxed(left), unboxed(right)
    if op in ("<<", ">>", ">>>"):
        return promote(left) if left in INTEGRAL and right in INTEGRAL else None
    if op in ("&", "|", "^") and left == right == "boolean":
        return "boolean"
    if op in ("&", "|", "^") and not (left in INTEGRAL and right in INTEGRAL):
        return None
    return promote(left, right)
