"""Python scopes: any binding makes a name local to its whole function; classes and comprehensions are
scopes of their own; closures see enclosing functions' locals (never a class body's)."""

from __future__ import annotations

from dataclasses import dataclass, field

from metacompress_core.code.parsing import Code
from metacompress_core.transforms.analysis.bindings.model import (
    Analysis,
    Binding,
    Builder,
    Free,
    Node,
    walk_paths,
)

COMPREHENSIONS = frozenset(
    {"list_comprehension", "set_comprehension", "dictionary_comprehension", "generator_expression"}
)
_FUNCTIONS = frozenset({"function_definition", "lambda"})
SCOPE_TYPES = COMPREHENSIONS | _FUNCTIONS | {"class_definition", "module"}
_PARAMETER_LISTS = frozenset({"parameters", "lambda_parameters"})
# Nodes a target is nested in (`a, (b, *c) = ...`): walking out of them finds the statement that binds.
_TARGET_WRAPPERS = frozenset(
    {
        "pattern_list",
        "tuple_pattern",
        "list_pattern",
        "tuple",
        "list",
        "parenthesized_expression",
        "expression_list",
        "list_splat_pattern",
        "list_splat",
    }
)
_TARGET_FIELDS = frozenset(
    {
        ("assignment", "left"),
        ("augmented_assignment", "left"),
        ("for_statement", "left"),
        ("for_in_clause", "left"),
        ("named_expression", "name"),
    }
)
_IMPORTS = frozenset({"import_statement", "import_from_statement", "future_import_statement"})
# Builtins that let code reach local variables by their names: a function using them is left alone.
_REFLECTION = frozenset({"locals", "vars", "eval", "exec", "globals", "dir", "breakpoint", "inspect"})
_FRAME_ATTRIBUTES = frozenset(
    {"_getframe", "currentframe", "f_locals", "f_back", "f_globals", "getouterframes", "getframeinfo"}
)
# Decorators known not to look at parameter names (others may: pytest fixtures, web frameworks, click).
_SAFE_DECORATORS = frozenset(
    {
        "staticmethod",
        "classmethod",
        "property",
        "abstractmethod",
        "setter",
        "getter",
        "deleter",
        "wraps",
        "cache",
        "lru_cache",
        "cached_property",
        "override",
    }
)
# Parents under which an identifier is a plain name reference.
_REF_PARENTS = frozenset(
    {
        "argument_list",
        "assignment",
        "augmented_assignment",
        "assert_statement",
        "as_pattern",
        "await",
        "binary_operator",
        "boolean_operator",
        "call",
        "comparison_operator",
        "conditional_expression",
        "decorator",
        "default_parameter",
        "typed_default_parameter",
        "dictionary",
        "dictionary_splat",
        "list_splat",
        "elif_clause",
        "except_clause",
        "expression_list",
        "expression_statement",
        "for_statement",
        "for_in_clause",
        "format_expression",
        "generator_expression",
        "list_comprehension",
        "set_comprehension",
        "if_clause",
        "if_statement",
        "interpolation",
        "keyword_argument",
        "lambda",
        "list",
        "match_statement",
        "named_expression",
        "not_operator",
        "pair",
        "parenthesized_expression",
        "raise_statement",
        "return_statement",
        "set",
        "slice",
        "subscript",
        "tuple",
        "type",
        "unary_operator",
        "while_statement",
        "with_item",
        "yield",
        "attribute",
        "delete_statement",
    }
)


@dataclass(eq=False)
class _Scope:
    kind: str  # a SCOPE_TYPES member
    parent: Node | None
    bound: dict[str, Binding] = field(default_factory=dict)
    globals: set[str] = field(default_factory=set)
    nonlocals: set[str] = field(default_factory=set)


def _first_for_in(comprehension: Node) -> Node | None:
    return next((c for c in comprehension.named_children if c.type == "for_in_clause"), None)


def _scope_of(
    node: Node, fld: str | None, anc: list[Node], flds: list[str | None], param: bool
) -> Node | None:
    """The scope in which `node` is evaluated (or bound, for a parameter name); None: outside the unit.

    Defaults, annotations and decorators belong to the enclosing scope, and so does a comprehension's first
    iterable."""
    child, child_field, below_field = node, fld, None
    for i in range(len(anc) - 1, -1, -1):
        p = anc[i]
        t = p.type
        if t in _FUNCTIONS:
            if child_field == "body" or (child_field == "parameters" and param):
                return p
        elif t == "class_definition":
            if child_field == "body":
                return p
        elif t in COMPREHENSIONS:
            if not (child.type == "for_in_clause" and child == _first_for_in(p) and below_field == "right"):
                return p
        elif t == "module":
            return p
        below_field = child_field
        child, child_field = p, flds[i]
    return None


