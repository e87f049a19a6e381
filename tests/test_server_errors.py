"""User errors reach the user as window/showMessage, and the server keeps answering (started as
`metacompress serve`, the way editors start it)."""

from __future__ import annotations

import asyncio
import sys

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
    utf16_position,
    wait_checked,
)

SERVE = [sys.executable, "-m", "metacompress_core.cli", "serve"]


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVE, client_factory=recording_client))
async def client(lsp_client: LanguageClient, tmp_path):
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


@pytest.mark.asyncio
async def test_missing_model_directory_is_a_message_and_the_server_lives_on(client: LanguageClient, request):
    uri = (client.root / "demo.c").as_uri()  # type: ignore[attr-defined]
    open_document(client, uri, C_SOURCE)
    message = await _message(client, "no-such-models")
    assert message.type == types.MessageType.Error and message.message.startswith("MetaCompress: ")

    at_sum = utf16_position(C_SOURCE, "sum(")
    text = await hover_text(client, uri, at_sum)
    assert "`sum`" in text and "Not checked" in text and "no-such-models" in text
    assert not any("internal error" in m.message for m in client.messages)

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
