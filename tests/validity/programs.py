"""Whole programs (our own example sources) transformed, compiled and run: behaviour, not just compilation.

Every function of a program is transformed at once (`transform_file`); the variant program must compile
and print exactly what the original prints.
"""

from __future__ import annotations

import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from metacompress_core.code.languages import language_by_name
from metacompress_core.code.units import extract_units
from metacompress_core.transforms.base import Splice, Transform, Variant, compose, seeded_rng, splice
from metacompress_core.transforms.whole_file import FileResult, transform_file
from validity.javac import compile_java, public_type

RUN_TIMEOUT_S = 20
C_BUILD_FLAGS = ("-std=gnu11", "-O0", "-Werror=implicit-function-declaration", "-Werror=implicit-int")

# Runs the main method of many classes in one JVM (a JVM start costs more than these programs), each
# class's output to its own file, so that hundreds of variant programs run in seconds.
_RUNNER = """
import java.io.*;
import java.lang.reflect.*;

public class RunMains {
    public static void main(String[] args) throws Exception {
        PrintStream real = System.out;
        for (int i = 0; i + 1 < args.length; i += 2) {
            ByteArrayOutputStream buf = new ByteArrayOutputStream();
            PrintStream out = new PrintStream(buf, true, "UTF-8");
            System.setOut(out);
            String status = "exit 0";
            try {
                Class.forName(args[i]).getMethod("main", String[].class).invoke(null, (Object) new String[0]);
            } catch (InvocationTargetException e) {
                status = "threw " + e.getCause();
            }
            out.flush();
            System.setOut(real);
            try (FileOutputStream f = new FileOutputStream(args[i + 1])) {
                f.write(buf.toByteArray());
                f.write(("\\n[" + status + "]\\n").getBytes("UTF-8"));
            }
        }
    }
}
"""


@dataclass(frozen=True)
class Program:
    path: str  # for reports
    language: str
    source: str


@dataclass(frozen=True)
class Outcome:
    """What one program did: compile errors (None: it compiled), and its output with its exit status."""

    error: str | None
    output: str | None


def variants(
    programs: Sequence[Program], transforms: Sequence[Transform], seeds: Sequence[int]
) -> dict[tuple[str, str, int], FileResult]:
    """(program path, transform, seed) -> the whole program with every function transformed once."""
    out: dict[tuple[str, str, int], FileResult] = {}
    for program in programs:
        language = language_by_name(program.language)
        for t in transforms:
            if program.language not in t.languages:
                continue
            for seed in seeds:
                result = transform_file(program.source, language, t, seed, path=program.path)
                if result.variants:
                    out[(program.path, t.name, seed)] = result
    return out


def composed_variants(
    programs: Sequence[Program], transforms: Sequence[Transform], seeds: Sequence[int], k: int = 3
) -> dict[tuple[str, str, int], FileResult]:
    """(program path, f"compose-{k}", seed) -> the program with every function changed by `k` transforms
    drawn at random and applied in turn (a function inside one already changed is left alone)."""
    out: dict[tuple[str, str, int], FileResult] = {}
    name = f"compose-{k}"
    for program in programs:
        usable = [t for t in transforms if program.language in t.languages]
        for seed in seeds:
            changed: list[Variant] = []
            for unit in extract_units(program.source, program.language, program.path):
                if any(v.unit.start_byte <= unit.start_byte < v.unit.end_byte for v in changed):
                    continue
                rng = seeded_rng(seed, unit.key, name)
                variant = compose(unit, rng.sample(usable, min(k, len(usable))), rng)
                if variant.steps:
                    changed.append(variant)
            if changed:
                src = program.source.encode("utf-8", errors="surrogateescape")
                new = splice(src, [Splice(v.unit.start_byte, v.unit.end_byte, v.source) for v in changed])
                out[(program.path, name, seed)] = FileResult(
                    new.decode("utf-8", errors="surrogateescape"), tuple(changed)
                )
    return out


def run_java(sources: Mapping[object, str], jobs: int = 2) -> dict[object, Outcome]:
    """Compile every program (one class with a main, plus its nested types) and run each main."""
    keys = list(sources)
    with tempfile.TemporaryDirectory(prefix="mc-run-java-") as tmp:
        classes = Path(tmp) / "classes"
        units = {**{k: sources[k] for k in keys}, "__runner__": _RUNNER}
        errors = compile_java(units, jobs=jobs, classes=classes)
        if any(errors.values()):  # javac writes no class files once a unit failed: build the good ones again
            good = {k: v for k, v in units.items() if errors[k] is None}
            units = good
            compile_java(units, jobs=jobs, classes=classes)
        order = list(units)
        runner = f"p{order.index('__runner__')}.RunMains"
        args: list[str] = []
        outputs: dict[object, Path] = {}
        for i, key in enumerate(order):
            main_class = public_type(units[key])
            if key == "__runner__" or main_class is None:
                continue
            outputs[key] = Path(tmp) / f"out{i}.txt"
            args += [f"p{i}.{main_class}", str(outputs[key])]
        subprocess.run(
            ["java", "-Xshare:auto", "-XX:+UseSerialGC", "-cp", str(classes), runner, *args],
            capture_output=True,
            timeout=RUN_TIMEOUT_S * max(1, len(outputs)),
        )
        result: dict[object, Outcome] = {}
        for key in keys:
            if errors[key] is not None:
                result[key] = Outcome(errors[key], None)
            else:
                path = outputs.get(key)
                text = path.read_text(encoding="utf-8") if path is not None and path.exists() else None
                result[key] = Outcome(None, text)
        return result


