"""Shared pieces of the editor end-to-end tests: the opt-in rule, known files and settings, tool lookups.

They run only with METACOMPRESS_E2E=1, because they need tools the Python package does not (Node + npm,
code-server, Chromium, nvim) and take one to three minutes on two cores; without them they skip and say why.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parents[1]
if str(TESTS) not in sys.path:
    sys.path.insert(0, str(TESTS))  # known_models, server_helpers

E2E = os.environ.get("METACOMPRESS_E2E", "") not in ("", "0")
REPO = TESTS.parent

# Functions with a `for` loop break prediction-agreement (the student, keyed to `while`, flips on their
# for -> while variant; the teacher, keyed to `malloc`, never does); the others agree.
C_FILE = """\
int sum(const int *a, int n)
{
    int total = 0;
    for (int i = 0; i < n; i++)
        total += a[i];
    return total;
}

int twice(int x)
{
    int y = x * 2;
    return y;
}
"""

JAVA_FILE = """\
public class Loops {
    static int twice(int x) {
        return x * 2;
    }

    static int count(int[] values, int limit) {
        int seen = 0;
        for (int i = 0; i < values.length; i++) {
            if (values[i] < limit) {
                seen++;
            }
        }
        return seen;
    }
}
"""

TRANSFORMS = ["for-to-while", "rename-variable", "swap-relational", "insert-comment", "split-declaration"]


def require_e2e() -> None:
    if not E2E:
        pytest.skip("editor end-to-end tests are opt-in: set METACOMPRESS_E2E=1 (see docs/EDITORS.md)")


def require_tool(name: str, hint: str) -> str:
    found = shutil.which(name)
    if found is None:
        pytest.skip(f"{name} is not installed ({hint})")
    return found


def line_col(text: str, needle: str) -> tuple[int, int]:
    index = text.index(needle)
    return text.count("\n", 0, index), index - (text.rfind("\n", 0, index) + 1)


def server_settings(pair: dict[str, str], cache_dir: Path) -> dict:
    """The `metacompress` section both editors send: the known models for C and Java, a small budget."""
    return {
        "models": {"c": dict(pair), "java": dict(pair)},
        "transforms": TRANSFORMS,
        "budget": 6,
        "compositions": 2,
        "device": "cpu",
        "threads": 1,
        "cacheDir": str(cache_dir),
        "debounce": 0.3,
    }
