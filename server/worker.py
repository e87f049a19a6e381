"""Checks run in a worker process the server owns, never in the server's own process.

Why a process: model code holds the GIL for seconds at a time (the protocol would wait for it), it cannot be
interrupted (an `exit` would wait for it), and a crash or an out-of-memory kill in it must not take the editor's
server down. The server sends one job at a time down a pipe; the worker answers with events (`units`,
`finding`, `text`, then `done`, `error` or `paused`) that a reader thread hands to the event loop.

Stopping a job: the server writes the job's number into a shared value; the worker's engine asks between model
batches (`cancel`). Writing it as `-id` asks the worker to *pause* the job after its current batch (another
document is waiting): the job ends with `paused` and the server queues the rest of it behind the other one.
The worker ends by itself when its pipe closes or its parent process is gone.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import multiprocessing
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from metacompress_core.code import detect_language, extract_units
from metacompress_core.code.units import read_source
from metacompress_core.engine import Cancelled, check_units
from metacompress_core.errors import MetaCompressError
from metacompress_server.focus import Focus, focus_order
from metacompress_server.models import ModelPool  # torch loads with the first model, not on import

log = logging.getLogger("metacompress.server")

STOP_WAIT = 1.0  # seconds to wait for a dead worker's exit code (to say why it ended)


@dataclass(frozen=True)
class Job:
    id: int
    path: str  # the file path (unit ids, language by extension); the uri when not a file
    settings: Any  # metacompress_core.config.Settings for this path
    text: str | None = None  # the document's text; None: read the file (a workspace file)
    language_id: str | None = None
    skip: frozenset[str] = field(default_factory=frozenset)  # unit ids not to check (ignored, already done)
    chunk_units: int | None = None  # functions per model call (small while editing: results come sooner)
    focus: Focus | None = None  # where the person is looking: those functions are checked first


class Stopped(Exception):
    """The worker process ended (crashed, killed) during a job."""


class CheckWorker:
    """The server's side of the worker process: start it lazily, run a job, cancel or pause it, stop it."""

    def __init__(self) -> None:
        self._ctx = multiprocessing.get_context("spawn")  # never fork a process that runs an event loop
        self._signal = self._ctx.Value("q", 0, lock=False)
        self._process = None
        self._conn = None
        self._job: Job | None = None
        self._future: asyncio.Future | None = None
        self._emit: Callable[[str, Any], None] | None = None

    # ---- lifecycle ---------------------------------------------------------------------------------------------

    def start(self) -> None:
        """Start the worker process unless it runs (it imports the model libraries at once, while idle)."""
        if self._process is not None and self._process.is_alive():
            return
        ours, theirs = self._ctx.Pipe()
        self._process = self._ctx.Process(
            target=serve, args=(theirs, self._signal, os.getpid()), name="metacompress-worker", daemon=True
        )
        self._process.start()
        theirs.close()
        self._conn = ours
        threading.Thread(target=self._read, args=(ours, self._process), daemon=True).start()

    def stop(self) -> None:
        """Kill the worker now (exit must not wait for model code)."""
        process, self._process = self._process, None
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        if process is not None and process.is_alive():
            process.kill()

    # ---- jobs -------------------------------------------------------------------------------------------------

    async def run(self, job: Job, emit: Callable[[str, Any], None]) -> str:
        """Run `job`, calling `emit(kind, payload)` on the loop for each event; returns how it ended
        (`done`, `error`, `cancelled` or `paused`); raises Stopped when the process died under it."""
        self.start()
        loop = asyncio.get_running_loop()
        self._job, self._emit, self._future = job, emit, loop.create_future()
        self._signal.value = 0
        try:
            self._conn.send(job)
            return await self._future
        finally:
            self._job = self._emit = self._future = None

    def cancel(self, job_id: int) -> None:
        if self._job is not None and self._job.id == job_id:
            self._signal.value = job_id

    def pause(self) -> None:
        """Ask the running job to stop after its current batch and end with `paused` (another one waits)."""
        if self._job is not None and self._signal.value == 0:
            self._signal.value = -self._job.id

    def _read(self, conn, process) -> None:
        """Reader thread: the worker's events, to the loop of the job that is running (in order: a job's last
        event comes after all its others)."""
        while True:
            try:
                event = conn.recv()
            except (EOFError, OSError):
                break
            future = self._future
            if future is not None:
                future.get_loop().call_soon_threadsafe(self._deliver, event)
        process.join(timeout=STOP_WAIT)
        future = self._future
        if future is not None and self._process is process:  # died under a job (not stopped by us)
            code = process.exitcode
            future.get_loop().call_soon_threadsafe(self._fail, future, code)

    def _deliver(self, event: tuple[str, Any]) -> None:
        kind, payload = event
        if self._emit is not None and kind in ("units", "finding", "text", "error"):
            self._emit(kind, payload)
        future = self._future
        if kind in ("done", "error", "cancelled", "paused") and future is not None and not future.done():
            future.set_result(kind)

    def _fail(self, future: asyncio.Future, code: int | None) -> None:
        self._process = None
        if not future.done():
            why = "out of memory?" if code in (-9, 137) else f"exit code {code}"
            future.set_exception(Stopped(f"the check worker process ended during the check ({why})"))


