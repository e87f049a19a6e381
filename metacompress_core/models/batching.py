"""Batches sorted by token length and cut where padding would grow, so that little compute is spent on padding.

A batch is padded to its longest input, and a transformer computes every padded position as it computes a token.
On a CPU a big model is compute-bound already at batch 1, so a padded position costs as much as a real one and
batching gains nothing to offset it (bench/scale.py: time followed the padded positions, docs/PERFORMANCE.md).
`padded_batches` therefore sorts the inputs by length (longest first) and starts a new batch before the input that
would make the batch's padding more than `max_padding` (the setting, default `MAX_PADDING`) of its positions,
besides the row cap (the `batch_size` setting). Which inputs share a batch changes only the float rounding of
their outputs, never their order.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import TypeVar

import numpy as np
import torch

from metacompress_core.models.device import MAX_PADDING

T = TypeVar("T")


def length_sorted_batches(lengths: Sequence[int], batch_size: int) -> Iterator[list[int]]:
    """Indices grouped into batches of at most `batch_size`, longest first (stable for equal lengths)."""
    order = sorted(range(len(lengths)), key=lambda i: -lengths[i])
    for start in range(0, len(order), batch_size):
        yield order[start : start + batch_size]


def padded_batches(
    lengths: Sequence[int], max_rows: int, max_padding: float = MAX_PADDING
) -> Iterator[list[int]]:
    """Indices in length-sorted batches (longest first, stable for equal lengths), each cut before the input that
    would give it more than `max_rows` rows or make more than `max_padding` of its positions (rows x its longest
    length) padding. A batch takes at least one input; every index comes exactly once; `max_padding` 1 gives
    `length_sorted_batches`."""
    if max_rows < 1:
        raise ValueError(f"max_rows must be at least 1, got {max_rows}")
    order = sorted(range(len(lengths)), key=lambda i: -lengths[i])
    batch: list[int] = []
    width = real = 0  # the batch's longest length (its first input's) and its real, unpadded tokens
    for i in order:
        if batch:
            positions = (len(batch) + 1) * width
            if len(batch) == max_rows or positions - real - lengths[i] > max_padding * positions:
                yield batch
                batch = []
        if not batch:
            width, real = lengths[i], 0
        batch.append(i)
        real += lengths[i]
    if batch:
        yield batch


def run_batched(
    items: Sequence[T],
    lengths: Sequence[int],
    batch_size: int,
    run: Callable[[list[T]], np.ndarray],
    max_padding: float = MAX_PADDING,
) -> np.ndarray:
    """`run` over padding-aware length-sorted batches of `items` (`padded_batches`, at most `batch_size` rows);
    rows come back in the order of `items`."""
    out: np.ndarray | None = None
    for batch in padded_batches(lengths, batch_size, max_padding):
        rows = run([items[i] for i in batch])
        if out is None:
            out = np.empty((len(items), *rows.shape[1:]), dtype=rows.dtype)
        out[batch] = rows
    if out is None:
        return np.empty((0,), dtype=np.float32)
    return out


def unique_first(items: Sequence[T]) -> tuple[list[T], list[int]]:
    """The distinct items (first occurrence order) and, for every item, the index of its distinct copy."""
    index: dict[T, int] = {}
    distinct: list[T] = []
    where = []
    for item in items:
        j = index.get(item)
        if j is None:
            j = index[item] = len(distinct)
            distinct.append(item)
        where.append(j)
    return distinct, where


def pair_lengths(len_a: int, len_b: int, budget: int) -> tuple[int, int]:
    """Truncate a pair fairly: each side keeps half the budget, a short side gives its leftover to the other."""
    if len_a + len_b <= budget:
        return len_a, len_b
    half = budget // 2
    if len_a <= half:
        return len_a, budget - len_a
    if len_b <= half:
        return budget - len_b, len_b
    return half, budget - half


def collate(items: Sequence[tuple[Sequence[int], Sequence[int]]], pad: int) -> dict[str, torch.Tensor]:
    """Right-padded input ids, token type ids and attention mask of (ids, type ids) items."""
    width = max(len(ids) for ids, _ in items)
    input_ids = torch.full((len(items), width), pad, dtype=torch.long)
    types = torch.zeros((len(items), width), dtype=torch.long)
    mask = torch.zeros((len(items), width), dtype=torch.long)
    for row, (ids, tt) in enumerate(items):
        input_ids[row, : len(ids)] = torch.tensor(ids)
        types[row, : len(tt)] = torch.tensor(tt)
        mask[row, : len(ids)] = 1
    return {"input_ids": input_ids, "token_type_ids": types, "attention_mask": mask}
