"""Declarations that let a C function lifted out of its project (a Devign function) compile on its own.

Devign functions use their project's types, globals, functions and macros, whose headers are absent. For
each identifier the function uses but neither declares nor gets from the C standard headers, this infers a
shape from how the code uses it (`p->m` makes p a pointer to a struct with a member m; `f(x)` makes f a
function; `case K:` makes K an integer constant; `a * b` makes both scalars) and writes a declaration of
that shape: `typedef struct __mc1 AVFrame;`, `long av_log();`, `enum { AV_LOG_ERROR = 1001 };`. Every
struct gets all the members the function uses ("universal" structs). This is a heuristic: functions that
do not compile with their generated declarations are simply left out of the measurement.
"""

from __future__ import annotations

import functools
import re
import subprocess
import tempfile
from collections import Counter
from pathlib import Path

import tree_sitter

from metacompress_core.code.parsing import parse

STANDARD_HEADERS = (
    "stddef.h stdint.h stdbool.h stdarg.h stdio.h stdlib.h string.h limits.h errno.h math.h inttypes.h "
    "ctype.h assert.h time.h signal.h"
).split()
PRELUDE = "".join(f"#include <{h}>\n" for h in STANDARD_HEADERS)

# Shapes: ("scalar",), ("const",) integer constant expression, ("struct",), ("ptr", inner), ("fn", ret),
# or None when the use says nothing.
Shape = tuple | None
SCALAR, CONST, STRUCT = ("scalar",), ("const",), ("struct",)
_ARITHMETIC = {"*", "/", "%", "<<", ">>", "&", "|", "^"}
_KIND_ORDER = ("struct", "ptr", "fn", "const", "scalar")  # tie-break: the more telling shape wins
_LEVELS = 3  # struct values nested this deep (a.b.c) get complete member types
_DECLARATORS = {
    "init_declarator",
    "pointer_declarator",
    "array_declarator",
    "function_declarator",
    "parenthesized_declarator",
    "attributed_declarator",
}
_MACRO_NAME = re.compile(r"[A-Z][A-Z0-9_]*$")


@functools.cache
def known_names() -> frozenset[str]:
    """Names the standard headers declare (functions, variables, types, enumerators, macros, struct tags)."""
    with tempfile.TemporaryDirectory() as tmp:
        header = Path(tmp) / "prelude.c"
        header.write_text(PRELUDE)
        pre = subprocess.run(["gcc", "-E", "-P", str(header)], capture_output=True, text=True, check=True)
        macros = subprocess.run(["gcc", "-E", "-dM", str(header)], capture_output=True, text=True, check=True)
    names = set(re.findall(r"^#define (\w+)", macros.stdout, re.M))
    code = parse(pre.stdout, "c")
    for node in code.walk():
        if node.type in ("identifier", "type_identifier") and _declares(node):
            names.add(code.node_text(node))
        elif node.type in ("struct_specifier", "union_specifier", "enum_specifier"):
            name = node.child_by_field_name("name")
            if name is not None and node.child_by_field_name("body") is not None:
                names.add(f"{node.type.split('_')[0]} {code.node_text(name)}")
    names.update(("__func__", "__FUNCTION__", "__PRETTY_FUNCTION__", "__LINE__", "__FILE__", "__COUNTER__"))
    return frozenset(names)


def _declares(node: tree_sitter.Node) -> bool:
    """True when `node` is the name being declared by a declarator (or an enumerator's name)."""
    parent = node.parent
    if parent is None:
        return False
    if parent.type == "enumerator":
        return parent.child_by_field_name("name") == node
    if parent.type in _DECLARATORS:
        return parent.child_by_field_name("declarator") == node
    if parent.type in ("declaration", "parameter_declaration", "type_definition", "field_declaration"):
        return parent.child_by_field_name("declarator") == node or node in parent.children_by_field_name(
            "declarator"
        )
    return False


