"""`--format json`: every number and fact of a run, for scripts (schema "metacompress-check/2").

Keys come in a fixed order (as built here); findings in the order given. Positions in `unit` are tree-sitter
points as the engine keeps them: 0-based line, 0-based byte column.

Each finding's `input_outcomes` says, input by input, whether a paper relation breaks: `keys` (16 hex digits
each, `findings.input_key`: the function, its partner and the exact input text) and `violated`, one character per
key, "1" or "0". It is what `check --baseline` pairs two runs on (docs/CI.md); a report without it (written
before it existed) can still be a baseline, compared by rates only.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from metacompress_core.findings import Finding, Observation
from metacompress_core.relations import RELATIONS
from metacompress_core.report.outputs import both_outputs, clean, finding_message, number, relations_broken
from metacompress_core.report.summary import RunSummary

SCHEMA = "metacompress-check/2"


def render_json(findings: Iterable[Finding], summary: RunSummary) -> str:
    return json.dumps(report_dict(findings, summary), indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def report_dict(findings: Iterable[Finding], summary: RunSummary) -> dict[str, Any]:
    return {
        "schema": SCHEMA,
        "tool": {"name": "metacompress", "version": summary.tool_version},
        "models": {"teacher": summary.teacher.as_dict(), "student": summary.student.as_dict()},
        "labels": list(summary.labels),
        "config": summary.config,
        "relations": [
            {"name": r.name, "description": r.description, "paper": r.paper, "severity": r.severity}
            for r in RELATIONS
        ],
        "summary": summary_dict(summary),
        "findings": [finding_dict(f) for f in findings],
    }


def summary_dict(summary: RunSummary) -> dict[str, Any]:
    return {
        "files_checked": summary.files_checked,
        "files": list(summary.files),
        "units_checked": summary.units_checked,
        "findings": dict(summary.findings),
        "units_with_violation": summary.units_with_violation,
        "inputs_checked": summary.inputs_checked,
        "inputs_violating": summary.inputs_violating,
        "violation_rate": number(summary.violation_rate),
        "violation_rate_ci95": None
        if summary.violation_rate_ci95 is None
        else [number(v) for v in summary.violation_rate_ci95],
        "relation_counts": dict(summary.relation_counts),
        "elapsed_seconds": number(summary.elapsed_seconds),
        "skipped": list(summary.skipped),
    }


def finding_dict(finding: Finding) -> dict[str, Any]:
    unit = finding.unit
    return {
        "unit": {
            "path": clean(unit.path),
            "qualname": clean(unit.qualname),
            "name": clean(unit.name),
            "language": unit.language,
            "id": clean(unit.id),
            "spans": {
                "start": list(unit.start),
                "end": list(unit.end),
                "name_start": list(unit.name_start),
                "name_end": list(unit.name_end),
                "start_byte": unit.start_byte,
                "end_byte": unit.end_byte,
            },
        },
        "severity": finding.severity,
        "message": finding_message(finding),
        "evidence": evidence_dict(finding),
        "tallies": {
            name: {
                "on_original": t.on_original,
                "induced": t.induced,
                "persisting": t.persisting,
                "total": t.total,
            }
            for name, t in finding.tallies.items()
        },
        "flips": {
            "student_only": finding.flips.student_only,
            "teacher_only": finding.flips.teacher_only,
            "both": finding.flips.both,
        },
        "has_violation": finding.has_violation,
        "violated": relations_broken(finding),
        "violating_inputs": finding.violating_inputs,
        "inputs_checked": finding.inputs_checked,
        "originals": finding.originals,
        "variants_tried": finding.variants_tried,
        "teacher_unsure": finding.teacher_unsure,
        "original": observation_dict(finding.original, finding.labels),
        "input_outcomes": {
            "keys": [key for key, _ in finding.input_outcomes],
            "violated": "".join("1" if broken else "0" for _, broken in finding.input_outcomes),
        },
    }


def evidence_dict(finding: Finding) -> dict[str, Any] | None:
    e = finding.evidence
    if e is None:
        return None
    return {
        "level": e.level,
        "relation": e.relation,
        "kind": e.kind,
        "induced": e.induced,
        "same": e.same,
        "among": e.among,
        "original": observation_dict(e.original, finding.labels),
        "variant": None
        if e.variant is None
        else observation_dict(e.variant, finding.labels, with_variant=True),
    }


def observation_dict(obs: Observation, labels: tuple[str, ...], with_variant: bool = False) -> dict[str, Any]:
    out = both_outputs(obs, labels)
    out["partner"] = None if obs.partner is None else {"qualname": obs.partner.qualname, "id": obs.partner.id}
    if with_variant:
        variant = obs.variant
        out["variant"] = {
            "transforms": list(variant.transforms),
            "steps": [
                {"transform": s.transform, "detail": clean(s.detail), "seed": s.seed} for s in variant.steps
            ],
            "description": clean(variant.description),
            "source": clean(variant.source),
            "diff": clean(variant.diff()),
        }
    return out
