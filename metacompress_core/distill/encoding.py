"""Token ids for single functions and function pairs, and length-bucketed batches."""

from __future__ import annotations

import random
from dataclasses import dataclass

from metacompress_core.models.batching import pair_lengths


@dataclass(frozen=True)
class Specials:
    cls: int
    sep: int
    pad: int


def single_ids(tokens: list[int], max_length: int, sp: Specials) -> tuple[list[int], list[int]]:
    ids = [sp.cls, *tokens[: max_length - 2], sp.sep]
    return ids, [0] * len(ids)


def pair_ids(a: list[int], b: list[int], max_length: int, sp: Specials) -> tuple[list[int], list[int]]:
    """[CLS] a [SEP] b [SEP], as BERT encodes a text pair."""
    la, lb = pair_lengths(len(a), len(b), max_length - 3)
    first = [sp.cls, *a[:la], sp.sep]
    second = [*b[:lb], sp.sep]
    return first + second, [0] * len(first) + [1] * len(second)


def epoch_batches(
    lengths: list[int], batch_size: int, seed: int, epoch: int, shuffle: bool = True
) -> list[list[int]]:
    """Batches of similar length (less padding), in an order fixed by (seed, epoch) so a resumed run replays it."""
    order = list(range(len(lengths)))
    rng = random.Random(seed * 1_000_003 + epoch)
    if shuffle:
        rng.shuffle(order)
    pool = batch_size * 50
    batches = []
    for start in range(0, len(order), pool):
        chunk = sorted(order[start : start + pool], key=lambda i: lengths[i])
        batches += [chunk[i : i + batch_size] for i in range(0, len(chunk), batch_size)]
    if shuffle:
        rng.shuffle(batches)
    return batches
