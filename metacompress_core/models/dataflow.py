"""GraphCodeBERT-style data flow from tree-sitter: which variable occurrences a value comes from.

GraphCodeBERT (and the students distilled from it) read, besides the code tokens, a list of data-flow nodes:
one per variable occurrence, each linked to the occurrences its value may come from. This module computes that
list from the project's tree-sitter grammars. It is a flow-insensitive approximation of reaching definitions:
a walk in document order keeps, for every name, the occurrences that last defined it; branches merge their
states; loop bodies are walked twice so that values flowing around the loop are seen.

Two rule sets exist because a model must see the graph it was trained with:
- `java`: the rules of GraphCodeBERT's Java extractor (declarations, assignments, updates, if/for/for-each/while);
  every non-keyword leaf (identifier, literal, type name) becomes a node.
- `c-compressor`: the rules of Compressor's C extractor, which its GraphCodeBERT vulnerability student was
  trained with: only declared names, parameters and later uses of them become nodes; assignments are skipped.

Both follow the original extractors' observable behaviour on today's grammars (tree-sitter-java 0.23,
tree-sitter-c 0.24), quirks included, e.g. a C `else` branch continuing from the `then` branch's state because
today's grammar wraps it in an `else_clause` node.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import tree_sitter

from metacompress_core.code.languages import language_by_name

States = dict[str, tuple[int, ...]]


@dataclass(frozen=True)
class FlowEdge:
    """One data-flow node: the occurrence of `name` at leaf token `token`, and the tokens it comes from."""

    name: str
    token: int
    kind: str  # "comesFrom" | "computedFrom"
    parent_names: tuple[str, ...]
    parents: tuple[int, ...]


@dataclass(frozen=True)
class DataFlow:
    tokens: tuple[str, ...]  # leaf tokens of the code in document order, comments left out
    edges: tuple[FlowEdge, ...]  # sorted by token; one token may carry several entries


def is_comment(node: tree_sitter.Node) -> bool:
    return node.type.endswith("comment")


def remove_comments(code: str, language: str) -> str:
    """The code with every comment replaced by a space and blank lines dropped.

    On code collapsed onto one line a `//` comment runs to the end of the code, as it would for a compiler.
    """
    src = code.encode("utf-8", errors="surrogateescape")
    tree = language_by_name(language).parser().parse(src)
    spans = []
    stack = [tree.root_node]
    while stack:
        node = stack.pop()
        if is_comment(node):
            spans.append((node.start_byte, node.end_byte))
        else:
            stack.extend(node.children)
    if spans:
        spans.sort()
        parts, last = [], 0
        for start, end in spans:
            if start < last:
                continue
            parts.append(src[last:start])
            parts.append(b" ")
            last = end
        parts.append(src[last:])
        src = b"".join(parts)
    lines = src.decode("utf-8", errors="surrogateescape").split("\n")
    return "\n".join(line for line in lines if line.strip())


def extract_dataflow(code: str, language: str, rules: str, keep_unlinked: bool) -> DataFlow:
    """Leaf tokens and data-flow entries of `code` (comments should already be removed).

    With `keep_unlinked=False` an entry is kept only when its token has a parent or is some entry's parent,
    as GraphCodeBERT's clone-detection input does.
    """
    src = code.encode("utf-8", errors="surrogateescape")
    tree = language_by_name(language).parser().parse(src)
    leaves = _leaves(tree.root_node)
    tokens = tuple(src[n.start_byte : n.end_byte].decode("utf-8", errors="surrogateescape") for n in leaves)
    # A span maps to the last leaf with that span (zero-width MISSING leaves can share one).
    index = {(n.start_byte, n.end_byte): i for i, n in enumerate(leaves)}
    walker = _Walker(tokens, index, _RULES[rules])
    try:
        edges, _ = walker.visit(tree.root_node, {})
    except RecursionError:  # pathologically deep code: no data flow, the code tokens still count
        edges = []
    edges = sorted(edges, key=lambda e: e.token)
    if not keep_unlinked:
        linked = {e.token for e in edges if e.parents} | {p for e in edges for p in e.parents}
        edges = [e for e in edges if e.token in linked]
    return DataFlow(tokens, tuple(edges))


def _leaves(root: tree_sitter.Node) -> list[tree_sitter.Node]:
    out, stack = [], [root]
    while stack:
        node = stack.pop()
        if is_comment(node):
            continue
        if node.child_count == 0:
            out.append(node)
        else:
            stack.extend(reversed(node.children))
    return out


def _by_token(edges: list[FlowEdge]) -> list[FlowEdge]:
    return sorted(edges, key=lambda e: e.token)


def _merge_loop(edges: list[FlowEdge]) -> list[FlowEdge]:
    """Entries for the same (name, token, kind) seen on several passes over a loop become one entry."""
    merged: dict[tuple[str, int, str], tuple[set[str], set[int]]] = {}
    for e in edges:
        names, parents = merged.setdefault((e.name, e.token, e.kind), (set(), set()))
        names.update(e.parent_names)
        parents.update(e.parents)
    out = [
        FlowEdge(name, token, kind, tuple(sorted(names)), tuple(sorted(parents)))
        for (name, token, kind), (names, parents) in merged.items()
    ]
    return _by_token(out)


@dataclass(frozen=True)
class _Rules:
    leaf: Callable[[_Walker, tree_sitter.Node, States], tuple[list[FlowEdge], States]]
    handlers: dict[str, Callable[[_Walker, tree_sitter.Node, States], tuple[list[FlowEdge], States]]]


class _Walker:
    def __init__(self, tokens: tuple[str, ...], index: dict[tuple[int, int], int], rules: _Rules):
        self.tokens = tokens
        self.index = index
        self.rules = rules

    def visit(self, node: tree_sitter.Node, states: States) -> tuple[list[FlowEdge], States]:
        states = dict(states)
        if is_comment(node):
            return [], states
        if node.child_count == 0:
            return self.rules.leaf(self, node, states)
        handler = self.rules.handlers.get(node.type)
        if handler is not None:
            return handler(self, node, states)
        return self.sequence(node.children, states)

    def sequence(self, nodes, states: States) -> tuple[list[FlowEdge], States]:
        edges: list[FlowEdge] = []
        for child in nodes:
            found, states = self.visit(child, states)
            edges += found
        return _by_token(edges), states

    def token_of(self, node: tree_sitter.Node) -> tuple[int, str]:
        i = self.index[(node.start_byte, node.end_byte)]
        return i, self.tokens[i]

    def variables(self, node: tree_sitter.Node | None) -> list[int]:
        """Token indices of the leaves below `node` that are not keywords or punctuation."""
        if node is None:
            return []
        out = []
        for leaf in _leaves(node):
            i, text = self.token_of(leaf)
            if leaf.type != text:
                out.append(i)
        return out

    def flows(self, targets: list[int], sources: list[int], kind: str, states: States) -> list[FlowEdge]:
        """Every target comes from every source; each target becomes the current definition of its name."""
        edges = []
        for t in targets:
            name = self.tokens[t]
            edges += [FlowEdge(name, t, kind, (self.tokens[s],), (s,)) for s in sources]
            states[name] = (t,)
        return edges

    def declare(self, targets: list[int], states: States) -> list[FlowEdge]:
        """Names declared without a value: nodes with no parents, and the current definitions of their names."""
        edges = []
        for t in targets:
            name = self.tokens[t]
            edges.append(FlowEdge(name, t, "comesFrom", (), ()))
            states[name] = (t,)
        return edges


# ---- rules shared by both languages -------------------------------------------------------------------------


def _update(w: _Walker, node: tree_sitter.Node, states: States):
    """`x++`: every variable of the expression is computed from every variable of it."""
    names = w.variables(node)
    return _by_token(w.flows(names, names, "computedFrom", states)), states


def _branch(union_with_entry: bool):
    def handle(w: _Walker, node: tree_sitter.Node, states: States):
        edges: list[FlowEdge] = []
        current = dict(states)
        alternatives: list[States] = []
        in_alternative = False
        has_else = "else" in node.type
        for child in node.children:
            if "else" in child.type:
                has_else = True
            if child.type not in _BRANCH_TYPES and not in_alternative:
                found, current = w.visit(child, current)
            else:  # `else` and what follows start again from the state before the `if`
                in_alternative = True
                found, after = w.visit(child, states)
                alternatives.append(after)
            edges += found
        alternatives.append(current)
        if not has_else:
            alternatives.append(states)
        if union_with_entry:
            alternatives.append(states)
        merged: dict[str, set[int]] = {}
        for state in alternatives:
            for name, where in state.items():
                merged.setdefault(name, set()).update(where)
        return _by_token(edges), {name: tuple(sorted(where)) for name, where in merged.items()}

    return handle


_BRANCH_TYPES = frozenset({"if_statement", "else"})


def _while(w: _Walker, node: tree_sitter.Node, states: States):
    edges: list[FlowEdge] = []
    for _ in range(2):
        found, states = w.sequence(node.children, states)
        edges += found
    return _merge_loop(edges), states


def _for(declaration_type: str):
    """All parts once; then, after the loop variable's declaration, the rest again (the loop's back edge)."""

    def handle(w: _Walker, node: tree_sitter.Node, states: States):
        edges, states = w.sequence(node.children, states)
        seen_declaration = False
        for child in node.children:
            if seen_declaration:
                found, states = w.visit(child, states)
                edges += found
            elif child.type == declaration_type:
                seen_declaration = True
        return _merge_loop(edges), states

    return handle


# ---- Java (GraphCodeBERT's rules) ---------------------------------------------------------------------------


def _java_leaf(w: _Walker, node: tree_sitter.Node, states: States):
    i, text = w.token_of(node)
    if node.type == text:  # keyword or punctuation
        return [], states
    if text in states:
        return [FlowEdge(text, i, "comesFrom", (text,), states[text])], states
    if node.type == "identifier":
        states[text] = (i,)
    return [FlowEdge(text, i, "comesFrom", (), ())], states


def _java_declarator(w: _Walker, node: tree_sitter.Node, states: States):
    name, value = node.child_by_field_name("name"), node.child_by_field_name("value")
    if value is None:
        return _by_token(w.declare(w.variables(name), states)), states
    edges, states = w.visit(value, states)
    edges += w.flows(w.variables(name), w.variables(value), "comesFrom", states)
    return _by_token(edges), states


def _java_assignment(w: _Walker, node: tree_sitter.Node, states: States):
    left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
    edges, states = w.visit(right, states)
    edges += w.flows(w.variables(left), w.variables(right), "computedFrom", states)
    return _by_token(edges), states


def _java_foreach(w: _Walker, node: tree_sitter.Node, states: States):
    name, value = node.child_by_field_name("name"), node.child_by_field_name("value")
    body = node.child_by_field_name("body")
    edges: list[FlowEdge] = []
    for _ in range(2):
        found, states = w.visit(value, states)
        edges += found
        edges += w.flows(w.variables(name), w.variables(value), "computedFrom", states)
        found, states = w.visit(body, states)
        edges += found
    return _merge_loop(edges), states


# ---- C (Compressor's rules) ----------------------------------------------------------------------------------


def _c_leaf(w: _Walker, node: tree_sitter.Node, states: States):
    i, text = w.token_of(node)
    parent = node.parent
    if node.type == text or (parent is not None and parent.type == "function_declarator"):
        return [], states
    if text in states:
        return [FlowEdge(text, i, "comesFrom", (text,), states[text])], states
    if node.type == "identifier" and parent is not None and parent.type == "declaration":
        states[text] = (i,)
        return [FlowEdge(text, i, "comesFrom", (), ())], states
    return [], states


def _c_declarator(w: _Walker, node: tree_sitter.Node, states: States):
    """A pointer or array declarator declares the names in it (an initialiser sits outside, in init_declarator)."""
    if node.parent is not None and node.parent.type == "function_definition":
        while node.type == "pointer_declarator":
            inner = node.child_by_field_name("declarator")
            if inner is None or inner.type != "pointer_declarator":
                break
            node = inner
        return w.sequence(node.children, states)
    name, value = node.child_by_field_name("declarator"), node.child_by_field_name("value")
    if value is None:
        return _by_token(w.declare(w.variables(name), states)), states
    edges, states = w.visit(value, states)
    edges += w.flows(w.variables(name), w.variables(value), "comesFrom", states)
    return _by_token(edges), states


def _c_parameter(w: _Walker, node: tree_sitter.Node, states: States):
    declarator = node.child_by_field_name("declarator")
    while declarator is not None and declarator.type != "identifier":
        if declarator.type == "parenthesized_declarator":
            declarator = declarator.children[1] if declarator.child_count > 1 else None
        else:
            declarator = declarator.child_by_field_name("declarator")
    if declarator is None:
        return [], states
    i, text = w.token_of(declarator)
    states[text] = (i,)
    return [FlowEdge(text, i, "comesFrom", (), ())], states


def _c_skip(w: _Walker, node: tree_sitter.Node, states: States):
    """Compressor's C extractor leaves assignments out entirely (their subtree adds no node)."""
    return [], states


_RULES: dict[str, _Rules] = {
    "java": _Rules(
        leaf=_java_leaf,
        handlers={
            "assignment_expression": _java_assignment,
            "variable_declarator": _java_declarator,
            "update_expression": _update,
            "if_statement": _branch(union_with_entry=False),
            "else": _branch(union_with_entry=False),
            "for_statement": _for("local_variable_declaration"),
            "enhanced_for_statement": _java_foreach,
            "while_statement": _while,
        },
    ),
    "c-compressor": _Rules(
        leaf=_c_leaf,
        handlers={
            "assignment_expression": _c_skip,
            "pointer_declarator": _c_declarator,
            "array_declarator": _c_declarator,
            "update_expression": _update,
            "if_statement": _branch(union_with_entry=True),
            "else": _branch(union_with_entry=True),
            "for_statement": _for("variable_declaration"),
            "while_statement": _while,
            "parameter_declaration": _c_parameter,
        },
    ),
}
DATAFLOW_RULES = tuple(_RULES)
