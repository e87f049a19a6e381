"""C scopes: a local is visible from its declarator to the end of its block; parameters in the whole
function. Struct members, labels and tags live in other name spaces (other node types); macros are
opaque, so every name a preprocessor line mentions is left alone."""

from __future__ import annotations

import re

from metacompress_core.code.parsing import Code
from metacompress_core.transforms.analysis.bindings.model import (
    Analysis,
    Binding,
    Builder,
    Free,
    Node,
    flag_duplicates,
    innermost,
    walk_paths,
)
from metacompress_core.transforms.analysis.macro_uses import UNRESOLVED_IN_SCOPE, env_of, uses

# Declarator wrappers between a declaration and the name it declares.
_DECLARATORS = frozenset(
    {
        "init_declarator",
        "pointer_declarator",
        "array_declarator",
        "function_declarator",
        "parenthesized_declarator",
        "attributed_declarator",
    }
)
# Statements a declaration may sit in below its block (`case 1: int x;`, preprocessor branches).
_TRANSPARENT = frozenset(
    {
        "case_statement",
        "labeled_statement",
        "preproc_if",
        "preproc_ifdef",
        "preproc_else",
        "preproc_elif",
        "preproc_elifdef",
    }
)
_REF_PARENTS = frozenset(
    {
        "binary_expression",
        "unary_expression",
        "update_expression",
        "assignment_expression",
        "parenthesized_expression",
        "argument_list",
        "subscript_expression",
        "conditional_expression",
        "cast_expression",
        "return_statement",
        "expression_statement",
        "init_declarator",
        "initializer_list",
        "initializer_pair",
        "subscript_designator",
        "array_declarator",
        "call_expression",
        "field_expression",
        "pointer_expression",
        "sizeof_expression",
        "comma_expression",
        "for_statement",
        "generic_expression",
        "compound_literal_expression",
        "while_statement",
        "do_statement",
        "if_statement",
        "switch_statement",
    }
)
# Contexts whose names are not plain C: attributes, inline assembly, macro-ish string pasting.
_OPAQUE = frozenset(
    {
        "attribute_specifier",
        "attribute",
        "attribute_declaration",
        "ms_declspec_modifier",
        "gnu_asm_expression",
        "concatenated_string",
        "macro_type_specifier",
    }
)
_PREPROCESSOR_LINES = frozenset({"preproc_def", "preproc_function_def", "preproc_call", "preproc_include"})
_PREPROCESSOR_CONDITIONS = frozenset({"preproc_if", "preproc_ifdef", "preproc_elif", "preproc_elifdef"})
_PREPROCESSOR_BRANCHES = _PREPROCESSOR_CONDITIONS | {"preproc_else"}
# Callees that print their arguments' source text (assert) or take member names (offsetof).
_TEXTUAL_CALLEE = re.compile(r"assert|offsetof|stringify", re.IGNORECASE)
_WORD = re.compile(r"[A-Za-z_]\w*")


def _declared(node: Node, fld: str | None, anc: list[Node]) -> tuple[Node, int, bool, bool] | None:
    """(the node holding the declarator chain, its index in `anc`, whether it declares a function, whether
    a function declarator appears in the chain at all: a function pointer) when `node` is the name that a
    declarator declares."""
    i = len(anc) - 1
    declares_function = None
    any_function = False
    child_field = fld
    while i >= 0 and anc[i].type in _DECLARATORS:
        p = anc[i]
        if p.type != "parenthesized_declarator" and child_field != "declarator":
            return None
        if p.type == "function_declarator":
            any_function = True
        if declares_function is None and p.type not in ("parenthesized_declarator", "attributed_declarator"):
            declares_function = p.type == "function_declarator"
        child_field = _field_in(anc, i)
        i -= 1
    if i < 0 or child_field != "declarator":
        return None
    return anc[i], i, bool(declares_function), any_function


