"""`check --baseline FILE`: is this run's student significantly worse than the baseline's? (docs/CI.md)

FILE is the JSON report (`-f json`) of an earlier run. Where both runs checked the same inputs (the same
function text, partner and variant text: `findings.input_key`), the two runs are paired input by input: of the
inputs whose outcome differs, are significantly more violated now than in the baseline? The test is McNemar's
exact test with functions as the units (`scores.sign_flip_greater`): a function's inputs share its code and
move together, so an input-level McNemar test would take 14 inputs of one function for 14 pieces of evidence.
Where nothing can be paired (a baseline written before reports held per-input outcomes, or code or settings so
changed that no input is common), the two violation rates are compared with their cluster-robust standard
errors (functions as clusters, `scores.clustered_rate_se`), a one-sided z-test. Either way the run fails only
at p < ALPHA.
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from metacompress_core.errors import MetaCompressError
from metacompress_core.findings import Finding
from metacompress_core.report.json_report import SCHEMA
from metacompress_core.report.summary import RunSummary
from metacompress_core.scores import (
    clustered_rate_se,
    independent_rates_greater,
    p_text,
    paired_outcomes,
    rate_interval,
)

ALPHA = 0.05
_MAKE_ONE = "write one with `metacompress check PATH... -f json -o {path}` on the baseline student"


@dataclass(frozen=True)
class Baseline:
    """What an earlier run's JSON report says, as far as a comparison needs it."""

    path: Path
    teacher: Mapping[str, Any]
    student: Mapping[str, Any]
    config: Mapping[str, Any]
    findings: tuple[Mapping[str, Any], ...]  # as in the report (SARIF reads their evidence for "absent")
    clusters: tuple[tuple[int, int], ...]  # per function: (inputs checked, inputs violating)
    outcomes: tuple[tuple[tuple[str, bool], ...], ...] | None  # per function; None: not in the report

    @property
    def name(self) -> str:
        return str(self.path)


def load_baseline(path: str | Path) -> Baseline:
    """The report at `path`, or a MetaCompressError (a usage error) naming the file and what to do."""
    path = Path(path)
    make = _MAKE_ONE.format(path=path)
    if not path.exists():
        raise MetaCompressError(f"--baseline {path} does not exist: {make}")
    if path.is_dir():
        raise MetaCompressError(f"--baseline {path} is a folder: name the JSON report of a run; {make}")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise MetaCompressError(f"--baseline {path} is not a JSON report (not UTF-8 text): {make}") from None
    except OSError as e:
        raise MetaCompressError(f"--baseline {path} cannot be read ({e.strerror or e}): {make}") from None
    try:
        data = json.loads(text)
    except ValueError as e:
        raise MetaCompressError(f"--baseline {path} is not JSON ({e}): {make}") from None
    if not isinstance(data, dict) or data.get("schema") != SCHEMA:
        raise MetaCompressError(
            f"--baseline {path} is {_kind(data)}, not a JSON report of `metacompress check` "
            f"(schema {SCHEMA}): {make}"
        )
    try:
        return _baseline(path, data)
    except (KeyError, TypeError, ValueError) as e:
        raise MetaCompressError(
            f"--baseline {path} is a damaged JSON report of `metacompress check` ({e}): {make}"
        ) from None


def _kind(data: Any) -> str:
    if isinstance(data, dict) and "runs" in data and "version" in data:
        return "a SARIF log (--baseline reads the JSON report, `-f json`)"
    if isinstance(data, dict) and "schema" in data:
        return f"a report of schema {str(data['schema'])[:60]!r}"
    return "other JSON"


