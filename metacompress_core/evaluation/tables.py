"""The report's tables as plain data (title, header, rows of strings), rendered by report_md and report_html."""

from __future__ import annotations

from dataclasses import dataclass

from metacompress_core.evaluation.aggregate import ANY

RELATION_COLUMNS = (
    ("prediction-agreement", "PA"),
    ("distribution-similarity", "PDS"),
    ("high-confidence-preservation", "HCP"),
    ("calibration-alignment", "CA"),
    (ANY, "any MR"),
    ("teacher-invariance", "teacher flips"),
    ("student-invariance", "student flips"),
)


@dataclass(frozen=True)
class Table:
    title: str
    header: tuple[str, ...]
    rows: list[tuple[str, ...]]
    note: str = ""


def pct(value: float | None, digits: int = 2) -> str:
    return "n/a" if value is None else f"{100 * value:.{digits}f}%"


def num(value: float | None, digits: int = 4) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def model_label(results: dict, role: str) -> str:
    return f"{results['models'][role]['name']} ({role})"


def roles(results: dict) -> list[str]:
    return list(results["models"])


def students(results: dict) -> list[str]:
    return [r for r in roles(results) if r != "teacher"]


def configuration(results: dict) -> Table:
    c = results["config"]
    s = c["settings"]
    rows = [
        ("Task", c["task"]),
        ("Dataset", f"{c['dataset']} (split {c['split']})"),
        ("Inputs", f"{results['inputs']}" + (f" (--limit {c['limit']})" if c["limit"] else "")),
        ("Inputs whose function parses", str(results["parsed"])),
        ("Behaviour-preserving variants", f"{results['variants']} (up to {s['variants']} per input)"),
        ("Attacks", ", ".join(s["attacks"]) + f" (budget {s['budget']} queries)" if s["attacks"] else "none"),
        ("Seed", str(c["seed"])),
        ("Engine", c["engine"]),
        (
            "Evaluation time",
            f"{results['timing']['evaluation_seconds']:.1f} s"
            + f" ({results['timing']['inputs_resumed']} inputs resumed from an earlier run)",
        ),
    ]
    return Table("Configuration", ("", ""), rows)


def models_table(results: dict) -> Table:
    rows = [(role, m["name"], m["path"], m["fingerprint"][:16]) for role, m in results["models"].items()]
    return Table("Models", ("Role", "Model", "Path", "Fingerprint"), rows)


def effectiveness(results: dict) -> Table:
    attacks = list(results.get("attacks", {}))
    header = ["Model", "Accuracy", "Precision", "Recall", "F1", "ECE", "Accuracy (variants)"]
    for a in attacks:
        header += [f"Accuracy ({a})", f"F1 ({a})", f"ASR ({a})"]
    rows = []
    for role in roles(results):
        o = results["accuracy"][role]["original"]
        row = [
            model_label(results, role),
            pct(o["accuracy"]),
            pct(o["precision"]),
            pct(o["recall"]),
            pct(o["f1"]),
            num(results["calibration"][role]["ece"]),
            pct(v["accuracy"]) if (v := results["accuracy"][role]["transformed"])["n"] else "n/a",
        ]
        for a in attacks:
            at = results["attacks"][a][role]
            row += [pct(at["scores"]["accuracy"]), pct(at["scores"]["f1"]), pct(at["success_rate"])]
        rows.append(tuple(row))
    return Table(
        "Effectiveness on original inputs and under attack",
        tuple(header),
        rows,
        "Accuracy (variants): over every behaviour-preserving variant, against its original's label. "
        "ASR: attack success rate, over the inputs the attacked model classified correctly.",
    )


def attack_tables(results: dict) -> list[Table]:
    tables = []
    for a, per_role in results.get("attacks", {}).items():
        rows = []
        drops = results["performance_drop"][a]
        for role in roles(results):
            at = per_role[role]
            before = results["accuracy"][role]["original"]["accuracy"]
            greater = drops[role].get("greater_drop_pct")
            rows.append(
                (
                    model_label(results, role),
                    pct(before),
                    pct(at["scores"]["accuracy"]),
                    pct(drops[role]["drop"]),
                    "" if role == "teacher" else ("n/a" if greater is None else f"{greater:+.1f}%"),
                    f"{at['successes']}/{at['attacked']} ({pct(at['success_rate'], 1)})",
                    num(at["mean_queries"], 1),
                    num(at["mean_first_success_query"], 1),
                )
            )
        tables.append(
            Table(
                f"Attack `{a}` against the ground truth",
                (
                    "Model",
                    "Accuracy",
                    "Accuracy under attack",
                    "Drop",
                    "% greater drop than teacher",
                    "Successes",
                    "Mean queries",
                    "Mean queries to first success",
                ),
                rows,
                "% greater drop: 100 x (student drop - teacher drop) / teacher drop.",
            )
        )
    return tables


