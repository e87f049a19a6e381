"""Devign-style vulnerability data: one C function per line with `id`, `code`, `label` (1 = vulnerable), `split`."""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

from metacompress_core.datasets.jsonl import read_jsonl
from metacompress_core.datasets.location import data_dir, dataset_file
from metacompress_core.errors import MetaCompressError

SPLITS = ("train", "valid", "test")
DEFAULT_FILE = ("devign", "devign.jsonl.gz")


@dataclass(frozen=True)
class DevignExample:
    id: str
    code: str
    label: int  # 1 = vulnerable
    split: str
    project: str = ""


def load_devign(
    data: str | Path | None = None, *, path: str | Path | None = None, splits: tuple[str, ...] = SPLITS
) -> list[DevignExample]:
    """The examples of the given splits, in file order. `path` names a file directly; else <data>/devign/."""
    file = Path(path) if path is not None else dataset_file(data_dir(data), *DEFAULT_FILE)
    if not file.is_file():
        raise MetaCompressError(f"Devign file {file} does not exist")
    out = []
    for i, r in enumerate(read_jsonl(file, required=("code", "label", "split"))):
        label, split = r["label"], r["split"]
        if label not in (0, 1) or isinstance(label, bool):
            raise MetaCompressError(f"{file}: record {i + 1} has label {label!r}; expected 0 or 1")
        if split not in SPLITS:
            raise MetaCompressError(f"{file}: record {i + 1} has split {split!r}; expected one of {SPLITS}")
        if split in splits:
            out.append(DevignExample(str(r.get("id", i)), r["code"], label, split, str(r.get("project", ""))))
    return out


def labelled_unlabelled_halves(
    train: list[DevignExample], seed: int = 0
) -> tuple[list[DevignExample], list[DevignExample]]:
    """Split the training examples in two halves for distillation: the teacher learns from the labelled half,
    students from the teacher's outputs on the unlabelled half (as Compressor, AVATAR and MORPH did).

    Deterministic for a seed, independent of the input order (examples are ordered by id first).
    """
    ordered = sorted(train, key=lambda e: e.id)
    random.Random(seed).shuffle(ordered)
    half = (len(ordered) + 1) // 2
    return ordered[:half], ordered[half:]
