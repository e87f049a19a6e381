"""Which names a piece of Java/C code declares, where a local name was declared, and what its declaration
says.

Moving code between scopes (wrapping statements in a block, putting a loop's update at the end of its body)
is only safe when no declaration changes which variable a name refers to. These helpers answer that
conservatively: a name they cannot place is reported as unknown (None), never guessed.

Rewrites of assignments and operands also need facts about a local: which declaration an identifier refers
to (`declaration_of`, cached: the lookup walks the unit), a C local's qualifiers and storage, and whether its
address is ever taken (then a call could change it behind the rewrite's back).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import tree_sitter

from metacompress_core.code.parsing import Code

_JAVA_NAMED_DECLS = {
    "variable_declarator",
    "formal_parameter",
    "spread_parameter",
    "catch_formal_parameter",
    "enhanced_for_statement",
    "resource",
    "class_declaration",
    "record_declaration",
    "interface_declaration",
    "enum_declaration",
    "annotation_type_declaration",
    "instanceof_expression",
}
_JAVA_PATTERN_DECLS = {"type_pattern", "record_pattern_component"}
_C_DECLS = {"declaration", "parameter_declaration", "type_definition", "field_declaration"}
_C_TAGGED = {"struct_specifier", "union_specifier", "enum_specifier"}
# Where the walk up from a use stops looking: a new function or class starts a new set of locals.
_BOUNDARIES = {
    "java": {"class_body", "enum_body", "interface_body", "record_declaration", "method_declaration"},
    "c": {"function_definition"},
}


def identifier_texts(code: Code, nodes: list[tree_sitter.Node] | tuple[tree_sitter.Node, ...]) -> set[str]:
    """Every identifier-like token (variables, types, fields, labels) under the nodes."""
    out = set()
    for node in nodes:
        for n in code.walk(node):
            if n.type.endswith("identifier"):
                out.add(code.node_text(n))
        start, end = code.span(node)
        for m in code.masked:  # C: the names of a macro use the parser read masked (code/masking.py)
            if start <= m.start < end:
                out |= m.words
    return out


def _c_declarator_names(code: Code, node: tree_sitter.Node | None) -> list[str]:
    if node is None:
        return []
    if node.type in ("identifier", "type_identifier", "field_identifier"):
        return [code.node_text(node)]
    inner = node.child_by_field_name("declarator")
    if inner is not None:
        return _c_declarator_names(code, inner)
    return [name for c in node.named_children for name in _c_declarator_names(code, c)]


def _c_declared(code: Code, node: tree_sitter.Node) -> list[str]:
    names = []
    if node.type in _C_DECLS:
        for i, child in enumerate(node.children):
            if node.field_name_for_child(i) == "declarator":
                names += _c_declarator_names(code, child)
    if node.type in _C_TAGGED and node.child_by_field_name("name") is not None:
        names.append(code.node_text(node.child_by_field_name("name")))
    if node.type == "enumerator":
        names.append(code.node_text(node.child_by_field_name("name")))
    return names


def _java_declared(code: Code, node: tree_sitter.Node) -> list[str]:
    if node.type in _JAVA_NAMED_DECLS:
        name = node.child_by_field_name("name")
        return [code.node_text(name)] if name is not None else []
    if node.type in _JAVA_PATTERN_DECLS:
        return [code.node_text(c) for c in node.named_children if c.type == "identifier"]
    if node.type == "lambda_expression":
        params = node.child_by_field_name("parameters")
        if params is not None and params.type == "identifier":
            return [code.node_text(params)]
        if params is not None and params.type == "inferred_parameters":
            return [code.node_text(c) for c in params.named_children if c.type == "identifier"]
    return []


def declared_here(code: Code, node: tree_sitter.Node) -> list[str]:
    """The names that `node` itself declares (not those of nodes below it)."""
    return _java_declared(code, node) if code.language.name == "java" else _c_declared(code, node)


def declared_names(code: Code, nodes: list[tree_sitter.Node] | tuple[tree_sitter.Node, ...]) -> set[str]:
    """Every name declared anywhere under the nodes (locals, parameters, local types, tags, patterns)."""
    return {name for node in nodes for n in code.walk(node) for name in declared_here(code, n)}


def top_level_declared(code: Code, stmt: tree_sitter.Node) -> set[str]:
    """The names a statement declares into the scope that holds it (not those in its inner blocks)."""
    if code.language.name == "java":
        if stmt.type == "local_variable_declaration":
            return {
                code.node_text(d.child_by_field_name("name")) for d in _children_by_field(stmt, "declarator")
            }
        if stmt.type in _JAVA_NAMED_DECLS:
            return set(declared_here(code, stmt))
        # Pattern variables of `if (!(o instanceof T t)) return;` stay in scope after the statement.
        return {
            name for n in code.walk(stmt) if n.type in _JAVA_PATTERN_DECLS for name in declared_here(code, n)
        } | {
            name
            for n in code.walk(stmt)
            if n.type == "instanceof_expression"
            for name in declared_here(code, n)
        }
    if stmt.type in ("declaration", "type_definition"):
        names = set(_c_declared(code, stmt))
        for n in code.walk(stmt):
            if n.type in _C_TAGGED or n.type == "enumerator":
                names |= set(_c_declared(code, n))
        return names
    return set()


def _children_by_field(node: tree_sitter.Node, field: str) -> list[tree_sitter.Node]:
    return [c for i, c in enumerate(node.children) if node.field_name_for_child(i) == field]


@dataclass(frozen=True)
class Declaration:
    """Where a local variable or parameter was declared: the declaring node, its type and modifiers."""

    node: tree_sitter.Node  # local_variable_declaration / formal_parameter / declaration / ...
    declarator: tree_sitter.Node | None  # the declarator naming the variable (None for parameters)
    type_text: str | None  # None when the declaration does not say (lambda parameters, `var`)
    modifiers: str  # e.g. "final", "volatile const"
    plain: bool  # the declarator is the bare name (no array dimensions, pointers, function types)


def _modifiers(code: Code, node: tree_sitter.Node) -> str:
    mods = [
        code.node_text(c)
        for c in node.children
        if c.type in ("modifiers", "type_qualifier", "storage_class_specifier")
    ]
    return " ".join(mods)


def _java_decl(code: Code, node: tree_sitter.Node, name: str) -> Declaration | None:
    type_node = node.child_by_field_name("type")
    type_text = code.node_text(type_node) if type_node is not None else None
    if type_text == "var":
        type_text = None
    if node.type in ("formal_parameter", "catch_formal_parameter", "spread_parameter", "resource"):
        if (
            node.child_by_field_name("name") is not None
            and code.node_text(node.child_by_field_name("name")) == name
        ):
            plain = node.child_by_field_name("dimensions") is None and node.type != "spread_parameter"
            return Declaration(node, None, type_text, _modifiers(code, node), plain)
        return None
    if node.type == "enhanced_for_statement":
        if code.node_text(node.child_by_field_name("name")) == name:
            return Declaration(node, None, type_text, _modifiers(code, node), True)
        return None
    if node.type == "local_variable_declaration":
        for d in _children_by_field(node, "declarator"):
            if code.node_text(d.child_by_field_name("name")) == name:
                plain = d.child_by_field_name("dimensions") is None
                return Declaration(node, d, type_text, _modifiers(code, node), plain)
    return None


def _c_decl(code: Code, node: tree_sitter.Node, name: str) -> Declaration | None:
    if node.type not in ("declaration", "parameter_declaration"):
        return None
    type_node = node.child_by_field_name("type")
    for d in _children_by_field(node, "declarator"):
        if name in _c_declarator_names(code, d):
            inner = d.child_by_field_name("declarator") if d.type == "init_declarator" else d
            plain = inner is not None and inner.type == "identifier"
            type_text = code.node_text(type_node) if type_node is not None else None
            return Declaration(node, d, type_text, _modifiers(code, node), plain)
    return None


def _declares(code: Code, node: tree_sitter.Node, name: str) -> Declaration | None:
    return _java_decl(code, node, name) if code.language.name == "java" else _c_decl(code, node, name)


def _group_members(node: tree_sitter.Node) -> list[tree_sitter.Node]:
    """A switch group's statements are in the scope of the whole switch body: look inside groups too."""
    if node.type in ("switch_block_statement_group", "case_statement"):
        return list(reversed(node.named_children))
    return [node]


