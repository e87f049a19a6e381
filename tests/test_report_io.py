"""Format dispatch and atomic report writing, on a real run of the known models (tests/known_models.py)."""

from __future__ import annotations

import json
import os
import stat

import pytest
from known_models import keyword_model

from metacompress_core.code import extract_units
from metacompress_core.engine import EngineConfig, check_units
from metacompress_core.errors import MetaCompressError
from metacompress_core.models import load_backend
from metacompress_core.report import FORMATS, render, summarise, write_atomic

C_SOURCE = """\
int sum(const int *a, int n)
{
    int total = 0;
    for (int i = 0; i < n; i++)
        total += a[i];
    return total;
}
"""


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    root = tmp_path_factory.mktemp("models")
    teacher = load_backend(keyword_model(root / "teacher", "malloc"))
    student = load_backend(keyword_model(root / "student", "while"))
    config = EngineConfig(transforms=("for-to-while", "insert-comment"), budget=4)
    findings = list(check_units(extract_units(C_SOURCE, "c", "demo.c"), teacher, student, config))
    return findings, summarise(findings, teacher, student, config, ["demo.c"], 0.25)


def leftovers(folder):
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def test_render_dispatches_every_format(run):
    findings, summary = run
    assert FORMATS == ("table", "json", "sarif", "markdown")
    assert json.loads(render("json", findings, summary))["schema"] == "metacompress-check/2"
    assert json.loads(render("sarif", findings, summary))["version"] == "2.1.0"
    assert render("markdown", findings, summary, color=True).startswith(
        "# MetaCompress check"
    )  # option dropped
    assert "sum" in render("table", iter(findings), summary)  # any iterable of findings


def test_unknown_format_names_the_valid_ones(run):
    findings, summary = run
    with pytest.raises(
        MetaCompressError, match="unknown report format 'xml': use one of table, json, sarif, markdown"
    ):
        render("xml", findings, summary)
    with pytest.raises(TypeError, match="colour"):
        render("table", findings, summary, colour=True)


def test_write_atomic_writes_the_whole_report(run, tmp_path):
    findings, summary = run
    text = render("sarif", findings, summary)
    target = tmp_path / "report.sarif"
    write_atomic(target, text)
    assert target.read_text(encoding="utf-8") == text
    write_atomic(target, "ß\r\n")  # replaced as it is: no newline translation
    assert target.read_bytes() == "ß\r\n".encode()
    assert leftovers(tmp_path) == []


def test_a_failed_render_leaves_the_old_report(run, tmp_path):
    findings, summary = run
    target = tmp_path / "report.json"
    write_atomic(target, render("json", findings, summary))
    before = target.read_bytes()
    with pytest.raises(MetaCompressError):
        write_atomic(target, render("yaml", findings, summary))
    assert target.read_bytes() == before and leftovers(tmp_path) == []


def test_a_failure_while_writing_leaves_the_old_report_and_no_temporary_file(tmp_path):
    target = tmp_path / "report.md"
    target.write_text("old report\n", encoding="utf-8")
    with pytest.raises(UnicodeEncodeError):
        write_atomic(target, "a" * 100_000 + "\ud800")  # a lone surrogate cannot be written as UTF-8
    assert target.read_text(encoding="utf-8") == "old report\n"
    assert leftovers(tmp_path) == [] and sorted(p.name for p in tmp_path.iterdir()) == ["report.md"]


def test_bad_targets_are_user_errors(tmp_path):
    with pytest.raises(MetaCompressError, match="does not exist"):
        write_atomic(tmp_path / "missing" / "report.json", "{}")
    (tmp_path / "folder").mkdir()
    with pytest.raises(MetaCompressError, match="is a folder"):
        write_atomic(tmp_path / "folder", "{}")
    assert leftovers(tmp_path) == []


def test_permissions_are_those_of_a_normally_created_file(tmp_path):
    reference = tmp_path / "reference"
    reference.write_text("x")
    write_atomic(tmp_path / "new.json", "{}")
    assert stat.S_IMODE(os.stat(tmp_path / "new.json").st_mode) == stat.S_IMODE(reference.stat().st_mode)

    existing = tmp_path / "existing.json"
    existing.write_text("{}")
    existing.chmod(0o640)
    write_atomic(existing, '{"a": 1}')
    assert stat.S_IMODE(existing.stat().st_mode) == 0o640 and existing.read_text() == '{"a": 1}'


def test_relative_target_in_the_working_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write_atomic("out.txt", "done\n")
    assert (tmp_path / "out.txt").read_text() == "done\n" and leftovers(tmp_path) == []
