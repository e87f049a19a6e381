"""Shared pieces of the editor end-to-end tests: the opt-in rule, known files and settings, tool lookups.

They run only with METACOMPRESS_E2E=1, because they need tools the Python package does not (Node + npm,
code-server, Chromium, nvim) and take one to three minutes on two cores; without them they skip and say why.
"""

from __future__ import annotations

import os
import re
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
        "maxBudget": 0,  # no idle deepening: these tests compare counts across views (tests/test_server_deepen.py)
        "device": "cpu",
        "threads": 1,
        "cacheDir": str(cache_dir),
        "debounce": 0.3,
    }


def loop_line(text: str) -> int:
    """The file line (1-based) of the `for` loop the for -> while variant rewrites: messages name it."""
    return line_col(text, "for (")[0] + 1


def assert_variant_message(message: str, text: str) -> str:
    """The Warning's self-contained message: the culprit variant and its file line, both models' answers on it,
    the relation and how many variants show the same departure. Returns that count ("N of M variants")."""
    at = f"at line {loop_line(text)}"
    assert message.startswith(f"After for -> while {at}, the student flips from safe 0.8"), message
    assert "to vulnerable 0.9" in message and "the teacher keeps safe (0.88 -> 0.88)" in message, message
    match = re.search(r"\(prediction-agreement; (\d+ of \d+ variants)\)$", message)
    assert match, message
    return match.group(1)


def assert_variant_hover(hover: str, qualname: str, text: str, same: str) -> None:
    """The hover: the function and its level, the message's sentence, the same-departure count, both models on
    the original and on the culprit variant, and the per-relation counts that agree with them."""
    at = f"at line {loop_line(text)}"
    assert hover.startswith(f"### MetaCompress: `{qualname}` (warning)\n"), hover
    assert f"\nAfter for -> while {at}, the student flips from safe 0.8" in hover, hover
    assert f"Same departure on prediction-agreement; {same}." in hover, hover
    assert "| input | teacher | student | JS divergence |" in hover, hover
    # The student agrees with the teacher on the original and flips on the variant; the teacher keeps its answer.
    assert re.search(r"^\| original \| safe 0\.88\d \| safe 0\.\d+ \| 0\.\d+ \|$", hover, re.M), hover
    assert re.search(
        rf"^\| after for -> while {at} \| safe 0\.88\d \| vulnerable 0\.9\d+ \| 0\.[1-9]\d* \|$", hover, re.M
    ), hover
    assert "| relation | breaks on the original | caused by a variant | as on the original |" in hover, hover
    caused, tried = same.split(" of ")[0], same.split(" of ")[1].split()[0]
    # The departure is caused by the variants, not present on the original; the teacher never flips.
    assert f"| prediction-agreement | 0 of 1 | {caused} of {tried} | 0 |" in hover, hover
    assert f"| teacher-invariance | 0 of 1 | 0 of {tried} | 0 |" in hover, hover
    assert "Answer flips on variants: student only " in hover and "teacher only 0" in hover, hover
