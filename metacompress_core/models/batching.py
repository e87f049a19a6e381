"""Batches sorted by token length, so that padding (and so wasted compute) stays small."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import TypeVar

import numpy as np
import torch

T = TypeVar("T")


def length_sorted_batches(lengths: Sequence[int], batch_size: int) -> Iterator[list[int]]:
    """Indices grouped into batches of at most `batch_size`, longest first (stable for equal lengths)."""
    order = sorted(range(len(lengths)), key=lambda i: -lengths[i])
    for start in range(0, len(order), batch_size):
        yield order[start : start + batch_size]


def run_batched(
    items: Sequence[T], lengths: Sequence[int], batch_size: int, run: Callable[[list[T]], np.ndarray]
) -> np.ndarray:
    """`run` over length-sorted batches of `items`; rows come back in the order of `items`."""
    out: np.ndarray | None = None
    for batch in length_sorted_batches(lengths, batch_size):
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
