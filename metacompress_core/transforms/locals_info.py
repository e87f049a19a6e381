"""Facts about a Java/C unit's local variables that rewrites of assignments and operands need: which
declaration an identifier refers to (cached: the lookup walks the unit), a C local's qualifiers and storage,
and whether its address is ever taken (then a call could change it behind the rewrite's back)."""

from __future__ import annotations

from functools import lru_cache

import tree_sitter

from metacompress_core.code.parsing import Code
from metacompress_core.transforms.declarations import Declaration, find_declaration

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
