"""A persistent prediction cache: nothing is computed twice across runs, editor sessions and processes.

Keys are (model fingerprint, sha256 of the exact model input); values the float32 probabilities followed by an
8-byte checksum of key and probabilities, so that a value damaged on disk (or left by another writer) is
noticed when it is read and counts as a miss, as does any value that is not finite. The store is a
diskcache (SQLite) in a directory: $METACOMPRESS_CACHE, else ~/.cache/metacompress, or one passed explicitly.
SQLite makes it safe for a CLI and a language server to use at once. A cache that cannot be read (a corrupted
or foreign file) is rebuilt, and if even that fails the run goes on uncached: a cache never stops a run.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import logging
import os
import shutil
import sqlite3
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from metacompress_core.models.base import Backend, ModelInput, input_digest

log = logging.getLogger(__name__)

CACHE_ENV = "METACOMPRESS_CACHE"
_STORE = "predictions-v1"  # the subfolder the cache owns (and may delete when rebuilding)
_ERRORS: tuple[type[BaseException], ...] = (sqlite3.Error, OSError, EOFError, ValueError, TypeError)


def default_cache_dir() -> Path:
    env = os.environ.get(CACHE_ENV)
    return Path(env).expanduser() if env else Path.home() / ".cache" / "metacompress"


class PredictionCache:
    def __init__(self, directory: str | Path | None = None, size_limit: int = 2 * 2**30):
        self.directory = Path(directory).expanduser() if directory is not None else default_cache_dir()
        self.size_limit = size_limit
        self.rebuilt = 0  # how many times a broken store was thrown away
        self.rejected = 0  # values read that failed verification (damaged, foreign, not finite): misses
        self._store = self._open()

    @property
    def enabled(self) -> bool:
        return self._store is not None

    def _path(self) -> Path:
        return self.directory / _STORE

    def _open(self, retry: bool = True):
        import diskcache

        try:
            store = diskcache.Cache(str(self._path()), size_limit=self.size_limit)
            store.get("\0probe")  # reads the SQLite file: a corrupted one fails here
            return store
        except (*_ERRORS, diskcache.Timeout) as e:
            if not retry:
                log.warning("prediction cache at %s is unusable (%s); running without it", self._path(), e)
                return None
            log.warning("prediction cache at %s is unreadable (%s); rebuilding it", self._path(), e)
            self._discard()
            return self._open(retry=False)

    def _discard(self) -> None:
        self.rebuilt += 1
        shutil.rmtree(self._path(), ignore_errors=True)

    def _recover(self, error: BaseException) -> None:
        log.warning("prediction cache at %s failed (%s); rebuilding it", self._path(), error)
        self.close()
        self._discard()
        self._store = self._open(retry=False)

    def get_many(self, fingerprint: str, digests: Sequence[str], classes: int) -> dict[str, np.ndarray]:
        """The cached rows among `digests`; a value of the wrong size counts as missing."""
        if self._store is None:
            return {}
        import diskcache

        found: dict[str, np.ndarray] = {}
        try:
            for digest in digests:
                key = f"{fingerprint}:{digest}"
                row = _verified(key, self._store.get(key), classes)
                if row is not None:
                    found[digest] = row
                elif key in self._store:
                    self.rejected += 1
        except diskcache.Timeout:
            return found
        except _ERRORS as e:
            self._recover(e)
            return {}
        return found

    def set_many(self, fingerprint: str, rows: dict[str, np.ndarray]) -> None:
        if self._store is None or not rows:
            return
        import diskcache

        try:
            with self._store.transact():
                for digest, probs in rows.items():
                    key = f"{fingerprint}:{digest}"
                    self._store.set(key, _sealed(key, np.asarray(probs, dtype=np.float32).tobytes()))
        except diskcache.Timeout:
            return  # another process holds the lock: the rows are simply not cached this time
        except _ERRORS as e:
            self._recover(e)

    def clear(self) -> None:
        if self._store is not None:
            self._store.clear()

    def close(self) -> None:
        if self._store is not None:
            with contextlib.suppress(*_ERRORS):
                self._store.close()
            self._store = None


_CHECKSUM = 8  # bytes


def _checksum(key: str, payload: bytes) -> bytes:
    return hashlib.blake2b(key.encode("utf-8") + payload, digest_size=_CHECKSUM).digest()


def _sealed(key: str, payload: bytes) -> bytes:
    return payload + _checksum(key, payload)


def _verified(key: str, raw: object, classes: int) -> np.ndarray | None:
    """The row stored under `key`, or None unless it has the expected shape, its checksum matches and every
    value is finite."""
    if not isinstance(raw, bytes) or len(raw) != 4 * classes + _CHECKSUM:
        return None
    payload, seal = raw[:-_CHECKSUM], raw[-_CHECKSUM:]
    if not hmac.compare_digest(seal, _checksum(key, payload)):
        return None
    row = np.frombuffer(payload, dtype=np.float32)
    return row if np.isfinite(row).all() else None


class CachedBackend:
    """A backend behind the cache: only inputs never seen by this model (same fingerprint) reach the model."""

    def __init__(self, backend: Backend, cache: PredictionCache):
        self.backend = backend
        self.cache = cache
        self.model_calls = 0  # predict calls that reached the model
        self.model_inputs = 0  # inputs the model computed
        self.hits = 0

    @property
    def name(self) -> str:
        return self.backend.name

    @property
    def task(self) -> str | None:
        return self.backend.task

    @property
    def labels(self) -> tuple[str, ...]:
        return self.backend.labels

    @property
    def fingerprint(self) -> str:
        return self.backend.fingerprint

    def predict(self, inputs: Sequence[ModelInput]) -> np.ndarray:
        classes = len(self.labels)
        digests = [input_digest(item) for item in inputs]
        found = self.cache.get_many(self.fingerprint, list(dict.fromkeys(digests)), classes)
        missing: dict[str, ModelInput] = {}
        for digest, item in zip(digests, inputs, strict=True):
            if digest not in found and digest not in missing:
                missing[digest] = item
        self.hits += sum(1 for d in digests if d in found)
        if missing:
            probs = self.backend.predict(list(missing.values()))
            self.model_calls += 1
            self.model_inputs += len(missing)
            computed = dict(zip(missing, probs, strict=True))
            self.cache.set_many(self.fingerprint, computed)
            found.update(computed)
        out = np.empty((len(inputs), classes), dtype=np.float32)
        for row, digest in enumerate(digests):
            out[row] = found[digest]
        return out
