"""Per-input results persisted in the output folder, so that an interrupted evaluation resumes where it stopped.

`records.jsonl` gets one line per input as each chunk finishes (appended and flushed). `run.json` holds what
the records depend on (dataset, task, models' fingerprints, settings): a re-run with the same configuration
skips the chunks already complete; a re-run with a different one is refused rather than mixed in.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from metacompress_core.errors import MetaCompressError
from metacompress_core.report.io import write_atomic

SCHEMA = "metacompress-eval/1"  # of results.json and run.json
RESULTS = "results.json"
RECORDS = "records.jsonl"
IDENTITY = "run.json"


class RecordStore:
    def __init__(self, out: Path, identity: dict):
        self.out = out
        try:
            out.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise MetaCompressError(f"cannot create the output folder {out}: {e.strerror or e}") from None
        self.path = out / RECORDS
        stored = out / IDENTITY
        if stored.is_file() and self.path.is_file():
            previous = json.loads(stored.read_text(encoding="utf-8"))
            if previous != identity:
                changed = sorted(
                    k for k in set(previous) | set(identity) if previous.get(k) != identity.get(k)
                )
                raise MetaCompressError(
                    f"{out} holds results of a different evaluation (differs in: {', '.join(changed)}): "
                    "pass another --out folder, or delete this one to start over"
                )
        write_atomic(stored, json.dumps(identity, indent=1, sort_keys=True) + "\n")
        self.records: dict[int, str] = self._read()

    def _read(self) -> dict[int, str]:
        records: dict[int, str] = {}
        if not self.path.is_file():
            return records
        with self.path.open(encoding="utf-8") as f:
            for line in f:
                try:
                    record = json.loads(line)
                except json.JSONDecodeError:
                    continue  # a line cut short by an interruption: its chunk is simply redone
                records[int(record["index"])] = line.rstrip("\n")  # a redone chunk's lines win
        return records

    def check_ids(self, ids: dict[int, str]) -> None:
        """Refuse records made from other inputs (the dataset file changed since they were written)."""
        for index, line in self.records.items():
            if index in ids and json.loads(line)["id"] != ids[index]:
                raise MetaCompressError(
                    f"{self.path}: input {index} was {json.loads(line)['id']!r} and is now {ids[index]!r}: the "
                    "dataset changed since these results were written; pass another --out folder"
                )

    def done(self, indices: list[int]) -> bool:
        return all(i in self.records for i in indices)

    def add(self, lines: list[str]) -> None:
        with self.path.open("a", encoding="utf-8") as f:
            for line in lines:
                f.write(line + "\n")
            f.flush()
            os.fsync(f.fileno())
        for line in lines:
            self.records[int(json.loads(line)["index"])] = line

    def ordered(self, count: int) -> list[dict]:
        """The records of inputs 0..count-1, parsed, in index order."""
        return [json.loads(self.records[i]) for i in range(count)]
