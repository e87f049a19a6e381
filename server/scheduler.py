"""Which check runs next: debounced requests in a queue, one check at a time, the latest edited document first.

Each request gets a generation number per document; scheduling again (an edit, a re-check) bumps it, which is
the running check's cancellation token, and whatever a check still hands back for an old generation is dropped
on the event loop before anything is published.

Fairness: documents go before the files of a workspace check, and among documents the one asked for most
recently goes first (the one a person is typing in). A long check yields: when another document has waited
`SLICE` seconds, the running one is paused after its current model batch and queued again behind it; it
resumes later with the functions it already checked skipped. So a 2 MB file never holds up the small file being
edited for longer than a slice plus one batch.

Deepening passes (server/deepen.py) come last, after the workspace check's files, and yield at once (no slice):
they only use time nothing else wants. When the queue runs dry, `on_idle` tells the server.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace

log = logging.getLogger(__name__)

SLICE = 1.0  # seconds a check runs before it yields to a waiting document
_REPAUSE = 0.05  # seconds between asks to pause


@dataclass(frozen=True)
class Request:
    uri: str
    version: int | None
    generation: int
    text: str
    language_id: str | None
    path: str  # the file path for settings lookup and unit ids (the uri when not a file)
    resumed: bool = False  # a paused check continuing: its results so far stay, checked functions are skipped
    budget: int | None = None  # a deepening pass: variants per function (None: the configured budget)
    compositions: int | None = None  # a deepening pass: of those, how many are compositions


# What a queued piece of work returns: "paused" queues it again (as it was, resumed), anything else ends it.
Work = Callable[[bool], Awaitable[str | None]]


@dataclass
class _Item:
    rank: tuple  # smaller runs first
    work: Work
    pausable: bool
    resumed: bool = False
    slice: float = SLICE  # seconds it runs before yielding to better-ranked work


class Scheduler:
    def __init__(
        self,
        run: Callable[[Request], Awaitable[str | None]],
        pause: Callable[[], None],
        on_idle: Callable[[], None] | None = None,
    ) -> None:
        self._run = run  # checks one request; returns "paused" when it yielded before the end
        self._pause = pause  # asks the running check to yield after its current batch
        self._on_idle = on_idle  # called when the last queued work has run and none is pending
        self._pending = 0  # requests still in their debounce
        self._queue: list[_Item] = []
        self._wake = asyncio.Event()
        self._order = itertools.count()
        self._running: _Item | None = None
        self._started = 0.0
        self._runner: asyncio.Task | None = None
        self._tasks: set[asyncio.Task] = set()
        self._closed = False

    # ---- queueing ---------------------------------------------------------------------------------------------

    def schedule(self, request: Request, delay: float, is_current: Callable[[], bool]) -> None:
        """Check `request` after `delay` seconds unless a newer request for its document came meanwhile."""
        self._pending += 1  # counted at once: not idle from the edit on, not only once the task starts
        self._spawn(self._later(request, delay, is_current))

    async def _later(self, request: Request, delay: float, is_current: Callable[[], bool]) -> None:
        try:
            if delay > 0:
                await asyncio.sleep(delay)
        finally:
            self._pending -= 1
        if not is_current() or self._closed:
            self._idle_now()  # a newer edit came in during the pause (or the document closed)
            return
        # Documents first; among them the latest asked for (a newer edit outranks an older one).
        self._put(_Item((0, -next(self._order)), self._work(request, is_current), pausable=True))

    def deepen(self, request: Request, is_current: Callable[[], bool]) -> None:
        """Queue a deepening pass: after everything else, and yielding as soon as anything else arrives."""
        self._put(_Item((2, next(self._order)), self._work(request, is_current), pausable=True, slice=0.0))

    def _work(self, request: Request, is_current: Callable[[], bool]) -> Work:
        async def work(resumed: bool) -> str | None:
            if not is_current():
                return None
            return await self._run(replace(request, resumed=True) if resumed else request)

        return work

    @property
    def idle(self) -> bool:
        """Nothing runs, is queued or waits for its debounce."""
        return self._running is None and not self._queue and self._pending == 0

    async def in_turn(self, work: Callable[[], Awaitable[None]]) -> None:
        """Run `work` (a workspace file) as one queued item after every waiting document; returns when done."""
        done = asyncio.get_running_loop().create_future()

        async def run(_resumed: bool) -> None:
            try:
                await work()
                outcome: BaseException | None = None
            except BaseException as e:  # handed to the caller, whatever it is
                outcome = e
            if done.done():  # the caller has gone (cancelled) meanwhile
                return
            if outcome is not None:
                done.set_exception(outcome)
            else:
                done.set_result(None)

        self._put(_Item((1, next(self._order)), run, pausable=False))
        await done

    def _put(self, item: _Item) -> None:
        self._queue.append(item)
        self._wake.set()
        if self._runner is None or self._runner.done():
            self._runner = self._spawn(self._loop())
        if self._running is not None and self._running.pausable and item.rank < self._running.rank:
            self._spawn(self._yield_later(self._running))

    async def _yield_later(self, running: _Item) -> None:
        """Pause `running` once it has had its slice, if something better still waits then; asked again until
        it yields, since a check that has not reached the worker yet (its progress being set up) misses it."""
        await asyncio.sleep(max(0.0, self._started + running.slice - time.monotonic()))
        while self._running is running and any(item.rank < running.rank for item in self._queue):
            self._pause()
            await asyncio.sleep(_REPAUSE)

    def _idle_now(self) -> None:
        if self._on_idle is not None and self.idle and not self._closed:
            self._on_idle()

    # ---- running ----------------------------------------------------------------------------------------------

    async def _loop(self) -> None:
        while not self._closed:
            if not self._queue:
                self._idle_now()
                self._wake.clear()
                await self._wake.wait()
                continue
            item = min(self._queue, key=lambda i: i.rank)
            self._queue.remove(item)
            self._running, self._started = item, time.monotonic()
            try:
                outcome = await item.work(item.resumed)
            except asyncio.CancelledError:
                raise
            except Exception:  # never let a check take the server down
                log.exception("a check failed")
                outcome = None
            finally:
                self._running = None
            if outcome == "paused" and not self._closed:
                item.resumed = True
                self._queue.append(item)  # its rank is older than what it yielded to

    def _spawn(self, coro) -> asyncio.Task:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def shutdown(self) -> None:
        self._closed = True
        for task in list(self._tasks):
            task.cancel()
