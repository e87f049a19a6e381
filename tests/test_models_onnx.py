"""The ONNX Runtime backend (`backend = "onnx"`): the same probabilities and findings as torch, exported once.

Skipped without the onnx extra (onnxruntime, onnx, onnxscript).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from known_models import keyword_model

from metacompress.cli import main
from metacompress_core.config import settings_from_table
from metacompress_core.errors import MetaCompressError
from metacompress_core.models import onnx_runtime
from metacompress_core.models.device import DeviceOptions
from metacompress_core.models.hf import HFBackend
from metacompress_core.models.onnx_runtime import CACHE_ENV, GRAPH_VERSION

pytest.importorskip("onnxruntime")
pytest.importorskip("onnxscript")

DEFAULTS = Path(__file__).resolve().parents[1] / "metacompress_core" / "default_models"
C_FUNCTIONS = [
    (Path(__file__).resolve().parents[1] / "examples" / "c" / "tokenizer.c").read_text()[:4000],
    "int f(int a) { return a + 1; }",
    "void g(char *p) { char *q = malloc(8); while (*p) *q++ = *p++; }",
]
JAVA = ["int f(int a) { return a + 1; }", "int add(int x, int y) { int s = x + y; return s; }"]
CPU = DeviceOptions(device="cpu")
ONNX = DeviceOptions(device="cpu", backend="onnx")


@pytest.fixture(autouse=True)
def onnx_dir(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path_factory.getbasetemp() / "onnx-exports"
    monkeypatch.setenv(CACHE_ENV, str(folder))
    return folder


@pytest.mark.parametrize("model", ["vuln/teacher", "vuln/morph", "clone/compressor"])
def test_shipped_models_give_torch_probabilities_within_1e4(model: str) -> None:
    inputs = [(JAVA[0], JAVA[1]), (JAVA[1], JAVA[1])] if model.startswith("clone") else C_FUNCTIONS
    torch_p = HFBackend(DEFAULTS / model, options=CPU).predict(inputs)
    onnx_backend = HFBackend(DEFAULTS / model, options=ONNX)
    assert np.abs(onnx_backend.predict(inputs) - torch_p).max() < 1e-4
    assert onnx_backend.fingerprint != HFBackend(DEFAULTS / model, options=CPU).fingerprint


def test_a_bert_with_token_types_is_exported_once_and_reused(tmp_path: Path, onnx_dir: Path) -> None:
    folder = keyword_model(tmp_path / "m", "malloc")
    texts = ["char *p = malloc(4);", "int x = 1;", "return malloc(n) + malloc(m);"]
    want = HFBackend(folder, options=CPU).predict(texts)
    first = HFBackend(folder, options=ONNX)
    assert np.abs(first.predict(texts) - want).max() < 1e-4
    exported = sorted(onnx_dir.glob(f"m-{first.fingerprint[:16]}-*.onnx"))
    assert len(exported) == 1
    stamp = exported[0].stat().st_mtime_ns
    assert np.abs(HFBackend(folder, options=ONNX).predict(texts) - want).max() < 1e-4
    assert exported[0].stat().st_mtime_ns == stamp  # read, not written again


def _operators(path: Path) -> set[str]:
    import onnx

    return {f"{node.domain or 'ai.onnx'}:{node.op_type}" for node in onnx.load(str(path)).graph.node}


def _roberta(folder: Path) -> Path:
    """CodeBERT's architecture (RoBERTa) at a test's size, with the shipped student's tokenizer."""
    import shutil

    from transformers import RobertaConfig, RobertaForSequenceClassification

    config = RobertaConfig(
        vocab_size=50265, hidden_size=64, num_hidden_layers=2, num_attention_heads=4, intermediate_size=128,
        max_position_embeddings=514, type_vocab_size=1, num_labels=2, pad_token_id=0,
    )  # fmt: skip
    RobertaForSequenceClassification(config).save_pretrained(folder)
    for name in ("tokenizer.json", "tokenizer_config.json"):
        shutil.copy(DEFAULTS / "vuln" / "compressor" / name, folder / name)
    sidecar = {"task": "vuln", "labels": ["safe", "vulnerable"], "max_length": 512, "input_form": "single"}
    (folder / "metacompress.json").write_text(json.dumps(sidecar))
    return folder


