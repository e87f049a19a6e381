"""Distil a small student from a teacher: `metacompress distill student --method compressor|avatar|morph`.

Stages, each cached in the run folder (--out) so an interrupted run resumes where it stopped:
  teacher_outputs/  the teacher's probabilities on the unlabelled half and on valid/test (chunked; the
                 expensive part on a CPU; --teacher-cache shares them between runs)
  variants.json  morph: renamed variants of the unlabelled inputs (they inherit their original's soft label)
  probes.jsonl   avatar/morph: briefly distilled configurations that fit the search's surrogates
  search.json    the chosen architecture and how it was chosen
  init/          the student's trained tokenizer and initial weights
  checkpoint.pt  weights, optimizer, schedule, RNG state and data position (loaded with weights_only=True)
  trained/       the distilled student (float32); final/ (or --export DIR): the shipped folder with its card
"""

from __future__ import annotations

import json
import math
import random
import time
from collections.abc import Collection
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np
import torch

from metacompress_core.distill import base_model
from metacompress_core.distill.arch_search import METHODS, SearchBudget, search
from metacompress_core.distill.architecture import Arch, build_siamese_student, build_student
from metacompress_core.distill.code_tokenizer import train_tokenizer
from metacompress_core.distill.encoding import epoch_batches
from metacompress_core.distill.encoding_card import with_encoding_section
from metacompress_core.distill.kd_loss import kd_loss
from metacompress_core.distill.renamings import renamed_input
from metacompress_core.distill.search_space import SearchSpace
from metacompress_core.distill.soft_labels import cached_probabilities
from metacompress_core.distill.student_card import student_card
from metacompress_core.distill.student_data import InputEncoder, StudentData, load_student_data
from metacompress_core.distill.student_folder import encoder_config, load_student, save_student, weights_bytes
from metacompress_core.distill.teacher import Split, model_logits, predict
from metacompress_core.distill.teacher_run import LABELS, log_progress, metrics
from metacompress_core.errors import MetaCompressError
from metacompress_core.models.device import DeviceOptions, named_device
from metacompress_core.models.hf import HFBackend

# What distinguishes the methods besides the search: tokenizer types searched, KD temperature, cosine term.
METHOD_SETTINGS = {
    "compressor": {"tokenizers": ("bpe",), "temperature": 1.0, "cosine": 0.0},
    "avatar": {"tokenizers": ("bpe", "wordpiece", "unigram"), "temperature": 1.0, "cosine": 0.0},
    "morph": {"tokenizers": ("bpe",), "temperature": 2.0, "cosine": 1.0},
}


@dataclass
class StudentConfig:
    task: str
    method: str
    teacher: str
    out: str
    data: str | None = None
    size_mb: float = 3.0  # hard limit on model.safetensors (1 MB = 1,000,000 bytes)
    space: str | None = None  # search-space overrides, e.g. "vocab=1000:8000,layers=1:6"
    search_budget: int | None = None  # compressor: GA generations; avatar/morph: probe configurations
    population: int = 50
    generations: int | None = None  # avatar/morph: generations of the surrogate-guided search (default 30)
    probe_steps: int = 40  # avatar/morph: optimizer steps of each brief distillation
    probe_examples: int = 2000  # avatar/morph: unlabelled examples a probe trains on
    valid_sample: int = 200  # avatar/morph: validation examples a probe is measured on
    epochs: int = 3
    max_steps: int | None = None
    batch_size: int = 16
    lr: float = 5e-4
    weight_decay: float = 0.01
    warmup: float = 0.06
    temperature: float | None = None  # default per method (morph 2.0, else 1.0)
    cosine: float | None = None  # default per method (morph 1.0, else 0.0)
    max_length: int | None = None  # default: the teacher's
    unlabelled_limit: int | None = None  # soft-label only a seeded sample of N unlabelled examples
    eval_limit: int | None = None  # evaluate the exported student on at most N valid/test examples
    tokenizer_texts: int = 20000  # functions the tokenizer is trained on (a seeded sample)
    teacher_cache: str | None = None  # where the teacher's outputs are cached (default: out/teacher_outputs)
    seed: int = 0
    threads: int | None = None
    device: str = "auto"
    save_every: int = 100
    log_every: int = 10
    resume: bool = False
    stop_at_step: int | None = None
    command: str = field(default="")

    def __post_init__(self) -> None:
        if self.task not in LABELS:
            raise MetaCompressError(f"unknown task {self.task!r}: use vuln or clone")
        if self.method not in METHODS:
            raise MetaCompressError(f"unknown method {self.method!r}: use one of {', '.join(METHODS)}")
        if self.size_mb <= 0 or self.batch_size < 1 or self.epochs < 0 or self.save_every < 1:
            raise MetaCompressError(
                "--size-mb must be > 0, --batch-size and --save-every >= 1, --epochs >= 0"
            )
        defaults = METHOD_SETTINGS[self.method]
        if self.temperature is None:
            self.temperature = defaults["temperature"]
        if self.cosine is None:
            self.cosine = defaults["cosine"]

    @property
    def target_bytes(self) -> int:
        return int(self.size_mb * 1_000_000)

    def search_space(self, pooling: str = "first") -> SearchSpace:
        space = SearchSpace(tokenizers=METHOD_SETTINGS[self.method]["tokenizers"], pooling=pooling)
        return space.with_ranges(self.space)

    def budget(self) -> SearchBudget:
        if self.method == "compressor":
            return SearchBudget(generations=self.search_budget or 100, population=self.population)
        return SearchBudget(
            generations=self.generations or 30, population=self.population, probes=self.search_budget or 8
        )


