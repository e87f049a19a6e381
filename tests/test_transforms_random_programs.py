"""Random straight-line-and-branch programs (fixed seeds): every variant of every expression/statement
transform, and random compositions of them, computes what the original computes (Java, C, Python)."""

from __future__ import annotations

import random

import pytest
from program_runs import HAVE_GCC, HAVE_JAVA, Program, run_c, run_java, run_python, variants

from metacompress_core.code.parsing import parse
from metacompress_core.transforms.base import apply_random
from metacompress_core.transforms.families import (
    assignments,
    booleans,
    expressions,
    formatting,
    reorder,
    variables,
)

FAMILIES = (expressions, booleans, assignments, variables, reorder, formatting)
SEEDS = range(8)


class _Gen:
    """Programs over a few int locals: declarations, (compound) assignments, increments, if/else with
    && || ! and comparisons, a counted loop. C uses unsigned arithmetic (no undefined overflow)."""

    def __init__(self, lang: str, seed: int):
        self.lang, self.rng, self.lines, self.loops = lang, random.Random(seed), [], 0
        # Python: parameters could be of any type, so arithmetic uses locals that start as int literals (the
        # transforms know those are ints); the parameters steer the branches.
        self.vars = ["c", "d"] if lang == "python" else ["a", "b"]
        self.params = ["a", "b"]
        if lang == "python":
            self.lines = ["    c = 7", "    d = 2"]

    def expr(self, depth: int = 0) -> str:
        r = self.rng
        if depth > 2 or r.random() < 0.3:
            return r.choice(self.vars) if r.random() < 0.7 else str(r.randint(0, 9))
        op = r.choice(["+", "-", "*", "&", "|", "^"])
        if op == "*":  # by a literal only: Python ints must not grow without bound in the loops
            return f"({self.expr(depth + 1)} * {r.randint(0, 9)})"
        return f"({self.expr(depth + 1)} {op} {self.expr(depth + 1)})"

    def cond(self, depth: int = 0) -> str:
        r = self.rng
        if depth > 1 or r.random() < 0.4:
            lit = str(r.randint(0, 9))
            names = self.vars + self.params
            return f"{r.choice(names)} {r.choice(['<', '<=', '>', '>=', '==', '!='])} {r.choice([lit, r.choice(names)])}"
        if self.lang == "python":
            return r.choice(
                [
                    f"{self.cond(depth + 1)} and {self.cond(depth + 1)}",
                    f"{self.cond(depth + 1)} or {self.cond(depth + 1)}",
                    f"not ({self.cond(depth + 1)})",
                ]
            )
        return r.choice(
            [
                f"{self.cond(depth + 1)} && {self.cond(depth + 1)}",
                f"{self.cond(depth + 1)} || {self.cond(depth + 1)}",
                f"!({self.cond(depth + 1)})",
            ]
        )

    def stmt(self, indent: str, depth: int) -> None:
        r, py, t = self.rng, self.lang == "python", ("unsigned" if self.lang == "c" else "int")
        end = "" if py else ";"
        kind = r.choice(
            ["decl", "assign", "compound", "long", "inc", "if", "for"]
            if depth < 2
            else ["assign", "compound", "inc"]
        )
        v = r.choice(self.vars)
        if kind == "decl" and depth == 0:
            name = f"v{len(self.vars)}"
            self.lines.append(f"{indent}{'' if py else t + ' '}{name} = {self.expr()}{end}")
            self.vars.append(name)
        elif kind in ("assign", "decl"):
            self.lines.append(f"{indent}{v} = {self.expr()}{end}")
        elif kind == "compound":
            op = r.choice(["+=", "-=", "*=", "^=", "|=", "&="])
            value = str(r.randint(0, 9)) if op == "*=" else self.expr()
            self.lines.append(f"{indent}{v} {op} {value}{end}")
        elif kind == "long":
            self.lines.append(f"{indent}{v} = {v} {r.choice(['+', '-', '^'])} {self.expr()}{end}")
        elif kind == "inc":
            self.lines.append(f"{indent}{v} += 1" if py else f"{indent}{v}{r.choice(['++', '--'])};")
        elif kind == "if":
            self.lines.append(f"{indent}if {self.cond()}:" if py else f"{indent}if ({self.cond()}) {{")
            for _ in range(r.randint(1, 3)):
                self.stmt(indent + "    ", depth + 1)
            self.lines.append(f"{indent}else:" if py else f"{indent}}} else {{")
            self.stmt(indent + "    ", depth + 1)
            if not py:
                self.lines.append(f"{indent}}}")
        else:
            self.loops += 1
            k = f"k{self.loops}"
            self.lines.append(
                f"{indent}for {k} in range(3):" if py else f"{indent}for (int {k} = 0; {k} < 3; {k}++) {{"
            )
            for _ in range(r.randint(1, 3)):
                self.stmt(indent + "    ", depth + 1)
            if not py:
                self.lines.append(f"{indent}}}")

    def program(self) -> str:
        for _ in range(self.rng.randint(6, 12)):
            self.stmt("    ", 0)
        names = self.vars + (self.params if self.lang == "python" else [])
        mix = " ^ ".join(f"({v} * {i + 3})" for i, v in enumerate(names))
        if self.lang == "python":
            head, ret = "def f(a, b):", f"    return ({mix}) % (2 ** 64)"
        elif self.lang == "java":
            head, ret = "static long f(int a, int b) {", f"    return {mix};"
        else:
            head, ret = "unsigned long long f(unsigned a, unsigned b) {", f"    return {mix};"
        return "\n".join([head, *self.lines, ret] + ([] if self.lang == "python" else ["}"])) + "\n"


