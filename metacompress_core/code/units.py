"""Units: the functions and methods of a file, with exact spans, qualified names and stable ids."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import tree_sitter

from metacompress_core.code.languages import Language, detect_language, language_by_name
from metacompress_core.code.parsing import Code, parse
from metacompress_core.code.recovery import error_regions, recovered_pieces
from metacompress_core.errors import MetaCompressError

MAX_FILE_BYTES = 8 * 1024 * 1024

# Node types that define a unit, and the node types whose names make up a qualified name.
_UNIT_TYPES = {
    "java": {"method_declaration", "constructor_declaration", "compact_constructor_declaration"},
    "c": {"function_definition"},
    "python": {"function_definition"},
}
_SCOPE_TYPES = {
    "java": {
        "class_declaration",
        "interface_declaration",
        "enum_declaration",
        "record_declaration",
        "annotation_type_declaration",
    },
    "c": set(),
    "python": {"class_definition"},
}


@dataclass(frozen=True)
class Unit:
    """One function or method: its standalone code and where it sits in its file.

    `source` runs from the start of the definition's line when only whitespace precedes it there (so an
    indented method keeps its indentation and can be spliced back verbatim), to the end of the definition.
    Positions are tree-sitter points: (0-based line, byte column).
    """

    language: str
    path: str
    qualname: str
    source: str
    start_byte: int
    end_byte: int
    start: tuple[int, int]
    end: tuple[int, int]
    name_start: tuple[int, int]  # the span of the unit's name: where the editor puts a diagnostic
    name_end: tuple[int, int]
    id: str  # unique in a run: path, qualified name and content
    key: str  # what identifies the unit's code wherever it lies: qualified name and content (seeds variants)

    @property
    def name(self) -> str:
        return self.qualname.rsplit(".", 1)[-1]

    def parse(self) -> Code:
        return parse(self.source, self.language, unit=True, first_line=self.start[0])


def read_source(path: str | Path) -> str:
    """A source file's text, or a MetaCompressError that says why it cannot be used."""
    p = Path(path)
    try:
        if p.is_dir():
            raise MetaCompressError(f"{p} is a directory: pass a source file (.java, .c, .py)")
        size = p.stat().st_size
        if size > MAX_FILE_BYTES:
            raise MetaCompressError(
                f"{p} is {size / 1e6:.1f} MB, over the {MAX_FILE_BYTES // 2**20} MiB limit: split it or check its functions one by one"
            )
        data = p.read_bytes()
    except OSError as e:
        raise MetaCompressError(f"cannot read {p}: {e.strerror or e}") from None
    return decode_source(data, str(p))


def decode_source(data: bytes, where: str = "<input>") -> str:
    if b"\x00" in data[:8192]:
        raise MetaCompressError(f"{where} looks like a binary file (it holds NUL bytes): pass a source file")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise MetaCompressError(
            f"{where} is not valid UTF-8 (bad byte at offset {e.start}): re-encode it as UTF-8"
        ) from None


def extract_units(source: str, language: Language | str | None = None, path: str = "<memory>") -> list[Unit]:
    """Every function/method of `source` (nested ones included), in document order.

    A definition whose own code does not parse cleanly is left out, so a file with syntax errors still
    yields the units that are intact.
    """
    lang = _resolve(language, path)
    code = parse(source, lang)
    found = [(code, node, qualname) for node, qualname in _definitions(code, lang.name)]
    if lang.name == "c" and code.has_errors():
        # C: the functions a broken one swallowed are found again by parsing its region piece by piece
        broken = error_regions(code)
        found = [f for f in found if not any(a <= f[1].start_byte < b for a, b in broken)]
        found += [
            (piece, node, name) for piece in recovered_pieces(code) for node, name in _definitions(piece, "c")
        ]
        found.sort(key=lambda f: f[1].start_byte)
    units: list[Unit] = []
    seen: dict[str, int] = {}
    for where, node, qualname in found:
        unit = _make_unit(where, node, qualname, lang.name, path, seen)
        if unit is not None:
            units.append(unit)
    return units


def whole_unit(source: str, language: str, path: str = "<input>") -> Unit:
    """All of `source` as one unit: a function given on its own, as a dataset or a search gives it (its
    transforms then see exactly that text, with nothing cut off around it)."""
    end = source.encode("utf-8", errors="surrogateescape")
    lines = source.split("\n")
    last = (len(lines) - 1, len(lines[-1].encode("utf-8", errors="surrogateescape")))
    key = f"<input>::{hashlib.sha256(end).hexdigest()[:12]}"
    return Unit(
        language, path, "<input>", source, 0, len(end), (0, 0), last, (0, 0), (0, 0), f"{path}::{key}", key
    )


