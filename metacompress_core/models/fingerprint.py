"""Content hashes: of files (weights, tokenizer) and of a model's whole identity (its cache key part)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

_CHUNK = 1 << 20


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(_CHUNK):
            h.update(chunk)
    return h.hexdigest()


def model_fingerprint(files: dict[str, str], settings: dict[str, Any]) -> str:
    """sha256 over the files' hashes (by role, e.g. "weights") and the settings that change the outputs
    (preprocessing, label order, precision), so that any of these changing gives a new cache namespace."""
    identity = {"files": dict(sorted(files.items())), "settings": settings}
    return hashlib.sha256(json.dumps(identity, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
