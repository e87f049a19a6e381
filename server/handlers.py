"""The LSP handlers: lifecycle, document sync, hover, code actions and the metacompress.* commands.

Each handler is a plain function of the server and the message's params (a command's: its arguments), wrapped
by `safe` (all but `exit_`); `build_server` registers them from HANDLERS. One handler is registered later: `pull_diagnostics`,
in `initialize`, when the client asks for diagnostics by textDocument/diagnostic.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Literal

from lsprotocol import types
from pygls.uris import to_fs_path

from metacompress_core.code.units import Unit
from metacompress_core.engine import Finding
from metacompress_core.plan.recipes import Recipe, realise
from metacompress_server.config import SECTION
from metacompress_server.focus import FOCUS_NOTIFICATION
from metacompress_server.language_server import (
    COPY_VARIANT,
    IGNORE,
    RECHECK,
    SHOW_VARIANT,
    MetaCompressServer,
    safe,
)
from metacompress_server.positions import lsp_range
from metacompress_server.presenters import SOURCE, hover_markdown, pending_markdown, variant_payload
from metacompress_server.variants import message_text, show_params
from metacompress_server.workspace_check import CHECK_FOLDER, check_workspace

# ---- lifecycle ------------------------------------------------------------------------------------------------


@safe()
def initialize(ls: MetaCompressServer, params: types.InitializeParams) -> None:
    """Take the workspace root and the initializationOptions; register pull diagnostics if asked for."""
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


@safe()
async def initialized(ls: MetaCompressServer, params: types.InitializedParams) -> None:
    """Start the worker; fetch the settings, and re-check the open documents if they changed."""
    ls.worker.start()  # it imports the model libraries while the client settles
    if await ls.fetch_config():  # documents opened meanwhile were checked under the old settings
        for uri in ls.open_uris():
            ls.schedule(uri, 0)


@safe()
async def did_change_configuration(ls: MetaCompressServer, params: types.DidChangeConfigurationParams):
    """Take the new settings (pushed, else fetched); re-check the open documents if they changed."""
    settings = params.settings
    if isinstance(settings, dict) and isinstance(settings.get(SECTION), dict):
        changed = ls.apply_config(settings[SECTION])
    else:
        changed = await ls.fetch_config()
    if changed:
        for uri in ls.open_uris():
            ls.schedule(uri, 0)


@safe()
def shutdown(ls: MetaCompressServer, params: None) -> None:
    """Stop scheduling checks and stop the worker."""
    ls.state.closing = True
    ls.scheduler.shutdown()
    ls.worker.stop()


def exit_(ls: MetaCompressServer, params: None) -> None:
    """End the process: status 0 after a shutdown, else 1 (LSP). Not wrapped: nothing may stop the exit."""
    ls.exit_process(0 if ls.state.closing else 1)  # 1: no shutdown came first (LSP)


# ---- document sync --------------------------------------------------------------------------------------------


@safe()
def did_open(ls: MetaCompressServer, params: types.DidOpenTextDocumentParams) -> None:
    """Check a document as soon as it opens."""
    ls.opened(params.text_document.uri)
    ls.schedule(params.text_document.uri, 0)


@safe()
def did_change(ls: MetaCompressServer, params: types.DidChangeTextDocumentParams) -> None:
    """Re-check after the debounce (trigger onType), else only stop the check of the old text."""
    uri = params.text_document.uri
    if ls.config.trigger == "onType":
        ls.schedule(uri)
    else:
        ls.supersede(uri)  # the running check is for text that is gone


@safe()
def did_save(ls: MetaCompressServer, params: types.DidSaveTextDocumentParams) -> None:
    """Check a saved document (trigger onSave)."""
    if ls.config.trigger == "onSave":
        ls.schedule(params.text_document.uri, 0)


@safe()
def did_close(ls: MetaCompressServer, params: types.DidCloseTextDocumentParams) -> None:
    """Forget a closed document and clear its diagnostics."""
    uri = params.text_document.uri
    ls.closed(uri)
    ls.state.forget(uri)
    ls.cancel_stale()
    ls._published.pop(uri, None)
    ls.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=[]))


@safe()
def focus(ls: MetaCompressServer, params: Any) -> None:
    """{"uri", "line", "visible": [[first, last], ...]} from the VS Code extension (server/focus.py)."""
    uri, line, visible = _field(params, "uri"), _field(params, "line"), _field(params, "visible")
    if not isinstance(uri, str) or not (line is None or isinstance(line, int)):
        return  # a malformed notification is dropped: there is no one to answer
    ranges = None
    if isinstance(visible, list | tuple):
        ranges = tuple(
            (r[0], r[1])
            for r in visible
            if isinstance(r, list | tuple) and len(r) == 2 and all(isinstance(x, int) for x in r)
        )
    ls.note_focus(uri, line, ranges)


# ---- language features ----------------------------------------------------------------------------------------


@safe(default=types.RelatedFullDocumentDiagnosticReport(items=[]))
def pull_diagnostics(
    ls: MetaCompressServer, params: types.DocumentDiagnosticParams
) -> types.DocumentDiagnosticReport:
    """textDocument/diagnostic (pull mode): the current version's diagnostics, or "unchanged" while checking."""
    uri = params.text_document.uri
    diagnostics = ls.current_diagnostics(uri)
    if diagnostics is None:  # still checking this version: keep what the client shows until a refresh
        if params.previous_result_id:
            return types.RelatedUnchangedDocumentDiagnosticReport(result_id=params.previous_result_id)
        return types.RelatedFullDocumentDiagnosticReport(items=[])
    key = ls._published.get(uri)
    result_id = f"{hash(repr(key)) & 0xFFFFFFFF:08x}" if key else None
    return types.RelatedFullDocumentDiagnosticReport(items=diagnostics, result_id=result_id)


