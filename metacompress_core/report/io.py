"""Choosing a report format and writing a report file without ever leaving half of one behind."""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from metacompress_core.engine import Finding
from metacompress_core.errors import MetaCompressError
from metacompress_core.report.json_report import render_json
from metacompress_core.report.markdown import render_markdown
from metacompress_core.report.sarif import render_sarif
from metacompress_core.report.summary import RunSummary
from metacompress_core.report.table import render_table

RENDERERS: dict[str, Callable[..., str]] = {
    "table": render_table,
    "json": render_json,
    "sarif": render_sarif,
    "markdown": render_markdown,
}
FORMATS: tuple[str, ...] = tuple(RENDERERS)
# The options each format takes (render() drops the others, so one call site can pass them all).
_OPTIONS = {
    "table": {"color", "root"},
    "json": set(),
    "sarif": {"sources", "root", "baseline"},
    "markdown": {"root"},
}


def render(fmt: str, findings: Iterable[Finding], summary: RunSummary, **options: Any) -> str:
    """The report in format `fmt`. Options: color (table), sources: path -> text (sarif: exact columns),
    root (table, markdown, sarif: paths are shown relative to it; default the working directory), baseline
    (sarif: a report.baseline.Baseline, to mark each result new, unchanged or absent)."""
    renderer = RENDERERS.get(fmt)
    if renderer is None:
        raise MetaCompressError(f"unknown report format {fmt!r}: use one of {', '.join(FORMATS)}")
    unknown = set(options) - set().union(*_OPTIONS.values())
    if unknown:
        raise TypeError(f"render() got unknown options: {', '.join(sorted(unknown))}")
    return renderer(list(findings), summary, **{k: v for k, v in options.items() if k in _OPTIONS[fmt]})


def write_atomic(path: str | os.PathLike[str], text: str) -> None:
    """Write `text` (UTF-8) to `path` so that readers see the old file or the whole new one, never a part.

    The text goes to a temporary file in the same directory, is flushed to disk, and then replaces `path` in one
    rename. On any failure the temporary file is removed and `path` is left as it was.
    """
    target = Path(path)
    directory = target.parent if str(target.parent) else Path(".")
    if not directory.is_dir():
        raise MetaCompressError(f"cannot write {target}: the folder {directory} does not exist")
    if target.is_dir():
        raise MetaCompressError(f"cannot write {target}: it is a folder; name a file for the report")
    try:
        _replace(target, directory, text)
    except OSError as e:
        raise MetaCompressError(f"cannot write {target}: {e.strerror or e}") from None
    _sync_directory(directory)


def _replace(target: Path, directory: Path, text: str) -> None:
    fd, tmp = _create_temporary(directory, target.name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        if target.exists():
            os.chmod(tmp, target.stat().st_mode & 0o7777)  # keep an existing report's permissions
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def _create_temporary(directory: Path, name: str) -> tuple[int, str]:
    """A new file beside the report, created with mode 0o666 less the umask, as open() would create it."""
    for _ in range(100):
        tmp = str(directory / f".{name}.{secrets.token_hex(6)}.tmp")
        try:
            return os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666), tmp
        except FileExistsError:
            continue
    raise MetaCompressError(f"cannot create a temporary file in {directory}")


def _sync_directory(directory: Path) -> None:
    """Make the rename itself durable (POSIX); a no-op where directories cannot be opened."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
