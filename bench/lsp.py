"""Editor latency and memory: the language server on a 300-line C and a 300-line Java file.

A plain JSON-RPC client (what an editor does, nothing more) starts `python -m metacompress_server`, answers
workspace/configuration and work-done progress, opens each file and times the publishDiagnostics that follow;
a check ends with its progress. It prints:
- seconds from didOpen to the first and the last diagnostic, with a cold prediction cache (a fresh cache
  folder) and a warm one (a new server process, the same documents, the cache the first one filled). The
  first file a process opens also pays for importing torch and loading its models;
- hover and code-action latency (p50/p95), requested every 50 ms on the first file while the second one is
  checked (cold), and the same requests with no check running;
- the memory (VmRSS and peak VmHWM from /proc/<pid>/status) of the server and of its check worker process
  (where the models live) after both checks;
- with `--big`: a ~2 MB C document (12,000 functions) is opened and, once its check is under way, a small
  document is opened and edited; the time from that edit to the small document's diagnostics for the edited
  version (the big check yields to it), and hover latency on the small document while the big one is checked.

Models: for Java the embedded default clone models (metacompress_core/default_models/clone/teacher and
/compressor); for C the published Compressor students (teacher models/compressor/codebert-vul.json, student
graphcodebert-vul.json, weights from --weights-dir), as in the earlier figures.
`--models known`: the tiny known-behaviour models of tests/known_models.py for both (the server's own cost).
Prints numbers; asserts nothing.

    nice -n 10 python bench/lsp.py --threads 1
    python bench/lsp.py --models known --budget 8
    python bench/lsp.py --models known --big
"""

from __future__ import annotations

import argparse
import contextlib
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


def model_settings(kind: str, root: Path, weights_dir: Path) -> tuple[str, dict[str, Any]]:
    """(a line saying which models, the `models` table for c and java)."""
    if kind == "known":
        from known_models import keyword_model

        pair = {
            "teacher": str(keyword_model(root / "teacher", "malloc")),
            "student": str(keyword_model(root / "student", "while")),
            "task": "vuln",
        }
        return "known keyword models (tests/known_models.py) for both files", {"c": pair, "java": dict(pair)}
    teacher, student = DEFAULT_MODELS / "clone" / "teacher", DEFAULT_MODELS / "clone" / "compressor"
    if not (teacher / "config.json").is_file() or not (student / "config.json").is_file():
        raise SystemExit(f"the embedded default clone models are not installed under {DEFAULT_MODELS}")
    # The server's settings have no weights_dir, so give it copies of the manifests with absolute file paths.
    c_pair = {}
    for role, name in (("teacher", "codebert-vul"), ("student", "graphcodebert-vul")):
        manifest = json.loads((REPO / "models" / "compressor" / f"{name}.json").read_text())
        for part in ("weights", "tokenizer"):
            manifest[part]["path"] = str(weights_dir / manifest[part]["path"])
        (root / f"{name}.json").write_text(json.dumps(manifest))
        c_pair[role] = str(root / f"{name}.json")
    models = {
        "java": {"teacher": str(teacher), "student": str(student), "task": "clone"},
        "c": {**c_pair, "task": "vuln"},
    }
    line = (
        "Java: the embedded default clone models (default_models/clone/teacher, /compressor). "
        "C: the published Compressor vulnerability students (a real CodeBERT-distilled pair) "
        f"(teacher codebert-vul, student graphcodebert-vul, weights from {weights_dir})"
    )
    return line, models


class Client:
    """Just enough LSP over stdio: framing, a reader thread, answers to the server's requests."""

    def __init__(self, settings: dict[str, Any], log: Path) -> None:
        self.settings = settings
        self.stderr = log.open("w")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "metacompress_server"],
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


class Probes:
    """Hover and code-action requests on an already checked document, one every `every` s, while a check runs."""

    def __init__(self, client: Client, uri: str, line: int, diagnostic: dict | None, every: float = 0.05):
        self.client, self.uri, self.line, self.diagnostic, self.every = client, uri, line, diagnostic, every
        self.pending: dict[int, tuple[str, float]] = {}  # request id -> (kind, sent at)
        self.latencies: dict[str, list[float]] = {"hover": [], "codeAction": []}
        self.next_at = self.started = time.perf_counter()
        self.sent = 0
        self.slowest: list[tuple[float, float]] = []  # (ms, s after the probes began): when stalls fall

    def fire(self) -> None:
        if time.perf_counter() < self.next_at:
            return
        kind = "hover" if self.sent % 2 == 0 else "codeAction"
        self.sent += 1
        doc = {"uri": self.uri}
        if kind == "hover":
            params: dict[str, Any] = {"textDocument": doc, "position": {"line": self.line, "character": 16}}
        else:
            diagnostics = [self.diagnostic] if self.diagnostic else []
            at_line = {"line": self.line, "character": 0}
            span = self.diagnostic["range"] if self.diagnostic else {"start": at_line, "end": at_line}
            params = {"textDocument": doc, "range": span, "context": {"diagnostics": diagnostics}}
        self.client.next_id += 1
        self.pending[self.client.next_id] = (kind, time.perf_counter())
        self.client.send({"id": self.client.next_id, "method": f"textDocument/{kind}", "params": params})
        self.next_at = time.perf_counter() + self.every

    def answered(self, at: float, message: dict) -> None:
        sent = self.pending.pop(message.get("id"), None) if "method" not in message else None
        if sent is not None:
            self.latencies[sent[0]].append(1000 * (at - sent[1]))
            self.slowest = sorted([*self.slowest, (1000 * (at - sent[1]), sent[1] - self.started)])[-5:]

    def drain(self, timeout: float = 30) -> None:
        deadline = time.perf_counter() + timeout
        while self.pending and time.perf_counter() < deadline:
            with contextlib.suppress(queue.Empty):
                self.answered(*self.client.next_message(0.5))