def _field_in(anc: list[Node], i: int) -> str | None:
    """The field name under which anc[i] sits in anc[i - 1]."""
    parent = anc[i - 1] if i > 0 else None
    if parent is None:
        return None
    for j, c in enumerate(parent.children):
        if c == anc[i]:
            return parent.field_name_for_child(j)
    return None


def _block_of(anc: list[Node], i: int) -> Node | None:
    """The compound statement or for statement whose scope a declaration at anc[i] belongs to."""
    j = i - 1
    while j >= 0 and anc[j].type in _TRANSPARENT:
        j -= 1
    if j >= 0 and anc[j].type in ("compound_statement", "for_statement", "translation_unit"):
        return anc[j]
    return None


def _storage(declaration: Node) -> set[str]:
    return {c.text.decode() for c in declaration.children if c.type == "storage_class_specifier"}


def _own_parameters(function: Node) -> Node | None:
    """The parameter list of the function a function_definition defines."""
    d = function.child_by_field_name("declarator")
    while d is not None and d.type != "function_declarator":
        d = d.child_by_field_name("declarator")
    return d.child_by_field_name("parameters") if d is not None else None


def analyze(code: Code) -> Analysis:
    b = Builder(code)
    refs: list[Node] = []
    callees: set[Node] = set()  # identifiers called like functions: maybe function-like macros
    callable_bindings: set[Binding] = set()  # declared with a function pointer's declarator
    skip = None
    for node, fld, anc, flds in walk_paths(code.root):
        t = node.type
        if t in _PREPROCESSOR_LINES:
            for word in _WORD.findall(b.text(node)):
                b.mark_unsafe(word, "mentioned by a preprocessor line")
            continue
        if t == "type_identifier":
            b.mark_unsafe(b.text(node), "also a type name")
            continue
        if t == "function_definition" and anc:
            if code.root.type == "function_definition" or any(a.type == "function_definition" for a in anc):
                skip = "a nested function definition"
            continue
        if t != "identifier" or not anc:
            continue
        name = b.text(node)
        parent = anc[-1]
        if _opaque(name, fld, anc, flds, b):
            b.occurrences.append((node, None))
            continue
        declared = _declared(node, fld, anc)
        if declared is not None:
            holder, i, is_function, function_pointer = declared
            binding = _declare(b, node, holder, anc, i, is_function)
            if function_pointer:
                callable_bindings.add(binding)
            b.occurrences.append((node, binding))
            continue
        if parent.type == "enumerator" and fld == "name":
            b.mark_unsafe(name, "an enumeration constant")
            b.occurrences.append((node, None))
            continue
        if parent.type == "case_statement":
            b.mark_unsafe(name, "a case label")
            b.occurrences.append((node, None))
            continue
        if parent.type not in _REF_PARENTS:
            b.mark_unsafe(name, f"used in an unsupported context ({parent.type})")
        if parent.type == "call_expression" and fld == "function":
            callees.add(node)
        refs.append(node)

    flag_duplicates(b)
    by_name: dict[str, list[Binding]] = {}
    for binding in b.bindings:
        by_name.setdefault(binding.name, []).append(binding)
    for node in refs:
        name = b.text(node)
        target = innermost(by_name.get(name, []), node.start_byte)
        if target is None:
            b.occurrences.append((node, Free(name)))
        else:
            target.occurrences.append(node)
            b.occurrences.append((node, target))
            if node in callees and target not in callable_bindings:
                target.unsafe.append("called, and not declared as a function pointer (a macro?)")
    for binding in b.bindings:
        if binding.name.isupper():
            binding.unsafe.append("an upper-case name, as macros have")
    _macro_reach(code, b)
    return b.finish(skip)


