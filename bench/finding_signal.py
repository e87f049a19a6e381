"""Controls that prove the findings are signal: what `check` reports for pairs of models whose answer is known.

For each task (clone detection on Java, vulnerability prediction on C) and each set of functions (the project's
examples, and a sample of the dataset's test split), it checks:

  null         the shipped teacher against itself: must give no finding of any severity;
  near-null    the teacher against a bfloat16 copy of itself (weights rounded to bfloat16, saved, reloaded):
               must give no Warning;
  students     the shipped students (compressor, avatar, morph) against the teacher: functions shown per
               severity, next to the share with any paper relation broken on some input (the figure every
               function was flagged by before severity came from evidence), and how many Warnings stand on a
               teacher below the reference margin (must be 0);
  positive     a student built to depend on identifier names (a small BERT trained here on targets that change
               when a variable or parameter is renamed: originals -> 0, their renamed variants -> 1) against a
               sure teacher (the same architecture trained on both -> 0): most functions with a renaming site
               must get a Warning caused by a variant.

It also prints how sure the shipped teacher is on the checked inputs (share with top probability >= the
reference margin and >= tau), since a teacher near chance leaves nothing to compare against, and how often the
teacher is right above and below the reference margin on the first --accuracy test inputs (the reason for the
margin: docs/RELATIONS.md "Severity").

    python bench/finding_signal.py [--sample 30] [--budget 16] [--threads 2] [--tasks clone,vuln]
    python bench/finding_signal.py --tasks clone --teacher DIR   # another teacher: controls only

The dataset samples need ../shared/data (or $METACOMPRESS_DATA); without it only the examples are checked.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch

from metacompress_core.code import extract_units
from metacompress_core.code.units import Unit
from metacompress_core.datasets.location import data_dir
from metacompress_core.default_models import ROOT
from metacompress_core.engine import EngineConfig, check_units
from metacompress_core.errors import MetaCompressError
from metacompress_core.evaluation.inputs import load_inputs
from metacompress_core.models import CachedBackend, PredictionCache, load_backend
from metacompress_core.models.device import DeviceOptions
from metacompress_core.plan.recipes import Recipe, realise
from metacompress_core.transforms.families.rename import RENAMINGS

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = {"clone": REPO / "examples" / "java", "vuln": REPO / "examples" / "c"}
LANGUAGE = {"clone": "java", "vuln": "c"}
STUDENTS = ("compressor", "avatar", "morph")
MAX_TOKENS = 512  # as the engine sends them: a renaming far into a long function must be seen in training too


def example_units(task: str) -> list[Unit]:
    units = []
    for path in sorted(EXAMPLES[task].glob(f"*.{LANGUAGE[task]}")):
        units += extract_units(path.read_text(), LANGUAGE[task], str(path.relative_to(REPO)))
    return units


def sample_units(task: str, count: int) -> list[Unit]:
    """Devign: the first `count` test functions. BCB: the first `count` test pairs, each pair one file of its
    two functions, so that the engine pairs each function with itself and with its partner."""
    items = load_inputs(task, data_dir(), "test", limit=count)
    units = []
    for item in items:
        code = item.code if item.partner is None else f"{item.code}\n\n{item.partner}"
        units += extract_units(code, LANGUAGE[task], f"{task}-test/{item.id}.{LANGUAGE[task]}")
    return units


def bf16_copy(teacher: Path, out: Path) -> Path:
    """The teacher's folder with every weight (every tensor of every .safetensors file: encoder, classifier, a
    siamese head) rounded to bfloat16 and stored back in its own dtype; the other files copied as they are."""
    from safetensors.torch import load_file, save_file

    out.mkdir(parents=True, exist_ok=True)
    for file in teacher.iterdir():
        if file.suffix == ".safetensors":
            tensors = {k: v.to(torch.bfloat16).to(v.dtype) for k, v in load_file(file).items()}
            save_file(tensors, out / file.name, metadata={"format": "pt"})
        elif file.is_file():
            shutil.copyfile(file, out / file.name)
    return out


def renamed_inputs(units: list[Unit], pair: bool, seed: int) -> tuple[list, list]:
    """The model inputs of the originals and of their single-renaming variants (as the engine's plan makes
    them: each renaming transform once, with the run's seed), each clone unit paired with itself."""
    originals, variants = [], []
    for unit in units:
        x = (unit.source, unit.source) if pair else unit.source
        originals.append(x)
        for name in RENAMINGS:
            v = realise(unit, Recipe(((name, seed),)))
            if v is not None and v.source != unit.source:
                variants.append((v.source, unit.source) if pair else v.source)
    return originals, variants


def train_tiny(teacher_dir: Path, texts: list, labels: list[int], out: Path, steps: int, seed: int) -> Path:
    """A 1-layer BERT on the teacher's tokenizer, trained to memorise `labels`; saved like a shipped model."""
    from transformers import AutoConfig, AutoTokenizer, BertConfig, BertForSequenceClassification

    tokenizer = AutoTokenizer.from_pretrained(teacher_dir)
    torch.manual_seed(seed)
    labels_map = AutoConfig.from_pretrained(teacher_dir).id2label  # the teacher's labels, in its order
    config = BertConfig(
        vocab_size=len(tokenizer),
        hidden_size=64,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=128,
        max_position_embeddings=512,
        num_labels=2,
        id2label=labels_map,
        label2id={v: k for k, v in labels_map.items()},
        pad_token_id=tokenizer.pad_token_id or 0,
    )
    model = BertForSequenceClassification(config)
    optimiser = torch.optim.AdamW(model.parameters(), lr=3e-3)
    y = torch.tensor(labels)
    pair = isinstance(texts[0], tuple)
    rng = np.random.default_rng(seed)
    model.train()
    for _ in range(steps):
        batch = rng.choice(len(texts), size=min(16, len(texts)), replace=False)
        chosen = [texts[i] for i in batch]
        if pair:
            enc = tokenizer(
                [a for a, _ in chosen], [b for _, b in chosen], truncation=True, max_length=MAX_TOKENS,
                padding=True, return_tensors="pt",
            )  # fmt: skip
        else:
            enc = tokenizer(chosen, truncation=True, max_length=MAX_TOKENS, padding=True, return_tensors="pt")
        loss = model(**enc, labels=y[batch]).loss
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
    model.eval()
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    sidecar = teacher_dir / "metacompress.json"
    if sidecar.is_file():  # the task and labels only: this is a plain classifier, whatever the teacher's form
        known = json.loads(sidecar.read_text())
        (out / sidecar.name).write_text(json.dumps({k: known[k] for k in ("task", "labels") if k in known}))
    return out


def tally(findings) -> dict:
    n = len(findings)
    by = {level: sum(f.severity == level for f in findings) for level in ("warning", "information", "hint")}
    return {
        "functions": n,
        **by,
        "induced warnings": sum(f.severity == "warning" and f.evidence.induced for f in findings),
        "any relation broken": sum(f.has_violation for f in findings),
        "warnings on an unsure teacher": sum(
            f.severity == "warning" and float(np.max(f.evidence.original.teacher)) < f.policy.reference
            for f in findings
        ),
    }


def row(task: str, where: str, control: str, t: dict, seconds: float) -> str:
    n = max(t["functions"], 1)
    return (
        f"| {task} | {where} | {control} | {t['functions']} | {t['warning']} ({t['warning'] / n:.0%}) | "
        f"{t['induced warnings']} | {t['information']} | {t['hint']} | "
        f"{t['any relation broken']} ({t['any relation broken'] / n:.0%}) | {t['warnings on an unsure teacher']} | "
        f"{seconds:.0f} s |"
    )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sample", type=int, default=30, help="dataset test inputs per task (0: none)")
    parser.add_argument("--budget", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--tasks", default="clone,vuln")
    parser.add_argument("--positive-steps", type=int, default=600)
    parser.add_argument(
        "--controls", default="", help="only the controls whose name contains one of these (a,b)"
    )
    parser.add_argument(
        "--teacher",
        type=Path,
        help="this teacher instead of the shipped one (the shipped students are then skipped)",
    )
    parser.add_argument(
        "--accuracy", type=int, default=500, help="test inputs for accuracy by confidence (0: none)"
    )
    args = parser.parse_args()
    options = DeviceOptions(device="cpu", threads=args.threads)
    config = EngineConfig(budget=args.budget)
    tmp = Path(tempfile.mkdtemp(prefix="metacompress-signal-"))
    cache = PredictionCache(tmp / "cache")
    print(
        f"evidence policy: reference {config.evidence.reference}, margin {config.evidence.margin}; "
        f"tau {config.thresholds.confidence_tau}; budget {args.budget} variants per function\n"
    )
    header = (
        "| task | functions of | control / student | checked | Warning | caused by a variant | Information | "
        "Hint | any paper relation broken | Warnings on an unsure teacher | time |\n"
        "|---|---|---|---|---|---|---|---|---|---|---|"
    )
    lines = [header]
    confidence = []
    for task in args.tasks.split(","):
        teacher_dir = args.teacher or ROOT / task / "teacher"
        sets = {"examples": example_units(task)}
        if args.sample:
            try:
                sets[f"{args.sample} test inputs"] = sample_units(task, args.sample)
            except MetaCompressError as e:
                print(f"{task}: no dataset sample ({e})", file=sys.stderr)
        teacher = CachedBackend(load_backend(teacher_dir, options=options), cache)
        copy = CachedBackend(
            load_backend(bf16_copy(teacher_dir, tmp / f"{task}-bf16"), options=options), cache
        )
        pair = task == "clone"
        everything = [u for units in sets.values() for u in units]
        originals, variants = renamed_inputs(everything, pair, config.seed)
        started = time.perf_counter()
        sure = train_tiny(
            teacher_dir, originals + variants, [0] * (len(originals) + len(variants)),
            tmp / f"{task}-sure", args.positive_steps, 1,
        )  # fmt: skip
        reads_names = train_tiny(
            teacher_dir, originals + variants, [0] * len(originals) + [1] * len(variants),
            tmp / f"{task}-names", args.positive_steps, 2,
        )  # fmt: skip
        print(
            f"{task}: positive-control models trained in {time.perf_counter() - started:.0f} s",
            file=sys.stderr,
        )
        controls = {
            "null: teacher vs itself": (teacher, teacher),
            "near-null: teacher vs bfloat16 copy": (teacher, copy),
            **{
                f"student {name}": (
                    teacher,
                    CachedBackend(load_backend(ROOT / task / name, options=options), cache),
                )
                for name in (() if args.teacher else STUDENTS)  # students of another teacher prove nothing
            },
            "positive: reads identifier names": (
                load_backend(sure, options=options),
                load_backend(reads_names, options=options),
            ),
        }
        if args.controls:
            wanted = args.controls.split(",")
            controls = {k: v for k, v in controls.items() if any(w in k for w in wanted)}
        for where, units in sets.items():
            probs = teacher.predict([(u.source, u.source) if pair else u.source for u in units])
            top = probs.max(axis=1)
            confidence.append(
                f"| {task} | {where} | {len(units)} | {np.median(top):.3f} | "
                f"{(top >= config.evidence.reference).mean():.0%} | {(top >= config.thresholds.confidence_tau).mean():.0%} |"
            )
            for control, (t, s) in controls.items():
                started = time.perf_counter()
                run = config if not control.startswith("positive") else replace(config, transforms=RENAMINGS)
                findings = list(check_units(units, t, s, run))
                lines.append(row(task, where, control, tally(findings), time.perf_counter() - started))
                print(lines[-1], flush=True)
    print("\n" + "\n".join(lines))
    print(
        "\nHow sure the shipped teacher is on the originals (clone: each function paired with itself)\n\n"
        "| task | functions of | functions | median top probability | >= reference | >= tau |\n|---|---|---|---|---|---|"
    )
    print("\n".join(confidence))
    if args.accuracy:
        print(
            "\nThe shipped teacher's test accuracy by its own confidence\n\n"
            "| task | inputs | accuracy below the reference | inputs below | accuracy at or above | inputs at or above "
            "| accuracy at or above tau | inputs at or above tau |\n|---|---|---|---|---|---|---|---|"
        )
        for task in args.tasks.split(","):
            print(
                accuracy_by_confidence(
                    task, args.teacher or ROOT / task / "teacher", args.accuracy, options, config
                )
            )
    return 0


def accuracy_by_confidence(
    task: str, teacher_dir: Path, count: int, options: DeviceOptions, config: EngineConfig
) -> str:
    try:
        items = load_inputs(task, data_dir(), "test", limit=count)
    except MetaCompressError as e:
        return f"| {task} | no dataset: {e} |"
    teacher = load_backend(teacher_dir, options=options)
    probs = teacher.predict([item.model_input() for item in items])
    right = probs.argmax(axis=1) == np.array([item.label for item in items])
    top = probs.max(axis=1)
    cells = []
    for mask in (
        top < config.evidence.reference,
        top >= config.evidence.reference,
        top >= config.thresholds.confidence_tau,
    ):
        cells += [f"{right[mask].mean():.3f}" if mask.any() else "-", str(int(mask.sum()))]
    return f"| {task} | {len(items)} | " + " | ".join(cells) + " |"


if __name__ == "__main__":
    raise SystemExit(main())
