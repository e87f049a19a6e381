"""Accuracy of a backend on the Devign / BigCloneBench test splits (the JSON Lines files in ../shared/data).

    python -m metacompress_core.models.accuracy MODEL [--weights-dir DIR] [--data DIR] [--limit N]

MODEL is a manifest (.json) or an HF model directory. Checks that a checkpoint loads and runs as it was trained:
the published students must reproduce the accuracy recorded for them (docs/MODELS.md).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from metacompress_core.datasets.bcb import load_bcb
from metacompress_core.datasets.devign import load_devign
from metacompress_core.errors import MetaCompressError
from metacompress_core.models.base import Backend, ModelInput
from metacompress_core.models.device import DeviceOptions
from metacompress_core.models.loading import load_backend
from metacompress_core.scores import classification_scores


@dataclass(frozen=True)
class Scores:
    n: int
    accuracy: float
    precision: float
    recall: float
    f1: float
    seconds: float


def load_test_split(
    task: str, data_dir: Path, limit: int | None = None
) -> tuple[list[ModelInput], np.ndarray]:
    """The test split of the task's dataset in file order (the first `limit` examples when given)."""
    if task == "vuln":
        examples = load_devign(data_dir, splits=("test",))[:limit]
        return [e.code for e in examples], np.asarray([e.label for e in examples])
    if task == "clone":
        data = load_bcb(data_dir, splits=("test",))
        pairs = data.pairs[:limit]
        return [data.code_pair(p) for p in pairs], np.asarray([p.label for p in pairs])
    raise MetaCompressError(f"no test data for task {task!r}")


def predict_timed(backend: Backend, inputs: list[ModelInput]) -> tuple[np.ndarray, float]:
    start = time.perf_counter()
    probs = backend.predict(inputs)
    return probs, time.perf_counter() - start


def score(probs: np.ndarray, truth: np.ndarray, seconds: float = 0.0) -> Scores:
    """Accuracy, and precision/recall/F1 of the positive class (column 1 of the canonical labels)."""
    m = classification_scores(truth, probs.argmax(axis=1))
    return Scores(m["n"], m["accuracy"], m["precision"], m["recall"], m["f1"], seconds)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m metacompress_core.models.accuracy", description=__doc__)
    parser.add_argument("model", help="a manifest (.json) or an HF model directory")
    parser.add_argument("--weights-dir", help="directory the manifest's paths are relative to")
    default_data = os.environ.get(
        "METACOMPRESS_DATA", Path(__file__).resolve().parents[3] / "shared" / "data"
    )
    parser.add_argument("--data", default=str(default_data), help="the datasets folder (../shared/data)")
    parser.add_argument("--task", help="vuln or clone (default: the model's own)")
    parser.add_argument("--limit", type=int, help="only the first N test examples")
    parser.add_argument("--threads", type=int)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--save", help="write the probabilities and labels to this .npz file")
    args = parser.parse_args(argv)
    try:
        options = DeviceOptions(threads=args.threads, batch_size=args.batch_size)
        backend = load_backend(args.model, task=args.task, options=options, weights_dir=args.weights_dir)
        task = backend.task or args.task
        if task is None:
            raise MetaCompressError("the model states no task: pass --task vuln or --task clone")
        inputs, truth = load_test_split(task, Path(args.data), args.limit)
        probs, seconds = predict_timed(backend, inputs)
        result = score(probs, truth, seconds)
        if args.save:
            np.savez_compressed(args.save, probs=probs, truth=truth)
    except MetaCompressError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(json.dumps({"model": backend.name, "task": task, **result.__dict__}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
