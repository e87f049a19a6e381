"""A student's architecture: a small BERT classifier, its exact parameter count, weight size and GFLOPs.

Pooling "first" is a BERT that classifies its [CLS] vector; "mean" is a ModernBERT that classifies the mean of
its token vectors (the students of a mean-pooled teacher: see base_model.build_mean_pooled for why). The students
of a siamese clone teacher are siamese too (build_siamese_student): the same encoder without its classifier, and
the teacher's kind of head over the two functions' pooled vectors; the size estimate (which counts a
classifier of 2h + 2 and, for BERT, a pooler) bounds them.

Size is what ships: the bytes of model.safetensors with float16 weights (2 bytes per parameter plus the
safetensors header, estimated generously so the search never picks a model that exports over the target).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

TOKENIZERS = ("bpe", "wordpiece", "unigram")
# 5 specials + 94 printable ASCII characters; WordPiece also keeps "##c" for each (see code_tokenizer.py).
MIN_VOCAB = {"bpe": 99, "wordpiece": 193, "unigram": 99}
BYTES_PER_PARAM = 2  # float16 export, as the teachers
HEADER_BYTES_PER_TENSOR = 160  # safetensors JSON header entry (name, dtype, shape, offsets), generous
HEADER_BYTES_FIXED = 64


@dataclass(frozen=True, order=True)
class Arch:
    tokenizer: str  # bpe | wordpiece | unigram
    vocab: int
    layers: int
    hidden: int
    heads: int
    ffn: int
    pooling: str = "first"  # first: BertForSequenceClassification; mean: ModernBertForSequenceClassification

    def to_dict(self) -> dict:
        return asdict(self)

    def describe(self) -> str:
        return (
            f"{self.tokenizer} vocab {self.vocab}, {self.layers} layers, hidden {self.hidden}, "
            f"{self.heads} heads, feed-forward {self.ffn}"
            + (", ModernBERT, mean pooling" if self.pooling == "mean" else "")
        )


def param_count(a: Arch, max_length: int) -> int:
    """Parameters of BertForSequenceClassification (2 labels, 2 token types, pooler) for this architecture,
    or of ModernBertForSequenceClassification (no biases but the classifier's, GeGLU, no first attention norm)."""
    h, f = a.hidden, a.ffn
    if a.pooling == "mean":
        layers = a.layers * (4 * h * h + 3 * f * h + h) + (a.layers - 1) * h
        return a.vocab * h + h + layers + h + (h * h + h) + (2 * h + 2)
    embeddings = a.vocab * h + max_length * h + 2 * h + 2 * h
    layer = 4 * (h * h + h) + 2 * h + (h * f + f) + (f * h + h) + 2 * h
    pooler = h * h + h
    classifier = 2 * h + 2
    return embeddings + a.layers * layer + pooler + classifier


def tensor_count(a: Arch) -> int:
    if a.pooling == "mean":
        return 6 * a.layers + 6
    return 5 + 16 * a.layers + 2 + 2


def weight_bytes(a: Arch, max_length: int) -> int:
    """Upper estimate of model.safetensors' size with float16 weights."""
    return (
        BYTES_PER_PARAM * param_count(a, max_length)
        + HEADER_BYTES_PER_TENSOR * tensor_count(a)
        + HEADER_BYTES_FIXED
    )


def gflops(a: Arch, seq_len: int) -> float:
    """Forward-pass GFLOPs (2 per multiply-add) on one input of `seq_len` tokens."""
    h, f, n = a.hidden, a.ffn, seq_len
    mlp = 3 * n * h * f if a.pooling == "mean" else 2 * n * h * f  # GeGLU has two input projections
    per_layer = 4 * n * h * h + 2 * n * n * h + mlp
    macs = a.layers * per_layer + h * h + 2 * h
    return 2 * macs / 1e9


def bert_config(a: Arch, max_length: int, pad_id: int):
    from transformers import BertConfig

    return BertConfig(
        vocab_size=a.vocab,
        hidden_size=a.hidden,
        num_hidden_layers=a.layers,
        num_attention_heads=a.heads,
        intermediate_size=a.ffn,
        max_position_embeddings=max_length,
        type_vocab_size=2,
        pad_token_id=pad_id,
        num_labels=2,
        architectures=["BertForSequenceClassification"],
        dtype="float32",
    )


def build_student(a: Arch, max_length: int, pad_id: int, seed: int, specials: dict[str, int] | None = None):
    """specials (mean pooling): the ids of [PAD], [CLS] and [SEP] in the student's tokenizer."""
    import torch
    from transformers import BertForSequenceClassification

    torch.manual_seed(seed)
    if a.pooling == "mean":
        from transformers import ModernBertForSequenceClassification

        from metacompress_core.distill.base_model import mean_pooled_config  # deferred: torch

        ids = specials or {"[PAD]": pad_id, "[CLS]": pad_id, "[SEP]": pad_id}
        config = mean_pooled_config(a.vocab, ids, a.layers, a.hidden, a.heads, a.ffn, max_length)
        return ModernBertForSequenceClassification(config)
    return BertForSequenceClassification(bert_config(a, max_length, pad_id))


def build_siamese_student(
    a: Arch, max_length: int, pad_id: int, seed: int, head: str, specials: dict[str, int] | None = None
):
    """A siamese student: the encoder of build_student's classifier (bare: no pooler, no classifier) pooled as
    `a.pooling` says, and a `head` (concat or cosine) over two functions' vectors."""
    from metacompress_core.models.siamese import SiameseHead, SiameseModel  # deferred: torch

    classifier = build_student(a, max_length, pad_id, seed, specials)
    if a.pooling == "mean":
        encoder = classifier.model  # ModernBertModel
        encoder.config.architectures = ["ModernBertModel"]
    else:
        encoder = classifier.bert
        encoder.pooler = None
        encoder.config.add_pooling_layer = False
        encoder.config.architectures = ["BertModel"]
    return SiameseModel(encoder, SiameseHead(head, a.hidden), a.pooling)
