"""`eval --baseline DIR`: is each student significantly worse than the baseline's student of the same role?

DIR is the `--out` folder of an earlier `metacompress eval`: its results.json (models, settings, thresholds) and
records.jsonl (every model's probabilities on every input). Each student is compared with the baseline's
student of the same role (`student-1` with `student-1`, ...) on the inputs both runs evaluated: the same dataset
id, and for a variant the same position, transforms and variant settings (`aggregate.input_keys`). Each side's
per-input outcome is whether the input breaks one of the paper's four relations against its own run's teacher,
judged with its own run's thresholds. The comparison, its one line and its verdict are `check --baseline`'s
(report/baseline.py: McNemar's exact test over functions, one-sided at 5%; where nothing pairs, the two rates
with their cluster-robust standard errors), with eval's intervals.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

from metacompress_core.errors import MetaCompressError
from metacompress_core.evaluation.aggregate import VARIANT_SETTINGS, input_keys, input_outcomes
from metacompress_core.evaluation.store import RECORDS, RESULTS, SCHEMA
from metacompress_core.relations import Thresholds
from metacompress_core.report.baseline import ALPHA, Comparison, pair_outcomes, paired_comparison
from metacompress_core.scores import clustered_rate_se, independent_rates_greater, rate_interval

_WHAT = (
    "pass the --out folder of an earlier `metacompress eval` run (it holds results.json and records.jsonl)"
)


@dataclass(frozen=True)
class EvalBaseline:
    path: Path
    results: dict  # its results.json
    records: list[dict]  # its records, in index order


def load_eval_baseline(path: str | Path, task: str) -> EvalBaseline:
    """The evaluation in folder `path`, or a MetaCompressError (a usage error) saying what to pass."""
    path = Path(path)
    if not path.exists():
        raise MetaCompressError(f"--baseline {path} does not exist: {_WHAT}")
    if not path.is_dir():
        hint = (
            " (a JSON report of `metacompress check` goes to `check --baseline`)"
            if path.suffix == ".json"
            else ""
        )
        raise MetaCompressError(
            f"--baseline {path} is a file, not an evaluation's output folder{hint}: {_WHAT}"
        )
    results_file = path / RESULTS
    if not results_file.is_file():
        raise MetaCompressError(
            f"--baseline {path} holds no {RESULTS}: it is not the output folder of a finished `metacompress eval`: "
            f"{_WHAT}"
        )
    try:
        data = json.loads(results_file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as e:
        raise MetaCompressError(
            f"--baseline {path}: {RESULTS} cannot be read as JSON ({e}): {_WHAT}"
        ) from None
    if not isinstance(data, dict) or data.get("schema") != SCHEMA:
        raise MetaCompressError(
            f"--baseline {path}: {RESULTS} is not the results of `metacompress eval` (schema {SCHEMA}): {_WHAT}"
        )
    try:
        baseline_task = data["config"]["task"]
        if baseline_task != task:
            raise MetaCompressError(
                f"--baseline {path} is an evaluation of the {baseline_task!r} task, not {task!r}: {_WHAT}"
            )
        return EvalBaseline(path, data, _records(path / RECORDS, data))
    except (KeyError, TypeError, ValueError) as e:
        raise MetaCompressError(f"--baseline {path} holds damaged results ({e}): {_WHAT}") from None


def _records(file: Path, data: dict) -> list[dict]:
    if not file.is_file():
        raise MetaCompressError(f"--baseline {file.parent} holds no {RECORDS}: {_WHAT}")
    by_index: dict[int, dict] = {}
    with file.open(encoding="utf-8") as f:
        for line in f:
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                continue  # cut short by an interruption; the run redid it
            by_index[int(record["index"])] = record
    count = int(data["inputs"])
    missing = [i for i in range(count) if i not in by_index]
    if missing:
        raise ValueError(f"{RECORDS} lacks {len(missing)} of the {count} inputs of {RESULTS}")
    records = [by_index[i] for i in range(count)]
    roles = list(data["models"])
    for r in records:
        if not (isinstance(r["original"], dict) and set(roles) <= set(r["original"])):
            raise ValueError(f"record {r['index']} has no outputs of {', '.join(roles)}")
        for v in r["variants"]:
            if not set(roles) <= set(v["probs"]):
                raise ValueError(f"record {r['index']} has a variant without outputs of {', '.join(roles)}")
    return records


def compare_with_baseline(
    baseline: EvalBaseline, records: list[dict], results: dict, thresholds: Thresholds
) -> dict:
    """Per student of `results`, the comparison with the baseline's student of the same role (JSON, with the
    stderr line and the verdict), and notes on what makes the two runs less comparable."""
    base = baseline.results
    base_thresholds = Thresholds(**base["config"]["thresholds"])
    keys_now = input_keys(records, results["config"]["settings"])
    keys_then = input_keys(baseline.records, base["config"]["settings"])
    base_students = [r for r in base["models"] if r != "teacher"]
    students: dict[str, dict] = {}
    for role, model in results["models"].items():
        if role == "teacher":
            continue
        if role not in base_students:
            students[role] = {
                "student": model["name"],
                "compared": False,
                "worse": False,
                "line": f"metacompress: baseline {baseline.path}: {role} ({model['name']}) is not in the baseline "
                f"(it evaluated {len(base_students)} student{'s' if len(base_students) != 1 else ''}): not compared",
            }
            continue
        base_name = base["models"][role]["name"]
        now = input_outcomes(records, role, results["labels"], thresholds)
        then = input_outcomes(baseline.records, role, base["labels"], base_thresholds)
        comparison = _compare(
            f"{baseline.path}, {role} ({model['name']} against the baseline's {base_name})",
            [list(zip(k, o, strict=True)) for k, o in zip(keys_now, now, strict=True)],
            [list(zip(k, o, strict=True)) for k, o in zip(keys_then, then, strict=True)],
        )
        entry = asdict(comparison)
        del entry["notes"]
        students[role] = {
            "student": model["name"],
            "baseline_student": base_name,
            "compared": True,
            **entry,
            "worse": comparison.worse,
            "line": comparison.line(),
        }
    return {
        "dir": str(baseline.path.resolve()),
        "alpha": ALPHA,
        "test": "one-sided: McNemar's exact test over functions on the inputs both runs evaluated (else a z-test "
        "on the two rates with cluster-robust standard errors)",
        "notes": _notes(base, results),
        "students": students,
    }


def _compare(name: str, now: list[list[tuple[str, bool]]], then: list[list[tuple[str, bool]]]) -> Comparison:
    common = dict(
        baseline=name,
        baseline_inputs=sum(len(f) for f in then),
        baseline_functions=len(then),
        notes=(),
    )
    paired = pair_outcomes(then, now)
    if paired:
        return paired_comparison(paired, common, rate_interval)
    checked, hits = [len(f) for f in now], [sum(v for _, v in f) for f in now]
    base_checked, base_hits = [len(f) for f in then], [sum(v for _, v in f) for f in then]
    return Comparison(
        paired=False,
        why_unpaired="no input of this run was evaluated in the baseline: the dataset or its ids differ",
        inputs=sum(checked),
        functions=len(now),
        rate=sum(hits) / sum(checked) if sum(checked) else 0.0,
        ci=rate_interval(checked, hits),
        baseline_rate=sum(base_hits) / sum(base_checked) if sum(base_checked) else 0.0,
        baseline_ci=rate_interval(base_checked, base_hits),
        newly_violated=0,
        no_longer=0,
        p_value=independent_rates_greater(
            clustered_rate_se(checked, hits), clustered_rate_se(base_checked, base_hits)
        ),
        **common,
    )


def _notes(base: dict, results: dict) -> list[str]:
    """What makes the two runs less comparable than they look."""
    notes = []
    teacher, base_teacher = results["models"]["teacher"], base["models"]["teacher"]
    if teacher["fingerprint"] != base_teacher["fingerprint"]:
        notes.append(
            f"the baseline was evaluated with another teacher ({base_teacher['name']}); its violations are "
            "departures from that teacher"
        )
    if base["config"]["thresholds"] != results["config"]["thresholds"]:
        notes.append("the baseline used other relation thresholds; its outcomes were judged with them")
    for key in ("dataset", "split"):
        if base["config"][key] != results["config"][key]:
            notes.append(
                f"the baseline evaluated {key} {base['config'][key]}, this run {results['config'][key]}: only "
                "inputs with the same id are paired"
            )
    made = {k: base["config"]["settings"].get(k) for k in VARIANT_SETTINGS}
    if made != {k: results["config"]["settings"].get(k) for k in VARIANT_SETTINGS}:
        notes.append(
            "the baseline made its variants with other settings (seed, --variants or --transforms): only the "
            "originals are paired"
        )
    if base.get("version") != results.get("version"):
        notes.append(
            f"the baseline was written by MetaCompress {base.get('version')}, this run by {results.get('version')}: "
            "variants made by a changed transform are paired as if they were the same input"
        )
    return notes