# What exporting a run takes from its run.json: every setting it was trained with but its folder (out) ...
TRAINED_SETTINGS = (
    "task",
    "method",
    "teacher",
    "data",
    "size_mb",
    "space",
    "search_budget",
    "population",
    "generations",
    "probe_steps",
    "probe_examples",
    "valid_sample",
    "epochs",
    "max_steps",
    "batch_size",
    "lr",
    "temperature",
    "cosine",
    "max_length",
    "unlabelled_limit",
    "eval_limit",
    "tokenizer_texts",
    "teacher_cache",
    "seed",
    "threads",
    "device",
    "save_every",
    "log_every",
    "resume",
    "stop_at_step",
)
# ... but for these, which say where and how the export itself runs, when the caller set them.
EXPORT_SETTINGS = ("threads", "device", "data", "eval_limit", "teacher_cache")


def with_trained_settings(cfg: StudentConfig, given: Collection[str] = ()) -> StudentConfig:
    """Set on `cfg` the settings the run in cfg.out was trained with (from its run.json: TRAINED_SETTINGS and
    the command as typed) and return it, so that exporting the run's student describes it as trained; of
    EXPORT_SETTINGS, those named in `given` (the ones the caller set) keep cfg's value. `cfg` is returned
    unchanged when the folder holds no run.json."""
    run = Path(cfg.out) / "run.json"
    if run.is_file():
        saved = json.loads(run.read_text())
        for key in TRAINED_SETTINGS:
            if not (key in given and key in EXPORT_SETTINGS):
                setattr(cfg, key, saved.get(key, getattr(cfg, key)))
        cfg.command = saved.get("command", cfg.command)
    return cfg


# ---- the distillation loop ------------------------------------------------------------------------------------


