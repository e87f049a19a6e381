"""`--format markdown`: a run summary table, then one section per function the evidence shows."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable

from metacompress_core.engine import Finding, Observation, rank
from metacompress_core.report.locations import display_path
from metacompress_core.report.outputs import clean, evidence_count, evidence_message, prediction
from metacompress_core.report.summary import RunSummary


def render_markdown(
    findings: Iterable[Finding], summary: RunSummary, *, root: str | os.PathLike[str] | None = None
) -> str:
    findings = list(findings)
    out = ["# MetaCompress check", ""]
    out += _summary_table(summary)
    flagged = [f for f in rank(findings) if f.evidence is not None]
    if not flagged:
        out += ["", "No function shows evidence that the student departs from its teacher."]
    for f in flagged:
        out += ["", *_section(f, root)]
    return "\n".join(out) + "\n"


def _summary_table(s: RunSummary) -> list[str]:
    rows = [
        ("Teacher", f"`{_cell(s.teacher.name)}` ({s.teacher.fingerprint[:12]})"),
        ("Student", f"`{_cell(s.student.name)}` ({s.student.fingerprint[:12]})"),
        ("Files checked", str(s.files_checked)),
        ("Functions checked", str(s.units_checked)),
        *((f"Functions shown as {level}", str(count)) for level, count in s.findings.items()),
        ("Functions where a paper relation breaks", str(s.units_with_violation)),
        ("Inputs checked (originals and variants)", str(s.inputs_checked)),
        ("Inputs breaking a paper relation", str(s.inputs_violating)),
        ("Violation rate", s.violation_rate_text(4)),
        *((f"`{name}`", str(count)) for name, count in s.relation_counts.items()),
        ("Elapsed", f"{s.elapsed_seconds:.2f} s"),
    ]
    return ["| | |", "|---|---|", *(f"| {k} | {v} |" for k, v in rows)]


def _section(f: Finding, root: str | os.PathLike[str] | None) -> list[str]:
    unit, e = f.unit, f.evidence
    assert e is not None
    where = f"{display_path(unit.path, root)}:{unit.name_start[0] + 1}"
    lines = [f"## `{_cell(clean(unit.qualname))}` ({_cell(clean(where))}): {e.level}", ""]
    lines += [
        f"{_cell(clean(evidence_message(f)))} ({_cell(evidence_count(f))}).",
        "",
        "| | teacher | student | JS divergence |",
        "|---|---|---|---|",
        _row("original", e.original, f.labels),
    ]
    if e.variant is not None:
        lines.append(_row("variant", e.variant, f.labels))
    lines += [
        "",
        "| relation | on the original | caused by a variant | as on the original |",
        "|---|---|---|---|",
        *(f"| `{name}` | {t.on_original} | {t.induced} | {t.persisting} |" for name, t in f.tallies.items()),
    ]
    diff = clean(e.variant.variant.diff()) if e.variant is not None else ""
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
