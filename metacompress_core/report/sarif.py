"""`--format sarif`: SARIF 2.1.0 for GitHub code scanning and other SARIF viewers.

One result per function that the evidence shows (docs/RELATIONS.md "Severity"), at the function's name, under
the rule of the relation that carries the evidence; its level follows the evidence: warning -> "warning",
information and hint -> "note". Functions without evidence get no result: a relation that breaks only where the
teacher is unsure, or as it already does on the original code, is no finding. Rules are the relations (the
paper's four, then each model's own invariance); a rule's default level is the strongest its evidence can give.

Lines and columns are 1-based; columns count characters (Unicode code points; `run.columnKind`), converted
from tree-sitter's byte columns with the file's text (given in `sources`, else read from disk and used only
when it still holds the checked function). URIs are relative to `root` (default: the working directory) under
`uriBaseId` %SRCROOT%; files outside it get absolute file URIs.

Each result has two identities. `partialFingerprints` (what GitHub code scanning tracks alerts by): the function
(file relative to the root, qualified name, occurrence) and the relation, so an alert stays one alert while the
student changes. `fingerprints` (SARIF's identity of a result, used for baselining): that and the recipe of the
variant that shows the departure (its transforms and their seeds; "original" when the departure is on the
original code). With a `baseline` (the JSON report of an earlier run, `check --baseline`) every result gets a
`baselineState`: "unchanged" when the baseline had a result of the same identity, else "new"; the baseline's
results that are gone now follow, copied from its report (message, rule, level, location), as "absent".
"""

from __future__ import annotations

import hashlib
import json
import os
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

from metacompress_core.findings import Finding
from metacompress_core.relations import RELATIONS, Relation, Thresholds
from metacompress_core.report.baseline import Baseline
from metacompress_core.report.locations import LineText, artifact_location, relative_path, root_uri
from metacompress_core.report.outputs import clean, finding_message, model_output, number
from metacompress_core.report.summary import RunSummary

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA_URI = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
TOOL_NAME = "MetaCompress"
# The paper whose relations the tool checks (the project has no public home page yet).
INFORMATION_URI = "https://arxiv.org/abs/2511.05476"
FINGERPRINT_KEY = "metacompressFunction/v1"
DEPARTURE_KEY = "metacompressDeparture/v1"

LEVELS: dict[str | None, str] = {
    "error": "error",
    "warning": "warning",
    "information": "note",
    "hint": "note",
}
_RULE_INDEX = {r.name: i for i, r in enumerate(RELATIONS)}