def unparsed_lines(source: str, language: Language | str, units: list[Unit]) -> list[tuple[int, int]]:
    """The 1-based line ranges of `source` that do not parse and that no unit covers: the code a check leaves
    out (a broken function, a stray brace). Each error counts with the function around it, if any."""
    lang = _resolve(language, "<memory>")
    code = parse(source, lang)
    if not code.has_errors():
        return []
    lines: set[int] = set()
    stack = [code.root]
    while stack:
        node = stack.pop()
        if not node.has_error:
            continue
        if node.type == "ERROR" or node.is_missing:
            around = node
            while around.parent is not None and around.type not in _UNIT_TYPES[lang.name]:
                around = around.parent
            span = around if around.type in _UNIT_TYPES[lang.name] else node
            lines.update(range(span.start_point[0], span.end_point[0] + 1))
            continue
        stack.extend(node.children)
    for unit in units:
        lines.difference_update(range(unit.start[0], unit.end[0] + 1))
    text = source.splitlines()
    lines = {n for n in lines if n < len(text) and text[n].strip()}  # blank lines are nobody's code
    ranges: list[tuple[int, int]] = []
    for n in sorted(lines):
        if ranges and all(not text[k].strip() for k in range(ranges[-1][1], n - 1)):
            ranges[-1] = (ranges[-1][0], n + 1)  # across blank lines only
        else:
            ranges.append((n + 1, n + 1))
    return ranges


def _resolve(language: Language | str | None, path: str) -> Language:
    if isinstance(language, Language):
        return language
    if isinstance(language, str):
        return language_by_name(language)
    return detect_language(path)


def _definitions(code: Code, lang: str):
    """(node, qualified name) of every unit definition, outermost first."""
    unit_types, scope_types = _UNIT_TYPES[lang], _SCOPE_TYPES[lang]
    stack: list[tuple[tree_sitter.Node, tuple[str, ...]]] = [(code.root, ())]
    while stack:
        node, prefix = stack.pop()
        if node.type in unit_types or node.type in scope_types:
            name = _name_of(code, node, lang)
            if node.type in unit_types:
                yield node, ".".join((*prefix, name))
            prefix = (*prefix, name)
        stack.extend((child, prefix) for child in reversed(node.named_children))


def _name_node(node: tree_sitter.Node, lang: str) -> tree_sitter.Node | None:
    if lang == "c" and node.type == "function_definition":
        decl = node.child_by_field_name("declarator")
        while decl is not None and decl.type not in ("identifier", "field_identifier"):
            nxt = decl.child_by_field_name("declarator")
            if nxt is None:  # e.g. a macro-generated declarator: take its first identifier
                nxt = next((c for c in decl.named_children if c.type == "identifier"), None)
            decl = nxt
        return decl
    return node.child_by_field_name("name")


def _name_of(code: Code, node: tree_sitter.Node, lang: str) -> str:
    name = _name_node(node, lang)
    return code.node_text(name) if name is not None else "<anonymous>"


def _make_unit(
    code: Code, node: tree_sitter.Node, qualname: str, lang: str, path: str, seen: dict[str, int]
) -> Unit | None:
    src = code.src
    start, end = code.span(node)
    line_start = src.rfind(b"\n", 0, start) + 1
    if not src[line_start:start].strip():
        start = line_start
    unit_src = src[start:end].decode("utf-8", errors="surrogateescape")
    if node.has_error and (lang != "c" or parse(unit_src, lang, unit=True).has_errors()):
        return None  # C: unless the parse with a macro use masked is clean (code/masking.py)
    name = _name_node(node, lang) or node
    digest = hashlib.sha256(unit_src.encode("utf-8", errors="surrogateescape")).hexdigest()[:12]
    key = f"{qualname}::{digest}"
    seen[key] = seen.get(key, 0) + 1
    if seen[key] > 1:  # the same function text twice in one file
        key = f"{key}#{seen[key]}"
    start_line = node.start_point[0]
    return Unit(
        language=lang,
        path=path,
        qualname=qualname,
        source=unit_src,
        start_byte=start,
        end_byte=end,
        start=(start_line, start - line_start if start != line_start else 0),
        end=tuple(node.end_point),
        name_start=tuple(name.start_point),
        name_end=tuple(name.end_point),
        id=f"{path}::{key}",
        key=key,
    )
