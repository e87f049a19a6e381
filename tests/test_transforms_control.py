"""Control-flow transforms keep behaviour: every variant at every site is compiled and run (javac + java,
gcc) or executed (Python), and its output is compared with the original's. Structural tests pin the tricky
cases (continue and the update, labels, fall-through, else-if chains, scoping, CRLF)."""

from __future__ import annotations

import random
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
from random_control_programs import programs as random_programs

from metacompress_core.code import extract_units, parse
from metacompress_core.transforms.base import apply_random, compose, splice
from metacompress_core.transforms.families import blocks, conditionals, loops, switch
from metacompress_core.transforms.registry import TRANSFORMS as REGISTERED

FIXTURES = Path(__file__).parent / "fixtures" / "control"
MINE = {
    t.name: t for t in (*loops.TRANSFORMS, *conditionals.TRANSFORMS, *switch.TRANSFORMS, *blocks.TRANSFORMS)
}
PER_VARIANT_SECONDS = 5  # a variant that runs longer hangs (the originals take milliseconds)


def seeds_for(transform: str, site_index: int) -> tuple[int, ...]:
    """Seeds to try at one site: the rng picks a dead-code template and a run length; rotating the seed with
    the site covers every choice across sites without compiling each site several times."""
    if transform == "wrap-block":
        return (site_index, site_index + 1)
    return (site_index,)


@dataclass(frozen=True)
class Variant:
    transform: str
    detail: str
    source: str  # the whole program


