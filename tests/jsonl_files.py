"""Writing small gzipped JSONL datasets (Devign- and BigCloneBench-style) inside tests."""

from __future__ import annotations

import gzip
import json
from pathlib import Path


def write_gz(path: Path, records: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(path, "wt", encoding="utf-8") as f:
        f.writelines(json.dumps(r) + "\n" for r in records)
