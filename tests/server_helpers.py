"""Shared pieces of the language-server tests: the server command, a recording client, known C code."""

from __future__ import annotations

import asyncio
import sys
from typing import Union

from lsprotocol import types
from pygls.protocol import default_converter
from pytest_lsp import LanguageClient
from pytest_lsp.client import DEFAULT_CLIENT_FEATURES, register_lsp_features

SERVER = [sys.executable, "-m", "server"]
TRANSFORMS = ["for-to-while", "rename-variable", "swap-relational", "insert-comment", "split-declaration"]

# `sum` has a `for` loop: the student (keyed to `while`) flips on its for -> while variant, the teacher (keyed
# to `malloc`) never does. The comment before `sum` puts non-ASCII text before the name on its line, so byte,
# code point and UTF-16 columns all differ.
C_SOURCE = """\
/* é😀 */ int sum(const int *a, int n)
{
    int total = 0;
    for (int i = 0; i < n; i++)
        total += a[i];
    return total;
}

int twice(int x)
{
    int y = x * 2;
    return y;
}

int clamp(int v, int lo, int hi)
{
    if (v < lo)
        return lo;
    return v > hi ? hi : v;
}
"""


def _converter():
    """pygls' converter, except that a CodeAction carrying a Command stays a CodeAction: lsprotocol 2025.0
    reads any code action with a `command` key as a bare Command (editors tell them apart by whether
    `command` is a string, as here)."""
    converter = default_converter()

    def command_or_action(obj, _):
        kind = types.Command if isinstance(obj.get("command"), str) else types.CodeAction
        return converter.structure(obj, kind)

    converter.register_structure_hook(Union[types.Command, types.CodeAction], command_or_action)  # noqa: UP007
    return converter


def recording_client() -> LanguageClient:
    """pytest-lsp's client, also keeping every publishDiagnostics (with its version) in order."""
    client = LanguageClient(converter_factory=_converter)
    client.published = []  # type: ignore[attr-defined]

    def publish(client: LanguageClient, params: types.PublishDiagnosticsParams) -> None:
        client.diagnostics[params.uri] = params.diagnostics
        client.published.append(params)  # type: ignore[attr-defined]

    features = dict(DEFAULT_CLIENT_FEATURES)
    features[types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS] = publish
    register_lsp_features(client, features)
    return client


def utf16_position(text: str, needle: str) -> types.Position:
    """Where `needle` first starts in `text`, in LSP's UTF-16 code units."""
    index = text.index(needle)
    line = text.count("\n", 0, index)
    start = text.rfind("\n", 0, index) + 1
    return types.Position(line=line, character=len(text[start:index].encode("utf-16-le")) // 2)


def open_document(client: LanguageClient, uri: str, text: str, language: str = "c", version: int = 1) -> None:
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(uri=uri, language_id=language, version=version, text=text)
        )
    )


def replace_text(client: LanguageClient, uri: str, text: str, version: int) -> None:
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
        )
    )


async def hover_text(client: LanguageClient, uri: str, position: types.Position) -> str | None:
    result = await client.text_document_hover_async(
        types.HoverParams(text_document=types.TextDocumentIdentifier(uri=uri), position=position)
    )
    return None if result is None else result.contents.value


async def wait_checked(
    client: LanguageClient, uri: str, positions: list[types.Position], timeout=90.0
) -> None:
    """Until the hover at every position shows a finished check of the current version."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        texts = [await hover_text(client, uri, p) for p in positions]
        if all(t is not None and "variants" in t for t in texts):
            return
        if loop.time() > deadline:
            raise AssertionError(f"no finished check of {uri}: {texts}")
        await asyncio.sleep(0.2)
