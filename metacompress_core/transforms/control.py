"""Control-flow restructuring that keeps behaviour: swapping if/else branches, a switch as an if chain,
wrapping statements in a block, and inserting code that never runs."""

from __future__ import annotations

import random

import tree_sitter

from metacompress_core.code.parsing import Code
from metacompress_core.transforms.base import Declined, Rewrite, Site, Splice, splice
from metacompress_core.transforms.c_dialect import declarations_after, keeps_c89_order
from metacompress_core.transforms.declarations import identifier_texts, top_level_declared
from metacompress_core.transforms.layout import line_end, line_number, line_starts
from metacompress_core.transforms.macro_uses import (
    STATEMENT_MACRO_BRANCH,
    UNRESOLVED_AFTER,
    UNRESOLVED_BRANCH,
    declined,
    env_of,
    statement_kind,
    statement_use,
    words_read,
)
from metacompress_core.transforms.statements import block_statements, blocks, has_preprocessor
from metacompress_core.transforms.switch_cases import label_text, plan_switch
from metacompress_core.transforms.text import (
    fresh_name,
    indent_of,
    indent_unit,
    line_start,
    newline,
    starts_line,
)

_COMMENTS = {"comment", "line_comment", "block_comment"}
UNKNOWN = "\0unknown"  # among the names used after a statement: an unresolved macro may read any name
_BRACED = {"block", "compound_statement"}
# Python expressions that bind at least as tightly as `not`'s operand needs: `not <these>` needs no parentheses.
_PYTHON_TIGHT = {
    "identifier",
    "call",
    "attribute",
    "subscript",
    "parenthesized_expression",
    "comparison_operator",
    "true",
    "false",
    "none",
    "integer",
    "string",
    "list",
    "tuple",
    "dictionary",
    "set",
}


def _text(code: Code, start: int, end: int) -> str:
    return code.src[start:end].decode("utf-8", errors="surrogateescape")


# ---------------------------------------------------------------------------------------------- swap-if-else


def _negated(code: Code, condition: tree_sitter.Node) -> str:
    """The condition's logical negation, in the form the `if` needs (parenthesized in Java/C)."""
    if code.language.name == "python":
        if condition.type == "not_operator":
            return code.node_text(condition.child_by_field_name("argument"))
        inner = code.node_text(condition)
        return f"not {inner}" if condition.type in _PYTHON_TIGHT else f"not ({inner})"
    inner_nodes = [c for c in condition.named_children if c.type not in _COMMENTS]
    if len(inner_nodes) != 1:
        return f"(!{code.node_text(condition)})"
    inner = inner_nodes[0]
    operator = inner.child_by_field_name("operator") if inner.type == "unary_expression" else None
    if operator is not None and code.node_text(operator) == "!":
        operand = inner.child_by_field_name("operand") or inner.child_by_field_name("argument")
        text = code.node_text(operand)
        return text if operand.type == "parenthesized_expression" else f"({text})"
    return f"(!({code.node_text(inner)}))"


def _ends_with_open_if(stmt: tree_sitter.Node) -> bool:
    """True when an `else` written after `stmt` would attach to an if inside it (the dangling else)."""
    while True:
        if stmt.type == "if_statement":
            alternative = stmt.child_by_field_name("alternative")
            if alternative is None:
                return True
            stmt = alternative.named_children[-1] if alternative.type == "else_clause" else alternative
        elif stmt.type in ("for_statement", "while_statement", "enhanced_for_statement", "labeled_statement"):
            stmt = stmt.child_by_field_name("body") or stmt.named_children[-1]
        else:
            return False


