"""Export a distilled student: the shipped folder (fp16 safetensors, tokenizer, sidecar, card, metrics.json),
measured on valid and test as it ships (loaded through HFBackend, as `metacompress check` loads it)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from metacompress_core.distill.encoding_card import with_encoding_section
from metacompress_core.distill.siamese_teacher import load_siamese, save_siamese
from metacompress_core.distill.soft_labels import cached_probabilities
from metacompress_core.distill.teacher import load_classifier, metrics, save_model_dir
from metacompress_core.errors import MetaCompressError
from metacompress_core.models.hf import SIDECAR
from metacompress_core.models.siamese import SiameseModel


def save_student(model, tokenizer, cfg, directory: Path, *, fp16: bool = False) -> None:
    """A classifier folder (save_pretrained) or, for a siamese student, the siamese folder form."""
    if isinstance(model, SiameseModel):
        save_siamese(model, tokenizer, cfg.max_length, directory, fp16=fp16)
    else:
        save_model_dir(model, tokenizer, cfg, directory, fp16=fp16)


def load_student(directory: Path):
    sidecar = json.loads((Path(directory) / SIDECAR).read_text(encoding="utf-8"))
    return load_siamese(directory) if "siamese" in sidecar else load_classifier(directory)


def weights_bytes(directory: Path) -> int:
    """What the size target counts: model.safetensors, plus a siamese student's head file."""
    sidecar = json.loads((Path(directory) / SIDECAR).read_text(encoding="utf-8"))
    files = ["model.safetensors"] + ([sidecar["siamese"]["file"]] if "siamese" in sidecar else [])
    return sum((Path(directory) / f).stat().st_size for f in files)


def encoder_config(model):
    return model.encoder.config if isinstance(model, SiameseModel) else model.config


def export_student(cfg, target: Path, run=None) -> Path:
    """Write the student of run folder cfg.out (its trained/ model) to `target`; returns `target`."""
    from metacompress_core.distill import base_model
    from metacompress_core.distill.student import Run
    from metacompress_core.distill.student_card import student_card
    from metacompress_core.models.device import DeviceOptions
    from metacompress_core.models.hf import HFBackend

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
