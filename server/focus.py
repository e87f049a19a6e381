"""Which functions of a document a person is looking at, so that their results come first.

The editor says where the cursor is (VS Code's extension sends `metacompress/focus` on every cursor move and
scroll; any client's hover and code-action requests carry a position too). A document check then takes the
function under the cursor first, the functions on screen next, then the rest nearest the cursor first.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from metacompress_core.code.units import Unit

FOCUS_NOTIFICATION = "metacompress/focus"


@dataclass(frozen=True)
class Focus:
    line: int | None = None  # the cursor's line (0-based)
    visible: tuple[tuple[int, int], ...] = ()  # line ranges on screen, inclusive


def under(units: Sequence[Unit], line: int | None) -> Unit | None:
    """The innermost unit whose lines hold `line`."""
    if line is None:
        return None
    holding = [u for u in units if u.start[0] <= line <= u.end[0]]
    return min(holding, key=lambda u: u.end_byte - u.start_byte, default=None)


def focus_order(units: Sequence[Unit], focus: Focus | None) -> list[Unit]:
    """`units` with the one under the cursor first, then those on screen, then the rest nearest the cursor."""
    if focus is None or (focus.line is None and not focus.visible):
        return list(units)
    cursor = under(units, focus.line)
    line = focus.line

    def key(item: tuple[int, Unit]) -> tuple:
        index, unit = item
        shown = any(unit.start[0] <= last and first <= unit.end[0] for first, last in focus.visible)
        distance = 0 if line is None else min(abs(unit.start[0] - line), abs(unit.end[0] - line))
        return (unit is not cursor, not shown, distance, index)

    return [unit for _, unit in sorted(enumerate(units), key=key)]
