"""`--format table` (the default): one row per function for a terminal, violations first, then a summary line."""

from __future__ import annotations

import os
from collections.abc import Iterable

from metacompress_core.engine import Finding, rank
from metacompress_core.report.locations import display_path
from metacompress_core.report.outputs import clean, relations_broken
from metacompress_core.report.summary import RunSummary

HEADER = ("LOCATION", "FUNCTION", "VARIANTS", "VIOLATIONS", "RELATIONS BROKEN", "WORST VARIANT")
MAX_CELL = 60  # characters; longer cells end in "..."

_RED, _YELLOW, _GREEN, _BOLD, _DIM, _RESET = (
    "\033[31m",
    "\033[33m",
    "\033[32m",
    "\033[1m",
    "\033[2m",
    "\033[0m",
)


def render_table(
    findings: Iterable[Finding],
    summary: RunSummary,
    color: bool = False,
    *,
    root: str | os.PathLike[str] | None = None,
) -> str:
    rows = [(_row(f, root), _style(f)) for f in rank(findings)]
    widths = [max([len(h)] + [len(r[i]) for r, _ in rows]) for i, h in enumerate(HEADER)]

    def line(cells: tuple[str, ...], style: str) -> str:
        text = "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()
        return f"{style}{text}{_RESET}" if color and style else text

    out = [line(HEADER, _BOLD)] + [line(r, style) for r, style in rows]
    out.append(_paint(summary_line(summary), _RED if summary.units_with_violation else _GREEN, color))
    return "\n".join(out) + "\n"


def summary_line(s: RunSummary) -> str:
    files = "file" if s.files_checked == 1 else "files"
    functions = "function" if s.units_checked == 1 else "functions"
    return (
        f"{s.units_checked} {functions} in {s.files_checked} {files}: {s.units_with_violation} with a violation; "
        f"{s.inputs_violating} of {s.inputs_checked} inputs break a paper relation "
        f"(violation rate {s.violation_rate:.3f}); {s.elapsed_seconds:.1f} s"
    )


def _row(f: Finding, root: str | os.PathLike[str] | None) -> tuple[str, ...]:
    unit = f.unit
    broken = relations_broken(f)
    worst = clean(f.worst.variant.description) if broken and f.worst.variant.steps else "-"
    return (
        _fit(clean(f"{display_path(unit.path, root)}:{unit.name_start[0] + 1}")),
        _fit(clean(unit.qualname)),
        str(f.variants_tried),
        f"{f.violating_inputs}/{f.inputs_checked}",
        ", ".join(broken) or "-",
        _fit(worst),
    )


def _style(f: Finding) -> str:
    if f.has_violation:
        return _RED
    return _YELLOW if relations_broken(f) else _DIM


def _fit(text: str) -> str:
    text = text.replace("\n", " ")
    return text if len(text) <= MAX_CELL else text[: MAX_CELL - 3] + "..."


def _paint(text: str, style: str, color: bool) -> str:
    return f"{style}{text}{_RESET}" if color else text
