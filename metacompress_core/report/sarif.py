"""`--format sarif`: SARIF 2.1.0 for GitHub code scanning and other SARIF viewers.

One result per relation that breaks per function, at the function's name. Rules are the relations (the paper's
four, then each model's own invariance). Levels say how much a user should care:

- error: prediction-agreement, high-confidence-preservation: the student gives a different answer, or drops
  an answer the teacher is sure of; what a user of the student sees changes.
- warning: distribution-similarity, calibration-alignment: the answer may agree, but the student's
  probabilities or confidence drift from the teacher's, so thresholds and rankings built on them move.
- note: teacher-invariance, student-invariance: one model alone changes its answer on a behaviour-preserving
  variant; a robustness fact about that model, not a teacher-student disagreement by itself.

Lines and columns are 1-based; columns count characters (Unicode code points; `run.columnKind`), converted
from tree-sitter's byte columns with the file's text (given in `sources`, else read from disk and used only
when it still holds the checked function). URIs are relative to `root` (default: the working directory) under
`uriBaseId` %SRCROOT%; files outside it get absolute file URIs.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

from metacompress_core.engine import Finding
from metacompress_core.relations import INVARIANCES, PAPER_RELATIONS, Relation, Thresholds
from metacompress_core.report.locations import LineText, artifact_location, relative_path, root_uri
from metacompress_core.report.outputs import (
    clean,
    model_output,
    number,
    outputs_phrase,
    relations_broken,
    variant_phrase,
)
from metacompress_core.report.summary import RunSummary

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA_URI = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
TOOL_NAME = "MetaCompress"
# The paper whose relations the tool checks (the project has no public home page yet).
INFORMATION_URI = "https://arxiv.org/abs/2511.05476"
FINGERPRINT_KEY = "metacompressFunction/v1"

LEVELS: dict[str, str] = {
    "prediction-agreement": "error",
    "high-confidence-preservation": "error",
    "distribution-similarity": "warning",
    "calibration-alignment": "warning",
    "teacher-invariance": "note",
    "student-invariance": "note",
}
_RULE_RELATIONS: tuple[Relation, ...] = (*PAPER_RELATIONS, *INVARIANCES)
_RULE_INDEX = {r.name: i for i, r in enumerate(_RULE_RELATIONS)}
_TITLES = {
    "prediction-agreement": "PredictionAgreement",
    "distribution-similarity": "ProbabilityDistributionSimilarity",
    "high-confidence-preservation": "HighConfidencePreservation",
    "calibration-alignment": "CalibrationAlignment",
    "teacher-invariance": "TeacherInvariance",
    "student-invariance": "StudentInvariance",
}


def render_sarif(
    findings: Iterable[Finding],
    summary: RunSummary,
    *,
    sources: Mapping[str, str] | None = None,
    root: str | os.PathLike[str] | None = None,
) -> str:
    log = sarif_log(findings, summary, sources=sources, root=root)
    return json.dumps(log, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def sarif_log(
    findings: Iterable[Finding],
    summary: RunSummary,
    *,
    sources: Mapping[str, str] | None = None,
    root: str | os.PathLike[str] | None = None,
) -> dict[str, Any]:
    lines = LineText(sources)
    seen: Counter[tuple[str, str]] = Counter()
    results = []
    for finding in findings:
        key = (relative_path(finding.unit.path, root) or finding.unit.path, finding.unit.qualname)
        seen[key] += 1
        for name in relations_broken(finding):
            results.append(_result(finding, name, lines, root, seen[key]))
    return {
        "$schema": SARIF_SCHEMA_URI,
        "version": SARIF_VERSION,
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": TOOL_NAME,
                        "version": summary.tool_version,
                        "semanticVersion": summary.tool_version,
                        "informationUri": INFORMATION_URI,
                        "rules": [_rule(r, _thresholds(summary)) for r in _RULE_RELATIONS],
                    }
                },
                "originalUriBaseIds": {"%SRCROOT%": {"uri": root_uri(root)}},
                "columnKind": "unicodeCodePoints",
                "results": results,
                "properties": {
                    "models": {"teacher": summary.teacher.as_dict(), "student": summary.student.as_dict()},
                    "config": summary.config,
                    "filesChecked": summary.files_checked,
                    "unitsChecked": summary.units_checked,
                    "unitsWithViolation": summary.units_with_violation,
                    "inputsChecked": summary.inputs_checked,
                    "inputsViolating": summary.inputs_violating,
                    "violationRate": number(summary.violation_rate),
                    "relationCounts": dict(summary.relation_counts),
                    "elapsedSeconds": number(summary.elapsed_seconds),
                },
            }
        ],
    }


def _thresholds(summary: RunSummary) -> Thresholds:
    """The run's thresholds, for the rule texts: config["thresholds"] (an EngineConfig), or under "engine"."""
    config = summary.config if isinstance(summary.config, Mapping) else {}
    given = config.get("thresholds")
    if given is None and isinstance(config.get("engine"), Mapping):
        given = config["engine"].get("thresholds")
    if not isinstance(given, Mapping):
        return Thresholds()
    known = {k: v for k, v in given.items() if k in Thresholds.__dataclass_fields__}
    try:
        return Thresholds(**known)
    except (TypeError, ValueError):
        return Thresholds()


