"""The model card (README.md) of an exported student."""

from __future__ import annotations

import json
from pathlib import Path

METHOD_TEXT = {
    "compressor": (
        "Compressor (Shi et al., ASE 2022): a genetic algorithm over (vocabulary size, layers, hidden size, "
        "heads, feed-forward size) whose fitness rewards GFLOPs (a training-free proxy for capacity) and "
        "closeness to the size target, never exceeding it; then distillation with the KL divergence to the "
        "teacher's soft labels on the unlabelled half."
    ),
    "avatar": (
        "AVATAR (Shi et al., ICSE-SEIS 2024), adapted: a few configurations are briefly distilled (probes) and "
        "ridge-regression surrogates learn their validation accuracy and held-out distillation loss (KL to the "
        "teacher) from their shape; an evolutionary multi-objective search (predicted accuracy, predicted loss, "
        "GFLOPs, size; tokenizer type BPE/WordPiece/Unigram and vocabulary included) builds a Pareto front, and "
        "the point of the front with the best predicted accuracy (ties: lower predicted loss) is picked; then "
        "the same KL distillation."
    ),
    "morph": (
        "MORPH, adapted: as AVATAR's search, plus the prediction-flip rate on renamed variants "
        "(rename-variable / rename-parameter, this project's scope-aware transforms) as an objective, measured "
        "on the probes and predicted by a second surrogate; the pick maximises predicted accuracy minus "
        "predicted flips. Distillation on the originals plus one renamed variant of each (a variant inherits "
        "its original's teacher soft label, which teaches invariance to renaming), with temperature-softened "
        "KL plus a cosine term between student and teacher probability vectors."
    ),
}


