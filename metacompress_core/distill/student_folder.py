"""A distilled student's folder: saved (float16 when it ships) and loaded back, a classifier or a siamese model,
and the bytes its size target counts. student.py trains into it and exports the shipped folder from it."""

from __future__ import annotations

import json
from pathlib import Path

from metacompress_core.distill.siamese_teacher import load_siamese, save_siamese
from metacompress_core.distill.teacher import load_classifier, save_model_dir
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
