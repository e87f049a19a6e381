"""`metacompress check`: reports, exit codes and clear errors, on real models with known behaviour."""

from __future__ import annotations

import json
import shutil

import pytest
from known_models import keyword_model

from metacompress.cli import main

C_LOOP = "int sum(const int *a, int n)\n{\n    int t = 0;\n    for (int i = 0; i < n; i++)\n        t += a[i];\n    return t;\n}\n"
C_PLAIN = "int twice(int x)\n{\n    int y = x * 2;\n    return y;\n}\n"
SAFE_TRANSFORMS = "for-to-while,rename-variable,swap-relational,insert-comment"


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    root = tmp_path_factory.mktemp("models")
    return keyword_model(root / "teacher", "malloc"), keyword_model(root / "student", "while")


@pytest.fixture
def project(tmp_path):
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "loop.c").write_text(C_LOOP)
    (tmp_path / "src" / "plain.c").write_text(C_PLAIN)
    return tmp_path


def check(capsys, models, *args, cache=None):
    teacher, student = models
    argv = ["check", *args, "--teacher", str(teacher), "--student", str(student), "-q"]
    argv += ["--cache-dir", str(cache)] if cache else ["--no-cache"]
    code = main(argv)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_json_report_names_the_violating_function(project, models, capsys):
    code, out, _ = check(capsys, models, str(project / "src"), "-f", "json", "--transforms", SAFE_TRANSFORMS)
    assert code == 0
    report = json.loads(out)
    by_name = {f["unit"]["qualname"]: f for f in report["findings"]}
    assert set(by_name) == {"sum", "twice"}
    assert "prediction-agreement" in by_name["sum"]["violated"]
    assert by_name["twice"]["violated"] == []
    assert report["summary"]["units_with_violation"] == 1


def test_fail_on_sets_exit_code_1(project, models, capsys):
    code, _, err = check(
        capsys, models, str(project / "src"), "--fail-on", "0", "--transforms", SAFE_TRANSFORMS
    )
    assert code == 1 and "exceeds --fail-on" in err
    code, _, _ = check(
        capsys, models, str(project / "src"), "--fail-on", "1", "--transforms", SAFE_TRANSFORMS
    )
    assert code == 0


def test_sarif_written_atomically_to_a_file(project, models, capsys, tmp_path):
    target = tmp_path / "out.sarif"
    code, out, _ = check(capsys, models, str(project / "src" / "loop.c"), "-f", "sarif", "-o", str(target))
    assert code == 0 and out == ""
    sarif = json.loads(target.read_text())
    assert sarif["version"] == "2.1.0"
    assert {r["ruleId"] for r in sarif["runs"][0]["results"]} >= {"prediction-agreement"}
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out.sarif") or p.suffix == ".tmp"]


def test_second_run_reuses_the_cache(project, models, capsys, tmp_path):
    args = (str(project / "src"), "-f", "json", "--transforms", SAFE_TRANSFORMS)
    first = json.loads(check(capsys, models, *args, cache=tmp_path / "cache")[1])
    assert any((tmp_path / "cache").rglob("*"))
    second = json.loads(check(capsys, models, *args, cache=tmp_path / "cache")[1])
    assert [f["tallies"] for f in first["findings"]] == [f["tallies"] for f in second["findings"]]


def test_missing_model_directory_is_a_usage_error(project, capsys, tmp_path):
    code = main(
        [
            "check",
            str(project / "src"),
            "--teacher",
            str(tmp_path / "nope"),
            "--student",
            str(tmp_path / "nope2"),
        ]
    )
    err = capsys.readouterr().err
    assert code == 2 and "does not exist" in err and "Traceback" not in err


def test_teacher_without_student_is_refused(project, models, capsys):
    code = main(["check", str(project / "src"), "--teacher", str(models[0])])
    assert code == 2 and "both --teacher and --student" in capsys.readouterr().err


def test_pickle_only_model_is_refused_unless_allowed(project, models, capsys, tmp_path):
    import torch
    from safetensors.torch import load_file

    pickled = tmp_path / "pickled"
    shutil.copytree(models[1], pickled)
    weights = pickled / "model.safetensors"
    torch.save(load_file(weights), pickled / "pytorch_model.bin")
    weights.unlink()
    code = main(
        [
            "check",
            str(project / "src"),
            "--teacher",
            str(models[0]),
            "--student",
            str(pickled),
            "-q",
            "--no-cache",
        ]
    )
    err = capsys.readouterr().err
    assert code == 2 and "--allow-pickle" in err
    code = main(
        [
            "check",
            str(project / "src"),
            "--teacher",
            str(models[0]),
            "--student",
            str(pickled),
            "-q",
            "--no-cache",
            "--allow-pickle",
            "--transforms",
            SAFE_TRANSFORMS,
        ]
    )
    assert code == 0


def test_label_mismatch_and_wrong_task_are_refused(project, models, capsys, tmp_path):
    clone = keyword_model(tmp_path / "clone", "while", task="clone", labels=("not-clone", "clone"))
    code = main(
        ["check", str(project / "src"), "--teacher", str(models[0]), "--student", str(clone), "--no-cache"]
    )
    assert code == 2 and "cannot be compared" in capsys.readouterr().err
    code = main(
        [
            "check",
            str(project / "src"),
            "--teacher",
            str(models[0]),
            "--student",
            str(models[1]),
            "--task",
            "clone",
            "--no-cache",
        ]
    )
    err = capsys.readouterr().err
    assert code == 2 and "clone" in err and "Traceback" not in err


def test_unparsable_and_unsupported_files(project, models, capsys):
    bad = project / "src" / "broken.c"
    bad.write_text("int f( {{{ garbage\n")
    (project / "src" / "notes.txt").write_text("not code")
    code, out, _ = check(capsys, models, str(project / "src"), "-f", "json", "--transforms", SAFE_TRANSFORMS)
    assert code == 0 and {f["unit"]["qualname"] for f in json.loads(out)["findings"]} == {"sum", "twice"}
    code, _, err = check(capsys, models, str(project / "src" / "notes.txt"))
    assert code == 2 and "unsupported language" in err
    code, _, err = check(capsys, models, str(project / "src"), "--transforms", "no-such")
    assert code == 2 and "unknown transform" in err


def test_no_models_and_no_defaults_for_python(tmp_path, capsys):
    path = tmp_path / "a.py"
    path.write_text("def f(x):\n    return x\n")
    code = main(["check", str(path), "--no-cache"])
    assert code == 2 and "--teacher DIR --student DIR" in capsys.readouterr().err


def test_code_that_does_not_parse_is_named_in_every_report(project, models, capsys):
    broken = "int broken(int a)\n{\n    int b = a +;\n    return b ]];\n}\n\n"
    (project / "src" / "loop.c").write_text(broken + C_LOOP)
    code, out, err = check(
        capsys, models, str(project / "src"), "-f", "json", "--transforms", SAFE_TRANSFORMS
    )
    assert code == 0
    report = json.loads(out)
    assert {f["unit"]["qualname"] for f in report["findings"]} == {"sum", "twice"}  # the rest still checked
    (skipped,) = report["summary"]["skipped"]
    assert "loop.c lines 1-5" in skipped and "does not parse" in skipped
    assert "metacompress: skipped" in err and "loop.c lines 1-5" in err
    check(capsys, models, str(project / "src"), "-f", "sarif", "-o", str(project / "r.sarif"))
    (run,) = json.loads((project / "r.sarif").read_text())["runs"]
    (note,) = run["invocations"][0]["toolExecutionNotifications"]
    assert "loop.c lines 1-5" in note["message"]["text"] and note["level"] == "warning"
