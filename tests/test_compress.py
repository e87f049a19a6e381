"""`metacompress compress` (int8 via ONNX Runtime, fp16, pruning) and ONNX model folders.

Each method's folder loads in HFBackend and `metacompress check`; the numbers are checked on what was written
to disk. The int8 tolerance is the one measured on the shipped vulnerability teacher (docs/MODELS.md).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import load_file
from test_models_hf import build_model

from metacompress.cli import main
from metacompress_core.errors import MetaCompressError
from metacompress_core.models.device import DeviceOptions
from metacompress_core.models.hf import HFBackend
from metacompress_core.models.loading import load_backend

pytest.importorskip("onnxruntime")
pytest.importorskip("onnxscript")

ROOT = Path(__file__).resolve().parents[1]
DEFAULTS = ROOT / "metacompress_core" / "default_models"
CPU = DeviceOptions(device="cpu", threads=1)
C_FILE = ROOT / "examples" / "c" / "checksum.c"
C_INPUTS = [
    *(p.read_text()[:3000] for p in sorted((ROOT / "examples" / "c").glob("*.c"))),
    "int f(int a) { return a + 1; }",
    "void g(char *p) { char *q = malloc(8); while (*p) *q++ = *p++; }",
    "int sum(const int *a, int n) { int t = 0; for (int i = 0; i < n; i++) t += a[i]; return t; }",
]
# int8 against the float32 model, per probability, on the shipped vuln teacher (docs/MODELS.md): at most 0.0141
# on Devign's 2,731 test functions (batches of 32), 0.0061 on the inputs above (ONNX Runtime 1.32, AVX2 CPU).
INT8_TOLERANCE = 0.02


def compress(*args: str) -> int:
    return main(["compress", *args, "--threads", "1"])


@pytest.fixture(scope="module")
def source(tmp_path_factory) -> Path:
    """A randomly initialised RoBERTa classifier stored in float32 (no weight is zero to begin with)."""
    return build_model(tmp_path_factory.mktemp("src") / "model", seed=3, sidecar={"task": "vuln"})


@pytest.fixture(scope="module")
def made(source: Path, tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("made")
    folders = {}
    for method in ("prune", "fp16", "int8", "onnx"):
        extra = ["--sparsity", "0.3"] if method == "prune" else []
        folders[method] = root / method
        assert (
            compress("--method", method, "--teacher", str(source), "--out", str(root / method), *extra) == 0
        )
    return folders


@pytest.mark.parametrize("method", ["prune", "fp16", "int8", "onnx"])
def test_each_method_makes_a_folder_that_hfbackend_and_check_load(
    method: str, source: Path, made: dict[str, Path], capsys
) -> None:
    folder = made[method]
    for name in ("metacompress.json", "tokenizer.json", "tokenizer_config.json"):
        assert (folder / name).read_bytes() == (source / name).read_bytes()  # carried over unchanged
    record = json.loads((folder / "compression.json").read_text())
    original = HFBackend(source, options=CPU)
    assert record["method"] == method and record["source"]["fingerprint"] == original.fingerprint
    card = (folder / "README.md").read_text()
    assert original.fingerprint in card and f"`{method}`" in card and "weights on disk" in card
    assert f"{record['bytes']['weights_before']:,} -> {record['bytes']['weights_after']:,}" in card
    backend = load_backend(folder, options=CPU)
    assert backend.fingerprint == record["fingerprint"] != original.fingerprint
    assert backend.labels == original.labels and backend.task == "vuln"
    if method != "prune":  # pruning 30% of a random model's weights moves its outputs anywhere
        assert np.abs(backend.predict(C_INPUTS) - original.predict(C_INPUTS)).max() < INT8_TOLERANCE
    capsys.readouterr()
    argv = ["check", str(C_FILE), "--teacher", str(source), "--student", str(folder), "-f", "json"]
    assert main([*argv, "--no-cache", "-q", "--budget", "2", "--threads", "1"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["summary"]["inputs_checked"] > 0


def test_prune_zeroes_the_requested_share_of_the_encoder_linear_weights(
    source: Path, made: dict[str, Path]
) -> None:
    before, after = (
        load_file(str(source / "model.safetensors")),
        load_file(str(made["prune"] / "model.safetensors")),
    )
    assert before.keys() == after.keys()
    backend = HFBackend(source, options=CPU)
    pruned = {
        f"{name}.weight"
        for name, m in backend._model.named_modules()
        if isinstance(m, torch.nn.Linear) and name.startswith("roberta.")
    }
    assert pruned and all(
        ".encoder." in k for k in pruned
    )  # RoBERTa's pooler is not built for classification
    zeros = sum(int((after[k] == 0).sum()) for k in pruned)
    total = sum(after[k].numel() for k in pruned)
    assert zeros == round(0.3 * total)  # global L1: exactly the requested share (no weight was zero before)
    assert all(int((before[k] == 0).sum()) == 0 for k in pruned)
    kept = [k for k in after if k not in pruned]
    assert all(torch.equal(before[k], after[k]) for k in kept)  # head, embeddings, biases, norms untouched
    for k in pruned:  # what survives is the largest weights, unchanged
        mask = after[k] != 0
        assert torch.equal(after[k][mask], before[k][mask])
    threshold = max(before[k][after[k] == 0].abs().max() for k in pruned)
    assert all(before[k][after[k] != 0].abs().min() >= threshold for k in pruned)
    record = json.loads((made["prune"] / "compression.json").read_text())
    assert record["sparsity"]["achieved"] == pytest.approx(zeros / total, abs=1e-6)
    assert record["settings"]["scope"] == "global" and set(record["sparsity"]["per_layer"]) == pruned
    assert all(v.dtype == torch.float32 for v in after.values())  # pruning keeps the stored precision


def test_pruning_a_float16_model_keeps_it_float16(tmp_path: Path) -> None:
    out = tmp_path / "pruned"
    assert (
        compress("--method", "prune", "--teacher", str(DEFAULTS / "clone" / "morph"), "--out", str(out)) == 0
    )
    source = load_file(str(DEFAULTS / "clone" / "morph" / "model.safetensors"))
    saved = load_file(str(out / "model.safetensors"))
    assert {k: v.dtype for k, v in saved.items()} == {k: v.dtype for k, v in source.items()}
    assert (out / "siamese_head.safetensors").read_bytes() == (
        DEFAULTS / "clone" / "morph" / "siamese_head.safetensors"
    ).read_bytes()
    assert json.loads((out / "compression.json").read_text())["sparsity"]["achieved"] == pytest.approx(
        0.5, abs=1e-4
    )
    assert HFBackend(out, options=CPU).predict(
        [("int f() { return 1; }", "int g() { return 1; }")]
    ).shape == (1, 2)


def test_fp16_weights_are_float16_on_disk_and_computed_in_float32(
    source: Path, made: dict[str, Path]
) -> None:
    saved = load_file(str(made["fp16"] / "model.safetensors"))
    assert {v.dtype for v in saved.values() if v.is_floating_point()} == {torch.float16}
    assert json.loads((made["fp16"] / "config.json").read_text())["dtype"] == "float16"
    record = json.loads((made["fp16"] / "compression.json").read_text())
    assert record["bytes"]["weights_after"] < 0.55 * record["bytes"]["weights_before"]
    backend = HFBackend(made["fp16"], options=CPU)
    assert {p.dtype for p in backend._model.parameters()} == {torch.float32}
    want = HFBackend(source, options=CPU).predict(C_INPUTS)
    assert np.abs(backend.predict(C_INPUTS) - want).max() < 5e-3


def test_int8_makes_an_onnx_folder_with_int8_weights(made: dict[str, Path]) -> None:
    import onnx

    folder = made["int8"]
    assert (folder / "model.onnx").is_file() and not list(folder.glob("*.safetensors"))
    types = {t.data_type for t in onnx.load(str(folder / "model.onnx")).graph.initializer}
    assert onnx.TensorProto.INT8 in types
    backend = HFBackend(folder, options=CPU)
    assert backend.onnx_folder and backend._model is None
    record = json.loads((folder / "compression.json").read_text())
    assert record["settings"]["weight_type"] == "QInt8" and record["tensors"]["int8_values"] > 0
    # the fingerprint covers model.onnx: the same folder with the float32 graph is the float32 model
    other = folder.parent / "int8-swapped"
    shutil.copytree(folder, other)
    shutil.copyfile(made["onnx"] / "model.onnx", other / "model.onnx")
    swapped = HFBackend(other, options=CPU).fingerprint
    assert swapped != backend.fingerprint and swapped == HFBackend(made["onnx"], options=CPU).fingerprint


@pytest.fixture(scope="module")
def vuln_teacher(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("vuln")
    teacher = DEFAULTS / "vuln" / "teacher"
    for method in ("onnx", "int8"):
        assert compress("--method", method, "--teacher", str(teacher), "--out", str(root / method)) == 0
    return {"teacher": teacher, "onnx": root / "onnx", "int8": root / "int8"}


def test_an_onnx_folder_gives_the_torch_probabilities_within_1e4(vuln_teacher: dict[str, Path]) -> None:
    want = HFBackend(vuln_teacher["teacher"], options=CPU).predict(C_INPUTS)
    onnx_folder = load_backend(vuln_teacher["onnx"], options=CPU)
    assert onnx_folder.onnx_folder
    assert np.abs(onnx_folder.predict(C_INPUTS) - want).max() < 1e-4
    # the same with the onnx backend setting: a folder's own graph is run, nothing is exported
    same = load_backend(vuln_teacher["onnx"], options=DeviceOptions(device="cpu", backend="onnx", threads=1))
    assert same.fingerprint == onnx_folder.fingerprint


def test_int8_probabilities_are_close_to_the_float32_model(vuln_teacher: dict[str, Path]) -> None:
    want = HFBackend(vuln_teacher["teacher"], options=CPU).predict(C_INPUTS)
    got = load_backend(vuln_teacher["int8"], options=CPU).predict(C_INPUTS)
    assert 0 < np.abs(got - want).max() < INT8_TOLERANCE
    assert (got.argmax(1) == want.argmax(1)).all()
    record = json.loads((vuln_teacher["int8"] / "compression.json").read_text())
    assert record["bytes"]["weights_after"] < 0.6 * record["bytes"]["weights_before"]  # vs float16 storage
    assert record["bytes"]["weights_after"] < 0.3 * record["onnx_fp32_bytes"]


def test_a_bi_encoder_becomes_an_onnx_folder_of_function_vectors(tmp_path: Path) -> None:
    morph = DEFAULTS / "clone" / "morph"
    out = tmp_path / "morph-int8"
    assert compress("--method", "int8", "--teacher", str(morph), "--out", str(out)) == 0
    assert (out / "siamese_head.safetensors").read_bytes() == (
        morph / "siamese_head.safetensors"
    ).read_bytes()
    pairs = [(a, b) for a in C_INPUTS[3:] for b in C_INPUTS[3:]]
    want = HFBackend(morph, options=CPU).predict(pairs)
    backend = HFBackend(out, options=CPU)
    assert backend.onnx_folder and np.abs(backend.predict(pairs) - want).max() < INT8_TOLERANCE


def test_a_pair_siamese_head_inside_the_weights_is_refused_for_onnx(tmp_path: Path, capsys) -> None:
    pair = build_model(
        tmp_path / "pair", siamese=True, sidecar={"task": "clone", "input_form": "pair-siamese"}
    )
    assert compress("--method", "int8", "--teacher", str(pair), "--out", str(tmp_path / "out")) == 2
    assert "--method fp16 or prune" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()
    assert compress("--method", "fp16", "--teacher", str(pair), "--out", str(tmp_path / "half")) == 0
    assert HFBackend(tmp_path / "half", options=CPU).predict([("int a;", "int b;")]).shape == (1, 2)


def test_an_onnx_folder_that_breaks_the_contract_says_so(made: dict[str, Path], tmp_path: Path) -> None:
    import onnx
    from onnx import TensorProto, helper

    folder = tmp_path / "own"
    shutil.copytree(made["onnx"], folder)
    x = helper.make_tensor_value_info("ids", TensorProto.INT64, ["b", "s"])
    y = helper.make_tensor_value_info("y", TensorProto.INT64, ["b", "s"])
    graph = helper.make_graph([helper.make_node("Identity", ["ids"], ["y"])], "g", [x], [y])
    onnx.save(
        helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(folder / "model.onnx")
    )
    with pytest.raises(MetaCompressError, match="must take input_ids and attention_mask"):
        HFBackend(folder, options=CPU)
    sidecar = {"task": "clone", "input_form": "pair-siamese"}
    (folder / "metacompress.json").write_text(json.dumps(sidecar))
    shutil.copyfile(made["onnx"] / "model.onnx", folder / "model.onnx")
    with pytest.raises(MetaCompressError, match="pair-siamese"):
        HFBackend(folder, options=CPU)


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--sparsity", "0"], "between 0 and 1"),
        (["--sparsity", "1"], "between 0 and 1"),
        (["--sparsity", "-0.5"], "between 0 and 1"),
        (["--sparsity", "nan"], "between 0 and 1"),
    ],
)
def test_a_sparsity_outside_0_1_is_exit_2(args, needle, source: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "out"
    assert compress("--method", "prune", "--teacher", str(source), "--out", str(out), *args) == 2
    assert needle in capsys.readouterr().err and not out.exists()


def test_bad_inputs_are_exit_2_with_what_to_do(
    source: Path, made: dict[str, Path], tmp_path: Path, capsys
) -> None:
    def refused(*args: str) -> str:
        assert compress(*args) == 2
        return capsys.readouterr().err

    out = str(tmp_path / "new")
    with pytest.raises(SystemExit) as exit_:
        main(["compress", "--method", "int4", "--teacher", str(source), "--out", out])
    assert exit_.value.code == 2 and "invalid choice: 'int4'" in capsys.readouterr().err
    empty = tmp_path / "empty"
    empty.mkdir()
    err = refused("--method", "fp16", "--teacher", str(empty), "--out", out)
    assert "not a Hugging Face model folder" in err and "save_pretrained" in err
    manifest = ROOT / "models" / "compressor" / "codebert-vul.json"
    assert "not a Hugging Face model folder" in refused(
        "--method", "fp16", "--teacher", str(manifest), "--out", out
    )
    assert "ONNX model folder" in refused("--method", "fp16", "--teacher", str(made["int8"]), "--out", out)
    assert "no model is fetched" in refused(
        "--method", "fp16", "--teacher", "microsoft/codebert-base", "--out", out
    )
    full = tmp_path / "full"
    full.mkdir()
    (full / "x").write_text("x")
    assert "not empty: pass a new folder" in refused(
        "--method", "fp16", "--teacher", str(source), "--out", str(full)
    )
    assert "--sparsity applies to --method prune only" in refused(
        "--method", "int8", "--teacher", str(source), "--out", out, "--sparsity", "0.5"
    )
    assert not Path(out).exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no half-built folder left
    # an empty --out is fine
    assert compress("--method", "fp16", "--teacher", str(source), "--out", str(empty)) == 0
    assert (empty / "model.safetensors").is_file()