def render_sarif(
    findings: Iterable[Finding],
    summary: RunSummary,
    *,
    sources: Mapping[str, str] | None = None,
    root: str | os.PathLike[str] | None = None,
    baseline: Baseline | None = None,
) -> str:
    log = sarif_log(findings, summary, sources=sources, root=root, baseline=baseline)
    return json.dumps(log, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def sarif_log(
    findings: Iterable[Finding],
    summary: RunSummary,
    *,
    sources: Mapping[str, str] | None = None,
    root: str | os.PathLike[str] | None = None,
    baseline: Baseline | None = None,
) -> dict[str, Any]:
    lines = LineText(sources)
    seen: Counter[tuple[str, str]] = Counter()
    results = []
    for finding in findings:
        key = (relative_path(finding.unit.path, root) or finding.unit.path, finding.unit.qualname)
        seen[key] += 1
        if finding.evidence is not None:
            results.append(_result(finding, lines, root, seen[key]))
    if baseline is not None:
        results = _baselined(results, baseline, root)
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
                        "rules": [_rule(r, _thresholds(summary)) for r in RELATIONS],
                    }
                },
                "originalUriBaseIds": {"%SRCROOT%": {"uri": root_uri(root)}},
                "columnKind": "unicodeCodePoints",
                # What was not checked (SARIF's place for what a tool could not do: a notification each).
                "invocations": [
                    {
                        "executionSuccessful": True,
                        "toolExecutionNotifications": [
                            {"level": "warning", "message": {"text": f"skipped {line}"}}
                            for line in summary.skipped
                        ],
                    }
                ],
                "results": results,
                "properties": {
                    "models": {"teacher": summary.teacher.as_dict(), "student": summary.student.as_dict()},
                    "config": summary.config,
                    "filesChecked": summary.files_checked,
                    "unitsChecked": summary.units_checked,
                    "findings": dict(summary.findings),
                    "unitsWithViolation": summary.units_with_violation,
                    "inputsChecked": summary.inputs_checked,
                    "inputsViolating": summary.inputs_violating,
                    "violationRate": number(summary.violation_rate),
                    "violationRateCi95": None
                    if summary.violation_rate_ci95 is None
                    else [number(v) for v in summary.violation_rate_ci95],
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
    text = relation.rule(t)
    level = LEVELS.get(relation.severity, "none")
    return {
        "id": relation.name,
        "name": relation.title,
        "shortDescription": {"text": f"{relation.title}: {relation.description}"},
        "fullDescription": {"text": text},
        "help": {"text": f"{text} {_ADVICE}", "markdown": f"**{relation.title}**\n\n{text}\n\n{_ADVICE}"},
        "defaultConfiguration": {"level": level},
        "properties": {
            "tags": [
                "metamorphic-testing",
                "knowledge-distillation",
                "paper-relation" if relation.paper else "invariance",
            ],
            "problem.severity": {"error": "error", "warning": "warning"}.get(level, "recommendation"),
        },
    }


_ADVICE = (
    "The variant is behaviour-preserving (it computes exactly what the original computes), so a faithful student "
    "would answer as its teacher does on it. The result's properties hold both models' outputs on the original "
    "and on the variant and the variant's diff; re-run `metacompress check` with the same seed to reproduce it."
)


def _result(
    finding: Finding, lines: LineText, root: str | os.PathLike[str] | None, ordinal: int
) -> dict[str, Any]:
    unit, labels, e = finding.unit, finding.labels, finding.evidence
    assert e is not None
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
    variant = e.variant
    return {
        "ruleId": e.relation,
        "ruleIndex": _RULE_INDEX[e.relation],
        "level": LEVELS[e.level],
        "message": {"text": finding_message(finding)},
        "locations": [location],
        "fingerprints": {
            DEPARTURE_KEY: _departure(
                unit.path, unit.qualname, ordinal, e.relation, variant.variant.steps if variant else (), root
            )
        },
        "partialFingerprints": {
            FINGERPRINT_KEY: _fingerprint(unit.path, unit.qualname, e.relation, ordinal, root)
        },
        "properties": {
            "unitId": clean(unit.id),
            "evidence": e.level,
            "kind": e.kind,
            "induced": e.induced,
            "sameDeparture": e.same,
            "among": e.among,
            "inputsChecked": finding.inputs_checked,
            "variantsTried": finding.variants_tried,
            "violatingInputs": finding.violating_inputs,
            "transforms": list(variant.variant.transforms) if variant else [],
            "variant": clean(variant.variant.description) if variant else None,
            "diff": clean(variant.variant.diff()) if variant else "",
            "teacher": {
                "original": model_output(e.original.teacher, labels),
                "variant": model_output(variant.teacher, labels) if variant else None,
            },
            "student": {
                "original": model_output(e.original.student, labels),
                "variant": model_output(variant.student, labels) if variant else None,
            },
        },
    }


def _fingerprint(
    path: str, qualname: str, relation: str, ordinal: int, root: str | os.PathLike[str] | None
) -> str:
    """Stable across runs and edits inside the function: its file, qualified name and the relation."""
    where = relative_path(path, root) or path
    key = "\x00".join((where, qualname, relation, str(ordinal)))
    return hashlib.sha256(key.encode("utf-8", "surrogateescape")).hexdigest()[:32]


def _departure(
    path: str,
    qualname: str,
    ordinal: int,
    relation: str,
    steps: Iterable[Any],
    root: str | os.PathLike[str] | None,
) -> str:
    """The function (file relative to the root, qualified name, occurrence), the relation and the recipe of the
    variant that shows the departure: each step's transform and seed (`Step`s, or their JSON form)."""
    recipe = ",".join(f"{_get(s, 'transform')}@{_get(s, 'seed')}" for s in steps) or "original"
    where = relative_path(path, root) or path
    key = "\x00".join((where, qualname, str(ordinal), relation, recipe))
    return hashlib.sha256(key.encode("utf-8", "surrogateescape")).hexdigest()[:32]


def _get(step: Any, name: str) -> Any:
    return step.get(name) if isinstance(step, Mapping) else getattr(step, name)


def _baselined(
    results: list[dict[str, Any]], baseline: Baseline, root: str | os.PathLike[str] | None
) -> list[dict[str, Any]]:
    """`results` with their baselineState, then the baseline's results that are gone now, as "absent"."""
    before = _baseline_results(baseline, root)
    now = {r["fingerprints"][DEPARTURE_KEY] for r in results}
    for r in results:
        r["baselineState"] = "unchanged" if r["fingerprints"][DEPARTURE_KEY] in before else "new"
    return results + [r for fingerprint, r in before.items() if fingerprint not in now]


def _baseline_results(baseline: Baseline, root: str | os.PathLike[str] | None) -> dict[str, dict[str, Any]]:
    """The results the baseline's report would have had in SARIF, by identity, each marked "absent"."""
    seen: Counter[tuple[str, str]] = Counter()
    out: dict[str, dict[str, Any]] = {}
    for f in baseline.findings:
        unit, e = f["unit"], f.get("evidence")
        path, qualname = unit["path"], unit["qualname"]
        seen[(relative_path(path, root) or path, qualname)] += 1
        if e is None or e["relation"] not in _RULE_INDEX:
            continue
        ordinal = seen[(relative_path(path, root) or path, qualname)]
        variant = e.get("variant") if e.get("induced", True) else None
        steps = ((variant or {}).get("variant") or {}).get("steps") or ()
        fingerprint = _departure(path, qualname, ordinal, e["relation"], steps, root)
        physical: dict[str, Any] = {"artifactLocation": artifact_location(path, root)}
        line = _line(unit)
        if line is not None:
            physical["region"] = {"startLine": line}
        out[fingerprint] = {
            "ruleId": e["relation"],
            "ruleIndex": _RULE_INDEX[e["relation"]],
            "level": LEVELS.get(e["level"], "note"),
            "message": {"text": str(f.get("message") or f"{e['relation']} in {qualname} (baseline)")},
            "locations": [
                {
                    "physicalLocation": physical,
                    "logicalLocations": [
                        {
                            "name": str(unit.get("name") or qualname),
                            "fullyQualifiedName": qualname,
                            "kind": "function",
                        }
                    ],
                }
            ],
            "fingerprints": {DEPARTURE_KEY: fingerprint},
            "partialFingerprints": {
                FINGERPRINT_KEY: _fingerprint(path, qualname, e["relation"], ordinal, root)
            },
            "baselineState": "absent",
            "properties": {
                "unitId": str(unit.get("id") or ""),
                "evidence": e["level"],
                "baseline": baseline.name,
            },
        }
    return out


def _line(unit: Mapping[str, Any]) -> int | None:
    """The 1-based line of the function's name in the baseline's report, if it says."""
    spans = unit.get("spans") if isinstance(unit.get("spans"), Mapping) else {}
    for key in ("name_start", "start"):
        point = spans.get(key)
        if isinstance(point, list) and point and isinstance(point[0], int) and point[0] >= 0:
            return point[0] + 1
    return None
