"""Showing a failing variant in editors that only run the command (Neovim, Emacs, Helix ignore its result).

The variant's diff (show) or source (copy) is written to a file in a private temporary folder and opened with
window/showDocument where the client supports it, else summarised in window/showMessage with the file's path.
Clients with their own view (the VS Code extension opens a diff editor) pass {"present": false}.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path, PurePath
from typing import Any

from lsprotocol import types

_MESSAGE_LINES = 40


class VariantFiles:
    def __init__(self) -> None:
        self._folder: Path | None = None

    def write(self, payload: dict[str, Any], kind: str, source_path: str) -> Path:
        if self._folder is None:
            self._folder = Path(tempfile.mkdtemp(prefix="metacompress-variants-"))
        stem = re.sub(r"[^\w.-]+", "_", payload["qualname"])[:80] or "unit"
        transforms = "+".join(payload["transforms"]) or "original"
        if kind == "diff":
            path = self._folder / f"{stem}.{transforms}.diff"
            path.write_text(payload["diff"], encoding="utf-8")
        else:
            path = self._folder / f"{stem}.variant{PurePath(source_path).suffix}"
            path.write_text(payload["variant"], encoding="utf-8")
        return path


def message_text(payload: dict[str, Any], kind: str, path: Path) -> str:
    body = payload["diff"] if kind == "diff" else payload["variant"]
    lines = body.splitlines()
    if len(lines) > _MESSAGE_LINES:
        lines = [*lines[:_MESSAGE_LINES], f"... ({len(lines) - _MESSAGE_LINES} more lines in {path})"]
    what = "failing variant" if kind == "diff" else "variant source"
    return f"MetaCompress: {what} of {payload['qualname']} ({path}):\n" + "\n".join(lines)


def show_params(path: Path) -> types.ShowDocumentParams:
    return types.ShowDocumentParams(uri=path.as_uri(), take_focus=True)
