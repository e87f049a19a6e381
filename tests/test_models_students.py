"""The four published Compressor students load through the project's manifests and score as recorded.

Runs on the first examples of each test split (skipped when ../shared/data is absent). The expected figures are
not measured here: they are what the full-data run recorded in docs/MODELS.md predicted for exactly these
examples, and that full run reproduced the accuracy the students' own manifests record (within 0.5 points).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from metacompress_core.models import load_backend
from metacompress_core.models.accuracy import load_test_split, score
from metacompress_core.models.device import DeviceOptions

MANIFESTS = Path(__file__).resolve().parents[1] / "models" / "compressor"
SUBSET = 200

# Accuracy of the full-data run (docs/MODELS.md) on the first SUBSET test examples, and its predicted-positive
# count there. One example of slack absorbs float differences across CPUs and thread counts.
EXPECTED = {
    "codebert-clone": (0.975, 101),
    "graphcodebert-clone": (0.955, 101),
    "codebert-vul": (0.555, 77),
    "graphcodebert-vul": (0.575, 87),
}

pytestmark = [pytest.mark.shared_data, pytest.mark.slow]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_published_student_reproduces_its_accuracy(name, shared_data):
    backend = load_backend(
        MANIFESTS / f"{name}.json",
        weights_dir=shared_data / "students",
        options=DeviceOptions(batch_size=32),
    )
    assert backend.task == ("clone" if name.endswith("clone") else "vuln")
    inputs, truth = load_test_split(backend.task, shared_data, SUBSET)
    probs = backend.predict(inputs)
    assert probs.shape == (SUBSET, 2) and probs.dtype == np.float32
    result = score(probs, truth)
    accuracy, positives = EXPECTED[name]
    assert abs(result.accuracy - accuracy) <= 1 / SUBSET + 1e-9
    assert abs(int((probs.argmax(1) == 1).sum()) - positives) <= 1