def _target_holder(
    node: Node, fld: str | None, anc: list[Node], flds: list[str | None]
) -> tuple[Node, str | None]:
    """The node that binds `node` if it is (part of) an assignment target, and the field it sits in."""
    child_field = fld
    i = len(anc) - 1
    while i > 0 and anc[i].type in _TARGET_WRAPPERS:
        child_field = flds[i]
        i -= 1
    return anc[i], child_field


def _is_target(holder: Node, child_field: str | None) -> bool:
    return (holder.type, child_field) in _TARGET_FIELDS or holder.type in (
        "as_pattern_target",
        "delete_statement",
    )


def _parameter(node: Node, fld: str | None, anc: list[Node]) -> tuple[Node, Node] | None:
    """(the parameter's node in the parameter list, the list) when `node` is a parameter's name."""
    i = len(anc) - 1
    parent = anc[i]
    if parent.type in _PARAMETER_LISTS:
        return node, parent
    if parent.type in ("default_parameter", "typed_default_parameter") and fld != "name":
        return None
    if parent.type in ("default_parameter", "typed_default_parameter", "typed_parameter"):
        if parent.type == "typed_parameter" and fld == "type":
            return None
        return (parent, anc[i - 1]) if anc[i - 1].type in _PARAMETER_LISTS else None
    if parent.type in ("list_splat_pattern", "dictionary_splat_pattern"):
        if anc[i - 1].type in _PARAMETER_LISTS:
            return parent, anc[i - 1]
        if anc[i - 1].type == "typed_parameter" and anc[i - 2].type in _PARAMETER_LISTS:
            return anc[i - 1], anc[i - 2]
    return None


def _decorators_safe(function: Node) -> bool:
    parent = function.parent
    if parent is None or parent.type != "decorated_definition":
        return True
    for dec in parent.named_children:
        if dec.type != "decorator":
            continue
        expr = dec.named_children[0] if dec.named_children else None
        if expr is not None and expr.type == "call":
            expr = expr.child_by_field_name("function")
        if expr is None:
            return False
        last = expr.child_by_field_name("attribute") if expr.type == "attribute" else expr
        if last is None or last.type != "identifier" or last.text.decode() not in _SAFE_DECORATORS:
            return False
    return True


def _parameter_kind(b: Builder, name: str, param: Node, plist: Node) -> str:
    """ "parameter" when callers cannot pass it by name (positional-only, *args, **kwargs), else
    "fixed-parameter": renaming it could break a call site that uses the name."""
    if name in ("self", "cls"):
        return "fixed-parameter"
    function = plist.parent
    if function is not None and function.type == "function_definition" and not _decorators_safe(function):
        return "fixed-parameter"
    inner = param.named_children[0] if param.type == "typed_parameter" and param.named_children else param
    if inner.type in ("list_splat_pattern", "dictionary_splat_pattern"):
        return "parameter"
    children = plist.named_children
    slash = next((i for i, c in enumerate(children) if c.type == "positional_separator"), -1)
    return "parameter" if 0 <= children.index(param) < slash else "fixed-parameter"


def _import_binds(node: Node, fld: str | None, parent: Node) -> bool:
    if parent.type == "aliased_import":
        return fld == "alias"
    if parent.type == "dotted_name" and parent.named_children and parent.named_children[0] == node:
        holder = parent.parent
        if holder is None:
            return False
        if holder.type == "import_statement":
            return True
        if holder.type == "import_from_statement":
            return any(c == parent for c in holder.children_by_field_name("name"))
    return False