class SwapIfElse:
    name = "swap-if-else"
    languages = frozenset({"java", "c", "python"})
    description = "negate an if's condition and swap its then and else branches"

    def sites(self, code: Code) -> list[Site]:
        return [
            Site(n)
            for n in code.walk()
            if n.type in ("if_statement", "elif_clause") and self._branches(code, n) is not None
        ]

    def _branches(
        self, code: Code, node: tree_sitter.Node
    ) -> tuple[tree_sitter.Node, tree_sitter.Node] | Declined | None:
        """The (then, else) branches to swap at an if (or, in Python, at the last elif before an else)."""
        if node.has_error:
            return None
        owner = node.parent if node.type == "elif_clause" else node
        consequence = node.child_by_field_name("consequence")
        alternatives = [
            c for i, c in enumerate(owner.children) if owner.field_name_for_child(i) == "alternative"
        ]
        if node.type == "elif_clause":
            # the last elif and the else form an if/else of their own: `elif c: A else: B`
            if len(alternatives) < 2 or alternatives[-2] != node:
                return None
            alternatives = alternatives[-1:]
        if consequence is None or len(alternatives) != 1:
            return None
        alternative = alternatives[0]
        if code.language.name == "python":
            if alternative.type != "else_clause":
                return None  # an elif chain: its last elif is the site
            other = alternative.child_by_field_name("body")
            if other is None or starts_line(code, consequence) != starts_line(code, other):
                return None
            if starts_line(code, consequence) and indent_of(code, consequence) != indent_of(code, other):
                return None
            return consequence, other
        if alternative.type == "else_clause":
            alternative = alternative.named_children[-1] if alternative.named_children else None
        if alternative is None or alternative.type == "if_statement" or _ends_with_open_if(alternative):
            return None  # else-if chains; an else that would capture the moved branch's inner if
        if code.language.name == "c" and (reason := _macro_branch(code, consequence, alternative)):
            return declined(reason)
        same_shape = (consequence.type in _BRACED) == (alternative.type in _BRACED)
        inline = not starts_line(code, consequence) and not starts_line(code, alternative)
        if not (same_shape or inline):
            return None
        return consequence, alternative

    def rewrite(self, code: Code, site: Site, rng: random.Random) -> Rewrite | None:
        branches = self._branches(code, site.node)
        condition = site.node.child_by_field_name("condition")
        if isinstance(branches, Declined):
            return branches
        if branches is None or condition is None:
            return None
        then, other = branches
        c_start, c_end = code.span(condition)
        t_start, t_end = code.span(then)
        o_start, o_end = code.span(other)
        splices = (
            Splice(c_start, c_end, _negated(code, condition)),
            Splice(t_start, t_end, _glued(code, t_start, _text(code, o_start, o_end))),
            Splice(o_start, o_end, _glued(code, o_start, _text(code, t_start, t_end))),
        )
        keyword = "elif" if site.node.type == "elif_clause" else "if"
        return Rewrite(splices, f"swapping {keyword}/else branches at line {line_number(code, site.node)}")


def _macro_branch(code: Code, then: tree_sitter.Node, other: tree_sitter.Node) -> str | None:
    """Why swapping these C branches may change how the preprocessed code parses: the else branch moves
    before an `else`, where a macro that brings its own `;` or braces ends the if (`M(2);` -> `f(2);;`), and
    the then branch moves after one, where a macro that expands to an open `if` would take it over."""
    env = env_of(code)
    for branch, moving_before_else in ((other, True), (then, False)):
        if branch.type in _BRACED:
            continue
        kind = statement_kind(code, branch, env)
        if kind == "unresolved":
            return UNRESOLVED_BRANCH
        if kind == "statement" and (moving_before_else or _open_if_macro(code, branch, env)):
            return STATEMENT_MACRO_BRANCH
    return None


def _open_if_macro(code: Code, stmt: tree_sitter.Node, env) -> bool:
    use = statement_use(code, stmt, env)
    return use is not None and "if" in env.expansion_words(use.name)


def _glued(code: Code, at: int, text: str) -> str:
    """`text` to put at byte `at`, with a space in front where it would otherwise fuse with the word before
    it (`else{...}` swapped with a plain statement must not become `elsex = 1;`)."""
    before = _text(code, at - 1, at) if at > 0 else ""
    if (before.isalnum() or before == "_") and (text[:1].isalnum() or text[:1] == "_"):
        return " " + text
    return text


# ---------------------------------------------------------------------------------------------- switch-to-if


