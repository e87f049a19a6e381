"""Before/after examples of every transform in every language it supports, made by the real transforms.

For each transform and language, the transform is applied (seeds 0-5) to a few small functions; the
smallest change is shown as a diff. Prints markdown, or rewrites the generated part of docs/TRANSFORMS.md:

    python bench/transform_examples.py                       # print the markdown
    python bench/transform_examples.py --update docs/TRANSFORMS.md
"""

from __future__ import annotations

import argparse
import difflib
import sys
from pathlib import Path

from metacompress_core.code.units import extract_units
from metacompress_core.transforms.base import Variant, original, seeded_rng, transform_variant
from metacompress_core.transforms.registry import TRANSFORMS

LANGUAGES = ("java", "c", "python")
START, END = "<!-- generated: transform table and examples -->", "<!-- end of generated part -->"

SNIPPETS = {
    "java": [
        """class Snippets {
    static int sumPositive(int[] values, int limit) {
        int total = 0, skipped = 0;
        for (int i = 0; i < values.length; i++) {
            if (values[i] > limit) {
                total += values[i];
            } else {
                skipped = skipped + 1;
            }
        }
        return total - skipped;
    }

    static String describe(int code, boolean verbose) {
        String label;
        switch (code) {
            case 1:
                label = "one";
                break;
            case 2:
                label = "two";
                break;
            default:
                label = "many";
        }
        int n = 0;
        // count up to the code
        while (n < code && !verbose) {
            n++;
        }
        return label + n;
    }

    static int digits(int value) {
        int count = 0;
        int sign = value < 0 ? -1 : 1;
        do {
            value /= 10;
            count++;
        } while (value != 0);
        return count * sign;
    }
}
""",
    ],
    "c": [
        """int sum_positive(const int *values, int count, int limit)
{
    int total = 0, skipped = 0;
    int i;
    for (i = 0; i < count; i++) {
        if (values[i] > limit) {
            total += values[i];
        } else {
            skipped = skipped + 1;
        }
    }
    return total - skipped;
}

const char *describe(int code, int verbose)
{
    const char *label;
    int n = 0;
    switch (code) {
    case 1:
        label = "one";
        break;
    case 2:
        label = "two";
        break;
    default:
        label = "many";
    }
    /* count up to the code */
    while (n < code && !verbose) {
        n++;
    }
    return n > 3 ? label : "few";
}

int digits(int value)
{
    int count = 0;
    int sign = value < 0 ? -1 : 1;
    do {
        value /= 10;
        count++;
    } while (value != 0);
    return count * sign;
}
""",
    ],
    "python": [
        """def sum_positive(values, limit):
    total = 0
    skipped = 0
    for value in values:
        if value > limit:
            total += value
        else:
            skipped = skipped + 1
    return total - skipped


def describe(code, verbose):
    # count up to the code
    n = 0
    while n < code and not verbose:
        n += 1
    label = "one" if code == 1 else "many"
    return label, n


def scale(point, factor, /):
    x = point[0] * 2
    y = 3 + len(point)
    if len(point) > 2:
        y = 0
    return x * factor + y
""",
    ],
}
EXTENSION = {"java": "java", "c": "c", "python": "py"}


def _changed_lines(v: Variant) -> int:
    diff = difflib.unified_diff(v.unit.source.splitlines(), v.source.splitlines(), n=0, lineterm="")
    return sum(1 for line in diff if line[:1] in "+-" and not line.startswith(("+++", "---")))


def smallest_example(transform_name: str, language: str) -> Variant | None:
    """The variant with the fewest changed lines over the snippets' functions and a few seeds."""
    transform = TRANSFORMS[transform_name]
    best: Variant | None = None
    for snippet in SNIPPETS[language]:
        for unit in extract_units(snippet, language, f"example.{EXTENSION[language]}"):
            for seed in range(6):
                v = transform_variant(original(unit), transform, seeded_rng(seed, unit.key, transform.name))
                if v is not None and (best is None or _changed_lines(v) < _changed_lines(best)):
                    best = v
    return best


def _diff(v: Variant) -> str:
    lines = difflib.unified_diff(v.unit.source.splitlines(), v.source.splitlines(), n=1, lineterm="")
    return "\n".join(line for line in lines if not line.startswith(("+++", "---", "@@")))


def markdown() -> str:
    names = sorted(TRANSFORMS)
    out = [
        START,
        "",
        "| transform | Java | C | Python | what it does |",
        "|---|:-:|:-:|:-:|---|",
    ]
    for name in names:
        t = TRANSFORMS[name]
        marks = " | ".join("yes" if lang in t.languages else "" for lang in LANGUAGES)
        out.append(f"| [`{name}`](#{name}) | {marks} | {t.description} |")
    out += ["", "### Examples", ""]
    out.append(
        "Each is the smallest change the transform made (seeds 0-5) to the small functions in "
        "`bench/transform_examples.py`; `-` lines are the original, `+` lines the variant."
    )
    for name in names:
        t = TRANSFORMS[name]
        out += ["", f"#### {name}", "", f"{t.description}."]
        for lang in LANGUAGES:
            if lang not in t.languages:
                continue
            v = smallest_example(name, lang)
            if v is None:
                out += ["", f"{lang.capitalize() if lang != 'c' else 'C'}: no site in the example functions."]
                continue
            label = {"java": "Java", "c": "C", "python": "Python"}[lang]
            out += ["", f"{label} ({v.description}):", "", "```diff", _diff(v), "```"]
    out += ["", END]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--update", type=Path, help="replace the generated part of this markdown file")
    args = parser.parse_args(argv)
    text = markdown()
    if args.update is None:
        print(text)
        return 0
    doc = args.update.read_text(encoding="utf-8")
    if START not in doc or END not in doc:
        print(f"{args.update} has no generated part ({START} ... {END})", file=sys.stderr)
        return 2
    before, rest = doc.split(START, 1)
    after = rest.split(END, 1)[1]
    args.update.write_text(before + text + after, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
