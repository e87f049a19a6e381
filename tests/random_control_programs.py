"""Random Java/C functions full of control flow for testing control-flow transforms: nested for/while/do
loops, continue and break (Java: labelled too), switches with grouped labels, default in the middle and
fall-through, if/else-if chains, braceless bodies, comma updates and empty for-header parts.

Every loop is bounded (its counter moves before any `continue` can skip it) and the accumulator stays
small (`% 1000003`), so a program always terminates without overflow; its result is the accumulator.
"""

from __future__ import annotations

import random

MOD = 1000003


class ProgramGenerator:
    def __init__(self, rng: random.Random, language: str):
        self.rng = rng
        self.language = language
        self.counter = 0

    def fresh(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}{self.counter}"

    def function(self, name: str) -> str:
        head = f"static long {name}()" if self.language == "java" else f"static long {name}(void)"
        body = self.block(depth=0, loops=[], indent="    ")
        return f"{head} {{\n    long s = 1;\n{body}    return s;\n}}\n"

    # -- pieces

    def value(self, loops: list[str]) -> str:
        return (
            self.rng.choice([*loops, *loops, str(self.rng.randint(1, 9))])
            if loops
            else str(self.rng.randint(1, 9))
        )

    def cond(self, loops: list[str]) -> str:
        return f"(s + {self.value(loops)}) % {self.rng.randint(2, 5)} == {self.rng.randint(0, 1)}"

    def assign(self, loops: list[str]) -> str:
        return f"s = (s * {self.rng.randint(2, 37)} + {self.value(loops)}) % {MOD};"

    def block(self, depth: int, loops: list[str], indent: str, labels: tuple[str, ...] = ()) -> str:
        lines = []
        for _ in range(self.rng.randint(1, 3)):
            lines.append(self.statement(depth, loops, indent, labels))
        return "".join(lines)

    def statement(self, depth: int, loops: list[str], indent: str, labels: tuple[str, ...]) -> str:
        kinds = ["assign", "assign", "if"]
        if depth < 3:
            kinds += ["for", "for", "while", "do", "switch", "ifelse", "chain"]
        if loops:
            kinds += ["continue", "break"]
        if labels:
            kinds += ["labelled"]
        kind = self.rng.choice(kinds)
        inner = indent + "    "
        r = self.rng
        if kind == "assign":
            return f"{indent}{self.assign(loops)}\n"
        if kind == "continue":
            return f"{indent}if ({self.cond(loops)}) continue;\n"
        if kind == "break":
            return f"{indent}if ({self.cond(loops)}) break;\n"
        if kind == "labelled":
            jump = r.choice(["continue", "break"])
            return f"{indent}if ({self.cond(loops)}) {jump} {r.choice(labels)};\n"
        if kind == "if":
            if r.random() < 0.5:
                return f"{indent}if ({self.cond(loops)}) {self.assign(loops)}\n"
            return f"{indent}if ({self.cond(loops)}) {{\n{self.block(depth + 1, loops, inner, labels)}{indent}}}\n"
        if kind == "ifelse":
            if r.random() < 0.3:
                return f"{indent}if ({self.cond(loops)}) {self.assign(loops)} else {self.assign(loops)}\n"
            return (
                f"{indent}if ({self.cond(loops)}) {{\n{self.block(depth + 1, loops, inner, labels)}"
                f"{indent}}} else {{\n{self.block(depth + 1, loops, inner, labels)}{indent}}}\n"
            )
        if kind == "chain":
            out = f"{indent}if ({self.cond(loops)}) {{\n{self.block(depth + 1, loops, inner, labels)}"
            for _ in range(r.randint(1, 2)):
                out += f"{indent}}} else if ({self.cond(loops)}) {{\n{self.block(depth + 1, loops, inner, labels)}"
            if r.random() < 0.7:
                out += f"{indent}}} else {{\n{self.block(depth + 1, loops, inner, labels)}"
            return out + f"{indent}}}\n"
        if kind == "for":
            return self.for_loop(depth, loops, indent, labels)
        if kind == "while":
            w = self.fresh("w")
            body = f"{inner}{w}++;\n" + self.block(depth + 1, [*loops, w], inner, labels)
            return f"{indent}int {w} = 0;\n{indent}while ({w} < {r.randint(2, 5)}) {{\n{body}{indent}}}\n"
        if kind == "do":
            d = self.fresh("d")
            body = f"{inner}{d}++;\n" + self.block(depth + 1, [*loops, d], inner, labels)
            return f"{indent}int {d} = 0;\n{indent}do {{\n{body}{indent}}} while ({d} < {r.randint(2, 5)});\n"
        return self.switch(depth, loops, indent, labels)

    def for_loop(self, depth: int, loops: list[str], indent: str, labels: tuple[str, ...]) -> str:
        r = self.rng
        i = self.fresh("i")
        inner = indent + "    "
        bound = r.randint(2, 5)
        label = ""
        new_labels = labels
        if self.language == "java" and r.random() < 0.3:
            label = self.fresh("outer")
            new_labels = (*labels, label)
        shape = r.choice(["plain", "comma", "nocond", "outside", "braceless"])
        before = ""
        if shape == "plain":
            head = f"for (int {i} = 0; {i} < {bound}; {i}++)"
        elif shape == "comma":
            head = f"for (int {i} = 0; {i} < {bound}; {i}++, s += {r.randint(1, 3)})"
        elif shape == "nocond":
            head = f"for (int {i} = 0; ; {i}++)"
        elif shape == "outside":
            before = f"{indent}int {i};\n"
            head = f"for ({i} = 0; {i} < {bound}; {i} += 1)"
        else:
            return f"{indent}for (int {i} = 0; {i} < {bound}; {i}++) {self.assign([*loops, i])}\n"
        body = self.block(depth + 1, [*loops, i], inner, new_labels)
        if shape == "nocond":
            body = f"{inner}if ({i} >= {bound}) break;\n" + body
        prefix = f"{label}: " if label else ""
        return f"{before}{indent}{prefix}{head} {{\n{body}{indent}}}\n"

    def switch(self, depth: int, loops: list[str], indent: str, labels: tuple[str, ...]) -> str:
        r = self.rng
        k = self.fresh("k")
        inner, body_indent = indent + "    ", indent + "        "
        out = f"{indent}int {k} = (int) (s % 5);\n{indent}switch ({k}) {{\n"
        values = r.sample(range(5), r.randint(2, 4))
        groups = [values[j : j + r.randint(1, 2)] for j in range(0, len(values), 2)]
        default_at = r.randint(0, len(groups)) if r.random() < 0.7 else None
        for g, group in enumerate(groups + [None]):
            if g == default_at:
                out += f"{inner}default:\n{self.block(depth + 1, loops, body_indent, labels)}{body_indent}break;\n"
            if group is None:
                break
            out += "".join(f"{inner}case {v}:\n" for v in group)
            out += self.block(depth + 1, loops, body_indent, labels)
            if r.random() < 0.85:
                out += f"{body_indent}break;\n"  # otherwise: falls through into the next group
        return out + f"{indent}}}\n"


def programs(language: str, count: int, seed: int = 0) -> list[str]:
    """`count` random functions named run0, run1, ... (each one alone is the unit to transform)."""
    rng = random.Random(f"{language}-{seed}")
    return [ProgramGenerator(rng, language).function(f"run{n}") for n in range(count)]
