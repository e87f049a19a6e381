"""The manifest backend on tiny raw state dicts laid out like Compressor's students, built in the tests."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import numpy as np
import pytest
import torch
from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, trainers
from transformers import RobertaConfig, RobertaForSequenceClassification, RobertaModel

from metacompress_core.errors import MetaCompressError
from metacompress_core.models import load_backend
from metacompress_core.models.dataflow import extract_dataflow, remove_comments
from metacompress_core.models.device import DeviceOptions
from metacompress_core.models.graph_input import GraphSpec, attention_mask, build_graph_input
from metacompress_core.models.manifest_backend import ManifestBackend
from metacompress_core.models.network import StudentNetwork

JAVA = [
    "public int add(int a, int b) {\n  int s = a + b; // sum\n  return s;\n}",
    "static void copy(String src, String dest) throws IOException {\n"
    "  File in = new File(src);\n  File out = new File(dest);\n  if (in.exists()) { out.delete(); }\n}",
    "int count(int[] xs) { int n = 0; for (int x : xs) { if (x > 0) n++; } return n; }",
    "boolean empty(String s) { return s == null || s.length() == 0; }",
]
ARCH = {
    "vocab_size": 300,
    "hidden_size": 24,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "intermediate_size": 16,
    "max_position_embeddings": 130,
    "type_vocab_size": 1,
    "pad_token_id": 1,
    "bos_token_id": 0,
    "eos_token_id": 2,
}
CPU = DeviceOptions(device="cpu", batch_size=3, threads=1)


def save_tokenizer(path: Path) -> Tokenizer:
    """Compressor's tokenizer recipe: lowercased byte-level BPE, special tokens added by hand, not by it."""
    tok = Tokenizer(models.BPE(unk_token="<unk>"))
    tok.normalizer = normalizers.Lowercase()
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=True)
    trainer = trainers.BpeTrainer(
        vocab_size=300,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        special_tokens=["<s>", "<pad>", "</s>", "<unk>"],
    )
    tok.train_from_iterator([" ".join(c.split()) for c in JAVA] * 3, trainer)
    tok.save(str(path))
    return tok


def manifest_dict(task: str, form: str, encoding: str, prefixes: tuple[str, str], **input_fields) -> dict:
    return {
        "schema": "metacompress-manifest/1",
        "name": f"tiny-{task}-{encoding}",
        "task": task,
        "weights": {"path": "student/model.bin"},
        "tokenizer": {"path": "student/tokenizer.json"},
        "architecture": {"type": "roberta", "config": ARCH},
        "state_dict": {"encoder": prefixes[0], "head": prefixes[1], "ignore": ["unused."]},
        "input": {"form": form, "encoding": encoding, **input_fields},
        "outputs": ["vulnerable", "safe"] if task == "vuln" else ["not-clone", "clone"],
    }


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Path:
    """Weights directory: one tokenizer and two raw state dicts (a single-input and a pair student)."""
    root = tmp_path_factory.mktemp("weights")
    (root / "student").mkdir()
    save_tokenizer(root / "student" / "tokenizer.json")
    torch.manual_seed(0)
    config = RobertaConfig(**ARCH, num_labels=2)
    single = RobertaForSequenceClassification(config).eval()
    state = {f"encoder.{k}": v for k, v in single.state_dict().items()}
    state["unused.position_ids"] = torch.arange(130)[None]  # like the students' stale buffer
    torch.save(state, root / "student" / "model.bin")
    pair = StudentNetwork(config, 2, pair=True).eval()
    with torch.no_grad():
        pair.head.out_proj.weight.mul_(30)
    pair_state = {f"encoder.roberta.{k}": v for k, v in pair.encoder.state_dict().items()}
    pair_state |= {f"classifier.{k}": v for k, v in pair.head.state_dict().items()}
    torch.save(pair_state, root / "student" / "pair.bin")
    return root


