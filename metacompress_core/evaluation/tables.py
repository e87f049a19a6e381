"""The report's tables as plain data (title, header, rows of strings), rendered by report_md and report_html."""

from __future__ import annotations

from dataclasses import dataclass

from metacompress_core.evaluation.aggregate import ANY
from metacompress_core.relations import INVARIANCES, PAPER_RELATIONS
from metacompress_core.scores import p_text

# The paper's relations, "any of them", then the invariances (relations.py names and heads every column).
RELATION_COLUMNS = (
    *((r.name, r.column) for r in PAPER_RELATIONS),
    (ANY, "any MR"),
    *((r.name, r.column) for r in INVARIANCES),
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


NO_CI = "(no CI)"
INTERVALS = (
    "Brackets: 95% interval in percent, cluster-robust with the dataset's examples (a function with its variants; "
    "for clone detection a pair) as the clusters, since an example's variants move together (docs/REPRODUCTION.md); "
    "at 0% or 100%, the exact (Clopper-Pearson) bound with the examples as the trials; "
    f"{NO_CI}: fewer than two examples; n/a: the rate applies to nothing."
)


def ci_text(ci: list[float] | tuple[float, float] | None, digits: int = 1) -> str:
    return NO_CI if ci is None else f"[{100 * ci[0]:.{digits}f}, {100 * ci[1]:.{digits}f}]"


def rate_cell(value: float | None, ci: list[float] | tuple[float, float] | None, digits: int = 1) -> str:
    """A rate with its 95% interval, e.g. "20.5% [18.9, 22.1]"; "n/a" where the rate applies to nothing."""
    return "n/a" if value is None else f"{pct(value, digits)} {ci_text(ci)}"


def _score_cell(scores: dict, name: str) -> str:
    """A score with its interval; "n/a" where it is a rate over nothing (no input, or, for precision, no
    positive prediction)."""
    if not scores["n"] or scores.get(f"{name}_of") == 0:
        return "n/a"
    return rate_cell(scores[name], scores.get(f"{name}_ci"), 2)


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
            _score_cell(o, "accuracy"),
            _score_cell(o, "precision"),
            _score_cell(o, "recall"),
            pct(o["f1"]),
            num(results["calibration"][role]["ece"]),
            _score_cell(results["accuracy"][role]["transformed"], "accuracy"),
        ]
        for a in attacks:
            at = results["attacks"][a][role]
            row += [
                _score_cell(at["scores"], "accuracy"),
                pct(at["scores"]["f1"]),
                rate_cell(at["success_rate"], at.get("success_rate_ci")) if at["attacked"] else "n/a",
            ]
        rows.append(tuple(row))
    note = (
        "Positive class: the second label. Accuracy (variants): over every behaviour-preserving variant, against "
        "its original's label. F1 and ECE are not rates and have no interval. "
    )
    if attacks:
        note += "ASR: attack success rate, over the inputs the attacked model classified correctly. "
    return Table(
        "Effectiveness on original inputs and variants" + (" and under attack" if attacks else ""),
        tuple(header),
        rows,
        note + INTERVALS,
    )


def attack_tables(results: dict) -> list[Table]:
    tables = []
    for a, per_role in results.get("attacks", {}).items():
        rows = []
        drops = results["performance_drop"][a]
        for role in roles(results):
            at = per_role[role]
            greater = drops[role].get("greater_drop_pct")
            rows.append(
                (
                    model_label(results, role),
                    _score_cell(results["accuracy"][role]["original"], "accuracy"),
                    _score_cell(at["scores"], "accuracy"),
                    pct(drops[role]["drop"]),
                    "" if role == "teacher" else ("n/a" if greater is None else f"{greater:+.1f}%"),
                    f"{at['successes']}/{at['attacked']}"
                    + (
                        f" ({rate_cell(at['success_rate'], at.get('success_rate_ci'))})"
                        if at["attacked"]
                        else ""
                    ),
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
                "% greater drop: 100 x (student drop - teacher drop) / teacher drop. " + INTERVALS,
            )
        )
    return tables


