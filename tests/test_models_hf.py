"""The HF backend on tiny real transformers models built and saved in the tests.

`build_model` (a seeded RobertaForSequenceClassification with hidden size 32, 2 layers, and a byte-level BPE
trained on a few lines of code, saved with save_pretrained) is shared with the cache tests.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors, trainers
from transformers import (
    AutoModelForSequenceClassification,
    AutoTokenizer,
    PreTrainedTokenizerFast,
    RobertaConfig,
    RobertaForSequenceClassification,
)

from metacompress_core.errors import MetaCompressError
from metacompress_core.models import check_compatible, load_backend
from metacompress_core.models.device import DeviceOptions
from metacompress_core.models.hf import HFBackend

CODE = [
    "int add(int a, int b) { return a + b; }",
    "static void copy(char *dst, const char *src) { while ((*dst++ = *src++)) ; }",
    "public int size() { return this.items.length; }",
    'void f(int n) { for (int i = 0; i < n; i++) { printf("%d", i); } }',
    'if (x == null) { throw new IllegalArgumentException("x"); }',
    "int max(int a, int b) { return a > b ? a : b; }",
]


def train_tokenizer() -> PreTrainedTokenizerFast:
    """A byte-level BPE trained on a few lines of code, wrapped as a transformers tokenizer."""
    tok = Tokenizer(models.BPE(unk_token="<unk>"))
    tok.normalizer = normalizers.Lowercase()
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=True)
    trainer = trainers.BpeTrainer(
        vocab_size=300,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        special_tokens=["<s>", "<pad>", "</s>", "<unk>", "<mask>"],
    )
    tok.train_from_iterator(CODE * 4, trainer)
    tok.post_processor = processors.RobertaProcessing(("</s>", 2), ("<s>", 0))
    return PreTrainedTokenizerFast(
        tokenizer_object=tok,
        bos_token="<s>",
        eos_token="</s>",
        pad_token="<pad>",
        unk_token="<unk>",
        mask_token="<mask>",
        model_max_length=64,
    )


def tiny_config(tokenizer: PreTrainedTokenizerFast, labels: int = 2) -> RobertaConfig:
    return RobertaConfig(
        vocab_size=len(tokenizer),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=37,
        max_position_embeddings=66,
        pad_token_id=1,
        bos_token_id=0,
        eos_token_id=2,
        num_labels=labels,
        type_vocab_size=1,
    )


def build_model(
    directory: Path,
    *,
    seed: int = 0,
    labels: int = 2,
    sidecar: dict | None = None,
    siamese: bool = False,
    pickle_only: bool = False,
) -> Path:
    """Save a randomly initialised (seeded) RobertaForSequenceClassification with its tokenizer."""
    torch.manual_seed(seed)
    tokenizer = train_tokenizer()
    model = RobertaForSequenceClassification(tiny_config(tokenizer, labels)).eval()
    if siamese:  # a pair head over two concatenated first-token vectors
        hidden = model.config.hidden_size
        model.classifier.dense = torch.nn.Linear(2 * hidden, hidden)
    with torch.no_grad():  # make the outputs spread out, so label order and rows are visible in tests
        model.classifier.out_proj.weight.mul_(40)
    directory.mkdir(parents=True, exist_ok=True)
    if pickle_only:
        model.config.save_pretrained(directory)
        torch.save(model.state_dict(), directory / "pytorch_model.bin")
    else:
        model.save_pretrained(directory)
    tokenizer.save_pretrained(directory)
    if sidecar is not None:
        (directory / "metacompress.json").write_text(json.dumps(sidecar))
    return directory


# ---- the HF backend -------------------------------------------------------------------------------------------

SMALL_BATCHES = DeviceOptions(device="cpu", batch_size=2, threads=1)


def reference_probs(directory: Path, inputs) -> np.ndarray:
    """Each input on its own through plain transformers: what the backend's batched run must reproduce."""
    tokenizer = AutoTokenizer.from_pretrained(directory, local_files_only=True)
    model = AutoModelForSequenceClassification.from_pretrained(directory, local_files_only=True).eval()
    rows = []
    with torch.no_grad():
        for item in inputs:
            enc = tokenizer(
                *((item,) if isinstance(item, str) else item), return_tensors="pt", truncation=True
            )
            rows.append(torch.softmax(model(**enc).logits[0].double(), -1).numpy())
    return np.array(rows)


