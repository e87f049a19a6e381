"""User errors reach the user as window/showMessage, and the server keeps answering (started as
`metacompress serve`, the way editors start it)."""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities
from server_helpers import (
    C_SOURCE,
    TRANSFORMS,
    hover_text,
    known_pair,  # noqa: F401 (a fixture)
    open_document,
    recording_client,
    replace_text,
    utf16_position,
    wait_checked,
)

from metacompress_server.config import DEFAULT_SEVERITY

LOG = Path(tempfile.mkdtemp(prefix="metacompress-server-log-")) / "server.log"
SERVE = [sys.executable, "-m", "metacompress", "serve", "--log-file", str(LOG)]


pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_lsp.fixture(
    scope="module",
    loop_scope="module",
    config=ClientServerConfig(server_command=SERVE, client_factory=recording_client),
)
async def client(lsp_client: LanguageClient, tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("errors")
    missing = tmp_path / "no-such-models"
    options = {
        "metacompress": {
            "models": {"c": {"teacher": str(missing / "teacher"), "student": str(missing / "student")}},
            "transforms": TRANSFORMS,
            "budget": 4,
            "cache": False,
        }
    }
    await lsp_client.initialize_session(
        types.InitializeParams(
            capabilities=client_capabilities("neovim@v0.7.0"),
            root_uri=tmp_path.as_uri(),
            initialization_options=options,
        )
    )
    lsp_client.root = tmp_path  # type: ignore[attr-defined]
    yield
    await lsp_client.shutdown_session()


async def _message(client: LanguageClient, needle: str, timeout: float = 30.0) -> types.ShowMessageParams:
    for _ in range(int(timeout / 0.1)):
        for message in client.messages:
            if needle in message.message:
                return message
        await asyncio.sleep(0.1)
    raise AssertionError(f"no message with {needle!r}: {[m.message for m in client.messages]}")


async def test_missing_model_directory_is_a_message_and_the_server_lives_on(client: LanguageClient, request):
    uri = (client.root / "demo.c").as_uri()  # type: ignore[attr-defined]
    open_document(client, uri, C_SOURCE)
    message = await _message(client, "no-such-models")
    assert message.type == types.MessageType.Error and message.message.startswith("MetaCompress: ")

    at_sum = utf16_position(C_SOURCE, "sum(")
    text = await hover_text(client, uri, at_sum)
    assert "`sum`" in text and "Not checked" in text and "no-such-models" in text
    assert not any("internal error" in m.message for m in client.messages)
    assert "no-such-models" in LOG.read_text(encoding="utf-8")  # --log-file keeps the log too

    # A language MetaCompress does not check: no diagnostics, no hover, no message.
    notes = (client.root / "notes.txt").as_uri()  # type: ignore[attr-defined]
    open_document(client, notes, "for (;;) {}\n", language="plaintext")
    for _ in range(100):
        if any(p.uri == notes for p in client.published):
            break
        await asyncio.sleep(0.1)
    assert all(not p.diagnostics for p in client.published if p.uri == notes)
    assert await hover_text(client, notes, types.Position(line=0, character=1)) is None

    # A bad setting is refused with a message; the previous configuration stays.
    client.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(settings={"metacompress": {"trigger": "sometimes"}})
    )
    await _message(client, "trigger")

    # Fixing the configuration brings the diagnostics, without a restart.
    good = {
        "models": {"c": request.getfixturevalue("known_pair")},
        "transforms": TRANSFORMS,
        "budget": 4,
        "cache": False,
    }
    client.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(settings={"metacompress": good})
    )
    await wait_checked(client, uri, [at_sum])
    (diag,) = client.diagnostics[uri]
    assert diag.range.start == at_sum and "for -> while" in diag.message


async def test_on_save_trigger_and_severity_settings(client: LanguageClient, request):
    pair = request.getfixturevalue("known_pair")
    settings = {"models": {"c": pair}, "transforms": TRANSFORMS, "budget": 4, "cache": False}
    client.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(settings={"metacompress": {**settings, "trigger": "onSave"}})
    )
    uri = (client.root / "saved.c").as_uri()  # type: ignore[attr-defined]
    open_document(client, uri, C_SOURCE)  # opening always checks
    at_sum = utf16_position(C_SOURCE, "sum(")
    await wait_checked(client, uri, [at_sum])
    assert client.diagnostics[uri][0].severity == types.DiagnosticSeverity.Warning

    edited = "\n" + C_SOURCE
    replace_text(client, uri, edited, 2)
    await asyncio.sleep(1.0)  # more than the debounce: an onType server would have checked by now
    assert {p.version for p in client.published if p.uri == uri} == {1}
    assert "when it is saved" in await hover_text(client, uri, utf16_position(edited, "sum("))
    client.text_document_did_save(
        types.DidSaveTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri))
    )
    await wait_checked(client, uri, [utf16_position(edited, "sum(")])
    assert client.published[-1].version == 2

    # Severity per relation: agreement as an error, everything else off.
    severity = {name: "off" for name in DEFAULT_SEVERITY} | {"prediction-agreement": "error"}
    before = len(client.published)
    client.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(settings={"metacompress": {**settings, "severity": severity}})
    )
    for _ in range(300):
        if any(p.uri == uri and p.diagnostics for p in client.published[before:]):
            break
        await asyncio.sleep(0.1)
    (diag,) = [p for p in client.published[before:] if p.uri == uri and p.diagnostics][-1].diagnostics
    assert diag.severity == types.DiagnosticSeverity.Error
    assert "(prediction-agreement;" in diag.message
