"""What the scope analysis finds, and the pieces its language analysers share: a `Binding` (a declaration and
every identifier occurrence that refers to it), a `Free` name (declared outside the unit), the `Analysis` of
a unit, the `Builder` that accumulates them while an analyser walks the tree, and tree-walking helpers.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import tree_sitter

from metacompress_core.code.parsing import Code

Node = tree_sitter.Node

# The kinds of binding that may be renamed, by transform.
VARIABLE_KINDS = frozenset({"local"})
PARAMETER_KINDS = frozenset({"parameter"})


@dataclass(eq=False)
class Binding:
    """One declared name and every identifier occurrence that refers to it."""

    name: str
    decl: Node  # the first declaring occurrence
    scope: Node  # the node that owns the declaration (block, function, class body...)
    region: tuple[int, int]  # tree byte range in which the binding can be referred to
    kinds: set[str] = field(default_factory=set)  # "local", "parameter", "field", "function"...
    occurrences: list[Node] = field(default_factory=list)  # declaring and referring identifiers
    unsafe: list[str] = field(default_factory=list)  # why it must not be renamed

    @property
    def role(self) -> str | None:
        """ "variable" or "parameter" when the kinds allow renaming, else None."""
        if self.kinds and self.kinds <= VARIABLE_KINDS:
            return "variable"
        if self.kinds & PARAMETER_KINDS and self.kinds <= PARAMETER_KINDS | VARIABLE_KINDS:
            return "parameter"
        return None

    def overlaps(self, other: Binding) -> bool:
        return self.region[0] < other.region[1] and other.region[0] < self.region[1]


@dataclass(frozen=True)
class Free:
    """A name declared outside the unit (or not at all): a field, global, builtin, function or type."""

    name: str


Target = Binding | Free | None  # None: the identifier is no variable reference (member, label, ...)


@dataclass(eq=False)
class Analysis:
    code: Code
    bindings: list[Binding]
    occurrences: list[tuple[Node, Target]]  # every identifier in the unit, in document order
    unsafe_names: dict[str, str]  # name -> why no binding of that name may be renamed
    skip: str | None = None  # why nothing in this unit may be renamed

    def why_not(self, binding: Binding) -> str | None:
        """Why `binding` must not be renamed, or None when it may be."""
        if self.skip:
            return self.skip
        if binding.role is None:
            return f"a {'/'.join(sorted(binding.kinds))} binding"
        if binding.unsafe:
            return binding.unsafe[0]
        return self.unsafe_names.get(binding.name)

    def renameable(self, role: str) -> list[Binding]:
        return [b for b in self.bindings if b.role == role and self.why_not(b) is None]

    def binding_declared_at(self, node: Node) -> Binding | None:
        for b in self.bindings:
            if b.decl.start_byte == node.start_byte and b.decl.end_byte == node.end_byte:
                return b
        return None


class Builder:
    """Accumulates bindings and occurrences while a language analyser walks the tree."""

    def __init__(self, code: Code) -> None:
        self.code = code
        self.bindings: list[Binding] = []
        self.occurrences: list[tuple[Node, Target]] = []
        self.unsafe_names: dict[str, str] = {}

    def text(self, node: Node) -> str:
        return self.code.node_text(node)

    def mark_unsafe(self, name: str, why: str) -> None:
        self.unsafe_names.setdefault(name, why)

    def new_binding(self, node: Node, scope: Node, region: tuple[int, int], kind: str) -> Binding:
        b = Binding(self.text(node), node, scope, region, {kind}, [node])
        self.bindings.append(b)
        return b

    def finish(self, skip: str | None = None) -> Analysis:
        self.occurrences.sort(key=lambda o: o[0].start_byte)
        for b in self.bindings:
            b.occurrences.sort(key=lambda n: n.start_byte)
        self.bindings.sort(key=lambda b: b.decl.start_byte)
        return Analysis(self.code, self.bindings, self.occurrences, self.unsafe_names, skip)


def walk_paths(root: Node) -> Iterator[tuple[Node, str | None, list[Node], list[str | None]]]:
    """Every node below `root` in document order, with its field name, its ancestors (outermost first) and
    the ancestors' own field names. The lists are reused: read them before advancing."""
    cursor = root.walk()
    ancestors: list[Node] = []
    fields: list[str | None] = []
    fld: str | None = None
    while True:
        node = cursor.node
        yield node, fld, ancestors, fields
        if cursor.goto_first_child():
            ancestors.append(node)
            fields.append(fld)
            fld = cursor.field_name
            continue
        while not cursor.goto_next_sibling():
            if not ancestors:
                return
            cursor.goto_parent()
            ancestors.pop()
            fields.pop()
        fld = cursor.field_name


def innermost(candidates: list[Binding], pos: int) -> Binding | None:
    """The binding whose region holds `pos` and starts last (block scoping: inner declarations win)."""
    best = None
    for b in candidates:
        if b.region[0] <= pos < b.region[1] and (best is None or b.region[0] > best.region[0]):
            best = b
    return best


def flag_duplicates(builder: Builder) -> None:
    """Two declarations of one name in one scope (C preprocessor branches): rename neither."""
    seen: dict[tuple[int, int, str], Binding] = {}
    for b in builder.bindings:
        key = (b.scope.start_byte, b.scope.end_byte, b.name)
        if key in seen and b.decl != seen[key].decl:
            builder.mark_unsafe(b.name, "declared twice in one scope")
        seen[key] = b
