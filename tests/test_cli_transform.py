"""`metacompress transform`: listing, diffs, whole sources, and clear errors."""

from __future__ import annotations

import subprocess
import sys

import pytest

from metacompress.cli import main
from metacompress_core.transforms import TRANSFORMS

C_SRC = "int f(int a) {\n    // add one\n    int b = a + 1;\n    return b;\n}\n"


def run(capsys, *argv):
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_list_prints_name_languages_description(capsys):
    code, out, _ = run(capsys, "transform", "--list")
    assert code == 0
    lines = out.splitlines()
    assert len(lines) == len(TRANSFORMS)
    for line in lines:
        name, langs, desc = line.split("\t")
        assert name in TRANSFORMS and desc
        assert set(langs.split(",")) <= {"java", "c", "python"}


def test_diff_by_default_and_whole_source_on_request(tmp_path, capsys):
    path = tmp_path / "f.c"
    path.write_text(C_SRC)
    code, out, _ = run(capsys, "transform", str(path), "-t", "remove-comment")
    assert code == 0
    assert out.startswith("---") and "-    // add one" in out
    code, out, _ = run(capsys, "transform", str(path), "-t", "remove-comment", "--source")
    assert code == 0 and out == C_SRC.replace("    // add one\n", "")
    assert path.read_text() == C_SRC  # the file itself is never modified


def test_same_seed_same_output(tmp_path, capsys):
    path = tmp_path / "f.c"
    path.write_text(C_SRC)
    outs = {run(capsys, "transform", str(path), "-t", "insert-comment", "--seed", "3")[1] for _ in range(3)}
    assert len(outs) == 1


def test_nothing_applies_exits_zero_with_file_unchanged(tmp_path, capsys):
    path = tmp_path / "f.c"
    path.write_text("int f(int a) { return a; }\n")
    code, out, err = run(capsys, "transform", str(path), "-t", "remove-comment", "--source")
    assert code == 0 and out == "int f(int a) { return a; }\n" and "nothing to transform" in err


def test_function_filter(tmp_path, capsys):
    path = tmp_path / "g.py"
    path.write_text("def a():\n    # x\n    return 1\n\ndef b():\n    # y\n    return 2\n")
    code, out, _ = run(capsys, "transform", str(path), "-t", "remove-comment", "--function", "b", "--source")
    assert code == 0 and "# x" in out and "# y" not in out
    code, _, err = run(capsys, "transform", str(path), "-t", "remove-comment", "--function", "zzz")
    assert code == 2 and "no function named 'zzz'" in err


@pytest.mark.parametrize(
    ("name", "content", "args", "message"),
    [
        ("f.c", C_SRC, ["-t", "no-such-transform"], "unknown transform"),
        ("notes.txt", "hello", ["-t", "insert-comment"], "unsupported language"),
        ("bin.c", None, ["-t", "insert-comment"], "binary"),
        ("missing.java", "", ["-t", "insert-comment"], "cannot read"),
    ],
)
def test_errors_exit_2_with_a_message(tmp_path, capsys, name, content, args, message):
    path = tmp_path / name
    if content is None:
        path.write_bytes(b"\x00\x00\x7fELF")
    elif name != "missing.java":
        path.write_text(content)
    code, out, err = run(capsys, "transform", str(path), *args)
    assert code == 2 and out == "" and message in err and "Traceback" not in err


def test_console_script_runs(tmp_path):
    path = tmp_path / "f.c"
    path.write_text(C_SRC)
    done = subprocess.run(
        [sys.executable, "-m", "metacompress", "transform", str(path), "-t", "remove-comment"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0 and "-    // add one" in done.stdout


@pytest.mark.parametrize(
    ("name", "content"),
    [("empty.java", ""), ("broken.c", "int f( {{{ ;;; garbage\n"), ("latin.py", "# caf\u00e9\n")],
)
def test_empty_and_broken_files_are_left_unchanged(tmp_path, capsys, name, content):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    code, out, err = run(capsys, "transform", str(path), "-t", "insert-comment", "--source")
    assert code == 0 and out == content and "nothing to transform" in err


def test_every_transform_keeps_example_files_parsing(capsys):
    from pathlib import Path

    from metacompress_core.code import parse

    examples = sorted(Path(__file__).resolve().parents[1].glob("examples/*/*.*"))
    assert examples
    for path in examples:
        lang = {".java": "java", ".c": "c", ".py": "python"}[path.suffix]
        for name, transform in TRANSFORMS.items():
            if lang not in transform.languages:
                continue
            code, out, err = run(capsys, "transform", str(path), "-t", name, "--source", "--seed", "5")
            assert code == 0, err
            assert not parse(out, lang).has_errors(), (path, name)


@pytest.mark.parametrize(
    "argv", [["--help"], ["transform", "--list"], ["transform", "{src}", "-t", "remove-comment"]]
)
def test_commands_without_a_model_never_import_torch(argv, tmp_path):
    """`--help` and `transform` must start fast: neither torch nor transformers is imported on their path."""
    src = tmp_path / "f.c"
    src.write_text(C_SRC)
    argv = [a.replace("{src}", str(src)) for a in argv]
    probe = (
        "import sys\n"
        "from metacompress.cli import main\n"
        "try:\n"
        f"    main({argv!r})\n"
        "except SystemExit:\n"
        "    pass\n"
        "heavy = sorted(m for m in ('torch', 'transformers', 'tokenizers') if m in sys.modules)\n"
        "print('HEAVY', heavy, file=sys.stderr)\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert "HEAVY []" in done.stderr, done.stderr[-2000:]
