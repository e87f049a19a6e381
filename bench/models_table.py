"""One markdown table of every shipped model: size, test accuracy and F1, agreement with the teacher, and how
often renaming flips its prediction.

Models: every HF folder metacompress_core/default_models/<task>/<role>/ (role = teacher | compressor | avatar
| morph, whichever exist; --models points elsewhere). Per model:

- parameters: the element count of every tensor in model.safetensors (read from its header);
- bytes: the size of model.safetensors;
- accuracy and F1 on the test split: from the model's metrics.json ("test") when present, else measured on the
  first --limit test inputs (all of them without --limit);
- agreement with the task's teacher (students): metrics.json's test "agreement" when present, else measured as
  above against the teacher's predictions on the same inputs;
- flips under renaming: of the first N test inputs (--flips, capped by --limit), the share whose predicted label
  changes when the function (for clone pairs: the first function; its partner is kept) is renamed with the
  project's rename-variable and then rename-parameter transforms (metacompress_core.distill.renamings.renamed,
  one site each, seeded by --seeds; with several seeds an input flips when any of its variants does). Inputs
  neither transform can rename (no local variable or parameter, or code tree-sitter cannot parse cleanly) are
  excluded and counted.

A metric that cannot be computed says why in its cell ("n/a: ..."). Prints the table; --write replaces the text
between the markers in docs/MODELS.md (appending a section with them when absent), atomically.

    nice -n 19 python3 bench/models_table.py --limit 50 --threads 1
    nice -n 19 python3 bench/models_table.py --write
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from metacompress_core.datasets.location import data_dir
from metacompress_core.default_models import ROOT as DEFAULT_ROOT
from metacompress_core.distill.renamings import renamed
from metacompress_core.errors import MetaCompressError
from metacompress_core.evaluation.inputs import EvalInput, load_inputs
from metacompress_core.evaluation.metrics import classification
from metacompress_core.models.base import Backend
from metacompress_core.models.device import DeviceOptions
from metacompress_core.models.loading import load_backend

ROLES = ("teacher", "compressor", "avatar", "morph")
START, END = "<!-- models-table:start -->", "<!-- models-table:end -->"
DOC = Path(__file__).resolve().parents[1] / "docs" / "MODELS.md"
WEIGHTS = "model.safetensors"


@dataclass
class Row:
    task: str
    role: str
    path: Path
    cells: dict[str, str] = field(default_factory=dict)


def shipped_models(root: Path) -> list[Row]:
    """Every <task>/<role>/ folder holding config.json: tasks by name, roles teacher first, then ROLES order."""
    rows = []
    for task_dir in sorted(p for p in root.iterdir() if p.is_dir()) if root.is_dir() else []:
        roles = [p for p in task_dir.iterdir() if (p / "config.json").is_file()]
        order = {r: i for i, r in enumerate(ROLES)}
        for role_dir in sorted(roles, key=lambda p: (order.get(p.name, len(ROLES)), p.name)):
            rows.append(Row(task_dir.name, role_dir.name, role_dir))
    return rows


def weight_stats(path: Path) -> tuple[int, int]:
    """(parameters, bytes) of model.safetensors: element counts from the header, the file's size."""
    from safetensors import safe_open

    file = path / WEIGHTS
    params = 0
    with safe_open(str(file), framework="pt") as f:
        for key in f.keys():  # noqa: SIM118 (a safe_open handle is not iterable)
            params += int(np.prod(f.get_slice(key).get_shape(), dtype=np.int64))
    return params, file.stat().st_size


def stored_test_metrics(path: Path) -> dict | None:
    """The "test" block of the model's metrics.json, or None when there is none."""
    file = path / "metrics.json"
    if not file.is_file():
        return None
    try:
        test = json.loads(file.read_text(encoding="utf-8")).get("test")
    except (OSError, ValueError, AttributeError):
        return None
    return test if isinstance(test, dict) else None


def renamed_inputs(items: list[EvalInput], seeds: tuple[int, ...]) -> dict[int, list]:
    """For each input (by position) its renamed model inputs, one per seed that renames something; inputs with
    none are left out."""
    out: dict[int, list] = {}
    for i, item in enumerate(items):
        variants = [v for s in seeds if (v := renamed(item.code, item.language, s)) is not None]
        if variants:
            out[i] = [item.model_input(v) for v in variants]
    return out


def _fmt(x: float) -> str:
    return f"{x:.4f}"


