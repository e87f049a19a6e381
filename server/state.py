"""What the server knows per document: the check generation and the findings of the latest checked version.

Everything here is touched on the event loop only (the worker process learns that its check was superseded
through the server's `cancel_stale`).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from metacompress_core.code.units import Unit
from metacompress_core.engine import Finding
from metacompress_server.focus import Focus


@dataclass
class Results:
    version: int | None  # the document version these findings belong to
    findings: dict[str, Finding] = field(default_factory=dict)  # by unit id, in arrival order
    checked: set[str] = field(default_factory=set)  # unit ids checked in this version (not carried over)
    units: list[Unit] = field(default_factory=list)  # every unit of that version (checked or not yet)
    # unit id -> (budget, compositions) of the deepening pass a finding came from
    depth: dict[str, tuple[int, int]] = field(default_factory=dict)
    done: bool = False
    error: str | None = None


@dataclass
class State:
    generation: dict[str, int] = field(default_factory=dict)  # uri -> number of checks scheduled
    results: dict[str, Results] = field(default_factory=dict)  # uri -> the latest (possibly partial) results
    ignored: set[str] = field(default_factory=set)  # unit ids the user asked to ignore this session
    shown_errors: set[str] = field(default_factory=set)  # user errors already shown (shown once each)
    closing: bool = False  # set on shutdown: every running check stops at its next batch
    focus: dict[str, Focus] = field(default_factory=dict)  # uri -> where the person looks (server/focus.py)
    depth: dict[str, int] = field(default_factory=dict)  # uri -> budget of its last deepening pass, if any
    active: dict[str, float] = field(default_factory=dict)  # uri -> when last edited, opened or focused

    def next_generation(self, uri: str) -> int:
        self.generation[uri] = self.generation.get(uri, 0) + 1
        return self.generation[uri]

    def is_current(self, uri: str, generation: int) -> bool:
        return not self.closing and self.generation.get(uri) == generation

    def start(self, uri: str, version: int | None, units: list[Unit]) -> Results:
        """New results for `version`; findings of units whose code is unchanged carry over, moved to where the
        unit now is, so diagnostics do not flicker while the check runs (the engine re-checks them anyway)."""
        old = self.results.get(uri)
        carried: dict[str, Finding] = {}
        depth: dict[str, tuple[int, int]] = {}
        if old is not None:
            for unit in units:
                previous = old.findings.get(unit.id)
                if previous is not None:
                    carried[unit.id] = replace(previous, unit=unit)
                    if unit.id in old.depth:  # the hover states the depth of the finding it shows
                        depth[unit.id] = old.depth[unit.id]
        self.results[uri] = Results(version, findings=carried, units=units, depth=depth)
        return self.results[uri]

    def forget(self, uri: str) -> None:
        self.results.pop(uri, None)
        self.focus.pop(uri, None)
        self.depth.pop(uri, None)
        self.active.pop(uri, None)
        self.generation[uri] = self.generation.get(uri, 0) + 1  # cancels a running check
