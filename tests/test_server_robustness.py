"""The language server under awkward input (issue 12), through a real LSP client (pytest-lsp, VS Code
capabilities): percent-escaped document URIs, lone UTF-16 surrogates, bad settings from the client.

The models are the known-behaviour ones of tests/known_models.py: exactly the functions with a `for` loop get a
diagnostic (the student flips on the for -> while variant, the teacher never does).
"""

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
    hover_text,
    known_pair,  # noqa: F401 (a fixture)
    open_document,
    recording_client,
    replace_text,
    wait_checked,
)

pytestmark = pytest.mark.asyncio(loop_scope="module")


def position(text: str, needle: str) -> types.Position:
    """Where `needle` starts, in UTF-16 code units (a lone surrogate counts as one, as in the client)."""
    index = text.index(needle)
    line = text.count("\n", 0, index)
    start = text.rfind("\n", 0, index) + 1
    return types.Position(
        line=line, character=len(text[start:index].encode("utf-16-le", "surrogatepass")) // 2
    )


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
        "debounce": 0.2,
    }


@pytest_lsp.fixture(
    scope="module",
    loop_scope="module",
    config=ClientServerConfig(server_command=SERVER, client_factory=recording_client),
)
async def client(lsp_client: LanguageClient, request, tmp_path_factory):
    lsp_client.set_configuration(request.getfixturevalue("settings"), section="metacompress")
    root = tmp_path_factory.mktemp("robust workspace")
    await lsp_client.initialize_session(
        types.InitializeParams(capabilities=client_capabilities("visual-studio-code"), root_uri=root.as_uri())
    )
    lsp_client.root = root  # type: ignore[attr-defined]
    yield
    await lsp_client.shutdown_session()


async def _until(predicate, timeout: float = 60.0, what: str = "condition") -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.1)


async def test_percent_escaped_uris_are_checked_and_published_under_the_clients_uri(client, settings):
    root = client.root  # type: ignore[attr-defined]
    uris = [
        (root / "with space.c").as_uri(),  # %20
        (root / "h\u00e9llo.c").as_uri(),  # %C3%A9
        (root / "a#b.c").as_uri(),  # %23
        "file:///c%3A/Users/dev/project/demo.c",  # how VS Code names every file on Windows
    ]
    assert all("%" in uri for uri in uris)
    at_sum = position(C_SOURCE, "sum(")
    for uri in uris:
        open_document(client, uri, C_SOURCE)
    for uri in uris:
        await wait_checked(client, uri, [at_sum])
        await _until(lambda u=uri: len(client.diagnostics.get(u, [])) == 1, what=f"diagnostics of {uri}")
        (diag,) = client.diagnostics[uri]
        assert diag.range.start == at_sum
    before = len(client.published)
    # A configuration change re-checks every document; its diagnostics go out under the client's URIs again.
    client.set_configuration({**settings, "budget": 5}, section="metacompress")
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=None))
    await _until(
        lambda: {p.uri for p in client.published[before:] if p.diagnostics} >= set(uris),
        what="diagnostics after the configuration change",
    )
    assert {p.uri for p in client.published} <= set(uris)  # nothing under a URI the client never used
    for uri in uris:
        await wait_checked(client, uri, [at_sum])
        client.text_document_did_close(
            types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri))
        )
    client.set_configuration(settings, section="metacompress")
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=None))


async def test_a_lone_surrogate_still_gets_its_diagnostics(client):
    uri = (client.root / "surrogate.c").as_uri()  # type: ignore[attr-defined]
    open_document(client, uri, C_SOURCE)
    await wait_checked(client, uri, [position(C_SOURCE, "sum(")])
    text = "/* \ud800 */\n" + C_SOURCE.replace("int sum(", "/* \udfff */ int sum(")
    replace_text(client, uri, text, 2)
    at_sum = position(text, "sum(")
    await wait_checked(client, uri, [at_sum], timeout=60)
    await _until(
        lambda: any(p.uri == uri and p.version == 2 for p in client.published), what="a publish of version 2"
    )
    last = [p for p in client.published if p.uri == uri][-1]
    assert last.version == 2
    (diag,) = last.diagnostics
    assert diag.range.start == at_sum
    assert "Checking" not in (await hover_text(client, uri, at_sum))


