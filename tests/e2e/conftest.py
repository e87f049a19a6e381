"""Editor end-to-end tests (a real VS Code via code-server + Chromium, and Neovim): opt-in, slow, external tools.

They run only with METACOMPRESS_E2E=1; see e2e_helpers.py and docs/EDITORS.md.
"""

from __future__ import annotations

import pytest
from e2e_helpers import require_e2e  # first: it puts tests/ on sys.path for known_models
from known_models import keyword_model


@pytest.fixture(scope="session")
def known_pair(tmp_path_factory) -> dict[str, str]:
    """The known-behaviour teacher (keyed to `malloc`) and student (keyed to `while`)."""
    require_e2e()
    root = tmp_path_factory.mktemp("e2e-models")
    return {
        "teacher": str(keyword_model(root / "teacher", "malloc")),
        "student": str(keyword_model(root / "student", "while")),
        "task": "vuln",
    }