def _flip_cell(original: np.ndarray, variants: dict[int, list], predict) -> str:
    """The flips cell, "share (flipped/renamed; k excluded)", for the predictions `original` of the slice."""
    if not variants:
        return f"n/a: none of the {len(original)} inputs has a renaming site"
    keys = sorted(variants)
    flat = [v for k in keys for v in variants[k]]
    labels = predict(flat).argmax(1)
    flipped, at = 0, 0
    for k in keys:
        n = len(variants[k])
        flipped += bool((labels[at : at + n] != original[k]).any())
        at += n
    excluded = len(original) - len(keys)
    return f"{_fmt(flipped / len(keys))} ({flipped}/{len(keys)}; {excluded} excluded)"


def measure_task(
    rows: list[Row],
    data: Path | None,
    limit: int | None,
    flips: int,
    seeds: tuple[int, ...],
    options: DeviceOptions,
) -> None:
    """Fill every cell of the rows of one task."""
    task = rows[0].task
    for row in rows:
        try:
            params, size = weight_stats(row.path)
            row.cells["parameters"], row.cells["bytes"] = f"{params:,}", f"{size:,}"
        except (OSError, RuntimeError, ValueError) as e:
            row.cells["parameters"] = row.cells["bytes"] = f"n/a: {WEIGHTS} unreadable ({e})"
    models: dict[str, Backend | str] = {}
    for row in rows:
        try:
            models[row.role] = load_backend(row.path, task=task, options=options)
        except MetaCompressError as e:
            models[row.role] = f"n/a: does not load ({str(e).splitlines()[0]})"
    try:
        root = data_dir(data)
        # load_inputs takes the dataset folder itself or a folder holding it
        items = load_inputs(task, root, "test", limit)
    except MetaCompressError as e:
        for row in rows:
            for key in ("accuracy", "f1", "agreement", "flips"):
                row.cells.setdefault(key, f"n/a: no {task} test data ({str(e).splitlines()[0]})")
        _stored_only(rows)
        return
    n_flip = min(flips, len(items))
    variants = renamed_inputs(items[:n_flip], seeds)
    truth = np.array([it.label for it in items])
    originals = [it.model_input() for it in items]
    needs_all = {
        row.role
        for row in rows
        if stored_test_metrics(row.path) is None
        or (row.role != "teacher" and "agreement" not in (stored_test_metrics(row.path) or {}))
    }
    if needs_all - {"teacher"} and "teacher" in models:
        needs_all.add("teacher")  # measured agreement needs the teacher's predictions on the same inputs
    predictions: dict[str, np.ndarray] = {}
    for role, model in models.items():
        if isinstance(model, str):
            continue
        predictions[role] = model.predict(originals if role in needs_all else originals[:n_flip]).argmax(1)
    teacher = models.get("teacher")
    for row in rows:
        model, stored = models[row.role], stored_test_metrics(row.path)
        if isinstance(model, str):
            for key in ("accuracy", "f1", "agreement", "flips"):
                row.cells.setdefault(key, model)
            if stored:
                _stored_scores(row, stored)
            continue
        pred = predictions[row.role]
        if stored and "accuracy" in stored and "f1" in stored:
            _stored_scores(row, stored)
        else:
            scores = classification(np.eye(2, dtype=np.float32)[pred], truth)
            where = f"n={scores['n']}, measured"
            row.cells["accuracy"] = f"{_fmt(scores['accuracy'])} ({where})"
            row.cells["f1"] = f"{_fmt(scores['f1'])} ({where})"
        if row.role == "teacher":
            row.cells["agreement"] = "(teacher)"
        elif stored and "agreement" in stored:
            row.cells["agreement"] = f"{_fmt(stored['agreement'])} (n={stored.get('n', '?')}, metrics.json)"
        elif teacher is None:
            row.cells["agreement"] = f"n/a: no {task} teacher is shipped"
        elif isinstance(teacher, str):
            row.cells["agreement"] = "n/a: the teacher does not load"
        else:
            agree = float((pred == predictions["teacher"][: len(pred)]).mean())
            row.cells["agreement"] = f"{_fmt(agree)} (n={len(pred)}, measured)"
        row.cells["flips"] = _flip_cell(pred[:n_flip], variants, model.predict)


def _stored_scores(row: Row, stored: dict) -> None:
    where = f"n={stored.get('n', '?')}, metrics.json"
    for key in ("accuracy", "f1"):
        if key in stored:
            row.cells[key] = f"{_fmt(stored[key])} ({where})"


