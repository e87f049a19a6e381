"""Whether evaluating an expression can have an effect anyone could observe, so that it may be evaluated in
another order: no calls, assignments, increments or allocations; in Java, whether it may throw (two operands
that may both throw must keep their order: the first one's exception wins); in C, no volatile reads (a
volatile access is itself an observable effect) and no macros (an unknown identifier may expand to
anything). Names must be locals or parameters of the unit; anything unknown counts as impure.
"""

from __future__ import annotations

import tree_sitter

from metacompress_core.code.parsing import Code
from metacompress_core.transforms.analysis.declarations import c_plain_local, declaration_of
from metacompress_core.transforms.analysis.java_types import BOXED, PRIMITIVE, STRING, expression_type
from metacompress_core.transforms.analysis.syntax import operator

_JAVA_LITERALS = {
    "decimal_integer_literal",
    "hex_integer_literal",
    "octal_integer_literal",
    "binary_integer_literal",
    "decimal_floating_point_literal",
    "hex_floating_point_literal",
    "character_literal",
    "string_literal",
    "text_block",
    "true",
    "false",
    "null_literal",
    "this",
    "class_literal",
}
_C_LITERALS = {
    "number_literal",
    "char_literal",
    "string_literal",
    "concatenated_string",
    "true",
    "false",
    "null",
}
# C types whose objects cannot hide a volatile qualifier behind a typedef.
C_PLAIN_TYPES = frozenset(
    """size_t ssize_t ptrdiff_t intptr_t uintptr_t off_t bool int8_t int16_t int32_t int64_t uint8_t uint16_t
    uint32_t uint64_t intmax_t uintmax_t""".split()
)


def java_may_throw(code: Code, node: tree_sitter.Node) -> bool | None:
    """None when evaluating `node` may have a side effect (or cannot be judged); otherwise whether it may
    throw (NullPointerException, ArithmeticException, ArrayIndexOutOfBounds, ClassCastException)."""
    t = node.type
    if t in _JAVA_LITERALS:
        return False
    if t == "identifier":
        decl = declaration_of(code, node)
        if decl is None:
            return None  # a field: perhaps volatile, perhaps written by another thread
        declared = expression_type(code, node)
        return declared is None or declared in BOXED  # unboxing a null throws
    if t == "parenthesized_expression":
        return java_may_throw(code, node.named_children[0]) if node.named_child_count == 1 else None
    if t == "unary_expression":
        return java_may_throw(code, node.child_by_field_name("operand"))
    if t == "binary_expression":
        return _java_binary(code, node)
    if t == "ternary_expression":
        parts = [
            java_may_throw(code, node.child_by_field_name(f))
            for f in ("condition", "consequence", "alternative")
        ]
        return None if None in parts else any(parts)
    if t == "cast_expression":
        inner = java_may_throw(code, node.child_by_field_name("value"))
        target = "".join(code.node_text(node.child_by_field_name("type")).split())
        return None if inner is None else inner or target not in PRIMITIVE
    if t == "field_access":
        obj, field = node.child_by_field_name("object"), node.child_by_field_name("field")
        if obj.type == "identifier" and code.node_text(field) == "length":
            obj_type = expression_type(code, obj)
            if obj_type is not None and obj_type.endswith("[]"):
                return True  # the array may be null
        return None
    if t == "array_access":
        array, index = node.child_by_field_name("array"), node.child_by_field_name("index")
        if array.type != "identifier" or declaration_of(code, array) is None:
            return None
        return None if java_may_throw(code, index) is None else True
    if t == "instanceof_expression":
        if node.named_child_count != 2:
            return None  # a pattern declares a variable whose scope depends on the shape around it
        return java_may_throw(code, node.named_children[0])
    return None


def _java_binary(code: Code, node: tree_sitter.Node) -> bool | None:
    left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
    a, b = java_may_throw(code, left), java_may_throw(code, right)
    if a is None or b is None:
        return None
    op = operator(node)
    if op == "+":
        lt, rt = expression_type(code, left), expression_type(code, right)
        if lt is None or rt is None:
            return None  # cannot tell a sum from a concatenation
        if STRING in (lt, rt) and not all(
            x in PRIMITIVE or x in BOXED or x in (STRING, "null") for x in (lt, rt)
        ):
            return None  # concatenation calls toString(): user code
    if op in ("/", "%") and expression_type(code, node) not in ("float", "double"):
        return True  # integer division by zero
    return a or b


def c_effect_free(code: Code, node: tree_sitter.Node) -> bool:
    """True when evaluating C expression `node` reads only non-volatile locals/parameters and literals and
    writes nothing, so that it may be evaluated before or after any other such expression."""
    t = node.type
    if t in _C_LITERALS:
        return True
    if t == "identifier":
        decl = c_plain_local(code, node)
        return decl is not None and _c_plain_type(code, decl)
    if t in ("parenthesized_expression", "binary_expression", "conditional_expression"):
        return all(c_effect_free(code, c) for c in node.named_children if c.type != "comment")
    if t == "unary_expression":
        return c_effect_free(code, node.child_by_field_name("argument"))
    if t == "cast_expression":
        return c_effect_free(code, node.child_by_field_name("value"))
    if t == "sizeof_expression":
        value = node.child_by_field_name("value")
        return value is None or c_effect_free(code, value)
    if t == "pointer_expression":
        arg = node.child_by_field_name("argument")
        if node.children[0].type == "&":
            return arg.type == "identifier" and c_plain_local(code, arg) is not None
        return _c_plain_pointee(code, arg)
    if t == "subscript_expression":
        return _c_plain_pointee(code, node.child_by_field_name("argument")) and c_effect_free(
            code, node.child_by_field_name("index")
        )
    return False


def _c_plain_type(code: Code, decl) -> bool:
    """The object a declaration names cannot be volatile through a typedef: a built-in or standard type, or
    a pointer (the pointer itself is volatile only when its declarator says so)."""
    if decl.declarator is not None and decl.declarator.type in ("pointer_declarator", "init_declarator"):
        inner = decl.declarator
        if inner.type == "init_declarator":
            inner = inner.child_by_field_name("declarator")
        if inner is not None and inner.type == "pointer_declarator":
            return True
    return _c_builtin_base(code, decl)


def _c_builtin_base(code: Code, decl) -> bool:
    type_node = decl.node.child_by_field_name("type")
    if type_node is None:
        return False
    return (
        type_node.type in ("primitive_type", "sized_type_specifier")
        or code.node_text(type_node) in C_PLAIN_TYPES
    )


def _c_plain_pointee(code: Code, base: tree_sitter.Node) -> bool:
    """`*p` / `p[i]` reads plain memory: p is a local pointer or array of a built-in element type."""
    if base.type != "identifier":
        return False
    decl = c_plain_local(code, base)
    return decl is not None and _c_builtin_base(code, decl)
