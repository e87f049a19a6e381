"""`metacompress eval` without --teacher/--student runs the task's embedded teacher and its three students, as
`check` uses them (issue 12); the real command, in a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from metacompress_core.default_models import ROOT

FUNCTIONS = [
    ("A", "int a(int n) {\n    char *p = malloc(n);\n    for (int i = 0; i < n; i++) {\n        p[i] = 0;\n    }\n    return 0;\n}\n", 1),
    ("B", "int b(int x) {\n    return x + 1;\n}\n", 0),
]  # fmt: skip


def _eval(tmp_path: Path, *extra: str) -> subprocess.CompletedProcess:
    dataset = tmp_path / "devign.jsonl"
    dataset.write_text(
        "".join(json.dumps({"id": i, "code": c, "label": y, "split": "test"}) + "\n" for i, c, y in FUNCTIONS)
    )
    argv = [
        "eval",
        "--task",
        "vuln",
        "--dataset",
        str(dataset),
        "--variants",
        "1",
        "--transforms",
        "for-to-while",
    ]
    argv += ["--cka-inputs", "2", "--device", "cpu", "--out", str(tmp_path / "out"), "-q", *extra]
    return subprocess.run(
        [sys.executable, "-m", "metacompress", *argv],
        capture_output=True,
        text=True,
        timeout=900,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).parent.parent)},
    )


@pytest.mark.skipif(
    not (ROOT / "vuln" / "teacher" / "config.json").is_file(), reason="embedded models absent"
)
def test_eval_without_models_uses_the_embedded_teacher_and_its_three_students(tmp_path):
    result = _eval(tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    models = json.loads((tmp_path / "out" / "results.json").read_text())["models"]
    assert {m["name"] for m in models.values()} == {"teacher", "compressor", "avatar", "morph"}
    assert models["teacher"]["name"] == "teacher"


def test_eval_with_a_teacher_but_no_student_is_a_usage_error(tmp_path):
    result = _eval(tmp_path, "--teacher", str(ROOT / "vuln" / "teacher"))
    assert result.returncode == 2 and "--student" in result.stderr and "Traceback" not in result.stderr
