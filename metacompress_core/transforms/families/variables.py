"""Local variable declarations: insert an unused one, or split one up.

`insert-unused-variable` declares a fresh local with a literal initialiser before a statement: the name
occurs nowhere in the unit, so nothing can refer to it. Not before a Java `this(...)`/`super(...)` call
(it must come first), not in a C switch body or a block with preprocessor lines, and in Python only in a
function's own blocks (in a class body it would become an attribute), never before a docstring (it would
stop being one), and not where the function inspects its own locals (`locals()`, `vars()`, frames).

`split-declaration` turns `int a = 1, b = a;` into `int a = 1; int b = a;` (each declarator keeps its own
array/pointer parts: `int *p, q` -> `int *p; int q;`), or `int x = 1;` into `int x; x = 1;` where an
assignment means the same as an initialiser: not for `final`/`const`/`var`, array initialisers, C arrays,
functions, static locals (initialised once) or qualified objects.
"""

from __future__ import annotations

import random

import tree_sitter

from metacompress_core.code.parsing import Code
from metacompress_core.transforms.analysis.c_dialect import (
    declarations_after,
    keeps_c89_order,
    statements_before,
)
from metacompress_core.transforms.analysis.purity import C_PLAIN_TYPES
from metacompress_core.transforms.analysis.statements import has_preprocessor, statements
from metacompress_core.transforms.analysis.text import (
    fresh_name,
    indent_of,
    line_number,
    line_start,
    newline,
    starts_line,
)
from metacompress_core.transforms.base import Rewrite, Site, Splice

_UNUSED = {
    "java": (("int", "0"), ("long", "0L"), ("boolean", "false"), ("double", "0.0"), ("char", "'a'")),
    "c": (("int", "0"), ("long", "0"), ("unsigned", "0u"), ("double", "0.0"), ("char", "0")),
    "python": (("", "0"), ("", "None"), ("", "''"), ("", "False"), ("", "0.0")),
}
# Python functions that look at their own frame would see the new local.
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
_PY_SCOPES = ("function_definition", "class_definition", "lambda")


def _python_insertable(code: Code, stmt: tree_sitter.Node) -> bool:
    block = stmt.parent
    scope = block.parent
    while scope is not None and scope.type not in _PY_SCOPES:
        scope = scope.parent
    if scope is None or scope.type != "function_definition":
        return False
    if block == scope.child_by_field_name("body") and stmt == block.named_children[0]:
        return not (
            stmt.type == "expression_statement"
            and stmt.named_child_count == 1
            and stmt.named_children[0].type == "string"
        )
    return True


def _c_insertable(stmt: tree_sitter.Node) -> bool:
    block = stmt.parent
    return (
        stmt.type != "case_statement"
        and not has_preprocessor(block)
        and block.parent is not None
        and block.parent.type not in ("switch_statement", "parenthesized_expression", "statement_expression")
    )


class InsertUnusedVariable:
    name = "insert-unused-variable"
    languages = frozenset({"java", "c", "python"})
    description = "declare a fresh, unused local variable before a statement"

    def sites(self, code: Code) -> list[Site]:
        lang = code.language.name
        if lang == "python" and any(word in code.text for word in _INTROSPECTION):
            return []
        c89 = keeps_c89_order(code)
        out = []
        for s in statements(code):
            if not starts_line(code, s) or c89 and statements_before(s):
                continue
            if lang == "java" and s.type == "explicit_constructor_invocation":
                continue
            if lang == "c" and not _c_insertable(s):
                continue
            if lang == "python" and not _python_insertable(code, s):
                continue
            out.append(Site(s))
        return out

    def rewrite(self, code: Code, site: Site, rng: random.Random) -> Rewrite | None:
        lang = code.language.name
        name = fresh_name(code, rng)
        type_, value = rng.choice(_UNUSED[lang])
        decl = f"{name} = {value}" if lang == "python" else f"{type_} {name} = {value};"
        at = line_start(code, code.span(site.node)[0])
        text = f"{indent_of(code, site.node)}{decl}{newline(code)}"
        return Rewrite(
            (Splice(at, at, text),),
            f"inserting unused variable {name} at line {line_number(code, site.node)}",
        )


def _declarators(node: tree_sitter.Node) -> list[tree_sitter.Node]:
    return [c for i, c in enumerate(node.children) if node.field_name_for_child(i) == "declarator"]


