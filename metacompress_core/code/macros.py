"""The C preprocessor's view of a unit: the macros visible to it, from its file and the headers it includes.

A transform that renames, moves or re-nests C code must know what the preprocessor will do to it: a macro
body may read a local by name (`#define use() f(cond)`), and a function-like macro used as a statement may
bring its own `;` or braces (`#define M(x) f(x);`). `MacroEnv` holds the `#define`s of the unit's file and of
the project headers it includes (`#include "x.h"` and `<x.h>`, looked up in the file's folder and then in the
include directories), transitively, plus the names the same text declares as functions. System headers that
are not found are listed as `missing`, not read: their macros are the standard library's (and `C_AVOID` in
rename.py keeps their common names out of reach).

Include directories: the file's own folder always; more from the `include_dirs` argument, or from the
`METACOMPRESS_C_INCLUDE_DIRS` environment variable (paths separated by os.pathsep) when none are given.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

_CONTINUATION = re.compile(r"\\\r?\n")
_COMMENT = re.compile(r"/\*.*?\*/|//[^\n]*", re.S)
_DEFINE = re.compile(r"^[ \t]*#[ \t]*define[ \t]+([A-Za-z_]\w*)(\([^)]*\))?(.*)$", re.M)
_UNDEF = re.compile(r"^[ \t]*#[ \t]*undef[ \t]+([A-Za-z_]\w*)", re.M)
_INCLUDE = re.compile(r'^[ \t]*#[ \t]*include[ \t]*(?:"([^"\n]+)"|<([^>\n]+)>)', re.M)
# A prototype or definition at the start of a line: `int *name(`, `static void name (`.
_FUNCTION = re.compile(r"^[A-Za-z_][\w \t\*]*?[\s\*]([A-Za-z_]\w*)[ \t]*\(", re.M)
_WORD = re.compile(r"[A-Za-z_]\w*")
_STATEMENT_WORDS = frozenset("if else for while do switch return break continue goto case default".split())
_JUMP_WORDS = frozenset("return break continue goto case default".split())
_DO_WHILE_0 = re.compile(r"do\s*\{.*\}\s*while\s*\(\s*0\s*\)", re.S)
ENV_VARIABLE = "METACOMPRESS_C_INCLUDE_DIRS"
MAX_HEADERS = 400  # headers read for one file at most (a project's whole include tree is far smaller)


@dataclass(frozen=True)
class Macro:
    name: str
    params: tuple[str, ...] | None  # None: an object-like macro
    body: str

    @property
    def words(self) -> frozenset[str]:
        """The identifiers of the body (parameters excluded): the names an expansion may refer to."""
        return frozenset(_WORD.findall(_strings_removed(self.body))) - frozenset(self.params or ())

    @property
    def as_statement(self) -> str:
        """What `NAME(args);` is once expanded: "expression" (an expression statement, safe anywhere a
        statement is), "do-while" (the do { } while (0) idiom: as safe), or "statement" (it brings its own
        `;`, braces or an if/loop: it must not end up before an `else` or lose the braces around it)."""
        body = _strings_removed(self.body).strip()
        if _DO_WHILE_0.fullmatch(body):
            return "do-while"
        if any(c in body for c in ";{}") or _STATEMENT_WORDS & set(_WORD.findall(body)):
            return "statement"
        return "expression"

    @property
    def textual(self) -> bool:
        """True when the body stringizes or pastes (`#x`, `a##b`): an argument's spelling matters."""
        return "#" in _strings_removed(self.body)

    @property
    def jumps(self) -> bool:
        """True when the expansion may jump (break, continue, return, goto) or label a case."""
        return bool(_JUMP_WORDS & set(_WORD.findall(_strings_removed(self.body))))

    @property
    def atomic(self) -> bool:
        """True when the expansion is one operand whatever surrounds it: a name, a number, a string, a call,
        or an expression in parentheses (so operators next to it keep their meaning)."""
        body = self.body.strip()
        if re.fullmatch(r"[A-Za-z_]\w*|[-+]?[0-9][\w.]*|'(?:\\.|[^'])*'|\"(?:\\.|[^\"])*\"", body):
            return True
        call = re.match(r"[A-Za-z_]\w*\s*(?=\()", body)
        return _wrapped(body) or (call is not None and _wrapped(body[call.end() :]))


