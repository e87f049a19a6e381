"""`--format table` (the default): one row per function for a terminal, strongest evidence first, then a summary
line. The FINDING column is the severity the editor shows (docs/RELATIONS.md "Severity"); BROKEN is the paper's
count of inputs that break one of its relations, whatever the evidence."""

from __future__ import annotations

import os
from collections.abc import Iterable

from metacompress_core.engine import Finding, rank
from metacompress_core.report.locations import display_path
from metacompress_core.report.outputs import clean, finding_message
from metacompress_core.report.summary import RunSummary

HEADER = ("LOCATION", "FUNCTION", "FINDING", "VARIANTS", "BROKEN", "EVIDENCE")
MAX_CELL = 60  # characters; longer cells end in "..."
MAX_EVIDENCE = 160  # the last column may run longer: it is the sentence a person reads

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
    out.append(_paint(summary_line(summary), _RED if summary.findings.get("warning") else _GREEN, color))
    return "\n".join(out) + "\n"


def summary_line(s: RunSummary) -> str:
    files = "file" if s.files_checked == 1 else "files"
    functions = "function" if s.units_checked == 1 else "functions"
    shown = ", ".join(f"{count} {level}" for level, count in s.findings.items())
    return (
        f"{s.units_checked} {functions} in {s.files_checked} {files}: {shown}; "
        f"{s.inputs_violating} of {s.inputs_checked} inputs break a paper relation, violation rate "
        f"{s.violation_rate_text()}; {s.elapsed_seconds:.1f} s"
    )


def _row(f: Finding, root: str | os.PathLike[str] | None) -> tuple[str, ...]:
    unit = f.unit
    return (
        _fit(clean(f"{display_path(unit.path, root)}:{unit.name_start[0] + 1}")),
        _fit(clean(unit.qualname)),
        f.severity or "-",
        str(f.variants_tried),
        f"{f.violating_inputs}/{f.inputs_checked}",
        _fit(finding_message(f), MAX_EVIDENCE) if f.evidence else "-",
    )


def _style(f: Finding) -> str:
    return {"warning": _RED, "information": _YELLOW}.get(f.severity or "", _DIM)


def _fit(text: str, limit: int = MAX_CELL) -> str:
    text = text.replace("\n", " ")
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _paint(text: str, style: str, color: bool) -> str:
    return f"{style}{text}{_RESET}" if color else text
