"""Engine overhead, batching speed-up and warm-cache time on real models and real functions.

Prints, in one run:
  - engine wall time / pure batched forward time of the same model inputs (goal <= 1.15),
  - speed-up of the engine over a per-input batch-size-1 loop (goal >= 10x),
  - the time of a warm-cache re-run.

Default models: the embedded defaults for C when installed, else the published Compressor CodeBERT (as the
"teacher") and GraphCodeBERT (as the "student") vulnerability students from ../shared/data/students.
Inputs: the functions of examples/c plus Devign test functions.

    python bench/engine.py [--units 40] [--budget 16] [--teacher DIR --student DIR] [--threads 2]
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("METACOMPRESS_DATA", REPO.parent / "shared" / "data"))


class Recording:
    """A backend wrapper that remembers every input, every output and the time spent in the model."""

    def __init__(self, backend):
        self.backend, self.inputs, self.outputs, self.seconds = backend, [], [], 0.0
        self.calls: list[list] = []  # the inputs of each call
        self.name, self.task, self.labels, self.fingerprint = (
            backend.name,
            backend.task,
            backend.labels,
            backend.fingerprint,
        )

    def predict(self, inputs):
        self.inputs.extend(inputs)
        self.calls.append(list(inputs))
        start = time.perf_counter()
        try:
            probs = self.backend.predict(inputs)
        finally:
            self.seconds += time.perf_counter() - start
        self.outputs.append(probs)
        return probs


def load_models(args):
    from metacompress_core.default_models import default_pair
    from metacompress_core.errors import MetaCompressError
    from metacompress_core.models import load_backend
    from metacompress_core.models.device import DeviceOptions

    options = DeviceOptions(threads=args.threads, batch_size=args.batch_size)
    if args.teacher:
        return (
            load_backend(args.teacher, options=options),
            load_backend(args.student, options=options),
            "given",
        )
    try:
        teacher, student, _ = default_pair("c")
        return (
            load_backend(teacher, options=options),
            load_backend(student, options=options),
            "embedded defaults",
        )
    except MetaCompressError:
        students = DATA / "students"
        manifests = REPO / "models" / "compressor"
        return (
            load_backend(manifests / "codebert-vul.json", weights_dir=students, options=options),
            load_backend(manifests / "graphcodebert-vul.json", weights_dir=students, options=options),
            "published Compressor CodeBERT/GraphCodeBERT vulnerability students",
        )


def load_units(count: int):
    from metacompress_core.code import extract_units, read_source

    units = []
    for path in sorted((REPO / "examples" / "c").glob("*.c")):
        units += extract_units(read_source(path), "c", str(path))
    devign = DATA / "devign" / "devign.jsonl.gz"
    if devign.is_file():
        with gzip.open(devign, "rt") as f:
            for line in f:
                row = json.loads(line)
                if row["split"] == "test" and len(row["code"]) < 3000:
                    units += extract_units(row["code"], "c", f"devign/{row['id']}.c")
                if len(units) >= count:
                    break
    return units[:count]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=40)
    parser.add_argument("--budget", type=int, default=16)
    parser.add_argument("--teacher")
    parser.add_argument("--student")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=32)
    args = parser.parse_args()

    from metacompress_core.engine import EngineConfig

    teacher, student, which = load_models(args)
    units = load_units(args.units)
    print(f"models: {which}\nunits: {len(units)} C functions, budget {args.budget} variants each")
    measure(teacher, student, units, EngineConfig(budget=args.budget))


def positions(backend, calls) -> str:
    """What a Hugging Face backend computes for these calls: batches and positions (tokens + padding)."""
    from metacompress_core.models.batching import padded_batches

    batches = computed = tokens = 0
    for call in calls:
        lengths = [len(backend._encode(x)[0]) for x in dict.fromkeys(call)]  # predict's distinct inputs
        for batch in padded_batches(lengths, backend.options.batch_size, backend.options.max_padding):
            batches += 1
            computed += len(batch) * max(lengths[i] for i in batch)
            tokens += sum(lengths[i] for i in batch)
    return f"{batches} batches, {computed} positions ({1 - tokens / max(computed, 1):.1%} padding)"


def batch_timing(backend, calls, repeats: int) -> None:
    """Time every distinct batch that a Hugging Face backend runs for the engine's `calls` and for one call of
    all their inputs, with fixed-size batches (max_padding 1) and with the backend's padding cap: each batch on
    its own, all in a shuffled order, best of `repeats`, then summed per case. Free of the drift that a shared
    machine puts between two long runs."""
    import random

    from metacompress_core.models.batching import padded_batches

    one_call = [list(dict.fromkeys(x for call in calls for x in call))]
    cases = {}
    for cap in dict.fromkeys((1.0, backend.options.max_padding)):
        for name, group in (("engine's calls", calls), ("one call", one_call)):
            batches = []
            for call in group:
                encoded = [backend._encode(x) for x in dict.fromkeys(call)]
                lengths = [len(ids) for ids, _ in encoded]
                for batch in padded_batches(lengths, backend.options.batch_size, cap):
                    batches.append(tuple(encoded[i] for i in batch))
            cases[(cap, name)] = batches
    best = {batch: float("inf") for batches in cases.values() for batch in batches}
    order = list(best)
    for turn in range(repeats):
        random.Random(turn).shuffle(order)
        for batch in order:
            start = time.perf_counter()
            backend._run_logits(list(batch))
            best[batch] = min(best[batch], time.perf_counter() - start)
    print(f"teacher batch by batch ({len(best)} distinct batches, each best of {repeats}, shuffled):")
    for (cap, name), batches in cases.items():
        positions = sum(len(b) * max(len(ids) for ids, _ in b) for b in batches)
        seconds = sum(best[b] for b in batches)
        print(
            f"  at most {cap:.0%} padding, {name}: {seconds:.2f} s, {len(batches)} batches, {positions} positions"
        )


def fill_cache(units, teacher, student, config, cache) -> None:
    """Check `units` once through `cache` (what an editor's first check leaves behind)."""
    from metacompress_core.engine import check_units
    from metacompress_core.models import CachedBackend

    list(check_units(units, CachedBackend(teacher, cache), CachedBackend(student, cache), config))


def measure(
    teacher, student, units, config, repeats: int = 1, batch_repeats: int = 0, cache_dir: Path | None = None
) -> dict:
    """Print (and return) engine wall, pure batched forward of the same inputs, their ratio, the batch-1 loop
    and a warm-cache re-run. With `repeats` > 1 the engine and the pure forward run in turns that many times and
    the ratio is of the best of each (on shared cores the same work varies by 10% from one minute to the next).
    With `batch_repeats`, also `batch_timing` of the teacher. The warm-cache re-run's cache is `cache_dir` when
    given (the caller re-checks against it afterwards), else a temporary folder."""
    from metacompress_core.engine import check_units
    from metacompress_core.models import CachedBackend, PredictionCache
    from metacompress_core.models.hf import HFBackend

    # Warm up both models (first-call allocations), then the engine with recording backends.
    teacher.predict(["int f(void) { return 0; }"]), student.predict(["int f(void) { return 0; }"])
    engines, forwards = [], []
    for turn in range(repeats):
        rt, rs = Recording(teacher), Recording(student)
        start = time.perf_counter()
        found = list(check_units(units, rt, rs, config))
        engines.append(time.perf_counter() - start)
        if turn == 0:
            findings, inputs, calls = found, rt.inputs, rt.calls
            print(f"model calls per model: {len(rt.calls)} (inputs per call: {[len(c) for c in rt.calls]})")
            if isinstance(teacher, HFBackend):  # a Hugging Face teacher: where its time goes
                print(f"teacher, engine's calls: {positions(teacher, rt.calls)}")
                print(f"teacher, one call: {positions(teacher, [inputs])}")
        print(
            f"engine: {engines[-1]:.2f} s for {len(rt.inputs)} model inputs per model "
            f"({rt.seconds + rs.seconds:.2f} s in the models)"
        )
        start = time.perf_counter()
        teacher.predict(inputs), student.predict(inputs)
        forwards.append(time.perf_counter() - start)
        print(f"pure batched forward of the same inputs: {forwards[-1]:.2f} s")
    engine, forward = min(engines), min(forwards)
    turns = ", ".join(f"{e / f:.3f}" for e, f in zip(engines, forwards, strict=True))
    best = f" (best of {repeats} each; turn by turn: {turns})"
    print(f"engine / pure forward: {engine / forward:.3f}{best if repeats > 1 else ''}   (goal <= 1.15)")
    if batch_repeats and isinstance(teacher, HFBackend):
        batch_timing(teacher, calls, batch_repeats)

    # Spread over all inputs: the first ones (the first chunk's) are shorter than the average, so a prefix would
    # make the loop look faster than it is (the first 200 of the 315 examples/c inputs: 94 tokens, all: 136).
    count = min(len(inputs), 200)
    sample = [inputs[i * len(inputs) // count] for i in range(count)]
    start = time.perf_counter()
    for x in sample:
        teacher.predict([x]), student.predict([x])
    loop = (time.perf_counter() - start) * len(inputs) / len(sample)
    print(f"batch-size-1 loop (extrapolated from {len(sample)} inputs): {loop:.2f} s")
    print(f"engine speed-up over the loop: {loop / engine:.1f}x   (goal >= 10x)")

    with tempfile.TemporaryDirectory() as tmp:
        cache = PredictionCache(cache_dir or tmp)
        fill_cache(units, teacher, student, config, cache)
        ct, cs = CachedBackend(teacher, cache), CachedBackend(student, cache)
        start = time.perf_counter()
        list(check_units(units, ct, cs, config))
        warm = time.perf_counter() - start
    print(f"warm-cache re-run: {warm:.2f} s ({ct.model_inputs + cs.model_inputs} inputs reached a model)")
    print(f"functions with a violation: {sum(f.has_violation for f in findings)}/{len(findings)}")
    return {"engine": engine, "forward": forward, "loop": loop, "warm": warm, "inputs": len(inputs)}


if __name__ == "__main__":
    main()