def _macro_reach(code: Code, b: Builder) -> None:
    """What the preprocessor may see: a name that a visible macro body mentions is read (or declared) by the
    expansion wherever the macro is used, so it is never renamed; where a macro that no visible #define
    explains is used in a binding's scope, it may read the binding by name, so that rename is declined."""
    env = env_of(code)
    words = env.body_words.union(*(m.words for m in code.masked))  # masked macro uses: their names too
    unresolved = [u.node.start_byte for u in uses(code, None, env) if u.macro is None]
    for binding in b.bindings:
        if binding.name in words:
            binding.unsafe.append("named in a macro body")
        elif any(binding.region[0] <= p < binding.region[1] for p in unresolved):
            binding.unsafe.append(UNRESOLVED_IN_SCOPE)


def _opaque(name: str, fld: str | None, anc: list[Node], flds: list[str | None], b: Builder) -> bool:
    """True (and the name marked unsafe) when the identifier sits where C's scoping rules do not tell all."""
    for i, a in enumerate(anc):
        if a.type in _PREPROCESSOR_LINES:
            return True
        if a.type in _OPAQUE:
            b.mark_unsafe(name, f"used inside {a.type}")
            return True
        if a.type in _PREPROCESSOR_CONDITIONS:
            below = flds[i + 1] if i + 1 < len(anc) else fld
            if below in ("condition", "name"):
                b.mark_unsafe(name, "tested by the preprocessor")
                return True
        if a.type == "call_expression":
            callee = a.child_by_field_name("function")
            if callee is not None and (
                _TEXTUAL_CALLEE.search(b.text(callee)) or _pastes_or_stringizes(b.code, b.text(callee))
            ):
                b.mark_unsafe(name, "an argument of a macro that may use its text")
    return False


def _pastes_or_stringizes(code: Code, callee: str) -> bool:
    """True when `callee` is a visible macro whose body uses `#` or `##` (an argument's spelling counts)."""
    macro = env_of(code).macros.get(callee)
    return macro is not None and macro.textual


def _declare(b: Builder, node: Node, holder: Node, anc: list[Node], i: int, is_function: bool) -> Binding:
    name = b.text(node)
    whole = (anc[0].start_byte, anc[0].end_byte)
    if holder.type == "declaration":
        block = _block_of(anc, i)
        if block is None:
            if holder.parent is not None and holder.parent.type == "function_definition":
                b.mark_unsafe(name, "a K&R parameter declaration")
            binding = b.new_binding(node, holder, whole, "unsupported")
            b.mark_unsafe(name, "declared in an unsupported place")
            return binding
        if any(a.type in _PREPROCESSOR_BRANCHES for a in anc[:i]):
            # Only one branch is compiled, and uses outside it may see an outer declaration instead:
            # scoping by the parse tree (which holds every branch) would rename the wrong uses.
            b.mark_unsafe(name, "declared inside a preprocessor branch")
        storage = _storage(holder)
        kind = "local"
        if block.type == "translation_unit":
            kind = "global"
        elif is_function:
            kind = "function"
        elif "extern" in storage:
            kind = "extern"
        return b.new_binding(node, block, (node.start_byte, block.end_byte), kind)
    if holder.type == "parameter_declaration":
        plist = anc[i - 1] if i > 0 else None
        j = i - 2
        while j >= 0 and anc[j].type in _DECLARATORS:
            j -= 1
        function = anc[j] if j >= 0 else None
        if (
            function is not None
            and function.type == "function_definition"
            and plist is not None
            and _own_parameters(function) == plist
        ):
            kind = "parameter"
            if any(c.type == "declaration" for c in function.children):
                kind = "fixed-parameter"  # K&R style: the names are declared again below
            return b.new_binding(node, function, (function.start_byte, function.end_byte), kind)
        # A name in a prototype (`int (*cb)(int n)`): its scope ends with the prototype.
        return b.new_binding(
            node, plist or holder, ((plist or holder).start_byte, (plist or holder).end_byte), "prototype"
        )
    if holder.type == "function_definition":
        return b.new_binding(node, holder, whole, "function")
    b.mark_unsafe(name, f"declared by a {holder.type}")
    return b.new_binding(node, holder, whole, "unsupported")
