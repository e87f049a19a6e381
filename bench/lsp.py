"""Editor latency: seconds from didOpen to the first and the last diagnostic, for a 300-line C and Java file.

A plain JSON-RPC client (what an editor does, nothing more) starts `python -m server`, answers
workspace/configuration and work-done progress, opens each file and times the publishDiagnostics that follow;
a check ends with its progress. Each file is opened twice (under two names): the very first open includes
starting torch and loading the models (the known models serve both languages, so only the C file's first open
loads them), the others do not. The prediction cache is off, so every prediction is computed.

Models: the embedded defaults when they are installed (metacompress_core/default_models/<task>/teacher and
/compressor), else the known-behaviour models of tests/known_models.py (tiny: the numbers then show the
server's own overhead, not a real model's cost). Prints numbers; asserts nothing.

    python bench/lsp.py
    python bench/lsp.py --models known --budget 8
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from metacompress_core.default_models import ROOT as DEFAULT_MODELS  # noqa: E402
from metacompress_core.default_models import TASK_OF_LANGUAGE  # noqa: E402

TARGET_LINES = 300


def c_file() -> str:
    """About 300 lines of C: loops, branches, early returns, pointer walks (the shapes transforms act on)."""
    parts, i = [], 0
    while sum(p.count("\n") for p in parts) < TARGET_LINES:
        parts.append(
            f"int sum_{i}(const int *a, int n)\n{{\n    int total = 0;\n"
            f"    for (int k = 0; k < n; k++) {{\n        if (a[k] > {i})\n            total += a[k];\n"
            f"        else\n            total -= {i};\n    }}\n    return total;\n}}\n\n"
            f"int clamp_{i}(int v, int lo, int hi)\n{{\n    if (v < lo)\n        return lo;\n"
            f"    int r = v > hi ? hi : v;\n    return r;\n}}\n\n"
        )
        i += 1
    return "".join(parts)


def java_file() -> str:
    body, i = [], 0
    while sum(p.count("\n") for p in body) < TARGET_LINES - 2:
        body.append(
            f"    static int count{i}(int[] values, int limit) {{\n        int seen = 0;\n"
            f"        for (int k = 0; k < values.length; k++) {{\n            if (values[k] < limit + {i}) {{\n"
            f"                seen++;\n            }}\n        }}\n        return seen;\n    }}\n\n"
            f"    static boolean inside{i}(int v, int lo, int hi) {{\n        boolean low = v >= lo;\n"
            f"        return low && v <= hi;\n    }}\n\n"
        )
        i += 1
    return "public class Bench {\n" + "".join(body) + "}\n"


def model_settings(kind: str, root: Path) -> tuple[str, dict[str, Any]]:
    """('default' | 'known', the `models` table for c and java)."""
    if kind in ("auto", "default"):
        tables = {}
        for language in ("c", "java"):
            task = TASK_OF_LANGUAGE[language]
            teacher, student = DEFAULT_MODELS / task / "teacher", DEFAULT_MODELS / task / "compressor"
            if (teacher / "config.json").is_file() and (student / "config.json").is_file():
                tables[language] = {"teacher": str(teacher), "student": str(student), "task": task}
        if len(tables) == 2:
            return "default", tables
        if kind == "default":
            raise SystemExit(f"the embedded default models are not installed under {DEFAULT_MODELS}")
    from known_models import keyword_model

    pair = {
        "teacher": str(keyword_model(root / "teacher", "malloc")),
        "student": str(keyword_model(root / "student", "while")),
        "task": "vuln",
    }
    return "known", {"c": pair, "java": dict(pair)}


class Client:
    """Just enough LSP over stdio: framing, a reader thread, answers to the server's requests."""

    def __init__(self, settings: dict[str, Any], log: Path) -> None:
        self.settings = settings
        self.stderr = log.open("w")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "server"],
            cwd=REPO,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.stderr,
        )
        self.inbox: queue.Queue[tuple[float, dict]] = queue.Queue()
        self.next_id = 0
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        stream = self.proc.stdout
        assert stream is not None
        while True:
            length = 0
            while True:
                line = stream.readline()
                if not line:
                    return
                if line in (b"\r\n", b"\n"):
                    break
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            self.inbox.put((time.perf_counter(), json.loads(stream.read(length))))

    def send(self, message: dict[str, Any]) -> None:
        body = json.dumps({"jsonrpc": "2.0", **message}).encode()
        assert self.proc.stdin is not None
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
        self.proc.stdin.flush()

    def request(self, method: str, params: Any) -> Any:
        self.next_id += 1
        wanted = self.next_id
        self.send({"id": wanted, "method": method, "params": params})
        while True:
            _, message = self.next_message(60)
            if message.get("id") == wanted and "method" not in message:
                return message.get("result")

    def next_message(self, timeout: float) -> tuple[float, dict]:
        at, message = self.inbox.get(timeout=timeout)
        if "method" in message and "id" in message:  # a request from the server
            result: Any = None
            if message["method"] == "workspace/configuration":
                result = [self.settings for _ in message["params"]["items"]]
            self.send({"id": message["id"], "result": result})
        return at, message

    def close(self) -> None:
        try:
            self.request("shutdown", None)
            self.send({"method": "exit"})
            self.proc.wait(timeout=10)
        except Exception:
            self.proc.kill()
        self.stderr.close()


