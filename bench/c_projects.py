"""Do the C transforms keep real C projects building and passing their own tests? transform x project table.

For each project under tests/fixtures/c_projects (heatshrink, cJSON, inih: README there) and each C
transform, every function of the project's library sources is transformed and the project is rebuilt and
tested with its own build; then with three random transforms composed per function. A cell reads
"functions changed / functions, pass|FAIL" (summed over seeds); the declines the transforms counted (a name
a macro reads, a declaration order the function keeps) follow the table.

    python bench/c_projects.py                        # seed 0, compositions with seeds 0 and 1
    python bench/c_projects.py --seeds 3 --compose-seeds 5
    python bench/c_projects.py --project cjson --transform rename-variable --show-log
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from validity.c_projects import PROJECTS, ProjectRun, missing_tools  # noqa: E402

from metacompress_core.transforms.base import TransformStats  # noqa: E402
from metacompress_core.transforms.registry import transforms_for  # noqa: E402

COMPOSE = "compose-3"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--project", action="append", choices=sorted(PROJECTS), help="default: all")
    ap.add_argument("--transform", action="append", help="default: every C transform")
    ap.add_argument("--seeds", type=int, default=1, help="seeds per transform (default 1: seed 0)")
    ap.add_argument("--compose-seeds", type=int, default=2, help="3-transform compositions (default 2)")
    ap.add_argument("--show-log", action="store_true", help="print the build/test output of failures")
    args = ap.parse_args(argv)

    transforms = [t for t in transforms_for("c") if not args.transform or t.name in args.transform]
    projects = [PROJECTS[p] for p in args.project or sorted(PROJECTS)]
    rows = [t.name for t in transforms] + ([COMPOSE] if args.compose_seeds else [])
    cells: dict[tuple[str, str], list[int]] = {}  # (row, project) -> [changed, passed, runs]
    stats = TransformStats()
    failed = 0
    for project in projects:
        missing = missing_tools(project)
        if missing:
            print(f"{project.name}: skipped, needs {', '.join(missing)}", file=sys.stderr)
            continue
        started = time.perf_counter()
        run = ProjectRun(project)
        try:
            if not run.baseline().passed:
                print(f"{project.name}: fails its own tests untransformed; skipped", file=sys.stderr)
                continue
            jobs = [(t, s) for t in transforms for s in range(args.seeds)]
            jobs += [(None, s) for s in range(args.compose_seeds)]  # None: a composition
            for transform, seed in jobs:
                row = transform.name if transform else COMPOSE
                results = (
                    run.transformed(transform, seed, stats) if transform else run.composed(transforms, seed)
                )
                outcome = run.check(f"{row} seed {seed}", results)
                cell = cells.setdefault((row, project.name), [0, 0, 0])
                cell[0] += outcome.functions_changed
                cell[1] += outcome.passed
                cell[2] += 1
                if not outcome.passed:
                    failed += 1
                    print(f"FAIL {project.name} {row} seed {seed}", file=sys.stderr)
                    if args.show_log:
                        print(outcome.log, file=sys.stderr)
        finally:
            run.close()
        print(f"{project.name}: {time.perf_counter() - started:.0f} s", file=sys.stderr)

    names = [p.name for p in projects]
    functions = {p.name: p.functions() for p in projects}
    print("| transform | " + " | ".join(f"{n} ({functions[n]} functions)" for n in names) + " |")
    print("|---|" + "---|" * len(names))
    for row in rows:
        shown = []
        for n in names:
            changed, passed, runs = cells.get((row, n), (0, 0, 0))
            verdict = "-" if not runs else "pass" if passed == runs else f"FAIL {runs - passed}/{runs}"
            shown.append(f"{changed} {verdict}")
        print(f"| {row} | " + " | ".join(shown) + " |")
    if stats.declined:
        print("\n| transform | declined because | site attempts |\n|---|---|--:|")
        for (name, reason), count in sorted(stats.declined.items(), key=lambda kv: -kv[1]):
            print(f"| {name} | {reason} | {count:,} |")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
