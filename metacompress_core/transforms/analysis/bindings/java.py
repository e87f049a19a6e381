"""Java scopes: a local is visible from its declarator to the end of its block; parameters in their whole
method or lambda; anonymous and local classes see enclosing locals unless a member of theirs has the name."""

from __future__ import annotations

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

# Parents under which an identifier is an expression: a variable (or field, or type used as a qualifier).
_REF_PARENTS = frozenset(
    {
        "binary_expression",
        "unary_expression",
        "update_expression",
        "assignment_expression",
        "parenthesized_expression",
        "argument_list",
        "array_access",
        "ternary_expression",
        "cast_expression",
        "instanceof_expression",
        "return_statement",
        "expression_statement",
        "throw_statement",
        "variable_declarator",
        "array_initializer",
        "dimensions_expr",
        "lambda_expression",
        "enhanced_for_statement",
        "yield_statement",
        "assert_statement",
        "guard",
        "resource",
        "for_statement",
        "object_creation_expression",
        "explicit_constructor_invocation",
        "method_invocation",
        "field_access",
    }
)
_NOT_NAMES = frozenset(
    {"labeled_statement", "break_statement", "continue_statement", "marker_annotation", "annotation"}
)
_DECLARATIONS = frozenset(
    {
        "method_declaration",
        "constructor_declaration",
        "class_declaration",
        "interface_declaration",
        "enum_declaration",
        "record_declaration",
        "annotation_type_declaration",
        "annotation_type_element_declaration",
    }
)
_CLASS_BODIES = frozenset({"class_body", "interface_body", "enum_body", "record_body"})
# Supertypes whose accessible fields are known, so that an anonymous or local class extending them cannot
# hide an enclosing local behind an inherited field.
KNOWN_SUPERTYPES: dict[str, frozenset[str]] = {
    name: frozenset()
    for name in (
        "Object Runnable Callable Comparator Comparable Iterator Iterable Enumeration Supplier Consumer "
        "BiConsumer Function BiFunction Predicate BiPredicate UnaryOperator BinaryOperator IntFunction "
        "IntPredicate IntUnaryOperator IntBinaryOperator ToIntFunction IntSupplier LongSupplier "
        "DoubleSupplier BooleanSupplier IntConsumer LongUnaryOperator DoubleUnaryOperator ToLongFunction "
        "ToDoubleFunction ActionListener FileFilter "
        "FilenameFilter InvocationHandler PrivilegedAction PrivilegedExceptionAction TimerTask "
        "AutoCloseable Closeable Cloneable Serializable"
    ).split()
}
KNOWN_SUPERTYPES["Thread"] = frozenset({"MIN_PRIORITY", "NORM_PRIORITY", "MAX_PRIORITY"})
# Method annotations that do not read parameter names (frameworks such as Spring or JAX-RS may).
_SAFE_ANNOTATIONS = frozenset({"Override", "SuppressWarnings", "Deprecated", "SafeVarargs", "Test"})


def _simple_type_name(node: Node | None) -> str | None:
    while node is not None and node.type in ("generic_type", "scoped_type_identifier"):
        names = [c for c in node.named_children if c.type in ("type_identifier", "scoped_type_identifier")]
        node = names[-1] if node.type == "scoped_type_identifier" and names else (names[0] if names else None)
    return node.text.decode() if node is not None and node.type == "type_identifier" else None


def _known_fields(body: Node) -> frozenset[str] | None:
    """The inherited fields of the class that `body` belongs to, or None when they cannot be known."""
    owner = body.parent
    if owner is None:
        return None
    if owner.type == "object_creation_expression":
        name = _simple_type_name(owner.child_by_field_name("type"))
        return KNOWN_SUPERTYPES.get(name or "")
    if owner.type != "class_declaration":
        return None  # local records, enums and interfaces cannot even refer to enclosing locals
    fields: set[str] = set()
    sup = owner.child_by_field_name("superclass")
    interfaces = owner.child_by_field_name("interfaces")
    types = [c for c in sup.named_children] if sup is not None else []
    if interfaces is not None:
        for lst in interfaces.named_children:
            types.extend(lst.named_children)
    for t in types:
        known = KNOWN_SUPERTYPES.get(_simple_type_name(t) or "")
        if known is None:
            return None
        fields |= known
    return frozenset(fields)


