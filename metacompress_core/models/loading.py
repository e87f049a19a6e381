"""One entry point to load a model from a local path: an HF directory or a MetaCompress manifest."""

from __future__ import annotations

import re
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


def load_backend(
    spec: str | Path,
    *,
    task: str | None = None,
    options: DeviceOptions | None = None,
    allow_pickle: bool = False,
    weights_dir: str | Path | None = None,
) -> Backend:
    """A backend for `spec`: a manifest file (.json), or a directory holding config.json (HF format)."""
    path = local_model_path(spec)
    wanted = canonical_task(task)
    if path.is_file():
        if path.suffix != ".json" or not is_manifest(path):
            raise MetaCompressError(
                f"{path} is a file but not a MetaCompress manifest: pass a model directory or a manifest (.json)"
            )
        from metacompress_core.models.manifest_backend import ManifestBackend  # deferred: torch, transformers

        backend: Backend = ManifestBackend(path, weights_dir=weights_dir, options=options)
    elif (path / "config.json").is_file():
        from metacompress_core.models.hf import HFBackend  # deferred: torch

        backend = HFBackend(path, task=wanted, options=options, allow_pickle=allow_pickle)
    else:
        manifests = sorted(p.name for p in path.glob("*.json") if is_manifest(p))
        if len(manifests) == 1:
            # deferred: torch, transformers
            from metacompress_core.models.manifest_backend import ManifestBackend

            backend = ManifestBackend(path / manifests[0], weights_dir=weights_dir, options=options)
        else:
            hint = (
                f"it holds several manifests ({', '.join(manifests)}): pass one of them"
                if manifests
                else "expected config.json with model.safetensors (save_pretrained) or model.onnx, or a "
                "MetaCompress manifest"
            )
            raise MetaCompressError(f"{path} is not a model directory: {hint}")
    if wanted and backend.task and backend.task != wanted:
        raise MetaCompressError(
            f"{backend.name!r} is a {backend.task!r} model, but the task is {wanted!r}: "
            "pass a model trained for that task"
        )
    return backend
