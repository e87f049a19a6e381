"""Model inputs -> each model's outputs, in one call per model: the one place check, eval and search query models.

Every input of every group goes to each model in one call, so a backend batches across groups (sorted by
length) and hits its cache once; the rows then come back sliced per group, in the groups' order.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from metacompress_core.models.base import Backend, ModelInput


def observe(
    groups: Sequence[Sequence[ModelInput]],
    models: Sequence[Backend],
    between: Callable[[], None] | None = None,
) -> list[tuple[np.ndarray, ...]]:
    """Per group, each model's [n, k] outputs on the group's inputs (in the order of `models`).

    `between` runs after each model's call (the engine raises Cancelled there)."""
    inputs = [x for group in groups for x in group]
    outputs = []
    for model in models:
        outputs.append(model.predict(inputs) if inputs else np.empty((0, len(model.labels)), np.float32))
        if between is not None:
            between()
    rows, at = [], 0
    for group in groups:
        rows.append(tuple(out[at : at + len(group)] for out in outputs))
        at += len(group)
    return rows
