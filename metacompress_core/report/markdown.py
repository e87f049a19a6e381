"""`--format markdown`: a run summary table, then one section per function where a relation breaks."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable

from metacompress_core.engine import Finding, Observation, rank
from metacompress_core.report.locations import display_path
from metacompress_core.report.outputs import clean, prediction, relations_broken, variant_phrase
from metacompress_core.report.summary import RunSummary


def render_markdown(
    findings: Iterable[Finding], summary: RunSummary, *, root: str | os.PathLike[str] | None = None
) -> str:
    findings = list(findings)
    out = ["# MetaCompress check", ""]
    out += _summary_table(summary)
    flagged = [f for f in rank(findings) if relations_broken(f)]
    if not flagged:
        out += ["", "No function breaks a relation."]
    for f in flagged:
        out += ["", *_section(f, root)]
    return "\n".join(out) + "\n"


def _summary_table(s: RunSummary) -> list[str]:
    rows = [
        ("Teacher", f"`{_cell(s.teacher.name)}` ({s.teacher.fingerprint[:12]})"),
        ("Student", f"`{_cell(s.student.name)}` ({s.student.fingerprint[:12]})"),
        ("Files checked", str(s.files_checked)),
        ("Functions checked", str(s.units_checked)),
        ("Functions with a violation", str(s.units_with_violation)),
        ("Inputs checked (originals and variants)", str(s.inputs_checked)),
        ("Inputs breaking a paper relation", str(s.inputs_violating)),
        ("Violation rate", f"{s.violation_rate:.4f}"),
        *((f"`{name}`", str(count)) for name, count in s.relation_counts.items()),
        ("Elapsed", f"{s.elapsed_seconds:.2f} s"),
    ]
    return ["| | |", "|---|---|", *(f"| {k} | {v} |" for k, v in rows)]


def _section(f: Finding, root: str | os.PathLike[str] | None) -> list[str]:
    unit = f.unit
    where = f"{display_path(unit.path, root)}:{unit.name_start[0] + 1}"
    lines = [f"## `{_cell(clean(unit.qualname))}` ({_cell(clean(where))})", ""]
    broken = ", ".join(f"`{name}` ({f.violations[name]})" for name in relations_broken(f))
    lines += [
        f"Breaks: {broken}, on {f.violating_inputs} of {f.inputs_checked} inputs "
        f"({f.variants_tried} variants tried).",
        "",
        f"Worst variant {_cell(variant_phrase(f.worst))} (transforms: "
        f"{', '.join(f'`{t}`' for t in f.worst.variant.transforms) or 'none'}).",
        "",
        "| | teacher | student | JS divergence |",
        "|---|---|---|---|",
        _row("original", f.original, f.labels),
        _row("variant", f.worst, f.labels),
    ]
    diff = clean(f.worst.variant.diff())
    if diff:
        fence = "`" * max(3, _longest_backtick_run(diff) + 1)
        lines += ["", f"{fence}diff", diff.rstrip("\n"), fence]
    return lines


def _row(name: str, obs: Observation, labels: tuple[str, ...]) -> str:
    t_label, t_p = prediction(obs.teacher, labels)
    s_label, s_p = prediction(obs.student, labels)
    return f"| {name} | {_cell(t_label)} {t_p:.3f} | {_cell(s_label)} {s_p:.3f} | {obs.divergence:.4f} |"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _longest_backtick_run(text: str) -> int:
    return max((len(m) for m in re.findall(r"`+", text)), default=0)
