"""BigCloneBench-style clone data: functions.jsonl.gz {id, code} and pairs.jsonl.gz {id1, id2, label, split}."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from metacompress_core.datasets.jsonl import read_jsonl
from metacompress_core.datasets.location import data_dir, dataset_file
from metacompress_core.errors import MetaCompressError

SPLITS = ("train", "valid", "test", "train_unlabeled")
UNLABELLED = -1


@dataclass(frozen=True)
class ClonePair:
    id1: str
    id2: str
    label: int  # 1 = clone, 0 = not a clone, -1 = unlabelled (train_unlabeled)
    split: str


@dataclass
class CloneData:
    functions: dict[str, str]
    pairs: list[ClonePair] = field(default_factory=list)

    def split(self, name: str) -> list[ClonePair]:
        return [p for p in self.pairs if p.split == name]

    def code_pair(self, pair: ClonePair) -> tuple[str, str]:
        return self.functions[pair.id1], self.functions[pair.id2]


def load_bcb(
    data: str | Path | None = None,
    *,
    functions: str | Path | None = None,
    pairs: str | Path | None = None,
    splits: tuple[str, ...] = SPLITS,
) -> CloneData:
    """Functions and the pairs of the given splits. Files default to <data>/bcb/{functions,pairs}.jsonl.gz."""
    if functions is None or pairs is None:
        root = data_dir(data)
        functions = functions or dataset_file(root, "bcb", "functions.jsonl.gz")
        pairs = pairs or dataset_file(root, "bcb", "pairs.jsonl.gz")
    code: dict[str, str] = {}
    for r in read_jsonl(functions, required=("id", "code")):
        code[str(r["id"])] = r["code"]
    out = []
    for i, r in enumerate(read_jsonl(pairs, required=("id1", "id2", "label", "split"))):
        p = ClonePair(str(r["id1"]), str(r["id2"]), r["label"], r["split"])
        if p.split not in SPLITS:
            raise MetaCompressError(
                f"{pairs}: record {i + 1} has split {p.split!r}; expected one of {SPLITS}"
            )
        if p.label not in (0, 1, UNLABELLED) or isinstance(p.label, bool):
            raise MetaCompressError(f"{pairs}: record {i + 1} has label {p.label!r}; expected 0, 1 or -1")
        if p.split not in splits:
            continue
        for fid in (p.id1, p.id2):
            if fid not in code:
                raise MetaCompressError(
                    f"{pairs}: record {i + 1} names function {fid!r}, absent from {functions}"
                )
        out.append(p)
    return CloneData(code, out)