def _java_split_kind(code: Code, decl: tree_sitter.Node) -> str | None:
    declarators = _declarators(decl)
    if len(declarators) > 1:
        return "declarators"
    if len(declarators) != 1 or code.node_text(decl.child_by_field_name("type")) == "var":
        return None
    mods = next((c for c in decl.children if c.type == "modifiers"), None)
    if mods is not None and any(c.type == "final" for c in mods.children):
        return None
    value = declarators[0].child_by_field_name("value")
    return "initialiser" if value is not None and value.type != "array_initializer" else None


def _c_split_kind(code: Code, decl: tree_sitter.Node) -> str | None:
    type_node = decl.child_by_field_name("type")
    if (
        type_node is None
        or type_node.type in ("struct_specifier", "union_specifier", "enum_specifier")
        and (type_node.child_by_field_name("body") is not None)
    ):
        return None  # splitting would define the anonymous/tagged type twice
    declarators = _declarators(decl)
    if len(declarators) > 1:
        return "declarators"
    if len(declarators) != 1 or declarators[0].type != "init_declarator":
        return None
    words = {
        code.node_text(c) for c in decl.children if c.type in ("storage_class_specifier", "type_qualifier")
    }
    words -= {"register", "auto"}
    init = declarators[0]
    if (
        "__auto_type" in code.node_text(type_node)
        or init.child_by_field_name("value").type == "initializer_list"
    ):
        return None
    target = init.child_by_field_name("declarator")
    if target.type == "identifier":
        # static: initialised once; const: not assignable; volatile/_Atomic: an access of its own.
        plain = type_node.type in (
            "primitive_type",
            "sized_type_specifier",
            "struct_specifier",
            "union_specifier",
        )
        return "initialiser" if not words and (plain or code.node_text(type_node) in C_PLAIN_TYPES) else None
    # A pointer (to anything, `const char *` too) is assignable unless the pointer itself is qualified.
    if words - {"const", "volatile"}:
        return None
    while target.type == "pointer_declarator":
        if any(c.type == "type_qualifier" for c in target.children):
            return None
        target = target.child_by_field_name("declarator")
    return "initialiser" if target.type == "identifier" else None


class SplitDeclaration:
    name = "split-declaration"
    languages = frozenset({"java", "c"})
    description = "split a declaration: int a = 1, b; -> int a = 1; int b;  or  int x = 1; -> int x; x = 1;"

    def sites(self, code: Code) -> list[Site]:
        c89 = keeps_c89_order(code)
        out = []
        for s in statements(code):
            if any(n.type in ("comment", "line_comment", "block_comment") for n in code.walk(s)):
                continue
            if code.language.name == "java" and s.type == "local_variable_declaration":
                kind = _java_split_kind(code, s)
            elif code.language.name == "c" and s.type == "declaration" and not has_preprocessor(s.parent):
                kind = _c_split_kind(code, s)
            else:
                kind = None
            if kind == "initialiser" and c89 and declarations_after(s):
                kind = None  # its assignment would be a statement before those declarations
            if kind is not None:
                out.append(Site(s, kind))
        return out

    def rewrite(self, code: Code, site: Site, rng: random.Random) -> Rewrite | None:
        decl = site.node
        declarators = _declarators(decl)
        start, end = code.span(decl)
        prefix = code.src[start : code.span(declarators[0])[0]].decode(errors="surrogateescape")
        sep = newline(code) + indent_of(code, decl) if starts_line(code, decl) else " "
        line = line_number(code, decl)
        if site.data == "declarators":
            parts = [f"{prefix}{code.node_text(d)};" for d in declarators]
            return Rewrite(
                (Splice(start, end, sep.join(parts)),),
                f"splitting a declaration of {len(parts)} variables at line {line}",
            )
        d = declarators[0]
        value = d.child_by_field_name("value")
        eq = value.prev_sibling  # the `=`
        head = code.src[code.span(d)[0] : code.span(eq)[0]].decode(errors="surrogateescape")
        spacing = head[len(head.rstrip()) :]
        name_node = d.child_by_field_name("name") if code.language.name == "java" else _innermost(d)
        name = code.node_text(name_node)
        eq_and_value = code.src[code.span(eq)[0] : code.span(value)[1]].decode(errors="surrogateescape")
        text = f"{prefix}{head.rstrip()};{sep}{name}{spacing}{eq_and_value};"
        return Rewrite((Splice(start, end, text),), f"separating the initialisation of {name} at line {line}")


def _innermost(node: tree_sitter.Node) -> tree_sitter.Node:
    while node.type != "identifier":
        node = node.child_by_field_name("declarator")
    return node


TRANSFORMS = (InsertUnusedVariable(), SplitDeclaration())
