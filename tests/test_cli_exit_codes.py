"""`metacompress check` exit codes through the real command (a subprocess), issue 12: 0 ok, 1 only for a
violation rate over --fail-on, 2 with a message for everything the user can fix, never a traceback, and no
partial output; a folder mixing languages keeps the results of those with models.
"""

from __future__ import annotations

import json
import os
import pickle
import shutil
import subprocess
import sys
from argparse import Namespace
from pathlib import Path

import pytest
from known_models import keyword_model

C_LOOP = "int sum(const int *a, int n)\n{\n    int t = 0;\n    for (int i = 0; i < n; i++)\n        t += a[i];\n    return t;\n}\n"
JAVA = "class A {\n    int sum(int[] a) {\n        int t = 0;\n        for (int i = 0; i < a.length; i++) t += a[i];\n        return t;\n    }\n}\n"
SAFE_TRANSFORMS = "for-to-while,rename-variable,swap-relational,insert-comment"
HANG = 300  # seconds: a command still running after this is stuck (a FIFO read, say)


@pytest.fixture(scope="module")
def models(tmp_path_factory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("models")
    return keyword_model(root / "teacher", "malloc"), keyword_model(root / "student", "while")


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "metacompress", "check", *args, "-q"],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=HANG,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).parent.parent)},
    )


def model_args(models) -> list[str]:
    """The known teacher and student, without the cache."""
    return ["--teacher", str(models[0]), "--student", str(models[1]), "--no-cache"]


def usage_error(result: subprocess.CompletedProcess, *needles: str) -> None:
    assert result.returncode == 2, (result.returncode, result.stderr[-2000:])
    assert "Traceback" not in result.stderr, result.stderr[-2000:]
    assert result.stdout == ""  # no partial report
    assert "metacompress: error:" in result.stderr
    for needle in needles:
        assert needle in result.stderr, (needle, result.stderr)


@pytest.fixture
def project(tmp_path) -> Path:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "loop.c").write_text(C_LOOP)
    return tmp_path


def _model_copy(models, tmp_path: Path, name: str) -> Path:
    copy = tmp_path / name
    shutil.copytree(models[1], copy)
    return copy


def _truncated(models, tmp_path):
    copy = _model_copy(models, tmp_path, "truncated")
    weights = copy / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[: weights.stat().st_size // 2])
    return copy, []


def _empty(models, tmp_path):
    copy = _model_copy(models, tmp_path, "empty")
    (copy / "model.safetensors").write_bytes(b"")
    return copy, []


def _garbage_header(models, tmp_path):
    copy = _model_copy(models, tmp_path, "garbage")
    (copy / "model.safetensors").write_bytes((200).to_bytes(8, "little") + b"\xff{not json" * 40)
    return copy, []


def _pickled_object(models, tmp_path):
    copy = _model_copy(models, tmp_path, "pickled")
    (copy / "model.safetensors").unlink()
    (copy / "pytorch_model.bin").write_bytes(pickle.dumps(Namespace(weights="not a state dict")))
    return copy, ["--allow-pickle"]


@pytest.mark.parametrize("broken", [_truncated, _empty, _garbage_header, _pickled_object])
def test_a_broken_model_is_a_usage_error(project, models, tmp_path, broken):
    student, extra = broken(models, tmp_path)
    result = run(
        str(project / "src"),
        "--teacher",
        str(models[0]),
        "--student",
        str(student),
        "--no-cache",
        *extra,
        cwd=project,
    )
    usage_error(result, str(student))


@pytest.mark.parametrize(
    ("toml", "named"),
    [
        ('models = "x"\n', "`models`"),
        ('[models.c]\nteacher = 5\nstudent = "s"\n', "`models.c.teacher`"),
        ('budget = "many"\n', "`budget`"),
        ('fail_on = "x"\n', "`fail_on`"),
        ("budget = -1\n", "`budget`"),
        ("device = 7\n", "`device`"),
    ],
)
def test_wrong_settings_types_are_usage_errors_before_the_run(project, models, toml, named):
    (project / ".metacompress.toml").write_text(toml)
    cache = project / "cache"
    result = run(
        str(project / "src"),
        "--teacher",
        str(models[0]),
        "--student",
        str(models[1]),
        "--cache-dir",
        str(cache),
        cwd=project,
    )
    usage_error(result, named)
    assert not cache.exists()  # refused before any model loaded


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (["--budget", "-1"], "budget"),
        (["--budget", "0"], "budget"),
        (["--compositions", "-2"], "compositions"),
        (["--fail-on", "nan"], "fail-on"),
        (["--fail-on", "1.5"], "fail-on"),
        (["--threads", "0"], "thread"),
        (["--output", "no-such-folder/report.json"], "no-such-folder"),
    ],
)
def test_bad_options_are_usage_errors_before_the_run(project, models, args, named):
    cache = project / "cache"
    result = run(
        str(project / "src"),
        "--teacher",
        str(models[0]),
        "--student",
        str(models[1]),
        "--cache-dir",
        str(cache),
        *args,
        cwd=project,
    )
    usage_error(result, named)
    assert not cache.exists()  # nothing ran


