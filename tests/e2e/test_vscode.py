"""The extension in a real VS Code: code-server (VS Code 1.100) in headless Chromium, on known models.

The packaged .vsix and a test-only driver extension (tests/e2e/vscode_driver) are installed into an isolated
code-server. The driver opens a C and a Java file, waits for MetaCompress's diagnostics, asks for the hover and
the code actions, runs "Show failing variant" and writes what it saw to JSON; this test asserts on that JSON.
Screenshots go to the test's temporary folder, or to $METACOMPRESS_E2E_SCREENSHOTS (docs/images keeps one).

Opt-in (METACOMPRESS_E2E=1); needs node/npm (the npm registry for the first install), Chromium
(`apt-get install chromium`) and code-server (tests/e2e/install-code-server.sh, or $METACOMPRESS_CODE_SERVER).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
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

E2E_DIR = Path(__file__).resolve().parent
EXTENSION_DIR = REPO / "vscode-extension"
VSCE = "@vscode/vsce@3.9.2"
DEFAULT_CODE_SERVER = Path.home() / ".cache/metacompress-e2e/code-server/node_modules/.bin/code-server"
TIMEOUT_S = 420


def _chromium() -> str:
    for candidate in (
        "/usr/lib/chromium/chromium",
        shutil.which("chromium"),
        shutil.which("chromium-browser"),
    ):
        if candidate and Path(candidate).exists():
            return candidate
    pytest.skip("Chromium is not installed (apt-get install -y chromium)")


def _code_server() -> str:
    candidate = os.environ.get("METACOMPRESS_CODE_SERVER") or (
        str(DEFAULT_CODE_SERVER) if DEFAULT_CODE_SERVER.exists() else shutil.which("code-server")
    )
    if not candidate or not Path(candidate).exists():
        pytest.skip("code-server is not installed (run tests/e2e/install-code-server.sh, ~1 minute, ~320 MB)")
    return candidate


def _run(cmd: list[str], cwd: Path, env: dict | None = None, timeout: int = 300) -> str:
    done = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        raise AssertionError(
            f"{' '.join(cmd)} failed ({done.returncode}):\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
        )
    return done.stdout


def _npm_install(folder: Path) -> None:
    if not (folder / "node_modules").is_dir():
        _run(["npm", "ci", "--no-audit", "--no-fund"], folder)


def _flat(prefix: str, value: object) -> dict[str, object]:
    """VS Code's settings.json spelling: one dotted key per setting."""
    if isinstance(value, dict):
        out: dict[str, object] = {}
        for key, item in value.items():
            out.update(_flat(f"{prefix}.{key}", item))
        return out
    return {prefix: value}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_http(url: str, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"code-server exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.5)
    raise AssertionError(f"code-server did not answer on {url}")


def _stop(process: subprocess.Popen) -> None:
    """Stop a process started here with start_new_session=True, and its children (its own process group)."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@pytest.fixture(scope="module")
def packages(tmp_path_factory) -> dict[str, Path]:
    """The real .vsix, as users get it, and the test-only driver's."""
    require_e2e()
    require_tool("node", "Node.js 20 runs the extension's build and the browser driver")
    require_tool("npm", "npm installs the extension's dependencies")
    tmp = tmp_path_factory.mktemp("vsix")
    _npm_install(EXTENSION_DIR)
    _run(["npm", "run", "compile"], EXTENSION_DIR)
    vsix = tmp / "metacompress.vsix"
    _run(["npx", "--yes", VSCE, "package", "--allow-missing-repository", "--out", str(vsix)], EXTENSION_DIR)
    driver = tmp / "driver.vsix"
    _run(
        [
            "npx",
            "--yes",
            VSCE,
            "package",
            "--no-dependencies",
            "--allow-missing-repository",
            "--out",
            str(driver),
        ],
        E2E_DIR / "vscode_driver",
    )
    _npm_install(E2E_DIR)
    return {"extension": vsix, "driver": driver}


def _run_vscode(tmp: Path, packages: dict[str, Path], settings: dict, plan: dict, shots: Path) -> dict:
    """Install both extensions into an isolated code-server, open the workspace in Chromium until the driver is
    done, and return what the driver wrote."""
    chromium = _chromium()
    code_server = _code_server()
    workspace = tmp / "workspace"
    (workspace / ".vscode").mkdir(parents=True)
    (workspace / "sum.c").write_text(C_FILE)
    (workspace / "Loops.java").write_text(JAVA_FILE)
    settings = {**settings, "files.exclude": {".vscode": True, ".e2e-driver.json": True}}  # a tidy screenshot
    (workspace / ".vscode" / "settings.json").write_text(json.dumps(settings, indent=2))
    result = tmp / "result.json"
    plan = {"result": str(result), "timeoutMs": 180_000, "screenshotTimeoutMs": 60_000, **plan}
    (workspace / ".e2e-driver.json").write_text(json.dumps(plan))

    # An isolated VS Code: its own user data, extensions and XDG folders; a trusted workspace, no welcome page.
    data, extensions = tmp / "data", tmp / "extensions"
    (data / "User").mkdir(parents=True)
    (data / "User" / "settings.json").write_text(
        json.dumps(
            {
                "security.workspace.trust.enabled": False,
                "workbench.startupEditor": "none",
                "workbench.tips.enabled": False,
                "extensions.ignoreRecommendations": True,
                "telemetry.telemetryLevel": "off",
                "update.mode": "none",
                "editor.hover.delay": 100,
            }
        )
    )
    env = {
        **os.environ,
        "XDG_CONFIG_HOME": str(tmp / "xdg"),
        "XDG_DATA_HOME": str(tmp / "xdgdata"),
        "PLAYWRIGHT_BROWSERS_PATH": "0",
    }
    dirs = ["--extensions-dir", str(extensions), "--user-data-dir", str(data)]
    for package in (packages["extension"], packages["driver"]):
        _run([code_server, "--install-extension", str(package), *dirs], tmp, env)

    port = _free_port()
    log = (tmp / "code-server.log").open("w")
    server = subprocess.Popen(
        [code_server, "--bind-addr", f"127.0.0.1:{port}", "--auth", "none", "--disable-telemetry",
         "--disable-update-check", *dirs, str(workspace)],
        cwd=tmp, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    shots.mkdir(parents=True, exist_ok=True)
    try:
        _wait_http(f"http://127.0.0.1:{port}/healthz", server)
        browser = subprocess.run(
            ["node", str(E2E_DIR / "browser.js"), f"http://127.0.0.1:{port}/?folder={workspace}", str(result),
             str(shots), str(TIMEOUT_S)],
            cwd=E2E_DIR, env={**env, "CHROMIUM": chromium}, capture_output=True, text=True, timeout=TIMEOUT_S + 60,
        )  # fmt: skip
    finally:
        _stop(server)
        log.close()
    assert browser.returncode == 0, browser.stderr[-3000:]
    assert result.exists(), (
        f"the driver wrote nothing; code-server log: {(tmp / 'code-server.log').read_text()[-3000:]}"
    )
    seen = json.loads(result.read_text())
    seen["shots"] = str(shots)
    return seen


@pytest.fixture(scope="module")
def vscode_run(tmp_path_factory, known_pair, packages) -> dict:
    """The whole tour, with push diagnostics (the default): C and Java files, hover, actions, diff, restart."""
    tmp = tmp_path_factory.mktemp("vscode-e2e")
    settings = _flat("metacompress", server_settings(known_pair, tmp / "cache"))
    settings["metacompress.pythonPath"] = sys.executable
    plan = {"files": {"c": "sum.c", "java": "Loops.java"}, "tour": "full"}
    shots = Path(os.environ.get("METACOMPRESS_E2E_SCREENSHOTS") or tmp / "screenshots")
    return _run_vscode(tmp, packages, settings, plan, shots)


@pytest.fixture(scope="module")
def vscode_pull_run(tmp_path_factory, known_pair, packages) -> dict:
    """Pull diagnostics (textDocument/diagnostic), which the server reads from initializationOptions only."""
    tmp = tmp_path_factory.mktemp("vscode-e2e-pull")
    settings = _flat("metacompress", {**server_settings(known_pair, tmp / "cache"), "diagnostics": "pull"})
    settings["metacompress.pythonPath"] = sys.executable
    log = tmp / "server.log"
    settings["metacompress.serverArgs"] = ["--log-file", str(log), "--log-level", "DEBUG"]
    seen = _run_vscode(
        tmp, packages, settings, {"files": {"c": "sum.c"}, "tour": "diagnostics"}, tmp / "shots"
    )
    seen["serverLog"] = log.read_text(encoding="utf-8") if log.exists() else ""
    seen["serverLogPath"] = str(log)
    return seen


def test_the_driver_finished_without_errors(vscode_run):
    assert vscode_run["phase"] == "done"
    assert vscode_run["errors"] == []


def test_the_server_runs_with_the_configured_python(vscode_run):
    assert vscode_run["serverCommand"] == {
        "command": sys.executable,
        "args": ["-m", "metacompress_server"],
        "source": "setting",
    }


def test_c_diagnostic_on_the_loop_function_only(vscode_run):
    c = vscode_run["files"]["c"]
    assert c["languageId"] == "c"
    (diag,) = c["diagnostics"]  # `twice` has no loop: no diagnostic
    line, col = line_col(C_FILE, "sum(")
    assert diag["range"] == [line, col, line, col + len("sum")]
    assert diag["severity"] == "warning" and diag["code"] == "prediction-agreement"
    assert_variant_message(diag["message"], C_FILE)
    assert diag["data"]["transforms"] == ["for-to-while"] and diag["data"]["recipe"]


def test_c_hover_shows_both_models(vscode_run):
    c = vscode_run["files"]["c"]
    same = assert_variant_message(c["diagnostics"][0]["message"], C_FILE)
    assert_variant_hover(c["hover"], "sum", C_FILE, same)


def test_code_actions_open_the_extension_views(vscode_run):
    actions = vscode_run["files"]["c"]["actions"]
    commands = {a["title"]: a["command"] for a in actions}
    assert commands == {
        "MetaCompress: Show failing variant": "metacompress.showFailingVariant",  # a diff editor, not a file
        "MetaCompress: Copy variant": "metacompress.copyFailingVariant",  # the clipboard
        "MetaCompress: Re-check": "metacompress.recheck",
        "MetaCompress: Ignore this function": "metacompress.ignoreFunction",
    }
    assert all(a["kind"] == "quickfix" for a in actions)


def test_show_failing_variant_opens_a_diff_of_the_function(vscode_run):
    payload = vscode_run["variantPayload"]
    assert payload["original"].startswith("int sum(") and "for (int i = 0; i < n; i++)" in payload["original"]
    assert "while (i < n)" in payload["variant"] and "for (" not in payload["variant"]
    diff = vscode_run["diffEditor"]
    assert diff["scheme"] == "metacompress-variant"
    assert diff["originalText"] == payload["original"] and diff["modifiedText"] == payload["variant"]
    assert diff["modifiedLanguageId"] == "c" and diff["modifiedPath"].endswith(".for-to-while.c")
    assert "sum" in diff["label"] and "for-to-while" in diff["label"]


def test_java_diagnostic_on_the_loop_method_only(vscode_run):
    java = vscode_run["files"]["java"]
    assert java["languageId"] == "java"
    (diag,) = java["diagnostics"]
    line, col = line_col(JAVA_FILE, "count(")
    assert diag["range"] == [line, col, line, col + len("count")]
    assert diag["severity"] == "warning" and diag["data"]["transforms"] == ["for-to-while"]
    same = assert_variant_message(diag["message"], JAVA_FILE)  # the Java file's line of the loop
    assert_variant_hover(java["hover"], "Loops.count", JAVA_FILE, same)


def test_status_bar_counts_the_active_files_findings(vscode_run):
    assert vscode_run["status"]["text"] == "$(warning) MetaCompress: 1"


def test_restart_brings_the_diagnostics_back(vscode_run):
    after = vscode_run["afterRestart"]
    assert [d["range"] for d in after["diagnostics"]] == [
        d["range"] for d in vscode_run["files"]["c"]["diagnostics"]
    ]


def test_screenshots_were_taken(vscode_run):
    shots = Path(vscode_run["shots"])
    for name in ("diagnostics", "diff"):
        assert (shots / f"{name}.png").stat().st_size > 10_000


def test_pull_diagnostics_reach_vscode(vscode_pull_run):
    assert vscode_pull_run["phase"] == "done" and vscode_pull_run["errors"] == []
    log_path = vscode_pull_run["serverLogPath"]
    assert vscode_pull_run["serverCommand"]["args"] == [
        "-m",
        "metacompress_server",
        "--log-file",
        log_path,
        "--log-level",
        "DEBUG",
    ]
    (diag,) = vscode_pull_run["files"]["c"]["diagnostics"]
    line, col = line_col(C_FILE, "sum(")
    assert diag["range"] == [line, col, line, col + len("sum")] and diag["severity"] == "warning"
    assert_variant_message(diag["message"], C_FILE)
    log = vscode_pull_run["serverLog"]  # metacompress.serverArgs asked for a DEBUG log file
    assert "Request 'textDocument/diagnostic' received" in log
    pushed = [
        line
        for line in log.splitlines()
        if "'textDocument/publishDiagnostics'" in line and "Diagnostic(range" in line
    ]
    assert pushed == []