def time_open(
    client: Client, uri: str, language: str, text: str, timeout: float, probes: Probes | None = None
) -> dict[str, Any]:
    """didOpen, then until the check's progress ends: times of the first and last non-empty publish, and the
    diagnostics last published. With `probes`, hovers and code actions go out every 50 ms meanwhile."""
    name = uri.rsplit("/", 1)[-1]
    started = time.perf_counter()
    client.send(
        {
            "method": "textDocument/didOpen",
            "params": {"textDocument": {"uri": uri, "languageId": language, "version": 1, "text": text}},
        }
    )
    first = last = None
    diagnostics: list[dict] = []
    tokens: set[str] = set()
    deadline = started + timeout
    while time.perf_counter() < deadline:
        if probes is not None:
            probes.fire()
        wait = (
            deadline - time.perf_counter()
            if probes is None
            else max(0.001, probes.next_at - time.perf_counter())
        )
        try:
            at, message = client.next_message(max(0.001, wait))
        except queue.Empty:
            continue
        if probes is not None:
            probes.answered(at, message)
        method, params = message.get("method"), message.get("params") or {}
        if method == "textDocument/publishDiagnostics" and params.get("uri") == uri and params["diagnostics"]:
            first = first if first is not None else at - started
            last, diagnostics = at - started, params["diagnostics"]
        elif method == "$/progress":
            value = params.get("value", {})
            if value.get("kind") == "begin" and name in (value.get("message") or ""):
                tokens.add(params["token"])
            elif value.get("kind") == "end" and params["token"] in tokens:
                return {"first": first, "last": last, "done": at - started, "diagnostics": diagnostics}
        elif method == "window/showMessage":
            print(f"  server message: {params.get('message')}")
    raise SystemExit(f"no finished check of {name} within {timeout} s (server log: {client.stderr.name})")


def start_server(settings: dict[str, Any], root: Path, log: Path) -> Client:
    client = Client(settings, log)
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
    return client


def memory(pid: int) -> str:
    """VmRSS (now) and VmHWM (peak) of the server and of its check worker process, in MB."""

    def one(pid: int) -> str:
        fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines())
        mb = lambda key: int(fields[key].split()[0]) / 1024  # noqa: E731
        return f"RSS {mb('VmRSS'):.0f} MB, peak {mb('VmHWM'):.0f} MB"

    from server_helpers import worker_pids

    workers = worker_pids(pid)
    return f"server {one(pid)}" + "".join(f"; worker {one(w)}" for w in workers)


def big_document(client: Client, root: Path, timeout: float) -> list[str]:
    """A 2 MB document under check, then an edit to a small one: how long until the small one's diagnostics."""
    body = "".join(
        f"int big_{k}(const int *a, int n)\n{{\n    int t = 0;\n    int i = 0;\n    while (i < n)\n"
        f"        t += a[i++] * {k % 97};\n    if (t > {k})\n        return t - {k};\n    return t;\n}}\n\n"
        for k in range(12_000)
    )
    big, small = (root / "big.c").as_uri(), (root / "small.c").as_uri()
    small_text = "int g(int n)\n{\n    int s = 0;\n    while (n > 0)\n        s += n--;\n    return s;\n}\n"

    def doc(uri: str, text: str, version: int = 1) -> dict:
        return {"textDocument": {"uri": uri, "languageId": "c", "version": version, "text": text}}

    def until(predicate, what: str) -> float:
        started = time.perf_counter()
        while time.perf_counter() - started < timeout:
            with contextlib.suppress(queue.Empty):
                at, message = client.next_message(1)
                if predicate(message):
                    return at - started
        raise SystemExit(f"{what}: nothing within {timeout} s")

    def published(uri: str, version: int | None = None):
        def match(m: dict) -> bool:
            p = m.get("params") or {}
            return (
                m.get("method") == "textDocument/publishDiagnostics"
                and p.get("uri") == uri
                and (version is None or p.get("version") == version)
                and bool(p.get("diagnostics"))
            )

        return match

    client.send({"method": "textDocument/didOpen", "params": doc(big, body)})
    first = until(published(big), "the big document's first diagnostic")
    client.send({"method": "textDocument/didOpen", "params": doc(small, small_text)})
    # The small document has a loop, so a finished check of it publishes a diagnostic (known and real models).
    opened = until(published(small, 1), "the small document's diagnostics")
    edited = small_text.replace("s += n--", "s += 2 * n--")
    client.send(
        {
            "method": "textDocument/didChange",
            "params": {
                "textDocument": {"uri": small, "version": 2},
                "contentChanges": [{"text": edited}],
            },
        }
    )
    edit = until(published(small, 2), "the edited small document's diagnostics")
    probes = Probes(client, small, 0, None)
    for _ in range(100):  # hovers on the small document while the big one is still being checked
        probes.fire()
        probes.drain(5)
        time.sleep(0.05)
    return [
        f"big document: {len(body) / 1e6:.1f} MB, {body.count('while')} functions; first diagnostic after "
        f"{first:.2f} s",
        f"small document opened then (big check running): its diagnostics after {opened:.2f} s",
        f"small document edited: diagnostics for the edited version after {edit:.2f} s (goal <= 15 s)",
        f"hover on the small document while the big one is checked: {percentiles(probes.latencies['hover'])}",
        f"memory: {memory(client.proc.pid)}",
    ]