def time_open(client: Client, uri: str, language: str, text: str, timeout: float) -> dict[str, Any]:
    """didOpen, then until the check's progress ends: times of the first and last non-empty publish."""
    name = uri.rsplit("/", 1)[-1]
    started = time.perf_counter()
    client.send(
        {
            "method": "textDocument/didOpen",
            "params": {"textDocument": {"uri": uri, "languageId": language, "version": 1, "text": text}},
        }
    )
    first = last = None
    count = 0
    tokens: set[str] = set()
    deadline = started + timeout
    while time.perf_counter() < deadline:
        at, message = client.next_message(max(0.1, deadline - time.perf_counter()))
        method, params = message.get("method"), message.get("params") or {}
        if method == "textDocument/publishDiagnostics" and params.get("uri") == uri and params["diagnostics"]:
            first = first if first is not None else at - started
            last, count = at - started, len(params["diagnostics"])
        elif method == "$/progress":
            value = params.get("value", {})
            if value.get("kind") == "begin" and name in (value.get("message") or ""):
                tokens.add(params["token"])
            elif value.get("kind") == "end" and params["token"] in tokens:
                return {"first": first, "last": last, "done": at - started, "diagnostics": count}
        elif method == "window/showMessage":
            print(f"  server message: {params.get('message')}")
    raise SystemExit(f"no finished check of {name} within {timeout} s (server log: {client.stderr.name})")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--models", choices=("auto", "default", "known"), default="auto")
    parser.add_argument("--budget", type=int, default=16, help="variants per function (the server's default)")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=900)
    args = parser.parse_args(argv)

    root = Path(tempfile.mkdtemp(prefix="bench-lsp-"))
    kind, models = model_settings(args.models, root)
    settings = {
        "models": models,
        "budget": args.budget,
        "device": args.device,
        "threads": args.threads,
        "cache": False,
        "debounce": 0.0,
    }
    client = Client(settings, root / "server.log")
    client.request(
        "initialize",
        {
            "processId": os.getpid(),
            "rootUri": root.as_uri(),
            "capabilities": {
                "window": {"workDoneProgress": True},
                "workspace": {"configuration": True},
                "textDocument": {"publishDiagnostics": {"versionSupport": True}},
            },
        },
    )
    client.send({"method": "initialized", "params": {}})
    # A document opened before the server has its configuration is checked twice; wait for it, as editors do.
    while client.next_message(30)[1].get("method") != "workspace/configuration":
        pass
    files = {"c": ("bench.c", c_file()), "java": ("Bench.java", java_file())}
    print(f"models: {kind}; budget {args.budget}; device {args.device}, {args.threads} threads; cache off")
    print(
        f"{'file':<12} {'lines':>5} {'run':<16} {'first diag s':>12} {'last diag s':>11} {'check s':>8} {'diags':>5}"
    )
    try:
        for language, (name, text) in files.items():
            for run in ("first open", "second open"):
                uri = (root / f"{run.split()[0]}-{name}").as_uri()
                r = time_open(client, uri, language, text, args.timeout)
                fmt = lambda v: "-" if v is None else f"{v:.2f}"  # noqa: E731
                print(
                    f"{name:<12} {text.count(chr(10)):>5} {run:<16} {fmt(r['first']):>12} {fmt(r['last']):>11}"
                    f" {r['done']:>8.2f} {r['diagnostics']:>5}"
                )
    finally:
        client.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
