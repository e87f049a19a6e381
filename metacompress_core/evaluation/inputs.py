"""The inputs of an evaluation: Devign functions (vuln) or BigCloneBench pairs (clone), with their labels.

`--dataset` names a Devign JSON Lines file (or a folder holding `devign.jsonl.gz`) for `vuln`; for `clone`, a
BigCloneBench pairs file with `functions.jsonl(.gz)` beside it, or a folder holding both files.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from metacompress_core.datasets.bcb import load_bcb
from metacompress_core.datasets.devign import load_devign
from metacompress_core.errors import MetaCompressError

LANGUAGE = {"vuln": "c", "clone": "java"}


@dataclass(frozen=True)
class EvalInput:
    index: int  # position in the evaluated slice: records are aggregated in this order
    id: str
    code: str  # the function that is transformed and attacked
    partner: str | None  # clone detection: the other function of the pair, kept as it is
    label: int
    language: str

    def model_input(self, code: str | None = None) -> str | tuple[str, str]:
        """What the models see for `code` (default: the original) in place of the first function."""
        code = self.code if code is None else code
        return code if self.partner is None else (code, self.partner)

    def to_json(self) -> dict:
        return {
            "index": self.index,
            "id": self.id,
            "code": self.code,
            "partner": self.partner,
            "label": self.label,
            "language": self.language,
        }

    @classmethod
    def from_json(cls, data: dict) -> EvalInput:
        return cls(**data)


def load_inputs(
    task: str, dataset: str | Path, split: str = "test", limit: int | None = None
) -> list[EvalInput]:
    """The labelled examples of `split`, in file order; the first `limit` of them when given."""
    path = Path(dataset)
    if not path.exists():
        raise MetaCompressError(
            f"dataset {path} does not exist: pass a Devign or BigCloneBench file or folder"
        )
    if limit is not None and limit < 1:
        raise MetaCompressError(f"--limit must be at least 1, got {limit}")
    if task == "vuln":
        file = path / "devign.jsonl.gz" if path.is_dir() else path
        if path.is_dir() and not file.is_file():
            file = path / "devign" / "devign.jsonl.gz"
        rows = [e for e in load_devign(path=file) if e.split == split]
        items = [EvalInput(i, e.id, e.code, None, e.label, "c") for i, e in enumerate(rows[:limit])]
    elif task == "clone":
        pairs_file, functions_file = _bcb_files(path)
        data = load_bcb(functions=functions_file, pairs=pairs_file, splits=(split,))
        labelled = [p for p in data.pairs if p.label in (0, 1)]
        items = [
            EvalInput(i, f"{p.id1}-{p.id2}", data.functions[p.id1], data.functions[p.id2], p.label, "java")
            for i, p in enumerate(labelled[:limit])
        ]
    else:
        raise MetaCompressError(f"unknown task {task!r}: use vuln or clone")
    if not items:
        raise MetaCompressError(f"{path} holds no labelled examples in the {split!r} split")
    return items


def _bcb_files(path: Path) -> tuple[Path, Path]:
    folder = path if path.is_dir() else path.parent
    if path.is_dir() and (path / "bcb").is_dir():
        folder = path / "bcb"
    pairs = path if path.is_file() else _first(folder, "pairs.jsonl.gz", "pairs.jsonl")
    functions = _first(folder, "functions.jsonl.gz", "functions.jsonl")
    if pairs is None or functions is None:
        raise MetaCompressError(
            f"{path}: clone detection needs a pairs file with functions.jsonl(.gz) beside it, "
            "or a folder holding pairs.jsonl.gz and functions.jsonl.gz (docs/DATASETS.md)"
        )
    return pairs, functions


def _first(folder: Path, *names: str) -> Path | None:
    return next((folder / n for n in names if (folder / n).is_file()), None)
