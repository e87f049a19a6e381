"""The prediction cache verifies what it reads (issue 12): a value damaged on disk that still parses (the right
size, other numbers, or NaN) is a miss, recomputed by the model and written again, never a silently wrong
result."""

from __future__ import annotations

import numpy as np
import pytest
from test_models_hf import CODE, build_model

from metacompress_core.models import CachedBackend, PredictionCache, input_digest, load_backend
from metacompress_core.models.cache import _sealed


@pytest.fixture(scope="module")
def backend(tmp_path_factory):
    return load_backend(build_model(tmp_path_factory.mktemp("integrity") / "model", sidecar={"task": "vuln"}))


def _keys(backend) -> list[str]:
    return [f"{backend.fingerprint}:{input_digest(code)}" for code in CODE]


def _damage(cache: PredictionCache, key: str, change) -> None:
    raw = cache._store.get(key)
    assert isinstance(raw, bytes)
    cache._store.set(key, change(raw, key))


@pytest.mark.parametrize(
    "change",
    [
        # other probabilities in the value's place, the rest of it kept
        lambda raw, key: np.array([0.0, 1.0], dtype=np.float32).tobytes() + raw[8:],
        # NaN where the probabilities were
        lambda raw, key: np.array([np.nan, np.nan], dtype=np.float32).tobytes() + raw[8:],
        # one flipped bit
        lambda raw, key: bytes([raw[0] ^ 0x01]) + raw[1:],
        # the probabilities alone, NaN, as a writer without the check would store them
        lambda raw, key: np.array([np.nan, np.nan], dtype=np.float32).tobytes(),
        # infinity, even with a matching checksum: only finite values are results
        lambda raw, key: _sealed(key, np.array([np.inf, 0.0], dtype=np.float32).tobytes()),
    ],
    ids=["swapped", "nan", "bit-flip", "bare-nan", "inf"],
)
def test_a_damaged_value_is_a_miss_and_is_recomputed(tmp_path, backend, change):
    expected = backend.predict(CODE)
    cache = PredictionCache(tmp_path / "cache")
    CachedBackend(backend, cache).predict(CODE)
    for key in _keys(backend):
        _damage(cache, key, change)

    again = CachedBackend(backend, cache)
    np.testing.assert_allclose(again.predict(CODE), expected, atol=1e-7)
    assert again.model_inputs == len(CODE)  # every damaged value went back to the model
    assert cache.rejected == len(CODE)
    warm = CachedBackend(backend, cache)
    np.testing.assert_allclose(warm.predict(CODE), expected, atol=1e-7)
    assert warm.model_calls == 0  # and the recomputed values were written back, verified
