"""The editor with a real-size teacher: how long until the function under the cursor has its result?

The language server (`python -m metacompress_server`, a plain JSON-RPC client as in bench/lsp.py) gets a CodeBERT-size
teacher (bench/scale.py's: 125 M parameters, 512 tokens, random weights built here) and the shipped 3 MB
vulnerability student. Models are loaded first (a one-function document is checked to the end). Then a C file
of the examples is opened twice, under two names: once after a `metacompress/focus` notification puts the
cursor in a function in the middle of the file, once without (the check goes in file order). For each, the
seconds from didOpen until a hover on that function stops saying it is being checked, and until the whole
file is done. Idle deepening is off for these two (`maxBudget` 0): it would start on the first file as soon as
its check ends and reorder the second by the hovers. With `--while-deepening` the server deepens instead (idle 1
s, up to 4 x budget): the file is opened once in file order, and once its deepening pass has begun, again under
another name with the cursor in the middle: what a person waits for while the server works on an earlier file.
Prints numbers; asserts nothing.

    python bench/lsp_focus.py --threads 2                  # torch
    python bench/lsp_focus.py --threads 2 --backend onnx   # ONNX Runtime (the onnx extra)
    python bench/lsp_focus.py --threads 2 --while-deepening
"""

from __future__ import annotations

import argparse
import queue
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from lsp import Client, start_server  # noqa: E402  (bench/lsp.py)
from scale import build_teacher  # noqa: E402  (bench/scale.py)

REPO = Path(__file__).resolve().parents[1]
PENDING = ("Checking", "checking this version")


def _progress(message: dict) -> tuple[dict, dict]:
    """A message's params and, for a work-done progress, its value (empty dicts where absent)."""
    params = message.get("params") if isinstance(message.get("params"), dict) else {}
    return params, params.get("value") if isinstance(params.get("value"), dict) else {}


def open_and_time(client: Client, uri: str, text: str, line: int, focus: bool, timeout: float):
    """(seconds until the function at `line` is checked, seconds until the whole check ends). A hover on that
    function says "Checking..." until its result is in; hovers never reorder a running check."""
    if focus:
        client.send({"method": "metacompress/focus", "params": {"uri": uri, "line": line, "visible": []}})
    started = time.perf_counter()
    doc = {"uri": uri, "languageId": "c", "version": 1, "text": text}
    client.send({"method": "textDocument/didOpen", "params": {"textDocument": doc}})
    name = uri.rsplit("/", 1)[-1]
    focused = done = asked = None
    tokens: set[str] = set()
    while time.perf_counter() - started < timeout:
        if focused is None and asked is None:
            client.next_id += 1
            asked = client.next_id
            where = {"textDocument": {"uri": uri}, "position": {"line": line, "character": 4}}
            client.send({"id": asked, "method": "textDocument/hover", "params": where})
        try:
            at, message = client.next_message(0.1)
        except queue.Empty:
            continue
        params, value = _progress(message)
        if "method" not in message and message.get("id") == asked:
            result = message.get("result") or {}
            shown = (result.get("contents") or {}).get("value", "") if isinstance(result, dict) else ""
            if shown and not any(p in shown for p in PENDING):
                focused = at - started
            asked = None
            time.sleep(0.05)
        elif message.get("method") == "$/progress" and value.get("kind") == "begin":
            if name in (value.get("message") or ""):
                tokens.add(params["token"])
        elif (
            message.get("method") == "$/progress"
            and value.get("kind") == "end"
            and params.get("token") in tokens
        ):
            done = at - started
        if focused is not None and done is not None:
            return focused, done
    raise SystemExit(f"no result within {timeout} s")


def wait_for_deepening(client: Client, timeout: float) -> float:
    """Seconds until a deepening pass's work-done progress begins."""
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        try:
            at, message = client.next_message(0.1)
        except queue.Empty:
            continue
        params, value = _progress(message)
        begun = message.get("method") == "$/progress" and value.get("kind") == "begin"
        if begun and (value.get("message") or "").startswith("deepening"):
            return at - started
    raise SystemExit(f"no deepening pass began within {timeout} s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--file", default="examples/c/tokenizer.c")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--budget", type=int, default=16)
    parser.add_argument("--backend", choices=("torch", "onnx"), default="torch")
    parser.add_argument(
        "--teacher",
        choices=("codebert-size", "shipped"),
        default="codebert-size",
        help="shipped: vuln/teacher",
    )
    parser.add_argument("--timeout", type=float, default=1800)
    parser.add_argument(
        "--while-deepening", action="store_true", help="the cursor's file opened while another file deepens"
    )
    args = parser.parse_args()

    from metacompress_core.code import extract_units
    from metacompress_core.default_models import ROOT

    text = (REPO / args.file).read_text()
    units = extract_units(text, "c", args.file)
    middle = units[len(units) // 2]
    line = (middle.start[0] + middle.end[0]) // 2
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        teacher = ROOT / "vuln" / "teacher"
        if args.teacher == "codebert-size":
            teacher = root / "teacher"
            build_teacher(teacher, ROOT / "vuln" / "compressor")
        settings = {
            "budget": args.budget,
            "threads": args.threads,
            "device": "cpu",
            "backend": args.backend,
            "cache": False,  # both opens compute every input: the second would otherwise be served by the first
            "maxBudget": 4 * args.budget if args.while_deepening else 0,
            "idle": 1,
            "models": {
                "c": {
                    "teacher": str(teacher),
                    "student": str(ROOT / "vuln" / "compressor"),
                    "task": "vuln",
                }
            },
        }
        client = start_server(settings, root, root / "server.log")
        try:
            warm = time.perf_counter()
            one = "int one(int a)\n{\n    return a + 1;\n}\n"
            open_and_time(client, (root / "warm.c").as_uri(), one, 1, False, args.timeout)
            print(
                f"teacher {args.teacher}, student vuln/compressor, {args.backend}, {args.threads} threads, "
                f"budget {args.budget}; models loaded (and a one-function check) in {time.perf_counter() - warm:.1f} s"
            )
            print(
                f"{args.file}: {len(units)} functions; the cursor in {middle.qualname} (function {len(units) // 2 + 1})"
            )
            if args.while_deepening:
                earlier = (root / f"earlier-{Path(args.file).name}").as_uri()
                _, done = open_and_time(client, earlier, text, line, False, args.timeout)
                waited = wait_for_deepening(client, args.timeout)
                print(
                    f"  an earlier file checked in {done:.1f} s; its deepening pass began {waited:.1f} s later"
                )
            for focus in (True,) if args.while_deepening else (True, False):
                uri = (root / f"{'focus' if focus else 'plain'}-{Path(args.file).name}").as_uri()
                first, done = open_and_time(client, uri, text, line, focus, args.timeout)
                how = "with the cursor there" if focus else "in file order (no focus)"
                how += ", while the earlier file deepens" if args.while_deepening else ""
                print(
                    f"  {how}: {middle.qualname} checked {first:.1f} s after didOpen; whole file {done:.1f} s"
                )
        finally:
            client.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
