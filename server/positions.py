"""Tree-sitter points (line, byte column) -> LSP positions in the client's encoding (UTF-16 by default)."""

from __future__ import annotations

from collections.abc import Sequence

from lsprotocol import types
from pygls.workspace.position_codec import PositionCodec


def lsp_position(lines: Sequence[str], point: tuple[int, int], codec: PositionCodec) -> types.Position:
    """`point` counts bytes of UTF-8 along its line; LSP counts the client's code units (UTF-16 usually)."""
    line, byte_column = point
    if line >= len(lines):
        return types.Position(line=len(lines), character=0)
    text = lines[line]
    prefix = text.encode("utf-8", "surrogatepass")[:byte_column]
    try:  # a lone surrogate (which a client may send) is one character of 3 bytes, as the parser saw it
        chars = len(prefix.decode("utf-8", "surrogatepass"))
    except UnicodeDecodeError:  # a column inside a character
        chars = len(prefix.decode("utf-8", "ignore"))
    return codec.position_to_client_units(lines, types.Position(line=line, character=chars))


def lsp_range(
    lines: Sequence[str], start: tuple[int, int], end: tuple[int, int], codec: PositionCodec
) -> types.Range:
    return types.Range(start=lsp_position(lines, start, codec), end=lsp_position(lines, end, codec))
