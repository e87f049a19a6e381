"""Statements placed in new surroundings: wrapping a run of statements in a block (wrap-block), and inserting
a statement that never runs or has no effect (insert-dead-code).

A run is wrapped only when no name it declares is used after it (C: nor possibly read by a macro used after
it; a name a macro pastes together, `int GLUE(my, value)`, counts as any name), and nothing is wrapped or
inserted before a statement that must stay where it is (Java `this(...)` / `super(...)`, C labels and case
labels, a Python docstring) or in a C switch body or a block with preprocessor lines. In C code written in C89 order no statement is inserted before a declaration.
"""

from __future__ import annotations

import random

import tree_sitter

from metacompress_core.code.parsing import Code
from metacompress_core.transforms.analysis.c_dialect import declarations_after, keeps_c89_order
from metacompress_core.transforms.analysis.declarations import identifier_texts, top_level_declared
from metacompress_core.transforms.analysis.macro_uses import (
    UNRESOLVED_AFTER,
    Use,
    declined,
    env_of,
    looks_like_macro,
    statement_use,
    words_read,
)
from metacompress_core.transforms.analysis.statements import block_statements, blocks, has_preprocessor
from metacompress_core.transforms.analysis.text import (
    fresh_name,
    indent_of,
    indent_unit,
    line_end,
    line_number,
    line_start,
    line_starts,
    newline,
    starts_line,
)
from metacompress_core.transforms.base import Declined, Rewrite, Site, Splice

_COMMENTS = {"comment", "line_comment", "block_comment"}
UNKNOWN = "\0unknown"  # among the names used after a statement: an unresolved macro may read any name


def _text(code: Code, start: int, end: int) -> str:
    return code.src[start:end].decode("utf-8", errors="surrogateescape")


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


def _declarator_uses(code: Code, stmt: tree_sitter.Node) -> list[Use]:
    """C: the macros a statement invokes where a name is declared: the statement itself (`DECL_BUF(4);`) or
    a declarator's name (`int GLUE(my, value) = n;`, which tree-sitter reads as a function declarator)."""
    use = statement_use(code, stmt)
    if use is not None:
        return [use]
    if stmt.type != "declaration":
        return []
    env = env_of(code)
    out = []
    for i, child in enumerate(stmt.children):
        node = child if stmt.field_name_for_child(i) == "declarator" else None
        while node is not None and node.type != "identifier":  # down to the declared name
            inner = node.child_by_field_name("declarator")
            if node.type == "function_declarator" and inner is not None and inner.type == "identifier":
                break
            node = inner
        if node is None:
            continue
        name = code.node_text(node.child_by_field_name("declarator") if node.type != "identifier" else node)
        if name in env.macros or looks_like_macro(env, name):
            out.append(Use(node, name, env.macros.get(name)))
    return out


def _macro_declared(code: Code, stmt: tree_sitter.Node) -> set[str]:
    """C: names a statement may declare through a macro (its arguments' and body's names), with `UNKNOWN`
    when the macro pastes or stringizes tokens: `GLUE(my, value)` declares `myvalue`, a name in neither."""
    env = env_of(code)
    names: set[str] = set()
    for use in _declarator_uses(code, stmt):
        names |= identifier_texts(code, [use.node]) | set(env.expansion_words(use.name))
        if use.macro is not None and use.macro.textual:
            names.add(UNKNOWN)
    return names


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
                if declared & uses_after[j] or (UNKNOWN in declared and uses_after[j]):
                    continue  # a name declared in the run (or one pasted together there) is used after it
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


TRANSFORMS = (WrapBlock(), InsertDeadCode())