def _declared_name(declarator: tree_sitter.Node | None) -> tree_sitter.Node | None:
    while declarator is not None and declarator.type not in ("identifier", "type_identifier"):
        nxt = declarator.child_by_field_name("declarator")
        if nxt is None:
            nxt = next(
                (c for c in declarator.named_children if c.type in _DECLARATORS | {"identifier"}), None
            )
        declarator = nxt
    return declarator


def _pointer_depth(declarator: tree_sitter.Node | None) -> int:
    depth = 0
    while declarator is not None and declarator.type not in ("identifier", "type_identifier"):
        if declarator.type in ("pointer_declarator", "array_declarator", "abstract_pointer_declarator"):
            depth += 1
        declarator = declarator.child_by_field_name("declarator") or next(
            (c for c in declarator.named_children if c.type.endswith("declarator")), None
        )
    return depth


def _expect(node: tree_sitter.Node) -> Shape:
    """The shape that the surroundings of expression `node` demand of it."""
    parent = node.parent
    if parent is None:
        return None
    kind = parent.type
    if kind == "parenthesized_expression":
        grand = parent.parent
        if grand is not None and grand.type == "switch_statement":
            return SCALAR
        return _expect(parent)
    if kind == "field_expression" and parent.child_by_field_name("argument") == node:
        operator = parent.child_by_field_name("operator")
        return ("ptr", STRUCT) if operator is not None and operator.type == "->" else STRUCT
    if kind == "subscript_expression":
        return ("ptr", _expect(parent)) if parent.child_by_field_name("argument") == node else SCALAR
    if kind == "pointer_expression":
        operator = parent.child_by_field_name("operator")
        return ("ptr", _expect(parent)) if operator is not None and operator.type == "*" else None
    if kind == "call_expression" and parent.child_by_field_name("function") == node:
        ret = _expect(parent)
        return ("fn", ("ptr", ret) if ret is not None and ret[0] == "fn" else ret)
    if kind == "binary_expression":
        operator = parent.child_by_field_name("operator")
        return SCALAR if operator is not None and operator.type in _ARITHMETIC else None
    if kind == "unary_expression":
        operator = parent.child_by_field_name("operator")
        return SCALAR if operator is not None and operator.type in ("-", "~", "+") else None
    if kind in (
        "case_statement",
        "array_declarator",
        "bitfield_clause",
        "enumerator",
        "subscript_designator",
    ):
        return CONST
    if kind == "conditional_expression" and parent.child_by_field_name("condition") != node:
        return _expect(parent)
    return None


def _merge(shapes: list[Shape]) -> Shape:
    """One shape for an entity used in several ways: the most frequent telling kind, inner shapes merged."""
    known = [s for s in shapes if s is not None]
    if not known:
        return None
    counts = Counter(s[0] for s in known)
    if "const" in counts and "scalar" in counts:  # a constant serves as a scalar too
        counts["const"] += counts.pop("scalar")
    best = max(counts, key=lambda k: (counts[k], -_KIND_ORDER.index(k)))
    if best in ("ptr", "fn"):
        return (best, _merge([s[1] for s in known if s[0] == best]))
    return (best,)


def _render(shape: Shape, name: str, level: int = 1) -> str:
    """A C declaration of `name` with `shape` (struct values at `level` of the universal structs)."""
    if shape is None or shape[0] in ("scalar", "const"):
        return f"long {name}"
    if shape[0] == "struct":
        return f"struct __mc{level} {name}" if level <= _LEVELS else f"long {name}"
    if shape[0] == "ptr":
        inner = shape[1]
        if inner is not None and inner[0] == "fn":
            return _render(inner, f"(*{name})", 1)
        return _render(inner, f"*{name}", 1)
    ret = shape[1]
    if ret is not None and ret[0] == "fn":
        ret = ("ptr", ret)
    return _render(ret, f"{name}()", 1)


def _strip_pointers(shape: Shape, depth: int) -> Shape:
    for _ in range(depth):
        if shape is None or shape[0] != "ptr":
            return None
        shape = shape[1]
    return shape


