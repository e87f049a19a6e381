"""Shared pieces of the language-server tests: the server command, a recording client, known C code."""

from __future__ import annotations

import asyncio
import sys
from typing import Union

import pytest
from known_models import C_THREE_FUNCTIONS, keyword_model
from lsprotocol import types
from pygls.protocol import default_converter
from pytest_lsp import LanguageClient, client_capabilities
from pytest_lsp.client import DEFAULT_CLIENT_FEATURES, register_lsp_features

SERVER = [sys.executable, "-m", "metacompress_server"]
TRANSFORMS = ["for-to-while", "rename-variable", "swap-relational", "insert-comment", "split-declaration"]

# `sum` has a `for` loop: the student (keyed to `while`) flips on its for -> while variant, the teacher (keyed
# to `malloc`) never does. The comment before `sum` puts non-ASCII text before the name on its line, so byte,
# code point and UTF-16 columns all differ.
C_SOURCE = "/* é😀 */ " + C_THREE_FUNCTIONS


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
    return types.Position(
        line=line, character=len(text[start:index].encode("utf-16-le", "surrogatepass")) // 2
    )


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


# ---- fuzzing (tests/test_server_fuzz.py, bench/lsp_fuzz.py) ---------------------------------------------------

_LANGUAGES = ["c", "c", "java", "python", "plaintext", "cpp", ""]
_SNIPPETS = [
    "for (int i = 0; i < n; i++) x += i;",
    "while (1) {",
    "}",
    "{",
    "int f(",
    "def g(x):\n    return x\n",
    "class A { void m() { for (;;) {} } }",
    "/*",
    "*/",
    '"',
    "#define X(a) a\n",
    "é😀\u200b\t\r\n",
    "\x00\x01\x7f",
    "/* \ud800 */",  # a lone UTF-16 surrogate, as a client may send one
]
# Settings a client may send by mistake: each must become a message, never an internal error.
_BAD_SETTINGS = [
    {"models": "x"},
    {"models": {"c": 5}},
    {"budget": "8"},
    {"budget": -1},
    {"maxBudget": 2.5},
    {"idle": "soon"},
    {"device": 7},
    {"transforms": 5},
    {"severity": {"prediction-agreement": "loud"}},
    {"trigger": None},
    [1, 2],
    "metacompress",
]
# Messages that are not well-formed JSON-RPC (framed correctly, so the stream stays readable).
_MALFORMED = [
    b"{bad json",
    b"[1, 2]",
    b'{"jsonrpc": "2.0", "id": 900001, "method": "textDocument/hover", "params": {"textDocument": 5}}',
    b'{"jsonrpc": "2.0", "id": 900002, "method": "no/such/method", "params": {}}',
    b'{"jsonrpc": "2.0", "method": "textDocument/didChange", "params": {"textDocument": {"uri": 3}}}',
    b'{"jsonrpc": "1.0", "id": 900003, "method": "shutdown"}',
    b'"\\u00e9\\ud83d\\ude00 \\ud800"',  # a JSON string with escapes, a lone surrogate among them
]
# Documents whose uri has percent-escapes (a space, a non-ASCII letter, `#`) and a Windows drive letter, as
# VS Code names them: each must be checked like any other.
ESCAPED_NAMES = ("fuzz three.c", "f\u00fcnf#4.java")
WINDOWS_URI = "file:///c%3A/fuzz/w%20indows.c"


def _garbage(rng) -> str:
    kind = rng.randrange(6)
    if kind == 0:
        return "".join(
            chr(rng.choice([rng.randrange(32, 127), rng.randrange(0, 0xD7FF)])) for _ in range(200)
        )
    if kind == 1:
        lines = C_SOURCE.splitlines(keepends=True)
        rng.shuffle(lines)
        return "".join(lines)
    if kind == 2:
        return "{" * rng.randrange(1, 400) + "int f() { return 0; }"
    if kind == 3:
        return "".join(rng.choice(_SNIPPETS) for _ in range(rng.randrange(1, 30)))
    if kind == 4:
        cut = rng.randrange(len(C_SOURCE))
        return C_SOURCE[:cut]
    return ""


def _position(text: str, index: int) -> types.Position:
    line = text.count("\n", 0, index)
    start = text.rfind("\n", 0, index) + 1
    return types.Position(
        line=line, character=len(text[start:index].encode("utf-16-le", "surrogatepass")) // 2
    )


def fuzz_uris(root) -> list[str]:
    names = ("fuzz0.c", "fuzz1.java", "fuzz2.py", *ESCAPED_NAMES)
    return [*((root / name).as_uri() for name in names), WINDOWS_URI]


def _raw(client: LanguageClient, body: bytes) -> None:
    """Write one framed message straight to the server's input, bypassing the client's own encoder."""
    client._server.stdin.write(b"Content-Length: %d\r\n\r\n%s" % (len(body), body))