def _baseline(path: Path, data: Mapping[str, Any]) -> Baseline:
    findings = data["findings"]
    if not isinstance(findings, list):
        raise ValueError("`findings` is not a list")
    clusters, outcomes = [], []
    for i, f in enumerate(findings):
        where = f"finding {i + 1}"
        if not isinstance(f, dict) or not isinstance(f.get("unit"), dict):
            raise ValueError(f"{where} has no `unit`")
        for key in ("path", "qualname"):
            if not isinstance(f["unit"].get(key), str):
                raise ValueError(f"{where}: `unit.{key}` is not text")
        checked, violating = f["inputs_checked"], f["violating_inputs"]
        if not (_count(checked) and _count(violating) and violating <= checked):
            raise ValueError(f"{where}: `inputs_checked` / `violating_inputs` are not counts")
        evidence = f.get("evidence")
        if evidence is not None and not (
            isinstance(evidence, dict)
            and isinstance(evidence.get("relation"), str)
            and isinstance(evidence.get("level"), str)
        ):
            raise ValueError(f"{where}: `evidence` has no relation and level")
        clusters.append((checked, violating))
        outcomes.append(_outcomes(f.get("input_outcomes"), checked, where))
    models = data.get("models") if isinstance(data.get("models"), dict) else {}
    return Baseline(
        path=path,
        teacher=models.get("teacher") or {},
        student=models.get("student") or {},
        config=data.get("config") if isinstance(data.get("config"), dict) else {},
        findings=tuple(findings),
        clusters=tuple(clusters),
        outcomes=None if any(o is None for o in outcomes) else tuple(o for o in outcomes if o is not None),
    )


def _count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _outcomes(given: Any, checked: int, where: str) -> tuple[tuple[str, bool], ...] | None:
    if given is None:
        return None
    keys, violated = given["keys"], given["violated"]
    if not (isinstance(keys, list) and all(isinstance(k, str) for k in keys) and isinstance(violated, str)):
        raise ValueError(f"{where}: `input_outcomes` is not keys and a 0/1 string")
    if len(keys) != len(violated) or set(violated) - {"0", "1"} or len(keys) != checked:
        raise ValueError(f"{where}: `input_outcomes` does not match `inputs_checked`")
    return tuple((k, v == "1") for k, v in zip(keys, violated, strict=True))


@dataclass(frozen=True)
class Comparison:
    """This run against its baseline; `worse` is the verdict (significant at ALPHA)."""

    baseline: str
    paired: bool
    why_unpaired: str  # empty when paired
    inputs: int  # paired: inputs both runs checked; else this run's inputs
    functions: int
    rate: float
    ci: tuple[float, float] | None
    baseline_inputs: int
    baseline_functions: int
    baseline_rate: float
    baseline_ci: tuple[float, float] | None
    newly_violated: int  # paired only: violated now, not in the baseline
    no_longer: int  # paired only: violated in the baseline, not now
    p_value: float | None  # None: no test possible (fewer than two functions on a side)
    notes: tuple[str, ...] = ()

    @property
    def worse(self) -> bool:
        return self.p_value is not None and self.p_value < ALPHA

    def line(self) -> str:
        """One line for stderr: what was compared, both rates with intervals, the p-value and the verdict."""
        if self.paired:
            what = (
                f"paired on the {self.inputs} inputs of {self.functions} functions both runs checked: "
                f"violation rate {_rate(self.rate, self.ci)} vs baseline {_rate(self.baseline_rate, self.baseline_ci)}; "
                f"{self.newly_violated} inputs newly violated, {self.no_longer} no longer; "
                f"McNemar exact test over functions (sign-flip), one-sided p = {_p(self.p_value)}"
            )
        else:
            what = (
                f"not paired ({self.why_unpaired}), rates compared: "
                f"violation rate {_rate(self.rate, self.ci)} over {self.inputs} inputs of {self.functions} functions "
                f"vs baseline {_rate(self.baseline_rate, self.baseline_ci)} over {self.baseline_inputs} inputs of "
                f"{self.baseline_functions} functions; one-sided z-test on cluster-robust standard errors "
                f"p = {_p(self.p_value)}"
            )
        if self.p_value is None:
            verdict = "no test possible (fewer than two functions on a side): not failing"
        elif self.worse:
            verdict = f"significantly worse than the baseline (p < {ALPHA}): FAIL"
        else:
            verdict = f"not significantly worse than the baseline (p >= {ALPHA}): pass"
        return f"metacompress: baseline {self.baseline}: {what}: {verdict}"


def _rate(rate: float, ci: tuple[float, float] | None) -> str:
    if ci is None:
        return f"{rate:.3f} (no 95% CI: fewer than two functions)"
    return f"{rate:.3f} (95% CI {ci[0]:.2f}-{ci[1]:.2f})"


def _p(p: float | None) -> str:
    return p_text(p)