def _relation_row(first: tuple[str, ...], rates: dict) -> tuple[str, ...]:
    cells = [pct(rates[name]["rate"], 1) if name in rates else "n/a" for name, _ in RELATION_COLUMNS]
    return (*first, str(rates.get("inputs", 0)), *cells)


def discrepancies(results: dict) -> Table:
    rows = []
    rel = results["relations"]
    for s in students(results):
        rows.append(_relation_row((model_label(results, s), "original"), rel["original"][s]))
        rows.append(_relation_row((model_label(results, s), "transformed"), rel["transformed"][s]["all"]))
        for a, per_student in rel.get("attacked", {}).items():
            for against, rates in per_student[s].items():
                rows.append(_relation_row((model_label(results, s), f"{a} {against}"), rates))
    return Table(
        "Behavioural discrepancies: relation violation rates",
        ("Student", "Inputs", "Count", *(short for _, short in RELATION_COLUMNS)),
        rows,
        "PA prediction agreement, PDS distribution similarity (JS), HCP high-confidence preservation (over the "
        "inputs where the teacher is confident), CA calibration alignment; any MR: at least one of the four; "
        "flips: a model's prediction differs from its prediction on the original.",
    )


def per_transform(results: dict) -> list[Table]:
    tables = []
    for s in students(results):
        per = results["relations"]["transformed"][s]["per_transform"]
        rows = [_relation_row((name,), rates) for name, rates in per.items()]
        tables.append(
            Table(
                f"Violation rates per transform: {model_label(results, s)}",
                ("Transform", "Variants", *(short for _, short in RELATION_COLUMNS)),
                rows,
            )
        )
    return tables


def calibration(results: dict) -> Table:
    rows = []
    for role in roles(results):
        dc = results["dataset_calibration"].get(role)
        rows.append(
            (
                model_label(results, role),
                num(results["calibration"][role]["ece"]),
                "" if dc is None else num(dc["ece_gap"]),
                "" if dc is None else ("holds" if dc["holds"] else "violated"),
            )
        )
    return Table(
        "Calibration", ("Model", "ECE", "|ECE - teacher ECE|", "Dataset calibration alignment"), rows
    )


def reliability_table(results: dict, role: str) -> Table:
    rows = [
        (
            f"({b['lower']:.1f}, {b['upper']:.1f}]",
            str(b["count"]),
            num(b["accuracy"], 3),
            num(b["confidence"], 3),
        )
        for b in results["calibration"][role]["bins"]
    ]
    return Table(
        f"Reliability bins: {model_label(results, role)}",
        ("Confidence", "Inputs", "Accuracy", "Mean confidence"),
        rows,
    )


def fidelity(results: dict) -> list[Table]:
    rep = results["representations"]
    if "skipped" in rep:
        return [Table("Representational fidelity (linear CKA)", ("",), [], f"Skipped: {rep['skipped']}.")]
    summary = []
    matrices = []
    for s in students(results):
        entry = rep.get(s, {})
        if "skipped" in entry:
            summary.append((model_label(results, s), "skipped", entry["skipped"], ""))
            continue
        best = [v for v in entry["best_per_student_layer"] if v is not None]
        summary.append(
            (
                model_label(results, s),
                num(entry["last_layer"], 3),
                num(sum(best) / len(best) if best else None, 3),
                f"{entry['teacher_layers']} x {entry['student_layers']}",
            )
        )
        header = ("Teacher layer", *(f"S{j + 1}" for j in range(entry["student_layers"])))
        rows = [(f"T{i + 1}", *(num(v, 2) for v in row)) for i, row in enumerate(entry["matrix"])]
        matrices.append(Table(f"CKA matrix: {model_label(results, s)}", header, rows))
    head = Table(
        "Representational fidelity (linear CKA)",
        ("Student", "CKA last layers", "Mean best CKA per student layer", "Layers (teacher x student)"),
        summary,
        f"Over the first {rep['inputs']} originals; {rep['representation']}.",
    )
    return [head, *matrices]


def all_tables(results: dict) -> list[Table]:
    tables = [configuration(results), models_table(results), effectiveness(results)]
    tables += attack_tables(results)
    tables += [discrepancies(results), *per_transform(results), calibration(results)]
    tables += fidelity(results)
    return tables
