"""Records -> every number of the report: scores, attacks, relation violation rates, calibration, and the
paired tests between students.

Rates of a relation are over the inputs it applies to (High Confidence Preservation applies only where the
teacher is confident; its rate is None where the teacher is never confident); `any-paper-relation` is the share
of inputs that break at least one of the paper's four. Every rate has a 95% interval with the dataset's inputs
as clusters (evaluation/statistics.py).
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict

import numpy as np

from metacompress_core.evaluation.metrics import classification, reliability
from metacompress_core.evaluation.statistics import interval, pairwise, rate_entry, score_intervals
from metacompress_core.relations import (
    PAPER_RELATIONS,
    DatasetCalibration,
    Thresholds,
    as_probabilities,
    verdicts,
)

ANY = "any-paper-relation"
COMPOSITION = "composition"  # variants made by several transforms
_PAPER = [r.name for r in PAPER_RELATIONS]


def relation_rates(
    t: np.ndarray,
    s: np.ndarray,
    t_orig: np.ndarray,
    s_orig: np.ndarray,
    labels,
    thresholds: Thresholds,
    clusters: np.ndarray | None = None,
) -> dict:
    """Per relation: inputs it applies to, violations, rate (None where it applies to nothing) and the rate's 95%
    interval, with `clusters` (per row, the dataset input it comes from; default: each row its own) as the
    units; plus any-paper-relation, and the number of clusters."""
    out: dict = {"inputs": len(t)}
    if len(t) == 0:
        return out
    clusters = np.arange(len(t)) if clusters is None else np.asarray(clusters)
    out["functions"] = len(np.unique(clusters))
    everywhere = np.ones(len(t), dtype=bool)
    broken_paper = np.zeros(len(t), dtype=bool)
    for name, verdict in verdicts(t, s, labels, thresholds, originals=(t_orig, s_orig)).items():
        applies = everywhere if verdict.applies is None else verdict.applies
        out[name] = rate_entry(applies, ~verdict.holds, clusters)
        if name in _PAPER:
            broken_paper |= ~verdict.holds
    out[ANY] = rate_entry(everywhere, broken_paper, clusters)
    return out


def paper_violations(t: np.ndarray, s: np.ndarray, labels, thresholds: Thresholds) -> np.ndarray:
    """Per row, whether it breaks at least one of the paper's four relations (none of them reads the original)."""
    broken = np.zeros(len(t), dtype=bool)
    for verdict in verdicts(t, s, labels, thresholds, relations=PAPER_RELATIONS).values():
        broken |= ~verdict.holds
    return broken


def input_outcomes(records: list[dict], student: str, labels, thresholds: Thresholds) -> list[list[bool]]:
    """Per record (a function), whether each of its inputs (the original, then each variant) breaks at least one
    of the paper's four relations: what the pairwise tests and `eval --baseline` compare."""
    classes = len(labels)
    teacher, other, sizes = [], [], []
    for r in records:
        teacher.append(r["original"]["teacher"])
        other.append(r["original"][student])
        for v in r["variants"]:
            teacher.append(v["probs"]["teacher"])
            other.append(v["probs"][student])
        sizes.append(1 + len(r["variants"]))
    if not teacher:
        return []
    broken = paper_violations(_array(teacher, classes), _array(other, classes), labels, thresholds).tolist()
    out, at = [], 0
    for n in sizes:
        out.append(broken[at : at + n])
        at += n
    return out


VARIANT_SETTINGS = ("seed", "variants", "compositions", "max_steps", "transforms")


def input_keys(records: list[dict], settings: dict) -> list[list[str]]:
    """Per record, a key for each of its inputs (original first), equal in two runs exactly when the input is
    the same: the dataset id for the original; for a variant also its position, its transforms and the settings
    that made it (the same seed and variant settings make the same variants)."""
    made_by = json.dumps({k: settings.get(k) for k in VARIANT_SETTINGS}, sort_keys=True)
    digest = hashlib.sha256(made_by.encode()).hexdigest()[:12]
    return [
        [str(r["id"])]
        + [f"{r['id']}#{i}:{'+'.join(v['transforms'])}@{digest}" for i, v in enumerate(r["variants"], 1)]
        for r in records
    ]


def _array(rows: list[list[float]], classes: int) -> np.ndarray:
    return np.asarray(rows, dtype=np.float32).reshape(len(rows), classes).astype(np.float64)


