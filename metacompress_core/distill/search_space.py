"""The space students are searched in (Compressor's ranges by default) and the moves of the searches in it.

Every draw and every move goes through a `random.Random` passed in, so a search is fixed by its seed.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, fields, replace

from metacompress_core.distill.architecture import MIN_VOCAB, TOKENIZERS, Arch
from metacompress_core.errors import MetaCompressError

HEADS = (1, 2, 4, 8)


@dataclass(frozen=True)
class SearchSpace:
    """Inclusive ranges; hidden and feed-forward sizes move in steps of 8 (hidden stays a multiple of heads)."""

    vocab: tuple[int, int] = (1000, 46000)  # Compressor: 1,000 to 46,000 BPE tokens
    layers: tuple[int, int] = (1, 12)
    hidden: tuple[int, int] = (16, 256)
    ffn: tuple[int, int] = (32, 3072)
    tokenizers: tuple[str, ...] = ("bpe",)
    vocab_step: int = 500
    pooling: str = "first"  # fixed per run: a student pools as its teacher does

    def __post_init__(self) -> None:
        for f in ("vocab", "layers", "hidden", "ffn"):
            lo, hi = getattr(self, f)
            if lo < 1 or hi < lo:
                raise MetaCompressError(f"search space: {f} range {lo}:{hi} is empty")
        bad = [t for t in self.tokenizers if t not in TOKENIZERS]
        if bad:
            raise MetaCompressError(f"search space: unknown tokenizer(s) {bad}; known: {list(TOKENIZERS)}")

    def with_ranges(self, spec: str | None) -> SearchSpace:
        """Overrides such as "vocab=200:4000,layers=1:4,hidden=16:128,ffn=32:512"."""
        if not spec:
            return self
        known = {f.name for f in fields(self)} - {"tokenizers", "vocab_step", "pooling"}
        changes: dict = {}
        for part in spec.split(","):
            key, _, rng = part.partition("=")
            lo, _, hi = rng.partition(":")
            if key.strip() not in known or not lo.strip().isdigit() or not hi.strip().isdigit():
                raise MetaCompressError(
                    f"--space: cannot read {part!r}; expected NAME=MIN:MAX with NAME in {sorted(known)}"
                )
            changes[key.strip()] = (int(lo), int(hi))
        return replace(self, **changes)


def _step(lo: int, hi: int, step: int, rng: random.Random) -> int:
    return min(hi, lo + step * rng.randrange((hi - lo) // step + 1))


def _clip(value: int, lo: int, hi: int) -> int:
    return max(lo, min(hi, value))


def repair(a: Arch, space: SearchSpace) -> Arch:
    """The nearest legal architecture: ranges respected, hidden a multiple of the head count (and, for
    ModernBERT students, an even head size)."""
    heads = a.heads if a.heads in HEADS else 1
    hidden = _clip(a.hidden, *space.hidden)
    rotary = space.pooling == "mean"  # ModernBERT's rotary positions need an even head size
    if rotary and hidden % 2:
        hidden = hidden - 1 if hidden - 1 >= space.hidden[0] else hidden + 1
    while heads > 1 and (hidden % heads or hidden // heads < 4 or (rotary and hidden // heads % 2)):
        heads //= 2
    tokenizer = a.tokenizer if a.tokenizer in space.tokenizers else space.tokenizers[0]
    return Arch(
        tokenizer,
        max(_clip(a.vocab, *space.vocab), MIN_VOCAB[tokenizer]),  # below it the tokenizer would overshoot
        _clip(a.layers, *space.layers),
        hidden,
        heads,
        _clip(a.ffn, *space.ffn),
        space.pooling,
    )


def sample(space: SearchSpace, rng: random.Random) -> Arch:
    return repair(
        Arch(
            rng.choice(space.tokenizers),
            _step(space.vocab[0], space.vocab[1], max(1, space.vocab_step), rng),
            rng.randint(*space.layers),
            _step(space.hidden[0], space.hidden[1], 8, rng),
            rng.choice(HEADS),
            _step(space.ffn[0], space.ffn[1], 8, rng),
        ),
        space,
    )


def _genes(a: Arch) -> dict:
    """What the searches move: every field but pooling, which the space fixes (repair puts it back)."""
    return {k: v for k, v in a.to_dict().items() if k != "pooling"}


def mutate(a: Arch, space: SearchSpace, rng: random.Random, rate: float = 0.3) -> Arch:
    """Each gene, with probability `rate`, is redrawn (tokenizer, heads) or moved by up to a quarter of its range."""
    genes = _genes(a)
    fresh = _genes(sample(space, rng))
    for name in genes:
        if rng.random() >= rate:
            continue
        if name in ("tokenizer", "heads"):
            genes[name] = fresh[name]
        else:
            lo, hi = getattr(space, name)
            span = max(1, (hi - lo) // 4)
            genes[name] = genes[name] + rng.randint(-span, span)
    return repair(Arch(**genes), space)


def crossover(a: Arch, b: Arch, space: SearchSpace, rng: random.Random) -> Arch:
    """Uniform crossover: every gene from one parent or the other."""
    x, y = _genes(a), _genes(b)
    return repair(Arch(**{k: (x[k] if rng.random() < 0.5 else y[k]) for k in x}), space)