def relation_cell(rates: dict, name: str) -> str:
    """A relation's violation rate with its interval; "(of N)" where it applied to only N of the inputs; "n/a"
    where it applied to none (e.g. high-confidence preservation where the teacher is never confident)."""
    entry = rates.get(name)
    if entry is None or entry.get("rate") is None:
        return "n/a"
    cell = rate_cell(entry["rate"], entry.get("ci"))
    return cell if entry["applicable"] == rates["inputs"] else f"{cell} (of {entry['applicable']})"


FLIPS = tuple(r.name for r in INVARIANCES)


def _relation_row(first: tuple[str, ...], rates: dict, flips: bool = True) -> tuple[str, ...]:
    """`flips=False` on the originals: a model cannot flip from itself, so those cells stay empty."""
    cells = [relation_cell(rates, name) if flips or name not in FLIPS else "" for name, _ in RELATION_COLUMNS]
    return (*first, str(rates.get("inputs", 0)), *cells)


def discrepancies(results: dict) -> Table:
    rows = []
    rel = results["relations"]
    for s in students(results):
        rows.append(_relation_row((model_label(results, s), "original"), rel["original"][s], flips=False))
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
        "flips: a model's prediction differs from its prediction on the original. " + INTERVALS,
    )


def comparisons(results: dict) -> list[Table]:
    """The students against each other on the same inputs: paired tests, Holm-corrected."""
    c = results.get("comparisons")
    if not c:
        return []
    rows = []
    for p in c["pairs"]:
        verdict = f"yes: {model_label(results, p['worse'])} violates more" if p["significant"] else "no"
        rows.append(
            (
                model_label(results, p["a"]),
                model_label(results, p["b"]),
                f"{p['inputs']} ({p['functions']})",
                rate_cell(p["rate_a"], p["ci_a"]),
                rate_cell(p["rate_b"], p["ci_b"]),
                str(p["a_only"]),
                str(p["b_only"]),
                str(p["functions_differing"]),
                p_text(p["p_two_sided"]),
                p_text(p["p_holm"]),
                verdict,
            )
        )
    return [
        Table(
            "Students compared: paired tests on the same inputs",
            (
                "Student A",
                "Student B",
                "Inputs (functions)",
                "any MR: A",
                "any MR: B",
                "Only A violates",
                "Only B violates",
                "Functions differing",
                "p (two-sided)",
                "p (Holm)",
                "Significant at 5%",
            ),
            rows,
            f"Outcome: {c['outcome']}. Test: {c['test']}. Significant: the p-value after Holm's correction over the {len(c['pairs'])} "
            f"pairs is below {c['alpha']}. " + INTERVALS,
        )
    ]


def baseline_table(results: dict) -> list[Table]:
    """Each student against the baseline's student of the same role (`eval --baseline DIR`)."""
    b = results.get("baseline")
    if not b:
        return []
    rows = []
    for role, e in b["students"].items():
        if not e["compared"]:
            rows.append(
                (model_label(results, role), "not in the baseline", "", "", "", "", "", "", "not compared")
            )
            continue
        if e["p_value"] is None:
            verdict = "no test possible"
        else:
            verdict = "significantly worse: FAIL" if e["worse"] else "not significantly worse: pass"
        rows.append(
            (
                model_label(results, role),
                e["baseline_student"],
                f"{e['inputs']} ({e['functions']})" if e["paired"] else f"not paired: {e['why_unpaired']}",
                rate_cell(e["rate"], e["ci"]),
                rate_cell(e["baseline_rate"], e["baseline_ci"]),
                str(e["newly_violated"]) if e["paired"] else "",
                str(e["no_longer"]) if e["paired"] else "",
                p_text(e["p_value"]),
                verdict,
            )
        )
    notes = "".join(f" Note: {n}." for n in b["notes"])
    return [
        Table(
            f"Against the baseline {b['dir']}",
            (
                "Student",
                "Baseline student",
                "Paired inputs (functions)",
                "any MR",
                "any MR (baseline)",
                "Newly violated",
                "No longer",
                "p (one-sided)",
                "Verdict",
            ),
            rows,
            f"Each student against the baseline's student of the same role. Test: {b['test']}; worse when "
            f"p < {b['alpha']}.{notes} " + INTERVALS,
        )
    ]


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
                "Brackets: 95% intervals, as in the table of behavioural discrepancies.",
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
    tables += [discrepancies(results), *comparisons(results), *baseline_table(results)]
    tables += [*per_transform(results), calibration(results)]
    tables += fidelity(results)
    return tables
