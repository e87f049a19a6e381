"""Settings files: where they are found, what they set, and clear errors for mistakes."""

from __future__ import annotations

import pytest

from metacompress_core.config import find_settings_file, load_settings, settings_from_table, with_overrides
from metacompress_core.errors import MetaCompressError


def test_pyproject_table_is_found_from_a_nested_file(tmp_path):
    (tmp_path / "pyproject.toml").write_text(
        '[tool.metacompress]\nbudget = 5\nseed = 9\ntransforms = ["for-to-while"]\nfail_on = 0.2\n'
        "threads = 3\n[tool.metacompress.thresholds]\njs_eps = 0.1\n"
        '[tool.metacompress.models.c]\nteacher = "m/t"\nstudent = "m/s"\ntask = "vuln"\n'
    )
    nested = tmp_path / "src" / "deep"
    nested.mkdir(parents=True)
    (nested / "a.c").write_text("int f(void) { return 0; }\n")
    found = find_settings_file(nested / "a.c")
    assert found == tmp_path / "pyproject.toml"
    settings = load_settings(found)
    assert settings.engine.budget == 5 and settings.engine.seed == 9
    assert settings.engine.transforms == ("for-to-while",)
    assert settings.engine.thresholds.js_eps == 0.1 and settings.engine.thresholds.confidence_tau == 0.9
    assert settings.fail_on == 0.2 and settings.device.threads == 3
    assert settings.models["c"].teacher == tmp_path / "m" / "t" and settings.models["c"].task == "vuln"


def test_own_file_wins_over_pyproject_and_command_line_wins_over_both(tmp_path):
    (tmp_path / "pyproject.toml").write_text("[tool.metacompress]\nbudget = 5\n")
    (tmp_path / ".metacompress.toml").write_text("budget = 7\nseed = 2\n")
    settings = load_settings(find_settings_file(tmp_path))
    assert settings.engine.budget == 7
    overridden = with_overrides(settings, budget=3, seed=None)
    assert overridden.engine.budget == 3 and overridden.engine.seed == 2


def test_pyproject_without_our_table_is_ignored(tmp_path):
    (tmp_path / "pyproject.toml").write_text("[tool.other]\nx = 1\n")
    assert find_settings_file(tmp_path) is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("budgit = 3\n", "unknown setting(s) budgit"),
        ("[thresholds]\neps = 0.1\n", "unknown setting(s) eps"),
        ("[thresholds]\njs_eps = 3.0\n", "js_eps must lie in [0, 1]"),
        ('[models.c]\nteacher = "t"\n', "needs both `teacher` and `student`"),
        ("budget = [\n", "not valid TOML"),
        ("max_budget = -4\n", "`max_budget` must be a whole number of variants, at least 0"),
    ],
)
def test_mistakes_get_clear_errors(tmp_path, text, message):
    path = tmp_path / ".metacompress.toml"
    path.write_text(text)
    with pytest.raises(
        MetaCompressError, match=message.replace("[", r"\[").replace("(", r"\(").replace(")", r"\)")
    ):
        load_settings(path)


def test_manifest_models_find_their_weights_through_weights_dir(tmp_path, shared_data, capsys):
    """A settings file (the editor's only way to name models) can say where manifests' weights live."""
    from pathlib import Path

    from metacompress.cli import main

    repo = Path(__file__).resolve().parents[1]
    manifests = repo / "models" / "compressor"
    (tmp_path / ".metacompress.toml").write_text(
        f'budget = 1\n[models.c]\nteacher = "{manifests / "codebert-vul.json"}"\n'
        f'student = "{manifests / "graphcodebert-vul.json"}"\nweights_dir = "{shared_data / "students"}"\n'
    )
    settings = load_settings(tmp_path / ".metacompress.toml")
    assert settings.models["c"].weights_dir == shared_data / "students"
    (tmp_path / "f.c").write_text("int twice(int x)\n{\n    return x * 2;\n}\n")
    code = main(
        ["check", str(tmp_path / "f.c"), "--config", str(tmp_path / ".metacompress.toml"), "--no-cache"]
    )
    assert code in (0, 1), capsys.readouterr().err
    assert "twice" in capsys.readouterr().out


def test_evidence_margins_come_from_the_settings_and_bad_ones_are_named():
    engine = settings_from_table({"evidence": {"reference": 0.8, "margin": 0.2}}).engine
    assert (engine.evidence.reference, engine.evidence.margin) == (0.8, 0.2)
    for bad, named in (
        ({"evidence": {"reference": 2}}, "reference"),
        ({"evidence": "high"}, "evidence"),
        ({"evidence": {"nope": 1}}, "nope"),
    ):
        with pytest.raises(MetaCompressError, match=named):
            settings_from_table(bad)
