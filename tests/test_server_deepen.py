"""The editor deepens its budget while the person is idle (issue 13): budget 4 -> 8 -> 16 (`maxBudget`), and an
edit starts the text over at the configured budget.

Seen through the protocol: the variant count in `sum`'s diagnostic ("(prediction-agreement; 1 of 8 variants)"),
the hover (same finding, so the same count) and the work-done progress ("deepening deep.c: 8 variants ...").
"""

from __future__ import annotations

import asyncio
import json
import re

import pytest
from lsprotocol import types
from server_helpers import (
    C_SOURCE,
    TRANSFORMS,
    close_server,
    hover_text,
    known_pair,  # noqa: F401 (a fixture)
    open_document,
    replace_text,
    start_c_server,
    until,
    utf16_position,
)

from metacompress.cli import main
from metacompress_core.code import extract_units
from metacompress_core.config import settings_from_table
from metacompress_core.engine import EngineConfig, check_units
from metacompress_core.errors import MetaCompressError
from metacompress_core.models import CachedBackend, PredictionCache, load_backend
from metacompress_core.plan.recipes import Recipe, default_plan
from metacompress_server.config import server_config
from metacompress_server.deepen import deepened, next_budget
from metacompress_server.scheduler import SLICE, Request, Scheduler

IDLE = 0.3  # seconds without an edit before deepening (the default is 5)


def test_the_budget_doubles_up_to_the_cap_with_the_extra_variants_as_compositions():
    assert [next_budget(b, 64) for b in (16, 32, 48, 64)] == [32, 64, 64, None]
    assert next_budget(16, 16) is None and next_budget(16, 0) is None and next_budget(16, 8) is None
    engine = deepened(EngineConfig(budget=16, compositions=4), 32)
    assert (engine.budget, engine.compositions) == (32, 20)


def test_a_deeper_default_plan_starts_with_the_variants_already_checked():
    """So the prediction cache answers them and a deeper pass computes only the new ones."""
    for unit in extract_units(C_SOURCE, "c", "deep.c"):
        earlier: list[Recipe] = []
        for budget in (4, 8, 16, 32, 64):
            engine = deepened(EngineConfig(budget=4, compositions=2), budget)
            plan = default_plan(unit, engine.budget, engine.compositions, 0, 3, TRANSFORMS)
            recipes = [Recipe.of(v) for v in plan]
            assert recipes[: len(earlier)] == earlier, (unit.qualname, budget)
            earlier = recipes
        assert len(earlier) > 16, unit.qualname  # deeper passes do add variants


def test_a_deeper_pass_sends_only_its_new_variants_to_the_models(tmp_path, known_pair):  # noqa: F811
    (unit, *_) = extract_units(C_SOURCE, "c", "deep.c")  # `sum`
    cache = PredictionCache(tmp_path / "cache")
    teacher, student = (CachedBackend(load_backend(known_pair[r]), cache) for r in ("teacher", "student"))
    engine = EngineConfig(budget=4, compositions=2, transforms=tuple(TRANSFORMS))
    (first,) = check_units([unit], teacher, student, engine)
    computed = teacher.model_inputs
    (deeper,) = check_units([unit], teacher, student, deepened(engine, 8))
    assert (first.variants_tried, deeper.variants_tried) == (4, 8)
    assert teacher.model_inputs - computed == 8 - 4  # the original and the first four came from the cache
    assert teacher.hits == 1 + 4


@pytest.mark.parametrize("value", [-1, 2.5, "64", True])
def test_a_bad_max_budget_is_refused_naming_the_setting(value):
    with pytest.raises(
        MetaCompressError, match=r"`max_budget` must be a whole number of variants, at least 0"
    ):
        settings_from_table({"max_budget": value})
    with pytest.raises(MetaCompressError, match="max_budget"):
        server_config({"maxBudget": value})  # the editor's camelCase spelling, same check
    assert settings_from_table({"budget": 8, "max_budget": 0}).max_budget == 0  # 0: no deepening


@pytest.mark.parametrize("value", [-1, "soon", 1e9])
def test_a_bad_idle_delay_is_refused(value):
    with pytest.raises(MetaCompressError, match="idle"):
        server_config({"idle": value})


@pytest.mark.asyncio
async def test_a_deepening_pass_runs_last_and_yields_at_once():
    """The scheduler alone: a document asked for during a deepening pass pauses it without waiting for a slice,
    and the pass resumes (skipping what it checked) once nothing better waits; then the server hears it is idle."""
    ran: list[tuple[str, bool]] = []
    asked = asyncio.Event()

    async def run(request: Request) -> str:
        ran.append((request.uri, request.resumed))
        if request.budget is not None and not request.resumed:
            await asyncio.wait_for(asked.wait(), SLICE / 2)  # asked long before a slice is up
            return "paused"
        return "done"

    idle: list[bool] = []
    scheduler = Scheduler(run, asked.set, on_idle=lambda: idle.append(True))
    scheduler.deepen(Request("a.c", 1, 1, "", "c", "a.c", budget=8), lambda: True)
    await asyncio.sleep(0.01)
    assert ran == [("a.c", False)] and not scheduler.idle
    scheduler.schedule(Request("b.c", 1, 1, "", "c", "b.c"), 0, lambda: True)
    await until(lambda: idle, 5, "the queue to run dry")
    assert ran == [("a.c", False), ("b.c", False), ("a.c", True)] and scheduler.idle
    scheduler.shutdown()