def _rule(relation: Relation, t: Thresholds) -> dict[str, Any]:
    name = relation.name
    text = _RULE_TEXT[name](t)
    return {
        "id": name,
        "name": _TITLES.get(name, name),
        "shortDescription": {"text": f"{_TITLES.get(name, name)}: {relation.description}"},
        "fullDescription": {"text": text},
        "help": {
            "text": f"{text} {_ADVICE}",
            "markdown": f"**{_TITLES.get(name, name)}**\n\n{text}\n\n{_ADVICE}",
        },
        "defaultConfiguration": {"level": LEVELS.get(name, "warning")},
        "properties": {
            "tags": [
                "metamorphic-testing",
                "knowledge-distillation",
                "paper-relation" if name in _PAPER else "invariance",
            ],
            "problem.severity": {"error": "error", "warning": "warning"}.get(
                LEVELS.get(name, ""), "recommendation"
            ),
        },
    }


_PAPER = {r.name for r in PAPER_RELATIONS}
_ADVICE = (
    "The variant is behaviour-preserving (it computes exactly what the original computes), so a faithful student "
    "would answer as its teacher does on it. The result's properties hold the variant's diff and both models' "
    "outputs; re-run `metacompress check` with the same seed to reproduce it."
)
_RULE_TEXT = {
    "prediction-agreement": lambda t: (
        "On every behaviour-preserving variant of a function, the student predicts the class the teacher predicts."
    ),
    "distribution-similarity": lambda t: (
        "On every behaviour-preserving variant, the Jensen-Shannon divergence (base 2) between the teacher's and the "
        f"student's output distributions is at most eps = {t.js_eps}."
    ),
    "high-confidence-preservation": lambda t: (
        f"Where the teacher is confident on a variant (top probability >= tau = {t.confidence_tau}), the student "
        "predicts the same class with probability >= tau."
    ),
    "calibration-alignment": lambda t: (
        "On every behaviour-preserving variant, the teacher's and the student's confidences (top probabilities) "
        f"differ by at most delta = {t.calibration_delta}."
    ),
    "teacher-invariance": lambda t: (
        "The teacher predicts the same class on a behaviour-preserving variant as on the original function."
    ),
    "student-invariance": lambda t: (
        "The student predicts the same class on a behaviour-preserving variant as on the original function."
    ),
}


def _result(
    finding: Finding, name: str, lines: LineText, root: str | os.PathLike[str] | None, ordinal: int
) -> dict[str, Any]:
    unit, worst, labels = finding.unit, finding.worst, finding.labels
    region = lines.name_region(unit)
    location = {
        "physicalLocation": {
            "artifactLocation": artifact_location(unit.path, root),
            "region": {
                "startLine": region.start_line,
                "startColumn": region.start_column,
                "endLine": region.end_line,
                "endColumn": region.end_column,
            },
            "contextRegion": {"startLine": unit.start[0] + 1, "endLine": unit.end[0] + 1},
        },
        "logicalLocations": [
            {"name": clean(unit.name), "fullyQualifiedName": clean(unit.qualname), "kind": "function"}
        ],
    }
    return {
        "ruleId": name,
        "ruleIndex": _RULE_INDEX[name],
        "level": LEVELS.get(name, "warning"),
        "message": {"text": _message(finding, name)},
        "locations": [location],
        "partialFingerprints": {FINGERPRINT_KEY: _fingerprint(unit.path, unit.qualname, name, ordinal, root)},
        "properties": {
            "unitId": clean(unit.id),
            "violatingInputs": int(finding.violations.get(name, 0)),
            "inputsChecked": finding.inputs_checked,
            "variantsTried": finding.variants_tried,
            "transforms": list(worst.variant.transforms),
            "variant": clean(worst.variant.description),
            "diff": clean(worst.variant.diff()),
            "variantBreaks": list(worst.violated),
            "jsDivergence": number(worst.divergence),
            "teacher": {
                "original": model_output(finding.original.teacher, labels),
                "variant": model_output(worst.teacher, labels),
            },
            "student": {
                "original": model_output(finding.original.student, labels),
                "variant": model_output(worst.student, labels),
            },
        },
    }


def _message(finding: Finding, name: str) -> str:
    worst, labels = finding.worst, finding.labels
    outputs = f"{outputs_phrase(worst, labels)} {variant_phrase(worst)}"
    count = f"{name} breaks on {finding.violations.get(name, 0)} of {finding.inputs_checked} inputs"
    where = clean(finding.unit.qualname)
    if name in worst.violated:
        return f"{outputs}: {count} of {where}."
    return f"{count} of {where}; the variant that departs most gives {outputs}."


def _fingerprint(
    path: str, qualname: str, relation: str, ordinal: int, root: str | os.PathLike[str] | None
) -> str:
    """Stable across runs and edits inside the function: its file, qualified name and the relation."""
    where = relative_path(path, root) or path
    key = "\x00".join((where, qualname, relation, str(ordinal)))
    return hashlib.sha256(key.encode("utf-8", "surrogateescape")).hexdigest()[:32]
