"""Dataset loaders: the real shared datasets (skipped when absent) and small files written here."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from metacompress_core.datasets import (
    DATA_ENV,
    data_dir,
    labelled_unlabelled_halves,
    load_bcb,
    load_devign,
    read_jsonl,
)
from metacompress_core.errors import MetaCompressError


def write_jsonl(path: Path, records: list, *, compress: bool) -> Path:
    text = "".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in records)
    path.parent.mkdir(parents=True, exist_ok=True)
    if compress:
        with gzip.open(path, "wt", encoding="utf-8") as f:
            f.write(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


DEVIGN = [
    {"id": f"p_{i}", "code": f"int f{i}(void) {{ return {i}; }}", "label": i % 2, "split": s, "project": "p"}
    for i, s in enumerate(["train"] * 6 + ["valid", "test"])
]


# ---- the real data --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def devign(shared_data: Path):
    return load_devign(shared_data)


def test_devign_real_splits_and_labels(devign) -> None:
    counts = {s: sum(e.split == s for e in devign) for s in ("train", "valid", "test")}
    assert counts == {"train": 21855, "valid": 2732, "test": 2731}
    assert sum(e.label for e in devign) == 12460
    assert {e.project for e in devign} == {"FFmpeg", "qemu"}
    assert len({e.id for e in devign}) == len(devign)


def test_devign_real_halves_partition_train_deterministically(devign) -> None:
    train = [e for e in devign if e.split == "train"]
    labelled, unlabelled = labelled_unlabelled_halves(train, seed=0)
    assert len(labelled) + len(unlabelled) == len(train)
    assert abs(len(labelled) - len(unlabelled)) <= 1
    assert {e.id for e in labelled}.isdisjoint(e.id for e in unlabelled)
    again, _ = labelled_unlabelled_halves(list(reversed(train)), seed=0)
    assert [e.id for e in again] == [e.id for e in labelled]  # input order does not matter
    other, _ = labelled_unlabelled_halves(train, seed=1)
    assert [e.id for e in other] != [e.id for e in labelled]
    share = sum(e.label for e in labelled) / len(labelled)
    assert 0.42 < share < 0.49  # both halves keep Devign's ~45.6% vulnerable


def test_bcb_real_splits(shared_data: Path) -> None:
    data = load_bcb(shared_data)
    assert len(data.functions) == 9133
    sizes = {s: len(data.split(s)) for s in ("train", "valid", "test", "train_unlabeled")}
    assert sizes == {"train": 45051, "valid": 4000, "test": 4000, "train_unlabeled": 45051}
    test = data.split("test")
    assert sum(p.label for p in test) == 2000
    assert {p.label for p in data.split("train_unlabeled")} == {-1}
    a, b = data.code_pair(test[0])
    assert a == data.functions[test[0].id1] and "(" in a and "(" in b
    train_fns = {i for p in data.split("train") for i in (p.id1, p.id2)}
    assert train_fns.isdisjoint(i for p in test for i in (p.id1, p.id2))


# ---- small files ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("compress", [True, False])
def test_devign_file_gzip_and_plain(tmp_path: Path, compress: bool) -> None:
    # A gzip file is recognised by its content, whatever its name.
    write_jsonl(tmp_path / "devign" / "devign.jsonl.gz", DEVIGN, compress=compress)
    examples = load_devign(tmp_path)
    assert [e.id for e in examples] == [r["id"] for r in DEVIGN]
    assert [e.label for e in examples] == [r["label"] for r in DEVIGN]
    assert [e.split for e in load_devign(tmp_path, splits=("test",))] == ["test"]


def test_bad_json_line_names_the_line(tmp_path: Path) -> None:
    path = write_jsonl(
        tmp_path / "d.jsonl", [DEVIGN[0], "", '{"id": "x", "code": ', DEVIGN[1]], compress=False
    )
    with pytest.raises(MetaCompressError, match=r"d\.jsonl:3: not valid JSON"):
        load_devign(path=path)


def test_missing_field_is_named(tmp_path: Path) -> None:
    record = dict(DEVIGN[0])
    del record["label"]
    path = write_jsonl(tmp_path / "d.jsonl.gz", [DEVIGN[1], record], compress=True)
    with pytest.raises(MetaCompressError, match=r":2: missing field\(s\) label"):
        load_devign(path=path)


def test_non_object_line_and_bad_label(tmp_path: Path) -> None:
    with pytest.raises(MetaCompressError, match=":1: expected a JSON object"):
        list(read_jsonl(write_jsonl(tmp_path / "a.jsonl", ["[1, 2]"], compress=False)))
    bad = dict(DEVIGN[0], label=3)
    with pytest.raises(MetaCompressError, match="label 3"):
        load_devign(path=write_jsonl(tmp_path / "b.jsonl", [bad], compress=False))


def test_bcb_files_and_unknown_function(tmp_path: Path) -> None:
    fns = [{"id": "1", "code": "void a() {}"}, {"id": "2", "code": "void b() {}"}]
    pairs = [
        {"id1": "1", "id2": "2", "label": 1, "split": "train"},
        {"id1": "2", "id2": "1", "label": -1, "split": "train_unlabeled"},
    ]
    write_jsonl(tmp_path / "bcb" / "functions.jsonl.gz", fns, compress=True)
    write_jsonl(tmp_path / "bcb" / "pairs.jsonl.gz", pairs, compress=False)
    data = load_bcb(tmp_path)
    assert data.code_pair(data.split("train")[0]) == ("void a() {}", "void b() {}")
    assert [p.label for p in data.split("train_unlabeled")] == [-1]
    write_jsonl(tmp_path / "bcb" / "pairs.jsonl.gz", [dict(pairs[0], id2="9")], compress=True)
    with pytest.raises(MetaCompressError, match="names function '9'"):
        load_bcb(tmp_path)


def test_missing_data_points_to_the_docs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(MetaCompressError, match="DATASETS.md"):
        data_dir(tmp_path / "nowhere")
    with pytest.raises(MetaCompressError, match=r"devign\.jsonl\.gz is missing.*DATASETS\.md"):
        load_devign(tmp_path)
    monkeypatch.setenv(DATA_ENV, str(tmp_path))
    assert data_dir() == tmp_path
    monkeypatch.setenv(DATA_ENV, str(tmp_path / "absent"))
    with pytest.raises(MetaCompressError, match=r"\$METACOMPRESS_DATA"):
        data_dir()
