"""The transform framework: invalid rewrites are dropped and counted, seeds decide, transforms compose."""

from __future__ import annotations

import random

from metacompress_core.code import extract_units, parse
from metacompress_core.transforms import (
    Rewrite,
    Site,
    Splice,
    TransformStats,
    apply_random,
    compose,
    get_transform,
    original,
    seeded_rng,
    transform_variant,
)
from metacompress_core.transforms.base import splice

SRC = "int f(int a) {\n    int b = a + 1;\n    b = b * 2;\n    return b;\n}\n"


class DeleteASemicolon:
    """A deliberately wrong transform: its output never parses."""

    name = "delete-semicolon"
    languages = frozenset({"c"})
    description = "breaks the code (test only)"

    def sites(self, code):
        return [Site(n) for n in code.walk() if n.type == ";"]

    def rewrite(self, code, site, rng):
        start, end = code.span(site.node)
        return Rewrite((Splice(start, end, ""),), "deleting ;")


def unit():
    (u,) = extract_units(SRC, "c")
    return u


def test_invalid_rewrites_are_dropped_and_counted():
    stats = TransformStats()
    variant = transform_variant(original(unit()), DeleteASemicolon(), random.Random(0), stats)
    assert variant is None
    assert stats.dropped["delete-semicolon"] == 3  # every site tried, every one rejected
    assert stats.emitted["delete-semicolon"] == 0


def test_transform_for_another_language_does_not_apply():
    code = parse("def f():\n    return 1\n", "python", unit=True)
    assert apply_random(code, DeleteASemicolon(), random.Random(0)) is None


def test_same_seed_same_variant_other_seeds_differ():
    insert = get_transform("insert-comment")
    runs = {transform_variant(original(unit()), insert, seeded_rng(7, "u")).source for _ in range(5)}
    assert len(runs) == 1
    many = {transform_variant(original(unit()), insert, seeded_rng(s, "u")).source for s in range(30)}
    assert len(many) > 1


def test_composition_records_every_step_and_stays_valid():
    insert, remove = get_transform("insert-comment"), get_transform("remove-comment")
    stats = TransformStats()
    variant = compose(unit(), [insert, insert, remove], seeded_rng(1, "u"), stats)
    assert variant.transforms == ("insert-comment", "insert-comment", "remove-comment")
    assert variant.source.count("/* ") == 1
    assert not variant.parse().has_errors()
    assert stats.emitted["insert-comment"] == 2 and stats.emitted["remove-comment"] == 1
    assert variant.diff().startswith("---") and "insert-comment" in variant.diff()


def test_splice_applies_in_order_and_rejects_overlaps():
    assert splice(b"abcdef", [Splice(4, 5, "E"), Splice(0, 1, "A")]) == b"AbcdEf"
    try:
        splice(b"abcdef", [Splice(0, 3, "x"), Splice(2, 4, "y")])
    except ValueError as e:
        assert "overlapping" in str(e)
    else:
        raise AssertionError("overlapping splices were accepted")