# ---- through the real server ----------------------------------------------------------------------------------


async def _start(root, models: dict):
    settings = {"budget": 4, "compositions": 2, "maxBudget": 16, "idle": IDLE, "cache": True}
    return await start_c_server(root, models, {**settings, "cacheDir": str(root / "cache")})


def _counts(client, uri: str, version: int) -> list[int]:
    """The variant count in `sum`'s diagnostic, each time it changed in what was published for `version`."""
    counts: list[int] = []
    for p in client.published:
        if p.uri != uri or p.version != version:
            continue
        for d in p.diagnostics:
            found = re.search(r"; \d+ of (\d+) variants\)$", d.message)
            if found and (not counts or counts[-1] != int(found[1])):
                counts.append(int(found[1]))
    return counts


def _begun(client) -> list[str]:
    """The message of every work-done progress that began, in order."""
    return [
        r.message
        for reports in client.progress_reports.values()
        for r in reports
        if isinstance(r, types.WorkDoneProgressBegin)
    ]


@pytest.mark.asyncio
async def test_an_idle_editor_deepens_to_the_cap_and_stops(tmp_path, known_pair, capsys):  # noqa: F811
    client = await _start(tmp_path, known_pair)
    try:
        uri = (tmp_path / "deep.c").as_uri()
        open_document(client, uri, C_SOURCE)
        await until(lambda: 16 in _counts(client, uri, 1), 120, "deepening up to maxBudget")
        assert _counts(client, uri, 1) == [4, 8, 16]  # the configured budget first, then doubled, twice
        text = await hover_text(client, uri, utf16_position(C_SOURCE, "sum("))
        assert "16 behaviour-preserving variants" in text  # the same finding as the diagnostic
        command = (
            "metacompress check --budget 16 --compositions 14"  # budget 4, compositions 2, deepened twice
        )
        assert (
            f"Deepened while idle to 16 variants per function: `{command}` gives this same account." in text
        )
        # ... and it does: the CLI with those values says what the editor says.
        (tmp_path / "deep.c").write_text(C_SOURCE)
        cli = [
            "check",
            str(tmp_path / "deep.c"),
            "--budget",
            "16",
            "--compositions",
            "14",
            "-f",
            "json",
            "-q",
        ]
        cli += ["--teacher", known_pair["teacher"], "--student", known_pair["student"], "--no-cache"]
        cli += ["--transforms", ",".join(TRANSFORMS)]
        main(cli)
        (reported,) = [
            f for f in json.loads(capsys.readouterr().out)["findings"] if f["unit"]["qualname"] == "sum"
        ]
        (shown,) = [
            d for d in client.diagnostics[uri] if d.range.start.line == utf16_position(C_SOURCE, "sum(").line
        ]
        assert shown.message == reported["message"]
        assert _begun(client) == [
            "checking deep.c",
            "deepening deep.c: 8 variants per function",
            "deepening deep.c: 16 variants per function",
        ]
        reports = [r.message for rs in client.progress_reports.values() for r in rs if hasattr(r, "message")]
        assert any(m and m.startswith("deepening: 16 variants per function, ") for m in reports)
        await asyncio.sleep(6 * IDLE)  # at the cap: no further pass
        assert len(_begun(client)) == 3 and _counts(client, uri, 1) == [4, 8, 16]
    finally:
        await close_server(client)


@pytest.mark.asyncio
async def test_an_edit_starts_the_text_over_at_the_configured_budget(tmp_path, known_pair):  # noqa: F811
    client = await _start(tmp_path, known_pair)
    try:
        uri = (tmp_path / "edit.c").as_uri()
        open_document(client, uri, C_SOURCE)
        await until(lambda: any("deepening" in m for m in _begun(client)), 120, "a deepening pass")
        edited = C_SOURCE.replace("return total;", "return total + 0;")  # `sum` itself changes
        replace_text(client, uri, edited, 2)
        await until(lambda: 16 in _counts(client, uri, 2), 120, "the edited text deepened again")
        assert _counts(client, uri, 2) == [4, 8, 16]  # from the configured budget, not from where it was
        text = await hover_text(client, uri, utf16_position(edited, "sum("))
        assert "16 behaviour-preserving variants" in text
    finally:
        await close_server(client)