def declarations(function_source: str) -> str | None:
    """Declarations for the names `function_source` uses but does not declare; None if it does not parse."""
    code = parse(function_source, "c")
    if code.has_errors():
        return None
    known = known_names()
    local: set[str] = set()
    for node in code.walk():
        if node.type in ("identifier", "type_identifier") and _declares(node):
            local.add(code.node_text(node))

    values: dict[str, list[Shape]] = {}  # globals, constants, functions
    assigned: set[str] = set()  # names written to or whose address is taken: not constants
    types: dict[str, list[Shape]] = {}  # typedef names
    tags: dict[str, str] = {}  # "struct S" -> "struct"
    members: dict[str, list[Shape]] = {}
    variables_of_type: dict[str, list[tuple[str, int]]] = {}  # typedef -> (variable, pointer depth)
    uses: dict[str, list[Shape]] = {}  # every identifier's expected shapes (locals included)

    for node in code.walk():
        text = code.node_text(node) if node.type.endswith("identifier") else ""
        if node.type == "identifier" and not _declares(node):
            shape = _expect(node)
            uses.setdefault(text, []).append(shape)
            if text not in local and text not in known and not text.startswith("__builtin"):
                values.setdefault(text, []).append(shape)
                parent = node.parent
                if parent is not None and (
                    (parent.type == "assignment_expression" and parent.child_by_field_name("left") == node)
                    or parent.type == "update_expression"
                    or (parent.type == "pointer_expression" and parent.children[0].type == "&")
                ):
                    assigned.add(text)
        elif node.type == "type_identifier" and not _declares(node):
            parent = node.parent
            if parent is not None and parent.type in (
                "struct_specifier",
                "union_specifier",
                "enum_specifier",
            ):
                tag = f"{parent.type.split('_')[0]} {text}"
                if tag not in known and parent.child_by_field_name("body") is None:
                    tags.setdefault(tag, parent.type.split("_")[0])
            elif text not in known and text not in local:
                types.setdefault(text, [])
                _note_typed_names(code, node, text, variables_of_type, types)
        elif node.type == "field_identifier":
            parent = node.parent
            if parent is not None and parent.type == "field_expression":
                members.setdefault(text, []).append(_expect(parent))
            elif parent is not None and parent.type == "field_designator":
                members.setdefault(text, []).append(None)

    for type_name, variables in variables_of_type.items():
        for variable, depth in variables:
            types[type_name].append(_strip_pointers(_merge(uses.get(variable, [])), depth))
    # Names tested by #if/#ifdef inside the function become macros defined as 1, so that gcc checks the
    # code they guard (an undefined name would silently hide that code from the compiler).
    switches = sorted(n for n in _preprocessor_names(code) if n not in known and n not in local)
    for name in switches:
        values.pop(name, None)
    pasting = _pasting_macro(code)
    if pasting is not None:  # calls like HELPER(foo)(env) name the pasted function HELPER_foo
        values.pop(pasting[0], None)
        for node in code.walk():
            if (
                node.type == "call_expression"
                and node.child_by_field_name("function").type == "call_expression"
            ):
                inner = node.child_by_field_name("function")
                if code.node_text(inner.child_by_field_name("function")) == pasting[0]:
                    args = inner.child_by_field_name("arguments").named_children
                    if len(args) == 1:
                        pasted = f"{pasting[0]}_{code.node_text(args[0])}"
                        values.setdefault(pasted, []).append(("fn", _expect(node)))
                        values.pop(code.node_text(args[0]), None)
    return "".join(f"#define {name} 1\n" for name in switches) + _write(
        values, assigned, types, tags, members, pasting
    )


def _preprocessor_names(code) -> set[str]:
    names: set[str] = set()
    for node in code.walk():
        if node.type == "preproc_ifdef":
            name = node.child_by_field_name("name")
            if name is not None:
                names.add(code.node_text(name))
        elif node.type in ("preproc_if", "preproc_elif"):
            condition = node.child_by_field_name("condition")
            if condition is not None:
                names.update(code.node_text(n) for n in code.walk(condition) if n.type == "identifier")
    return names