def _resources(node: tree_sitter.Node) -> list[tree_sitter.Node]:
    spec = node.child_by_field_name("resources")
    return [r for r in spec.named_children if r.type == "resource"] if spec is not None else []


def find_declaration(code: Code, at: tree_sitter.Node, name: str) -> Declaration | None:
    """The declaration of local variable/parameter `name` that is in scope at `at`; None when `name` is not
    a local of the unit (a field, a global, a macro) or when its declaration cannot be placed for sure."""
    language = code.language.name
    if language == "java" and any(
        n.type in _JAVA_PATTERN_DECLS and name in declared_here(code, n) for n in code.walk()
    ):
        return None  # pattern variables have flow-dependent scope
    prev, cur = at, at.parent
    while cur is not None:
        if cur.type in (
            "block",
            "compound_statement",
            "switch_block",
            "switch_block_statement_group",
            "case_statement",
        ):
            before = [c for c in cur.named_children if c.end_byte <= prev.start_byte]
            for child in reversed(before):
                for member in _group_members(child):
                    found = _declares(code, member, name)
                    if found is not None:
                        return found
        elif cur.type == "for_statement":
            init = cur.child_by_field_name("init" if language == "java" else "initializer")
            if init is not None and init != prev:
                found = _declares(code, init, name)
                if found is not None:
                    return found
        elif cur.type in ("enhanced_for_statement", "try_with_resources_statement"):
            if prev == cur.child_by_field_name("body"):
                heads = [cur] if cur.type == "enhanced_for_statement" else _resources(cur)
                for head in heads:
                    found = _declares(code, head, name)
                    if found is not None:
                        return found
        elif cur.type == "catch_clause":
            for child in cur.named_children:
                found = _declares(code, child, name) if child.type == "catch_formal_parameter" else None
                if found is not None:
                    return found
        elif cur.type == "lambda_expression":
            if name in declared_here(code, cur) or any(
                name in declared_here(code, p) for p in code.walk(cur.child_by_field_name("parameters"))
            ):
                return None  # a lambda parameter: its type is not written down (or not looked at)
        elif cur.type in ("method_declaration", "constructor_declaration", "function_definition"):
            params = cur.child_by_field_name("parameters")
            if cur.type == "function_definition":
                declarator = cur.child_by_field_name("declarator")
                while declarator is not None and declarator.type != "function_declarator":
                    declarator = declarator.child_by_field_name("declarator")
                params = declarator.child_by_field_name("parameters") if declarator is not None else None
            for p in params.named_children if params is not None else []:
                found = _declares(code, p, name)
                if found is not None:
                    return found
            return None
        if cur.type in _BOUNDARIES[language]:
            return None
        prev, cur = cur, cur.parent
    return None