def student_card(cfg, run, model, search: dict, results: dict, size: int, variants: int = 0) -> str:
    out = Path(cfg.out)
    saved = json.loads((out / "run.json").read_text()) if (out / "run.json").is_file() else {}
    commands = [saved.get("command") or cfg.command, *saved.get("resumed_with", [])]
    arch = search["arch"]
    siamese = run.siamese
    c = model.encoder.config if siamese else model.config
    if siamese:
        pooled = "the mean of its token vectors" if siamese["pooling"] == "mean" else "its [CLS] vector"
        kind = (
            f"Siamese, as its teacher: a stock {'ModernBertModel' if arch.get('pooling') == 'mean' else 'BertModel'} "
            f"encoder reads each method alone, a method's vector is {pooled}, and a `{siamese['head']}` head "
            f"(`{siamese['file']}`, see docs/MODELS.md) reads the two vectors"
        )
    elif arch.get("pooling") == "mean":
        kind = "ModernBERT sequence classifier over the mean of its token vectors (pooled as its teacher)"
    else:
        kind = "BERT sequence classifier"
    task_name = "vulnerability prediction (C)" if cfg.task == "vuln" else "clone detection (Java)"
    if cfg.task == "vuln":
        inputs = "one C function: [CLS] code [SEP]"
    elif siamese:
        inputs = "each Java method alone, [CLS] code [SEP] (code cut from the end), no token types"
    else:
        inputs = "a pair of Java methods as a text pair: [CLS] a [SEP] b [SEP], each side truncated fairly"
    rows = []
    for split in ("valid", "test"):
        r = results[split]
        t = r["teacher"]
        rows.append(
            f"| {split} | {r['n']} | {r['accuracy']:.4f} | {r['precision']:.4f} | {r['recall']:.4f} | "
            f"{r['f1']:.4f} | {r['agreement']:.4f} | {t['accuracy']:.4f} | {t['f1']:.4f} |"
        )
    how = ""
    if cfg.method == "compressor":
        h = search.get("history") or [{}]
        how = (
            f"Genetic algorithm: population {cfg.population}, {len(h) - 1} generations, seed {cfg.seed}; "
            f"best fitness {h[-1].get('fitness')} (generation 0: {h[0].get('fitness')})."
        )
    else:
        probes = search.get("probes", [])
        how = (
            f"{len(probes)} probes, each distilled for {cfg.probe_steps} steps on {cfg.probe_examples} unlabelled "
            f"examples and measured on {cfg.valid_sample} validation examples; surrogate-guided search: population "
            f"{cfg.population}, {cfg.budget().generations} generations; predicted accuracy of the pick "
            f"{search.get('predicted_accuracy')}, predicted held-out distillation loss {search.get('predicted_loss')}"
            + (f", predicted flip rate {search.get('predicted_flips')}" if cfg.method == "morph" else "")
            + ". Probes (accuracy / loss"
            + (" / flip rate" if cfg.method == "morph" else "")
            + "): "
            + "; ".join(
                f"{p['arch']['tokenizer']} v{p['arch']['vocab']} L{p['arch']['layers']} H{p['arch']['hidden']} "
                f"A{p['arch']['heads']} F{p['arch']['ffn']}: {p['accuracy']:.3f} / {p.get('loss', float('nan')):.3f}"
                + (f" / {p['flips']:.3f}" if cfg.method == "morph" else "")
                for p in probes
            )
            + "."
        )
    variants = f" plus {variants:,} renamed variants" if cfg.method == "morph" and variants else ""
    return f"""# MetaCompress student ({cfg.method}): {task_name}

A {size / 1e6:.2f} MB student distilled by `metacompress distill student --method {cfg.method}` from the
teacher `{cfg.teacher}`. It is meant to be tested against that teacher with `metacompress check`.

## Model
- {kind}: {c.num_hidden_layers} layers, hidden {c.hidden_size}, {c.num_attention_heads} heads,
  feed-forward {c.intermediate_size}, {c.max_position_embeddings} positions, vocabulary {c.vocab_size}
  ({arch["tokenizer"]} tokenizer trained with the `tokenizers` library on the unlabelled half's code; asked for
  {arch["vocab"]}), {model.num_parameters():,} parameters, {search["gflops"]} GFLOPs per input of
  {cfg.max_length} tokens.
- Size: {size:,} bytes of model.safetensors{" and the head file" if siamese else ""} (float16 weights; config.json says float32, so loaders compute in
  float32); target {cfg.target_bytes:,} bytes (a hard limit).
- Labels: {" / ".join(("safe", "vulnerable") if cfg.task == "vuln" else ("not-clone", "clone"))} (index 1 = the
  positive class). Input: {inputs}; max length {cfg.max_length} tokens{" per method" if siamese else ""}.

## Data
{run.data.describe}{variants}. Soft labels: the teacher's probabilities (computed once, cached in the run
folder). Labels of the unlabelled half are never used. Validation: {len(run.data.valid)} examples; test:
{len(run.data.test)}. See docs/DATASETS.md.

## Method
{METHOD_TEXT[cfg.method]}

Search: {how}

## Training
AdamW, learning rate {cfg.lr}, weight decay {cfg.weight_decay}, linear warm-up ({cfg.warmup:.0%}) and decay,
batch size {cfg.batch_size} (length-bucketed), {cfg.epochs} epoch(s){f", at most {cfg.max_steps} steps" if cfg.max_steps else ""},
temperature {cfg.temperature}, cosine weight {cfg.cosine}, gradient clipping 1.0, seed {cfg.seed}, float32.

## Measured metrics (these fp16 weights, computed in float32)
| split | n | accuracy | precision | recall | F1 | agreement with teacher | teacher accuracy | teacher F1 |
|---|---|---|---|---|---|---|---|---|
{chr(10).join(rows)}

## Reproduce
```
{chr(10).join(commands)}
```
Budgets: the defaults are scaled to a 2-core CPU (see docs/MODELS.md, "Distilling students"); on a GPU pass
`--device cuda` and larger budgets (`--search-budget`, `--epochs`, no `--unlabelled-limit`).
"""
