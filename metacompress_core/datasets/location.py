"""Where the datasets live: a flag, else $METACOMPRESS_DATA, else ../shared/data beside the checkout."""

from __future__ import annotations

import os
from pathlib import Path

from metacompress_core.errors import MetaCompressError

DATA_ENV = "METACOMPRESS_DATA"
# The checkout's parent: <parent>/<checkout>/metacompress_core/datasets/location.py
_BESIDE_CHECKOUT = Path(__file__).resolve().parents[3] / "shared" / "data"
HOW_TO_GET = "see docs/DATASETS.md for where to obtain the datasets and the expected layout"


def data_dir(explicit: str | Path | None = None) -> Path:
    """The datasets folder; raises a MetaCompressError naming every place looked at when it is absent."""
    if explicit is not None:
        candidate, source = Path(explicit), "--data"
    elif os.environ.get(DATA_ENV):
        candidate, source = Path(os.environ[DATA_ENV]), f"${DATA_ENV}"
    else:
        candidate, source = _BESIDE_CHECKOUT, "the default location"
    if not candidate.is_dir():
        raise MetaCompressError(
            f"datasets folder {candidate} ({source}) does not exist: pass --data DIR or set ${DATA_ENV}; {HOW_TO_GET}"
        )
    return candidate


def dataset_file(root: Path, *parts: str) -> Path:
    """A file inside the datasets folder, with a clear error when it is missing."""
    path = root.joinpath(*parts)
    if not path.is_file():
        raise MetaCompressError(f"dataset file {path} is missing; {HOW_TO_GET}")
    return path