@pytest.mark.parametrize("model", ["codebert-shaped", "vuln/teacher"])
def test_the_export_is_fused_for_onnx_runtime_and_keeps_the_probabilities(
    model: str, tmp_path: Path, onnx_dir: Path
) -> None:
    folder = _roberta(tmp_path / "codebert-shaped") if model == "codebert-shaped" else DEFAULTS / model
    torch_p = HFBackend(folder, options=CPU).predict(C_FUNCTIONS)
    backend = HFBackend(folder, options=ONNX)
    assert np.abs(backend.predict(C_FUNCTIONS) - torch_p).max() < 1e-4
    (exported,) = onnx_dir.glob(f"{folder.name}-{backend.fingerprint[:16]}-logits-v{GRAPH_VERSION}.onnx")
    operators = _operators(exported)
    assert operators & {"com.microsoft:Attention", "com.microsoft:MultiHeadAttention"}
    assert "ai.onnx:Softmax" not in operators  # every attention went into ORT's kernel


def test_a_fusion_that_changes_the_outputs_is_not_kept(
    tmp_path: Path, onnx_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(onnx_runtime, "FUSED_TOLERANCE", -1.0)  # no fused graph can be close enough
    folder = keyword_model(tmp_path / "p", "malloc")
    texts = ["char *p = malloc(4);", "int x = 1;"]
    backend = HFBackend(folder, options=ONNX)
    assert np.abs(backend.predict(texts) - HFBackend(folder, options=CPU).predict(texts)).max() < 1e-4
    (exported,) = onnx_dir.glob(f"p-{backend.fingerprint[:16]}-logits-v{GRAPH_VERSION}.onnx")
    assert not any(op.startswith("com.microsoft:") for op in _operators(exported))
    assert not list(onnx_dir.glob("*.fused"))  # the rejected candidate is removed


def test_a_damaged_export_is_named_with_what_to_do(tmp_path: Path, onnx_dir: Path) -> None:
    folder = keyword_model(tmp_path / "d", "malloc")
    backend = HFBackend(folder, options=ONNX)
    onnx_dir.mkdir(parents=True, exist_ok=True)
    (onnx_dir / f"d-{backend.fingerprint[:16]}-logits-v{GRAPH_VERSION}.onnx").write_bytes(b"not a model")
    with pytest.raises(MetaCompressError, match="delete the file"):
        backend.predict(["int x;"])


def test_the_backend_is_a_setting_and_never_silent(tmp_path: Path) -> None:
    assert settings_from_table({"backend": "onnx"}).device.backend == "onnx"
    with pytest.raises(MetaCompressError, match="backend"):
        settings_from_table({"backend": "tensorrt"})
    with pytest.raises(MetaCompressError, match="runs on the CPU"):
        HFBackend(
            keyword_model(tmp_path / "c", "malloc"), options=DeviceOptions(device="cuda", backend="onnx")
        )


def test_check_with_the_onnx_backend_reports_the_same_findings(tmp_path: Path, capsys) -> None:
    teacher, student = keyword_model(tmp_path / "t", "malloc"), keyword_model(tmp_path / "s", "while")
    source = tmp_path / "loop.c"
    source.write_text(
        "int sum(const int *a, int n)\n{\n    int t = 0;\n    for (int i = 0; i < n; i++)\n        t += a[i];\n    return t;\n}\n"
    )
    reports = {}
    for backend in ("torch", "onnx"):
        argv = ["check", str(source), "-f", "json", "--teacher", str(teacher), "--student", str(student)]
        assert main([*argv, "--no-cache", "-q", "--backend", backend]) == 0
        reports[backend] = json.loads(capsys.readouterr().out)
    torch_f, onnx_f = (reports[b]["findings"] for b in ("torch", "onnx"))
    assert [f["violated"] for f in onnx_f] == [f["violated"] for f in torch_f]
    assert "prediction-agreement" in torch_f[0]["violated"]
