"""The server's pure parts: settings parsing and position conversion (no server process)."""

from __future__ import annotations

from pathlib import Path

import pytest
from lsprotocol import types
from pygls.workspace.position_codec import PositionCodec

from metacompress_core.code import extract_units
from metacompress_core.errors import MetaCompressError
from metacompress_server.config import server_config
from metacompress_server.positions import lsp_position


def test_settings_take_tool_metacompress_keys_in_either_spelling(tmp_path):
    config = server_config(
        {
            "metacompress": {
                "models": {"c": {"teacher": "models/t", "student": "/abs/s"}},
                "cacheDir": "cache",
                "batchSize": 4,
                "thresholds": {"jsEps": 0.2},
                "budget": 3,
                "trigger": "onSave",
                "debounce": 0,
                "severity": {"calibration-alignment": "off", "prediction-agreement": "Error"},
            }
        },
        root=tmp_path,
    )
    settings = config.settings_for(None)
    assert settings.models["c"].teacher == tmp_path / "models/t"  # relative to the workspace folder
    assert settings.models["c"].student == Path("/abs/s")
    assert settings.cache_dir == tmp_path / "cache"
    assert settings.device.batch_size == 4 and settings.engine.budget == 3
    assert settings.engine.thresholds.js_eps == 0.2
    assert config.trigger == "onSave" and config.debounce == 0
    assert config.severity["calibration-alignment"] is None
    assert config.severity["prediction-agreement"] == types.DiagnosticSeverity.Error
    assert config.severity["student-invariance"] == types.DiagnosticSeverity.Warning  # its default
    assert config.severity["teacher-invariance"] is None  # off by default: the teacher's own weakness


@pytest.mark.parametrize(
    ("raw", "match"),
    [
        ({"trigger": "sometimes"}, "trigger"),
        ({"debounce": "soon"}, "debounce"),
        ({"debounce": -1}, "debounce"),
        ({"severity": {"no-such-relation": "error"}}, "unknown relation"),
        ({"severity": {"prediction-agreement": "loud"}}, "must be one of"),
        ({"bugdet": 3}, "unknown setting"),
        ({"models": {"c": {"teacher": "t"}}}, "both `teacher` and `student`"),
        ({"thresholds": {"js_eps": 3}}, "js_eps"),
        ([1, 2], "must be an object"),
    ],
)
def test_bad_settings_say_what_is_wrong(raw, match):
    with pytest.raises(MetaCompressError, match=match):
        server_config(raw)


def test_no_client_settings_fall_back_to_the_nearest_settings_file(tmp_path):
    (tmp_path / ".metacompress.toml").write_text("budget = 5\n")
    source = tmp_path / "src" / "a.c"
    source.parent.mkdir()
    source.write_text("int f(void) { return 0; }\n")
    assert server_config(None).settings_for(source).engine.budget == 5
    assert server_config({}).settings_for(None).engine.budget == 16


def test_name_positions_count_utf16_code_units():
    text = "/* é😀 */ int sum(int n) { return n; }\n"
    (unit,) = extract_units(text, "c", "a.c")
    lines = text.splitlines(keepends=True)
    assert unit.name_start == (0, len("/* é😀 */ int ".encode()))  # tree-sitter counts bytes
    start = lsp_position(lines, unit.name_start, PositionCodec(types.PositionEncodingKind.Utf16))
    assert start == types.Position(line=0, character=len("/* é") + 2 + len(" */ int "))
    utf8 = lsp_position(lines, unit.name_start, PositionCodec(types.PositionEncodingKind.Utf8))
    assert utf8.character == unit.name_start[1]
    utf32 = lsp_position(lines, unit.name_start, PositionCodec(types.PositionEncodingKind.Utf32))
    assert utf32.character == text.index("sum")
