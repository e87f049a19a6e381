"""A tiny reader for the shared datasets (../shared/data, or $METACOMPRESS_DATA): gzip JSON Lines."""

from __future__ import annotations

import gzip
import hashlib
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Function:
    id: str
    code: str
    project: str = ""


def data_dir() -> Path | None:
    """The datasets folder beside the checkout (or $METACOMPRESS_DATA); None when absent."""
    path = Path(os.environ.get("METACOMPRESS_DATA", REPO.parent / "shared" / "data"))
    return path if path.is_dir() else None


def _rows(relative: str) -> Iterator[dict]:
    root = data_dir()
    if root is None or not (root / relative).is_file():
        return
    with gzip.open(root / relative, "rt", encoding="utf-8") as f:
        for line in f:
            if line.strip():
                yield json.loads(line)


def bcb_functions() -> list[Function]:
    """BigCloneBench's Java methods ({id, code}); empty when the data is absent."""
    return [Function(str(r["id"]), r["code"]) for r in _rows("bcb/functions.jsonl.gz")]


def devign_functions() -> list[Function]:
    """Devign's C functions ({id, code, label, split, project}); empty when the data is absent."""
    return [Function(str(r["id"]), r["code"], r.get("project", "")) for r in _rows("devign/devign.jsonl.gz")]


def has(relative: str) -> bool:
    root = data_dir()
    return root is not None and (root / relative).is_file()


def stable_order(functions: list[Function]) -> list[Function]:
    """A fixed pseudo-random order (by a hash of the id), so that samples are deterministic and unbiased."""
    return sorted(functions, key=lambda f: hashlib.sha256(f.id.encode()).hexdigest())
