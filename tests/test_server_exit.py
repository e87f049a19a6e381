"""`exit` ends the language server within 2 s in every state (issue 12): idle, in the middle of a long check,
with or without `shutdown` first, and while a model load hangs; a client that just goes away ends it too.

Each test starts its own server through pytest-lsp's client and measures from `exit` to the process's end.
"""

from __future__ import annotations

import asyncio
import os
import time

import pytest
from pytest_lsp import LanguageClient
from server_helpers import (
    known_pair,  # noqa: F401 (a fixture)
    open_document,
    start_c_server,
)

EXIT_BOUND = 2.0  # seconds: the issue's bound from `exit` to the end of the process
HANG = 60.0  # a server still alive after this is stuck (and killed)

# Many functions with a loop: a check of this document lasts far longer than the bound, and every function
# gets a diagnostic, so the first one published says the check is under way.
BIG = "".join(
    f"int f{k}(const int *a, int n)\n{{\n    int t = 0;\n    for (int i = 0; i < n; i++)\n        t += a[i];\n"
    f"    return t;\n}}\n\n"
    for k in range(400)
)


@pytest.fixture
def models(request) -> dict:
    return request.getfixturevalue("known_pair")


async def _ended_within(client: LanguageClient) -> float:
    """Seconds until the server process ends (HANG and a kill when it does not)."""
    process = client._server
    started = time.monotonic()
    try:
        await asyncio.wait_for(process.wait(), HANG)
        return time.monotonic() - started
    except TimeoutError:
        process.kill()
        await process.wait()
        return HANG
    finally:
        await client.stop()


async def _exit(client: LanguageClient, shutdown: bool) -> tuple[float, int]:
    if shutdown:
        await client.shutdown_async(None)
    client.exit(None)
    seconds = await _ended_within(client)
    return seconds, client._server.returncode


async def _busy(client: LanguageClient, tmp_path) -> None:
    """Open the big document and wait until its check has published a first diagnostic (it is mid-check)."""
    uri = (tmp_path / "big.c").as_uri()
    open_document(client, uri, BIG)
    for _ in range(int(HANG / 0.1)):
        if client.diagnostics.get(uri):
            return
        await asyncio.sleep(0.1)
    raise AssertionError("the big document's check never published anything")


@pytest.mark.asyncio
async def test_exit_when_idle(tmp_path, models):
    client = await start_c_server(tmp_path, models)
    seconds, code = await _exit(client, shutdown=True)
    assert code == 0
    assert seconds < EXIT_BOUND


@pytest.mark.asyncio
@pytest.mark.parametrize("shutdown", [True, False], ids=["shutdown-exit", "exit-only"])
async def test_exit_in_the_middle_of_a_check(tmp_path, models, shutdown):
    client = await start_c_server(tmp_path, models)
    await _busy(client, tmp_path)
    seconds, code = await _exit(client, shutdown)
    assert code == (0 if shutdown else 1)  # LSP: 1 when no shutdown came first
    assert seconds < EXIT_BOUND


@pytest.mark.asyncio
@pytest.mark.parametrize("shutdown", [True, False], ids=["shutdown-exit", "exit-only"])
async def test_exit_while_a_model_load_hangs(tmp_path, shutdown):
    # A model folder whose manifest is a FIFO nobody writes: the load blocks inside model code for good.
    stuck = tmp_path / "stuck"
    stuck.mkdir()
    os.mkfifo(stuck / "model.json")
    client = await start_c_server(tmp_path, {"teacher": str(stuck), "student": str(stuck)})
    open_document(client, (tmp_path / "demo.c").as_uri(), "int f(int n)\n{\n    for (;;) {}\n}\n")
    await asyncio.sleep(1.0)  # the check starts, and with it the load
    seconds, code = await _exit(client, shutdown)
    assert code == (0 if shutdown else 1)
    assert seconds < EXIT_BOUND


@pytest.mark.asyncio
async def test_a_client_that_goes_away_ends_the_server(tmp_path, models):
    client = await start_c_server(tmp_path, models)
    await _busy(client, tmp_path)
    client._server.stdin.close()  # no shutdown, no exit: end of input
    seconds = await _ended_within(client)
    assert seconds < HANG  # not stuck behind the running check
