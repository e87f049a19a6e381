"""A student's architecture: a small BERT classifier, its exact parameter count, weight size and GFLOPs.

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

    def to_dict(self) -> dict:
        return asdict(self)

    def describe(self) -> str:
        return (
            f"{self.tokenizer} vocab {self.vocab}, {self.layers} layers, hidden {self.hidden}, "
            f"{self.heads} heads, feed-forward {self.ffn}"
        )


def param_count(a: Arch, max_length: int) -> int:
    """Parameters of BertForSequenceClassification (2 labels, 2 token types, pooler) for this architecture."""
    h, f = a.hidden, a.ffn
    embeddings = a.vocab * h + max_length * h + 2 * h + 2 * h
    layer = 4 * (h * h + h) + 2 * h + (h * f + f) + (f * h + h) + 2 * h
    pooler = h * h + h
    classifier = 2 * h + 2
    return embeddings + a.layers * layer + pooler + classifier


def tensor_count(a: Arch) -> int:
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
    per_layer = 4 * n * h * h + 2 * n * n * h + 2 * n * h * f
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


def build_student(a: Arch, max_length: int, pad_id: int, seed: int):
    import torch
    from transformers import BertForSequenceClassification

    torch.manual_seed(seed)
    return BertForSequenceClassification(bert_config(a, max_length, pad_id))