def crlf(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\n", "\r\n")


def variants_of(source: str, language: str, transform) -> list[Variant]:
    """One variant per site and seed (deduplicated), each spliced back into the whole program. Every rewrite
    must re-parse cleanly."""
    data = source.encode()
    out: dict[str, Variant] = {}
    for unit in extract_units(source, language):
        code = unit.parse()
        for k, site in enumerate(transform.sites(code)):
            for seed in seeds_for(transform.name, k):
                rewrite = transform.rewrite(code, site, random.Random(seed))
                if rewrite is None or not rewrite.splices:  # declined
                    continue
                new_unit = splice(code.src, rewrite.splices)
                assert not parse(new_unit, language, unit=True).has_errors(), (
                    f"{transform.name} ({rewrite.detail}) does not parse:\n{new_unit.decode()}"
                )
                whole = (data[: unit.start_byte] + new_unit + data[unit.end_byte :]).decode()
                out.setdefault(whole, Variant(transform.name, f"{unit.qualname}: {rewrite.detail}", whole))
    return list(out.values())


def composed_variants(source: str, language: str, count: int) -> list[Variant]:
    """Chains of all control transforms in random orders, applied unit by unit."""
    mine = [t for t in MINE.values() if language in t.languages]
    out = []
    for seed in range(count):
        rng = random.Random(seed)
        data = source.encode()
        for unit in sorted(extract_units(source, language), key=lambda u: -u.start_byte):
            order = [*mine, *mine]
            rng.shuffle(order)
            variant = compose(unit, order, rng)
            data = data[: unit.start_byte] + variant.source.encode() + data[unit.end_byte :]
        out.append(Variant("composed", f"seed {seed}", data.decode()))
    return out


def all_variants(sources: list[str], language: str, composed: int = 4) -> list[Variant]:
    out = []
    for source in sources:
        for t in MINE.values():
            if language in t.languages:
                out += variants_of(source, language, t)
        out += composed_variants(source, language, composed)
    return out


# ----------------------------------------------------------------------------------------------- runners


def run_java(programs: dict[str, str], tmp: Path) -> dict[str, str]:
    """Compile every program (class name -> source) in one javac call and run them all in one JVM: the
    output of each class's static run()."""
    for name, src in programs.items():
        (tmp / f"{name}.java").write_text(src)
    names = ", ".join(f'"{n}"' for n in programs)
    (tmp / "RunAll.java").write_text(
        "import java.util.concurrent.*;\n"
        "public class RunAll { public static void main(String[] args) throws Exception {\n"
        "  ExecutorService pool = Executors.newCachedThreadPool(r -> { Thread t = new Thread(r); t.setDaemon(true); return t; });\n"
        f"  for (String n : new String[] {{{names}}}) {{\n"
        '    System.out.println("@@" + n);\n'
        '    Future<Object> run = pool.submit(() -> Class.forName(n).getMethod("run").invoke(null));\n'
        f"    try {{ System.out.println(run.get({PER_VARIANT_SECONDS}, TimeUnit.SECONDS)); }}\n"
        '    catch (TimeoutException e) { System.out.println("TIMEOUT"); }\n'
        '    catch (ExecutionException e) { System.out.println("EXC " + e.getCause().getCause()); }\n'
        "    System.out.flush();\n  }\n  System.exit(0);\n}}\n"
    )
    files = sorted(str(p.name) for p in tmp.glob("*.java"))
    compiled = subprocess.run(
        [
            "javac",
            "-nowarn",
            "-proc:none",
            "-J-XX:+UseSerialGC",
            "-XDshould-stop.ifError=FLOW",
            "-d",
            "out",
            *files,
        ],
        cwd=tmp,
        capture_output=True,
        text=True,
    )
    if compiled.returncode != 0:
        return {"<javac>": compiled.stderr}
    ran = subprocess.run(
        ["java", "-XX:+UseSerialGC", "-Xshare:auto", "-cp", "out", "RunAll"],
        cwd=tmp,
        capture_output=True,
        text=True,
        timeout=300,
    )
    return _split_outputs(ran.stdout)


def c_file_scope_names(source: str) -> list[str]:
    """Functions and globals defined at file scope (they are renamed per variant by macros)."""
    code = parse(source, "c")
    names = []
    for node in code.root.named_children:
        declarator = node.child_by_field_name("declarator")
        while declarator is not None and declarator.type != "identifier":
            declarator = declarator.child_by_field_name("declarator")
        if node.type in ("function_definition", "declaration") and declarator is not None:
            names.append(code.node_text(declarator))
    return names


def run_c(programs: dict[str, str], tmp: Path) -> dict[str, str]:
    """Compile every program (name -> source with a static run()) into one translation unit, each renamed
    apart by macros, and run them all: gcc starts once."""
    parts, owners = ["#include <stdio.h>\n"], []
    for name, src in programs.items():
        names = c_file_scope_names(src)
        parts += [f"#define {n} {n}_{name}\n" for n in names]
        start = sum(p.count("\n") for p in parts) + 1
        parts.append(src + f"\nvoid {name}_entry(void) {{ run(); }}\n")
        owners.append((start, sum(p.count("\n") for p in parts), name))
        parts += [f"#undef {n}\n" for n in names]
    # Each program runs in a child process with an alarm: a hang or crash is reported for that program alone.
    parts.append(
        "#include <unistd.h>\n#include <sys/wait.h>\n"
        "static void one(const char *name, void (*entry)(void)) {\n"
        '  printf("@@%s\\n", name); fflush(stdout);\n'
        f"  pid_t pid = fork();\n  if (pid == 0) {{ alarm({PER_VARIANT_SECONDS}); entry(); fflush(stdout); _exit(0); }}\n"
        '  int status = 0; waitpid(pid, &status, 0);\n  if (!WIFEXITED(status)) printf("HUNG OR CRASHED %d\\n", status);\n'
        "  fflush(stdout);\n}\n"
    )
    calls = "".join(f'  one("{n}", {n}_entry);\n' for n in programs)
    parts.append(f"int main(void) {{\n{calls}  return 0;\n}}\n")
    (tmp / "all.c").write_text("".join(parts))
    compiled = subprocess.run(
        ["gcc", "-std=gnu11", "-w", "-O0", "-o", "prog", "all.c"], cwd=tmp, capture_output=True, text=True
    )
    if compiled.returncode != 0:
        lines = {int(m) for m in re.findall(r"^all\.c:(\d+):", compiled.stderr, re.M)}
        bad = sorted({name for line in lines for start, end, name in owners if start <= line <= end})
        return {"<gcc>": "\n".join(f"{name}.c: error" for name in bad) + "\n" + compiled.stderr}
    ran = subprocess.run(["./prog"], cwd=tmp, capture_output=True, text=True, timeout=300)
    return _split_outputs(ran.stdout)


def _split_outputs(stdout: str) -> dict[str, str]:
    out, name = {}, None
    for line in stdout.splitlines(keepends=True):
        if line.startswith("@@"):
            name = line[2:].strip()
            out[name] = ""
        elif name is not None:
            out[name] += line
    return out


def compile_errors_by_file(stderr: str, variants: dict[str, Variant]) -> str:
    bad = sorted(set(re.findall(r"^(\w+)\.(?:java|c):", stderr, re.M)))
    shown = [
        f"{name}: {variants[name].transform} {variants[name].detail}" for name in bad if name in variants
    ]
    return "\n".join(shown) + "\n" + stderr[:4000]


# ------------------------------------------------------------------------------------- behaviour: Java


JAVA_PROGRAMS = {
    "Loops": (FIXTURES / "Loops.java").read_text(),
    "Branches": (FIXTURES / "Branches.java").read_text(),
}


@pytest.fixture(scope="module")
def java_results(tmp_path_factory):
    if shutil.which("javac") is None or shutil.which("java") is None:
        pytest.skip("javac/java not installed")
    programs, variants = {}, {}
    for base, src in JAVA_PROGRAMS.items():
        sources = [src, crlf(src)] if base == "Loops" else [src]
        for i, variant in enumerate([Variant("original", "", src)] + all_variants(sources, "java")):
            name = f"{base}V{i}"
            programs[name] = re.sub(rf"\b{base}\b", name, variant.source)
            variants[name] = variant
    outputs = run_java(programs, tmp_path_factory.mktemp("java"))
    if "<javac>" in outputs:
        pytest.fail("variants do not compile:\n" + compile_errors_by_file(outputs["<javac>"], variants))
    return variants, outputs


def _check(variants: dict[str, Variant], outputs: dict[str, str], originals: dict[str, str], transform: str):
    checked, wrong = 0, []
    for name, variant in variants.items():
        if variant.transform != transform:
            continue
        base = re.match(r"[A-Za-z]+?(?=V\d+$)|[a-z]+(?=_v\d+$)", name).group(0)
        expected = outputs.get(originals[base])
        assert expected, f"the original {base} produced nothing"
        checked += 1
        if outputs.get(name) != expected:
            wrong.append(
                f"{name}: {variant.detail}\n  got: {outputs.get(name, '<no output: hung or crashed>')[:300]!r}"
            )
    assert not wrong, f"{len(wrong)} of {checked} variants changed behaviour:\n" + "\n".join(wrong)
    return checked


JAVA_TRANSFORMS = sorted(n for n, t in MINE.items() if "java" in t.languages) + ["composed"]


@pytest.mark.parametrize("transform", JAVA_TRANSFORMS)
def test_java_variants_compile_and_behave_like_the_original(java_results, transform):
    variants, outputs = java_results
    originals = {base: f"{base}V0" for base in JAVA_PROGRAMS}
    checked = _check(variants, outputs, originals, transform)
    assert checked >= 2, f"{transform}: only {checked} variants: the fixtures should exercise it"


# ---------------------------------------------------------------------------------------- behaviour: C

C_SOURCE = (FIXTURES / "control.c").read_text()


@pytest.fixture(scope="module")
def c_results(tmp_path_factory):
    if shutil.which("gcc") is None:
        pytest.skip("gcc not installed")
    programs, variants = {}, {}
    for i, variant in enumerate(
        [Variant("original", "", C_SOURCE)] + all_variants([C_SOURCE, crlf(C_SOURCE)], "c")
    ):
        name = f"prog_v{i}"
        programs[name] = variant.source
        variants[name] = variant
    outputs = run_c(programs, tmp_path_factory.mktemp("c"))
    if "<gcc>" in outputs:
        pytest.fail("variants do not compile:\n" + compile_errors_by_file(outputs["<gcc>"], variants))
    return variants, outputs


C_TRANSFORMS = sorted(n for n, t in MINE.items() if "c" in t.languages) + ["composed"]


@pytest.mark.parametrize("transform", C_TRANSFORMS)
def test_c_variants_compile_and_behave_like_the_original(c_results, transform):
    variants, outputs = c_results
    checked = _check(variants, outputs, {"prog": "prog_v0"}, transform)
    assert checked >= 2, f"{transform}: only {checked} variants: the fixture should exercise it"


# ----------------------------------------------------------------------------------- behaviour: Python

PY_SOURCE = (FIXTURES / "control_prog.py").read_text()


def _run_python(source: str):
    namespace: dict = {"__name__": "control_variant"}
    exec(compile(source, "<variant>", "exec"), namespace)
    return namespace["run"]()


PY_TRANSFORMS = sorted(n for n, t in MINE.items() if "python" in t.languages) + ["composed"]


@pytest.mark.parametrize("transform", PY_TRANSFORMS)
def test_python_variants_behave_like_the_original(transform):
    expected = _run_python(PY_SOURCE)
    candidates = [v for v in all_variants([PY_SOURCE, crlf(PY_SOURCE)], "python") if v.transform == transform]
    assert len(candidates) >= 2
    for v in candidates:
        assert _run_python(v.source) == expected, f"{v.detail}\n{v.source}"


def test_python_loops_are_not_offered():
    assert "python" not in MINE["for-to-while"].languages
    assert "python" not in MINE["while-to-for"].languages


# ------------------------------------------------------------------------- behaviour: random programs

RANDOM_COUNT = 30  # functions per language
SAMPLED = {"wrap-block", "insert-dead-code"}  # frequent everywhere: a few sites per function are enough


def random_program_variants(language: str) -> tuple[dict[str, str], dict[str, tuple[str, str]]]:
    """Every random function, its variants at every site (a sample for the frequent transforms) and random
    chains of transforms, each renamed apart: name -> function text, and name -> (original name, detail)."""
    functions, origin = {}, {}
    mine = [t for t in MINE.values() if language in t.languages]
    for n, text in enumerate(random_programs(language, RANDOM_COUNT)):
        base = f"run{n}"
        functions[base], origin[base] = text, (base, "original")
        code = one_unit(text, language)
        rng = random.Random(n)
        k = 0
        for t in mine:
            sites = t.sites(code)
            if t.name in SAMPLED and len(sites) > 4:
                sites = rng.sample(sites, 4)
            for site in sites:
                rewrite = t.rewrite(code, site, random.Random(k))
                if rewrite is None or not rewrite.splices:  # declined
                    continue
                variant = splice(code.src, rewrite.splices).decode()
                assert not parse(variant, language, unit=True).has_errors(), f"{rewrite.detail}\n{variant}"
                k += 1
                functions[f"{base}_{k}"] = variant.replace(f"{base}(", f"{base}_{k}(", 1)
                origin[f"{base}_{k}"] = (base, f"{t.name}: {rewrite.detail}")
        for _ in range(3):
            current, steps = code, []
            for _ in range(8):
                result = apply_random(current, rng.choice(mine), rng)
                if result is not None:
                    current, rewrite = result
                    steps.append(rewrite.detail)
            k += 1
            functions[f"{base}_{k}"] = current.text.replace(f"{base}(", f"{base}_{k}(", 1)
            origin[f"{base}_{k}"] = (base, "chain: " + "; ".join(steps))
    return functions, origin


def run_functions(language: str, functions: dict[str, str], tmp: Path) -> dict[str, str]:
    """Compile all functions into one class / translation unit and print each one's result."""
    if language == "java":
        calls = "".join(f'        System.out.println("{n}=" + {n}());\n' for n in functions)
        body = "".join(functions.values())
        (tmp / "RandomPrograms.java").write_text(
            f"public class RandomPrograms {{\n{body}\n    public static void main(String[] a) {{\n{calls}    }}\n}}\n"
        )
        build = ["javac", "-nowarn", "-proc:none", "-J-XX:+UseSerialGC", "-d", "out", "RandomPrograms.java"]
        command = ["java", "-XX:+UseSerialGC", "-Xshare:auto", "-cp", "out", "RandomPrograms"]
    else:
        calls = "".join(f'    printf("{n}=%ld\\n", {n}()); fflush(stdout);\n' for n in functions)
        body = "".join(functions.values())
        (tmp / "random.c").write_text(
            f"#include <stdio.h>\n{body}\nint main(void) {{\n{calls}    return 0;\n}}\n"
        )
        build = ["gcc", "-std=gnu11", "-w", "-O0", "-o", "random", "random.c"]
        command = ["./random"]
    compiled = subprocess.run(build, cwd=tmp, capture_output=True, text=True)
    if compiled.returncode != 0:
        return {"<compile>": compiled.stderr}
    try:
        ran = subprocess.run(command, cwd=tmp, capture_output=True, text=True, timeout=120)
        stdout = ran.stdout
    except subprocess.TimeoutExpired as e:
        stdout = (e.stdout or b"").decode() if isinstance(e.stdout, bytes) else (e.stdout or "")
    return dict(line.split("=", 1) for line in stdout.splitlines() if "=" in line)


@pytest.mark.parametrize("language", ["java", "c"])
def test_random_control_flow_programs_keep_their_results(language, tmp_path):
    if shutil.which("javac" if language == "java" else "gcc") is None:
        pytest.skip("compiler not installed")
    functions, origin = random_program_variants(language)
    results = run_functions(language, functions, tmp_path)
    assert "<compile>" not in results, results.get("<compile>", "")[:5000]
    wrong = []
    for name, (base, detail) in origin.items():
        if results.get(name) != results.get(base):
            wrong.append(f"{name} ({detail}): {results.get(name, 'no result: hung?')} != {results.get(base)}")
    assert not wrong, f"{len(wrong)} of {len(origin)} variants differ:\n" + "\n".join(wrong[:20])
    kinds = {detail.split(":")[0] for _, detail in origin.values()}
    expected = {t.name for t in MINE.values() if language in t.languages} | {"original", "chain"}
    assert expected <= kinds, f"not exercised: {expected - kinds}"


# --------------------------------------------------------------------------------------- structure


def one_unit(source: str, language: str):
    code = parse(source, language, unit=True)
    assert not code.has_errors()
    return code


def rewrite_all(source: str, language: str, name: str, seed: int = 0) -> list[str]:
    """The unit rewritten at each of the transform's sites."""
    code = one_unit(source, language)
    t = MINE[name]
    out = []
    for site in t.sites(code):
        rewrite = t.rewrite(code, site, random.Random(seed))
        if rewrite is not None and rewrite.splices:
            out.append(splice(code.src, rewrite.splices).decode())
    return out


JAVA_CONTINUE = """static int f(int n) {
    int s = 0;
    outer:
    for (int i = 0, j = 9; i < n; i++, j--) {
        for (int k = 0; k < 3; k++) {
            if (k == i) continue outer;
            if (k == 1) continue;
            s += k;
        }
        switch (i) {
            case 2:
                continue;
            default:
                s += j;
        }
    }
    return s;
}
"""


def test_for_to_while_runs_the_update_before_each_continue_it_owns():
    outer_first = rewrite_all(JAVA_CONTINUE, "java", "for-to-while")[0]
    assert "{ i++; j--; continue outer; }" in outer_first
    assert "{ i++; j--; continue; }" in outer_first  # the continue inside the switch belongs to the loop
    assert "if (k == 1) continue;" in outer_first  # the inner loop's own continue is left alone
    assert "outer:\n        while (i < n) {" in outer_first  # the label stays on the loop, inside the block
    assert "int i = 0, j = 9;" in outer_first
    inner = rewrite_all(JAVA_CONTINUE, "java", "for-to-while")[1]
    assert "if (k == 1) { k++; continue; }" in inner
    assert "if (k == i) continue outer;" in inner  # a labelled continue to the outer loop: no inner update


def test_for_with_empty_parts_and_field_update():
    src = (
        "static void f() {\n    for (;;) {\n        if (g()) break;\n    }\n    for (x = 0; x < 3;) x++;\n}\n"
    )
    variants = rewrite_all(src, "java", "for-to-while")
    assert "while (true) {" in variants[0]
    assert "x = 0;\n    while (x < 3) x++;" in variants[1]  # expression init: no block needed
    c_variants = rewrite_all(src.replace("static void", "void"), "c", "for-to-while")
    assert "while (1) {" in c_variants[0]


def test_for_to_while_declines_where_the_update_would_be_unreachable_or_shadowed():
    java = "static void f(int n) {\n    for (int i = 0; i < n; i++) {\n        if (n > 2) return;\n        continue;\n    }\n}\n"
    assert rewrite_all(java, "java", "for-to-while") == []
    c = "int f(int n) {\n    int i, s = 0;\n    for (i = 0; i < n; i++) {\n        int i = 3;\n        s += i;\n    }\n    return s;\n}\n"
    assert rewrite_all(c, "c", "for-to-while") == []  # the body's i would capture the update
    macro = "int f(int n) {\n    int i;\n    for (i = 0; i < n; i++) {\n        SKIP_IF(i);\n    }\n    return 0;\n}\n"
    assert rewrite_all(macro, "c", "for-to-while") == []  # a macro might hide a continue


def test_do_while_to_while_declines_when_continue_would_skip_the_condition():
    src = "void f(int x) {\n    do {\n        if (x) continue;\n        x++;\n    } while (x < 3);\n}\n"
    assert rewrite_all(src, "c", "do-while-to-while") == []
    plain = rewrite_all(src.replace("if (x) continue;", "x += 2;"), "c", "do-while-to-while")
    assert "while (1) {" in plain[0] and "if (!(x < 3)) break;\n    }" in plain[0]


def test_while_to_for():
    (out,) = rewrite_all("void f(int n) {\n    while (n-- > 0) g(n);\n}\n", "c", "while-to-for")
    assert "for (; n-- > 0; ) g(n);" in out


def test_swap_if_else_leaves_else_if_chains_and_dangling_else_alone():
    src = (
        "static void f(int x) {\n    if (x == 1) a(); else if (x == 2) b(); else { c(); }\n"
        "    if (x < 0) a(); else for (int i = 0; i < 3; i++) if (i == x) b();\n}\n"
    )
    (out,) = rewrite_all(src, "java", "swap-if-else")
    assert "if (x == 1) a(); else if (!(x == 2)) { c(); } else b();" in out


def test_swap_if_else_python_swaps_only_the_last_elif_pair_and_negates_with_not():
    src = (
        "def f(x):\n    if x == 1:\n        a()\n    elif x:\n        b()\n    else:\n        c()\n"
        "    if x > 0 and x < 5:\n        d()\n    else:\n        e()\n"
    )
    chain, plain = rewrite_all(src, "python", "swap-if-else")
    assert "    if x == 1:\n        a()\n    elif not x:\n        c()\n    else:\n        b()\n" in chain
    assert "    if not (x > 0 and x < 5):\n        e()\n    else:\n        d()\n" in plain


SWITCHES = """static int f(int x, String s) {
    int t = 0;
    switch (x) {
        case 1:
            t++;
        case 2:
            t--;
            break;
    }
    switch (s) {
        case "a": t = 1; break;
        default: t = 2;
    }
    switch (x) {
        case 0:
            if (t > 5) break;
            t = 3;
            break;
        default:
            t = 4;
    }
    switch (t + 1) {
        case 0: t = 1; break;
        default: t = 2;
    }
    switch (x) {
        case 1: t = 5; break;
        default: t = 6; break;
        case 2: case 3: t = 7; break;
    }
    return t;
}
"""


def test_switch_to_if_is_offered_only_where_exact():
    code = one_unit(SWITCHES, "java")
    sites = MINE["switch-to-if"].sites(code)
    # fall-through, a String subject, a break inside a case, a computed subject: all skipped
    assert len(sites) == 1
    (out,) = rewrite_all(SWITCHES, "java", "switch-to-if")
    expected = "if (x == 1) {\n        t = 5;\n    } else if (x == 2 || x == 3) {\n        t = 7;\n    } else {\n        t = 6;\n    }"
    assert expected in out


def test_wrap_block_keeps_declarations_that_are_used_later_in_scope():
    src = "static int f(int n) {\n    int a = n;\n    int b = a + 1;\n    int c = 2;\n    return a + c;\n}\n"
    code = one_unit(src, "java")
    t = MINE["wrap-block"]
    runs = {}
    for site in t.sites(code):
        block, i = site.data
        stmts = code.root.child_by_field_name("body").named_children
        runs[code.node_text(site.node)] = t._runs(code, stmts, i, blocks._uses_after(code, stmts))
    # run lengths that may start at each statement: a run may end only where nothing it declares is used later
    assert runs == {"int a = n;": [4], "int b = a + 1;": [1, 3], "int c = 2;": [2], "return a + c;": [1]}
    for out in rewrite_all(src, "java", "wrap-block"):
        assert not parse(out, "java", unit=True).has_errors()


def test_insert_dead_code_never_before_this_call_or_docstring():
    java = "Box() {\n    this(7);\n    log(1);\n}\n"
    (out,) = rewrite_all(java, "java", "insert-dead-code")  # before log(1) only
    assert out.startswith("Box() {\n    this(7);\n    ")
    assert rewrite_all(java, "java", "wrap-block") == [
        "Box() {\n    this(7);\n    {\n        log(1);\n    }\n}\n"
    ]
    py = 'def f():\n    """doc"""\n    return 1\n'
    (out,) = rewrite_all(py, "python", "insert-dead-code")
    assert out.startswith('def f():\n    """doc"""\n')


def test_crlf_stays_crlf():
    src = crlf(JAVA_CONTINUE)
    for name in ("for-to-while", "wrap-block", "insert-dead-code", "switch-to-if", "swap-if-else"):
        for out in rewrite_all(src, "java", name):
            assert "\n" not in out.replace("\r\n", ""), name


def test_details_name_the_line():
    code = one_unit(JAVA_CONTINUE, "java")
    t = MINE["for-to-while"]
    rewrite = t.rewrite(code, t.sites(code)[0], random.Random(0))
    assert rewrite.detail == "for -> while at line 4 (label outer)"


def test_registered():
    for name, t in MINE.items():
        assert REGISTERED.get(name) is t