async def _message(client: LanguageClient, needle: str, timeout: float = 30.0) -> types.ShowMessageParams:
    await _until(
        lambda: any(needle in m.message for m in client.messages), timeout, f"a message with {needle!r}"
    )
    return next(m for m in client.messages if needle in m.message)


@pytest.mark.parametrize(
    ("bad", "named"),
    [
        ({"models": "x"}, "`models`"),
        ({"models": {"c": "x"}}, "`models.c`"),
        ({"budget": "8"}, "`budget`"),
        ({"device": 7}, "`device`"),
        ({"threads": "two"}, "`threads`"),
    ],
)
async def test_bad_settings_are_refused_by_name_and_the_previous_ones_kept(client, settings, bad, named):
    uri = (client.root / f"settings{len(client.messages)}.c").as_uri()  # type: ignore[attr-defined]
    client.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(settings={"metacompress": {**settings, **bad}})
    )
    message = await _message(client, named)
    assert message.type == types.MessageType.Error and message.message.startswith("MetaCompress: ")
    assert "internal error" not in message.message
    # The settings in force before still check documents.
    open_document(client, uri, C_SOURCE)
    at_sum = position(C_SOURCE, "sum(")
    await wait_checked(client, uri, [at_sum])
    await _until(
        lambda: len(client.diagnostics.get(uri, [])) == 1, what="the diagnostic under the old settings"
    )
    assert not any("internal error" in m.message for m in client.messages)


async def test_check_the_workspace_reads_every_file_with_models_from_disk_and_keeps_the_results(
    client, settings
):
    # Only the for -> while transform: every variant of a function with a loop shows the disagreement.
    only_loops = {**settings, "transforms": ["for-to-while"]}
    client.set_configuration(only_loops, section="metacompress")
    client.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(settings={"metacompress": only_loops})
    )
    folder = client.root / "whole workspace"  # type: ignore[attr-defined]
    folder.mkdir()
    loops = [folder / "loop one.c", folder / "sub" / "loop2.c", folder / "sub" / "deeper" / "loop3.c"]
    for path in loops:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(C_SOURCE)
    plain = [folder / "many" / f"plain{k}.c" for k in range(205)]  # past the old cap of 200 files
    plain[0].parent.mkdir()
    for k, path in enumerate(plain):
        path.write_text(f"int g{k}(int x)\n{{\n    return x + {k};\n}}\n")
    for name in ("a.py", "b.py"):
        (folder / name).write_text("def f(xs):\n    for x in xs:\n        pass\n")
    (folder / "notes.txt").write_text("not code")

    report = await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command="metacompress.checkFolder", arguments=[folder.as_uri()])
    )
    assert report["files"] == len(loops) + len(plain)  # every file with models, no cap
    assert report["withFindings"] == len(loops)
    assert report["skipped"] == {"no models for python": 2}
    await _message(client, "skipped 2 file(s): no models for python")
    published = {p.uri: p for p in client.published}
    for path in loops:
        (diag,) = published[path.as_uri()].diagnostics
        assert diag.range.start == position(C_SOURCE, "sum(")
    assert not any(published[p.as_uri()].diagnostics for p in plain)
    assert not any(uri.endswith((".py", ".txt")) for uri in published)
    # Kept: nothing was opened, so nothing is closed, and nothing clears them.
    await asyncio.sleep(1.0)
    assert all(len(client.diagnostics[p.as_uri()]) == 1 for p in loops)
    client.set_configuration(settings, section="metacompress")
    client.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(settings={"metacompress": settings})
    )
