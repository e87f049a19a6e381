"""Search strategies behind one entry point, `run_search`, all spending one hard query budget.

- random: random compositions (1-3 steps) of every move (registry transforms and natural renamings), no
  feedback: the baseline.
- greedy (ALERT): rank the renameable identifiers by how much substituting each one moves the objective, then
  in that order try natural substitutes for each and keep the best, one identifier after another.
- ga (ALERT's genetic stage): individuals are renamings (slot -> substitute); uniform crossover, one-gene
  mutation, tournament selection, elitist survival.
- mhm: Metropolis-Hastings over renamings: propose a substitute (or a restored name) for one identifier,
  accept with probability min(1, score' / score).
- guided (DFLARE for code): mutation operators are every transform of the registry plus one renaming
  operator per natural substitute; each proposal composes several operators on a seed of the pool, each picked
  by Metropolis-Hastings over the operators ranked by the mean objective gain they produced; a variant is
  kept as a seed when it raises the objective (e.g. teacher-student divergence) over its parent or yields a
  probability vector not seen before.

Every strategy stops at the first success or when the budget is spent, and is deterministic for a seed.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np

from metacompress_core.code.units import Unit
from metacompress_core.errors import MetaCompressError
from metacompress_core.plan.budget import BudgetedEvaluator, Scored, SearchResult
from metacompress_core.plan.moves import (
    RENAME_OPERATOR,
    Slot,
    apply_genes,
    apply_operator,
    genes_of,
    operators,
    renaming_operators,
    renaming_slots,
    substitutes,
)
from metacompress_core.plan.names import NameSource
from metacompress_core.plan.objectives import Objective
from metacompress_core.transforms.base import Variant, original, seeded_rng

STRATEGIES = ("random", "greedy", "ga", "mhm", "guided")

BATCH = 4  # variants per model call for random and guided (queries are counted per input all the same)
SUBSTITUTES = 10  # natural names tried per identifier (greedy, ga, mhm)
MAX_STEPS = 30  # guided: longest chain of moves from the original
# guided: moves composed into one proposal (bigger jumps find disagreements sooner)
MOVES_PER_PROPOSAL = (6, 16)
NOVELTY_BIN = 0.05  # guided: probability vectors are "the same" when every entry falls in the same bin
STALL_LIMIT = 8  # rounds in a row that produce nothing new to score: the search has run out of moves

# A strategy proposes batches of variants and is sent back the Scored of each (cached ones included, those
# over the budget left out at the end); it ends when it has nothing more to propose.
Strategy = Callable[["_Search"], Iterator[list[Variant]]]


@dataclass
class _Search:
    unit: Unit
    names: NameSource
    rng: random.Random
    original: Scored
    operators: list[str]
    seen: set[str] = field(default_factory=set)  # the texts scored so far

    @property
    def language(self) -> str:
        return self.unit.language


class Adaptive:
    """A planner that runs one search strategy: it proposes nothing blind, then a batch after each feedback
    (the first feedback starts with the original's), until the strategy has nothing left to propose."""

    def __init__(
        self,
        strategy: str,
        seed: int,
        names: NameSource | None = None,
        transforms: Sequence[str] | None = None,
    ) -> None:
        if strategy not in _RUNNERS:
            raise MetaCompressError(
                f"unknown search strategy {strategy!r}: use one of {', '.join(STRATEGIES)}"
            )
        self.strategy, self.seed, self.names, self.transforms = strategy, seed, names, transforms
        self._search: _Search | None = None
        self._proposals: Iterator[list[Variant]] | None = None

    def plan(self, unit: Unit, budget: int, feedback: Sequence[Scored] | None) -> list[Variant]:
        if feedback is None or budget <= 0:
            return []
        if self._search is None:
            allowed = operators(unit.language)
            if self.transforms is not None:
                allowed = [op for op in allowed if op == RENAME_OPERATOR or op in self.transforms]
            self._search = _Search(
                unit,
                self.names or NameSource.default(unit.language),
                seeded_rng(self.seed, unit.key, self.strategy),
                feedback[0],
                allowed,
            )
        self._search.seen.update(x.variant.source for x in feedback)
        try:
            if self._proposals is None:
                self._proposals = _RUNNERS[self.strategy](self._search)
                batch = next(self._proposals)
            else:
                batch = self._proposals.send(list(feedback))
            while not batch:  # a round with nothing new: the strategy counts its own stalls
                batch = self._proposals.send([])
        except StopIteration:
            return []
        return batch[:budget]


def run_search(
    strategy: str,
    unit: Unit,
    objective: Objective,
    budget: int,
    seed: int,
    names: NameSource | None = None,
) -> SearchResult:
    """Search behaviour-preserving variants of one function `unit` for a success of `objective`.

    The original is scored first (it counts against the budget; if it already succeeds, the search stops
    there). `names` supplies natural substitute names (default: the built-in list)."""
    planner = Adaptive(strategy, seed, names)
    if budget < 0:
        raise MetaCompressError(f"the query budget must not be negative, got {budget}")
    started = time.perf_counter()
    evaluator = BudgetedEvaluator(objective, budget)
    feedback = evaluator.evaluate([original(unit), *planner.plan(unit, budget, None)])
    while not evaluator.done:
        batch = planner.plan(unit, evaluator.remaining_inputs, feedback)
        if not batch:
            break
        feedback = evaluator.evaluate(batch)
    return evaluator.result(strategy, time.perf_counter() - started)


# ---- transform-level strategies ------------------------------------------------------------------------------


def _random(s: _Search) -> Iterator[list[Variant]]:
    stalls = 0
    while stalls < STALL_LIMIT:
        batch: list[Variant] = []
        for _ in range(8 * BATCH):
            if len(batch) == BATCH:
                break
            candidate = original(s.unit)
            for _ in range(s.rng.randint(1, 3)):
                candidate = apply_operator(candidate, s.rng.choice(s.operators), s.names, s.rng) or candidate
            if candidate.steps and candidate.source not in s.seen and candidate not in batch:
                batch.append(candidate)
        stalls = 0 if batch else stalls + 1
        yield batch


def _novelty_key(probs: tuple[np.ndarray, ...]) -> tuple[int, ...]:
    return tuple(int(x // NOVELTY_BIN) for p in probs for x in np.asarray(p, dtype=np.float64))


def _guided(s: _Search) -> Iterator[list[Variant]]:
    # renaming is one operator per natural substitute: which names move the models is learnt like the rest
    renamings = renaming_operators(substitutes(s.unit, s.names, s.rng, 3 * SUBSTITUTES))
    ops = [op for op in s.operators if op != RENAME_OPERATOR]
    if RENAME_OPERATOR in s.operators:
        ops += renamings
    s.rng.shuffle(ops)
    order = {op: i for i, op in enumerate(ops)}
    gains: dict[str, list[float]] = {op: [] for op in ops}  # objective gain over the parent, per use
    misses = dict.fromkeys(ops, 0)  # times the operator did not apply
    accept_base = 1.0 - 1.0 / len(ops)
    pool: list[Scored] = [s.original]
    seen = {_novelty_key(s.original.probs)}
    current = ops[0]
    stalls = 0

    def value(op: str) -> float:
        if gains[op]:
            return sum(gains[op]) / len(gains[op])
        return -1.0 if misses[op] >= 2 else float("inf")  # untried first; never applicable last

    def ranked() -> list[str]:
        # operators that raised the objective most on average first, ties by seed order
        return sorted(ops, key=lambda op: (-value(op), order[op]))

    def next_operator() -> str:
        ranking = ranked()
        k1 = ranking.index(current)
        while True:
            proposal = s.rng.choice(ranking)
            if s.rng.random() < accept_base ** (ranking.index(proposal) - k1):
                return proposal

    while stalls < STALL_LIMIT:
        batch: list[tuple[list[str], Scored, Variant]] = []
        for _ in range(8 * BATCH):
            if len(batch) == BATCH:
                break
            best = max(pool, key=lambda x: x.score)
            parent = best if s.rng.random() < 0.5 else s.rng.choice(pool)
            if len(parent.variant.steps) >= MAX_STEPS:
                parent = s.original
            child, used = parent.variant, []
            for _ in range(s.rng.randint(*MOVES_PER_PROPOSAL)):
                current = next_operator()
                moved = apply_operator(child, current, s.names, s.rng)
                if moved is None:
                    misses[current] += 1
                else:
                    child, used = moved, [*used, current]
            if not used or child.source in s.seen or any(child.source == c.source for *_, c in batch):
                continue
            batch.append((used, parent, child))
        stalls = 0 if batch else stalls + 1
        scored = yield [c for *_, c in batch]
        for (used, parent, _), result in zip(batch, scored, strict=False):
            key = _novelty_key(result.probs)
            for op in used:
                gains[op].append(result.score - parent.score)
            if result.score > parent.score or key not in seen:  # DFLARE: keep what raises it or is new
                pool.append(result)
            seen.add(key)


# ---- renaming strategies (ALERT, MHM) ----------------------------------------------------------------------


@dataclass
class _Renaming:
    slots: list[Slot]
    subs: dict[int, list[str]]  # slot -> natural substitutes for it

    @classmethod
    def of(cls, s: _Search) -> _Renaming | None:
        slots = renaming_slots(s.unit)
        subs = {slot.index: substitutes(s.unit, s.names, s.rng, SUBSTITUTES) for slot in slots}
        slots = [slot for slot in slots if subs[slot.index]]
        return cls(slots, subs) if slots else None

    def make(self, s: _Search, genes: dict[int, str]) -> Variant:
        return apply_genes(s.unit, self.slots, genes)


def _greedy(s: _Search) -> Iterator[list[Variant]]:
    r = _Renaming.of(s)
    if r is None:
        return
    # importance of each identifier: how far substituting it (with its first substitute) moves the objective
    probes = [r.make(s, {slot.index: r.subs[slot.index][0]}) for slot in r.slots]
    probed = {genes_of(x.variant): x.score for x in (yield probes)}
    importance = [probed.get(genes_of(p), s.original.score) for p in probes]
    order = sorted(range(len(r.slots)), key=lambda i: (-importance[i], i))
    current, genes = s.original, {}
    for i in order:
        slot = r.slots[i]
        trials = [r.make(s, {**genes, slot.index: name}) for name in r.subs[slot.index]]
        trials = [t for t in trials if any(g[0] == slot.index for g in genes_of(t))]
        scored = yield trials
        if scored:
            best = max(scored, key=lambda x: x.score)
            if best.score > current.score:
                current, genes = best, dict(genes_of(best.variant))


def _ga(s: _Search) -> Iterator[list[Variant]]:
    r = _Renaming.of(s)
    if r is None:
        return
    size = min(20, max(6, 2 * len(r.slots)))

    def mutate(genes: dict[int, str]) -> dict[int, str]:
        slot = s.rng.choice(r.slots)
        return {**genes, slot.index: s.rng.choice(r.subs[slot.index])}

    def select(population: list[Scored]) -> Scored:
        a, b = s.rng.choice(population), s.rng.choice(population)
        return a if a.score >= b.score else b

    population = yield [r.make(s, mutate({})) for _ in range(size)]
    stalls = 0
    while population and stalls < STALL_LIMIT:
        children = []
        for _ in range(size):
            if s.rng.random() < 0.7:
                p1 = dict(genes_of(select(population).variant))
                p2 = dict(genes_of(select(population).variant))
                genes = {}
                for slot in r.slots:
                    chosen = p1 if s.rng.random() < 0.5 else p2
                    if slot.index in chosen:
                        genes[slot.index] = chosen[slot.index]
            else:
                genes = mutate(dict(genes_of(select(population).variant)))
            children.append(r.make(s, genes))
        fresh = [c for c in children if c.source not in s.seen]
        stalls = 0 if fresh else stalls + 1
        scored = yield children
        unique = {x.variant.source: x for x in [*population, *scored]}
        population = sorted(unique.values(), key=lambda x: -x.score)[:size]


def _mhm(s: _Search) -> Iterator[list[Variant]]:
    r = _Renaming.of(s)
    if r is None:
        return
    current, genes = s.original, {}
    stalls = 0
    while stalls < 16 * STALL_LIMIT:  # cached proposals are free, so allow many
        slot = s.rng.choice(r.slots)
        if slot.index in genes and s.rng.random() < 0.2:  # MHM's restore move: back to the original name
            proposals = [r.make(s, {k: v for k, v in genes.items() if k != slot.index})]
        else:
            names = s.rng.sample(r.subs[slot.index], min(4, len(r.subs[slot.index])))
            proposals = [r.make(s, {**genes, slot.index: name}) for name in names]
        proposals = [p for p in proposals if p.source != current.variant.source]
        fresh = [p for p in proposals if p.source not in s.seen]
        stalls = 0 if fresh else stalls + 1
        scored = yield proposals
        if not scored:
            continue
        proposal = max(scored, key=lambda x: x.score)
        if s.rng.random() < min(1.0, (proposal.score + 1e-6) / (current.score + 1e-6)):
            current, genes = proposal, dict(genes_of(proposal.variant))


_RUNNERS: dict[str, Strategy] = {
    "random": _random,
    "greedy": _greedy,
    "ga": _ga,
    "mhm": _mhm,
    "guided": _guided,
}