def _annotated(modifiers_owner: Node) -> list[str]:
    mods = next((c for c in modifiers_owner.children if c.type == "modifiers"), None)
    if mods is None:
        return []
    return [
        (a.child_by_field_name("name").text or b"").decode()
        for a in mods.named_children
        if a.type in ("marker_annotation", "annotation") and a.child_by_field_name("name") is not None
    ]


def _parameter_unsafe(param: Node, owner: Node) -> str | None:
    if _annotated(param):
        return "an annotated parameter (frameworks may read its name)"
    if owner.type in ("method_declaration", "constructor_declaration") and any(
        a not in _SAFE_ANNOTATIONS for a in _annotated(owner)
    ):
        return "a parameter of an annotated method (frameworks may read its name)"
    return None


def _positive_condition_scope(pattern: Node, anc: list[Node]) -> tuple[int, int] | None:
    """Where `x instanceof T t` puts `t` in scope when it is a conjunct of an if's condition: the rest of the
    condition and the then-branch (exactly; other placements use flow scoping, which is not modelled)."""
    i = len(anc) - 2  # anc[-1] is the instanceof expression itself
    while i > 0 and (
        anc[i].type == "parenthesized_expression"
        or (
            anc[i].type == "binary_expression"
            and (op := anc[i].child_by_field_name("operator")) is not None
            and op.type == "&&"
        )
    ):
        if anc[i].type == "parenthesized_expression" and anc[i - 1].type == "if_statement":
            statement = anc[i - 1]
            then = statement.child_by_field_name("consequence")
            if then is not None and statement.child_by_field_name("condition") == anc[i]:
                return pattern.start_byte, then.end_byte
            return None
        i -= 1
    return None


def _declaration(
    node: Node, fld: str | None, anc: list[Node], b: Builder
) -> tuple[str, Node, tuple[int, int]] | None:
    """(kind, scope node, region) when `node` declares a variable, else None."""
    parent = anc[-1]
    pt = parent.type
    if pt == "variable_declarator" and fld == "name":
        holder = anc[-2]
        if holder.type == "local_variable_declaration":
            container = anc[-3]
            if container.type in ("block", "constructor_body"):
                return "local", container, (node.start_byte, container.end_byte)
            if container.type == "switch_block_statement_group":
                return "local", anc[-4], (node.start_byte, anc[-4].end_byte)
            if container.type == "for_statement":
                return "local", container, (node.start_byte, container.end_byte)
            return "unsupported", container, (node.start_byte, container.end_byte)
        if holder.type in ("field_declaration", "constant_declaration"):
            return "field", anc[-3], (anc[-3].start_byte, anc[-3].end_byte)
        if holder.type == "spread_parameter":
            return _parameter_declaration(holder, anc[-3], b)
        return "unsupported", holder, (holder.start_byte, holder.end_byte)
    if pt == "formal_parameter" and fld == "name":
        return _parameter_declaration(parent, anc[-2], b)
    if pt == "catch_formal_parameter" and fld == "name":
        clause = anc[-2]
        return "local", clause, (clause.start_byte, clause.end_byte)
    if pt == "enhanced_for_statement" and fld == "name":
        body = parent.child_by_field_name("body")
        return "local", parent, ((body or parent).start_byte, parent.end_byte)
    if pt == "resource" and fld == "name":
        statement = anc[-3]
        body = statement.child_by_field_name("body")
        return "local", statement, (node.start_byte, (body or statement).end_byte)
    if (pt == "lambda_expression" and fld == "parameters") or pt == "inferred_parameters":
        lam = parent if pt == "lambda_expression" else anc[-2]
        return "parameter", lam, (lam.start_byte, lam.end_byte)
    if pt == "instanceof_expression" and fld == "name":
        region = _positive_condition_scope(node, anc)
        if region is None:
            b.mark_unsafe(b.text(node), "a pattern variable (flow scoping)")
            return "pattern", parent, (anc[0].start_byte, anc[0].end_byte)
        return "local", parent, region
    if pt in ("type_pattern", "record_pattern_component", "record_pattern"):
        b.mark_unsafe(b.text(node), "a pattern variable (flow scoping)")
        return "pattern", parent, (anc[0].start_byte, anc[0].end_byte)
    return None


