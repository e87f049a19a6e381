"""Debounced checks of documents, one at a time, on a worker thread off the event loop.

Each request gets a generation number per document; scheduling again (an edit, a re-check) bumps it, which is
the running check's cancellation token: the engine raises Cancelled between model batches, and whatever the
worker still hands back for an old generation is dropped on the event loop before anything is published.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Request:
    uri: str
    version: int | None
    generation: int
    text: str
    language_id: str | None
    path: str  # the file path for settings lookup and unit ids (the uri when not a file)


class Scheduler:
    def __init__(self, run: Callable[[Request], Awaitable[None]]) -> None:
        self._run = run  # a coroutine that checks one request (it uses `executor` for the heavy part)
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="metacompress-check")
        self._lock = asyncio.Lock()  # one check at a time: progress and model threads stay orderly
        self._tasks: set[asyncio.Task] = set()

    def schedule(self, request: Request, delay: float, is_current: Callable[[], bool]) -> None:
        task = asyncio.get_running_loop().create_task(self._later(request, delay, is_current))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _later(self, request: Request, delay: float, is_current: Callable[[], bool]) -> None:
        try:
            if delay > 0:
                await asyncio.sleep(delay)
            if not is_current():
                return  # a newer edit came in during the pause
            async with self._lock:
                if is_current():
                    await self._run(request)
        except asyncio.CancelledError:
            raise
        except Exception:  # never let a check take the server down
            log.exception("check of %s failed", request.uri)

    def turn(self) -> asyncio.Lock:
        """`async with scheduler.turn():` runs other work (a file of the workspace check) as one check, in turn
        with the documents' checks (the lock is fair: a document check waiting goes before the next file)."""
        return self._lock

    def shutdown(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        self.executor.shutdown(wait=False, cancel_futures=True)