def aggregate(records: list[dict], roles: tuple[str, ...], labels, thresholds: Thresholds, attacks) -> dict:
    classes = len(labels)
    truth = np.asarray([r["label"] for r in records])
    original = {role: _array([r["original"][role] for r in records], classes) for role in roles}
    students = [r for r in roles if r != "teacher"]
    results: dict = {
        "inputs": len(records),
        "parsed": sum(bool(r["parsed"]) for r in records),
        "variants": sum(len(r["variants"]) for r in records),
        "accuracy": {
            role: {
                "original": _scores(original[role], truth, np.arange(len(records))),
                "transformed": _scores(
                    _array([v["probs"][role] for r in records for v in r["variants"]], classes),
                    np.asarray([r["label"] for r in records for _ in r["variants"]]),
                    np.asarray([i for i, r in enumerate(records) for _ in r["variants"]], dtype=np.int64),
                ),
            }
            for role in roles
        },
        "calibration": {role: reliability(original[role], truth, thresholds.ece_bins) for role in roles},
    }
    calibration = DatasetCalibration()
    results["dataset_calibration"] = {
        s: {
            "holds": bool(v.holds[0]),
            "ece_gap": float(v.score[0]),
            "detail": v.detail[0],
        }
        for s in students
        for v in verdicts(
            original["teacher"], original[s], labels, thresholds, truth=truth, relations=(calibration,)
        ).values()
    }
    results["relations"] = {
        "original": {
            s: relation_rates(
                original["teacher"], original[s], original["teacher"], original[s], labels, thresholds
            )
            for s in students
        },
        "transformed": {s: _transformed(records, s, labels, thresholds, classes) for s in students},
    }
    if attacks:
        results["attacks"] = {a: _attack_scores(records, a, roles, original, truth, classes) for a in attacks}
        results["performance_drop"] = {a: _drops(results, a, students) for a in attacks}
        results["relations"]["attacked"] = {
            a: {
                s: {
                    f"against-{target}": _attacked_rates(records, a, target, s, labels, thresholds, classes)
                    for target in ("teacher", s)
                }
                for s in students
            }
            for a in attacks
        }
    if len(students) > 1:
        results["comparisons"] = pairwise(
            {s: input_outcomes(records, s, labels, thresholds) for s in students}
        )
    return results


def _scores(probs: np.ndarray, truth: np.ndarray, clusters: np.ndarray) -> dict:
    """Accuracy, precision, recall, F1 and the 95% intervals of the first three."""
    scores = classification(probs, truth)
    if len(truth):
        scores.update(score_intervals(as_probabilities(probs).argmax(axis=1), truth, clusters))
    return scores


def _transformed(records: list[dict], student: str, labels, thresholds: Thresholds, classes: int) -> dict:
    """Rates over all variants, and per transform (variants made by that transform alone; compositions apart)."""
    groups: dict[str, list[tuple[list, list, list, list, int]]] = defaultdict(list)
    for index, r in enumerate(records):
        for v in r["variants"]:
            row = (
                v["probs"]["teacher"],
                v["probs"][student],
                r["original"]["teacher"],
                r["original"][student],
                index,
            )
            groups["all"].append(row)
            key = v["transforms"][0] if len(v["transforms"]) == 1 else COMPOSITION
            groups[key].append(row)

    def rates(rows) -> dict:
        t, s, to, so = (_array([row[i] for row in rows], classes) for i in range(4))
        clusters = np.asarray([row[4] for row in rows], dtype=np.int64)
        return relation_rates(t, s, to, so, labels, thresholds, clusters)

    out = {"all": rates(groups.pop("all", []))}
    out["per_transform"] = {name: rates(rows) for name, rows in sorted(groups.items())}
    return out


def _attack_scores(records, strategy: str, roles, original, truth, classes: int) -> dict:
    out = {}
    for role in roles:
        rows, attacked, successes, queries, first = [], 0, 0, [], []
        for i, r in enumerate(records):
            outcome = r["attacks"][strategy][role]
            if not outcome["attacked"]:
                rows.append(list(original[role][i]))  # misclassified already: stays wrong
                continue
            attacked += 1
            rows.append(outcome["probs"][role])
            queries.append(outcome["queries"])
            if outcome["success"]:
                successes += 1
                if outcome["first_success_query"] is not None:
                    first.append(outcome["first_success_query"])
        out[role] = {
            "scores": _scores(_array(rows, classes), truth, np.arange(len(truth))),
            "attacked": attacked,
            "successes": successes,
            "success_rate": successes / attacked if attacked else 0.0,
            "success_rate_ci": interval([1] * attacked, [1] * successes + [0] * (attacked - successes)),
            "mean_queries": float(np.mean(queries)) if queries else 0.0,
            "mean_first_success_query": float(np.mean(first)) if first else None,
        }
    return out


def _drops(results: dict, strategy: str, students: list[str]) -> dict:
    """Each model's accuracy drop under the attack; a student's "% greater performance drop" than the teacher:
    100 * (drop_student - drop_teacher) / drop_teacher (None when the teacher does not drop)."""

    def drop(role: str) -> float:
        before = results["accuracy"][role]["original"]["accuracy"]
        return before - results["attacks"][strategy][role]["scores"]["accuracy"]

    teacher = drop("teacher")
    return {
        "teacher": {"drop": teacher},
        **{
            s: {
                "drop": drop(s),
                "greater_drop_pct": 100 * (drop(s) - teacher) / teacher if teacher > 0 else None,
            }
            for s in students
        },
    }


def _attacked_rates(records, strategy, target, student, labels, thresholds, classes) -> dict:
    rows = []
    for r in records:
        outcome = r["attacks"][strategy][target]
        if outcome["attacked"]:
            probs = outcome["probs"]
            rows.append((probs["teacher"], probs[student], r["original"]["teacher"], r["original"][student]))
    t, s, to, so = (_array([row[i] for row in rows], classes) for i in range(4))
    return relation_rates(t, s, to, so, labels, thresholds)