def percentiles(values: list[float]) -> str:
    if not values:
        return "no answers"
    ordered = sorted(values)
    pick = lambda q: ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]  # noqa: E731
    return f"p50 {pick(0.5):.1f} ms, p95 {pick(0.95):.1f} ms, max {ordered[-1]:.1f} ms (n={len(ordered)})"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--models", choices=("real", "known"), default="real")
    parser.add_argument("--weights-dir", type=Path, default=REPO.parent / "shared" / "data" / "students")
    parser.add_argument("--budget", type=int, default=16, help="variants per function (the server's default)")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=900)
    parser.add_argument("--big", action="store_true", help="only the 2 MB document scenario")
    args = parser.parse_args(argv)

    root = Path(tempfile.mkdtemp(prefix="bench-lsp-"))
    which, models = model_settings(args.models, root, args.weights_dir.resolve())
    settings = {
        "models": models,
        "budget": args.budget,
        "device": args.device,
        "threads": args.threads,
        "cache": True,
        "cache_dir": str(root / "cache"),  # fresh: the first server starts cold, the second finds it warm
        "debounce": 0.0,
    }
    files = {"c": ("bench.c", c_file()), "java": ("Bench.java", java_file())}
    print(f"models: {which}")
    if args.big:
        print(f"budget {args.budget}; device {args.device}; load average {os.getloadavg()}")
        client = start_server(settings, root, root / "server-big.log")
        try:
            print("\n".join(big_document(client, root, args.timeout)))
        finally:
            client.close()
        return 0
    print(
        f"budget {args.budget}; device {args.device}, {args.threads} threads; load average {os.getloadavg()}"
    )
    print(
        f"{'file':<11} {'lines':>5} {'cache':<6} {'first diag s':>12} {'last diag s':>11} {'check s':>8} {'diags':>5}"
    )
    fmt = lambda v: "-" if v is None else f"{v:.2f}"  # noqa: E731
    notes = []
    for cache in ("cold", "warm"):
        client = start_server(settings, root, root / f"server-{cache}.log")
        try:
            checked: dict[str, dict[str, Any]] = {}
            for language, (name, text) in files.items():
                uri = (root / name).as_uri()
                probes = None
                if cache == "cold" and checked:  # probe the file checked first while this one is checked
                    (other, result), *_ = checked.items()
                    found = result["diagnostics"][0] if result["diagnostics"] else None
                    line = found["range"]["start"]["line"] if found else 1
                    probes = Probes(client, (root / files[other][0]).as_uri(), line, found)
                r = time_open(client, uri, language, text, args.timeout, probes)
                checked[language] = r
                print(
                    f"{name:<11} {text.count(chr(10)):>5} {cache:<6} {fmt(r['first']):>12} {fmt(r['last']):>11}"
                    f" {r['done']:>8.2f} {len(r['diagnostics']):>5}"
                )
                if probes is not None:
                    probes.drain()
                    notes.append(f"during the cold check of {name} (on {files[other][0]}, every 50 ms):")
                    notes += [f"  {kind:<10} {percentiles(v)}" for kind, v in probes.latencies.items()]
                    stalls = ", ".join(f"{ms:.0f} ms at {t:.1f} s" for ms, t in reversed(probes.slowest))
                    notes.append(f"  slowest answers (sent that long after didOpen): {stalls}")
                    idle = Probes(client, probes.uri, probes.line, probes.diagnostic)
                    for _ in range(40):  # the same requests with no check running, for comparison
                        idle.fire()
                        idle.drain()
                        time.sleep(0.05)
                    notes.append("with no check running:")
                    notes += [f"  {kind:<10} {percentiles(v)}" for kind, v in idle.latencies.items()]
            notes.append(
                f"server memory after the {cache} checks, both pairs loaded: {memory(client.proc.pid)}"
            )
        finally:
            client.close()
    print("hover and code-action latency")
    print("\n".join(notes))
    return 0


if __name__ == "__main__":
    sys.exit(main())