async def fuzz_steps(
    client: LanguageClient, root, rng, count: int, settings: dict | None = None
) -> dict[str, int]:
    """`count` random steps over six documents (three with percent-escaped uris): opens, closes, whole and
    ranged edits (some ranges out of bounds), rare huge documents, hovers, code actions, commands with bad
    arguments, malformed JSON-RPC and, given the good `settings`, bad settings each followed by the good ones.
    Returns each open document's version."""
    uris = fuzz_uris(root)
    texts: dict[str, str] = {}
    versions: dict[str, int] = {}
    for uri in uris:
        texts[uri], versions[uri] = C_SOURCE, 1
        open_document(client, uri, C_SOURCE, rng.choice(_LANGUAGES))
    for _ in range(count):
        uri = rng.choice(uris)
        action = rng.random()
        if action < 0.45:
            text = texts[uri]
            a, b = sorted(rng.randrange(len(text) + 1) for _ in range(2))
            new = rng.choice(_SNIPPETS) if rng.random() < 0.8 else _garbage(rng)
            start, end = _position(text, a), _position(text, b)
            if rng.random() < 0.05:  # a client bug: a range past the end
                end = types.Position(line=end.line + 50, character=999)
                b = len(text)
            versions[uri] += 1
            texts[uri] = text[:a] + new + text[b:]
            client.text_document_did_change(
                types.DidChangeTextDocumentParams(
                    text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=versions[uri]),
                    content_changes=[
                        types.TextDocumentContentChangePartial(
                            range=types.Range(start=start, end=end), text=new
                        )
                    ],
                )
            )
        elif action < 0.7:
            versions[uri] += 1
            texts[uri] = _garbage(rng)
            replace_text(client, uri, texts[uri], versions[uri])
        elif action < 0.8:
            line = rng.randrange(0, texts[uri].count("\n") + 3)
            await hover_text(client, uri, types.Position(line=line, character=rng.randrange(0, 80)))
        elif action < 0.87:
            diagnostics = list(client.diagnostics.get(uri, []))
            await client.text_document_code_action_async(
                types.CodeActionParams(
                    text_document=types.TextDocumentIdentifier(uri=uri),
                    range=types.Range(
                        start=types.Position(line=0, character=0), end=_position(texts[uri], 0)
                    ),
                    context=types.CodeActionContext(diagnostics=diagnostics),
                )
            )
        elif action < 0.905:
            _raw(client, rng.choice(_MALFORMED))
        elif action < 0.915 and settings is not None:
            bad = rng.choice(_BAD_SETTINGS)
            for sent in ({"metacompress": bad}, {"metacompress": settings}):
                client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings=sent))
        elif action < 0.917:
            versions[uri] += 1  # a huge document (about 1 MB): parsed, then cancelled by the next edit
            texts[uri] = C_SOURCE * (1_000_000 // len(C_SOURCE))
            replace_text(client, uri, texts[uri], versions[uri])
        elif action < 0.94:
            command = rng.choice(
                ["metacompress.showVariant", "metacompress.copyVariant", "metacompress.recheck"]
            )
            arguments = rng.choice([[], [uri], [uri, "no-such-unit"], [1, 2, 3], [uri, "x", [["nope", 1]]]])
            await client.workspace_execute_command_async(
                types.ExecuteCommandParams(command=command, arguments=arguments)
            )
        else:
            client.text_document_did_close(
                types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri))
            )
            versions[uri] += 1
            texts[uri] = _garbage(rng)
            open_document(client, uri, texts[uri], rng.choice(_LANGUAGES), versions[uri])
        if rng.random() < 0.3:
            await asyncio.sleep(rng.choice([0.0, 0.01, 0.05]))
    return versions


@pytest.fixture(scope="session")
def known_pair(tmp_path_factory) -> dict[str, str]:
    """The known-behaviour teacher (keyed to `malloc`) and student (keyed to `while`), built once per session."""
    root = tmp_path_factory.mktemp("lsp-models")
    return {
        "teacher": str(keyword_model(root / "teacher", "malloc")),
        "student": str(keyword_model(root / "student", "while")),
    }


def worker_pids(server_pid: int) -> list[int]:
    """The server's check worker processes (its children that run multiprocessing's spawn, not its tracker)."""
    from pathlib import Path

    pids = []
    for task in Path(f"/proc/{server_pid}/task").glob("*"):
        try:
            children = (task / "children").read_text().split()
        except OSError:
            continue
        for pid in map(int, children):
            try:
                cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:
                continue
            if "multiprocessing" in cmdline and "resource_tracker" not in cmdline:
                pids.append(pid)
    return pids


def alive(pid: int) -> bool:
    """True while `pid` runs (a zombie, ended but not yet reaped, counts as ended)."""
    from pathlib import Path

    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1][0] != "Z"
    except (OSError, IndexError):
        return False


async def start_c_server(root, models: dict, settings: dict | None = None) -> LanguageClient:
    """A server for C with `models`, budget 8, no cache, no debounce (unless `settings` say otherwise), as
    Neovim 0.7 starts it."""
    client = recording_client()
    await client.start_io(*SERVER)
    defaults = {"budget": 8, "cache": False, "device": "cpu", "threads": 1, "debounce": 0}
    options = {
        "metacompress": {"models": {"c": models}, "transforms": TRANSFORMS, **defaults, **(settings or {})}
    }
    await client.initialize_session(
        types.InitializeParams(
            capabilities=client_capabilities("neovim@v0.7.0"),
            root_uri=root.as_uri(),
            initialization_options=options,
        )
    )
    return client


async def close_server(client: LanguageClient) -> None:
    """shutdown, exit, and the client's end of the pipes."""
    await client.shutdown_async(None)
    client.exit(None)
    await client.stop()


async def until(predicate, timeout: float = 120.0, what: str = "") -> None:
    """Wait (polling every 50 ms) until `predicate()` holds, or fail saying what was awaited."""
    for _ in range(int(timeout / 0.05)):
        if predicate():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")
