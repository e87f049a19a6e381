"""The persistent prediction cache in front of a real tiny model: hits skip the model, damage is survived."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import numpy as np
import pytest
from test_models_hf import CODE, build_model

from metacompress_core.models import (
    CachedBackend,
    PredictionCache,
    default_cache_dir,
    input_digest,
    load_backend,
)


@pytest.fixture(scope="module")
def backend(tmp_path_factory):
    return load_backend(build_model(tmp_path_factory.mktemp("cached") / "model", sidecar={"task": "vuln"}))


def test_second_run_makes_no_model_calls(tmp_path, backend):
    first = CachedBackend(backend, PredictionCache(tmp_path / "cache"))
    expected = first.predict(CODE)
    assert first.model_calls == 1 and first.model_inputs == len(CODE)
    first.cache.close()

    # A new process would start exactly like this: a fresh cache object on the same directory.
    second = CachedBackend(backend, PredictionCache(tmp_path / "cache"))
    again = second.predict(CODE)
    assert second.model_calls == 0 and second.model_inputs == 0 and second.hits == len(CODE)
    np.testing.assert_array_equal(again, expected)
    np.testing.assert_allclose(again, backend.predict(CODE), atol=1e-7)


def test_only_misses_reach_the_model(tmp_path, backend):
    cached = CachedBackend(backend, PredictionCache(tmp_path / "cache"))
    cached.predict(CODE[:2])
    mixed = [CODE[0], CODE[2], CODE[2], CODE[1], CODE[3]]
    out = cached.predict(mixed)
    assert cached.model_calls == 2
    assert cached.model_inputs == 2 + 2  # CODE[2] (once, though asked twice) and CODE[3]
    np.testing.assert_allclose(out, backend.predict(mixed), atol=1e-7)


def test_corrupted_cache_is_rebuilt_not_fatal(tmp_path, backend):
    directory = tmp_path / "cache"
    cached = CachedBackend(backend, PredictionCache(directory))
    expected = cached.predict(CODE)
    cached.cache.close()
    files = [p for p in directory.rglob("*") if p.is_file()]
    assert files
    for p in files:
        p.write_bytes(b"this is not a database \x00\xff" * 64)

    cache = PredictionCache(directory)
    assert cache.enabled and cache.rebuilt == 1
    rebuilt = CachedBackend(backend, cache)
    np.testing.assert_allclose(rebuilt.predict(CODE), expected, atol=1e-7)
    assert rebuilt.model_calls == 1  # the damaged entries are gone, so the model ran again
    cache.close()
    warm = CachedBackend(backend, PredictionCache(directory))
    warm.predict(CODE)
    assert warm.model_calls == 0  # and the rebuilt cache works


def test_wrong_sized_entries_count_as_misses(tmp_path, backend):
    cache = PredictionCache(tmp_path / "cache")
    key = f"{backend.fingerprint}:{input_digest(CODE[0])}"
    cache._store.set(key, b"\x00\x01\x02")  # a value no backend wrote
    cached = CachedBackend(backend, cache)
    out = cached.predict([CODE[0]])
    assert cached.model_calls == 1
    np.testing.assert_allclose(out, backend.predict([CODE[0]]), atol=1e-7)


def test_models_do_not_share_entries(tmp_path, backend):
    other = load_backend(build_model(tmp_path / "other", seed=11, sidecar={"task": "vuln"}))
    cache = PredictionCache(tmp_path / "cache")
    CachedBackend(backend, cache).predict(CODE)
    second = CachedBackend(other, cache)
    np.testing.assert_allclose(second.predict(CODE), other.predict(CODE), atol=1e-7)
    assert second.model_calls == 1


def test_pair_inputs_are_keyed_by_both_parts():
    assert input_digest(("ab", "c")) != input_digest(("a", "bc"))
    assert input_digest(("a", "b")) != input_digest(("b", "a"))
    assert input_digest("a") != input_digest(("a", ""))


def test_default_directory_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("METACOMPRESS_CACHE", str(tmp_path / "elsewhere"))
    assert default_cache_dir() == tmp_path / "elsewhere"
    assert PredictionCache().directory == tmp_path / "elsewhere"
    monkeypatch.delenv("METACOMPRESS_CACHE")
    assert default_cache_dir() == Path.home() / ".cache" / "metacompress"


def _writer(directory: str, fingerprint: str, start: int, count: int) -> None:
    cache = PredictionCache(directory)
    for i in range(start, start + count):
        cache.set_many(fingerprint, {f"{i:064x}": np.array([i, -i], dtype=np.float32)})
    cache.close()


def test_two_processes_share_one_cache(tmp_path):
    """A CLI and a language server writing at once: every entry of both ends up readable."""
    directory = str(tmp_path / "cache")
    ctx = multiprocessing.get_context("fork")  # the children open their own cache connections
    workers = [ctx.Process(target=_writer, args=(directory, "fp", start, 150)) for start in (0, 150)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(120)
        assert w.exitcode == 0
    found = PredictionCache(directory).get_many("fp", [f"{i:064x}" for i in range(300)], classes=2)
    assert len(found) == 300
    assert found[f"{299:064x}"].tolist() == [299.0, -299.0]
