"""How much of Devign the C transforms can work on: parse and transform coverage over the whole dataset.

For every Devign function (all splits): does it yield a unit (tree-sitter parses it cleanly), and does at
least one C transform emit a variant of it (one seeded application per transform; every emitted variant
re-parses cleanly)? Also per transform: the functions it made a variant of, the rewrites dropped because
they did not re-parse, and the sites it declined, by reason (TransformStats.declined). With `--gcc N`, the
first N functions (in a fixed order) that compile with generated declarations are also checked with gcc:
the share of them with at least one variant that compiles, and every variant's compile rate.

    python bench/devign_coverage.py                        # the whole dataset (about 20 min on one core)
    python bench/devign_coverage.py --limit 2000 --jobs 2 --json out.json
    python bench/devign_coverage.py --gcc 300              # plus gcc on 300 compilable functions
    python bench/devign_coverage.py --limit 0 --gcc-masked 200   # gcc on functions read with a masked macro
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))  # the validity helpers live beside the tests that use them
sys.path.insert(0, str(REPO))

from validity import data  # noqa: E402

from metacompress_core.code.units import extract_units  # noqa: E402
from metacompress_core.transforms.base import TransformStats, original, seeded_rng, transform_variant  # noqa: E402
from metacompress_core.transforms.registry import transforms_for  # noqa: E402


def _one(item: tuple[str, str, bool]) -> dict:
    """Units of one function, and the transforms that made a variant of it (all of them with `full`, else
    up to the first that does: enough for coverage)."""
    fid, code, full = item
    units = extract_units(code, "c", f"devign/{fid}.c")
    stats = TransformStats()
    made: list[str] = []
    for t in transforms_for("c"):
        for unit in units:
            if transform_variant(original(unit), t, seeded_rng(0, unit.key, t.name), stats) is not None:
                made.append(t.name)
                break
        if made and not full:
            break
    masked = any(getattr(u.parse(), "masked", ()) for u in units)
    declined = getattr(stats, "declined", Counter())
    return {
        "id": fid,
        "units": len(units),
        "masked": masked,
        "made": made,
        "dropped": dict(stats.dropped),
        "declined": {f"{k[0]}: {k[1]}" if isinstance(k, tuple) else str(k): v for k, v in declined.items()},
    }


def coverage(limit: int | None, jobs: int, full: bool) -> dict:
    functions = data.stable_order(data.devign_functions())[:limit]
    items = [(f.id, f.code, full) for f in functions]
    started = time.time()
    with ProcessPoolExecutor(jobs) as pool:
        rows = list(pool.map(_one, items, chunksize=50))
    per_transform: Counter = Counter()
    dropped: Counter = Counter()
    declined: Counter = Counter()
    for r in rows:
        per_transform.update(r["made"])
        dropped.update(r["dropped"])
        declined.update(r["declined"])
    out = {
        "functions": len(rows),
        "parsed": sum(1 for r in rows if r["units"]),
        "parsed_with_a_masked_macro": sum(1 for r in rows if r["masked"]),
        "transformed": sum(1 for r in rows if r["made"]),
        "seconds": round(time.time() - started, 1),
    }
    if full:
        out["per_transform"] = dict(sorted(per_transform.items()))
        out["dropped"] = dict(sorted(dropped.items()))
        out["declined"] = dict(declined.most_common())
    return out


def gcc_coverage(want: int, jobs: int) -> dict:
    from validity.gcc import syntax_check
    from validity.measure import make_variants, total
    from validity.samples import compilable_c

    subset = compilable_c(data.stable_order(data.devign_functions()), want, jobs=jobs)
    variants, rates = make_variants(subset.units, transforms_for("c"))
    errors = syntax_check({k: subset.wrap(v.unit, v.source) for k, v in variants.items()}, jobs=jobs)
    good = {uid for (_, uid), err in errors.items() if err is None}
    per: dict[str, list[int]] = {}
    for (name, _), err in errors.items():
        per.setdefault(name, [0, 0])
        per[name][0] += 1
        per[name][1] += err is None
    del rates, total
    return {
        "compilable_functions": len(subset.units),
        "checked": subset.checked,
        "with_a_compiling_variant": len(good),
        "variants": len(errors),
        "variants_compiling": sum(1 for e in errors.values() if e is None),
        "per_transform": {k: {"variants": v[0], "compile": v[1]} for k, v in sorted(per.items())},
    }


def _masked_context(unit) -> tuple[str, str] | None:
    """(the masked function as gcc should see its macros: `#define`s, declarations for its other names) for
    a unit read with masked macro uses; None when no declarations can be made."""
    import re

    from validity.c_declarations import declarations

    code = unit.parse()
    src = code.src
    defines, shadow = [], bytearray(src)
    for m in code.masked:
        text = src[m.start : m.end].decode()
        head = re.match(r"([A-Za-z_]\w*)\s*\(", text)
        if head:  # a loop macro's head: gcc gets a loop, the masked text for the declarations one too
            defines.append(f"#define {head.group(1)}(...) for (;;)")
            shadow[m.start : m.end] = b"while(1)".ljust(m.end - m.start)
        else:
            defines.append(f"#define {text}")
            shadow[m.start : m.end] = b" " * (m.end - m.start)
    decls = declarations(bytes(shadow).decode("utf-8", "surrogateescape"))
    if decls is None:
        return None
    return "\n".join(defines) + "\n", decls


def masked_gcc(want: int, jobs: int) -> dict:
    """gcc on Devign functions that parse only with a masked macro use: each with `#define`s for its masked
    macros (an empty one for an attribute or statement macro, `for (;;)` for a loop head) and generated
    declarations; those whose original compiles are transformed (every C transform, seed 0) and every
    variant compiled."""
    from validity.gcc import syntax_check
    from validity.measure import make_variants

    units, context = [], {}
    for f in data.stable_order(data.devign_functions()):
        found = extract_units(f.code, "c", f"devign/{f.id}.c")
        if len(found) != 1 or not found[0].parse().masked:
            continue
        made = _masked_context(found[0])
        if made is not None:
            units.append(found[0])
            context[found[0].id] = made[0] + made[1]
        if len(units) >= want * 2:
            break
    errors = syntax_check({u.id: context[u.id] + u.source for u in units}, jobs=jobs)
    units = [u for u in units if errors[u.id] is None][:want]
    variants, _ = make_variants(units, transforms_for("c"))
    results = syntax_check({k: context[v.unit.id] + v.source for k, v in variants.items()}, jobs=jobs)
    per: dict[str, list[int]] = {}
    for (name, _), err in results.items():
        per.setdefault(name, [0, 0])
        per[name][0] += 1
        per[name][1] += err is None
    failures = [f"{k}: {err.splitlines()[0] if err else ''}" for k, err in results.items() if err][:20]
    return {
        "masked_functions_compiling": len(units),
        "with_a_compiling_variant": len({uid for (_, uid), err in results.items() if err is None}),
        "variants": len(results),
        "variants_compiling": sum(1 for e in results.values() if e is None),
        "per_transform": {k: {"variants": v[0], "compile": v[1]} for k, v in sorted(per.items())},
        "failures": failures,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--limit", type=int, default=None, help="only the first N functions (fixed order)")
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--gcc", type=int, default=0, help="also compile the variants of N compilable functions")
    ap.add_argument(
        "--full", action="store_true", help="every transform on every function (per-transform table)"
    )
    ap.add_argument("--gcc-masked", type=int, default=0, help="gcc on N functions read with a masked macro")
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args()
    if not data.has("devign/devign.jsonl.gz"):
        sys.exit("Devign is absent (../shared/data/devign/devign.jsonl.gz, or set METACOMPRESS_DATA)")
    result = {"coverage": coverage(args.limit, args.jobs, args.full)}
    if args.gcc:
        result["gcc"] = gcc_coverage(args.gcc, args.jobs)
    if args.gcc_masked:
        result["gcc_masked"] = masked_gcc(args.gcc_masked, args.jobs)
    text = json.dumps(result, indent=2)
    print(text)
    if args.json:
        args.json.write_text(text + "\n")


if __name__ == "__main__":
    main()
