"""C transforms keep code compilable and behaving: every transform in the registry, on real functions.

Devign functions (../shared/data) reference their projects' headers, which are absent: each gets generated
declarations for the names it uses (tests/validity/c_declarations.py); those that then pass
`gcc -fsyntax-only` are transformed once per transform (seeded) and every variant is checked with gcc. Our
own C programs are transformed whole, built, run, and must print what the originals print.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from validity import data
from validity.c_declarations import declarations
from validity.gcc import have_gcc, syntax_check
from validity.measure import failures_report, measure, table, total, under_threshold
from validity.programs import (
    assert_own_programs_keep_their_output,
    run_c,
)
from validity.samples import compilable_c

from metacompress_core.transforms.registry import transforms_for

pytestmark = pytest.mark.skipif(not have_gcc(), reason="gcc is needed")

REPO = Path(__file__).resolve().parents[1]
SAMPLE = 300
MIN_COMPILE_RATE = 0.995


@pytest.mark.shared_data
def test_transformed_devign_functions_compile() -> None:
    functions = data.devign_functions()
    if not functions:
        pytest.skip("Devign is absent (../shared/data/devign/devign.jsonl.gz, or set METACOMPRESS_DATA)")
    subset = compilable_c(data.stable_order(functions), SAMPLE)
    assert len(subset.units) >= SAMPLE // 2, (
        f"only {len(subset.units)} Devign functions compile with declarations"
    )
    rates = measure(subset.units, transforms_for("c"), subset.wrap, syntax_check)
    report = table(rates, f"C, {len(subset.units)} Devign functions that compile ({subset.checked} checked)")
    print(report)
    overall = total(rates)
    assert overall.variants > 0
    assert overall.reparsed == overall.variants, failures_report(rates)
    assert overall.compile_rate >= MIN_COMPILE_RATE, f"{report}\n{failures_report(rates)}"
    assert not under_threshold(rates, MIN_COMPILE_RATE), f"{report}\n{failures_report(rates)}"


def test_generated_declarations_make_a_project_function_compile() -> None:
    # Without declarations gcc rejects the function; with them it compiles, so the subset is not empty by luck.
    source = (
        "static int decode_frame(AVCodecContext *avctx, AVPacket *pkt)\n{\n"
        "    MyContext *s = avctx->priv_data;\n    int ret;\n"
        "    switch (pkt->flags) {\n    case AV_PKT_FLAG_KEY: s->key_frames++; break;\n"
        "    case AV_PKT_FLAG_CORRUPT: return AVERROR(EINVAL);\n    }\n"
        "    ret = ff_get_buffer(avctx, s->frame, 0);\n"
        '    if (ret < 0)\n        av_log(avctx, AV_LOG_ERROR, "no buffer\\n");\n'
        "    return s->frame->data[0][0] * 2 + ret;\n}\n"
    )
    decls = declarations(source)
    assert decls is not None
    result = syntax_check({"bare": source, "declared": decls + source})
    assert result["bare"] is not None
    assert result["declared"] is None, f"{decls}\n{result['declared']}"


def test_code_under_preprocessor_conditions_is_checked_too() -> None:
    # Names tested by #ifdef/#if are defined, so gcc sees the guarded code: an error there is caught.
    source = "int step(int x)\n{\n#ifdef CONFIG_FAST\n    x = fast_path(x);\n#endif\n    return x;\n}\n"
    broken = source.replace("fast_path(x)", "fast_path(y)")
    decls = declarations(source)
    assert decls is not None
    result = syntax_check({"original": decls + source, "broken": decls + broken})
    assert result["original"] is None, f"{decls}\n{result['original']}"
    assert result["broken"] is not None and "undeclared" in result["broken"]


def test_transformed_own_programs_compile_and_print_the_same() -> None:
    folders = (REPO / "examples" / "c", REPO / "tests" / "fixtures" / "c")
    assert_own_programs_keep_their_output(folders, "c", ".c", run_c)


def test_batch_checker_reports_every_units_own_errors() -> None:
    units = {
        "undeclared": "int f(void) { return nope; }\n",
        "implicit call": "int g(void) { return helper(1); }\n",
        "fine": "int h(int n) { return n + 1; }\n",
        "uses the standard headers": "size_t k(const char *s) { return strlen(s) + INT_MAX; }\n",
    }
    errors = syntax_check(units)
    assert "undeclared" in errors["undeclared"]
    assert "implicit declaration" in errors["implicit call"]
    assert errors["fine"] is None
    assert errors["uses the standard headers"] is None
