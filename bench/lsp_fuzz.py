"""Fuzz the language server: N random steps (default 10,000).

The generator is tests/server_helpers.py's `fuzz_steps` (the same as tests/test_server_fuzz.py, which runs a
few hundred): edits, garbage documents (lone surrogates, rare 1 MB documents), documents with percent-escaped
uris, malformed JSON-RPC, bad settings, hovers, code actions and commands with bad arguments. The models are
the known-behaviour ones of tests/known_models.py (`--models known`) or the embedded defaults (`--models
default`: clone for Java, vulnerability for C). Passes when the server never exits, never reports an internal
error, and afterwards still checks a known file, and every document with a percent-escaped uri, publishing
their diagnostics for the final version. Prints the counts and the peak memory of the server and its worker.

    python bench/lsp_fuzz.py                 # 10,000 steps, known models
    python bench/lsp_fuzz.py --models default
    python bench/lsp_fuzz.py --steps 2000 --seed 3
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from known_models import keyword_model  # noqa: E402
from lsprotocol import types  # noqa: E402
from pytest_lsp import client_capabilities  # noqa: E402
from server_helpers import (  # noqa: E402
    C_SOURCE,
    SERVER,
    TRANSFORMS,
    fuzz_steps,
    fuzz_uris,
    hover_text,
    open_document,
    recording_client,
    utf16_position,
    wait_checked,
    worker_pids,
)


def _peak_rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


async def run(steps: int, seed: int, models: str) -> int:
    root = Path(tempfile.mkdtemp(prefix="lsp-fuzz-"))
    settings = {
        "transforms": TRANSFORMS,
        "budget": 2,
        "compositions": 0,
        "debounce": 0.02,
        "cacheDir": str(root / "cache"),
    }
    if models == "known":
        pair = {
            "teacher": str(keyword_model(root / "teacher", "malloc")),
            "student": str(keyword_model(root / "student", "while")),
        }
        settings["models"] = {"c": pair, "java": pair, "python": pair}
    client = recording_client()
    await client.start_io(*SERVER, cwd=str(REPO))
    await client.initialize_session(
        types.InitializeParams(
            capabilities=client_capabilities("visual-studio-code"),
            root_uri=root.as_uri(),
            initialization_options={"metacompress": settings},
        )
    )
    started = time.perf_counter()
    versions = await fuzz_steps(client, root, random.Random(seed), steps, settings=settings)
    fuzz_seconds = time.perf_counter() - started
    server = client._server
    alive = server is not None and server.returncode is None
    internal = [m.message for m in client.messages if "internal error" in m.message]
    noise = [m.message for m in client.messages if "Error in server" in m.message]

    # Afterwards: the main document and every percent-escaped one, reopened as C with known text, are checked
    # and published under the client's uri for their final version. (Known models: the `sum` function gets
    # its diagnostic; the default models may find nothing, so a finished check is what counts there.)
    at_sum = utf16_position(C_SOURCE, "sum(")
    results = {}
    for uri in [fuzz_uris(root)[0], *fuzz_uris(root)[3:]]:
        version = versions[uri] + 1
        client.text_document_did_close(
            types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri))
        )
        open_document(client, uri, C_SOURCE, "c", version)
        try:
            await wait_checked(client, uri, [at_sum], timeout=300)
            text = await hover_text(client, uri, at_sum) or ""
        except AssertionError:  # no finished check in time
            text = ""
        for _ in range(100):  # the publish may trail the hover that saw the finished check
            mine = [p for p in client.published if p.uri == uri and p.version == version]
            if mine and (mine[-1].diagnostics or models != "known"):
                break
            await asyncio.sleep(0.1)
        found = models != "known" or bool(mine and mine[-1].diagnostics)
        results[uri] = bool(text) and bool(mine) and found
    rss = _peak_rss_mb(server.pid) if server is not None else None
    workers = [_peak_rss_mb(pid) for pid in worker_pids(server.pid)] if server is not None else []
    await client.shutdown_session()
    await client.stop()

    print(f"models: {models}; steps: {steps} (seed {seed}) in {fuzz_seconds:.1f} s")
    print(f"server alive after the fuzz: {alive}")
    print(f"internal errors reported: {len(internal)}; protocol errors shown to the user: {len(noise)}")
    print(f"publishDiagnostics received: {len(client.published)}")
    for uri, ok in results.items():
        print(f"checked afterwards, final version published: {ok}  {uri.rsplit('/', 1)[-1]}")
    if rss is not None:
        shown = ", ".join(f"{w:.0f} MB" for w in workers if w is not None) or "none running"
        print(f"peak RSS: server {rss:.0f} MB; worker {shown}")
    ok = alive and not internal and not noise and all(results.values())
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--steps", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--models", choices=("known", "default"), default="known")
    args = parser.parse_args()
    return asyncio.run(run(args.steps, args.seed, args.models))


if __name__ == "__main__":
    sys.exit(main())
