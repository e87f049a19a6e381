"""bench/models_table.py on a tiny default_models-like folder: keyword models of known behaviour (teacher: "malloc",
student: "tmp") on a handful of functions whose renamings are known, so every number of the table is known."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest
from jsonl_files import write_gz
from transformers import BertForSequenceClassification

sys.path.insert(0, str(Path(__file__).resolve().parent))
from known_models import keyword_model  # noqa: E402

_SPEC = importlib.util.spec_from_file_location(
    "models_table", Path(__file__).resolve().parents[1] / "bench" / "models_table.py"
)
models_table = importlib.util.module_from_spec(_SPEC)
sys.modules["models_table"] = models_table  # dataclasses look their module up there
_SPEC.loader.exec_module(models_table)

# (code, label). The student answers 1 exactly when "tmp" is in the input, the teacher when "malloc" is.
DEVIGN_TEST = [
    ("int f(void) { int tmp = 1; return tmp + 1; }", 0),  # renamed: tmp disappears -> the student flips
    ("int g(void) { char *tmp = malloc(4); free(tmp); return 0; }", 1),  # student flips, teacher keeps 1
    ("int h(void) { return 7; }", 0),  # nothing to rename: excluded
    ("int k(int a) { /* tmp */ int b = a; return b; }", 1),  # tmp stays in the comment: no flip
    ("int m(int n) { int i = n * 2; /* tmp */ return i; }", 0),  # no flip
]
JAVA = {
    "1": "int f() { int tmp = 1; return tmp + 1; }",
    "2": "int g() { int tmp = 2; return tmp; }",
    "3": "int h() { return 7; }",
}
BCB_TEST = [("1", "3", 0), ("1", "2", 1), ("3", "1", 0)]  # 2nd: the kept partner still holds tmp


@pytest.fixture(scope="module")
def setup(tmp_path_factory) -> tuple[Path, Path]:
    base = tmp_path_factory.mktemp("models_table")
    root, data = base / "default_models", base / "data"
    keyword_model(root / "vuln" / "teacher", "malloc")
    keyword_model(root / "vuln" / "compressor", "tmp")
    clone = ("not-clone", "clone")
    keyword_model(root / "clone" / "teacher", "malloc", task="clone", labels=clone)
    keyword_model(root / "clone" / "morph", "tmp", task="clone", labels=clone)
    stored = {"test": {"accuracy": 0.1234, "f1": 0.5678, "n": 99}}
    (root / "vuln" / "teacher" / "metrics.json").write_text(json.dumps(stored))
    records = [{"id": str(i), "code": c, "label": y, "split": "test"} for i, (c, y) in enumerate(DEVIGN_TEST)]
    records.insert(
        2, {"id": "t", "code": "int z(void) { int tmp = 0; return tmp; }", "label": 0, "split": "train"}
    )
    write_gz(data / "devign" / "devign.jsonl.gz", records)
    write_gz(data / "bcb" / "functions.jsonl.gz", [{"id": k, "code": v} for k, v in JAVA.items()])
    pairs = [{"id1": a, "id2": b, "label": y, "split": "test"} for a, b, y in BCB_TEST]
    write_gz(
        data / "bcb" / "pairs.jsonl.gz", [*pairs, {"id1": "1", "id2": "1", "label": 1, "split": "valid"}]
    )
    return root, data


def _cells(root: Path, data: Path, **kw) -> dict[tuple[str, str], dict[str, str]]:
    _, rows = models_table.build_table(root, data, seeds=(0, 1), threads=1, **kw)
    return {(r.task, r.role): r.cells for r in rows}


def test_table_numbers(setup):
    root, data = setup
    cells = _cells(root, data)
    assert list(cells) == [
        ("clone", "teacher"),
        ("clone", "morph"),
        ("vuln", "teacher"),
        ("vuln", "compressor"),
    ]
    for task, role in cells:
        folder = root / task / role
        params = BertForSequenceClassification.from_pretrained(folder).num_parameters()
        assert cells[task, role]["parameters"] == f"{params:,}"
        assert cells[task, role]["bytes"] == f"{(folder / 'model.safetensors').stat().st_size:,}"

    teacher, student = cells["vuln", "teacher"], cells["vuln", "compressor"]
    assert teacher["accuracy"] == "0.1234 (n=99, metrics.json)"  # stored figures win over measuring
    assert teacher["f1"] == "0.5678 (n=99, metrics.json)"
    assert teacher["agreement"] == "(teacher)"
    assert teacher["flips"] == "0.0000 (0/4; 1 excluded)"
    # student [1,1,0,1,1] vs truth [0,1,0,1,0]: 3 right; tp 2, fp 2, fn 0; teacher [0,1,0,0,0]: 2 agree
    assert student["accuracy"] == "0.6000 (n=5, measured)"
    assert student["f1"] == "0.6667 (n=5, measured)"
    assert student["agreement"] == "0.4000 (n=5, measured)"
    assert student["flips"] == "0.5000 (2/4; 1 excluded)"

    teacher, student = cells["clone", "teacher"], cells["clone", "morph"]
    assert teacher["accuracy"] == "0.6667 (n=3, measured)"
    assert teacher["f1"] == "0.0000 (n=3, measured)"
    assert teacher["flips"] == "0.0000 (0/2; 1 excluded)"
    assert student["accuracy"] == "0.3333 (n=3, measured)"
    assert student["f1"] == "0.5000 (n=3, measured)"
    assert student["agreement"] == "0.0000 (n=3, measured)"
    assert (
        student["flips"] == "0.5000 (1/2; 1 excluded)"
    )  # the pair whose kept partner holds tmp does not flip


def test_limit_caps_measured_inputs_and_flips(setup):
    root, data = setup
    cells = _cells(root, data, limit=3, flips=200)
    student = cells["vuln", "compressor"]
    # student [1,1,0] vs truth [0,1,0] and teacher [0,1,0]
    assert student["accuracy"] == "0.6667 (n=3, measured)"
    assert student["agreement"] == "0.6667 (n=3, measured)"
    assert student["flips"] == "1.0000 (2/2; 1 excluded)"


def test_missing_data_and_write(setup, tmp_path):
    root, _ = setup
    cells = _cells(root, tmp_path / "absent")
    assert cells["vuln", "teacher"]["accuracy"] == "0.1234 (n=99, metrics.json)"
    assert cells["vuln", "compressor"]["flips"].startswith("n/a: no vuln test data")

    doc = tmp_path / "MODELS.md"
    doc.write_text("# Models\n\nintro\n")
    args = ["--models", str(root), "--data", str(tmp_path / "absent"), "--doc", str(doc), "--write"]
    assert models_table.main(args) == 0
    first = doc.read_text()
    assert first.startswith("# Models\n\nintro\n\n## Shipped models\n\n<!-- models-table:start -->\n| task |")
    assert first.rstrip().endswith("<!-- models-table:end -->")
    doc.write_text(first + "\nafter\n")
    assert models_table.main(args) == 0
    assert doc.read_text() == first + "\nafter\n"  # replaced in place, text around it kept
