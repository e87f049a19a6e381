"""A few hundred random edits, garbage documents and malformed requests through the server: no crash, no
internal error, and afterwards it still answers and publishes for the final version.

bench/lsp_fuzz.py runs the same generator for 10,000 edits.
"""

from __future__ import annotations

import random

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities
from server_helpers import (
    C_SOURCE,
    SERVER,
    TRANSFORMS,
    fuzz_uris,
    hover_text,
    known_pair,  # noqa: F401 (a fixture)
    open_document,
    recording_client,
    utf16_position,
    wait_checked,
)
from server_helpers import fuzz_steps as steps


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER, client_factory=recording_client))
async def client(lsp_client: LanguageClient, tmp_path, request):
    pair = request.getfixturevalue("known_pair")
    options = {
        "metacompress": {
            "models": {"c": pair, "java": pair, "python": pair},
            "transforms": TRANSFORMS,
            "budget": 2,
            "compositions": 0,
            "debounce": 0.02,
            "cacheDir": str(tmp_path / "cache"),
        }
    }
    # Emacs (eglot): no showDocument, and it prefers UTF-32 positions.
    result = await lsp_client.initialize_session(
        types.InitializeParams(
            capabilities=client_capabilities("emacs"),
            root_uri=tmp_path.as_uri(),
            initialization_options=options,
        )
    )
    lsp_client.root = tmp_path  # type: ignore[attr-defined]
    lsp_client.settings = options["metacompress"]  # type: ignore[attr-defined]
    lsp_client.encoding = result.capabilities.position_encoding  # type: ignore[attr-defined]
    yield
    await lsp_client.shutdown_session()


@pytest.mark.asyncio
async def test_random_edits_and_garbage_do_not_crash_the_server(client: LanguageClient):
    rng = random.Random(5)
    root = client.root  # type: ignore[attr-defined]
    final_versions = await steps(client, root, rng, count=300, settings=client.settings)  # type: ignore[attr-defined]
    assert client._server is not None and client._server.returncode is None  # still running
    assert not [m.message for m in client.messages if "internal error" in m.message]
    assert not [m.message for m in client.messages if "Error in server" in m.message]  # no protocol noise

    # It still checks: reopen the main document as C with known text and wait for its diagnostics.
    uri = (root / "fuzz0.c").as_uri()
    version = reopen_as_c(client, uri, final_versions[uri] + 1)
    at_sum = utf16_position(C_SOURCE, "sum(")
    await wait_checked(client, uri, [at_sum], timeout=60)
    text = await hover_text(client, uri, at_sum)
    assert text and "the student flips" in text
    mine = [p for p in client.published if p.uri == uri]
    assert client.encoding == types.PositionEncodingKind.Utf32  # type: ignore[attr-defined]
    in_code_points = types.Position(line=0, character=C_SOURCE.index("sum("))
    assert mine[-1].version == version and mine[-1].diagnostics[0].range.start == in_code_points

    # Every document with a percent-escaped uri is checked and published under the uri the client used.
    for escaped in fuzz_uris(root)[3:]:
        version = reopen_as_c(client, escaped, final_versions[escaped] + 1)
        await wait_checked(client, escaped, [at_sum], timeout=60)
        published = [p for p in client.published if p.uri == escaped]
        assert published[-1].version == version and published[-1].diagnostics


def reopen_as_c(client: LanguageClient, uri: str, version: int) -> int:
    """Close `uri` and open it again as C with the known text (the fuzz may have left it as any language)."""
    client.text_document_did_close(
        types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri))
    )
    open_document(client, uri, C_SOURCE, "c", version)
    return version
