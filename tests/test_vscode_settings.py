"""The VS Code extension's settings (vscode-extension/package.json) against the server's configuration.

The extension sends the `metacompress` section as VS Code builds it from these settings (dotted keys nested,
unset ones dropped: vscode-extension/src/settings.ts, tested by its `npm test`). Here: every setting is one the
server knows, the editor defaults are the server's, and a section with every setting given is accepted.
"""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import pytest

from metacompress_core.config import _TOP_KEYS
from metacompress_core.errors import MetaCompressError
from metacompress_core.plan.planners import PLANNERS
from metacompress_core.relations import Thresholds
from metacompress_server.config import _SERVER_KEYS, DEFAULT_SEVERITY, ServerConfig, server_config, snake

MANIFEST = Path(__file__).resolve().parents[1] / "vscode-extension" / "package.json"
CLIENT_ONLY = {"pythonPath", "serverArgs", "workspaceCheck"}  # settings.ts CLIENT_ONLY_KEYS


def _properties() -> dict[str, dict]:
    properties = json.loads(MANIFEST.read_text())["contributes"]["configuration"]["properties"]
    assert all(key.startswith("metacompress.") for key in properties)
    return {key.removeprefix("metacompress."): spec for key, spec in properties.items()}


def _nest(flat: dict[str, object]) -> dict[str, object]:
    section: dict[str, object] = {}
    for key, value in flat.items():
        *parents, last = key.split(".")
        node = section
        for part in parents:
            node = node.setdefault(part, {})  # type: ignore[assignment]
        node[last] = value
    return section


def _sample(spec: dict) -> object:
    """A valid value for a setting that is unset by default."""
    if spec.get("enum"):
        return next(v for v in spec["enum"] if v is not None)
    if spec.get("pattern"):  # a string the setting's pattern accepts
        return next(v for v in ("cpu", "x") if re.fullmatch(spec["pattern"], v))
    kinds = spec["type"] if isinstance(spec["type"], list) else [spec["type"]]
    kind = next(k for k in kinds if k != "null")
    return {"string": "x", "integer": 2, "number": 0.2, "boolean": True, "array": ["for-to-while"]}[kind]


def test_every_setting_is_the_extensions_own_or_the_servers():
    for key in _properties():
        top = key.split(".")[0]
        assert top in CLIENT_ONLY or top in _SERVER_KEYS or snake(top) in _TOP_KEYS, key


def test_thresholds_and_severities_are_the_servers():
    properties = _properties()
    thresholds = {snake(k.split(".")[1]) for k in properties if k.startswith("thresholds.")}
    assert thresholds <= {f.name for f in dataclasses.fields(Thresholds)}
    severity = {
        k.split(".", 1)[1]: spec["default"] for k, spec in properties.items() if k.startswith("severity.")
    }
    assert severity == DEFAULT_SEVERITY


def test_the_strategies_offered_are_the_planners():
    assert [v for v in _properties()["strategy"]["enum"] if v is not None] == list(PLANNERS)


def test_editor_defaults_are_the_servers():
    properties, defaults = _properties(), ServerConfig()
    assert properties["trigger"]["default"] == defaults.trigger
    assert properties["debounce"]["default"] == defaults.debounce
    assert properties["idle"]["default"] == defaults.idle
    assert properties["diagnostics"]["default"] == defaults.diagnostics
    # Engine settings default to null (unset) so that the project's settings file stays in charge.
    for key, spec in properties.items():
        if key.split(".")[0] not in CLIENT_ONLY | _SERVER_KEYS:
            assert spec["default"] is None, key


def test_a_section_with_every_setting_given_is_accepted(tmp_path):
    flat = {}
    for key, spec in _properties().items():
        if key.split(".")[0] in CLIENT_ONLY:
            continue
        flat[key] = spec["default"] if spec["default"] is not None else _sample(spec)
    config = server_config(_nest(flat), tmp_path)
    settings = config.settings_for(None)
    assert settings.engine.budget == 2 and settings.engine.thresholds.js_eps == 0.2
    assert set(settings.models) == {"c", "java", "python"}
    assert settings.models["c"].teacher == tmp_path / "x"  # relative to the workspace folder


def test_a_wrong_value_is_refused_with_the_setting_named():
    with pytest.raises(MetaCompressError, match="trigger"):
        server_config({"trigger": "onIdle"})
