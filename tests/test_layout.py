"""The source tree's layering, read from the source with `ast` (nothing is imported, so it is fast):

- the core (metacompress_core) imports neither the language server (metacompress_server, the folder server/)
  nor the command line (metacompress);
- no import cycle among the project's modules through the imports that run when a module loads;
- an import of a project module inside a function says why it is there: `# deferred: <dependency>` on its line
  or the line just above, naming the heavy optional dependency that the import keeps off the module's load;
- the folder server/ is imported as metacompress_server only, and pyproject.toml lists every package.
"""

from __future__ import annotations

import ast
import re
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# import name -> folder
PACKAGES = {
    "metacompress": "metacompress",
    "metacompress_core": "metacompress_core",
    "metacompress_server": "server",
}
CORE = "metacompress_core"
# What a function-local import may defer: optional dependencies that are slow to import or not installed.
HEAVY = {
    "torch",
    "transformers",
    "tokenizers",
    "safetensors",
    "onnxruntime",
    "onnx",
    "ray",
    "pygls",
    "lsprotocol",
    "sklearn",
}
DEFERRED = re.compile(r"#\s*deferred:\s*([^()#]+)")


@dataclass(frozen=True)
class Import:
    source: str  # the importing module
    target: str  # the project module imported (a submodule when `from package import submodule`)
    path: Path
    line: int
    end_line: int
    local: bool  # inside a function (it runs when the function is called)
    type_checking: bool  # under `if TYPE_CHECKING:` (it never runs)

    def where(self) -> str:
        return f"{self.path.relative_to(ROOT)}:{self.line}"


@cache
def modules() -> dict[str, Path]:
    """Every module of the project by its import name (a package by its __init__.py)."""
    found = {}
    for name, folder in PACKAGES.items():
        for path in sorted((ROOT / folder).rglob("*.py")):
            parts = list(path.relative_to(ROOT / folder).with_suffix("").parts)
            if "__pycache__" in parts:
                continue
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join([name, *parts])] = path
    return found


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _absolute(node: ast.ImportFrom, module: str, is_package: bool) -> str:
    if not node.level:
        return node.module or ""
    base = module.split(".") if is_package else module.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _targets(node: ast.Import | ast.ImportFrom, module: str, is_package: bool) -> list[str]:
    """The modules an import statement loads by name (any top-level name, project or not)."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    base = _absolute(node, module, is_package)
    known = modules()
    # `from package import name`: the submodule when `name` is one, else the package's __init__.
    return [f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names]


@cache
def imports() -> tuple[Import, ...]:
    found = []
    for module, path in modules().items():
        is_package = path.name == "__init__.py"

        def walk(nodes, local: bool, type_checking: bool, module=module, path=path, is_package=is_package):
            for node in nodes:
                if isinstance(node, ast.Import | ast.ImportFrom):
                    for target in _targets(node, module, is_package):
                        found.append(
                            Import(module, target, path, node.lineno, node.end_lineno, local, type_checking)
                        )
                    continue
                inner_local = local or isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
                if isinstance(node, ast.If) and _is_type_checking(node.test):
                    walk(node.body, inner_local, True)
                    walk(node.orelse, inner_local, type_checking)
                    continue
                walk(ast.iter_child_nodes(node), inner_local, type_checking)

        walk(ast.parse(path.read_text(encoding="utf-8"), str(path)).body, False, False)
    return tuple(found)


def _project(target: str) -> bool:
    return target.split(".")[0] in PACKAGES


def _lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


def test_the_core_imports_neither_the_server_nor_the_command_line():
    forbidden = {"metacompress_server", "metacompress", "server"}
    wrong = [
        f"{i.where()}: {i.source} imports {i.target}"
        for i in imports()
        if i.source.split(".")[0] == CORE and i.target.split(".")[0] in forbidden
    ]
    assert not wrong, "the core must not depend on the server or the CLI:\n" + "\n".join(wrong)


def test_no_import_cycle_between_modules():
    """Through the imports that run when a module loads (module level, class bodies; not TYPE_CHECKING)."""
    known = modules()
    graph: dict[str, dict[str, Import]] = {m: {} for m in known}
    for i in imports():
        if not i.local and not i.type_checking and i.target in known and i.target != i.source:
            graph[i.source].setdefault(i.target, i)
    cycles = []
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(m: str) -> None:
        state[m] = 1
        path.append(m)
        for n in sorted(graph[m]):
            if state.get(n) == 1:
                ring = path[path.index(n) :] + [n]
                steps = [graph[a][b] for a, b in zip(ring, ring[1:], strict=False)]
                cycles.append(" -> ".join(ring) + "\n    " + "\n    ".join(s.where() for s in steps))
            elif n not in state:
                visit(n)
        path.pop()
        state[m] = 2

    for m in sorted(graph):
        if m not in state:
            visit(m)
    shown = "\n".join(cycles[:5]) + (f"\n... and {len(cycles) - 5} more" if len(cycles) > 5 else "")
    assert not cycles, f"import cycles through module-level imports (each import's place below it):\n{shown}"


def test_function_local_imports_of_the_project_say_what_they_defer():
    wrong = []
    for i in imports():
        if not i.local or not _project(i.target):
            continue
        lines = _lines(i.path)
        near = (
            lines[i.line - 1 : i.end_line] + lines[max(i.line - 2, 0) : i.line - 1]
        )  # its lines, the one above
        found = next(filter(None, map(DEFERRED.search, near)), None)
        named = {d.strip() for d in found.group(1).split(",")} if found else set()
        if not named or not named <= HEAVY:
            wrong.append(f"{i.where()}: {lines[i.line - 1].strip()}")
    assert not wrong, (
        "a function-local import of a project module needs `# deferred: <dependency>` naming what it keeps off "
        f"the module's load (one of {', '.join(sorted(HEAVY))}); else import it at the top:\n"
        + "\n".join(sorted(set(wrong)))
    )


def test_the_server_folder_is_imported_as_metacompress_server():
    wrong = []
    for folder in ("metacompress", "metacompress_core", "server", "tests", "bench"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            if "fixtures" in path.parts or "node_modules" in path.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
                names = (
                    [a.name for a in node.names]
                    if isinstance(node, ast.Import)
                    else [node.module or ""]
                    if isinstance(node, ast.ImportFrom) and not node.level
                    else []
                )
                if any(n == "server" or n.startswith("server.") for n in names):
                    wrong.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not wrong, "import metacompress_server, not the folder name `server`:\n" + "\n".join(wrong)


def test_pyproject_lists_every_package():
    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    assert setuptools["package-dir"] == {"metacompress_server": "server"}
    on_disk = {m for m, p in modules().items() if p.name == "__init__.py"}
    listed = set(setuptools["packages"])
    assert listed == on_disk, (
        f"pyproject.toml [tool.setuptools] packages: missing {sorted(on_disk - listed)}, "
        f"no such package {sorted(listed - on_disk)}"
    )
