"""The embedded default models: what ships is complete, within its size limits, loads, and `check` runs on it
with no model flags."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from metacompress.cli import main
from metacompress_core.default_models import ROOT, TASK_OF_LANGUAGE, default_pair
from metacompress_core.errors import MetaCompressError
from metacompress_core.models.hf import HFBackend

REPO = Path(__file__).resolve().parents[1]
STUDENT_ROLES = ("compressor", "avatar", "morph")
MB = 1_000_000


def shipped() -> list[Path]:
    return sorted(p.parent for p in ROOT.glob("*/*/config.json"))


def test_every_shipped_model_is_complete_and_within_its_size_limit() -> None:
    models = shipped()
    assert models, f"no default model under {ROOT}"
    total = 0
    for folder in models:
        task, role = folder.parent.name, folder.name
        assert task in TASK_OF_LANGUAGE.values() and role in ("teacher", *STUDENT_ROLES), folder
        for name in ("model.safetensors", "tokenizer.json", "metacompress.json", "README.md", "metrics.json"):
            assert (folder / name).is_file(), f"{folder} lacks {name}"
        assert not list(folder.glob("*.bin")) and not list(folder.glob("*.pt")), "pickles never ship"
        # What a model's size counts: its weights, with a siamese model's head file (docs/MODELS.md).
        size = sum(f.stat().st_size for f in folder.glob("*.safetensors"))
        total += sum(f.stat().st_size for f in folder.iterdir())
        if role != "teacher":
            assert size <= 3 * MB, f"{folder}: {size} bytes of weights, over the 3 MB limit of a student"
            assert (folder.parent / "teacher" / "config.json").is_file(), (
                f"{folder} ships without its teacher"
            )
        card = (folder / "README.md").read_text(encoding="utf-8")
        assert "metacompress distill" in card, f"{folder}/README.md does not say how to reproduce the model"
        metrics = json.loads((folder / "metrics.json").read_text())
        assert metrics["test"]["n"] > 0
    assert total <= 40 * MB, f"the default models take {total} bytes, over the 40 MB budget"


@pytest.mark.parametrize("folder", shipped(), ids=lambda p: f"{p.parent.name}-{p.name}")
def test_shipped_model_loads_and_answers_in_its_task_label_space(folder: Path) -> None:
    backend = HFBackend(folder)
    task = folder.parent.name
    assert backend.task == task
    java = "public int add(int a, int b) { return a + b; }"
    other = "public int sum(int[] xs) { int s = 0; for (int x : xs) s += x; return s; }"
    item = (java, other) if task == "clone" else "int f(char *s) { char b[8]; strcpy(b, s); return 0; }"
    probs = backend.predict([item, item])
    assert probs.shape == (2, 2) and abs(float(probs[0].sum()) - 1) < 1e-5
    assert (probs[0] == probs[1]).all(), "the same input must get the same answer"


def test_languages_without_shipped_models_get_a_clear_error() -> None:
    for language, task in TASK_OF_LANGUAGE.items():
        if (ROOT / task / "teacher" / "config.json").is_file():
            teacher, student, got = default_pair(language)
            assert got == task and teacher.is_dir() and student.is_dir()
        else:
            with pytest.raises(MetaCompressError, match="--teacher DIR --student DIR"):
                default_pair(language)
    with pytest.raises(MetaCompressError, match="no embedded default models for python"):
        default_pair("python")


@pytest.mark.parametrize(
    ("example", "task", "units"),
    [("java/RunLength.java", "clone", 5), ("c/checksum.c", "vuln", 7)],
    ids=["java", "c"],
)
def test_check_runs_on_the_embedded_models_with_no_model_flags(
    example: str, task: str, units: int, tmp_path: Path, capsys
) -> None:
    if not (ROOT / task / "compressor" / "config.json").is_file():
        pytest.skip(f"no {task} defaults shipped")
    report = tmp_path / "report.json"
    code = main(
        [
            "check",
            str(REPO / "examples" / example),
            "--budget",
            "3",
            "--format",
            "json",
            "--output",
            str(report),
            "--no-cache",
            "-q",
        ]
    )
    assert code in (0, 1), capsys.readouterr().err
    data = json.loads(report.read_text())
    assert data["models"]["teacher"]["task"] == data["models"]["student"]["task"] == task
    assert data["models"]["student"]["name"] == "compressor"
    assert data["summary"]["units_checked"] == units and data["summary"]["inputs_checked"] > units
    assert all(f["variants_tried"] > 0 for f in data["findings"])


@pytest.mark.parametrize("folder", shipped(), ids=lambda p: f"{p.parent.name}-{p.name}")
def test_the_card_encoding_reproduces_the_scores_with_plain_transformers(folder: Path) -> None:
    """Follow the card's "Exact input encoding" with transformers and safetensors alone: the same probabilities
    as MetaCompress's backend."""
    import numpy as np
    import torch
    from safetensors.torch import load_file
    from transformers import AutoModel, AutoModelForSequenceClassification, AutoTokenizer

    from metacompress_core.distill.encoding_card import encoding_section

    card = (folder / "README.md").read_text(encoding="utf-8")
    assert encoding_section(folder) in card, "the card's encoding section is not the one its files imply"
    sidecar = json.loads((folder / "metacompress.json").read_text())
    tok = AutoTokenizer.from_pretrained(folder, local_files_only=True)
    length = sidecar["max_length"]
    a = "public int add(int a, int b) { return a + b; }" * 40  # longer than max_length: truncation counts
    b = "public int sum(int[] xs) { int s = 0; for (int x : xs) s += x; return s; }"
    items = (
        [(a, b), (b, b)]
        if sidecar["task"] == "clone"
        else [a.replace("public ", ""), "int f(void) { return 0; }"]
    )
    with torch.no_grad():
        if sidecar["input_form"] == "pair-siamese":
            encoder = AutoModel.from_pretrained(folder, local_files_only=True, dtype=torch.float32).eval()
            head = load_file(str(folder / sidecar["siamese"]["file"]))

            def vector(code: str) -> torch.Tensor:
                enc = tok(code, truncation=True, max_length=length, return_tensors="pt")
                h = encoder(**enc).last_hidden_state[0]
                return h.mean(0) if sidecar["siamese"]["pooling"] == "mean" else h[0]

            rows = []
            for x, y in items:
                u, v = vector(x), vector(y)
                common = torch.cat([(u - v).abs(), u * v])
                w = head["weight"].float()
                logits = 0.5 * (w @ torch.cat([u, v, common]) + w @ torch.cat([v, u, common])) + head["bias"]
                rows.append(torch.softmax(logits, -1).numpy())
            expected = np.array(rows)
        else:
            model = AutoModelForSequenceClassification.from_pretrained(
                folder, local_files_only=True, dtype=torch.float32
            ).eval()
            enc = [tok(x, truncation=True, max_length=length, return_tensors="pt") for x in items]
            expected = np.array([torch.softmax(model(**e).logits[0], -1).numpy() for e in enc])
    got = HFBackend(folder).predict(items)
    np.testing.assert_allclose(got, expected, atol=1e-4)