@safe()
def hover(ls: MetaCompressServer, params: types.HoverParams) -> types.Hover | None:
    """The finding of the function under the mouse, or why there is none (yet)."""
    uri = params.text_document.uri
    ls.note_focus(uri, params.position.line, redirect=False)  # a passing mouse must not stall a check
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
        text = hover_markdown(found, results.depth.get(unit.id))  # the depth of this very finding
    elif results is not None and results.error:
        text = pending_markdown(unit.qualname, f"Not checked: {results.error}")
    else:
        text = pending_markdown(unit.qualname, "Checking...")
    doc = ls.workspace.get_text_document(uri)
    span = lsp_range(doc.lines, unit.name_start, unit.name_end, ls.workspace.position_codec)
    return types.Hover(contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value=text), range=span)


@safe(default=[])
def code_action(ls: MetaCompressServer, params: types.CodeActionParams) -> list[types.CodeAction]:
    """Quick fixes on MetaCompress diagnostics: show or copy the failing variant, re-check, ignore."""
    uri = params.text_document.uri
    ls.note_focus(uri, params.range.start.line)  # editors ask for code actions where the cursor is
    actions: list[types.CodeAction] = []
    for d in params.context.diagnostics:
        if d.source != SOURCE or not isinstance(d.data, dict) or "unitId" not in d.data:
            continue
        unit_id, recipe = d.data["unitId"], d.data.get("recipe", [])
        variant_actions = (
            (
                ("Show failing variant", SHOW_VARIANT, [uri, unit_id, recipe]),
                ("Copy variant", COPY_VARIANT, [uri, unit_id, recipe]),
            )
            if recipe  # evidence on the original code has no variant to blame
            else ()
        )
        for title, command, args in (
            *variant_actions,
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


# ---- commands -------------------------------------------------------------------------------------------------


@safe()
def show_variant(ls: MetaCompressServer, *args: Any) -> dict[str, Any] | None:
    """[uri, unitId, recipe, {"present"}]: the failing variant, its diff shown unless present is false."""
    payload = _variant(ls, SHOW_VARIANT, args)
    if payload is not None:
        payload["file"] = _present(ls, payload, "diff", args)
    return payload


@safe()
def copy_variant(ls: MetaCompressServer, *args: Any) -> str | None:
    """[uri, unitId, recipe, {"present"}]: the failing variant's source, shown unless present is false."""
    payload = _variant(ls, COPY_VARIANT, args)
    if payload is None:
        return None
    _present(ls, payload, "source", args)
    return payload["variant"]


@safe()
def recheck(ls: MetaCompressServer, *args: Any) -> None:
    """[uri] (default: every open document): check now."""
    uris = [args[0]] if args and isinstance(args[0], str) else ls.open_uris()
    for uri in uris:
        ls.schedule(uri, 0)


@safe()
async def check_folder(ls: MetaCompressServer, *args: Any) -> dict[str, Any] | None:
    """[folder uri] (default: the workspace root): every source file below it with models, from disk."""
    given = to_fs_path(args[0]) if args and isinstance(args[0], str) else None
    folder = Path(given) if given else ls.root
    if folder is None or not folder.is_dir():
        ls.user_error(f"{CHECK_FOLDER} needs a folder (no workspace folder is open)")
        return None
    report = await check_workspace(ls, folder)
    for line in report.lines():
        ls.window_show_message(
            types.ShowMessageParams(type=types.MessageType.Info, message=f"MetaCompress: {line}")
        )
    return report.as_json()


@safe()
def ignore(ls: MetaCompressServer, *args: Any) -> None:
    """[uri, unitId]: hide that function's diagnostic for this session."""
    if len(args) >= 2 and isinstance(args[1], str):
        ls.state.ignored.add(args[1])
        ls.publish(args[0])


# ---- registration ---------------------------------------------------------------------------------------------

HANDLERS: tuple[tuple[Literal["feature", "command"], str, Any, Callable[..., Any]], ...] = (
    # (kind, LSP method or workspace/executeCommand command, the method's options, handler)
    ("feature", types.INITIALIZE, None, initialize),
    ("feature", types.INITIALIZED, None, initialized),
    ("feature", types.WORKSPACE_DID_CHANGE_CONFIGURATION, None, did_change_configuration),
    ("feature", types.TEXT_DOCUMENT_DID_OPEN, None, did_open),
    ("feature", types.TEXT_DOCUMENT_DID_CHANGE, None, did_change),
    ("feature", types.TEXT_DOCUMENT_DID_SAVE, None, did_save),
    ("feature", types.TEXT_DOCUMENT_DID_CLOSE, None, did_close),
    ("feature", FOCUS_NOTIFICATION, None, focus),
    ("feature", types.TEXT_DOCUMENT_HOVER, None, hover),
    (
        "feature",
        types.TEXT_DOCUMENT_CODE_ACTION,
        types.CodeActionOptions(code_action_kinds=[types.CodeActionKind.QuickFix]),
        code_action,
    ),
    ("command", SHOW_VARIANT, None, show_variant),
    ("command", COPY_VARIANT, None, copy_variant),
    ("command", RECHECK, None, recheck),
    ("command", CHECK_FOLDER, None, check_folder),
    ("command", IGNORE, None, ignore),
    ("feature", types.SHUTDOWN, None, shutdown),
    ("feature", types.EXIT, None, exit_),
)


def build_server() -> MetaCompressServer:
    """A server with every handler of HANDLERS registered (and pull_diagnostics, by `initialize`, if asked)."""
    ls = MetaCompressServer()
    for kind, name, options, handler in HANDLERS:
        if kind == "command":
            ls.command(name)(handler)
        else:
            ls.feature(name, options)(handler)
    return ls


# ---- helpers --------------------------------------------------------------------------------------------------


def _present(ls: MetaCompressServer, payload: dict[str, Any], kind: str, args: Sequence[Any]) -> str | None:
    """Unless the caller passed {"present": false}: write the diff or source to a file and show it."""
    options = args[3] if len(args) >= 4 and isinstance(args[3], dict) else {}
    if not options.get("present", True):
        return None
    doc = ls.document(args[0])
    path = ls.variant_files.write(payload, kind, doc.path if doc else str(args[0]))
    window = ls.client_capabilities.window
    if window is not None and window.show_document is not None and window.show_document.support:
        ls.window_show_document(show_params(path))
    else:
        ls.window_show_message(
            types.ShowMessageParams(type=types.MessageType.Info, message=message_text(payload, kind, path))
        )
    return str(path)


def _field(params: Any, name: str) -> Any:
    """A field of a custom notification's params, which arrive as a dict or an attribute object."""
    return params.get(name) if isinstance(params, dict) else getattr(params, name, None)


def _markdown(text: str) -> types.Hover:
    return types.Hover(contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value=text))


def _variant(ls: MetaCompressServer, command: str, args: Sequence[Any]) -> dict[str, Any] | None:
    """The failing variant of a unit: from the latest findings, else replayed from the diagnostic's recipe."""
    if len(args) < 2 or not isinstance(args[0], str) or not isinstance(args[1], str):
        ls.user_error(f"{command} needs the arguments [uri, unitId, recipe]")
        return None
    found = ls.finding(args[0], args[1])
    if isinstance(found, Finding):
        payload = variant_payload(found)
        if payload is None:
            ls.window_show_message(
                types.ShowMessageParams(
                    type=types.MessageType.Info,
                    message="MetaCompress: no variant caused this; the student departs on the original code",
                )
            )
        return payload
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
