"""Where a finding is, for people (file:line) and for SARIF (URI, 1-based lines, columns in characters)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from metacompress_core.code.units import Unit


def relative_path(path: str, root: str | os.PathLike[str] | None = None) -> str | None:
    """`path` relative to `root` (default: the working directory) with forward slashes, None when outside it."""
    base = Path(root) if root is not None else Path.cwd()
    try:
        rel = Path(os.path.abspath(path)).relative_to(os.path.abspath(base))
    except ValueError:
        return None
    return rel.as_posix()


def display_path(path: str, root: str | os.PathLike[str] | None = None) -> str:
    rel = relative_path(path, root)
    return rel if rel is not None else path


def artifact_location(path: str, root: str | os.PathLike[str] | None = None) -> dict[str, str]:
    """SARIF artifactLocation: relative to %SRCROOT% (the root) when inside it, else an absolute file URI."""
    rel = relative_path(path, root)
    if rel is None:
        return {"uri": Path(os.path.abspath(path)).as_uri()}
    return {"uri": quote(rel, safe="/"), "uriBaseId": "%SRCROOT%"}


def root_uri(root: str | os.PathLike[str] | None = None) -> str:
    return Path(os.path.abspath(root if root is not None else Path.cwd())).as_uri().rstrip("/") + "/"


@dataclass(frozen=True)
class Region:
    """1-based lines; columns count characters (Unicode code points), 1-based, end exclusive."""

    start_line: int
    start_column: int
    end_line: int
    end_column: int


class LineText:
    """Byte columns (tree-sitter) -> character columns, using the file's text when it matches the unit."""

    def __init__(self, sources: Mapping[str, str] | None = None, read_files: bool = True) -> None:
        self._sources = dict(sources or {})
        self._read_files = read_files
        self._files: dict[str, tuple[bytes, list[int]] | None] = {}  # path -> (bytes, offset of each line)

    def name_region(self, unit: Unit) -> Region:
        (sl, sc), (el, ec) = unit.name_start, unit.name_end
        return Region(sl + 1, self.char_column(unit, sl, sc) + 1, el + 1, self.char_column(unit, el, ec) + 1)

    def char_column(self, unit: Unit, line: int, byte_column: int) -> int:
        """0-based character column of the 0-based (line, byte column) of `unit`'s file."""
        file = self._file(unit)
        if file is not None and line < len(file[1]):
            data, starts = file
            return _chars(data[starts[line] : starts[line] + byte_column])
        # No file text: the unit's own source covers the line, except what precedes the definition on its
        # first line (counted as one character per byte: exact for ASCII).
        offset = line - unit.start[0]
        unit_lines = unit.source.encode("utf-8", "surrogateescape").split(b"\n")
        if not 0 <= offset < len(unit_lines):
            return byte_column
        lead = unit.start[1] if offset == 0 else 0
        return lead + _chars(unit_lines[offset][: max(byte_column - lead, 0)])

    def _file(self, unit: Unit) -> tuple[bytes, list[int]] | None:
        if unit.path not in self._files:
            data = self._load(unit.path)
            self._files[unit.path] = None if data is None else (data, _line_starts(data))
        file = self._files[unit.path]
        # The text must be the one the unit came from (the file may have changed since the check).
        if file is None or file[0][unit.start_byte : unit.end_byte] != unit.source.encode(
            "utf-8", "surrogateescape"
        ):
            return None
        return file

    def _load(self, path: str) -> bytes | None:
        text = self._sources.get(path)
        if text is not None:
            return text.encode("utf-8", "surrogateescape")
        if not self._read_files:
            return None
        try:
            return Path(path).read_bytes()
        except OSError:
            return None


def _line_starts(data: bytes) -> list[int]:
    starts, at = [0], data.find(b"\n")
    while at != -1:
        starts.append(at + 1)
        at = data.find(b"\n", at + 1)
    return starts


def _chars(prefix: bytes) -> int:
    return len(prefix.decode("utf-8", "replace"))