def _body_text(
    code: Code, stmts: tuple[tree_sitter.Node, ...], drop: tuple[tree_sitter.Node, ...], ind: str
) -> str:
    """The statements' text, re-indented to sit one level inside an `if` at indentation `ind`, without the
    `drop`ped breaks (each the last statement of a trailing block)."""
    if not stmts:
        return ""
    nl, new = newline(code), ind + indent_unit(code)
    start, end = code.span(stmts[0])[0], code.span(stmts[-1])[1]
    anchor = next((s for s in stmts if starts_line(code, s)), None)
    old = indent_of(code, anchor).encode() if anchor is not None else None
    cuts = [
        Splice(p, p + len(old), new)
        for p in line_starts(code, start, end)
        if old is not None and code.src.startswith(old, p)
    ]
    for jump in drop:
        j_start, j_end = code.span(jump)
        if starts_line(code, jump) and not code.src[j_end : line_end(code, j_end)].strip():
            ls = line_start(code, j_start)
            after = code.src.find(b"\n", j_end)
            cuts = [c for c in cuts if c.start != ls]
            cuts.append(Splice(ls, after + 1 if after >= 0 else j_end, ""))
        else:
            while j_start > start and code.src[j_start - 1 : j_start] in (b" ", b"\t"):
                j_start -= 1
            cuts.append(Splice(j_start, j_end, ""))
    relative = [Splice(c.start - start, c.end - start, c.text) for c in cuts]
    return f"{new}{splice(code.src[start:end], relative).decode('utf-8', errors='surrogateescape')}{nl}"


class SwitchToIf:
    name = "switch-to-if"
    languages = frozenset({"java", "c"})
    description = "rewrite a switch whose cases never fall through as an if/else-if chain"

    _TYPES = {"java": "switch_expression", "c": "switch_statement"}

    def sites(self, code: Code) -> list[Site]:
        kind = self._TYPES[code.language.name]
        return [Site(n, plan) for n in code.walk() if n.type == kind and (plan := plan_switch(code, n))]

    def rewrite(self, code: Code, site: Site, rng: random.Random) -> Rewrite | None:
        plan = site.data or plan_switch(code, site.node)
        if plan is None:
            return None
        nl, ind = newline(code), indent_of(code, site.node)
        cases = [g for g in plan.groups if not g.is_default]
        default = next((g for g in plan.groups if g.is_default), None)
        parts = []
        for i, group in enumerate(cases):
            test = " || ".join(f"{plan.subject} == {label_text(code, label)}" for label in group.labels)
            head = "if" if i == 0 else "} else if"
            parts.append(f"{head} ({test}) {{{nl}{_body_text(code, group.statements, group.drop, ind)}{ind}")
        if default is not None and (default.statements or not cases):
            parts.append(f"}} else {{{nl}{_body_text(code, default.statements, default.drop, ind)}{ind}")
        text = "".join(parts) + "}"
        start, end = code.span(site.node)
        return Rewrite((Splice(start, end, text),), f"switch -> if at line {line_number(code, site.node)}")


# ------------------------------------------------------------------------------------------------ wrap-block


def _statement_blocks(code: Code) -> list[tree_sitter.Node]:
    """Statement lists where statements may be wrapped or inserted: blocks and Java constructor bodies, but
    not a C switch body (its members are case labels) nor a C block with preprocessor lines (which may
    straddle any run)."""
    out = []
    extra = [n for n in code.walk() if n.type == "constructor_body"] if code.language.name == "java" else []
    for block in blocks(code) + extra:
        if code.language.name == "c" and (
            (block.parent is not None and block.parent.type == "switch_statement") or has_preprocessor(block)
        ):
            continue
        out.append(block)
    return out


def _is_docstring(code: Code, stmt: tree_sitter.Node) -> bool:
    """Python: the first statement of a function or class body that is a string literal is its docstring."""
    block = stmt.parent
    if code.language.name != "python" or block is None or block.parent is None:
        return False
    if block.parent.type not in ("function_definition", "class_definition"):
        return False
    first = block_statements(code, block)
    if not first or first[0] != stmt or stmt.type != "expression_statement":
        return False
    return stmt.named_children[0].type in ("string", "concatenated_string")


def _movable(code: Code, stmt: tree_sitter.Node) -> bool:
    """A statement that may be put inside a new block or have code inserted before it."""
    if stmt.type == "explicit_constructor_invocation":
        return False  # Java: this(...)/super(...) must stay the constructor's first statement
    if code.language.name == "c" and stmt.type in ("labeled_statement", "case_statement"):
        return False
    return not _is_docstring(code, stmt)


def _indent_chars(code: Code, stmt: tree_sitter.Node) -> set[int]:
    """The characters (space, tab) that indent the lines of `stmt`."""
    start, end = code.span(stmt)
    chars: set[int] = set()
    for p in [line_start(code, start), *line_starts(code, start, end)]:
        line = code.src[p : line_end(code, p)]
        chars |= set(line[: len(line) - len(line.lstrip(b" \t"))])
    return chars


