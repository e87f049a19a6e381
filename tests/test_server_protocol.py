"""JSON-RPC that is not well formed: logged, answered where it was a request, never a pop-up (issue 12)."""

from __future__ import annotations

import json
import re
import subprocess

from server_helpers import SERVER


def test_malformed_messages_are_answered_or_ignored_never_shown():
    """Bad JSON and a batch are logged only; a request with unusable params gets -32602 and an unknown method
    -32601 (never left unanswered); no pop-up; the server goes on and shuts down cleanly."""
    messages = [
        json.dumps(
            {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"capabilities": {}}}
        ).encode(),
        b"{bad json",
        json.dumps({"jsonrpc": "2.0", "id": 2, "method": "no/such", "params": {}}).encode(),
        json.dumps(
            {"jsonrpc": "2.0", "id": 3, "method": "textDocument/hover", "params": {"textDocument": 5}}
        ).encode(),
        b"[1, 2]",
        json.dumps({"jsonrpc": "2.0", "id": 4, "method": "shutdown"}).encode(),
        json.dumps({"jsonrpc": "2.0", "method": "exit"}).encode(),
    ]
    stream = b"".join(b"Content-Length: %d\r\n\r\n%s" % (len(m), m) for m in messages)
    done = subprocess.run(SERVER, input=stream, capture_output=True, timeout=120)
    bodies = [
        json.loads(b) for b in re.split(rb"Content-Length: \d+\r\n(?:[^\r\n]+\r\n)*\r\n", done.stdout) if b
    ]
    answers = {b["id"]: b for b in bodies if "id" in b}
    assert set(answers) == {1, 2, 3, 4}
    assert answers[2]["error"]["code"] == -32601 and answers[3]["error"]["code"] == -32602
    assert "result" in answers[4] and done.returncode == 0
    assert not [b for b in bodies if b.get("method") == "window/showMessage"]
