"""Real transformers models whose behaviour is known by construction, for engine, CLI and editor tests.

`keyword_model(dir, keyword)` saves a 1-layer BERT sequence classifier (save_pretrained, safetensors, a real
WordLevel tokenizer) whose weights are set by hand so that it answers "positive" (index 1) exactly when the
input contains `keyword`, with fixed probabilities. Uniform attention pools every token into [CLS], and layer
normalisation turns "how often" into "whether", so the outcome does not depend on the input's length.

A teacher keyed to a word no transform ever introduces and a student keyed to `while` give a known
disagreement: the student flips on the for -> while variants of a function, and the teacher does not.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import torch
from tokenizers import Tokenizer, models, pre_tokenizers, processors
from transformers import BertConfig, BertForSequenceClassification, PreTrainedTokenizerFast

HIDDEN = 4
NEGATIVE_LOGIT = 2.0  # P(positive) = sigmoid(-2) ~ 0.119 without the keyword
POSITIVE_WEIGHT = 6.0  # with it: logit margin 6 * tanh(sqrt(3)) - 2 ~ 3.65 -> P(positive) ~ 0.975


def _vocabulary(extra: list[str]) -> dict[str, int]:
    words = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", *extra]
    return {w: i for i, w in enumerate(dict.fromkeys(words))}


def keyword_model(
    directory: Path,
    keyword: str,
    task: str = "vuln",
    labels: tuple[str, str] = ("safe", "vulnerable"),
    negative_logit: float = NEGATIVE_LOGIT,
    positive_weight: float = POSITIVE_WEIGHT,
) -> Path:
    """`negative_logit` sets P(negative) without the keyword (sigmoid of it: 2.0 -> 0.881, 3.0 -> 0.953,
    0.2 -> 0.550); a negative `positive_weight` with a negative `negative_logit` turns the model around: positive
    unless the keyword is there."""
    vocab = _vocabulary([keyword, "for", "while", "if", "else", "int", "return", "malloc", "tmp", "value"])
    tok = Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.Sequence(
        [pre_tokenizers.Whitespace(), pre_tokenizers.Split(re.compile(r"[^\w]").pattern, "isolated")]
    )
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]",
        pair="[CLS] $A [SEP] $B [SEP]",
        special_tokens=[("[CLS]", vocab["[CLS]"]), ("[SEP]", vocab["[SEP]"])],
    )
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok, unk_token="[UNK]", pad_token="[PAD]", cls_token="[CLS]", sep_token="[SEP]"
    )
    fast.model_max_length = 512
    config = BertConfig(
        vocab_size=len(vocab),
        hidden_size=HIDDEN,
        num_hidden_layers=1,
        num_attention_heads=1,
        intermediate_size=4,
        max_position_embeddings=512,
        type_vocab_size=2,
        num_labels=2,
        id2label={0: labels[0], 1: labels[1]},
        label2id={labels[0]: 0, labels[1]: 1},
        hidden_dropout_prob=0.0,
        attention_probs_dropout_prob=0.0,
        pad_token_id=vocab["[PAD]"],
    )
    torch.manual_seed(0)
    model = BertForSequenceClassification(config)
    with torch.no_grad():
        for p in model.parameters():
            p.zero_()
        for ln in (
            model.bert.embeddings.LayerNorm,
            model.bert.encoder.layer[0].attention.output.LayerNorm,
            model.bert.encoder.layer[0].output.LayerNorm,
        ):
            ln.weight.fill_(1.0)
        model.bert.embeddings.word_embeddings.weight[vocab[keyword], 0] = 1.0
        attention = model.bert.encoder.layer[0].attention
        attention.self.value.weight.copy_(torch.eye(HIDDEN))  # Q = K = 0: uniform attention
        attention.output.dense.weight.copy_(torch.eye(HIDDEN))
        model.bert.pooler.dense.weight.copy_(torch.eye(HIDDEN))
        model.classifier.bias[0] = negative_logit
        model.classifier.weight[1, 0] = positive_weight
    directory.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(directory)
    fast.save_pretrained(directory)
    (directory / "metacompress.json").write_text(json.dumps({"task": task, "labels": list(labels)}))
    return directory


# Three C functions whose outcome under (teacher "malloc", student "while") is known: only `sum` has a `for`
# loop, so only its for -> while variant makes the student flip; `twice` and `clamp` never disagree.
C_THREE_FUNCTIONS = """\
int sum(const int *a, int n)
{
    int total = 0;
    for (int i = 0; i < n; i++)
        total += a[i];
    return total;
}

int twice(int x)
{
    int y = x * 2;
    return y;
}

int clamp(int v, int lo, int hi)
{
    if (v < lo)
        return lo;
    return v > hi ? hi : v;
}
"""
