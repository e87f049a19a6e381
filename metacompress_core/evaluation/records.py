"""One chunk of inputs -> one record per input: every model's probabilities on the original, on each
behaviour-preserving variant (the default plan: each transform once, then compositions; each with the recipe that
replays it) and on each adversarial example. Records hold raw outputs only; every number of the report is
computed from them.

A chunk is a fixed slice of the inputs (by index), and all of its model inputs go to each model in one call,
so batches, and so the exact floating-point outputs, are the same whichever engine runs the chunk.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import numpy as np

from metacompress_core.code.units import Unit, extract_units
from metacompress_core.evaluation.attacks import attack, attack_seed
from metacompress_core.evaluation.inputs import EvalInput
from metacompress_core.models.base import Backend
from metacompress_core.observe import observe
from metacompress_core.plan.planners import DefaultPlan, PlanSettings
from metacompress_core.plan.recipes import Recipe


@dataclass(frozen=True)
class EvalSettings:
    seed: int = 0
    variants: int = 16  # behaviour-preserving variants per input (the engine's default budget)
    compositions: int = 4  # of those, compositions of several transforms
    max_steps: int = 3
    transforms: tuple[str, ...] | None = None
    attacks: tuple[str, ...] = ()
    budget: int = 100  # model queries per attack
    chunk: int = 8  # inputs per model call

    @property
    def plan_settings(self) -> PlanSettings:
        return PlanSettings(self.seed, self.compositions, self.max_steps, self.transforms)

    def to_json(self) -> dict:
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in self.__dict__.items()}


@dataclass
class _Pending:
    item: EvalInput
    record: dict
    sources: list[str] = field(default_factory=list)  # the first function of each model input, original first


def function_unit(item: EvalInput) -> Unit | None:
    """The function the input is about (the longest unit of its code); None when its code does not parse."""
    units = extract_units(item.code, item.language, f"eval/{item.id}.{item.language}")
    return max(units, key=lambda u: len(u.source.encode()), default=None)


def _in_context(code: str, unit: Unit, variant_source: str) -> str:
    """The input's whole code with the function replaced by its variant (text around it kept)."""
    src = code.encode("utf-8", errors="surrogateescape")
    new = (
        src[: unit.start_byte]
        + variant_source.encode("utf-8", errors="surrogateescape")
        + src[unit.end_byte :]
    )
    return new.decode("utf-8", errors="surrogateescape")


def _probs(row: np.ndarray) -> list[float]:
    return [float(x) for x in np.asarray(row, dtype=np.float32)]


def evaluate_chunk(items: list[EvalInput], models: dict[str, Backend], settings: EvalSettings) -> list[str]:
    """The JSON line of each input of the chunk, in order."""
    pending = []
    for item in items:
        record: dict = {
            "index": item.index,
            "id": item.id,
            "label": item.label,
            "variants": [],
            "attacks": {},
        }
        p = _Pending(item, record, [item.code])
        unit = function_unit(item)
        record["parsed"] = unit is not None
        if unit is not None and settings.variants > 0:
            for variant in DefaultPlan(settings.plan_settings).plan(unit, settings.variants, None):
                record["variants"].append(
                    {
                        "transforms": list(variant.transforms),
                        "recipe": [list(s) for s in Recipe.of(variant).steps],
                    }
                )
                p.sources.append(_in_context(item.code, unit, variant.source))
        pending.append(p)
    groups = [[p.item.model_input(s) for s in p.sources] for p in pending]
    for p, outputs in zip(pending, observe(groups, list(models.values())), strict=True):
        rows = dict(zip(models, outputs, strict=True))
        p.record["original"] = {role: _probs(r[0]) for role, r in rows.items()}
        for i, v in enumerate(p.record["variants"], start=1):
            v["probs"] = {role: _probs(r[i]) for role, r in rows.items()}
    if settings.attacks:
        _attack_all(pending, models, settings)
    return [json.dumps(p.record, sort_keys=True) for p in pending]


def _attack_all(pending: list[_Pending], models: dict[str, Backend], settings: EvalSettings) -> None:
    """Attack each model on each input it classifies correctly; then every model on every adversarial example."""
    examples: list[tuple[dict, str, EvalInput]] = []
    for p in pending:
        item = p.item
        for strategy in settings.attacks:
            per_target: dict[str, dict] = {}
            for role, model in models.items():
                correct = int(np.argmax(p.record["original"][role])) == item.label
                if not correct:
                    per_target[role] = {"attacked": False}  # already wrong: nothing to attack
                    continue
                seed = attack_seed(settings.seed, item.id, role, strategy)
                outcome = attack(
                    strategy, item.code, item.language, model, item.label, item.partner, settings.budget, seed
                )
                per_target[role] = outcome
                examples.append((outcome, outcome["source"], item))
            p.record["attacks"][strategy] = per_target
    if not examples:
        return
    inputs = [item.model_input(source) for _, source, item in examples]
    outputs = dict(zip(models, observe([inputs], list(models.values()))[0], strict=True))
    for i, (outcome, _, _) in enumerate(examples):
        outcome["probs"] = {role: _probs(out[i]) for role, out in outputs.items()}
