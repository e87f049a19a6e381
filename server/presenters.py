"""Findings as editors see them: diagnostics on a unit's name, hover markdown, the failing variant's diff.

Every number and sentence comes from the engine's one account of the function (metacompress_core.findings)
and the shared wording of metacompress_core.report.outputs, so the editor says what the CLI says.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from lsprotocol import types
from pygls.workspace.position_codec import PositionCodec

from metacompress_core.findings import Finding, Observation
from metacompress_core.plan.recipes import Recipe
from metacompress_core.report.outputs import (
    clean,
    evidence_count,
    evidence_message,
    finding_message,
    prediction,
)
from metacompress_server.positions import lsp_range

SOURCE = "metacompress"
_LSP = {
    "error": types.DiagnosticSeverity.Error,
    "warning": types.DiagnosticSeverity.Warning,
    "information": types.DiagnosticSeverity.Information,
    "hint": types.DiagnosticSeverity.Hint,
}


def diagnostic(
    finding: Finding,
    lines: Sequence[str],
    codec: PositionCodec,
    severity: dict[str, types.DiagnosticSeverity | None],
) -> types.Diagnostic | None:
    """A diagnostic on the unit's name when its evidence is shown under the settings; else None.

    `severity[relation]` is how that relation's strongest (warning) evidence is shown; weaker evidence keeps its
    own level unless the setting is milder still; None ("off") hides the relation's evidence.
    """
    level = shown_severity(finding, severity)
    if level is None:
        return None
    evidence = finding.evidence
    assert evidence is not None
    return types.Diagnostic(
        range=lsp_range(lines, finding.unit.name_start, finding.unit.name_end, codec),
        message=finding_message(finding),
        severity=level,
        source=SOURCE,
        code=evidence.relation,
        data=diagnostic_data(finding),
    )


def shown_severity(
    finding: Finding, severity: dict[str, types.DiagnosticSeverity | None]
) -> types.DiagnosticSeverity | None:
    evidence = finding.evidence
    if evidence is None:
        return None
    setting = severity.get(evidence.relation)
    if setting is None:
        return None
    own = _LSP[evidence.level]
    return setting if evidence.level == "warning" else max(setting, own)  # larger numbers are milder


def diagnostic_data(finding: Finding) -> dict[str, Any]:
    """What the code actions need: the unit, and the recipe that replays its culprit variant (if any)."""
    unit, culprit = finding.unit, finding.culprit
    return {
        "unitId": unit.id,
        "qualname": unit.qualname,
        "language": unit.language,
        "recipe": [[name, seed] for name, seed in Recipe.of(culprit.variant).steps] if culprit else [],
        "transforms": list(culprit.variant.transforms) if culprit else [],
        "relations": [finding.evidence.relation] if finding.evidence else [],
    }


def _cells(probs: np.ndarray, labels: tuple[str, ...]) -> str:
    label, p = prediction(probs, labels)
    return f"{label} {p:.3f}"


def _outputs_row(title: str, obs: Observation, labels: tuple[str, ...]) -> str:
    return (
        f"| {title} | {_cells(obs.teacher, labels)} | {_cells(obs.student, labels)} | {obs.divergence:.3f} |"
    )


def _partner_note(obs: Observation, finding: Finding) -> list[str]:
    if obs.partner is None:
        return []
    if obs.partner.id == finding.unit.id:
        return ["Clone pair: the function with itself.", ""]
    return [f"Clone pair: the function with `{clean(obs.partner.qualname)}`.", ""]


def _deepened_note(budget: int, compositions: int) -> str:
    """How a finding of a deepening pass is reproduced outside the editor: the same account from the CLI."""
    return (
        f"Deepened while idle to {budget} variants per function: `metacompress check --budget {budget} "
        f"--compositions {compositions}` gives this same account."
    )


def hover_markdown(finding: Finding, deepened: tuple[int, int] | None = None) -> str:
    """The evidence in a sentence, both models on the original and on the culprit, then every count.
    `deepened`: (budget, compositions) of the idle deepening pass this finding comes from (server/deepen.py)."""
    unit, labels, e = finding.unit, finding.labels, finding.evidence
    head = f"### MetaCompress: `{clean(unit.qualname)}`"
    if e is None:
        lines = [head, "", clean(finding_message(finding)) + "."]
        original = finding.original
    else:
        lines = [
            f"{head} ({e.level})",
            "",
            clean(evidence_message(finding)) + ".",
            "",
            f"Same departure on {clean(evidence_count(finding))}.",
        ]
        original = e.original
    lines += ["", *_partner_note(original, finding)]
    lines += ["| input | teacher | student | JS divergence |", "|---|---|---|---|"]
    lines.append(_outputs_row("original", original, labels))
    if e is not None and e.variant is not None:
        lines.append(_outputs_row(f"after {clean(e.variant.variant.description)}", e.variant, labels))
    n, v = finding.inputs_checked, finding.inputs_checked - finding.originals
    lines += [
        "",
        f"{finding.variants_tried} behaviour-preserving variants; {n} inputs checked ({finding.originals} "
        f"original, {v} with a variant). The teacher is unsure (below {finding.policy.reference:.2f}) on "
        f"{finding.teacher_unsure} of {n}.",
        *(["", _deepened_note(*deepened)] if deepened else []),
        "",
        "| relation | breaks on the original | caused by a variant | as on the original |",
        "|---|---|---|---|",
    ]
    for name, t in finding.tallies.items():
        lines.append(
            f"| {name} | {t.on_original} of {finding.originals} | {t.induced} of {v} | {t.persisting} |"
        )
    f = finding.flips
    lines += [
        "",
        f"Answer flips on variants: student only {f.student_only}, teacher only {f.teacher_only}, "
        f"both {f.both}.",
    ]
    return "\n".join(lines) + "\n"


def pending_markdown(qualname: str, reason: str) -> str:
    return f"### MetaCompress: `{clean(qualname)}`\n\n{reason}\n"


def variant_payload(finding: Finding) -> dict[str, Any] | None:
    """The answer to metacompress.showVariant / copyVariant: the culprit's diff and both texts (None: no
    variant caused anything, so there is none to show)."""
    culprit = finding.culprit
    if culprit is None:
        return None
    variant = culprit.variant
    return {
        "unitId": finding.unit.id,
        "qualname": finding.unit.qualname,
        "language": finding.unit.language,
        "transforms": list(variant.transforms),
        "description": clean(variant.description),
        "original": clean(finding.unit.source),
        "variant": clean(variant.source),
        "diff": clean(variant.diff()),
        "message": finding_message(finding),
    }