def compare(baseline: Baseline, findings: Iterable[Finding], summary: RunSummary | None = None) -> Comparison:
    """This run's findings against the baseline: paired where inputs are common, else by rates."""
    findings = list(findings)
    notes = _notes(baseline, summary)
    base_checked = sum(c for c, _ in baseline.clusters)
    base_violating = sum(v for _, v in baseline.clusters)
    common = dict(
        baseline=baseline.name,
        baseline_inputs=base_checked,
        baseline_functions=len(baseline.clusters),
        notes=notes,
    )
    if baseline.outcomes is None:
        why = "the baseline report has no per-input outcomes: it was written by an older version"
    elif not any(f.input_outcomes for f in findings):
        why = "this run has no per-input outcomes"
    else:
        paired = pair_outcomes(baseline.outcomes, [f.input_outcomes for f in findings])
        if paired:
            return paired_comparison(paired, common)
        why = "no input of this run was checked in the baseline: the code or the settings differ"
    checked = [f.inputs_checked for f in findings]
    violating = [f.violating_inputs for f in findings]
    rate = sum(violating) / sum(checked) if sum(checked) else 0.0
    base_rate = base_violating / base_checked if base_checked else 0.0
    return Comparison(
        paired=False,
        why_unpaired=why,
        inputs=sum(checked),
        functions=len(findings),
        rate=rate,
        ci=rate_interval(checked, violating),
        baseline_rate=base_rate,
        baseline_ci=rate_interval(*_columns(baseline.clusters)),
        newly_violated=0,
        no_longer=0,
        p_value=independent_rates_greater(
            clustered_rate_se(checked, violating), clustered_rate_se(*_columns(baseline.clusters))
        ),
        **common,
    )


def _columns(clusters: Sequence[tuple[int, int]]) -> tuple[list[int], list[int]]:
    return [c for c, _ in clusters], [v for _, v in clusters]


def pair_outcomes(
    baseline: Sequence[Sequence[tuple[str, bool]]], current: Sequence[Sequence[tuple[str, bool]]]
) -> list[list[tuple[bool, bool]]]:
    """Per function of this run (`current`: its inputs' (key, violated)), (now, baseline) for each of its inputs
    the baseline also checked; functions with none are left out. An input checked twice in a run (the same
    function text in two files) pairs with one occurrence each. `eval --baseline` pairs the same way."""
    earlier: dict[str, deque[bool]] = {}
    for function in baseline:
        for key, violated in function:
            earlier.setdefault(key, deque()).append(violated)
    out = []
    for outcomes in current:
        pairs = [(now, earlier[key].popleft()) for key, now in outcomes if earlier.get(key)]
        if pairs:
            out.append(pairs)
    return out


def paired_comparison(
    functions: list[list[tuple[bool, bool]]],
    common: dict[str, Any],
    interval: Callable[[list[int], list[int]], tuple[float, float] | None] = rate_interval,
) -> Comparison:
    """The Comparison of paired outcomes (now, baseline) per function: McNemar's exact test over functions;
    `interval` gives each rate's 95% interval from per-function (inputs, violations)."""
    test = paired_outcomes(functions)
    return Comparison(
        paired=True,
        why_unpaired="",
        inputs=test.inputs,
        functions=test.clusters,
        rate=test.rate_a,
        ci=interval(list(test.checked), list(test.hits_a)),
        baseline_rate=test.rate_b,
        baseline_ci=interval(list(test.checked), list(test.hits_b)),
        newly_violated=test.a_only,
        no_longer=test.b_only,
        p_value=test.p_greater,
        **common,
    )


def _notes(baseline: Baseline, summary: RunSummary | None) -> tuple[str, ...]:
    """What makes the two runs less comparable than they look."""
    if summary is None:
        return ()
    notes = []
    teacher = baseline.teacher.get("fingerprint")
    if teacher and summary.teacher.fingerprint and teacher != summary.teacher.fingerprint:
        notes.append(
            f"the baseline was checked with another teacher ({baseline.teacher.get('name')}); "
            "its violations are departures from that teacher"
        )
    thresholds = baseline.config.get("thresholds")
    if thresholds is not None and thresholds != summary.config.get("thresholds"):
        notes.append("the baseline used other relation thresholds; its outcomes were judged differently")
    return tuple(notes)