def _note_typed_names(
    code, type_node: tree_sitter.Node, type_name: str, variables: dict, types: dict[str, list[Shape]]
) -> None:
    """Record the variables declared with typedef `type_name` (and casts to it) as evidence of its shape."""
    holder = type_node.parent
    if holder is None:
        return
    if holder.type in ("declaration", "parameter_declaration"):
        for declarator in holder.children_by_field_name("declarator"):
            name = _declared_name(declarator)
            if name is not None:
                variables.setdefault(type_name, []).append((code.node_text(name), _pointer_depth(declarator)))
    elif (
        holder.type == "type_descriptor"
        and holder.parent is not None
        and holder.parent.type == "cast_expression"
    ):
        depth = _pointer_depth(holder.child_by_field_name("declarator"))
        types[type_name].append(_strip_pointers(_expect(holder.parent), depth))


def _pasting_macro(code) -> tuple[str, set[str]] | None:
    """`void HELPER(mvc)(args)`: a name-pasting macro makes the function's name. Its name and argument."""
    definition = next((n for n in code.root.named_children if n.type == "function_definition"), None)
    declarator = definition.child_by_field_name("declarator") if definition is not None else None
    while declarator is not None and declarator.type == "pointer_declarator":
        declarator = declarator.child_by_field_name("declarator")
    if declarator is None or declarator.type != "function_declarator":
        return None
    inner = declarator.child_by_field_name("declarator")
    if inner is None or inner.type != "function_declarator":
        return None
    name = inner.child_by_field_name("declarator")
    params = inner.child_by_field_name("parameters")
    if name is None or name.type != "identifier" or params is None:
        return None
    return code.node_text(name), {code.node_text(n) for n in params.named_children}


def _write(values, assigned, types, tags, members, pasting: tuple[str, set[str]] | None) -> str:
    lines: list[str] = []
    if pasting is not None:
        macro, arguments = pasting
        lines.append(f"#define {macro}(x) {macro}_##x")
        for name in list(types):
            if name in arguments:
                del types[name]
    member_shapes = {
        m: ("ptr", shape) if shape is not None and shape[0] == "fn" else shape
        for m, shapes in sorted(members.items())
        for shape in [_merge(shapes)]
    }
    for level in range(_LEVELS, 0, -1):  # innermost first: a struct member needs a complete type
        body = (
            " ".join(f"{_render(s, m, level + 1)};" for m, s in member_shapes.items()) or "long __mc_unused;"
        )
        lines.append(f"struct __mc{level} {{ {body} }};")
    for tag, keyword in sorted(tags.items()):
        if keyword == "enum":
            lines.append(f"{tag} {{ __mc_{tag.split()[1]}_0 }};")
        else:
            body = " ".join(f"{_render(s, m, 2)};" for m, s in member_shapes.items()) or "long __mc_unused;"
            lines.append(f"{tag} {{ {body} }};")
    for name, shapes in sorted(types.items()):
        lines.append(f"typedef {_render(_merge(shapes), name)};")
    constant = 1000
    for name, shapes in sorted(values.items()):
        if name in types:  # a type name used as an expression: sizeof(T), or a macro's argument
            continue
        shape = _merge(shapes)
        kind = None if shape is None else shape[0]
        if kind == "const" or (kind in (None, "scalar") and _MACRO_NAME.match(name) and name not in assigned):
            constant += 1
            lines.append(f"enum {{ {name} = {constant} }};")
        elif kind == "fn" and shape[1] == CONST:  # a macro in a case label: a distinct constant each use
            lines.append(f"#define {name}(...) (__COUNTER__ + 100000)")
        elif kind == "fn":
            lines.append(f"{_render(shape, name)};")
        else:
            lines.append(f"extern {_render(shape, name)};")
    return "\n".join(lines) + "\n"