ARGS = ((0, 0), (1, 2), (7, 3), (1000, 77), (12345, 999))


def _all_variants(source: str, lang: str, seed: int, per_transform: int = 8) -> list[str]:
    """Variants by each transform (a fixed sample of at most `per_transform` sites), and compositions."""
    out = []
    pick = random.Random(seed)
    for family in FAMILIES:
        for t in family.TRANSFORMS:
            if lang in t.languages:
                texts = [text for _, text in variants(source, lang, t, seeds=(seed,))]
                out += pick.sample(texts, min(per_transform, len(texts)))
    rng = random.Random(seed)
    transforms = [t for f in FAMILIES for t in f.TRANSFORMS if lang in t.languages]
    for _ in range(4):  # compositions: five random steps each
        code = parse(source, lang, unit=True)
        for _ in range(5):
            result = apply_random(code, rng.choice(transforms), rng)
            code = result[0] if result is not None else code
        out.append(code.text)
    return out


def test_python_random_programs():
    count = 0
    for seed in SEEDS:
        source = _Gen("python", seed).program()
        want = run_python(source, "f", ARGS)
        for text in _all_variants(source, "python", seed):
            assert run_python(text, "f", ARGS) == want, f"seed {seed}:\n{source}\n---\n{text}"
            count += 1
    assert count > 100


@pytest.mark.slow
@pytest.mark.skipif(not HAVE_JAVA, reason="needs javac and java")
def test_java_random_programs(tmp_path):
    programs, expected = {}, {}
    calls = tuple(f"f({a}, {b})" for a, b in ARGS)
    for seed in SEEDS:
        source = _Gen("java", seed).program()
        programs[f"O{seed}"] = Program(source, calls)
        for j, text in enumerate(_all_variants(source, "java", seed)):
            programs[f"V{seed}_{j}"] = Program(text, calls)
            expected[f"V{seed}_{j}"] = f"O{seed}"
    out = run_java(programs, tmp_path)
    for key, orig in expected.items():
        assert out[key] == out[orig], f"{key}:\n{programs[orig].source}\n---\n{programs[key].source}"
    assert len(expected) > 100


@pytest.mark.skipif(not HAVE_GCC, reason="needs gcc")
def test_c_random_programs(tmp_path):
    programs, expected = {}, {}
    calls = tuple(f"f({a}u, {b}u)" for a, b in ARGS)
    for seed in SEEDS:
        source = _Gen("c", seed).program()
        programs[f"O{seed}"] = Program(source, calls)
        for j, text in enumerate(_all_variants(source, "c", seed)):
            programs[f"V{seed}_{j}"] = Program(text, calls)
            expected[f"V{seed}_{j}"] = f"O{seed}"
    out = run_c(programs, tmp_path)
    for key, orig in expected.items():
        assert out[key] == out[orig], f"{key}:\n{programs[orig].source}\n---\n{programs[key].source}"
    assert len(expected) > 100