def analyze(code: Code) -> Analysis:
    b = Builder(code)
    scopes: dict[Node, _Scope] = {}
    refs: list[tuple[Node, Node | None]] = []
    skip: str | None = None

    def declare(node: Node, scope: Node | None, kind: str) -> None:
        if scope is None:  # the unit's own name, bound outside it
            b.occurrences.append((node, Free(b.text(node))))
            return
        info = scopes[scope]
        name = b.text(node)
        if info.kind == "class_definition" and kind == "local":
            kind = "class-attribute"
        elif info.kind == "module" and kind == "local":
            kind = "global"
        binding = info.bound.get(name)
        if binding is None:
            binding = b.new_binding(node, scope, (scope.start_byte, scope.end_byte), kind)
            info.bound[name] = binding
        else:
            binding.kinds.add(kind)
            binding.occurrences.append(node)
        b.occurrences.append((node, binding))

    for node, fld, anc, flds in walk_paths(code.root):
        t = node.type
        if t in SCOPE_TYPES:
            parent = _scope_of(node, fld, anc, flds, False) if anc else None
            scopes[node] = _Scope(t, parent)
            continue
        if t != "identifier":
            if t in ("print_statement", "exec_statement", "type_parameter", "type_alias_statement"):
                for n in _identifiers(node):
                    b.mark_unsafe(b.text(n), f"inside a {t}")
                if t == "exec_statement":
                    skip = "the function uses exec"
            continue
        if not anc:
            continue
        name = b.text(node)
        parent = anc[-1]
        if name in _FRAME_ATTRIBUTES:
            skip = f"the function inspects frames ({name})"
        if name.startswith("__") and not name.endswith("__"):
            b.mark_unsafe(name, "private names are mangled inside classes")
        context = _unsafe_context(anc)
        if context:
            b.mark_unsafe(name, context)

        if any(a.type in _IMPORTS for a in anc):
            b.mark_unsafe(name, "bound by an import")
            if _import_binds(node, fld, parent):
                declare(node, _scope_of(node, fld, anc, flds, False), "import")
            else:
                b.occurrences.append((node, None))
            continue
        if any(a.type == "case_pattern" for a in anc):
            b.mark_unsafe(name, "used in a match pattern")
            declare(node, _scope_of(node, fld, anc, flds, False), "pattern")
            continue
        if parent.type in ("global_statement", "nonlocal_statement"):
            b.mark_unsafe(name, f"declared {parent.type.split('_')[0]}")
            scope = _scope_of(node, fld, anc, flds, False)
            if scope is not None:
                info = scopes[scope]
                (info.globals if parent.type == "global_statement" else info.nonlocals).add(name)
            b.occurrences.append((node, None))
            continue
        if (parent.type == "attribute" and fld == "attribute") or (
            parent.type == "keyword_argument" and fld == "name"
        ):
            b.occurrences.append((node, None))
            continue
        if parent.type in ("function_definition", "class_definition") and fld == "name":
            kind = "function" if parent.type == "function_definition" else "class"
            declare(node, _scope_of(node, fld, anc, flds, False), kind)
            continue
        param = _parameter(node, fld, anc)
        if param is not None:
            declare(node, _scope_of(node, fld, anc, flds, True), _parameter_kind(b, name, *param))
            continue
        holder, holder_field = _target_holder(node, fld, anc, flds)
        if _is_target(holder, holder_field):
            scope = _scope_of(node, fld, anc, flds, False)
            if holder.type == "named_expression":  # := binds in the enclosing function, not a comprehension
                while scope is not None and scopes[scope].kind in COMPREHENSIONS:
                    scope = scopes[scope].parent
            if holder.type == "delete_statement":
                b.mark_unsafe(name, "deleted with del")
            declare(node, scope, "local")
            continue
        if parent.type not in _REF_PARENTS:
            b.mark_unsafe(name, f"used in an unsupported context ({parent.type})")
        refs.append((node, _scope_of(node, fld, anc, flds, False)))

    for node, scope in refs:
        target = _resolve(scopes, b.text(node), scope)
        if isinstance(target, Free) and target.name in _REFLECTION:  # the builtin, not a local of that name
            skip = skip or f"the function uses {target.name}"
        if isinstance(target, Binding):
            target.occurrences.append(node)
        b.occurrences.append((node, target))
    return b.finish(skip)


def _unsafe_context(anc: list[Node]) -> str | None:
    for a in anc:
        if a.type == "type":
            return "used in an annotation"
        if a.type == "interpolation" and any(c.type == "=" for c in a.children):
            return "printed by an f-string's {name=}"
    return None


def _identifiers(node: Node) -> list[Node]:
    out, stack = [], [node]
    while stack:
        n = stack.pop()
        if n.type == "identifier":
            out.append(n)
        stack.extend(n.children)
    return out


def _resolve(scopes: dict[Node, _Scope], name: str, scope: Node | None) -> Binding | Free:
    if scope is not None and scopes[scope].kind == "class_definition":
        info = scopes[scope]
        if name in info.globals:
            return Free(name)
        if name in info.bound and name not in info.nonlocals:
            return info.bound[name]
        scope = info.parent
    while scope is not None:
        info = scopes[scope]
        if info.kind != "class_definition":
            if name in info.globals:
                return Free(name)
            if name in info.bound and name not in info.nonlocals:
                return info.bound[name]
        scope = info.parent
    return Free(name)
