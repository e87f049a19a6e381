"""Checking many C translation units with `gcc -fsyntax-only`, a few gcc processes at a time."""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from collections.abc import Hashable, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

from validity.c_declarations import PRELUDE

# Our generated declarations guess types (a `long` where the project had a pointer), so the type-mismatch
# diagnostics that gcc 14 turned into errors stay warnings; undeclared names and calls to undeclared
# functions are errors. (No -w: it would silence the -Werror= ones too.)
SYNTAX_FLAGS = (
    "-fsyntax-only",
    "-std=gnu11",
    "-Werror=implicit-function-declaration",
    "-Werror=implicit-int",
    "-Wno-error=int-conversion",
    "-Wno-error=incompatible-pointer-types",
)
K = TypeVar("K", bound=Hashable)
_ERROR = re.compile(r"^(?P<path>[^:\n]+\.c):\d+:\d+: (?:fatal )?error: ", re.M)


def have_gcc() -> bool:
    return shutil.which("gcc") is not None


def syntax_check(
    sources: Mapping[K, str], jobs: int = 2, chunk: int = 400, prelude: bool = True
) -> dict[K, str | None]:
    """gcc's errors for each translation unit (None: it compiles). With `prelude`, the C standard headers
    (precompiled once) are included before each unit."""
    keys = list(sources)
    result: dict[K, str | None] = {}
    with tempfile.TemporaryDirectory(prefix="mc-gcc-") as tmp:
        root = Path(tmp)
        flags = list(SYNTAX_FLAGS)
        if prelude:
            header = root / "mc_prelude.h"
            header.write_text(PRELUDE)
            # A precompiled header halves the time per unit; gcc falls back to the text if it is unusable.
            subprocess.run(
                ["gcc", *SYNTAX_FLAGS[1:], "-x", "c-header", str(header), "-o", f"{header}.gch"],
                capture_output=True,
            )
            flags += ["-include", str(header)]
        paths: dict[str, K] = {}
        for i, key in enumerate(keys):
            path = root / f"u{i}.c"
            path.write_text(sources[key], encoding="utf-8", errors="surrogateescape")
            paths[str(path)] = key
        groups = [list(paths)[i : i + chunk] for i in range(0, len(paths), chunk)]
        with ThreadPoolExecutor(max(1, jobs)) as pool:
            for group, stderr in zip(groups, pool.map(lambda g: _run(flags, g), groups), strict=True):
                errors = _errors_by_file(stderr)
                for path in group:
                    result[paths[path]] = errors.get(path)
    return result


def _run(flags: list[str], paths: list[str]) -> str:
    done = subprocess.run(["gcc", *flags, *paths], capture_output=True, text=True, errors="replace")
    if done.returncode != 0 and not _ERROR.search(done.stderr):
        return "\n".join(f"{p}:1:1: error: gcc failed: {done.stderr.strip()[:500]}" for p in paths)
    return done.stderr


def _errors_by_file(stderr: str) -> dict[str, str]:
    """gcc's error messages (with their source excerpts), grouped by file."""
    out: dict[str, list[str]] = {}
    current = None
    for line in stderr.splitlines():
        m = re.match(r"^([^:\s]+\.c):", line)
        if m:
            current = m.group(1)
        if current is not None:
            out.setdefault(current, []).append(line)
    return {path: "\n".join(lines) for path, lines in out.items() if any(" error: " in x for x in lines)}
