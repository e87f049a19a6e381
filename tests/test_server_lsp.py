"""The language server through a real LSP client (pytest-lsp), with the VS Code and Neovim 0.7 capabilities.

The models are the known-behaviour ones of tests/known_models.py: the teacher answers "vulnerable" only on
`malloc`, the student only on `while`, and the transforms are those that never write `while` themselves; so
exactly the functions with a `for` loop get a diagnostic, through the for -> while variant.
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types
from pygls.uris import to_fs_path
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities
from server_helpers import (
    C_SOURCE,
    SERVER,
    TRANSFORMS,
    hover_text,
    known_pair,  # noqa: F401 (a fixture)
    open_document,
    recording_client,
    replace_text,
    utf16_position,
    wait_checked,
)

pytestmark = pytest.mark.asyncio(loop_scope="module")

PROFILES = ["visual-studio-code", "neovim@v0.7.0"]


@pytest.fixture(scope="module")
def settings(request, tmp_path_factory) -> dict:
    return {
        "models": {"c": request.getfixturevalue("known_pair")},
        "transforms": TRANSFORMS,
        "budget": 6,
        "compositions": 2,
        "device": "cpu",
        "threads": 1,
        "cacheDir": str(tmp_path_factory.mktemp("lsp-cache")),
        "debounce": 0.3,
        "maxBudget": 0,  # no idle deepening: these tests count checks and publications (test_server_deepen.py)
    }


@pytest_lsp.fixture(
    scope="module",
    loop_scope="module",
    params=PROFILES,
    config=ClientServerConfig(server_command=SERVER, client_factory=recording_client),
)
async def client(lsp_client: LanguageClient, request, tmp_path_factory):
    settings = request.getfixturevalue("settings")
    profile = request.param
    capabilities = client_capabilities(profile)
    options = None
    if capabilities.workspace and capabilities.workspace.configuration:
        lsp_client.set_configuration(settings, section="metacompress")  # VS Code: workspace/configuration
    else:
        options = {"metacompress": settings}  # Neovim 0.7: initializationOptions
    root = tmp_path_factory.mktemp("workspace")
    await lsp_client.initialize_session(
        types.InitializeParams(
            capabilities=capabilities, root_uri=root.as_uri(), initialization_options=options
        )
    )
    lsp_client.root = root  # type: ignore[attr-defined]
    lsp_client.profile = profile  # type: ignore[attr-defined]
    yield
    await lsp_client.shutdown_session()


def _uri(client: LanguageClient, name: str) -> str:
    return (client.root / name).as_uri()  # type: ignore[attr-defined]


async def test_diagnostic_on_the_loop_function_name_only(client: LanguageClient):
    uri = _uri(client, "demo.c")
    open_document(client, uri, C_SOURCE)
    names = [utf16_position(C_SOURCE, n) for n in ("sum(", "twice(", "clamp(")]
    await wait_checked(client, uri, names)
    (diag,) = client.diagnostics[uri]
    start = names[0]
    assert diag.range.start == start
    assert diag.range.end == types.Position(line=start.line, character=start.character + len("sum"))
    assert diag.source == "metacompress"
    assert diag.severity == types.DiagnosticSeverity.Warning and diag.code == "prediction-agreement"
    assert diag.message.startswith(
        "After for -> while at line 4, the student flips from safe 0.88 to vulnerable 0.9"
    )
    assert "the teacher keeps safe" in diag.message and re.search(
        r"\(prediction-agreement; \d+ of \d+ variants\)$", diag.message
    )
    assert diag.data["recipe"] and diag.data["transforms"] == ["for-to-while"]
    last = client.published[-1]
    assert last.uri == uri and last.version == 1


async def test_hover_shows_both_models_on_original_and_worst_variant(client: LanguageClient):
    uri = _uri(client, "hover.c")
    open_document(client, uri, C_SOURCE)
    at_sum, at_twice = utf16_position(C_SOURCE, "sum("), utf16_position(C_SOURCE, "twice(")
    await wait_checked(client, uri, [at_sum, at_twice])
    text = await hover_text(client, uri, types.Position(line=at_sum.line + 3, character=4))  # inside the body
    assert "`sum` (warning)" in text and "the student flips from safe 0.88 to vulnerable 0.9" in text
    assert "| original | safe 0.881 | safe 0.881 |" in text
    assert "| after for -> while at line 4 | safe 0.881 | vulnerable 0.9" in text
    assert re.search(r"\| prediction-agreement \| 0 of 1 \| [1-9]\d* of \d+ \| 0 \|", text)
    assert re.search(r"\| teacher-invariance \| 0 of 1 \| 0 of \d+ \| 0 \|", text)
    loop_free = await hover_text(client, uri, at_twice)
    assert "`twice`" in loop_free and "agrees with its teacher on all" in loop_free


async def test_code_action_shows_the_failing_variant_and_ignore_hides_it(client: LanguageClient):
    uri = _uri(client, "actions.c")
    open_document(client, uri, C_SOURCE)
    at_sum = utf16_position(C_SOURCE, "sum(")
    await wait_checked(client, uri, [at_sum])
    (diag,) = client.diagnostics[uri]
    actions = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            range=diag.range,
            context=types.CodeActionContext(diagnostics=[diag]),
        )
    )
    by_title = {a.title: a for a in actions}
    show = by_title["MetaCompress: Show failing variant"].command
    payload = await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command=show.command, arguments=show.arguments)
    )
    assert "while (i < n)" in payload["variant"] and "for (" not in payload["variant"]
    assert payload["original"].startswith("int sum(") and payload["transforms"] == ["for-to-while"]
    assert "-    for (int i = 0; i < n; i++)" in payload["diff"]
    # Generic clients ignore a command's result, so the server shows the diff itself.
    if client.capabilities.window.show_document.support:  # VS Code: a file opened with showDocument
        for _ in range(100):
            if client.shown_documents:
                break
            await asyncio.sleep(0.05)
        shown = client.shown_documents[-1]
        assert to_fs_path(shown.uri) == payload["file"]
        assert Path(payload["file"]).read_text(encoding="utf-8") == payload["diff"]
    else:  # Neovim 0.7: no showDocument, so a message with the diff and the file it is in
        for _ in range(100):
            if any("while (i < n)" in m.message for m in client.messages):
                break
            await asyncio.sleep(0.05)
        (message,) = [m for m in client.messages if "while (i < n)" in m.message]
        assert message.type == types.MessageType.Info and payload["file"] in message.message
    quiet = await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command=show.command, arguments=[*show.arguments, {"present": False}])
    )
    assert quiet["variant"] == payload["variant"] and quiet["file"] is None
    copy = by_title["MetaCompress: Copy variant"].command
    copied = await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command=copy.command, arguments=copy.arguments)
    )
    assert copied == payload["variant"]

    recheck = by_title["MetaCompress: Re-check"].command
    tokens = set(client.progress_reports)
    await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command=recheck.command, arguments=recheck.arguments)
    )
    for _ in range(300):  # a new check runs: its progress begins and ends
        new = [client.progress_reports[t] for t in set(client.progress_reports) - tokens]
        if new and new[0] and isinstance(new[0][-1], types.WorkDoneProgressEnd):
            break
        await asyncio.sleep(0.1)
    (reports,) = new
    assert isinstance(reports[0], types.WorkDoneProgressBegin) and reports[0].title == "MetaCompress"
    assert any(isinstance(r, types.WorkDoneProgressReport) and r.message == "3/3 functions" for r in reports)
    # After the first result, an estimate of the time left (the clock starts there, not at model loading).
    middle = [
        r.message
        for r in reports
        if isinstance(r, types.WorkDoneProgressReport) and r.message.startswith("2/3")
    ]
    assert middle and re.fullmatch(r"2/3 functions, about \d+ s left", middle[0]), middle
    assert client.diagnostics[uri] == (diag,)  # the same result, not published twice

    ignore = by_title["MetaCompress: Ignore this function"].command
    before = len(client.published)
    await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command=ignore.command, arguments=ignore.arguments)
    )
    for _ in range(100):
        if len(client.published) > before:
            break
        await asyncio.sleep(0.05)
    assert client.published[-1].uri == uri and not client.published[-1].diagnostics
    assert "Ignored" in await hover_text(client, uri, at_sum)


def _sum_line(text: str) -> int:
    return utf16_position(text, "sum(").line


async def test_no_stale_diagnostics_under_rapid_changes(client: LanguageClient):
    uri = _uri(client, "typing.c")
    open_document(client, uri, C_SOURCE)
    texts = {1: C_SOURCE}
    await asyncio.sleep(0.5)  # let the first check start, so the edits below cancel work in flight
    for version in range(2, 9):
        texts[version] = "\n" * version + C_SOURCE  # every edit moves `sum` down
        replace_text(client, uri, texts[version], version)
        await asyncio.sleep(0.05)
    final = texts[8]
    await wait_checked(client, uri, [utf16_position(final, "sum(")])
    mine = [p for p in client.published if p.uri == uri]
    assert mine[-1].version == 8
    (diag,) = mine[-1].diagnostics
    assert diag.range.start == utf16_position(final, "sum(")
    versions = [p.version for p in mine]
    assert versions == sorted(versions)
    for p in mine:  # whatever was published matched the text of the version it names
        for d in p.diagnostics:
            assert d.range.start.line == _sum_line(texts[p.version])