def test_fifos_and_symlink_loops_are_refused_or_skipped(project, models):
    src = project / "src"
    os.mkfifo(project / "pipe.c")
    loop = project / "loop-link.c"
    loop.symlink_to(loop)
    os.mkfifo(project / "settings.toml")
    common = model_args(models)
    usage_error(run(str(project / "pipe.c"), *common, cwd=project), "pipe.c")
    usage_error(run(str(loop), *common, cwd=project), "loop-link.c")
    usage_error(
        run(str(src), "--config", str(project / "settings.toml"), *common, cwd=project), "settings.toml"
    )
    # Below a named folder: a FIFO, a symlink loop and a folder loop are skipped with a line, the rest checked.
    os.mkfifo(src / "fifo.c")
    (src / "self.c").symlink_to(src / "self.c")
    (src / "again").symlink_to(src)
    result = run(str(src), *common, "--transforms", SAFE_TRANSFORMS, "-f", "json", cwd=project)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    assert {f["unit"]["qualname"] for f in json.loads(result.stdout)["findings"]} == {"sum"}


def test_mixed_folder_keeps_the_languages_with_models(project, tmp_path_factory):
    root = tmp_path_factory.mktemp("java-models")
    java_t = keyword_model(root / "teacher", "malloc")
    java_s = keyword_model(root / "student", "while")
    c_t, c_s = keyword_model(root / "c-teacher", "malloc"), keyword_model(root / "c-student", "while")
    (project / ".metacompress.toml").write_text(
        f'[models.c]\nteacher = "{c_t}"\nstudent = "{c_s}"\n[models.java]\nteacher = "{java_t}"\nstudent = "{java_s}"\n'
    )
    src = project / "src"
    (src / "A.java").write_text(JAVA)
    (src / "a.py").write_text("def f(xs):\n    t = 0\n    for x in xs:\n        t += x\n    return t\n")
    (src / "b.py").write_text("def g(x):\n    return x\n")
    out = project / "report.json"
    result = run(
        str(src), "--transforms", SAFE_TRANSFORMS, "-f", "json", "-o", str(out), "--no-cache", cwd=project
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    report = json.loads(out.read_text())
    assert {(f["unit"]["language"], f["unit"]["qualname"]) for f in report["findings"]} >= {
        ("c", "sum"),
        ("java", "A.sum"),
    }
    lines = [line for line in result.stderr.splitlines() if "python" in line]
    assert len(lines) == 1 and "2" in lines[0], result.stderr  # one line for both Python files


def test_violations_over_fail_on_are_the_only_exit_1(project, models):
    common = [*model_args(models), "--transforms", SAFE_TRANSFORMS]
    assert run(str(project / "src"), *common, "--fail-on", "0", cwd=project).returncode == 1
    assert run(str(project / "src"), *common, "--fail-on", "1", cwd=project).returncode == 0


def test_models_of_another_language_say_so_in_one_line(project, models):
    (project / "src" / "a.py").write_text(
        "def f(xs):\n    t = 0\n    for x in xs:\n        t += x\n    return t\n"
    )
    common = [*model_args(models), "--transforms", SAFE_TRANSFORMS]
    result = run(str(project / "src" / "a.py"), *common, cwd=project)
    assert result.returncode == 0, result.stderr[-2000:]
    (note,) = [line for line in result.stderr.splitlines() if "note:" in line]
    assert "python files are checked with vuln models, made for c code" in note
