"""Transform throughput (variants per second per core) and Java/C validity rates on all the available data.

Throughput: every transform applied once (seeded) to every unit of real code: BigCloneBench methods,
Devign functions, the CPython modules under tests/fixtures/python_stdlib, and examples/; one process, so
the rates are per core. Validity: every Java transform on every BigCloneBench method that compiles with
javac inside a class with wide imports, every C transform on every Devign function that passes
`gcc -fsyntax-only` with generated declarations (tests/validity/c_declarations.py); each variant must
re-parse and compile. The tests (tests/test_validity_*.py) check the same on a CI-sized sample.

    python bench/transforms.py                          # throughput, then validity on all data (long)
    python bench/transforms.py --throughput             # throughput only
    python bench/transforms.py --programs               # our own programs transformed, built, run
    python bench/transforms.py --validity --language c --limit 2000 --jobs 8
    python bench/transforms.py --validity --json results.json --failures failures.txt
    python bench/transforms.py --validity --language java --save-java-ids tests/fixtures/bcb_compilable_ids.txt
    python bench/transforms.py --from-json results.json --markdown tables.md   # tables for docs/TRANSFORMS.md
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))  # the validity helpers live beside the tests that use them

from validity import data  # noqa: E402
from validity.gcc import syntax_check  # noqa: E402
from validity.javac import compile_java  # noqa: E402
from validity.measure import (  # noqa: E402
    COMPOSED,
    Rate,
    check,
    failures_report,
    make_composed,
    make_variants,
    table,
    total,
)
from validity.programs import composed_variants, read_programs, run_c, run_java, variants  # noqa: E402
from validity.samples import c_unit, compilable_c, compilable_java, java_unit  # noqa: E402

from metacompress_core.code.units import Unit, extract_units  # noqa: E402
from metacompress_core.transforms.registry import TRANSFORMS, transforms_for  # noqa: E402

LANGUAGES = ("java", "c", "python")
SUFFIX = {"java": ".java", "c": ".c", "python": ".py"}


def corpus(language: str, limit: int | None) -> dict[str, list[Unit]]:
    """Real code for throughput, by source: units of the datasets and of our own files."""
    out: dict[str, list[Unit]] = {}
    if language == "java":
        functions = data.stable_order(data.bcb_functions())[:limit]
        out["BigCloneBench"] = [u for u in map(java_unit, functions) if u is not None]
    elif language == "c":
        functions = data.stable_order(data.devign_functions())[:limit]
        out["Devign"] = [u for u in map(c_unit, functions) if u is not None]
    else:
        stdlib = REPO / "tests" / "fixtures" / "python_stdlib"
        out["CPython stdlib"] = _units_of(
            sorted(p for p in stdlib.glob("*.py") if not p.name.startswith(("test_", "_", "conftest"))),
            "python",
        )
    out["examples"] = _units_of(sorted((REPO / "examples" / language).glob(f"*{SUFFIX[language]}")), language)
    return {name: units for name, units in out.items() if units}


def _units_of(paths: Sequence[Path], language: str) -> list[Unit]:
    return [
        u
        for p in paths
        for u in extract_units(p.read_text(encoding="utf-8"), language, str(p.relative_to(REPO)))
    ]


def throughput(languages: Sequence[str], limit: int | None, seed: int) -> dict:
    """Variants per second (one core) per language, source and transform."""
    results: dict = {}
    for language in languages:
        transforms = sorted(transforms_for(language), key=lambda t: t.name)
        for source, units in corpus(language, limit).items():
            _, rates = make_variants(units, transforms, seed)
            rows = {
                name: {"units": r.units, "variants": r.variants, "seconds": r.seconds, "dropped": r.dropped}
                for name, r in rates.items()
            }
            results[f"{language}/{source}"] = rows
            all_ = total(rates)
            print(f"\n{language}: {source}, {len(units)} units, {len(transforms)} transforms")
            print(f"{'transform':<28} {'variants':>8} {'applies':>8} {'variants/s':>11} {'units/s':>9}")
            for name, r in sorted(rates.items()):
                print(
                    f"{name:<28} {r.variants:>8} {_pct(r.variants, r.units):>8} "
                    f"{_per_s(r.variants, r.seconds):>11} {_per_s(r.units, r.seconds):>9}"
                )
            print(
                f"{'all':<28} {all_.variants:>8} {_pct(all_.variants, len(units) * len(transforms)):>8} "
                f"{_per_s(all_.variants, all_.seconds):>11} {_per_s(len(units) * len(transforms), all_.seconds):>9}"
            )
    return results


def programs(languages: Sequence[str], seeds: int, compose_seeds: int) -> dict:
    """Our own Java/C programs, transformed whole, built and run: how many variants print what the originals do."""
    results: dict = {}
    for language in [lang for lang in languages if lang in ("java", "c")]:
        progs = read_programs(REPO / "examples" / language, language, SUFFIX[language])
        progs += read_programs(REPO / "tests" / "fixtures" / language, language, SUFFIX[language])
        run = run_java if language == "java" else run_c
        originals = run({p.path: p.source for p in progs})
        made = variants(progs, transforms_for(language), range(seeds))
        made.update(composed_variants(progs, transforms_for(language), range(compose_seeds)))
        outcomes = run({key: r.source for key, r in made.items()})
        same = [k for k, o in outcomes.items() if o.error is None and o.output == originals[k[0]].output]
        for key in sorted(set(outcomes) - set(same)):
            print(f"DIFFERS: {key[1]} (seed {key[2]}) on {key[0]}: {outcomes[key].error or 'output differs'}")
        results[language] = {
            "programs": len(progs),
            "variant_programs": len(made),
            "functions_changed": sum(len(r.variants) for r in made.values()),
            "same_output": len(same),
        }
        r = results[language]
        print(
            f"\n{language}: {r['programs']} programs, {r['variant_programs']} variant programs "
            f"({r['functions_changed']} functions changed), {r['same_output']} print what the originals print"
        )
    return results


def _variants_chunk(args: tuple[list[Unit], list[str], int]) -> tuple[dict, dict[str, tuple[int, int]]]:
    units, names, seed = args
    transforms = [TRANSFORMS[n] for n in names]
    variants, rates = make_variants(units, transforms, seed)
    composed, rate = make_composed(units, transforms, seed)
    variants.update(composed)
    rates[rate.transform] = rate
    return variants, {n: (r.variants, r.dropped) for n, r in rates.items()}


def validity(language: str, limit: int | None, seed: int, jobs: int) -> tuple[dict[str, Rate], dict]:
    """Every transform on every unit of the dataset that compiles as it is."""
    started = time.perf_counter()
    if language == "java":
        functions = data.stable_order(data.bcb_functions())[:limit]
        subset, compiler, dataset = compilable_java(functions, jobs=jobs), compile_java, "BigCloneBench"
    else:
        functions = data.stable_order(data.devign_functions())[:limit]
        subset, compiler, dataset = compilable_c(functions, jobs=jobs), syntax_check, "Devign"
    selected = time.perf_counter() - started
    names = sorted(t.name for t in transforms_for(language))
    units = subset.units
    chunks = [(units[i :: max(1, jobs)], names, seed) for i in range(max(1, jobs))]
    variants: dict = {}
    rates = {n: Rate(n, units=len(units)) for n in [*names, f"compose-{COMPOSED}"]}
    with ProcessPoolExecutor(max(1, jobs)) as pool:
        for part, counts in pool.map(_variants_chunk, chunks):
            variants.update(part)
            for n, (_, dropped) in counts.items():
                rates[n].dropped += dropped
    for n, r in rates.items():
        r.variants = sum(1 for key in variants if key[0] == n)
    check(variants, rates, subset.wrap, lambda sources: compiler(sources, jobs=jobs))
    info = {
        "dataset": dataset,
        "functions": subset.candidates,
        "parsed": subset.parsed,
        "compilable": len(units),
        "seconds": round(time.perf_counter() - started, 1),
        "selection_seconds": round(selected, 1),
        "compilable_ids": [u.path.split("/", 1)[1] for u in units],
    }
    title = (
        f"{language}: {dataset}: {subset.candidates} functions, {subset.parsed} parse as one unit, "
        f"{len(units)} compile as they are; each transform applied once per unit (seed {seed})"
    )
    print("\n" + table(rates, title))
    return rates, info


def markdown(results: dict) -> str:
    """The numbers as markdown tables (validity per language, throughput per source), for docs/TRANSFORMS.md."""
    out: list[str] = []
    for language, v in results.get("validity", {}).items():
        out += [
            f"#### {language}: {v['dataset']}, {v['compilable']:,} functions that compile "
            f"(of {v['functions']:,}; {v['parsed']:,} parse as one unit)",
            "",
            "| transform | variants | re-parse | compile | dropped |",
            "|---|--:|--:|--:|--:|",
        ]
        rows = [*v["transforms"].items(), ("**all**", v)]
        for name, r in rows:
            out.append(
                f"| {name} | {r['variants']:,} | {_pct(r['reparsed'], r['variants'])} | "
                f"{_compiled(r['compiled'], r['variants'])} | {r['dropped']} |"
            )
        out.append("")
    throughput = results.get("throughput", {})
    if throughput:
        sources = list(throughput)
        names = sorted({n for rows in throughput.values() for n in rows})
        units = {src: next(iter(rows.values()))["units"] for src, rows in throughput.items() if rows}
        out += [
            "variants/s per core (share of units where the transform applies)",
            "",
            "| transform | " + " | ".join(f"{src} ({units.get(src, 0)} units)" for src in sources) + " |",
            "|---|" + "--:|" * len(sources),
        ]
        for name in names:
            cells = []
            for src in sources:
                r = throughput[src].get(name)
                cells.append(
                    f"{_per_s(r['variants'], r['seconds'])} ({_pct(r['variants'], r['units'], 0)})"
                    if r
                    else ""
                )
            out.append(f"| {name} | " + " | ".join(cells) + " |")
        cells = []
        for src in sources:
            rows = throughput[src].values()
            variants, seconds = sum(r["variants"] for r in rows), sum(r["seconds"] for r in rows)
            cells.append(f"**{_per_s(variants, seconds)}** ({_pct(variants, units[src] * len(rows), 0)})")
        out.append("| **all** | " + " | ".join(cells) + " |")
    return "\n".join(out)


def _compiled(compiled: int, variants: int) -> str:
    """100% when all compile; otherwise a rate that does not round up to 100%, with the failure count."""
    if compiled == variants:
        return "100%" if variants else "-"
    return f"{100 * compiled / variants:.3f}% ({variants - compiled} fail)"


def _pct(n: int, d: int, digits: int = 1) -> str:
    return f"{100 * n / d:.{digits}f}%" if d else "-"


def _per_s(n: int, seconds: float) -> str:
    return f"{n / seconds:,.0f}" if seconds > 0 else "-"


def _tool_versions() -> dict[str, str]:
    out = {"python": platform.python_version(), "cpu": platform.processor() or platform.machine()}
    for tool, flag in (("gcc", "--version"), ("javac", "-version")):
        try:
            done = subprocess.run([tool, flag], capture_output=True, text=True)
            out[tool] = (done.stdout or done.stderr).splitlines()[0]
        except OSError:
            out[tool] = "absent"
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--throughput", action="store_true", help="only the throughput tables")
    parser.add_argument("--validity", action="store_true", help="only the Java/C validity tables")
    parser.add_argument("--programs", action="store_true", help="only our own programs, transformed and run")
    parser.add_argument(
        "--language", action="append", choices=LANGUAGES, help="only this language (repeatable)"
    )
    parser.add_argument(
        "--limit", type=int, help="only the first N dataset functions (in a fixed shuffled order)"
    )
    parser.add_argument(
        "--throughput-limit", type=int, default=2000, help="dataset units for throughput (2000)"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="processes for validity")
    parser.add_argument("--json", type=Path, help="write all numbers here")
    parser.add_argument(
        "--failures", type=Path, help="write every failing variant (diff + compiler message) here"
    )
    parser.add_argument("--markdown", type=Path, help="write the tables as markdown here")
    parser.add_argument(
        "--from-json", type=Path, help="measure nothing: turn this --json file into --markdown tables"
    )
    parser.add_argument(
        "--save-java-ids", type=Path, help="write the ids of the compilable BigCloneBench methods"
    )
    args = parser.parse_args(argv)
    if args.from_json:
        text = markdown(json.loads(args.from_json.read_text()))
        if args.markdown:
            args.markdown.write_text(text + "\n")
        else:
            print(text)
        return 0
    if data.data_dir() is None:
        print(
            "../shared/data is absent (set METACOMPRESS_DATA): only the examples are measured",
            file=sys.stderr,
        )
    languages = args.language or list(LANGUAGES)
    both = not args.throughput and not args.validity and not args.programs
    results: dict = {"tools": _tool_versions(), "seed": args.seed}
    if args.throughput or both:
        results["throughput"] = throughput(languages, args.throughput_limit, args.seed)
    if args.programs or both:
        results["programs"] = programs(languages, seeds=3, compose_seeds=6)
    failures: list[str] = []
    if args.validity or both:
        results["validity"] = {}
        for language in [lang for lang in languages if lang != "python"]:
            if not (
                data.has("bcb/functions.jsonl.gz")
                if language == "java"
                else data.has("devign/devign.jsonl.gz")
            ):
                continue
            rates, info = validity(language, args.limit, args.seed, args.jobs)
            if language == "java" and args.save_java_ids:
                args.save_java_ids.write_text(
                    "\n".join(sorted(info["compilable_ids"], key=lambda i: (len(i), i))) + "\n"
                )
            info.pop("compilable_ids")
            all_ = total(rates)
            results["validity"][language] = {
                **info,
                "variants": all_.variants,
                "reparsed": all_.reparsed,
                "compiled": all_.compiled,
                "dropped": all_.dropped,
                "transforms": {
                    n: {
                        "variants": r.variants,
                        "reparsed": r.reparsed,
                        "compiled": r.compiled,
                        "dropped": r.dropped,
                    }
                    for n, r in sorted(rates.items())
                },
            }
            if all_.failures:
                failures.append(f"# {language}\n{failures_report(rates, limit=10**9)}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=1) + "\n")
    if args.markdown:
        args.markdown.write_text(markdown(results) + "\n")
    if args.failures:
        args.failures.write_text("\n".join(failures) or "no failures\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
