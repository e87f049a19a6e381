"""The "Exact input encoding" section of a model card, read from the saved folder itself (sidecar, config,
tokenizer), so that it says what the files do: enough to reproduce the model's scores with plain transformers,
without reading this project's code."""

from __future__ import annotations

import json
from pathlib import Path

from metacompress_core.models.hf import SIDECAR

HEADING = "## Exact input encoding (to reproduce the scores with plain transformers)"

_CONCAT = (
    "`concat`: logits = (W·[u, v, |u−v|, u∘v] + W·[v, u, |u−v|, u∘v]) / 2 + b, with W [2, 4h] and b [2] the "
    "tensors `weight` and `bias` of `{file}`"
)
_COSINE = (
    "`cosine`: logits = [0, s · (cos(u, v) − t)], with s and t the tensors `scale` and `shift` of `{file}`"
)


def encoding_section(folder: Path) -> str:
    folder = Path(folder)
    sidecar = json.loads((folder / SIDECAR).read_text(encoding="utf-8"))
    config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    tokenizer = json.loads((folder / "tokenizer_config.json").read_text(encoding="utf-8"))
    labels = sidecar["labels"]
    length = sidecar["max_length"]
    form = sidecar.get("input_form", "single")
    types = "token_type_ids" in tokenizer.get("model_input_names", ["token_type_ids"])
    positive = f"**index 1 = {labels[1]}** (index 0 = {labels[0]})"
    whitespace = (
        "runs of whitespace collapsed to one space"
        if sidecar.get("whitespace") == "collapse"
        else "text kept as is"
    )
    if form == "pair-siamese":
        spec = sidecar["siamese"]
        pooled = (
            "the mean of h over the real tokens ([CLS] and [SEP] included, padding excluded)"
            if spec["pooling"] == "mean"
            else "the first token's vector h[:, 0]"
        )
        head = (_CONCAT if spec["head"] == "concat" else _COSINE).format(file=spec["file"])
        steps = [
            f"Each method alone, {whitespace}: `tokenizer(code, truncation=True, max_length={length})`, i.e. "
            f"`[CLS] code [SEP]` with at most {length} tokens (the code's tokens cut from the end); no token "
            "types, no pair encoding.",
            "`h = AutoModel.from_pretrained(DIR)(input_ids=..., attention_mask=...).last_hidden_state`; the "
            f"method's vector is {pooled}.",
            f"With u, v the two methods' vectors, head {head}. Probabilities = softmax(logits); {positive}. The "
            "head is symmetric: (a, b) and (b, a) score the same.",
        ]
    else:
        if form == "pair-text":
            budget = length - 3
            steps = [
                f"A pair (a, b), {whitespace}, as one text: `[CLS] a [SEP] b [SEP]` with at most {length} tokens. "
                f"Truncation is *fair*, not the tokenizer's `longest_first`: of the {budget} code tokens a keeps "
                f"up to {budget // 2} and b the rest (a side shorter than its share lends what it leaves to the "
                "other), each cut from its end. Encode each side with `add_special_tokens=False`, cut, then join with the specials.",
                "Token type ids: 0 for `[CLS] a [SEP]`, 1 for `b [SEP]`."
                if types
                else "No token type ids (the model has none).",
            ]
        else:
            steps = [
                f"One function, {whitespace}: `tokenizer(code, truncation=True, max_length={length})`, i.e. "
                f"`[CLS] code [SEP]` with at most {length} tokens (the code's tokens cut from the end)"
                + ("; token type ids all 0." if types else "; no token type ids."),
            ]
        pooling = (
            "the classifier reads the mean of the last layer's token vectors over the real tokens "
            "(`classifier_pooling: mean` in config.json)"
            if config.get("classifier_pooling") == "mean"
            else "the classifier reads the first token ([CLS]) through the pooler"
        )
        steps.append(
            f"`AutoModelForSequenceClassification.from_pretrained(DIR)(**inputs).logits`: {pooling}. "
            f"Probabilities = softmax(logits); {positive}."
        )
    numbered = "\n".join(f"{i}. {step}" for i, step in enumerate(steps, 1))
    return (
        f"{HEADING}\n{numbered}\n\nWeights are stored in float16 and computed in float32 (config.json says "
        "float32). `metacompress.json` states the task, labels, length and input form; MetaCompress's HF "
        "backend encodes exactly this way.\n"
    )


def with_encoding_section(card: str, folder: Path) -> str:
    """`card` with its encoding section (re)written from `folder`, placed before its "## Data" section."""
    section = encoding_section(folder)
    if HEADING in card:
        start = card.index(HEADING)
        end = card.find("\n## ", start + len(HEADING))
        card = card[:start] + card[end + 1 :] if end != -1 else card[:start]
    at = card.find("\n## Data")
    return card + "\n" + section if at == -1 else card[: at + 1] + section + "\n" + card[at + 1 :]