def run_c(sources: Mapping[object, str], jobs: int = 2) -> dict[object, Outcome]:
    """Build every program with gcc and run it: its stdout and exit status."""
    keys = list(sources)
    with tempfile.TemporaryDirectory(prefix="mc-run-c-") as tmp:

        def build_and_run(i: int) -> Outcome:
            src = Path(tmp) / f"prog{i}.c"
            exe = Path(tmp) / f"prog{i}"
            src.write_text(sources[keys[i]], encoding="utf-8")
            built = subprocess.run(
                ["gcc", *C_BUILD_FLAGS, "-o", str(exe), str(src), "-lm"], capture_output=True, text=True
            )
            if built.returncode != 0:
                return Outcome(built.stderr, None)
            ran = subprocess.run([str(exe)], capture_output=True, text=True, timeout=RUN_TIMEOUT_S)
            return Outcome(None, f"{ran.stdout}\n[exit {ran.returncode}]\n")

        with ThreadPoolExecutor(max(1, jobs)) as pool:
            return dict(zip(keys, pool.map(build_and_run, range(len(keys))), strict=True))


def read_programs(folder: Path, language: str, suffix: str) -> list[Program]:
    return [
        Program(str(p), language, p.read_text(encoding="utf-8")) for p in sorted(folder.glob(f"*{suffix}"))
    ]


def explain_failures(
    broken: Sequence[tuple[tuple[str, str, int], FileResult, Outcome]],
    programs: Mapping[str, str],
    originals: Mapping[str, Outcome],
    run,
    limit: int = 8,
) -> str:
    """For each broken variant program, the changed functions that break it on their own (each spliced
    alone into the original program and run), with their diff and what went wrong."""
    singles: dict[tuple[int, int], str] = {}
    for i, (key, result, _) in enumerate(broken[:limit]):
        src = programs[key[0]].encode("utf-8", errors="surrogateescape")
        for j, v in enumerate(result.variants):
            alone = splice(src, [Splice(v.unit.start_byte, v.unit.end_byte, v.source)])
            singles[(i, j)] = alone.decode("utf-8", errors="surrogateescape")
    outcomes = run(singles)
    lines: list[str] = []
    for i, (key, result, outcome) in enumerate(broken[:limit]):
        path, transform, seed = key
        lines.append(f"=== {transform} (seed {seed}) on {path}")
        expected = originals[path].output
        found = False
        for j, v in enumerate(result.variants):
            alone = outcomes[(i, j)]
            if alone.error is None and alone.output == expected:
                continue
            found = True
            why = alone.error or f"prints:\n{alone.output}\ninstead of:\n{expected}"
            lines += [f"{v.unit.qualname}: {v.description}", why.strip(), v.diff()]
        if not found:
            lines.append("no changed function breaks it alone: " + (outcome.error or "the output differs"))
    if len(broken) > limit:
        lines.append(f"... and {len(broken) - limit} more")
    return "\n".join(lines)


OWN_SEEDS = (0, 1, 2)
OWN_COMPOSE_SEEDS = tuple(range(6))  # every function changed by 3 random transforms in turn


def assert_own_programs_keep_their_output(folders: Sequence[Path], language: str, suffix: str, run) -> None:
    """Every program in `folders` builds and prints something; each of its transformed variants (every
    transform at OWN_SEEDS, and 3-transform compositions) builds and prints exactly the same."""
    from metacompress_core.transforms.registry import transforms_for

    programs = [p for folder in folders for p in read_programs(folder, language, suffix)]
    assert programs
    originals = run({p.path: p.source for p in programs})
    for path, outcome in originals.items():
        assert outcome.error is None and outcome.output, (
            f"{path} must build and run as it is: {outcome.error}"
        )
    made = variants(programs, transforms_for(language), OWN_SEEDS)
    made.update(composed_variants(programs, transforms_for(language), OWN_COMPOSE_SEEDS))
    assert made, f"no {language} transform changed any example"
    outcomes = run({key: result.source for key, result in made.items()})
    broken = [
        (key, made[key], outcome)
        for key, outcome in sorted(outcomes.items())
        if outcome.error is not None or outcome.output != originals[key[0]].output
    ]
    assert not broken, f"{len(broken)} of {len(outcomes)} variant programs fail:\n" + explain_failures(
        broken, {p.path: p.source for p in programs}, originals, run
    )
