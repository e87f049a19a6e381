"""One account of a function, the same in every surface and from every path.

The file holds three kinds of function under the known-behaviour models (tests/known_models.py: teacher keyed to
`malloc`, safe at 0.881; student keyed to `while`): `sum` has a `for` loop, so the student flips on its
for -> while variant (a Warning, caused by that variant); `spin` already has a `while`, so the student disagrees
on the code as written (Information, no variant to blame); `twice` gives nothing. The functions start below 30
lines of comment, so a function-relative line number would show.
"""

from __future__ import annotations

import json
import os
import re

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities
from server_helpers import (
    SERVER,
    TRANSFORMS,
    hover_text,
    known_pair,  # noqa: F401 (a fixture)
    open_document,
    recording_client,
    utf16_position,
    wait_checked,
)

from metacompress.cli import main

pytestmark = pytest.mark.asyncio(loop_scope="module")

LEAD = "".join(f"/* line {i} */\n" for i in range(1, 31))
SOURCE = (
    LEAD
    + "int sum(const int *a, int n)\n{\n    int total = 0;\n    for (int i = 0; i < n; i++)\n"
    + "        total += a[i];\n    return total;\n}\n\n"
    + "int spin(int n)\n{\n    int k = 0;\n    while (k < n)\n        k++;\n    return k;\n}\n\n"
    + "int twice(int x)\n{\n    int y = x * 2;\n    return y;\n}\n"
)
FOR_LINE = SOURCE.splitlines().index("    for (int i = 0; i < n; i++)") + 1  # 1-based, in the file
CONFIG = f"budget = 6\ncompositions = 2\ntransforms = {json.dumps(list(TRANSFORMS))}\n"


def _cli_reports(tmp_path, pair, capsys) -> dict[str, dict]:
    """JSON and SARIF of `check` on the same text at an absolute path and at a relative one."""
    (tmp_path / "a").mkdir()
    (tmp_path / "b" / "deeper").mkdir(parents=True)
    (tmp_path / "a" / "demo.c").write_text(SOURCE)
    (tmp_path / "b" / "deeper" / "demo.c").write_text(SOURCE)
    (tmp_path / "settings.toml").write_text(CONFIG)
    common = ["--teacher", pair["teacher"], "--student", pair["student"], "--no-cache", "-q"]
    common += ["--config", str(tmp_path / "settings.toml")]
    out = {}
    cwd = os.getcwd()
    try:
        os.chdir(tmp_path)
        for name, path, fmt in (
            ("absolute", str(tmp_path / "a" / "demo.c"), "json"),
            ("relative", "./b/deeper/demo.c", "json"),
            ("sarif", "a/demo.c", "sarif"),
        ):
            assert main(["check", path, "-f", fmt, *common]) == 0
            out[name] = json.loads(capsys.readouterr().out)
    finally:
        os.chdir(cwd)
    return out


def _without_location(value):
    """A report's findings with the path-dependent keys (file path, unit id) left out."""
    if isinstance(value, dict):
        return {k: _without_location(v) for k, v in value.items() if k not in ("path", "id")}
    if isinstance(value, list):
        return [_without_location(v) for v in value]
    return value


@pytest_lsp.fixture(
    scope="module",
    loop_scope="module",
    config=ClientServerConfig(server_command=SERVER, client_factory=recording_client),
)
async def client(lsp_client: LanguageClient, request, tmp_path_factory):
    pair = request.getfixturevalue("known_pair")
    settings = {
        "models": {"c": pair},
        "transforms": list(TRANSFORMS),
        "budget": 6,
        "compositions": 2,
        "device": "cpu",
        "threads": 1,
        "cache": False,
        "debounce": 0.1,
        "maxBudget": 0,  # the account at the configured budget; a deepened one: tests/test_server_deepen.py
    }
    root = tmp_path_factory.mktemp("editor")
    lsp_client.set_configuration(settings, section="metacompress")
    await lsp_client.initialize_session(
        types.InitializeParams(
            capabilities=client_capabilities("visual-studio-code"),
            root_uri=root.as_uri(),
            initialization_options={"metacompress": settings},
        )
    )
    lsp_client.root = root  # type: ignore[attr-defined]
    yield
    await lsp_client.shutdown_session()