# ------------------------------------------------------------------------------- facts about a local

# C words that make a local unsafe to read twice, reorder or re-initialise.
C_UNSAFE_QUALIFIERS = frozenset({"volatile", "_Atomic", "extern", "typedef", "_Thread_local", "__thread"})


@lru_cache(maxsize=8192)
def declaration_of(code: Code, ident: tree_sitter.Node) -> Declaration | None:
    """The local/parameter declaration that identifier `ident` refers to (None: a field, global, macro,
    or a name whose declaration cannot be placed for sure)."""
    return find_declaration(code, ident, code.node_text(ident))


def c_words(code: Code, decl: Declaration) -> frozenset[str]:
    """Every qualifier/storage word anywhere in a C declaration (all its declarators: conservative)."""
    return frozenset(
        code.node_text(n)
        for n in code.walk(decl.node)
        if n.type in ("type_qualifier", "storage_class_specifier", "ms_pointer_modifier")
    ) | frozenset(w for w in ("_Atomic", "__thread", "_Thread_local") if w in code.node_text(decl.node))


def c_plain_local(code: Code, ident: tree_sitter.Node) -> Declaration | None:
    """The declaration of a C local/parameter that may be read freely (not volatile/atomic/extern), else None."""
    decl = declaration_of(code, ident)
    if decl is None or decl.node.type not in ("declaration", "parameter_declaration"):
        return None
    return None if c_words(code, decl) & C_UNSAFE_QUALIFIERS else decl


@lru_cache(maxsize=1024)
def address_taken(code: Code) -> frozenset[str]:
    """C names whose address is taken somewhere in the unit (`&x`, `&x[i]`, `&x.f`)."""
    names = set()
    for n in code.walk():
        if n.type == "pointer_expression" and n.children[0].type == "&":
            arg = n.child_by_field_name("argument")
            while arg is not None and arg.type in (
                "parenthesized_expression",
                "subscript_expression",
                "field_expression",
            ):
                arg = arg.named_children[0] if arg.named_children else None
            if arg is not None and arg.type == "identifier":
                names.add(code.node_text(arg))
    return frozenset(names)