# ---- the worker process -----------------------------------------------------------------------------------------


class _Paused(Exception):
    pass


def serve(conn, signal, parent: int) -> None:
    """The worker process: jobs in, events out, until the pipe closes or the server is gone."""
    logging.basicConfig(level=logging.WARNING, format="metacompress worker: %(message)s")
    pool = ModelPool()
    # The units of the last texts checked: a paused job resumes without parsing its text again.
    recent: dict[tuple, list] = {}
    while True:
        try:
            if not conn.poll(1.0):
                if os.getppid() != parent:
                    return
                continue
            job: Job = conn.recv()
        except (EOFError, OSError):
            return

        def stop_now(job_id: int = job.id) -> bool:
            value = signal.value
            if os.getppid() != parent:
                os._exit(0)  # the server is gone: nobody reads what this check finds
            if value == -job_id:
                raise _Paused
            return value == job_id

        try:
            for kind, payload in check_job(job, pool, stop_now, recent):
                conn.send((kind, payload))
            conn.send(("done", None))
        except Cancelled:
            conn.send(("cancelled", None))
        except _Paused:
            conn.send(("paused", None))
        except (EOFError, OSError, BrokenPipeError):
            return
        except Exception as e:  # reported to the server, which tells the user once
            if isinstance(e, MetaCompressError):
                message = str(e)
            else:
                logging.getLogger(__name__).exception("check failed")
                message = f"internal error while checking ({type(e).__name__}: {e}); see the server log"
            conn.send(("error", message))


def check_job(job: Job, pool, cancel: Callable[[], bool], recent: dict | None = None):
    """Events of one job: ("text", file text) for a file read here, ("units", units), ("finding", f) ...
    Units are sent before any model loads, so the editor knows the functions even when models fail. `recent`
    keeps the units of the last two texts (a 2 MB file takes seconds to parse, and a paused check resumes)."""
    try:
        language = detect_language(job.path, job.language_id)
    except MetaCompressError:  # not a language MetaCompress checks: no units, no messages
        yield "units", []
        return
    text = job.text
    if text is None:
        text = read_source(job.path)
        yield "text", text
    key = (job.path, language.name, hashlib.blake2b(text.encode("utf-8", "surrogatepass")).hexdigest())
    units = (recent or {}).get(key)
    if units is None:
        units = extract_units(text, language, job.path)
        if recent is not None:
            recent[key] = units
            while len(recent) > 2:
                recent.pop(next(iter(recent)))
    yield "units", units
    todo = focus_order([u for u in units if u.id not in job.skip], job.focus)
    if not todo or cancel():
        return
    teacher, student = pool.get(language.name, job.settings)
    engine = job.settings.engine
    if job.chunk_units is not None:
        engine = replace(engine, chunk_units=job.chunk_units)
    for finding in check_units(todo, teacher, student, engine, cancel=cancel):
        yield "finding", finding