async def test_every_surface_reports_the_same_account(client: LanguageClient, tmp_path, known_pair, capsys):  # noqa: F811
    reports = _cli_reports(tmp_path, known_pair, capsys)
    absolute, relative = reports["absolute"], reports["relative"]

    # The same code from two paths: byte-identical findings, apart from where the file is.
    assert json.dumps(_without_location(absolute["findings"])) == json.dumps(
        _without_location(relative["findings"])
    )
    found = {f["unit"]["qualname"]: f for f in absolute["findings"]}
    assert (found["sum"]["severity"], found["spin"]["severity"], found["twice"]["severity"]) == (
        "warning",
        "information",
        None,
    )
    assert found["sum"]["evidence"]["induced"] and not found["spin"]["evidence"]["induced"]
    assert found["spin"]["evidence"]["variant"] is None  # no transformation is blamed
    spin, pa = found["spin"], found["spin"]["tallies"]["prediction-agreement"]
    assert pa["persisting"] == spin["variants_tried"] > 0  # every variant disagrees as the original does
    assert spin["message"].startswith("On the code as written, the student answers vulnerable")
    assert spin["message"].endswith(
        f"(prediction-agreement; 1 of 1 original, and still on {pa['persisting']} of {spin['variants_tried']} "
        "with a variant)"
    )
    assert f"at line {FOR_LINE}," in found["sum"]["message"]
    assert found["sum"]["evidence"]["variant"]["variant"]["diff"].splitlines()[2].startswith("@@ -31,")

    # The editor: a third path (the workspace), the same text.
    uri = (client.root / "demo.c").as_uri()  # type: ignore[attr-defined]
    open_document(client, uri, SOURCE)
    names = {name: utf16_position(SOURCE, f"{name}(") for name in ("sum", "spin", "twice")}
    await wait_checked(client, uri, list(names.values()))
    diagnostics = {d.range.start.line: d for d in client.diagnostics[uri]}
    assert set(diagnostics) == {names["sum"].line, names["spin"].line}  # lines of the file
    sarif = {
        r["locations"][0]["logicalLocations"][0]["name"]: r for r in reports["sarif"]["runs"][0]["results"]
    }
    assert set(sarif) == {"sum", "spin"}
    for name in ("sum", "spin"):
        f, d = found[name], diagnostics[names[name].line]
        # Message: the same sentence in the editor, the JSON and SARIF.
        assert d.message == f["message"] == sarif[name]["message"]["text"]
        assert d.code == f["evidence"]["relation"] == sarif[name]["ruleId"]
        region = sarif[name]["locations"][0]["physicalLocation"]["region"]
        assert region["startLine"] == names[name].line + 1 == f["unit"]["spans"]["name_start"][0] + 1
        # Hover: the same counts as the JSON.
        hover = await hover_text(client, uri, names[name])
        e = f["evidence"]
        assert f"Same departure on {e['relation']}; {e['same']} of {e['among']}" in hover
        for relation, t in f["tallies"].items():
            row = (
                f"| {relation} | {t['on_original']} of {f['originals']} | "
                f"{t['induced']} of {f['inputs_checked'] - f['originals']} | {t['persisting']} |"
            )
            assert row in hover
        assert f"student only {f['flips']['student_only']}," in hover
    assert diagnostics[names["sum"].line].severity == types.DiagnosticSeverity.Warning
    assert diagnostics[names["spin"].line].severity == types.DiagnosticSeverity.Information
    # Code actions offer the variant only where a variant caused the finding.
    titles = {}
    for name in ("sum", "spin"):
        d = diagnostics[names[name].line]
        actions = await client.text_document_code_action_async(
            types.CodeActionParams(
                text_document=types.TextDocumentIdentifier(uri=uri),
                range=d.range,
                context=types.CodeActionContext(diagnostics=[d]),
            )
        )
        titles[name] = [a.title for a in actions]
    assert "MetaCompress: Show failing variant" in titles["sum"]
    assert "MetaCompress: Show failing variant" not in titles["spin"]
    # The status bar counts what Problems lists (no hints): the JSON's warnings and information.
    shown = [d for d in client.diagnostics[uri] if d.severity != types.DiagnosticSeverity.Hint]
    summary = absolute["summary"]["findings"]
    assert len(shown) == summary["warning"] + summary["information"] == 2
    hover_sum = await hover_text(client, uri, names["sum"])
    assert re.search(rf"after for -> while at line {FOR_LINE} \|", hover_sum)