class Distiller:
    """AdamW with linear warm-up and decay over KD on (items, teacher probabilities), resumable at any step."""

    def __init__(self, model, items, targets: np.ndarray, cfg: StudentConfig, device, pad: int, total: int):
        from transformers import get_linear_schedule_with_warmup

        self.model, self.items, self.cfg, self.device, self.pad = model, items, cfg, device, pad
        self.targets = torch.from_numpy(np.asarray(targets, dtype=np.float32))
        self.lengths = [max(map(len, i)) for i in items]
        self.total = total
        no_decay = ("bias", "LayerNorm.weight")
        named = list(model.named_parameters())
        groups = [
            {"params": [p for n, p in named if not n.endswith(no_decay)], "weight_decay": cfg.weight_decay},
            {"params": [p for n, p in named if n.endswith(no_decay)], "weight_decay": 0.0},
        ]
        self.optimizer = torch.optim.AdamW(groups, lr=cfg.lr)
        self.scheduler = get_linear_schedule_with_warmup(
            self.optimizer, int(cfg.warmup * total), max(total, 1)
        )
        self.state = {"step": 0, "epoch": 0, "batch": 0}

    def save(self, path: Path) -> None:
        blob = {
            "model": self.model.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "scheduler": self.scheduler.state_dict(),
            "rng": {"python": random.getstate(), "torch": torch.get_rng_state()},
            "state": dict(self.state),
        }
        tmp = path.with_suffix(".tmp")
        torch.save(blob, tmp)
        tmp.replace(path)

    def restore(self, path: Path) -> None:
        blob = torch.load(path, map_location="cpu", weights_only=True)  # tensors and plain data only
        self.model.load_state_dict(blob["model"])
        self.optimizer.load_state_dict(blob["optimizer"])
        self.scheduler.load_state_dict(blob["scheduler"])
        random.setstate(blob["rng"]["python"])
        torch.set_rng_state(blob["rng"]["torch"])
        self.state = blob["state"]

    def run(self, on_step=None, epochs: int | None = None) -> bool:
        """Train until the step budget is spent; `on_step(state, loss)` may return True to pause (returns False)."""
        epochs = self.cfg.epochs if epochs is None else epochs
        self.model.train()
        while self.state["epoch"] < epochs and self.state["step"] < self.total:
            batches = epoch_batches(self.lengths, self.cfg.batch_size, self.cfg.seed, self.state["epoch"])
            while self.state["batch"] < len(batches) and self.state["step"] < self.total:
                idx = batches[self.state["batch"]]
                logits = model_logits(self.model, [self.items[i] for i in idx], self.pad, self.device)
                loss = kd_loss(
                    logits, self.targets[idx].to(self.device), self.cfg.temperature, self.cfg.cosine
                )
                loss.backward()
                torch.nn.utils.clip_grad_norm_(self.model.parameters(), 1.0)
                self.optimizer.step()
                self.scheduler.step()
                self.optimizer.zero_grad(set_to_none=True)
                self.state["step"] += 1
                self.state["batch"] += 1
                if self.state["batch"] >= len(batches):
                    self.state["epoch"] += 1
                    self.state["batch"] = 0
                if on_step is not None and on_step(self.state, loss.item()):
                    return False
                if self.state["batch"] == 0:
                    break
        return True


def total_steps(n: int, cfg: StudentConfig) -> int:
    total = math.ceil(n / cfg.batch_size) * cfg.epochs
    return min(total, cfg.max_steps) if cfg.max_steps is not None else total


# ---- the pipeline ---------------------------------------------------------------------------------------------


