"""The padding-aware batching rule (models/batching.py): a pure function of the inputs' lengths."""

from __future__ import annotations

import random

import numpy as np
import pytest
from test_models_hf import CODE, build_model

from metacompress_core.errors import MetaCompressError
from metacompress_core.models import load_backend
from metacompress_core.models.batching import (
    MAX_PADDING,
    length_sorted_batches,
    padded_batches,
    run_batched,
)
from metacompress_core.models.device import DeviceOptions


def padding(lengths: list[int], batch: list[int]) -> float:
    """The share of a batch's padded tokens (rows x longest) that is padding."""
    width = max(lengths[i] for i in batch)
    return 1 - sum(lengths[i] for i in batch) / (width * len(batch)) if width else 0.0


def random_lengths(seed: int, n: int) -> list[int]:
    rng = random.Random(seed)
    return [rng.choice([rng.randint(1, 512), rng.randint(40, 60), 512]) for _ in range(n)]


@pytest.mark.parametrize("seed", range(20))
@pytest.mark.parametrize("max_rows", [1, 3, 16])
@pytest.mark.parametrize("max_padding", [0.0, 0.05, MAX_PADDING, 0.5])
def test_every_index_once_caps_respected_longest_first(seed, max_rows, max_padding):
    lengths = random_lengths(seed, 1 + seed * 7)
    batches = list(padded_batches(lengths, max_rows, max_padding))
    flat = [i for batch in batches for i in batch]
    assert sorted(flat) == list(range(len(lengths)))  # every index exactly once
    assert all(1 <= len(batch) <= max_rows for batch in batches)
    assert all(padding(lengths, batch) <= max_padding + 1e-12 for batch in batches)
    # Longest first, ties in input order: the batches concatenated are the stable length sort.
    assert flat == sorted(range(len(lengths)), key=lambda i: -lengths[i])
    assert batches == list(padded_batches(lengths, max_rows, max_padding))  # deterministic


def test_a_batch_is_cut_only_where_the_next_input_breaks_a_cap():
    lengths = random_lengths(7, 200)
    for max_rows, max_padding in [(16, 0.1), (8, 0.02), (32, 0.3)]:
        batches = list(padded_batches(lengths, max_rows, max_padding))
        for batch, following in zip(batches, batches[1:], strict=False):
            grown = [*batch, following[0]]  # greedy: taking the next input would have broken a cap
            assert len(grown) > max_rows or padding(lengths, grown) > max_padding


def test_padding_cap_separates_lengths_and_fills_equal_ones():
    lengths = [50, 200, 52, 198, 51, 199, 10]
    assert list(padded_batches(lengths, max_rows=16, max_padding=0.1)) == [[1, 5, 3], [2, 4, 0], [6]]
    assert list(padded_batches([64] * 40, max_rows=16)) == [
        list(range(0, 16)),
        list(range(16, 32)),
        list(range(32, 40)),
    ]
    assert list(padded_batches([0, 0, 0], max_rows=2)) == [[0, 1], [2]]  # empty inputs: no padding
    assert list(padded_batches([], max_rows=4)) == []


def test_without_the_padding_cap_it_is_the_fixed_size_length_sort():
    lengths = random_lengths(3, 75)
    for rows in (1, 4, 16):
        assert list(padded_batches(lengths, rows, max_padding=1.0)) == list(
            length_sorted_batches(lengths, rows)
        )
    with pytest.raises(ValueError):
        list(padded_batches(lengths, 0))


def test_run_batched_returns_rows_in_the_order_of_the_items():
    lengths = random_lengths(11, 60)
    items = [f"item{i}" for i in range(len(lengths))]
    seen: list[list[str]] = []

    def run(batch: list[str]) -> np.ndarray:
        seen.append(batch)
        return np.array([[int(x[4:]), len(batch)] for x in batch], dtype=np.float32)

    out = run_batched(items, lengths, 16, run)
    assert out.shape == (60, 2) and out.dtype == np.float32
    np.testing.assert_array_equal(out[:, 0], np.arange(60))  # each row is its own item's
    assert [len(b) for b in seen] == [len(b) for b in padded_batches(lengths, 16)]
    assert sum(len(b) for b in seen) == 60
    assert run_batched([], [], 16, run).shape == (0,)


def test_the_hf_backend_gives_the_same_outputs_whatever_the_batches(tmp_path):
    directory = build_model(tmp_path / "model", sidecar={"task": "vuln"})
    inputs = [CODE[i % len(CODE)] + " " * (i % 3) + "x" * (i // 3) for i in range(30)]
    outputs, batches = {}, {}
    for padding_cap in (0.0, 0.1, 1.0):
        backend = load_backend(
            directory, options=DeviceOptions(device="cpu", batch_size=8, max_padding=padding_cap)
        )
        seen: list[int] = []
        run = backend._run_logits
        backend._run_logits = lambda batch, run=run, seen=seen: seen.append(len(batch)) or run(batch)
        outputs[padding_cap], batches[padding_cap] = backend.predict(inputs), seen
    assert sum(batches[0.0]) == sum(batches[1.0]) == 30 and max(batches[1.0]) == 8
    assert len(batches[0.0]) > len(batches[0.1]) >= len(batches[1.0])  # tighter cap, more (smaller) batches
    np.testing.assert_allclose(outputs[0.0], outputs[1.0], atol=1e-5)
    np.testing.assert_allclose(outputs[0.1], outputs[1.0], atol=1e-5)
    with pytest.raises(MetaCompressError, match="max_padding"):
        DeviceOptions(max_padding=1.5)
