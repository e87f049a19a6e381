"""The language server from Neovim, a second real LSP client (0.7's vim.lsp.start_client, no plugins).

tests/e2e/neovim/drive.lua opens a C and a Java file in headless Neovim, waits for the diagnostics and a
finished hover, asks for the code actions and runs metacompress.showVariant; it writes what it saw to JSON.
Opt-in (METACOMPRESS_E2E=1); needs nvim >= 0.7 (`apt-get install -y neovim`).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from e2e_helpers import (
    C_FILE,
    JAVA_FILE,
    REPO,
    assert_variant_hover,
    assert_variant_message,
    line_col,
    require_e2e,
    require_tool,
    server_settings,
)

DRIVE = Path(__file__).resolve().parent / "neovim" / "drive.lua"
WARN, INFO = 2, 3  # vim.diagnostic.severity.WARN, .INFO

# The student (keyed to `while`) already disagrees on this code as written, where the teacher answers safe 0.88
# (a reference, not sure): evidence on the original, Information, and no variant to blame or show.
WHILE_FILE = """\
int drain(int *q, int n)
{
    int k = 0;
    while (k < n)
        q[k++] = 0;
    return k;
}
"""


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
    (root / "drain.c").write_text(WHILE_FILE)
    result = tmp / "result.json"
    plan = {
        "cmd": [sys.executable, "-m", "metacompress_server", "--log-file", str(tmp / "server.log")],
        "root": str(root),
        "settings": server_settings(known_pair, tmp / "cache"),
        "files": [["c", "sum.c"], ["java", "Loops.java"], ["c", "drain.c", "original"]],
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
    assert_variant_message(diag["message"], C_FILE)


def test_java_diagnostic_on_the_loop_method_only(neovim_run):
    (diag,) = neovim_run["files"]["java"]["diagnostics"]
    line, col = line_col(JAVA_FILE, "count(")
    assert (diag["lnum"], diag["col"], diag["end_col"]) == (line, col, col + len("count"))
    assert diag["severity"] == WARN
    assert_variant_message(diag["message"], JAVA_FILE)  # its own file line: the Java loop's, not the C one's


def test_hover_shows_both_models(neovim_run):
    for language, text, qualname in (("c", C_FILE, "sum"), ("java", JAVA_FILE, "Loops.count")):
        entry = neovim_run["files"][language]
        same = assert_variant_message(entry["diagnostics"][0]["message"], text)
        assert_variant_hover(entry["hover"], qualname, text, same)


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


def test_a_departure_on_the_original_names_no_variant(neovim_run):
    entry = neovim_run["files"]["original"]
    (diag,) = entry["diagnostics"]
    line, col = line_col(WHILE_FILE, "drain(")
    assert (diag["lnum"], diag["col"], diag["end_col"]) == (line, col, col + len("drain"))
    assert diag["severity"] == INFO  # the teacher is a reference here (0.88), not sure (>= 0.9)
    assert (
        diag["message"].startswith("On the code as written, the student answers vulnerable 0.9")
        and "where the teacher answers safe 0.88; no transformation is involved" in diag["message"]
    ), diag["message"]
    assert "After " not in diag["message"] and "for -> while" not in diag["message"]
    hover = entry["hover"]
    assert hover.startswith("### MetaCompress: `drain` (information)\n"), hover
    assert re.search(r"^\| original \| safe 0\.88\d \| vulnerable 0\.9\d+ \| 0\.\d+ \|$", hover, re.M), hover
    assert "| after " not in hover, hover  # no variant row: none caused it
    assert re.search(r"^\| prediction-agreement \| 1 of 1 \| 0 of \d+ \| \d+ \|$", hover, re.M), hover
    # Nothing to show or copy: only Re-check and Ignore, and no variant was requested.
    assert [a["title"] for a in entry["actions"]] == [
        "MetaCompress: Re-check",
        "MetaCompress: Ignore this function",
    ]
    assert "variant" not in entry
