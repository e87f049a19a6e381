"""Pull diagnostics (textDocument/diagnostic, LSP 3.17) when initializationOptions ask for them, with the
Neovim 0.10 capabilities: the same diagnostics as push mode, and nothing pushed."""

from __future__ import annotations

import asyncio

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities
from server_helpers import (
    C_SOURCE,
    SERVER,
    TRANSFORMS,
    known_pair,  # noqa: F401 (a fixture)
    open_document,
    recording_client,
    utf16_position,
    wait_checked,
)


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER, client_factory=recording_client))
async def client(lsp_client: LanguageClient, tmp_path, request):
    options = {
        "metacompress": {
            "models": {"c": request.getfixturevalue("known_pair")},
            "transforms": TRANSFORMS,
            "budget": 4,
            "cache": False,
            "diagnostics": "pull",
        }
    }
    result = await lsp_client.initialize_session(
        types.InitializeParams(
            capabilities=client_capabilities("neovim@v0.10.0"),
            root_uri=tmp_path.as_uri(),
            initialization_options=options,
        )
    )
    lsp_client.root = tmp_path  # type: ignore[attr-defined]
    lsp_client.provider = result.capabilities.diagnostic_provider  # type: ignore[attr-defined]
    yield
    await lsp_client.shutdown_session()


async def _pull(client: LanguageClient, uri: str, previous: str | None = None):
    return await client.text_document_diagnostic_async(
        types.DocumentDiagnosticParams(
            text_document=types.TextDocumentIdentifier(uri=uri), previous_result_id=previous
        )
    )


@pytest.mark.asyncio
async def test_pull_mode_answers_text_document_diagnostic_and_pushes_nothing(client: LanguageClient):
    assert client.provider is not None and client.provider.identifier == "metacompress"  # type: ignore[attr-defined]
    uri = (client.root / "pulled.c").as_uri()  # type: ignore[attr-defined]
    open_document(client, uri, C_SOURCE)
    at_sum = utf16_position(C_SOURCE, "sum(")
    await wait_checked(client, uri, [at_sum])
    report = await _pull(client, uri)
    assert report.kind == "full" and report.result_id
    (diag,) = report.items
    assert diag.range.start == at_sum and "for -> while" in diag.message
    await asyncio.sleep(0.2)
    assert not client.published  # pull mode never pushes

    # An edit: until the new version is checked, the client keeps what it has.
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text="\n" + C_SOURCE)],
        )
    )
    pending = await _pull(client, uri, report.result_id)
    assert pending.kind in ("unchanged", "full")
    await wait_checked(client, uri, [utf16_position("\n" + C_SOURCE, "sum(")])
    (moved,) = (await _pull(client, uri, report.result_id)).items
    assert moved.range.start.line == at_sum.line + 1
