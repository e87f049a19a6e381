"""Dataset loaders: Devign-style vulnerability data and BigCloneBench-style clone pairs (see docs/DATASETS.md)."""

from metacompress_core.datasets.bcb import CloneData, ClonePair, load_bcb
from metacompress_core.datasets.devign import DevignExample, labelled_unlabelled_halves, load_devign
from metacompress_core.datasets.jsonl import read_jsonl
from metacompress_core.datasets.location import DATA_ENV, data_dir

__all__ = [
    "DATA_ENV",
    "ClonePair",
    "CloneData",
    "DevignExample",
    "data_dir",
    "labelled_unlabelled_halves",
    "load_bcb",
    "load_devign",
    "read_jsonl",
]
