"""Checks run in a worker process the server owns (issue 12): a crash there is reported once and the next check
works; a big document being checked yields to a small one opened after it; the worker ends with the server."""

from __future__ import annotations

import asyncio
import os
import signal

import pytest
from lsprotocol import types
from server_helpers import (
    alive,
    close_server,
    known_pair,  # noqa: F401 (a fixture)
    open_document,
    start_c_server,
    until,
    worker_pids,
)

# Every function has a loop and so a diagnostic (the known student is keyed to `while`, the teacher is not):
# the diagnostics published so far say how far a check got.
BIG = "".join(
    f"int f{k}(const int *a, int n)\n{{\n    int t = 0;\n    int i = 0;\n    while (i < n)\n        t += a[i++];\n"
    f"    return t;\n}}\n\n"
    for k in range(150)
)
SMALL = "int g(int n)\n{\n    int s = 0;\n    while (n > 0)\n        s += n--;\n    return s;\n}\n"


@pytest.mark.asyncio
async def test_a_small_document_does_not_wait_for_a_big_one(tmp_path, known_pair):  # noqa: F811
    client = await start_c_server(tmp_path, known_pair)
    try:
        big, small = (tmp_path / "big.c").as_uri(), (tmp_path / "small.c").as_uri()
        open_document(client, big, BIG)
        await until(
            lambda: len(client.diagnostics.get(big, [])) >= 2, what="the big document's first results"
        )
        open_document(client, small, SMALL)
        await until(lambda: client.diagnostics.get(small), what="the small document's diagnostic")
        # The small document was checked while the big one was still under way (it yielded) ...
        assert len(client.diagnostics[big]) < BIG.count("while")
        # ... and the big one then resumed where it stopped: every function once, none lost.
        await until(lambda: len(client.diagnostics.get(big, [])) == BIG.count("while"), 600, "the rest")
        assert len({d.range.start.line for d in client.diagnostics[big]}) == 150
    finally:
        await close_server(client)


@pytest.mark.asyncio
async def test_a_crashed_worker_is_reported_once_and_replaced(tmp_path, known_pair):  # noqa: F811
    client = await start_c_server(tmp_path, known_pair)
    try:
        uri = (tmp_path / "big.c").as_uri()
        open_document(client, uri, BIG)
        await until(lambda: client.diagnostics.get(uri), what="a first diagnostic")
        (first,) = worker_pids(client._server.pid)
        os.kill(first, signal.SIGKILL)  # as the kernel's out-of-memory killer would
        await until(lambda: any("worker" in m.message for m in client.messages), what="the crash message")
        crash = [m for m in client.messages if "worker" in m.message]
        assert len(crash) == 1 and crash[0].type == types.MessageType.Error
        # The server lives on: hover answers, and a re-check runs in a new worker to the end.
        await client.workspace_execute_command_async(
            types.ExecuteCommandParams(command="metacompress.recheck", arguments=[uri])
        )
        await until(lambda: len(client.diagnostics.get(uri, [])) == BIG.count("while"), 600, "the re-check")
        (second,) = worker_pids(client._server.pid)
        assert second != first and not alive(first)
        assert not any("internal error" in m.message for m in client.messages)
    finally:
        await close_server(client)


@pytest.mark.asyncio
async def test_the_worker_ends_with_the_server(tmp_path, known_pair):  # noqa: F811
    client = await start_c_server(tmp_path, known_pair)
    uri = (tmp_path / "big.c").as_uri()
    open_document(client, uri, BIG)
    await until(lambda: client.diagnostics.get(uri), what="a first diagnostic")
    (worker,) = worker_pids(client._server.pid)
    client.exit(None)  # mid-check, without shutdown
    await asyncio.wait_for(client._server.wait(), 30)
    await client.stop()
    await until(lambda: not alive(worker), 10, "the worker to end")
