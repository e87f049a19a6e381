"""Findings as editors see them: diagnostics on a unit's name, hover markdown, the failing variant's diff."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from lsprotocol import types
from pygls.workspace.position_codec import PositionCodec

from metacompress_core.engine import Finding, Observation
from metacompress_core.report.outputs import (
    clean,
    outputs_phrase,
    prediction,
    relations_broken,
    variant_phrase,
)
from metacompress_core.search.recipes import Recipe
from server.positions import lsp_range

SOURCE = "metacompress"


def diagnostic(
    finding: Finding,
    lines: Sequence[str],
    codec: PositionCodec,
    severity: dict[str, types.DiagnosticSeverity | None],
) -> types.Diagnostic | None:
    """A diagnostic on the unit's name when it breaks a relation whose severity is not "off"; else None."""
    broken = [name for name in relations_broken(finding) if severity.get(name) is not None]
    if not broken:
        return None
    level = min(severity[name] for name in broken)  # Error (1) is the most severe
    obs = finding.worst
    message = (
        f"{outputs_phrase(obs, finding.labels)} {variant_phrase(obs)}"
        f" (breaks {', '.join(broken)}; {finding.violating_inputs} of {finding.inputs_checked} inputs)"
    )
    return types.Diagnostic(
        range=lsp_range(lines, finding.unit.name_start, finding.unit.name_end, codec),
        message=clean(message),
        severity=level,
        source=SOURCE,
        code=broken[0],
        data=diagnostic_data(finding),
    )


def diagnostic_data(finding: Finding) -> dict[str, Any]:
    """What the code actions need: the unit, and the recipe that replays its failing variant."""
    unit = finding.unit
    return {
        "unitId": unit.id,
        "qualname": unit.qualname,
        "language": unit.language,
        "recipe": [[name, seed] for name, seed in Recipe.of(finding.worst.variant).steps],
        "transforms": list(finding.worst.variant.transforms),
        "relations": relations_broken(finding),
    }


def _outputs_row(role: str, probs: np.ndarray, labels: tuple[str, ...]) -> str:
    label, p = prediction(probs, labels)
    return f"| {role} | {label} {p:.3f} |"


def _observation_table(title: str, obs: Observation, labels: tuple[str, ...]) -> list[str]:
    return [
        f"**{title}**" + (f" ({clean(obs.variant.description)})" if obs.variant.steps else ""),
        "",
        "| model | prediction |",
        "|---|---|",
        _outputs_row("teacher", obs.teacher, labels),
        _outputs_row("student", obs.student, labels),
        "",
        f"JS divergence {obs.divergence:.3f}",
        "",
    ]


def hover_markdown(finding: Finding) -> str:
    """Both models on the original and on the worst variant, each relation's verdict, variants tried."""
    unit = finding.unit
    verdict = "departs from its teacher" if finding.has_violation else "agrees with its teacher"
    lines = [
        f"### MetaCompress: `{clean(unit.qualname)}`",
        "",
        f"The student {verdict} on {finding.variants_tried} behaviour-preserving variants "
        f"({finding.inputs_checked} inputs checked).",
        "",
        *_observation_table("Original", finding.original, finding.labels),
        *_observation_table("Worst variant", finding.worst, finding.labels),
        "| relation | inputs breaking it |",
        "|---|---|",
    ]
    for name, count in finding.violations.items():
        if name != "any-paper-relation":
            lines.append(f"| {name} | {count} of {finding.inputs_checked} {'✗' if count else '✓'} |")
    return "\n".join(lines) + "\n"


def pending_markdown(qualname: str, reason: str) -> str:
    return f"### MetaCompress: `{clean(qualname)}`\n\n{reason}\n"


def variant_payload(finding: Finding) -> dict[str, Any]:
    """The answer to metacompress.showVariant / copyVariant: the diff and both texts."""
    variant = finding.worst.variant
    return {
        "unitId": finding.unit.id,
        "qualname": finding.unit.qualname,
        "language": finding.unit.language,
        "transforms": list(variant.transforms),
        "description": clean(variant.description),
        "original": clean(finding.unit.source),
        "variant": clean(variant.source),
        "diff": clean(variant.diff()),
        "message": clean(f"{outputs_phrase(finding.worst, finding.labels)} {variant_phrase(finding.worst)}"),
    }
