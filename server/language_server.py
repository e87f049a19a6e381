"""The server object: documents' checks (scheduled, run in the worker process, published), progress, lookups.

User errors (MetaCompressError: a missing model directory, a bad setting) become window/showMessage; handlers
are wrapped by `safe`, so an unexpected error is logged and answered with nothing, never a crash.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import inspect
import itertools
import logging
import os
import re
import sys
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from lsprotocol import types
from pygls.exceptions import JsonRpcException, JsonRpcInvalidParams
from pygls.lsp.server import LanguageServer
from pygls.protocol import LanguageServerProtocol
from pygls.uris import to_fs_path
from pygls.workspace import TextDocument

from metacompress_core import __version__
from metacompress_core.code.units import Unit
from metacompress_core.config import Settings
from metacompress_core.engine import EngineConfig, Finding
from metacompress_core.errors import MetaCompressError
from metacompress_core.report.progress import seconds_left
from metacompress_server.config import SECTION, ServerConfig, server_config
from metacompress_server.deepen import deepened, next_budget
from metacompress_server.focus import Focus, under
from metacompress_server.presenters import diagnostic
from metacompress_server.scheduler import Request, Scheduler
from metacompress_server.state import State
from metacompress_server.variants import VariantFiles
from metacompress_server.worker import CheckWorker, Job, Stopped

log = logging.getLogger("metacompress.server")

SHOW_VARIANT = "metacompress.showVariant"
COPY_VARIANT = "metacompress.copyVariant"
RECHECK = "metacompress.recheck"
IGNORE = "metacompress.ignoreFunction"
EDITOR_CHUNK_UNITS = 2  # functions per model call while editing


class MetaCompressProtocol(LanguageServerProtocol):
    """pygls' protocol, except that a request whose params do not fit its method (`"textDocument": 5`) gets
    the JSON-RPC error -32602 as its answer: pygls drops it unanswered, and the client would wait forever."""

    def structure_message(self, data: dict[str, Any]):
        try:
            return super().structure_message(data)
        except JsonRpcException as e:
            if isinstance(data, dict) and "method" in data and isinstance(data.get("id"), (int, str)):
                error = e if isinstance(e, JsonRpcInvalidParams) else JsonRpcInvalidParams()
                self._send_response(data["id"], error=error.to_response_error())
            raise


class MetaCompressServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__("metacompress", __version__, protocol_cls=MetaCompressProtocol)
        self.state = State()
        self.worker = CheckWorker()
        self.config = ServerConfig()
        self.root: Path | None = None
        self.scheduler = Scheduler(self._run_check, self.worker.pause, on_idle=self._arm_idle)
        self._last_edit = time.monotonic()  # the idle clock: the last edit or open (or re-check)
        self._idle_timer: asyncio.TimerHandle | None = None
        self._job_ids = itertools.count(1)
        self._running: tuple[Request, int] | None = None  # the document check in the worker, with its job id
        self.variant_files = VariantFiles()
        self.pull = False  # diagnostics by textDocument/diagnostic instead of publishDiagnostics
        self._published: dict[str, tuple] = {}  # uri -> (version, what was published), to skip repeats
        # (uri, generation) -> (token, when and at how many functions done the estimate's clock started)
        self._progress: dict[tuple[str, int], tuple[str, float | None, int]] = {}
        self.client_uris: dict[
            str, str
        ] = {}  # pygls' key of a document (its unquoted uri) -> the client's uri

    # ---- documents: pygls keys them by the unquoted uri; everything else here uses the client's uri ------------

    def document(self, uri: str) -> TextDocument | None:
        return self.workspace.text_documents.get(unquote(uri))

    def opened(self, uri: str) -> None:
        self.client_uris[unquote(uri)] = uri

    def closed(self, uri: str) -> None:
        self.client_uris.pop(unquote(uri), None)

    def note_focus(
        self,
        uri: str,
        line: int | None,
        visible: tuple[tuple[int, int], ...] | None = None,
        redirect: bool = True,
    ) -> None:
        """Where the person looks in `uri` (server/focus.py), for the next check's order. With `redirect` (the
        cursor moved), when it moves to a function the running check of that document has not reached, the
        check yields after its batch and resumes in the new order; a mouse hover only sets the next order."""
        old = self.state.focus.get(uri, Focus())
        focus = Focus(line if line is not None else old.line, old.visible if visible is None else visible)
        self.state.focus[uri] = focus
        if redirect:
            self.state.active[uri] = time.monotonic()  # deepened first; reading is idle, so no new idle clock
        results = self.state.results.get(uri)
        if (
            not redirect
            or self._running is None
            or self._running[0].uri != uri
            or results is None
            or line is None
        ):
            return
        target, before = under(results.units, line), under(results.units, old.line)
        if target is not None and target is not before and target.id not in results.checked:
            self.worker.pause()

    def open_uris(self) -> list[str]:
        """Every open document, under the uri the client used (so diagnostics go out under it)."""
        return [self.client_uris.get(key, key) for key in self.workspace.text_documents]

    # ---- messages ---------------------------------------------------------------------------------------------

    def user_error(self, message: str) -> None:
        """Show a user error once (until the configuration changes); always log it."""
        log.warning("%s", message)
        if message in self.state.shown_errors:
            return
        self.state.shown_errors.add(message)
        self.window_show_message(
            types.ShowMessageParams(type=types.MessageType.Error, message=f"MetaCompress: {message}")
        )

    def report_server_error(self, error: Exception, source: Any) -> None:
        """A message the protocol cannot read (bad JSON, a batch, params of the wrong shape) is the client's
        fault: logged, answered where it was a request, never a pop-up to the person using the editor."""
        log.warning("unusable message from the client (%s): %s", getattr(source, "__name__", source), error)

    def exit_process(self, code: int) -> None:
        """End the server and its worker process now, whatever the worker is doing (model code cannot be
        interrupted, and nothing may wait for it): the client expects the server gone after `exit`."""
        self.state.closing = True
        self.scheduler.shutdown()
        self.worker.stop()
        logging.shutdown()
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        os._exit(code)

    # ---- configuration ----------------------------------------------------------------------------------------

    def apply_config(self, raw: Any) -> bool:
        """Take the client's settings; True when they differ from the ones in force (checks must rerun)."""
        try:
            config = server_config(raw, self.root)
        except MetaCompressError as e:
            self.user_error(str(e))
            return False
        if config == self.config:
            return False
        self.config = config
        self.state.shown_errors.clear()
        self.state.results.clear()  # findings under other settings no longer hold
        self.state.depth.clear()
        return True

    async def fetch_config(self) -> bool:
        """Ask the client for the settings section; True when they changed."""
        caps = self.client_capabilities.workspace
        if caps is None or not caps.configuration:
            return False
        try:
            (raw,) = await asyncio.wait_for(
                self.workspace_configuration_async(
                    types.ConfigurationParams(items=[types.ConfigurationItem(section=SECTION)])
                ),
                timeout=10,
            )
        except Exception as e:  # a client that cannot answer keeps the initializationOptions
            log.warning("workspace/configuration failed: %s", e)
            return False
        return bool(raw) and self.apply_config(raw)

    # ---- checks -----------------------------------------------------------------------------------------------

    def next_job_id(self) -> int:
        return next(self._job_ids)

    def supersede(self, uri: str) -> int:
        """A new generation for `uri`: the check running for its old text stops at its next model batch. The
        text starts over at the configured budget, and the idle clock restarts."""
        generation = self.state.next_generation(uri)
        self.cancel_stale()
        self.state.depth.pop(uri, None)
        self.state.active[uri] = self._last_edit = time.monotonic()
        self._arm_idle()
        return generation

    def cancel_stale(self) -> None:
        if self._running is not None:
            request, job_id = self._running
            if not self.state.is_current(request.uri, request.generation):
                self.worker.cancel(job_id)

    def schedule(self, uri: str, delay: float | None = None) -> None:
        doc = self.document(uri)
        if doc is None:
            return
        generation = self.supersede(uri)
        request = self._request(uri, doc, generation)
        self.scheduler.schedule(
            request,
            self.config.debounce if delay is None else delay,
            lambda: self.state.is_current(uri, generation),
        )

    def _request(
        self, uri: str, doc: TextDocument, generation: int, deeper: EngineConfig | None = None
    ) -> Request:
        path = to_fs_path(uri) or uri
        request = Request(uri, doc.version, generation, _encodable(doc.source), doc.language_id, path)
        if deeper is None:
            return request
        return replace(request, budget=deeper.budget, compositions=deeper.compositions)

    def settings_for_path(self, path: str) -> Settings:
        """The engine settings for a document at `path` (a uri that is not a file: the client's or defaults)."""
        p = Path(path)
        return self.config.settings_for(p if p.is_absolute() else None)

    # ---- deepening while idle (server/deepen.py) -------------------------------------------------------------

    def _arm_idle(self) -> None:
        """(Re)start the idle clock: `idle` seconds after the last edit or open, deepen a document."""
        if self._idle_timer is not None:
            self._idle_timer.cancel()
        wait = max(0.0, self._last_edit + self.config.idle - time.monotonic())
        self._idle_timer = asyncio.get_running_loop().call_later(wait, self._deepen)

    def _deepen(self) -> None:
        """Idle: check the most recently active document that can go deeper again, with twice its budget."""
        self._idle_timer = None
        if self.state.closing or not self.scheduler.idle:
            return  # the scheduler calls _arm_idle again once its work is done
        by_recency = sorted(self.open_uris(), key=lambda u: self.state.active.get(u, 0.0), reverse=True)
        for uri in by_recency:
            deeper = self._deeper(uri)
            if deeper is not None:
                break
        else:
            return
        log.info("idle: deepening %s to %d variants per function", uri, deeper.budget)
        generation = self.state.next_generation(uri)  # not supersede: the text, and so its depth, stay
        self.scheduler.deepen(
            self._request(uri, self.document(uri), generation, deeper),
            lambda: self.state.is_current(uri, generation),
        )

    def _deeper(self, uri: str) -> EngineConfig | None:
        """The engine of `uri`'s next deepening pass; None unless its current text has finished a check and can
        go deeper."""
        doc, results = self.document(uri), self.state.results.get(uri)
        if doc is None or results is None or results.version != doc.version:
            return None
        if not results.done or results.error or not results.units:
            return None
        try:
            settings = self.settings_for_path(to_fs_path(uri) or uri)
        except MetaCompressError:
            return None
        budget = next_budget(self.state.depth.get(uri, settings.engine.budget), settings.max_budget)
        return None if budget is None else deepened(settings.engine, budget)

    # ---- running a check ---------------------------------------------------------------------------------------

    async def _run_check(self, request: Request) -> str | None:
        """One document check in the worker process; returns "paused" when it yielded to another document."""
        started = time.perf_counter()
        skip = set(self.state.ignored)
        results = self.state.results.get(request.uri)
        if request.resumed and results is not None and results.version == request.version:
            skip |= results.checked  # a paused check goes on where it stopped
        try:
            settings = self.settings_for_path(request.path)
        except MetaCompressError as e:
            self._on_event(request, "units", [])  # results for this version: nothing says "checking" forever
            self._on_event(request, "error", str(e))
            return "error"
        if request.budget is not None:  # a deepening pass: exactly the engine it was scheduled with
            engine = replace(settings.engine, budget=request.budget, compositions=request.compositions)
            settings = replace(settings, engine=engine)
        job = Job(
            self.next_job_id(),
            request.path,
            settings,
            text=request.text,
            language_id=request.language_id,
            skip=frozenset(skip),
            chunk_units=EDITOR_CHUNK_UNITS,  # each function's diagnostic appears as soon as it is done
            focus=self.state.focus.get(request.uri),  # the function under the cursor first
        )
        token = await self._begin_progress(request)
        if not self.state.is_current(request.uri, request.generation):
            self._end_progress(request, token)  # an edit came in while the progress was being created
            return None
        self._running = (request, job.id)  # from here on, an edit cancels the job (cancel_stale)
        try:
            outcome = await self.worker.run(job, lambda kind, payload: self._on_event(request, kind, payload))
        except Stopped as e:
            outcome = "error"
            self._on_event(request, "error", f"{e}; a new worker starts for the next check")
        finally:
            self._running = None
            self._end_progress(request, token)
        if outcome == "done":
            self._on_event(request, "done", None)
            if request.budget is not None and self._is_fresh(request):
                self.state.depth[request.uri] = request.budget  # the next pass starts from here
        log.info(
            "check of %s v%s: %s in %.2f s",
            request.uri,
            request.version,
            outcome,
            time.perf_counter() - started,
        )
        return outcome

    def _is_fresh(self, request: Request) -> bool:
        doc = self.document(request.uri)
        return (
            doc is not None
            and doc.version == request.version
            and self.state.is_current(request.uri, request.generation)
        )

    def _on_event(self, request: Request, kind: str, payload: Any) -> None:
        """On the loop: record and publish a worker's result unless the document moved on since."""
        try:
            if not self._is_fresh(request):
                return
            results = self.state.results.get(request.uri)
            if kind == "units" and not (
                request.resumed and results is not None and results.version == request.version
            ):
                results = self.state.start(request.uri, request.version, payload)
            if results is None or results.version != request.version:
                return
            if kind == "finding":
                finding: Finding = payload
                results.findings[finding.unit.id] = finding
                results.checked.add(finding.unit.id)
                if request.budget is None:
                    results.depth.pop(finding.unit.id, None)
                else:
                    results.depth[finding.unit.id] = (request.budget, request.compositions)
                self._report_progress(request, len(results.checked), len(results.units))
            elif kind == "done":
                results.done = True
            elif kind == "error":
                results.error = payload
                results.done = True
                self.user_error(payload)
            self.publish(request.uri)
        except Exception:
            log.exception("handling a %s result for %s failed", kind, request.uri)

    def current_diagnostics(self, uri: str) -> list[types.Diagnostic] | None:
        """The diagnostics of the document's current version; None when its results are for another one."""
        doc = self.document(uri)
        results = self.state.results.get(uri)
        if doc is None or results is None or results.version != doc.version:
            return None
        lines, codec = doc.lines, self.workspace.position_codec
        diagnostics = []
        for finding in results.findings.values():
            if finding.unit.id in self.state.ignored:
                continue
            d = diagnostic(finding, lines, codec, self.config.severity)
            if d is not None:
                diagnostics.append(d)
        return diagnostics

    def publish(self, uri: str) -> None:
        diagnostics = self.current_diagnostics(uri)
        if diagnostics is None:
            return  # never publish for a stale version
        version = self.document(uri).version
        key = (version, [(d.range, d.message, d.severity) for d in diagnostics])
        if self._published.get(uri) == key:
            return  # nothing new since the last publish of this version
        self._published[uri] = key
        if self.pull:
            self._refresh_pull()
            return
        self.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(uri=uri, diagnostics=diagnostics, version=version)
        )

    def _refresh_pull(self) -> None:
        """Pull mode: ask the client to pull again, where it lets us (else it pulls on its own schedule)."""
        caps = self.client_capabilities.workspace
        if caps is not None and caps.diagnostics is not None and caps.diagnostics.refresh_support:
            self.workspace_diagnostic_refresh(None)

    # ---- progress ---------------------------------------------------------------------------------------------

    async def _begin_progress(self, request: Request) -> str | None:
        window = self.client_capabilities.window
        if window is None or not window.work_done_progress:
            return None
        token = f"metacompress-{uuid.uuid4().hex}"
        try:
            await asyncio.wait_for(self.work_done_progress.create_async(token), timeout=5)
        except Exception as e:
            log.info("no work-done progress: %s", e)
            return None
        name = Path(request.path).name
        what = f"checking {name}" if request.budget is None else f"deepening {name}: {_depth(request)}"
        self.work_done_progress.begin(
            token, types.WorkDoneProgressBegin(title="MetaCompress", message=what, percentage=0)
        )
        self._progress[(request.uri, request.generation)] = (token, None, 0)
        return token

    def _end_progress(self, request: Request, token: str | None) -> None:
        if token is not None:
            self._progress.pop((request.uri, request.generation), None)
            self.work_done_progress.end(token, types.WorkDoneProgressEnd(message="done"))
            self.work_done_progress.tokens.pop(token, None)  # pygls keeps every token otherwise

    def _report_progress(self, request: Request, done: int, total: int) -> None:
        key = (request.uri, request.generation)
        entry = self._progress.get(key)
        if entry is None or total == 0:
            return
        token, started, first = entry
        now = time.perf_counter()
        if started is None:  # the clock starts at the first result: model loading is not the rate of work
            self._progress[key] = (token, now, done)
            left = None
        else:
            left = seconds_left(done, total, first, now - started)
        estimate = f", about {left:.0f} s left" if left is not None else ""
        deepening = "" if request.budget is None else f"deepening: {_depth(request)}, "
        self.work_done_progress.report(
            token,
            types.WorkDoneProgressReport(
                message=f"{deepening}{done}/{total} functions{estimate}",
                percentage=min(100, 100 * done // total),
            ),
        )

    # ---- lookups for hover and commands ----------------------------------------------------------------------

    def unit_at(self, uri: str, line: int) -> tuple[Unit | None, str | None]:
        """The innermost unit of the current version at `line`, or None with why it is not known."""
        doc = self.document(uri)
        results = self.state.results.get(uri)
        if doc is None:
            return None, None
        if results is None or results.version != doc.version:
            if self.config.trigger == "onSave":
                return None, "MetaCompress checks this file when it is saved."
            return None, "MetaCompress is checking this version of the file..."
        inside = [u for u in results.units if u.start[0] <= line <= u.end[0]]
        if not inside:
            return None, None
        return min(inside, key=lambda u: u.end_byte - u.start_byte), None

    def finding(self, uri: str, unit_id: str, recipe: Sequence | None = None) -> Finding | Unit | None:
        results = self.state.results.get(uri)
        if results is None:
            return None
        if unit_id in results.findings:
            return results.findings[unit_id]
        return next((u for u in results.units if u.id == unit_id), None)


def _depth(request: Request) -> str:
    return f"{request.budget} variants per function"


def _encodable(text: str) -> str:
    """The text with each lone UTF-16 surrogate (a client may send one) as U+FFFD: the parser needs UTF-8, and
    both take 3 bytes there, so byte columns stay where the client's text has them."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return _SURROGATE.sub("\ufffd", text)


_SURROGATE = re.compile("[\ud800-\udfff]")


def safe(default: Any = None) -> Callable:
    """Wrap a handler: log any exception and answer `default` instead of failing the request or the server."""

    def wrap(fn: Callable) -> Callable:
        if inspect.iscoroutinefunction(fn):

            @functools.wraps(fn)
            async def run_async(*args, **kwargs):
                try:
                    return await fn(*args, **kwargs)
                except Exception:
                    log.exception("%s failed", fn.__name__)
                    return default

            return run_async

        @functools.wraps(fn)
        def run(*args, **kwargs):
            try:
                return fn(*args, **kwargs)
            except Exception:
                log.exception("%s failed", fn.__name__)
                return default

        return run

    return wrap