class Run:
    """One student run: data, teacher soft labels, search, tokenizer, training; every stage cached in `out`."""

    def __init__(self, cfg: StudentConfig):
        self.cfg, self.out = cfg, Path(cfg.out)
        if cfg.threads:
            torch.set_num_threads(cfg.threads)
        self.device = named_device(cfg.device)
        options = DeviceOptions(device=cfg.device, threads=cfg.threads, batch_size=32)
        self.teacher = HFBackend(cfg.teacher, options=options)
        if self.teacher.task != cfg.task:
            raise MetaCompressError(
                f"the teacher {cfg.teacher} is a {self.teacher.task!r} model, not {cfg.task!r}: "
                "pass the teacher of this task (its metacompress.json states its task)"
            )
        # A student has its teacher's form: a siamese teacher's students are siamese (each function encoded
        # alone, max_length per function, the same pooling and kind of head), as Compressor's clone students are;
        # a mean-pooled teacher's students are mean-pooled too.
        self.siamese = self.teacher.siamese
        if cfg.max_length is None:
            # A pair-siamese teacher's length is per function; a cross-encoder student reads the pair as one text.
            pair_text = self.siamese is None and self.teacher.input_form == "pair-siamese"
            cfg.max_length = self.teacher.max_length * (2 if pair_text else 1)
        if self.siamese is not None:
            self.pooling = self.siamese["pooling"]
        else:
            teacher_config = json.loads((Path(cfg.teacher) / "config.json").read_text(encoding="utf-8"))
            self.pooling = "mean" if teacher_config.get("classifier_pooling") == "mean" else "first"
        self._tokenizers: dict[tuple[str, int], object] = {}
        self.cache = Path(cfg.teacher_cache) if cfg.teacher_cache else self.out / "teacher_outputs"
        self.data: StudentData | None = None

    def log(self, record: dict) -> None:
        log_progress(self.out, record)

    # -- data and soft labels

    def load(self, training: bool = True) -> None:
        """The data; for training also the teacher's soft labels and (morph) the renamed variants."""
        cfg = self.cfg
        t0 = time.time()
        self.data = load_student_data(cfg.task, cfg.data, cfg.seed, cfg.unlabelled_limit, cfg.eval_limit)
        if not training:
            return
        self.soft = cached_probabilities(
            self.teacher, self.data.unlabelled, self.cache, "unlabelled", self.log
        )
        self.train_inputs, self.train_soft = list(self.data.unlabelled), self.soft
        self.variant_count = 0
        if cfg.method == "morph":
            pairs = self._variants()
            self.variant_count = len(pairs)
            self.train_inputs += [v for _, v in pairs]
            self.train_soft = np.concatenate([self.soft, self.soft[[i for i, _ in pairs]]]).astype(np.float32)
        rng = random.Random(cfg.seed + 1)
        picked = sorted(rng.sample(range(len(self.data.valid)), min(cfg.valid_sample, len(self.data.valid))))
        self.probe_valid = [self.data.valid[i] for i in picked]
        self.probe_labels = [self.data.valid_labels[i] for i in picked]
        self.log(
            {
                "event": "data",
                "unlabelled": len(self.data.unlabelled),
                "variants": self.variant_count,
                "valid": len(self.data.valid),
                "test": len(self.data.test),
                "seconds": round(time.time() - t0, 1),
            }
        )

    def _variants(self) -> list[tuple[int, object]]:
        """(index of the original, renamed variant) for every unlabelled input the renamings apply to."""
        path = self.out / "variants.json"
        if path.is_file():
            return [(i, v if isinstance(v, str) else tuple(v)) for i, v in json.loads(path.read_text())]
        pairs = []
        for i, x in enumerate(self.data.unlabelled):
            v = renamed_input(x, self.cfg.task, self.cfg.seed + i)
            if v is not None:
                pairs.append((i, v))
        path.write_text(json.dumps(pairs) + "\n", encoding="utf-8")
        return pairs

    # -- tokenizers and models

    def tokenizer(self, kind: str, vocab: int):
        key = (kind, vocab)
        if key not in self._tokenizers:
            texts = self.data.texts
            if len(texts) > self.cfg.tokenizer_texts:
                texts = random.Random(self.cfg.seed).sample(texts, self.cfg.tokenizer_texts)
            self._tokenizers[key] = train_tokenizer(texts, kind, vocab)
        return self._tokenizers[key]

    def model_for(self, arch: Arch):
        """The tokenizer and a freshly initialised student; the vocabulary is what the tokenizer really has
        (a small corpus can leave a BPE short of the size asked for)."""
        tok = self.tokenizer(arch.tokenizer, arch.vocab)
        real = replace(arch, vocab=tok.get_vocab_size())
        specials = {t: tok.token_to_id(t) for t in ("[PAD]", "[CLS]", "[SEP]")}
        if self.siamese is not None:
            model = build_siamese_student(
                real, self.cfg.max_length, specials["[PAD]"], self.cfg.seed, self.siamese["head"], specials
            )
        else:
            model = build_student(real, self.cfg.max_length, specials["[PAD]"], self.cfg.seed, specials)
        return tok, real, model

    def encoder(self, tok) -> InputEncoder:
        return InputEncoder(tok, self.cfg.max_length, siamese=self.siamese is not None)

    # -- search

    def probe(self, arch: Arch) -> dict:
        """Briefly distil `arch` and measure it on the validation sample (accuracy; morph: flip rate)."""
        path = self.out / "probes.jsonl"
        done = {}
        if path.is_file():
            for line in path.read_text().splitlines():
                r = json.loads(line)
                done[json.dumps(r["arch"], sort_keys=True)] = r
        key = json.dumps(arch.to_dict(), sort_keys=True)
        if key in done:
            return {k: v for k, v in done[key].items() if k != "arch"}
        cfg = self.cfg
        t0 = time.time()
        tok, real, model = self.model_for(arch)
        enc = self.encoder(tok)
        n = min(cfg.probe_examples, len(self.data.unlabelled))
        items = enc.encode(self.data.unlabelled[:n])
        model.to(self.device)
        torch.manual_seed(cfg.seed)
        distiller = Distiller(model, items, self.soft[:n], cfg, self.device, enc.sp.pad, cfg.probe_steps)
        distiller.run(epochs=10**6)
        probs = predict(
            model, Split(enc.encode(self.probe_valid), self.probe_labels), self.device, False, 64, enc.sp.pad
        )
        teacher = cached_probabilities(self.teacher, self.probe_valid, self.cache, "probe-valid", self.log)
        kl = (teacher * (np.log(np.clip(teacher, 1e-8, 1)) - np.log(np.clip(probs, 1e-8, 1)))).sum(1).mean()
        result = {
            "accuracy": metrics(self.probe_labels, probs.argmax(1).tolist())["accuracy"],
            "loss": float(kl),
            "flips": 0.0,
        }
        if cfg.method == "morph":
            result["flips"] = self._flip_rate(model, enc, probs)
        result["seconds"] = round(time.time() - t0, 1)
        with open(path, "a", encoding="utf-8") as f:
            f.write(json.dumps({"arch": arch.to_dict(), **result}) + "\n")
        self.log({"event": "probe", "arch": arch.to_dict(), "vocab_trained": real.vocab, **result})
        return result

    def _flip_rate(self, model, enc: InputEncoder, probs: np.ndarray) -> float:
        if not hasattr(self, "_probe_variants"):
            self._probe_variants = [
                (i, v)
                for i, x in enumerate(self.probe_valid)
                if (v := renamed_input(x, self.cfg.task, self.cfg.seed + 7919 * (i + 1))) is not None
            ]
        if not self._probe_variants:
            return 0.0
        split = Split(enc.encode([v for _, v in self._probe_variants]), [0] * len(self._probe_variants))
        renamed = predict(model, split, self.device, False, 64, enc.sp.pad).argmax(1)
        original = probs[[i for i, _ in self._probe_variants]].argmax(1)
        return float((renamed != original).mean())

    def chosen_architecture(self) -> dict:
        path = self.out / "search.json"
        if path.is_file():
            return json.loads(path.read_text())
        cfg = self.cfg
        t0 = time.time()
        result = search(
            cfg.method,
            cfg.search_space(self.pooling),
            cfg.target_bytes,
            cfg.max_length,
            cfg.seed,
            cfg.budget(),
            probe=self.probe,
        )
        result["seconds"] = round(time.time() - t0, 1)
        path.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
        self.log(
            {"event": "search", "arch": result["arch"], "bytes": result["bytes"], "gflops": result["gflops"]}
        )
        return result

    # -- training

    def initial(self, arch: Arch):
        """out/init/: the student's tokenizer and initial weights, built once (a resume reloads them)."""
        init = self.out / "init"
        if (init / "config.json").is_file():
            return base_model.load_tokenizer(init), load_student(init)
        tok, real, model = self.model_for(arch)
        save_student(model, tok, self.cfg, init)
        return tok, model


