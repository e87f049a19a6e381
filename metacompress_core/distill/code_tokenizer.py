"""The students' own tokenizers, trained with the `tokenizers` library on the unlabelled half's code.

BERT-style specials and post-processing ([CLS] a [SEP] b [SEP], token types 0/1), so a student encodes pairs
exactly as the teachers and the checker do. Case is kept (code is case-sensitive); every printable ASCII
character is in the initial alphabet, so code unlike the training corpus still avoids [UNK].
"""

from __future__ import annotations

from collections.abc import Sequence

from metacompress_core.distill.architecture import MIN_VOCAB
from metacompress_core.distill.base_model import SPECIALS
from metacompress_core.errors import MetaCompressError

ALPHABET = [chr(c) for c in range(33, 127)]


def train_tokenizer(texts: Sequence[str], kind: str, vocab_size: int):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers

    if kind not in MIN_VOCAB:
        raise MetaCompressError(f"unknown tokenizer type {kind!r}: use bpe, wordpiece or unigram")
    if vocab_size < MIN_VOCAB[kind]:
        raise MetaCompressError(
            f"a {kind} vocabulary needs at least {MIN_VOCAB[kind]} tokens, got {vocab_size}"
        )
    if kind == "bpe":
        tok = Tokenizer(models.BPE(unk_token="[UNK]"))
        trainer = trainers.BpeTrainer(
            vocab_size=vocab_size,
            min_frequency=2,
            special_tokens=list(SPECIALS),
            initial_alphabet=ALPHABET,
            show_progress=False,
        )
    elif kind == "wordpiece":
        tok = Tokenizer(models.WordPiece(unk_token="[UNK]"))
        trainer = trainers.WordPieceTrainer(
            vocab_size=vocab_size - len(ALPHABET),
            min_frequency=2,
            special_tokens=list(SPECIALS),
            initial_alphabet=ALPHABET,
            show_progress=False,
        )
        tok.decoder = decoders.WordPiece()
    else:
        tok = Tokenizer(models.Unigram())
        trainer = trainers.UnigramTrainer(
            vocab_size=vocab_size,
            special_tokens=list(SPECIALS),
            unk_token="[UNK]",
            initial_alphabet=ALPHABET,
            show_progress=False,
        )
    # Words and runs of punctuation, whitespace dropped: the same split for every tokenizer type.
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    tok.train_from_iterator(list(texts), trainer=trainer)
    if kind == "wordpiece":
        tok = _with_all_continuations(tok)
    ids = {s: tok.token_to_id(s) for s in SPECIALS}
    if any(v is None for v in ids.values()):
        raise MetaCompressError(f"the trained {kind} tokenizer lacks special tokens: {ids}")
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]",
        pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", ids["[CLS]"]), ("[SEP]", ids["[SEP]"])],
    )
    tok.no_truncation()
    tok.no_padding()
    return tok


def _with_all_continuations(tok):
    """WordPiece turns a whole word into [UNK] when one piece is missing: add "##c" for every ASCII character
    (the trainer only makes those it saw; room for them was left in the vocabulary size)."""
    import json

    from tokenizers import Tokenizer

    spec = json.loads(tok.to_str())
    vocab = spec["model"]["vocab"]
    for c in ALPHABET:
        for piece in (c, "##" + c):
            if piece not in vocab:
                vocab[piece] = len(vocab)
    return Tokenizer.from_str(json.dumps(spec))
