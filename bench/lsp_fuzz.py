"""Fuzz the language server: N random edits, garbage documents and malformed requests (default 10,000).

The generator is tests/server_helpers.py's `fuzz_steps` (the same as tests/test_server_fuzz.py, which runs a
few hundred); the models are the known-behaviour ones of tests/known_models.py. Passes when the server never
exits, never reports an internal error, and afterwards still checks a known file and publishes its
diagnostics for the final version. Prints the counts and the server's peak memory.

    python bench/lsp_fuzz.py                 # 10,000 steps
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
    hover_text,
    recording_client,
    replace_text,
    utf16_position,
    wait_checked,
)


def _peak_rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


async def run(steps: int, seed: int) -> int:
    root = Path(tempfile.mkdtemp(prefix="lsp-fuzz-"))
    pair = {
        "teacher": str(keyword_model(root / "teacher", "malloc")),
        "student": str(keyword_model(root / "student", "while")),
    }
    client = recording_client()
    await client.start_io(*SERVER, cwd=str(REPO))
    await client.initialize_session(
        types.InitializeParams(
            capabilities=client_capabilities("visual-studio-code"),
            root_uri=root.as_uri(),
            initialization_options={
                "metacompress": {
                    "models": {"c": pair, "java": pair, "python": pair},
                    "transforms": TRANSFORMS,
                    "budget": 2,
                    "compositions": 0,
                    "debounce": 0.02,
                    "cacheDir": str(root / "cache"),
                }
            },
        )
    )
    started = time.perf_counter()
    versions = await fuzz_steps(client, root, random.Random(seed), steps)
    fuzz_seconds = time.perf_counter() - started
    server = client._server
    alive = server is not None and server.returncode is None
    internal = [m.message for m in client.messages if "internal error" in m.message]

    uri = (root / "fuzz0.c").as_uri()
    version = versions[uri] + 1
    replace_text(client, uri, C_SOURCE, version)
    at_sum = utf16_position(C_SOURCE, "sum(")
    try:
        await wait_checked(client, uri, [at_sum], timeout=120)
        checked = "departs from its teacher" in (await hover_text(client, uri, at_sum) or "")
    except AssertionError:  # no finished check in time
        checked = False
    mine = [p for p in client.published if p.uri == uri]
    final_ok = bool(mine) and mine[-1].version == version and bool(mine[-1].diagnostics)
    rss = _peak_rss_mb(server.pid) if server is not None else None
    await client.shutdown_session()
    await client.stop()

    print(f"steps: {steps} (seed {seed}) in {fuzz_seconds:.1f} s")
    print(f"server alive after the fuzz: {alive}")
    print(f"internal errors reported: {len(internal)}")
    print(f"publishDiagnostics received: {len(client.published)}")
    print(f"known file checked afterwards, final version published: {checked and final_ok}")
    if rss is not None:
        print(f"server peak RSS: {rss:.0f} MB")
    ok = alive and not internal and checked and final_ok
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--steps", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    return asyncio.run(run(args.steps, args.seed))


if __name__ == "__main__":
    sys.exit(main())
