"""The language server from Neovim, a second real LSP client (0.7's vim.lsp.start_client, no plugins).

tests/e2e/neovim/drive.lua opens a C and a Java file in headless Neovim, waits for the diagnostics and a
finished hover, asks for the code actions and runs metacompress.showVariant; it writes what it saw to JSON.
Opt-in (METACOMPRESS_E2E=1); needs nvim >= 0.7 (`apt-get install -y neovim`).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from e2e_helpers import C_FILE, JAVA_FILE, REPO, line_col, require_e2e, require_tool, server_settings

DRIVE = Path(__file__).resolve().parent / "neovim" / "drive.lua"
WARN = 2  # vim.diagnostic.severity.WARN


@pytest.fixture(scope="module")
def neovim_run(tmp_path_factory, known_pair) -> dict:
    require_e2e()
    nvim = require_tool("nvim", "apt-get install -y neovim")
    version = subprocess.run([nvim, "--version"], capture_output=True, text=True).stdout.splitlines()[0]
    major, minor = (int(x) for x in version.split("v", 1)[1].split(".")[:2])
    if (major, minor) < (0, 7):
        pytest.skip(f"{version}: the driver needs Neovim 0.7 or later")
    tmp = tmp_path_factory.mktemp("neovim-e2e")
    root = tmp / "workspace"
    root.mkdir()
    (root / "sum.c").write_text(C_FILE)
    (root / "Loops.java").write_text(JAVA_FILE)
    result = tmp / "result.json"
    plan = {
        "cmd": [sys.executable, "-m", "server", "--log-file", str(tmp / "server.log")],
        "root": str(root),
        "settings": server_settings(known_pair, tmp / "cache"),
        "files": [["c", "sum.c"], ["java", "Loops.java"]],
        "result": str(result),
        "timeout_ms": 180_000,
    }
    (tmp / "plan.json").write_text(json.dumps(plan))
    env = {
        **os.environ,
        "METACOMPRESS_NVIM_PLAN": str(tmp / "plan.json"),
        "XDG_STATE_HOME": str(tmp / "state"),
    }
    done = subprocess.run(
        [nvim, "--headless", "--clean", "-u", "NONE", "-c", f"luafile {DRIVE}"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=420,
    )
    assert result.exists(), (
        f"nvim wrote nothing ({done.returncode}): {done.stdout[-2000:]} {done.stderr[-2000:]}"
    )
    seen = json.loads(result.read_text())
    seen["version"] = version
    return seen


def test_no_errors(neovim_run):
    assert neovim_run["errors"] == []


def test_c_diagnostic_on_the_loop_function_only(neovim_run):
    (diag,) = neovim_run["files"]["c"]["diagnostics"]
    line, col = line_col(C_FILE, "sum(")
    assert (diag["lnum"], diag["col"], diag["end_lnum"], diag["end_col"]) == (
        line,
        col,
        line,
        col + len("sum"),
    )
    assert diag["severity"] == WARN and diag["source"] == "metacompress"
    assert diag["message"].startswith("student: vulnerable 0.9") and "for -> while" in diag["message"]


def test_java_diagnostic_on_the_loop_method_only(neovim_run):
    (diag,) = neovim_run["files"]["java"]["diagnostics"]
    line, col = line_col(JAVA_FILE, "count(")
    assert (diag["lnum"], diag["col"], diag["end_col"]) == (line, col, col + len("count"))


def test_hover_shows_both_models(neovim_run):
    hover = neovim_run["files"]["c"]["hover"]
    assert "`sum`" in hover and "| student | vulnerable 0.9" in hover and "| teacher | safe 0.88" in hover


def test_code_actions_reach_the_variant(neovim_run):
    c = neovim_run["files"]["c"]
    assert [a["title"] for a in c["actions"]] == [
        "MetaCompress: Show failing variant",
        "MetaCompress: Copy variant",
        "MetaCompress: Re-check",
        "MetaCompress: Ignore this function",
    ]
    variant = c["variant"]
    assert "while (i < n)" in variant["variant"] and variant["transforms"] == ["for-to-while"]
    # Neovim 0.7 cannot open documents for the server: the diff comes as a message naming its file.
    assert Path(variant["file"]).read_text(encoding="utf-8") == variant["diff"]
    assert any(
        variant["file"] in m["message"] and "while (i < n)" in m["message"] for m in neovim_run["messages"]
    )