def _stored_only(rows: list[Row]) -> None:
    """Without data, the stored figures still fill their cells."""
    for row in rows:
        stored = stored_test_metrics(row.path)
        if stored:
            _stored_scores(row, stored)
            if row.role != "teacher" and "agreement" in stored:
                row.cells["agreement"] = (
                    f"{_fmt(stored['agreement'])} (n={stored.get('n', '?')}, metrics.json)"
                )
        if row.role == "teacher":
            row.cells["agreement"] = "(teacher)"


COLUMNS = (
    ("task", "task"),
    ("role", "role"),
    ("parameters", "parameters"),
    ("bytes", f"bytes ({WEIGHTS})"),
    ("accuracy", "test accuracy"),
    ("f1", "test F1"),
    ("agreement", "agreement with teacher (test)"),
    ("flips", "flips under renaming"),
)


def render(rows: list[Row], flips: int, limit: int | None, seeds: tuple[int, ...]) -> str:
    if not rows:
        return "No shipped models were found.\n"
    lines = [
        "| " + " | ".join(title for _, title in COLUMNS) + " |",
        "|" + "---|" * len(COLUMNS),
    ]
    for row in rows:
        values = {"task": row.task, "role": row.role, **row.cells}
        lines.append("| " + " | ".join(values.get(key, "n/a: not computed") for key, _ in COLUMNS) + " |")
    n_flip = flips if limit is None else min(flips, limit)
    seed_text = ", ".join(str(s) for s in seeds)
    lines += [
        "",
        f"Flips under renaming: of the first {n_flip} test inputs, the share whose predicted label changes when "
        "the function (clone: the first function of the pair; its partner is kept) is renamed by "
        f"rename-variable then rename-parameter (one site each), seed{'s' if len(seeds) > 1 else ''} "
        f"{seed_text}{' (flipped when any seed flips)' if len(seeds) > 1 else ''}; inputs with no renaming "
        "site (or that do not parse cleanly) are excluded. Scores marked metrics.json come from the model's "
        "own test evaluation; measured ones from "
        + ("the whole test split" if limit is None else f"the first {limit} test inputs")
        + ". Made by `bench/models_table.py`.",
    ]
    return "\n".join(lines) + "\n"


def replace_between_markers(doc: str, table: str) -> str:
    """`doc` with the text between the markers replaced by `table`; a new section with them when absent."""
    block = f"{START}\n{table}{END}"
    start, end = doc.find(START), doc.find(END)
    if start == -1 or end == -1 or end < start:
        return doc.rstrip("\n") + f"\n\n## Shipped models\n\n{block}\n"
    return doc[:start] + block + doc[end + len(END) :]


def write_atomically(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def build_table(
    models_root: Path = DEFAULT_ROOT,
    data: Path | None = None,
    limit: int | None = None,
    flips: int = 200,
    seeds: tuple[int, ...] = (0,),
    threads: int | None = None,
) -> tuple[str, list[Row]]:
    rows = shipped_models(Path(models_root))
    options = DeviceOptions(device="cpu", threads=threads, batch_size=16)
    for task in dict.fromkeys(r.task for r in rows):
        measure_task([r for r in rows if r.task == task], data, limit, flips, seeds, options)
    return render(rows, flips, limit, seeds), rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--models", type=Path, default=DEFAULT_ROOT, help="folder of <task>/<role>/ models")
    ap.add_argument("--data", type=Path, default=None, help="datasets folder (default: ../shared/data)")
    ap.add_argument("--limit", type=int, default=None, help="test inputs measured (default: all)")
    ap.add_argument("--flips", type=int, default=200, help="first N test inputs for the flips (default 200)")
    ap.add_argument("--seeds", default="0", help="comma-separated renaming seeds (default 0)")
    ap.add_argument("--threads", type=int, default=None, help="CPU threads")
    ap.add_argument("--write", action="store_true", help="update the table in docs/MODELS.md")
    ap.add_argument("--doc", type=Path, default=DOC, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.limit is not None and args.limit < 1:
        ap.error("--limit must be at least 1")
    seeds = tuple(int(s) for s in args.seeds.split(",") if s.strip())
    if not seeds:
        ap.error("--seeds needs at least one seed")
    table, _ = build_table(args.models, args.data, args.limit, args.flips, seeds, args.threads)
    print(table, end="")
    if args.write:
        write_atomically(args.doc, replace_between_markers(args.doc.read_text(encoding="utf-8"), table))
        print(f"updated {args.doc}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
