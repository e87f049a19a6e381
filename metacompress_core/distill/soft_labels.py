"""The teacher's probabilities on a list of inputs, computed once and cached in the run folder.

On a CPU this is the expensive part of distillation (a teacher forward pass per unlabelled example), so it is
written in chunks: an interrupted run keeps every finished chunk and computes only the rest.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from pathlib import Path

import numpy as np

from metacompress_core.errors import MetaCompressError
from metacompress_core.models.base import ModelInput, input_digest

CHUNK = 256


def inputs_digest(inputs: list[ModelInput]) -> str:
    h = hashlib.sha256()
    for x in inputs:
        h.update(input_digest(x).encode())
    return h.hexdigest()


def cached_probabilities(
    teacher,
    inputs: list[ModelInput],
    root: Path,
    name: str,
    log: Callable[[dict], None] | None = None,
    chunk: int = CHUNK,
) -> np.ndarray:
    """float32 [len(inputs), classes]: the teacher's probabilities, from root/ when already there.

    The folder is named by the teacher's fingerprint and the inputs' digest, so runs of different methods on
    the same task can share one cache (--teacher-cache) and never mix up two teachers or two input lists."""
    digest = inputs_digest(inputs)
    folder = root / f"{name}-{teacher.fingerprint[:10]}-{digest[:10]}"
    folder.mkdir(parents=True, exist_ok=True)
    meta = {"teacher": teacher.fingerprint, "inputs": digest, "n": len(inputs), "chunk": chunk}
    meta_file = folder / "meta.json"
    if meta_file.is_file():
        if json.loads(meta_file.read_text()) != meta:
            raise MetaCompressError(
                f"{folder} holds soft labels of another teacher or another input list: delete that folder"
            )
    else:
        meta_file.write_text(json.dumps(meta) + "\n")
    parts = []
    for n, start in enumerate(range(0, len(inputs), chunk)):
        path = folder / f"chunk-{n:05d}.npy"
        if not path.is_file():
            probs = np.asarray(teacher.predict(inputs[start : start + chunk]), dtype=np.float32)
            tmp = path.with_suffix(f".{os.getpid()}.tmp.npy")  # runs sharing a cache never write one file
            np.save(tmp, probs)
            tmp.replace(path)
            if log:
                log({"event": f"teacher-{name}", "done": min(start + chunk, len(inputs)), "of": len(inputs)})
        parts.append(np.load(path))
    if not parts:
        return np.zeros((0, len(teacher.labels)), dtype=np.float32)
    return np.concatenate(parts)