@dataclass(frozen=True)
class MacroEnv:
    """The macros and functions a unit can see. `complete`: every project header named was found."""

    macros: dict[str, Macro] = field(default_factory=dict)
    functions: frozenset[str] = frozenset()
    missing: tuple[str, ...] = ()  # included headers that were not found (system headers, mostly)
    known: bool = False  # built from the unit's file (False: from the unit's own text alone)

    def expansion_words(self, name: str) -> frozenset[str]:
        """Every name the expansion of `name` may contain, through the macros it uses in turn."""
        seen: set[str] = set()
        todo = [name]
        words: set[str] = set()
        while todo:
            n = todo.pop()
            if n in seen or n not in self.macros:
                continue
            seen.add(n)
            w = self.macros[n].words
            words |= w
            todo.extend(w)
        return frozenset(words)

    def statement_kind(self, name: str) -> str:
        """`as_statement` of the macro, through macros whose body is one more macro's invocation."""
        seen = set()
        macro = self.macros.get(name)
        while macro is not None and macro.name not in seen:
            seen.add(macro.name)
            kind = macro.as_statement
            m = re.fullmatch(r"\s*([A-Za-z_]\w*)\s*\(.*\)\s*", _strings_removed(macro.body), re.S)
            if kind != "expression" or m is None or m.group(1) not in self.macros:
                return kind
            macro = self.macros[m.group(1)]
        return "expression"

    def jumps(self, name: str) -> bool:
        return name in self.macros and (
            self.macros[name].jumps
            or any(self.macros[w].jumps for w in self.expansion_words(name) if w in self.macros)
        )

    @property
    def body_words(self) -> frozenset[str]:
        """Every name any visible macro body mentions, and the macros' own names."""
        out: set[str] = set(self.macros)
        for m in self.macros.values():
            out |= m.words
        return frozenset(out)

    def merged(self, text: str) -> MacroEnv:
        """This environment plus the `#define`s written in `text` (a unit's own)."""
        own = parse_defines(text)
        if not own:
            return self
        return MacroEnv({**self.macros, **own}, self.functions, self.missing, self.known)


def _strings_removed(text: str) -> str:
    return re.sub(r"\"(?:\\.|[^\"\\])*\"|'(?:\\.|[^'\\])*'", '""', text)


def _wrapped(text: str) -> bool:
    """True when `text` is one parenthesized group: `( ... )` whose first `(` closes at the very end."""
    text = text.strip()
    if not text.startswith("("):
        return False
    depth = 0
    for i, c in enumerate(_strings_removed(text)):
        depth += c == "("
        depth -= c == ")"
        if depth == 0:
            return i == len(_strings_removed(text)) - 1
    return False


def _logical(text: str) -> str:
    return _COMMENT.sub(" ", _CONTINUATION.sub(" ", text))


def parse_defines(text: str) -> dict[str, Macro]:
    """The macros `text` defines (a later #define or #undef of a name wins, as for the preprocessor)."""
    logical = _logical(text)
    out: dict[str, Macro] = {}
    for m in _DEFINE.finditer(logical):
        params = None
        if m.group(2) is not None:
            params = tuple(p.strip() for p in m.group(2)[1:-1].split(",") if p.strip())
        out[m.group(1)] = Macro(m.group(1), params, m.group(3).strip())
    return out


def _includes(text: str) -> list[tuple[str, bool]]:
    """(header, quoted) for each #include of `text`."""
    return [(q or a, bool(q)) for q, a in _INCLUDE.findall(_logical(text))]


def _functions(text: str) -> set[str]:
    return set(_FUNCTION.findall(_logical(text))) - _STATEMENT_WORDS


def include_dirs_from_environment() -> tuple[str, ...]:
    raw = os.environ.get(ENV_VARIABLE, "")
    return tuple(p for p in raw.split(os.pathsep) if p)


def env_for_text(text: str, folder: Path | None, include_dirs: tuple[str, ...] = ()) -> MacroEnv:
    """The environment of a file's text: its macros and those of the headers it includes (found in
    `folder`, then in `include_dirs`), transitively."""
    macros: dict[str, Macro] = {}
    functions: set[str] = set()
    missing: list[str] = []
    seen: set[Path] = set()

    def visit(text: str, here: Path | None) -> None:
        for header, quoted in _includes(text):
            found = _find(header, here if quoted else None, include_dirs, folder)
            if found is None:
                missing.append(header)
                continue
            if found in seen or len(seen) >= MAX_HEADERS:
                continue
            seen.add(found)
            try:
                sub = found.read_text(encoding="utf-8", errors="replace")
            except OSError:
                missing.append(header)
                continue
            visit(sub, found.parent)
            macros.update(parse_defines(sub))
            functions.update(_functions(sub))

    visit(text, folder)
    macros.update(parse_defines(text))
    functions.update(_functions(text))
    for name in _UNDEF.findall(_logical(text)):
        macros.setdefault(name, Macro(name, None, name))  # undefined somewhere: still a macro name
    return MacroEnv(macros, frozenset(functions), tuple(dict.fromkeys(missing)), True)


def _find(header: str, here: Path | None, include_dirs: tuple[str, ...], folder: Path | None) -> Path | None:
    candidates = [here] if here is not None else []
    candidates += [Path(d) for d in include_dirs]
    if folder is not None:
        candidates.append(folder)
    for d in candidates:
        p = d / header
        if p.is_file():
            return p.resolve()
    return None


@lru_cache(maxsize=256)
def _env_for_file(path: str, mtime: float, size: int, include_dirs: tuple[str, ...]) -> MacroEnv:
    p = Path(path)
    text = p.read_text(encoding="utf-8", errors="replace")
    return env_for_text(text, p.parent, include_dirs)


def env_for_file(path: str | Path, include_dirs: tuple[str, ...] | None = None) -> MacroEnv | None:
    """The environment of the C file at `path` (None when it is not a readable file). Cached while the
    file is unchanged; headers are read once per file version."""
    p = Path(path)
    try:
        st = p.stat()
    except OSError:
        return None
    if not p.is_file() or p.suffix.lower() not in (".c", ".h"):
        return None
    dirs = include_dirs if include_dirs is not None else include_dirs_from_environment()
    try:
        return _env_for_file(str(p.resolve()), st.st_mtime, st.st_size, tuple(dirs))
    except OSError:
        return None
