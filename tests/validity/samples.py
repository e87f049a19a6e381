"""Units from the datasets, made compilable on their own, and the subset that compiles before transformation."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from metacompress_core.code.units import Unit, extract_units
from validity.c_declarations import declarations
from validity.data import Function
from validity.gcc import syntax_check
from validity.javac import compile_java, method_class


@dataclass(frozen=True)
class Subset:
    """Units that compile as they are, with the counts behind them (for the report)."""

    units: list[Unit]
    candidates: int  # functions given
    parsed: int  # of those, the ones that parse cleanly into one unit
    checked: int  # of those, the ones compiled (fewer than `parsed` when enough were found)
    context: dict[str, str]  # unit id -> text put before the unit (C: generated declarations)

    def wrap(self, unit: Unit, source: str) -> str:
        if unit.language == "java":
            return method_class(source)
        return self.context[unit.id] + source


def java_unit(function: Function) -> Unit | None:
    """The BigCloneBench method as a unit (it is parsed inside a class, as it came out of one)."""
    units = extract_units(f"class MethodHolder {{\n{function.code}\n}}\n", "java", f"bcb/{function.id}")
    return units[0] if units else None


def c_unit(function: Function) -> Unit | None:
    units = extract_units(function.code, "c", f"devign/{function.id}")
    return units[0] if len(units) == 1 else None


def _first_compiling(
    functions: Sequence[Function], prepare, errors_of, want: int | None
) -> tuple[list[Unit], int, int]:
    """The units that compile, in order; with `want`, stop once that many are found (the data is only
    prepared as far as needed). Also: how many functions became units, and how many of those were compiled."""
    chosen: list[Unit] = []
    parsed = checked = start = 0
    while start < len(functions):
        if want is None:
            step = len(functions)
        else:  # enough candidates for the units still wanted, at the rate seen so far (+20%)
            rate = len(chosen) / checked if checked and chosen else 1.0
            step = max(20, int((want - len(chosen)) / rate * 1.2))
        batch = [u for u in map(prepare, functions[start : start + step]) if u is not None]
        start += step
        parsed += len(batch)
        errors = errors_of(batch)
        checked += len(batch)
        chosen += [u for u in batch if errors[u.id] is None]
        if want is not None and len(chosen) >= want:
            return chosen[:want], parsed, checked
    return chosen, parsed, checked


def compilable_java(functions: Sequence[Function], want: int | None = None, jobs: int = 2) -> Subset:
    """The methods that compile with javac inside a class with wide imports (the first `want` of them)."""
    chosen, parsed, checked = _first_compiling(
        functions,
        java_unit,
        lambda batch: compile_java({u.id: method_class(u.source) for u in batch}, jobs=jobs),
        want,
    )
    return Subset(chosen, len(functions), parsed, checked, {})


def compilable_c(functions: Sequence[Function], want: int | None = None, jobs: int = 2) -> Subset:
    """The functions that pass `gcc -fsyntax-only` with their generated declarations (the first `want`)."""
    context: dict[str, str] = {}

    def prepare(function: Function) -> Unit | None:
        unit = c_unit(function)
        decls = declarations(unit.source) if unit is not None else None
        if unit is None or decls is None:
            return None
        context[unit.id] = decls
        return unit

    chosen, parsed, checked = _first_compiling(
        functions,
        prepare,
        lambda batch: syntax_check({u.id: context[u.id] + u.source for u in batch}, jobs=jobs),
        want,
    )
    return Subset(chosen, len(functions), parsed, checked, {u.id: context[u.id] for u in chosen})
