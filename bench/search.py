"""Search efficiency: queries to the first teacher-student disagreement, and the cost of an attack.

On N test inputs of the dataset (BigCloneBench pairs for clone detection, Devign functions for vulnerability
prediction), every strategy gets the same inputs, the same budget and the same seed:

1. fidelity: queries until teacher and student first predict different classes (inputs where they already
   disagree on the original are skipped). A search that never succeeds counts as "more than the budget",
   so the median over all inputs is an honest lower bound.
2. attack: queries and seconds per attacked example against the teacher (ground-truth label; inputs the
   teacher already gets wrong are skipped), next to ALERT's published ~148 queries and ~8 s per example.

Models: the embedded defaults (metacompress_core/default_models/<task>/{teacher,<student>}); where no
student is shipped, the published Compressor student (models/compressor/codebert-<task>.json, weights in
--weights-dir). Prints numbers and asserts nothing.

    nice -n 10 python3 bench/search.py --task clone -n 6 --budget 100
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import time
from pathlib import Path

import torch

from metacompress_core.code.units import extract_units, whole_unit
from metacompress_core.models.base import Backend
from metacompress_core.models.device import DeviceOptions
from metacompress_core.models.loading import load_backend
from metacompress_core.plan import (
    STRATEGIES,
    NameSource,
    attack_objective,
    fidelity_objective,
    run_search,
)

ROOT = Path(__file__).resolve().parent.parent
DEFAULTS = ROOT / "metacompress_core" / "default_models"
LANGUAGE = {"clone": "java", "vuln": "c"}
MANIFEST = {"clone": "codebert-clone.json", "vuln": "codebert-vul.json"}
ALERT = {"queries": 148, "seconds": 8}


def models(args) -> tuple[Backend, Backend, str, str]:
    options = DeviceOptions(device=args.device, threads=args.threads)
    teacher_spec = args.teacher or DEFAULTS / args.task / "teacher"
    shipped = sorted(
        p for p in (DEFAULTS / args.task).glob("*") if p.name != "teacher" and (p / "config.json").is_file()
    )
    student_spec = args.student or (
        shipped[0] if shipped else ROOT / "models" / "compressor" / MANIFEST[args.task]
    )
    teacher = load_backend(teacher_spec, task=args.task, options=options)
    student = load_backend(student_spec, task=args.task, options=options, weights_dir=args.weights_dir)
    return teacher, student, str(teacher_spec), str(student_spec)


def one_unit(code: str, language: str) -> str | None:
    units = extract_units(code, language)
    return units[0].source if len(units) == 1 else None


def inputs(args) -> list[tuple[str, str | None, int]]:
    """(function, partner or None, ground-truth label) for the sampled test inputs."""
    rng = random.Random(args.seed)
    language = LANGUAGE[args.task]
    out: list[tuple[str, str | None, int]] = []
    if args.task == "clone":
        from metacompress_core.datasets.bcb import load_bcb

        data = load_bcb(args.data, splits=("test",))
        pairs = data.split("test")
        rng.shuffle(pairs)
        for pair in pairs:
            a, b = data.code_pair(pair)
            source = one_unit(a, language)
            if source and len(source) <= args.max_chars and len(b) <= args.max_chars:
                out.append((source, b, pair.label))
            if len(out) == args.pool:
                break
    else:
        from metacompress_core.datasets.devign import load_devign

        examples = load_devign(args.data, splits=("test",))
        rng.shuffle(examples)
        for ex in examples:
            source = one_unit(ex.code, language)
            if source and len(source) <= args.max_chars:
                out.append((source, None, ex.label))
            if len(out) == args.pool:
                break
    return out


def mined_names(args, chosen: list[tuple[str, str | None, int]]) -> NameSource:
    """Substitutes mined from the test inputs' own functions and partners (the data the attack sees)."""
    if args.names == "builtin":
        return NameSource.default(LANGUAGE[args.task])
    texts = [src for src, _, _ in chosen] + [p for _, p, _ in chosen if p]
    names = NameSource.from_code(texts, LANGUAGE[args.task], unit=True)
    return names if len(names) >= 20 else NameSource.default(LANGUAGE[args.task])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--task", choices=("clone", "vuln"), default="clone")
    ap.add_argument("-n", type=int, default=10, help="inputs per experiment (default 10)")
    ap.add_argument("--budget", type=int, default=100, help="query budget per input and strategy")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument(
        "--strategies", default="guided,greedy,random", help=f"comma list of {','.join(STRATEGIES)}"
    )
    ap.add_argument("--attack-strategies", default="greedy,guided")
    ap.add_argument(
        "--names",
        choices=("mined", "builtin"),
        default="mined",
        help="substitutes mined from the sampled test functions, or the built-in NATURAL_NAMES list",
    )
    ap.add_argument("--teacher", help="teacher model (default: the embedded default)")
    ap.add_argument("--student", help="student model (default: embedded, else the Compressor manifest)")
    ap.add_argument("--weights-dir", default="/work/shared/data/students")
    ap.add_argument("--data", default=None, help="data directory (default: ../shared/data)")
    ap.add_argument("--max-chars", type=int, default=1500, help="skip functions longer than this")
    ap.add_argument("--device", default="auto")
    ap.add_argument("--threads", type=int, default=None)
    args = ap.parse_args()
    args.pool = 8 * args.n

    started = time.perf_counter()
    teacher, student, tspec, sspec = models(args)
    pool = inputs(args)
    names = mined_names(args, pool)
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, torch {torch.__version__}, threads "
        f"{torch.get_num_threads()}, cuda {torch.cuda.is_available()}"
    )
    print(f"task {args.task}: teacher {tspec}, student {sspec}")
    origin = "built-in NATURAL_NAMES" if args.names == "builtin" else f"mined from {len(pool)} test functions"
    print(f"names: {len(names)}, {origin} (top: {', '.join(names.top(8))})")
    print(f"budget {args.budget} queries per input and strategy; seed {args.seed}; N = {args.n}")

    # 1. fidelity: first teacher-student disagreement, on inputs where they agree on the original
    t0, s0 = (
        teacher.predict([(s, p) if p else s for s, p, _ in pool]),
        student.predict([(s, p) if p else s for s, p, _ in pool]),
    )
    agreeing = [x for x, a, b in zip(pool, t0.argmax(1), s0.argmax(1), strict=True) if a == b][: args.n]
    print(
        f"\n## fidelity: queries to the first disagreement ({len(agreeing)} inputs where both agree at first; "
        f"{sum(t0.argmax(1) != s0.argmax(1))} of {len(pool)} sampled already disagree)"
    )
    print(
        "| strategy | found | median queries (all; failures = >budget) | median queries (found) | s/input |"
    )
    print("|---|---|---|---|---|")
    medians = {}
    for strategy in filter(None, args.strategies.split(",")):
        firsts, seconds = [], []
        for source, partner, _ in agreeing:
            objective = fidelity_objective(teacher, student, partner=partner)
            r = run_search(
                strategy, whole_unit(source, LANGUAGE[args.task]), objective, args.budget, args.seed, names
            )
            firsts.append(r.first_success_query)
            seconds.append(r.seconds)
        found = [f for f in firsts if f is not None]
        medians[strategy] = _median_censored(firsts)
        print(
            f"| {strategy} | {len(found)}/{len(firsts)} | {_fmt(medians[strategy], args.budget)} | "
            f"{f'{statistics.median(found):g}' if found else '-'} | {statistics.mean(seconds):.2f} |"
        )
    if "guided" in medians and "greedy" in medians and medians["guided"] and medians["greedy"]:
        print(f"guided / greedy (median, all inputs): {medians['guided'] / medians['greedy']:.2f}x")

    # 2. attack the teacher from the ground-truth label
    correct = [x for x, a in zip(pool, t0.argmax(1), strict=True) if a == x[2]][: args.n]
    print(f"\n## attack on the teacher ({len(correct)} inputs it classifies correctly)")
    print("| strategy | success | queries/example (mean) | queries to success (median) | s/example | ALERT |")
    print("|---|---|---|---|---|---|")
    for strategy in filter(None, args.attack_strategies.split(",")):
        queries, seconds, firsts = [], [], []
        for source, partner, label in correct:
            objective = attack_objective(teacher, label, partner=partner)
            r = run_search(
                strategy, whole_unit(source, LANGUAGE[args.task]), objective, args.budget, args.seed, names
            )
            queries.append(r.queries)
            seconds.append(r.seconds)
            firsts.append(r.first_success_query)
        found = [f for f in firsts if f is not None]
        print(
            f"| {strategy} | {len(found)}/{len(firsts)} | {statistics.mean(queries):.1f} | "
            f"{f'{statistics.median(found):g}' if found else '-'} | {statistics.mean(seconds):.2f} | "
            f"~{ALERT['queries']} queries, ~{ALERT['seconds']} s |"
        )
    print(f"\ntotal {time.perf_counter() - started:.0f} s")


def _median_censored(firsts: list[int | None]) -> float | None:
    """Median with failures counted as infinitely many queries; None when the median itself is a failure."""
    ordered = sorted(float("inf") if f is None else float(f) for f in firsts)
    if not ordered:
        return None
    value = statistics.median(ordered)
    return None if value == float("inf") else value


def _fmt(value: float | None, budget: int) -> str:
    return f">{budget}" if value is None else f"{value:g}"


if __name__ == "__main__":
    main()