def train_student(cfg: StudentConfig) -> Path:
    """Run (or resume) every stage and write out/final/ (or `out` when paused by stop_at_step)."""
    out = Path(cfg.out)
    ckpt = out / "checkpoint.pt"
    if (out / "run.json").is_file() and not cfg.resume:
        raise MetaCompressError(
            f"{out} already holds a run: pass --resume to continue it, or choose another --out"
        )
    if cfg.resume and not (out / "run.json").is_file():
        raise MetaCompressError(f"nothing to resume in {out}: no run.json there")
    out.mkdir(parents=True, exist_ok=True)
    run_file = out / "run.json"
    if not cfg.resume:
        run_file.write_text(json.dumps(asdict(cfg), indent=2) + "\n", encoding="utf-8")
    else:
        saved = json.loads(run_file.read_text())
        saved.setdefault("resumed_with", []).append(cfg.command)
        run_file.write_text(json.dumps(saved, indent=2) + "\n", encoding="utf-8")
    random.seed(cfg.seed)
    torch.manual_seed(cfg.seed)
    run = Run(cfg)
    run.load()
    chosen = run.chosen_architecture()
    tok, model = run.initial(Arch(**chosen["arch"]))
    enc = run.encoder(tok)
    items = enc.encode(run.train_inputs)
    model.to(run.device)
    total = total_steps(len(items), cfg)
    distiller = Distiller(model, items, run.train_soft, cfg, run.device, enc.sp.pad, total)
    random.seed(cfg.seed)
    torch.manual_seed(cfg.seed)  # the same start whether or not this process ran the search
    if cfg.resume and ckpt.is_file():
        distiller.restore(ckpt)
        run.log({"event": "resume", **distiller.state})
    run.log(
        {"event": "train-start", "examples": len(items), "steps": total, "params": model.num_parameters()}
    )
    tick, running, seen = time.time(), 0.0, 0

    def on_step(state: dict, loss: float) -> bool:
        nonlocal tick, running, seen
        running, seen = running + loss, seen + 1
        step = state["step"]
        if step % cfg.log_every == 0:
            rate = seen / max(time.time() - tick, 1e-9)
            run.log(
                {
                    "event": "train",
                    "step": step,
                    "of": total,
                    "epoch": state["epoch"],
                    "loss": round(running / seen, 5),
                    "lr": distiller.scheduler.get_last_lr()[0],
                    "steps_per_s": round(rate, 3),
                    "eta_min": round((total - step) / rate / 60, 1),
                }
            )
            tick, running, seen = time.time(), 0.0, 0
        if step % cfg.save_every == 0:
            distiller.save(ckpt)
        if cfg.stop_at_step is not None and step >= cfg.stop_at_step:
            distiller.save(ckpt)
            run.log({"event": "paused", **state})
            return True
        return False

    if not distiller.run(on_step):
        return out
    distiller.save(ckpt)
    model.cpu()
    save_student(model, tok, cfg, out / "trained")
    run.log({"event": "trained", **distiller.state})
    return export_student(cfg, out / "final", run=run)


