"""Compiling many Java compilation units with javac: hundreds per javac process, errors told apart by file.

javac takes a second or more to start, so units are compiled in large batches, each unit in a package of
its own (so that equal class names never clash). `-XDshould-stop.ifError=FLOW` makes javac attribute and
flow-check every unit even after another unit failed, so one bad unit never hides the errors of the rest.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from collections.abc import Hashable, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

from metacompress_core.code.parsing import parse

K = TypeVar("K", bound=Hashable)

# Wide imports so that methods lifted out of their classes find the JDK types they use. Packages whose
# simple names clash with others here (java.awt.List, java.sql.Date) are left out.
JAVA_IMPORTS = (
    "java.io java.util java.net java.nio java.nio.channels java.nio.charset java.nio.file java.util.regex "
    "java.security java.text java.util.zip java.util.jar java.lang.reflect java.math java.util.concurrent "
    "java.util.concurrent.atomic java.util.logging javax.crypto javax.crypto.spec javax.xml.parsers "
    "org.w3c.dom org.xml.sax javax.xml.transform javax.xml.transform.dom javax.xml.transform.stream"
).split()
IMPORT_LINES = "".join(f"import {p}.*;\n" for p in JAVA_IMPORTS)
JAVAC_FLAGS = (
    "-proc:none",
    "-nowarn",
    "-implicit:none",
    "-encoding",
    "UTF-8",
    "-Xmaxerrs",
    "1000000",
    "-XDshould-stop.ifError=FLOW",
    "-J-Xshare:auto",
    "-J-XX:+UseSerialGC",
)
_PUBLIC_TYPE = re.compile(
    r"^public\s+(?:(?:final|abstract|sealed|strictfp)\s+)*(?:class|interface|enum|record)\s+(\w+)", re.M
)
_HEADER = re.compile(r"^(?P<path>.+?\.java):(?P<line>\d+): (?:error|warning): ", re.M)


def have_javac() -> bool:
    return shutil.which("javac") is not None and shutil.which("java") is not None


def public_type(unit_text: str) -> str | None:
    """The name of the compilation unit's public top-level type (its file must be named after it)."""
    match = _PUBLIC_TYPE.search(unit_text)
    return match.group(1) if match else None


def method_class(method_source: str) -> str:
    """A compilation unit holding one method: wide imports and a class (named after it if a constructor)."""
    code = parse(method_source, "java", unit=True)
    name = "MethodHolder"
    if code.root.type == "constructor_declaration":
        name_node = code.root.child_by_field_name("name")
        if name_node is not None:
            name = code.node_text(name_node)
    return f"{IMPORT_LINES}class {name} {{\n{method_source}\n}}\n"


def compile_java(
    units: Mapping[K, str], jobs: int = 2, chunk: int = 1500, classes: Path | None = None
) -> dict[K, str | None]:
    """javac's errors for each compilation unit (None: it compiles). Unit k goes into package `p<k's index>`;
    with `classes`, the class files are kept there (to run them), else they are thrown away."""
    keys = list(units)
    result: dict[K, str | None] = {}
    with tempfile.TemporaryDirectory(prefix="mc-javac-") as tmp:
        root = Path(tmp)
        out = classes or root / "classes"
        paths: dict[str, K] = {}
        for i, key in enumerate(keys):
            text = units[key]
            folder = root / "src" / f"p{i}"
            folder.mkdir(parents=True)
            path = folder / f"{public_type(text) or 'Unit'}.java"
            path.write_text(f"package p{i};\n{text}", encoding="utf-8", errors="surrogateescape")
            paths[str(path)] = key
        groups = [list(paths)[i : i + chunk] for i in range(0, len(paths), chunk)]
        with ThreadPoolExecutor(max(1, jobs)) as pool:
            for group, errors in zip(groups, pool.map(lambda g: _compile(g, out), groups), strict=True):
                for path in group:
                    result[paths[path]] = errors.get(path)
    return result


def package_of(units: Mapping[K, str], key: K) -> str:
    """The package `compile_java` put unit `key` in."""
    return f"p{list(units).index(key)}"


def _compile(paths: list[str], out: Path) -> dict[str, str]:
    """Errors by file for one javac run; a run that fails without naming a file is split and retried."""
    with tempfile.NamedTemporaryFile("w", suffix=".args", delete=False) as argfile:
        argfile.write("\n".join(f'"{p}"' for p in paths))
    done = subprocess.run(
        ["javac", "-d", str(out), *JAVAC_FLAGS, f"@{argfile.name}"],
        capture_output=True,
        text=True,
        errors="replace",
    )
    Path(argfile.name).unlink()
    errors = _errors_by_file(done.stderr)
    if done.returncode != 0 and not errors:
        if len(paths) == 1:
            return {paths[0]: f"javac failed: {done.stderr.strip()[:1000]}"}
        half = len(paths) // 2
        return {**_compile(paths[:half], out), **_compile(paths[half:], out)}
    return errors


def _errors_by_file(stderr: str) -> dict[str, str]:
    """javac's error messages (with the source line and caret that follow each), grouped by file."""
    out: dict[str, list[str]] = {}
    current = None
    for line in stderr.splitlines():
        m = _HEADER.match(line)
        if m:
            current = m.group("path") if " error: " in line else None
        elif re.match(r"^\d+ errors?$|^Note: ", line):
            current = None
        if current is not None:
            out.setdefault(current, []).append(line)
    return {path: "\n".join(lines) for path, lines in out.items()}
