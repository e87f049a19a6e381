"""The language server: LSP handlers over the state, the scheduler and the presenters.

Every handler is wrapped so that an unexpected error is logged and answered with nothing (or a message), never
a crash; user errors (MetaCompressError: a missing model directory, a bad setting) become window/showMessage.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import inspect
import logging
import sys
import time
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.uris import to_fs_path

from metacompress_core import __version__
from metacompress_core.code import detect_language, extract_units
from metacompress_core.code.units import Unit
from metacompress_core.engine import Cancelled, Finding, check_units
from metacompress_core.errors import MetaCompressError
from metacompress_core.search.recipes import Recipe, realise
from server.config import SECTION, ServerConfig, server_config
from server.models import ModelPool
from server.positions import lsp_range
from server.presenters import SOURCE, diagnostic, hover_markdown, pending_markdown, variant_payload
from server.scheduler import Request, Scheduler
from server.state import State
from server.variants import VariantFiles, message_text, show_params

log = logging.getLogger("metacompress.server")

SHOW_VARIANT = "metacompress.showVariant"
COPY_VARIANT = "metacompress.copyVariant"
RECHECK = "metacompress.recheck"
IGNORE = "metacompress.ignoreFunction"
COMMANDS = (SHOW_VARIANT, COPY_VARIANT, RECHECK, IGNORE)


class MetaCompressServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__("metacompress", __version__)
        self.state = State()
        self.pool = ModelPool()
        self.config = ServerConfig()
        self.root: Path | None = None
        self.scheduler = Scheduler(self._run_check)
        self.variant_files = VariantFiles()
        self.pull = False  # diagnostics by textDocument/diagnostic instead of publishDiagnostics
        self._published: dict[str, tuple] = {}  # uri -> (version, what was published), to skip repeats
        self._progress: dict[tuple[str, int], tuple[str, int]] = {}  # (uri, generation) -> (token, units)

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

    # ---- configuration ----------------------------------------------------------------------------------------

    def apply_config(self, raw: Any) -> None:
        try:
            self.config = server_config(raw, self.root)
        except MetaCompressError as e:
            self.user_error(str(e))
            return
        self.state.shown_errors.clear()
        self.state.results.clear()  # findings under other settings no longer hold

    async def fetch_config(self) -> None:
        caps = self.client_capabilities.workspace
        if caps is None or not caps.configuration:
            return
        try:
            (raw,) = await asyncio.wait_for(
                self.workspace_configuration_async(
                    types.ConfigurationParams(items=[types.ConfigurationItem(section=SECTION)])
                ),
                timeout=10,
            )
        except Exception as e:  # a client that cannot answer keeps the initializationOptions
            log.warning("workspace/configuration failed: %s", e)
            return
        if raw:
            self.apply_config(raw)

    # ---- checks -----------------------------------------------------------------------------------------------

    def schedule(self, uri: str, delay: float | None = None) -> None:
        doc = self.workspace.text_documents.get(uri)
        if doc is None:
            return
        generation = self.state.next_generation(uri)
        path = to_fs_path(uri) or uri
        request = Request(uri, doc.version, generation, doc.source, doc.language_id, path)
        self.scheduler.schedule(
            request,
            self.config.debounce if delay is None else delay,
            lambda: self.state.is_current(uri, generation),
        )

    async def _run_check(self, request: Request) -> None:
        loop = asyncio.get_running_loop()

        def emit(kind: str, payload: Any = None) -> None:
            loop.call_soon_threadsafe(self._on_event, request, kind, payload)

        token = await self._begin_progress(request)
        try:
            await loop.run_in_executor(self.scheduler.executor, self._check_in_thread, request, emit)
            await asyncio.sleep(0)  # let the events the worker queued run before the progress ends
        finally:
            if token is not None:
                self._progress.pop((request.uri, request.generation), None)
                self.work_done_progress.end(token, types.WorkDoneProgressEnd(message="done"))
                self.work_done_progress.tokens.pop(token, None)  # pygls keeps every token otherwise

    def _check_in_thread(self, request: Request, emit: Callable[[str, Any], None]) -> None:
        """On the worker thread: units -> models -> engine, handing every result back to the loop."""

        def cancelled() -> bool:
            return not self.state.is_current(request.uri, request.generation)

        started = time.perf_counter()
        try:
            try:
                language = detect_language(request.path, request.language_id)
            except MetaCompressError:  # not a language MetaCompress checks: no units, no messages
                emit("units", [])
                emit("done")
                return
            units = extract_units(request.text, language, request.path)
            emit("units", units)
            todo = [u for u in units if u.id not in self.state.ignored]
            if todo and not cancelled():
                path = Path(request.path)
                settings = self.config.settings_for(path if path.is_absolute() else None)
                teacher, student = self.pool.get(language.name, settings)
                for finding in check_units(todo, teacher, student, settings.engine, cancel=cancelled):
                    emit("finding", finding)
            emit("done")
            log.info(
                "checked %s v%s: %d units in %.2f s",
                request.uri,
                request.version,
                len(todo),
                time.perf_counter() - started,
            )
        except Cancelled:
            log.info("check of %s v%s cancelled: the document changed", request.uri, request.version)
        except MetaCompressError as e:
            emit("error", str(e))
        except Exception as e:  # a bug must not take the server down: log it, tell the user once
            log.exception("checking %s failed", request.uri)
            emit("error", f"internal error while checking ({type(e).__name__}: {e}); see the server log")

    def _is_fresh(self, request: Request) -> bool:
        doc = self.workspace.text_documents.get(request.uri)
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
            if kind == "units":
                self.state.start(request.uri, request.version, payload)
            results = self.state.results.get(request.uri)
            if results is None or results.version != request.version:
                return
            if kind == "finding":
                finding: Finding = payload
                results.findings[finding.unit.id] = finding
                self._report_progress(request, len(results.findings), len(results.units))
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
        doc = self.workspace.text_documents.get(uri)
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
        version = self.workspace.text_documents[uri].version
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
        self.work_done_progress.begin(
            token, types.WorkDoneProgressBegin(title="MetaCompress", message=f"checking {name}", percentage=0)
        )
        self._progress[(request.uri, request.generation)] = (token, 0)
        return token

    def _report_progress(self, request: Request, done: int, total: int) -> None:
        entry = self._progress.get((request.uri, request.generation))
        if entry is None or total == 0:
            return
        self.work_done_progress.report(
            entry[0],
            types.WorkDoneProgressReport(
                message=f"{done}/{total} functions", percentage=min(100, 100 * done // total)
            ),
        )

    # ---- lookups for hover and commands ----------------------------------------------------------------------

    def unit_at(self, uri: str, line: int) -> tuple[Unit | None, str | None]:
        """The innermost unit of the current version at `line`, or None with why it is not known."""
        doc = self.workspace.text_documents.get(uri)
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


def build_server() -> MetaCompressServer:
    ls = MetaCompressServer()

    @safe(default=types.RelatedFullDocumentDiagnosticReport(items=[]))
    def pull_diagnostics(
        ls: MetaCompressServer, params: types.DocumentDiagnosticParams
    ) -> types.DocumentDiagnosticReport:
        uri = params.text_document.uri
        diagnostics = ls.current_diagnostics(uri)
        if diagnostics is None:  # still checking this version: keep what the client shows until a refresh
            if params.previous_result_id:
                return types.RelatedUnchangedDocumentDiagnosticReport(result_id=params.previous_result_id)
            return types.RelatedFullDocumentDiagnosticReport(items=[])
        key = ls._published.get(uri)
        result_id = f"{hash(repr(key)) & 0xFFFFFFFF:08x}" if key else None
        return types.RelatedFullDocumentDiagnosticReport(items=diagnostics, result_id=result_id)

    @ls.feature(types.INITIALIZE)
    @safe()
    def initialize(ls: MetaCompressServer, params: types.InitializeParams) -> None:
        root = params.root_uri or (params.workspace_folders[0].uri if params.workspace_folders else None)
        if root:
            path = to_fs_path(root)
            ls.root = Path(path) if path else None
        ls.apply_config(params.initialization_options)
        text = params.capabilities.text_document
        if ls.config.diagnostics == "pull" and text is not None and text.diagnostic is not None:
            ls.pull = True
            # Registered here, before pygls computes the server's capabilities from its features.
            ls.feature(
                types.TEXT_DOCUMENT_DIAGNOSTIC,
                types.DiagnosticOptions(
                    identifier=SOURCE, inter_file_dependencies=False, workspace_diagnostics=False
                ),
            )(pull_diagnostics)

    @ls.feature(types.INITIALIZED)
    @safe()
    async def initialized(ls: MetaCompressServer, params: types.InitializedParams) -> None:
        await ls.fetch_config()
        for uri in list(ls.workspace.text_documents):
            ls.schedule(uri, 0)

    @ls.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
    @safe()
    async def did_change_configuration(ls: MetaCompressServer, params: types.DidChangeConfigurationParams):
        settings = params.settings
        if isinstance(settings, dict) and isinstance(settings.get(SECTION), dict):
            ls.apply_config(settings[SECTION])
        else:
            await ls.fetch_config()
        for uri in list(ls.workspace.text_documents):
            ls.schedule(uri, 0)

    @ls.feature(types.TEXT_DOCUMENT_DID_OPEN)
    @safe()
    def did_open(ls: MetaCompressServer, params: types.DidOpenTextDocumentParams) -> None:
        ls.schedule(params.text_document.uri, 0)

    @ls.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    @safe()
    def did_change(ls: MetaCompressServer, params: types.DidChangeTextDocumentParams) -> None:
        uri = params.text_document.uri
        if ls.config.trigger == "onType":
            ls.schedule(uri)
        else:
            ls.state.next_generation(uri)  # the running check is for text that is gone

    @ls.feature(types.TEXT_DOCUMENT_DID_SAVE)
    @safe()
    def did_save(ls: MetaCompressServer, params: types.DidSaveTextDocumentParams) -> None:
        if ls.config.trigger == "onSave":
            ls.schedule(params.text_document.uri, 0)

    @ls.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    @safe()
    def did_close(ls: MetaCompressServer, params: types.DidCloseTextDocumentParams) -> None:
        uri = params.text_document.uri
        ls.state.forget(uri)
        ls._published.pop(uri, None)
        ls.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=[]))

    @ls.feature(types.TEXT_DOCUMENT_HOVER)
    @safe()
    def hover(ls: MetaCompressServer, params: types.HoverParams) -> types.Hover | None:
        uri = params.text_document.uri
        unit, why = ls.unit_at(uri, params.position.line)
        results = ls.state.results.get(uri)
        if unit is None:
            if why is None and results is not None and results.error:
                why = f"MetaCompress could not check this file: {results.error}"
            return _markdown(why) if why else None
        found = results.findings.get(unit.id) if results else None
        if unit.id in ls.state.ignored:
            text = pending_markdown(unit.qualname, "Ignored for this session.")
        elif found is not None:
            text = hover_markdown(found)
        elif results is not None and results.error:
            text = pending_markdown(unit.qualname, f"Not checked: {results.error}")
        else:
            text = pending_markdown(unit.qualname, "Checking...")
        doc = ls.workspace.get_text_document(uri)
        span = lsp_range(doc.lines, unit.name_start, unit.name_end, ls.workspace.position_codec)
        return types.Hover(
            contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value=text), range=span
        )

    @ls.feature(
        types.TEXT_DOCUMENT_CODE_ACTION,
        types.CodeActionOptions(code_action_kinds=[types.CodeActionKind.QuickFix]),
    )
    @safe(default=[])
    def code_action(ls: MetaCompressServer, params: types.CodeActionParams) -> list[types.CodeAction]:
        uri = params.text_document.uri
        actions: list[types.CodeAction] = []
        for d in params.context.diagnostics:
            if d.source != SOURCE or not isinstance(d.data, dict) or "unitId" not in d.data:
                continue
            unit_id, recipe = d.data["unitId"], d.data.get("recipe", [])
            for title, command, args in (
                ("Show failing variant", SHOW_VARIANT, [uri, unit_id, recipe]),
                ("Copy variant", COPY_VARIANT, [uri, unit_id, recipe]),
                ("Re-check", RECHECK, [uri]),
                ("Ignore this function", IGNORE, [uri, unit_id]),
            ):
                actions.append(
                    types.CodeAction(
                        title=f"MetaCompress: {title}",
                        kind=types.CodeActionKind.QuickFix,
                        diagnostics=[d],
                        command=types.Command(title=title, command=command, arguments=args),
                    )
                )
        return actions

    @ls.command(SHOW_VARIANT)
    @safe()
    def show_variant(ls: MetaCompressServer, *args: Any) -> dict[str, Any] | None:
        payload = _variant(ls, SHOW_VARIANT, args)
        if payload is not None:
            payload["file"] = _present(ls, payload, "diff", args)
        return payload

    @ls.command(COPY_VARIANT)
    @safe()
    def copy_variant(ls: MetaCompressServer, *args: Any) -> str | None:
        payload = _variant(ls, COPY_VARIANT, args)
        if payload is None:
            return None
        _present(ls, payload, "source", args)
        return payload["variant"]

    @ls.command(RECHECK)
    @safe()
    def recheck(ls: MetaCompressServer, *args: Any) -> None:
        uris = [args[0]] if args and isinstance(args[0], str) else list(ls.workspace.text_documents)
        for uri in uris:
            ls.schedule(uri, 0)

    @ls.command(IGNORE)
    @safe()
    def ignore(ls: MetaCompressServer, *args: Any) -> None:
        if len(args) >= 2 and isinstance(args[1], str):
            ls.state.ignored.add(args[1])
            ls.publish(args[0])

    @ls.feature(types.SHUTDOWN)
    @safe()
    def shutdown(ls: MetaCompressServer, params: None) -> None:
        ls.state.closing = True
        ls.scheduler.shutdown()

    return ls


def _present(ls: MetaCompressServer, payload: dict[str, Any], kind: str, args: Sequence[Any]) -> str | None:
    """Unless the caller passed {"present": false}: write the diff or source to a file and show it."""
    options = args[3] if len(args) >= 4 and isinstance(args[3], dict) else {}
    if not options.get("present", True):
        return None
    doc = ls.workspace.text_documents.get(args[0])
    path = ls.variant_files.write(payload, kind, doc.path if doc else str(args[0]))
    window = ls.client_capabilities.window
    if window is not None and window.show_document is not None and window.show_document.support:
        ls.window_show_document(show_params(path))
    else:
        ls.window_show_message(
            types.ShowMessageParams(type=types.MessageType.Info, message=message_text(payload, kind, path))
        )
    return str(path)


def _markdown(text: str) -> types.Hover:
    return types.Hover(contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value=text))


def _variant(ls: MetaCompressServer, command: str, args: Sequence[Any]) -> dict[str, Any] | None:
    """The failing variant of a unit: from the latest findings, else replayed from the diagnostic's recipe."""
    if len(args) < 2 or not isinstance(args[0], str) or not isinstance(args[1], str):
        ls.user_error(f"{command} needs the arguments [uri, unitId, recipe]")
        return None
    found = ls.finding(args[0], args[1])
    if isinstance(found, Finding):
        return variant_payload(found)
    if isinstance(found, Unit) and len(args) >= 3 and isinstance(args[2], list):
        steps = tuple((str(name), int(seed)) for name, seed in args[2])
        variant = realise(found, Recipe(steps))
        if variant is not None:
            return {
                "unitId": found.id,
                "qualname": found.qualname,
                "language": found.language,
                "transforms": list(variant.transforms),
                "description": variant.description,
                "original": found.source,
                "variant": variant.source,
                "diff": variant.diff(),
                "message": "replayed from the diagnostic's recipe",
            }
    ls.window_show_message(
        types.ShowMessageParams(
            type=types.MessageType.Info, message="MetaCompress: that function has changed; re-check first"
        )
    )
    return None


def setup_logging(log_file: str | None, level: str = "INFO") -> None:
    """Log to stderr (clients show it in their server log) and, when asked, to a file."""
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    if log_file:
        handlers.append(logging.FileHandler(log_file, encoding="utf-8"))
    logging.basicConfig(
        level=getattr(logging, level.upper(), logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        handlers=handlers,
        force=True,
    )
    if logging.getLogger().level > logging.DEBUG:
        logging.getLogger("pygls").setLevel(logging.WARNING)  # it logs every message at INFO


def serve(log_file: str | None = None, log_level: str = "INFO") -> int:
    setup_logging(log_file, log_level)
    build_server().start_io()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m server", description="the MetaCompress language server")
    parser.add_argument("--log-file", help="also write the log to this file")
    parser.add_argument("--log-level", default="INFO", help="DEBUG, INFO, WARNING or ERROR")
    args = parser.parse_args(argv)
    return serve(args.log_file, args.log_level)
