"""The function a person is looking at is checked first (issue 13): the cursor's function, then the screen.

The VS Code extension sends `metacompress/focus` on cursor moves and scrolls; hover and code-action requests
(which every editor sends where the cursor or mouse is) count too. A check under way when the cursor moves to a
function it has not reached yields after its batch and resumes in the new order.
"""

from __future__ import annotations

import pytest
from server_helpers import (
    close_server,
    known_pair,  # noqa: F401 (a fixture)
    open_document,
    start_c_server,
    until,
)

from metacompress_core.code import extract_units
from metacompress_server.focus import FOCUS_NOTIFICATION, Focus, focus_order

# Every function has a loop and so a diagnostic (the known student is keyed to `while`, the teacher is not).
FUNCTIONS = 150
BIG = "".join(
    f"int f{k}(const int *a, int n)\n{{\n    int t = 0;\n    int i = 0;\n    while (i < n)\n        t += a[i++];\n"
    f"    return t;\n}}\n\n"
    for k in range(FUNCTIONS)
)
LINES_PER_FUNCTION = 9


def _line(k: int) -> int:
    return k * LINES_PER_FUNCTION + 3  # a line inside f{k}'s body


def test_the_cursors_function_comes_first_then_the_screen_then_the_nearest() -> None:
    units = extract_units(BIG, "c", "big.c")
    order = [u.qualname for u in focus_order(units, Focus(line=_line(40), visible=((_line(10), _line(12)),)))]
    assert order[:4] == ["f40", "f12", "f11", "f10"]  # on screen: nearest the cursor first
    assert order[4:7] == ["f39", "f41", "f38"]  # then nearest the cursor
    assert sorted(order) == sorted(u.qualname for u in units)  # nothing lost or repeated
    assert [u.qualname for u in focus_order(units, None)] == [u.qualname for u in units]


def _checked(client, uri) -> set[int]:
    return {d.range.start.line // LINES_PER_FUNCTION for d in client.diagnostics.get(uri, [])}


@pytest.mark.asyncio
async def test_a_check_starts_at_the_cursor_and_follows_it(tmp_path, known_pair):  # noqa: F811
    client = await start_c_server(tmp_path, known_pair)
    try:
        uri = (tmp_path / "big.c").as_uri()
        client.protocol.notify(FOCUS_NOTIFICATION, {"uri": uri, "line": _line(120), "visible": []})
        open_document(client, uri, BIG)
        await until(lambda: _checked(client, uri), what="a first diagnostic")
        assert 120 in _checked(client, uri)  # the function under the cursor, not the file's first
        # The cursor moves to a function far from where the check is: it is checked next.
        client.protocol.notify(FOCUS_NOTIFICATION, {"uri": uri, "line": _line(5)})
        await until(lambda: 5 in _checked(client, uri), what="the newly focused function")
        assert len(_checked(client, uri)) < FUNCTIONS // 2  # long before the check would have got there
        # Malformed focus is ignored; the check still ends with every function once.
        client.protocol.notify(FOCUS_NOTIFICATION, {"uri": 3, "line": "x"})
        await until(lambda: len(_checked(client, uri)) == FUNCTIONS, 600, "the rest")
    finally:
        await close_server(client)