def write(tmp_path: Path, data: dict, name: str = "m.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data))
    return path


def test_single_input_student_matches_its_own_architecture(tmp_path, store):
    m = manifest_dict("vuln", "single", "tokens", ("encoder.roberta.", "encoder.classifier."), max_length=20)
    m["input"]["whitespace"] = "collapse"
    backend = load_backend(write(tmp_path, m), weights_dir=store, options=CPU)
    assert isinstance(backend, ManifestBackend) and backend.labels == ("safe", "vulnerable")
    # By hand: rebuild the original RobertaForSequenceClassification and feed Compressor's preprocessing.
    model = RobertaForSequenceClassification(RobertaConfig(**ARCH, num_labels=2)).eval()
    state = torch.load(store / "student" / "model.bin", weights_only=True)
    model.load_state_dict({k[len("encoder.") :]: v for k, v in state.items() if k.startswith("encoder.")})
    tok = Tokenizer.from_file(str(store / "student" / "tokenizer.json"))
    expected = []
    with torch.no_grad():
        for code in JAVA:
            ids = torch.tensor([[0, *tok.encode(" ".join(code.split())).ids[:18], 2]])
            expected.append(
                torch.softmax(model(input_ids=ids, attention_mask=ids.ne(1)).logits[0], -1).numpy()
            )
    expected = np.array(expected)[:, ::-1]  # output 0 means "vulnerable": the backend reorders the columns
    np.testing.assert_allclose(backend.predict(JAVA), expected, atol=2e-5)


def test_pair_student_concatenates_first_token_vectors(tmp_path, store):
    m = manifest_dict("clone", "pair-siamese", "tokens", ("encoder.roberta.", "classifier."), max_length=32)
    m["weights"]["path"] = "student/pair.bin"
    backend = load_backend(write(tmp_path, m), weights_dir=store, options=CPU)
    pairs = [(JAVA[0], JAVA[1]), (JAVA[1], JAVA[0]), (JAVA[2], JAVA[2]), (JAVA[3], JAVA[0])]
    state = torch.load(store / "student" / "pair.bin", weights_only=True)
    encoder = RobertaModel(RobertaConfig(**ARCH), add_pooling_layer=False).eval()
    encoder.load_state_dict({k[len("encoder.roberta.") :]: v for k, v in state.items() if "encoder." in k})
    tok = Tokenizer.from_file(str(store / "student" / "tokenizer.json"))

    def vector(code: str) -> torch.Tensor:
        ids = torch.tensor([[0, *tok.encode(code).ids[:30], 2]])
        return encoder(input_ids=ids, attention_mask=ids.ne(1))[0][0, 0]

    expected = []
    with torch.no_grad():
        for a, b in pairs:
            x = torch.cat([vector(a), vector(b)])
            h = torch.tanh(state["classifier.dense.weight"] @ x + state["classifier.dense.bias"])
            logits = state["classifier.out_proj.weight"] @ h + state["classifier.out_proj.bias"]
            expected.append(torch.softmax(logits, -1).numpy())
    got = backend.predict(pairs)
    np.testing.assert_allclose(got, np.array(expected), atol=2e-5)
    assert backend.labels == ("not-clone", "clone")
    assert backend._vector_cache.computed == 4  # each distinct function encoded once for its partners
    np.testing.assert_allclose(backend.predict([(JAVA[0], JAVA[1])]), got[[0]], atol=1e-6)
    assert backend._vector_cache.computed == 4  # and kept for later calls
    with pytest.raises(MetaCompressError, match="pairs"):
        backend.predict([JAVA[0]])


def test_dataflow_student_gives_the_same_answer_batched_and_cropped(tmp_path, store):
    """Batches are cropped to their longest input unless an input needs its full padded length; either way
    each row must equal the input run alone at the full length the model was trained with."""
    fields = dict(
        language="java", dataflow_rules="java", comments="remove", code_length=48, data_flow_length=16
    )
    m = manifest_dict(
        "clone", "pair-siamese", "graphcodebert-dataflow", ("encoder.roberta.", "classifier."), **fields
    )
    m["weights"]["path"] = "student/pair.bin"
    backend = load_backend(write(tmp_path, m), weights_dir=store, options=CPU)
    codes = JAVA + [JAVA[1] * 3]  # the last one is truncated, leaving nodes without code tokens
    tok = Tokenizer.from_file(str(store / "student" / "tokenizer.json"))
    spec = GraphSpec(code_length=48, data_flow_length=16, reserved_tokens=3)
    network = backend._network
    alone = []
    for code in codes:
        flow = extract_dataflow(remove_comments(code, "java"), "java", "java", keep_unlinked=False)
        item = build_graph_input(flow, lambda t: tok.encode(t).ids, spec)
        full = spec.total_length
        ids = torch.full((1, full), 1)
        ids[0, : len(item.ids)] = torch.tensor(item.ids)
        pos = torch.full((1, full), 1)
        pos[0, : len(item.positions)] = torch.tensor(item.positions)
        mask = torch.from_numpy(attention_mask(item, full, (0, 2)))[None]
        with torch.no_grad():
            alone.append(network.encode_graphs(ids, pos, mask)[0].numpy())
    np.testing.assert_allclose(backend.vectors(codes), np.array(alone), atol=2e-5)
    assert any(g.needs_padding for g in backend._graphs(codes))  # the case that must not be cropped occurs


def test_paths_and_hashes_are_checked(tmp_path, store):
    m = manifest_dict("vuln", "single", "tokens", ("encoder.roberta.", "encoder.classifier."))
    path = write(tmp_path, m)
    with pytest.raises(MetaCompressError, match="weights_dir / --weights-dir"):
        load_backend(path)  # the weights are not beside the manifest
    bad = copy.deepcopy(m)
    bad["weights"]["sha256"] = "0" * 64
    with pytest.raises(MetaCompressError, match="does not match its manifest"):
        load_backend(write(tmp_path, bad, "bad.json"), weights_dir=store)
    with pytest.raises(MetaCompressError, match="is not at"):
        load_backend(path, weights_dir=tmp_path)


def test_state_dict_must_fit_the_manifest(tmp_path, store):
    no_ignore = manifest_dict("vuln", "single", "tokens", ("encoder.roberta.", "encoder.classifier."))
    no_ignore["state_dict"]["ignore"] = []
    with pytest.raises(MetaCompressError, match="unused.position_ids"):
        load_backend(write(tmp_path, no_ignore), weights_dir=store)
    wrong_size = manifest_dict("vuln", "single", "tokens", ("encoder.roberta.", "encoder.classifier."))
    wrong_size["architecture"]["config"] = {**ARCH, "hidden_size": 32}
    with pytest.raises(MetaCompressError, match="does not fit the manifest's encoder"):
        load_backend(write(tmp_path, wrong_size, "w.json"), weights_dir=store)


def test_manifest_mistakes_are_named(tmp_path, store):
    m = manifest_dict("vuln", "pair-siamese", "tokens", ("encoder.roberta.", "encoder.classifier."))
    with pytest.raises(MetaCompressError, match="cannot take input form 'pair-siamese'"):
        load_backend(write(tmp_path, m), weights_dir=store)
    m = manifest_dict("vuln", "single", "tokens", ("encoder.roberta.", "encoder.classifier."))
    m["outputs"] = ["ok", "bug"]
    with pytest.raises(MetaCompressError, match="must have the labels"):
        load_backend(write(tmp_path, m, "labels.json"), weights_dir=store)
    foreign = write(tmp_path, {"name": "not ours"}, "foreign.json")
    with pytest.raises(MetaCompressError, match="not a MetaCompress manifest"):
        load_backend(foreign)
    m = manifest_dict("vuln", "single", "tokens", ("encoder.roberta.", "encoder.classifier."))
    m["input"]["window"] = 3
    with pytest.raises(MetaCompressError, match="unknown input field"):
        load_backend(write(tmp_path, m, "unknown.json"), weights_dir=store)


def test_a_directory_with_one_manifest_loads(tmp_path, store):
    folder = tmp_path / "dir"
    folder.mkdir()
    write(folder, manifest_dict("vuln", "single", "tokens", ("encoder.roberta.", "encoder.classifier.")))
    backend = load_backend(folder, weights_dir=store, options=CPU)
    assert backend.predict(JAVA[:2]).shape == (2, 2)