@pytest.fixture(scope="module")
def vuln_dir(tmp_path_factory) -> Path:
    return build_model(tmp_path_factory.mktemp("vuln") / "model", sidecar={"task": "vuln"})


def test_single_inputs_match_unbatched_transformers(vuln_dir):
    backend = load_backend(vuln_dir, options=SMALL_BATCHES)
    assert isinstance(backend, HFBackend)
    inputs = [CODE[1], CODE[0], CODE[3], CODE[0], CODE[5]]  # lengths differ; one repeats
    probs = backend.predict(inputs)
    assert probs.dtype == np.float32 and probs.shape == (5, 2)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-6)
    np.testing.assert_allclose(probs, reference_probs(vuln_dir, inputs), atol=2e-5)
    assert backend.labels == ("safe", "vulnerable") and backend.task == "vuln"
    assert backend.predict([]).shape == (0, 2)


def test_label_order_from_sidecar_is_normalised(tmp_path):
    directory = build_model(tmp_path / "m", sidecar={"task": "vuln", "labels": ["vulnerable", "safe"]})
    backend = load_backend(directory)
    assert backend.labels == ("safe", "vulnerable")
    raw = reference_probs(directory, CODE[:3])
    np.testing.assert_allclose(backend.predict(CODE[:3]), raw[:, ::-1], atol=2e-5)


def test_text_pairs_match_transformers(tmp_path):
    directory = build_model(tmp_path / "clone", seed=3, sidecar={"task": "clone"})
    backend = load_backend(directory, options=SMALL_BATCHES)
    assert backend.input_form == "pair-text" and backend.labels == ("not-clone", "clone")
    pairs = [(CODE[0], CODE[5]), (CODE[2], CODE[4]), (CODE[5], CODE[0])]
    np.testing.assert_allclose(backend.predict(pairs), reference_probs(directory, pairs), atol=2e-5)
    with pytest.raises(MetaCompressError, match="pairs"):
        backend.predict([CODE[0]])


def test_siamese_pairs_concatenate_first_token_vectors(tmp_path):
    directory = build_model(
        tmp_path / "siamese", seed=5, siamese=True, sidecar={"task": "clone", "input_form": "pair-siamese"}
    )
    backend = load_backend(directory, options=SMALL_BATCHES)
    pairs = [(CODE[0], CODE[3]), (CODE[3], CODE[0]), (CODE[1], CODE[1])]
    # By hand: the saved weights, the encoder on each function alone, the head on [h(a); h(b)].
    from safetensors.torch import load_file

    state = load_file(str(directory / "model.safetensors"))
    tokenizer = AutoTokenizer.from_pretrained(directory, local_files_only=True)
    model = AutoModelForSequenceClassification.from_pretrained(
        directory, local_files_only=True, ignore_mismatched_sizes=True
    ).eval()

    def first_token(code: str) -> torch.Tensor:
        return model.roberta(**tokenizer(code, return_tensors="pt"))[0][0, 0]

    expected = []
    with torch.no_grad():
        for a, b in pairs:
            x = torch.cat([first_token(a), first_token(b)])
            h = torch.tanh(state["classifier.dense.weight"] @ x + state["classifier.dense.bias"])
            logits = state["classifier.out_proj.weight"] @ h + state["classifier.out_proj.bias"]
            expected.append(torch.softmax(logits.double(), -1).numpy())
    got = backend.predict(pairs)
    np.testing.assert_allclose(got, np.array(expected), atol=2e-5)
    assert not np.allclose(got[0], got[1])  # order within a pair matters to a siamese head
    assert backend._vectors.computed == 3  # each distinct function encoded once for all its partners
    np.testing.assert_allclose(backend.predict([(CODE[0], CODE[3])]), got[[0]], atol=1e-6)
    assert backend._vectors.computed == 3  # and its vector kept for later calls


