"""What "behaviour" means for Python parameter renaming (documented in docs/TRANSFORMS.md, rename-parameter).

rename-parameter renames only parameters a caller cannot pass by keyword (positional-only, *args, **kwargs):
every call that works before works after and computes the same. What it does change, and says so: the
parameter's name as Python reports it, in the TypeError of a call that fails ("missing 1 required positional
argument: 'fmt'") and in introspection (inspect.signature, __code__.co_varnames). Keyword-callable
parameters are never renamed, and a function that inspects itself (inspect, frames, locals) is left alone.
"""

from __future__ import annotations

import inspect
import random

import pytest

from metacompress_core.code import extract_units
from metacompress_core.transforms.base import splice
from metacompress_core.transforms.registry import get_transform

SOURCE = "def render(fmt, /, *values, sep=' ', **options):\n    return sep.join(fmt % v for v in values)\n"


def _renamings(source: str) -> list[str]:
    t = get_transform("rename-parameter")
    code = extract_units(source, "python")[0].parse()
    out = []
    for site in t.sites(code):
        rewrite = t.rewrite(code, site, random.Random(0))
        if rewrite is not None and rewrite.splices:
            out.append(splice(code.src, rewrite.splices).decode())
    return out


def _load(source: str):
    scope: dict = {}
    exec(compile(source, "<variant>", "exec"), scope)  # noqa: S102 - the test's own code
    return scope["render"]


def test_only_parameters_no_caller_can_name_are_renamed() -> None:
    variants = _renamings(SOURCE)
    assert len(variants) == 3  # fmt (positional-only), *values, **options; never sep
    for v in variants:
        assert "sep=' '" in v and "sep.join" in v


def test_calls_that_work_compute_the_same_and_failed_calls_name_the_new_parameter() -> None:
    original = _load(SOURCE)
    for variant_source in _renamings(SOURCE):
        variant = _load(variant_source)
        assert variant("<%s>", "a", "b", sep="-") == original("<%s>", "a", "b", sep="-")
        with pytest.raises(TypeError) as before:
            original()
        with pytest.raises(TypeError) as after:
            variant()
        if "fmt" not in variant_source.split("\n")[0]:
            # documented: the message of a failing call and the signature show the new name
            assert str(before.value) != str(after.value)
            assert inspect.signature(original) != inspect.signature(variant)


def test_a_function_that_inspects_itself_keeps_its_parameter_names() -> None:
    source = "def render(fmt, /):\n    import inspect\n    return inspect.currentframe().f_locals['fmt']\n"
    assert _renamings(source) == []
