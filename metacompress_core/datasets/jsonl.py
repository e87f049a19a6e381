"""JSON Lines reading (gzip or plain) with errors that name the file and the line."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from metacompress_core.errors import MetaCompressError


def _open_text(path: Path):
    with open(path, "rb") as f:
        magic = f.read(2)
    if magic == b"\x1f\x8b":  # gzip, whatever the file is called
        return gzip.open(path, "rt", encoding="utf-8")
    return open(path, encoding="utf-8")


def read_jsonl(path: str | Path, required: tuple[str, ...] = ()) -> Iterator[dict[str, Any]]:
    """Yield one object per non-blank line; every object must be a JSON object holding the `required` fields."""
    path = Path(path)
    try:
        with _open_text(path) as f:
            for number, line in enumerate(f, start=1):
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                except json.JSONDecodeError as e:
                    raise MetaCompressError(f"{path}:{number}: not valid JSON ({e.msg})") from None
                if not isinstance(record, dict):
                    raise MetaCompressError(
                        f"{path}:{number}: expected a JSON object, got {type(record).__name__}"
                    )
                missing = [k for k in required if k not in record]
                if missing:
                    raise MetaCompressError(f"{path}:{number}: missing field(s) {', '.join(missing)}")
                yield record
    except OSError as e:  # unreadable file, or a corrupt gzip stream
        raise MetaCompressError(f"cannot read {path}: {e}") from None
    except UnicodeDecodeError as e:
        raise MetaCompressError(f"{path}: not UTF-8 text ({e.reason})") from None
