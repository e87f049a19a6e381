"""What callers can see of a Python function, compared before and after a transform.

A test suite only proves what it exercises. Some behaviour of a function is visible without calling it or is
rarely tested: its docstring (help(), doctest), its parameter names (keyword calls), whether it is a
generator or coroutine, the module globals and builtins it reads (a renamed local that loses its binding
silently becomes a global lookup), and the closure cells it shares with nested functions. Comparing the
compiled code objects of the original and the transformed module catches changes to any of these.
"""

from __future__ import annotations

import ast
import builtins
import dis
from types import CodeType

# CO_GENERATOR | CO_COROUTINE | CO_ITERABLE_COROUTINE | CO_ASYNC_GENERATOR
_KIND_FLAGS = 0x20 | 0x80 | 0x100 | 0x200
_GLOBAL_OPS = {"LOAD_GLOBAL", "STORE_GLOBAL", "DELETE_GLOBAL"}


def interface_changes(original: str, transformed: str, filename: str = "<module>") -> list[str]:
    """How the functions of `transformed` differ from those of `original` as callers see them ([] if not)."""
    before, after = _functions(original, filename), _functions(transformed, filename)
    module_names = _module_level_names(original)
    problems = []
    for qualname, codes in before.items():
        new = after.get(qualname, [])
        if len(new) != len(codes):
            problems.append(f"{qualname}: {len(codes)} definition(s) became {len(new)}")
            continue
        for old_code, new_code in zip(codes, new, strict=True):
            problems += [f"{qualname}: {p}" for p in _compare(old_code, new_code, module_names)]
    problems += [f"{q}: new function" for q in sorted(set(after) - set(before))]
    old_docs, new_docs = _docstrings(original), _docstrings(transformed)
    problems += [f"{q}: docstring changed" for q in old_docs if old_docs[q] != new_docs.get(q)]
    return problems


def _compare(old: CodeType, new: CodeType, module_names: set[str]) -> list[str]:
    problems = []
    if old.co_flags & _KIND_FLAGS != new.co_flags & _KIND_FLAGS:
        problems.append("generator/coroutine kind changed")
    named = old.co_argcount + old.co_kwonlyargcount  # parameters a caller can name (not *args/**kwargs)
    shape = (old.co_argcount, old.co_posonlyargcount, old.co_kwonlyargcount, old.co_flags & 0x0C)
    if shape != (new.co_argcount, new.co_posonlyargcount, new.co_kwonlyargcount, new.co_flags & 0x0C) or (
        old.co_varnames[:named] != new.co_varnames[:named]
    ):
        problems.append(f"parameters {old.co_varnames[:named]} became {new.co_varnames[:named]}")
    # New global reads are safe only for builtins the module does not shadow.
    added = _globals(new) - _globals(old)
    unsafe = sorted(n for n in added if n in module_names or not hasattr(builtins, n))
    if unsafe:
        problems.append(f"now reads global(s) {unsafe}")
    if (len(old.co_cellvars), len(old.co_freevars)) != (len(new.co_cellvars), len(new.co_freevars)):
        problems.append(
            f"closure cells {old.co_cellvars}/{old.co_freevars} became {new.co_cellvars}/{new.co_freevars}"
        )
    return problems


def _functions(source: str, filename: str) -> dict[str, list[CodeType]]:
    """Code objects of every def (not lambdas or comprehensions), by qualified name, in compile order."""
    out: dict[str, list[CodeType]] = {}

    def walk(code: CodeType) -> None:
        if not code.co_name.startswith("<"):
            out.setdefault(code.co_qualname, []).append(code)
        for const in code.co_consts:
            if isinstance(const, CodeType):
                walk(const)

    for const in compile(source, filename, "exec").co_consts:
        if isinstance(const, CodeType):
            walk(const)
    return out


def _globals(code: CodeType) -> set[str]:
    names = {i.argval for i in dis.get_instructions(code) if i.opname in _GLOBAL_OPS}
    for const in code.co_consts:  # a comprehension's global reads belong to its function
        if isinstance(const, CodeType) and const.co_name.startswith("<"):
            names |= _globals(const)
    return names


def _module_level_names(source: str) -> set[str]:
    code = compile(source, "<module>", "exec")
    return set(code.co_names) | set(code.co_varnames)


def _docstrings(source: str) -> dict[str, list[str | None]]:
    out: dict[str, list[str | None]] = {}

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                out.setdefault(prefix + child.name, []).append(ast.get_docstring(child, clean=False))
                visit(child, f"{prefix}{child.name}.<locals>.")
            elif isinstance(child, ast.ClassDef):
                visit(child, f"{prefix}{child.name}.")
            else:
                visit(child, prefix)

    visit(ast.parse(source), "")
    return out