def _python_indent_step(code: Code, chars: set[int]) -> str | None:
    """The indentation to add to Python lines indented with `chars`; None when they mix tabs and spaces."""
    if len(chars) > 1:
        return None
    if chars == {ord("\t")}:
        return "\t"
    unit = indent_unit(code)
    return unit if "\t" not in unit else "    "


def _uses_after(code: Code, stmts: list[tree_sitter.Node]) -> list[set[str]]:
    """For each statement, the identifiers used by the statements after it (C: with the names the macros
    they use may read; `UNKNOWN` among them when one of those macros is unresolved)."""
    out: list[set[str]] = [set() for _ in stmts]
    used: set[str] = set()
    env = env_of(code)
    for j in range(len(stmts) - 1, -1, -1):
        out[j] = used
        used = used | identifier_texts(code, [stmts[j]])
        if code.language.name == "c":
            words, unresolved = words_read(code, stmts[j], env)
            used = used | words | ({UNKNOWN} if unresolved else set())
    return out


def _macro_declared(code: Code, stmt: tree_sitter.Node) -> set[str]:
    """C: names a statement that is a macro invocation may declare (its arguments' and body's names)."""
    use = statement_use(code, stmt)
    if use is None:
        return set()
    names = identifier_texts(code, [use.node])
    return names | set(env_of(code).expansion_words(use.name))


def _shift_splices(code: Code, start: int, end: int, add: str) -> list[Splice]:
    """Insert `add` at the start of the line holding `start` and of every later non-blank line up to `end`."""
    out = [Splice(line_start(code, start), line_start(code, start), add)]
    for p in line_starts(code, start, end):
        eol = code.src.find(b"\n", p)
        if code.src[p : eol if eol >= 0 else end].strip():
            out.append(Splice(p, p, add))
    return out


class WrapBlock:
    name = "wrap-block"
    languages = frozenset({"java", "c", "python"})
    description = "wrap a run of statements in a block ({ ... } in Java/C, if True: in Python)"

    def sites(self, code: Code) -> list[Site]:
        sites = []
        for block in _statement_blocks(code):
            stmts = block_statements(code, block)
            uses_after = _uses_after(code, stmts) if code.language.name != "python" else []
            for i, stmt in enumerate(stmts):
                why: list[str] = []
                if self._runs(code, stmts, i, uses_after, first_only=True, declines=why):
                    sites.append(Site(stmt, (block, i)))
                elif why:
                    sites.append(Site(stmt, declined(why[0])))
        return sites

    def _runs(
        self,
        code: Code,
        stmts: list[tree_sitter.Node],
        i: int,
        uses_after: list[set[str]],
        first_only: bool = False,
        declines: list[str] | None = None,
    ) -> list[int]:
        """The lengths of the runs starting at stmts[i] that can be wrapped (only the shortest one when
        `first_only`). `uses_after[j]`: the names used after stmts[j] (Java/C)."""
        python = code.language.name == "python"
        if python and not starts_line(code, stmts[i]):
            return []
        out: list[int] = []
        declared: set[str] = set()
        chars: set[int] = set()
        unresolved_after = False
        for j in range(i, len(stmts)):
            if not _movable(code, stmts[j]):
                break
            if python:
                chars |= _indent_chars(code, stmts[j])
                if _python_indent_step(code, chars) is None:
                    break
                after = _text(code, code.span(stmts[j])[1], line_end(code, code.span(stmts[j])[1])).strip()
                if after and not after.startswith("#"):
                    continue  # another statement follows on this line
            else:
                declared |= top_level_declared(code, stmts[j])
                if code.language.name == "c":
                    declared |= _macro_declared(code, stmts[j])
                if declared & uses_after[j]:
                    continue  # a name declared in the run is used after it
                if declared and UNKNOWN in uses_after[j]:
                    unresolved_after = True
                    continue  # an unresolved macro after the run may read a name declared in it
            out.append(j - i + 1)
            if first_only:
                break
        if not out and unresolved_after and declines is not None:
            declines.append(UNRESOLVED_AFTER)
        return out

    def rewrite(self, code: Code, site: Site, rng: random.Random) -> Rewrite | None:
        if isinstance(site.data, Declined):
            return site.data
        block, i = site.data
        stmts = block_statements(code, block)
        runs = self._runs(code, stmts, i, _uses_after(code, stmts) if code.language.name != "python" else [])
        if not runs:
            return None
        length = rng.choice(runs)
        first, last = stmts[i], stmts[i + length - 1]
        start, end = code.span(first)[0], code.span(last)[1]
        nl, ind = newline(code), indent_of(code, first)
        where = f"line {line_number(code, first)}" + (f"-{line_number(code, last)}" if length > 1 else "")
        detail = f"wrapping {length} statement{'s' if length > 1 else ''} in a block at {where}"
        if code.language.name == "python":
            step = _python_indent_step(
                code, set().union(*(_indent_chars(code, s) for s in stmts[i : i + length]))
            )
            if step is None:
                return None
            stop = line_end(code, end)
            head = Splice(line_start(code, start), line_start(code, start), f"{ind}if True:{nl}")
            return Rewrite((head, *_shift_splices(code, start, stop, step)), detail)
        rest = _text(code, end, line_end(code, end)).strip()
        if starts_line(code, first) and (not rest or (rest.startswith("//") and self._comment_at(code, end))):
            stop = line_end(code, end)
            unit = indent_unit(code)
            head = Splice(line_start(code, start), line_start(code, start), f"{ind}{{{nl}")
            tail = Splice(stop, stop, f"{nl}{ind}}}")
            return Rewrite((head, *_shift_splices(code, start, stop, unit), tail), detail)
        return Rewrite((Splice(start, start, "{ "), Splice(end, end, " }")), detail)

    @staticmethod
    def _comment_at(code: Code, pos: int) -> bool:
        """True when the first token after `pos` on its line is a // comment running to the line's end."""
        stop = line_end(code, pos)
        return any(
            n.type in _COMMENTS and code.span(n)[1] == stop and pos <= code.span(n)[0] for n in code.walk()
        )


