"""Records -> every number of the report: scores, attacks, relation violation rates, calibration.

Rates of a relation are over the inputs it applies to (High Confidence Preservation applies only where the
teacher is confident); `any-paper-relation` is the share of inputs that break at least one of the paper's four.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from metacompress_core.evaluation.metrics import classification, reliability
from metacompress_core.relations import (
    PAPER_RELATIONS,
    RELATIONS,
    Context,
    DatasetCalibration,
    Thresholds,
)

ANY = "any-paper-relation"
COMPOSITION = "composition"  # variants made by several transforms
_PAPER = [r.name for r in PAPER_RELATIONS]


def relation_rates(
    t: np.ndarray, s: np.ndarray, t_orig: np.ndarray, s_orig: np.ndarray, labels, thresholds: Thresholds
) -> dict:
    """Per relation: inputs it applies to, violations and rate; plus any-paper-relation."""
    out: dict = {"inputs": len(t)}
    if len(t) == 0:
        return out
    context = Context(tuple(labels), thresholds, teacher_original=t_orig, student_original=s_orig)
    broken_paper = np.zeros(len(t), dtype=bool)
    for relation in RELATIONS:
        verdict = relation.check(t, s, context)
        applicable = len(t) if verdict.applies is None else int(verdict.applies.sum())
        violations = int((~verdict.holds).sum())
        out[relation.name] = {"applicable": applicable, "violations": violations, "rate": verdict.rate()}
        if relation.name in _PAPER:
            broken_paper |= ~verdict.holds
    out[ANY] = {
        "applicable": len(t),
        "violations": int(broken_paper.sum()),
        "rate": float(broken_paper.mean()),
    }
    return out


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
                "original": classification(original[role], truth),
                "transformed": classification(
                    _array([v["probs"][role] for r in records for v in r["variants"]], classes),
                    np.asarray([r["label"] for r in records for _ in r["variants"]]),
                ),
            }
            for role in roles
        },
        "calibration": {role: reliability(original[role], truth, thresholds.ece_bins) for role in roles},
    }
    context = Context(tuple(labels), thresholds, truth=truth)
    results["dataset_calibration"] = {
        s: {
            "holds": bool(v.holds[0]),
            "ece_gap": float(v.score[0]),
            "detail": v.detail[0],
        }
        for s in students
        for v in [DatasetCalibration().check(original["teacher"], original[s], context)]
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
    return results


def _transformed(records: list[dict], student: str, labels, thresholds: Thresholds, classes: int) -> dict:
    """Rates over all variants, and per transform (variants made by that transform alone; compositions apart)."""
    groups: dict[str, list[tuple[list, list, list, list]]] = defaultdict(list)
    for r in records:
        for v in r["variants"]:
            row = (
                v["probs"]["teacher"],
                v["probs"][student],
                r["original"]["teacher"],
                r["original"][student],
            )
            groups["all"].append(row)
            key = v["transforms"][0] if len(v["transforms"]) == 1 else COMPOSITION
            groups[key].append(row)

    def rates(rows) -> dict:
        t, s, to, so = (_array([row[i] for row in rows], classes) for i in range(4))
        return relation_rates(t, s, to, so, labels, thresholds)

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
            "scores": classification(_array(rows, classes), truth),
            "attacked": attacked,
            "successes": successes,
            "success_rate": successes / attacked if attacked else 0.0,
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