def test_pickle_only_directory_is_refused_unless_opted_in(tmp_path):
    directory = build_model(tmp_path / "pickled", seed=1, pickle_only=True, sidecar={"task": "vuln"})
    assert not list(directory.glob("*.safetensors"))
    with pytest.raises(MetaCompressError) as refused:
        load_backend(directory)
    assert "allow_pickle=True" in str(refused.value) and "--allow-pickle" in str(refused.value)
    backend = load_backend(directory, allow_pickle=True)
    safe = build_model(tmp_path / "same-weights", seed=1, sidecar={"task": "vuln"})
    np.testing.assert_allclose(backend.predict(CODE), load_backend(safe).predict(CODE), atol=1e-6)


@pytest.mark.parametrize(
    "spec", ["microsoft/codebert-base", "roberta-base", "https://huggingface.co/microsoft/codebert-base"]
)
def test_hub_ids_and_urls_are_refused(spec):
    with pytest.raises(MetaCompressError, match="no model is fetched from a hub; pass a local directory"):
        load_backend(spec)


def test_bad_directories_say_what_is_wrong(tmp_path):
    with pytest.raises(MetaCompressError, match="does not exist"):
        load_backend(tmp_path / "nowhere" / "model")
    (tmp_path / "empty").mkdir()
    with pytest.raises(MetaCompressError, match="not a model directory"):
        load_backend(tmp_path / "empty")
    weightless = tmp_path / "weightless"
    weightless.mkdir()
    (weightless / "config.json").write_text('{"model_type": "roberta"}')
    with pytest.raises(MetaCompressError, match="no model weights"):
        load_backend(weightless)


def test_remote_code_is_never_run(tmp_path, vuln_dir):
    directory = tmp_path / "custom"
    directory.mkdir()
    for f in vuln_dir.iterdir():
        (directory / f.name).write_bytes(f.read_bytes())
    config = json.loads((directory / "config.json").read_text())
    config["model_type"] = "mystery-net"
    config["auto_map"] = {"AutoModelForSequenceClassification": "modeling_mystery.MysteryNet"}
    (directory / "config.json").write_text(json.dumps(config))
    (directory / "modeling_mystery.py").write_text("raise SystemExit('remote code ran')\n")
    with pytest.raises(MetaCompressError, match="custom model code"):
        load_backend(directory)


def test_label_spaces_must_match(tmp_path, vuln_dir):
    teacher = load_backend(vuln_dir)
    three = load_backend(build_model(tmp_path / "three", labels=3))
    with pytest.raises(MetaCompressError, match="the teacher has 2 classes, the student 3"):
        check_compatible(teacher, three)
    renamed = load_backend(build_model(tmp_path / "renamed", sidecar={"labels": ["ok", "bug"]}))
    with pytest.raises(
        MetaCompressError, match=r"labels are \['safe', 'vulnerable'\], the student's \['ok', 'bug'\]"
    ):
        check_compatible(teacher, renamed)
    clone = load_backend(build_model(tmp_path / "clone", sidecar={"task": "clone"}))
    with pytest.raises(MetaCompressError, match="cannot be compared"):
        check_compatible(teacher, clone)
    check_compatible(
        teacher, load_backend(build_model(tmp_path / "student", seed=9, sidecar={"task": "vuln"}))
    )


def test_a_model_of_the_wrong_task_is_refused(vuln_dir):
    with pytest.raises(MetaCompressError, match="is a 'vuln' model, but the task is 'clone'"):
        load_backend(vuln_dir, task="clone")


def test_fingerprint_follows_weights_and_preprocessing(tmp_path, vuln_dir):
    assert load_backend(vuln_dir).fingerprint == load_backend(vuln_dir).fingerprint
    other = build_model(tmp_path / "other", seed=7, sidecar={"task": "vuln"})
    assert load_backend(other).fingerprint != load_backend(vuln_dir).fingerprint
    collapsed = build_model(tmp_path / "collapsed", sidecar={"task": "vuln", "whitespace": "collapse"})
    assert load_backend(collapsed).fingerprint != load_backend(vuln_dir).fingerprint
