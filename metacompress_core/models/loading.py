"""One entry point to load a model from a local path: an HF directory or a MetaCompress manifest."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from metacompress_core.errors import MetaCompressError
from metacompress_core.models.base import Backend, canonical_task
from metacompress_core.models.device import DeviceOptions
from metacompress_core.models.manifest import is_manifest

_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*(/[\w.-]+)?$")


def local_model_path(spec: str | Path) -> Path:
    """The existing local path `spec` names, or a MetaCompressError; nothing is ever fetched from a hub."""
    text = str(spec)
    if "://" in text or text.startswith(("hf:", "hf.co/", "huggingface.co/")):
        raise MetaCompressError(
            f"{text!r} is a remote location: no model is fetched from a hub; pass a local directory"
        )
    path = Path(text).expanduser()
    if path.exists():
        return path
    if _HUB_ID.match(text) and not text.startswith((".", "~")):
        raise MetaCompressError(
            f"{text!r} is not a local path (it looks like a model hub id): no model is fetched from a hub; "
            "pass a local directory saved with save_pretrained, or a MetaCompress manifest"
        )
    raise MetaCompressError(f"model path {text!r} does not exist: pass a local model directory or manifest")


@dataclass(frozen=True)
class _Request:
    task: str | None
    options: DeviceOptions | None
    allow_pickle: bool
    weights_dir: str | Path | None


def _manifest_file(path: Path) -> Path | None:
    if not path.is_file():
        return None
    if path.suffix != ".json" or not is_manifest(path):
        raise MetaCompressError(
            f"{path} is a file but not a MetaCompress manifest: pass a model directory or a manifest (.json)"
        )
    return path


def _hf_folder(path: Path) -> Path | None:
    """A Hugging Face folder: config.json with safetensors (or .bin) weights, or an ONNX model folder."""
    return path if (path / "config.json").is_file() else None


def _folder_of_one_manifest(path: Path) -> Path | None:
    manifests = sorted(p for p in path.glob("*.json") if is_manifest(p))
    if len(manifests) > 1:
        names = ", ".join(p.name for p in manifests)
        raise MetaCompressError(
            f"{path} is not a model directory: it holds several manifests ({names}): pass one"
        )
    return manifests[0] if manifests else None


def _load_manifest(path: Path, r: _Request) -> Backend:
    from metacompress_core.models.manifest_backend import ManifestBackend  # deferred: torch, transformers

    return ManifestBackend(path, weights_dir=r.weights_dir, options=r.options)


def _load_hf(path: Path, r: _Request) -> Backend:
    from metacompress_core.models.hf import HFBackend  # deferred: torch

    return HFBackend(path, task=r.task, options=r.options, allow_pickle=r.allow_pickle)


# The model formats, in the order they are tried: (what finds the model at a path, or None; what loads it).
# A new backend is its own module (a class with Backend's name, task, labels, fingerprint and predict) plus
# its line here.
FORMATS: tuple[tuple[Callable[[Path], Path | None], Callable[[Path, _Request], Backend]], ...] = (
    (_manifest_file, _load_manifest),
    (_hf_folder, _load_hf),
    (_folder_of_one_manifest, _load_manifest),
)


def load_backend(
    spec: str | Path,
    *,
    task: str | None = None,
    options: DeviceOptions | None = None,
    allow_pickle: bool = False,
    weights_dir: str | Path | None = None,
) -> Backend:
    """A backend for `spec`: the first of FORMATS that finds a model at that local path."""
    path = local_model_path(spec)
    wanted = canonical_task(task)
    request = _Request(wanted, options, allow_pickle, weights_dir)
    for find, load in FORMATS:
        found = find(path)
        if found is not None:
            backend = load(found, request)
            break
    else:
        raise MetaCompressError(
            f"{path} is not a model directory: expected config.json with model.safetensors (save_pretrained) "
            "or model.onnx, or a MetaCompress manifest"
        )
    if wanted and backend.task and backend.task != wanted:
        raise MetaCompressError(
            f"{backend.name!r} is a {backend.task!r} model, but the task is {wanted!r}: "
            "pass a model trained for that task"
        )
    return backend