# ------------------------------------------------------------------------------------------ insert-dead-code

# Statements that never run (or declare a fresh, unused local). `{n}` is a fresh name, `{nl}`/`{i}`/`{u}`
# the newline, the indentation and its step.
_DEAD_CODE = {
    "java": (
        "if (false) {{{nl}{i}{u}int {n} = 0;{nl}{i}}}",
        "if (false) {{{nl}{i}{u}int {n} = 1;{nl}{i}{u}{n}++;{nl}{i}}}",
        "int {n} = 0;",
    ),
    "c": (
        "if (0) {{{nl}{i}{u}int {n} = 0;{nl}{i}}}",
        "while (0) {{{nl}{i}{u}int {n} = 1;{nl}{i}{u}{n}++;{nl}{i}}}",
        "if (0) {{{nl}{i}}}",
    ),
    "python": (
        "if False:{nl}{i}{u}{n} = 0",
        "while False:{nl}{i}{u}{n} = 1",
        "if False:{nl}{i}{u}pass",
    ),
}


class InsertDeadCode:
    name = "insert-dead-code"
    languages = frozenset({"java", "c", "python"})
    description = "insert a statement that never runs or has no effect (if (false) { ... }, an unused local)"

    def sites(self, code: Code) -> list[Site]:
        c89 = keeps_c89_order(code)
        return [
            Site(s)
            for block in _statement_blocks(code)
            for s in block_statements(code, block)
            if starts_line(code, s)
            and _movable(code, s)
            and not (c89 and (s.type == "declaration" or declarations_after(s)))
        ]

    def rewrite(self, code: Code, site: Site, rng: random.Random) -> Rewrite | None:
        language = code.language.name
        template = rng.choice(_DEAD_CODE[language])
        ind = indent_of(code, site.node)
        unit = indent_unit(code)
        if language == "python":
            unit = _python_indent_step(code, _indent_chars(code, site.node)) or "    "
        text = template.format(n=fresh_name(code, rng), nl=newline(code), i=ind, u=unit)
        at = line_start(code, code.span(site.node)[0])
        return Rewrite(
            (Splice(at, at, f"{ind}{text}{newline(code)}"),),
            f"inserting dead code before line {line_number(code, site.node)}",
        )


TRANSFORMS = (SwapIfElse(), SwitchToIf(), WrapBlock(), InsertDeadCode())
