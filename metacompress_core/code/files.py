"""Finding the source files to check under the paths a user names."""

from __future__ import annotations

from pathlib import Path

from metacompress_core.code.languages import LANGUAGES
from metacompress_core.errors import MetaCompressError

_SKIP_DIRS = {"node_modules", "__pycache__", "venv", "build", "dist", "target", "site-packages"}
_EXTENSIONS = {ext for lang in LANGUAGES.values() for ext in lang.extensions if ext != ".pyi"}


def source_files(paths: list[str | Path]) -> list[Path]:
    """Files named directly (any extension: the caller reports unsupported ones), and the supported source
    files below named directories (hidden and build folders skipped), each once, in a stable order."""
    found: dict[Path, None] = {}
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for file in sorted(path.rglob("*")):
                rel = file.relative_to(path).parts
                if any(p.startswith(".") or p in _SKIP_DIRS for p in rel[:-1]):
                    continue
                if file.is_file() and file.suffix.lower() in _EXTENSIONS:
                    found.setdefault(file, None)
        elif path.exists():
            found.setdefault(path, None)
        else:
            raise MetaCompressError(f"{path} does not exist: pass source files or directories")
    return list(found)
