"""Models loaded once per (teacher, student, device, cache) and shared by every document, lazily.

They live in the check worker process (server/worker.py), which loads them (it takes seconds); predictions go
through the persistent cache when the settings enable it (the default), so the CLI and the server reuse each
other's results.
"""

from __future__ import annotations

import threading

from metacompress_core.check import load_pair, model_pair
from metacompress_core.config import Settings
from metacompress_core.models import Backend


class ModelPool:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pairs: dict[tuple, tuple[Backend, Backend]] = {}

    def get(self, language: str, settings: Settings) -> tuple[Backend, Backend]:
        """The (teacher, student) for `language`; a MetaCompressError (not cached) when they cannot load."""
        pair = model_pair(language, settings, None, None, None)
        key = (pair, settings.device, settings.cache, settings.cache_dir)
        with self._lock:
            if key not in self._pairs:
                self._pairs[key] = load_pair(pair, settings)
            return self._pairs[key]

    def __len__(self) -> int:
        return len(self._pairs)