def _parameter_declaration(param: Node, plist: Node, b: Builder) -> tuple[str, Node, tuple[int, int]]:
    owner = plist.parent if plist.type == "formal_parameters" else plist
    if owner is None or owner.type not in (
        "method_declaration",
        "constructor_declaration",
        "lambda_expression",
    ):
        return "record-component", plist, (plist.start_byte, plist.end_byte)
    why = _parameter_unsafe(param, owner)
    if why:
        return "fixed-parameter", owner, (owner.start_byte, owner.end_byte)
    return "parameter", owner, (owner.start_byte, owner.end_byte)


def _classify_other(node: Node, fld: str | None, anc: list[Node], b: Builder) -> str:
    """ "ref" for a variable reference, "name" for anything else; marks unclear names unsafe."""
    parent = anc[-1]
    pt = parent.type
    name = b.text(node)
    if any(a.type in ("annotation_argument_list", "scoped_identifier", "switch_label") for a in anc):
        b.mark_unsafe(name, "used in an annotation, qualified name or case label")
        return "name"
    if pt in _NOT_NAMES or (pt in _DECLARATIONS and fld == "name") or pt == "enum_constant":
        return "name"
    if pt == "method_invocation":
        return "ref" if fld == "object" else "name"
    if pt == "field_access":
        if fld != "object":
            return "name"
        member = parent.child_by_field_name("field")
        if member is not None and member.type in ("this", "super"):  # Outer.this: a class name
            b.mark_unsafe(name, "qualifies this/super")
            return "name"
        return "ref"
    if pt == "method_reference":
        return "ref" if parent.named_children and parent.named_children[0] == node else "name"
    if pt in _REF_PARENTS:
        return "ref"
    b.mark_unsafe(name, f"used in an unsupported context ({pt})")
    return "name"


def analyze(code: Code) -> Analysis:
    b = Builder(code)
    refs: list[tuple[Node, list[Node]]] = []  # a reference and the class bodies around it
    class_bodies: list[Node] = []
    for node, fld, anc, _flds in walk_paths(code.root):
        if node.type == "type_identifier":
            b.mark_unsafe(b.text(node), "also a type name")
            continue
        if node.type in _CLASS_BODIES and anc:
            class_bodies.append(node)
            continue
        if node.type != "identifier" or not anc:
            continue
        decl = _declaration(node, fld, anc, b)
        if decl is not None:
            kind, scope, region = decl
            binding = b.new_binding(node, scope, region, kind)
            b.occurrences.append((node, binding))
            if kind == "unsupported":
                b.mark_unsafe(binding.name, "declared in an unsupported place")
            continue
        if _classify_other(node, fld, anc, b) == "ref":
            refs.append((node, [a for a in anc if a.type in _CLASS_BODIES]))
        else:
            b.occurrences.append((node, None))

    # Inherited fields of known supertypes shadow enclosing locals inside the class body.
    for body in class_bodies:
        for inherited in sorted(_known_fields(body) or ()):
            b.bindings.append(Binding(inherited, body, body, (body.start_byte, body.end_byte), {"field"}, []))
    flag_duplicates(b)
    by_name: dict[str, list[Binding]] = {}
    for binding in b.bindings:
        by_name.setdefault(binding.name, []).append(binding)
    for node, bodies in refs:
        name = b.text(node)
        target = innermost(by_name.get(name, []), node.start_byte)
        if target is None:
            b.occurrences.append((node, Free(name)))
            continue
        target.occurrences.append(node)
        b.occurrences.append((node, target))
        for body in bodies:
            crossed = not (body.start_byte <= target.decl.start_byte < body.end_byte)
            if crossed and _known_fields(body) is None:
                target.unsafe.append("used inside a class whose inherited fields are unknown")
    _flag_repeated_patterns(b)
    if code.root.type == "compact_constructor_declaration":
        return b.finish("a compact constructor (its parameters are declared outside the unit)")
    return b.finish()


def _flag_repeated_patterns(b: Builder) -> None:
    """A pattern variable's name declared again elsewhere: leave both alone rather than reason about it."""
    patterns = {x.name for x in b.bindings if x.scope.type == "instanceof_expression"}
    counts: dict[str, int] = {}
    for x in b.bindings:
        counts[x.name] = counts.get(x.name, 0) + 1
    for name in sorted(patterns):
        if counts[name] > 1:
            b.mark_unsafe(name, "a pattern variable whose name is declared more than once")