# ---- export ---------------------------------------------------------------------------------------------------


def export_student(cfg, target: Path, run=None) -> Path:
    """Write the student of run folder cfg.out (its trained/ model) to `target`: the shipped folder (fp16
    safetensors, tokenizer, sidecar, card, metrics.json), measured on valid and test as it ships (loaded through
    HFBackend, as `metacompress check` loads it); returns `target`."""
    out = Path(cfg.out)
    trained = out / "trained"
    if not (trained / "config.json").is_file():
        raise MetaCompressError(f"{out} has no distilled student yet (trained/): run the distillation first")
    if run is None:
        run = Run(cfg)
        run.load(training=False)
    target = Path(target)
    model = load_student(trained)
    save_student(model, base_model.load_tokenizer(trained), cfg, target, fp16=True)
    size = weights_bytes(target)
    if size > cfg.target_bytes:
        raise MetaCompressError(
            f"the exported weights take {size:,} bytes, over the {cfg.target_bytes:,}-byte target"
        )
    student = HFBackend(target, options=DeviceOptions(device=cfg.device, threads=cfg.threads, batch_size=32))
    results = {}
    data = run.data
    for split, inputs, labels in (
        ("valid", data.valid, data.valid_labels),
        ("test", data.test, data.test_labels),
    ):
        teacher = cached_probabilities(run.teacher, inputs, run.cache, split, run.log)
        probs = student.predict(inputs) if inputs else np.zeros((0, 2), dtype=np.float32)
        s_pred, t_pred = probs.argmax(1), teacher.argmax(1)
        results[split] = {
            **metrics(labels, s_pred.tolist()),
            "agreement": float((s_pred == t_pred).mean()) if len(inputs) else 0.0,
            "teacher": metrics(labels, t_pred.tolist()),
        }
        run.log({"event": f"final-{split}", **results[split]})
    search = json.loads((out / "search.json").read_text())
    info = {
        "method": cfg.method,
        "bytes": size,
        "params": model.num_parameters(),
        "architecture": search["arch"],
        "vocab_trained": encoder_config(model).vocab_size,
        "gflops": search["gflops"],
    }
    (target / "metrics.json").write_text(json.dumps({**info, **results}, indent=2) + "\n", encoding="utf-8")
    variants = 0  # morph: how many renamed variants the run trained on (its last "data" record)
    if (out / "progress.jsonl").is_file():
        for line in (out / "progress.jsonl").read_text().splitlines():
            record = json.loads(line)
            if record.get("event") == "data":
                variants = record.get("variants", 0)
    card = student_card(cfg, run, model, search, results, size, variants=variants)
    (target / "README.md").write_text(with_encoding_section(card, target), encoding="utf-8")
    return target
