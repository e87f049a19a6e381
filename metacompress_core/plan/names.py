"""Natural substitute names for renaming attacks, mined from real code with their frequencies.

ALERT proposes substitutes that a masked language model finds natural; the names programmers actually give
their variables and parameters serve the same purpose without a model: a name used often in a dataset reads
naturally in code of that language. Whether a name may replace a given variable (keyword, builtin, macro,
collision, capture) is decided by the scope-aware `rename` transform, never here.
"""

from __future__ import annotations

import random
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from metacompress_core.code.parsing import parse
from metacompress_core.transforms.analysis.bindings import analyze
from metacompress_core.transforms.analysis.text import NATURAL_NAMES, RESERVED
from metacompress_core.transforms.families.rename import C_AVOID

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def plausible(name: str, language: str) -> bool:
    """A name worth offering as a substitute in `language` (the rename transform still has the last word)."""
    if not _IDENTIFIER.match(name) or len(name) < 2 or name in RESERVED[language] or name.startswith("__"):
        return False
    return not (language == "c" and (name in C_AVOID or name.isupper()))


@dataclass(frozen=True)
class NameSource:
    """Candidate names with how often they occur, most frequent first (ties by name: deterministic)."""

    names: tuple[str, ...]
    counts: tuple[int, ...]

    @classmethod
    def from_counts(cls, counts: dict[str, int] | Counter, language: str | None = None) -> NameSource:
        items = [(n, c) for n, c in counts.items() if c > 0 and (language is None or plausible(n, language))]
        items.sort(key=lambda nc: (-nc[1], nc[0]))
        return cls(tuple(n for n, _ in items), tuple(c for _, c in items))

    @classmethod
    def from_code(cls, texts: Iterable[str], language: str, unit: bool = False) -> NameSource:
        """The local-variable and parameter names declared in `texts` (files, or units with `unit=True`)."""
        counts: Counter = Counter()
        for text in texts:
            code = parse(text, language, unit=unit)
            if code.has_errors():
                continue
            for binding in analyze(code).bindings:
                if binding.role is not None:
                    counts[binding.name] += 1
        return cls.from_counts(counts, language)

    @classmethod
    def default(cls, language: str | None = None) -> NameSource:
        """The project's small built-in list (transforms.analysis.text.NATURAL_NAMES), all equally likely."""
        return cls.from_counts({n: 1 for n in NATURAL_NAMES}, language)

    def __len__(self) -> int:
        return len(self.names)

    def top(self, k: int, exclude: Iterable[str] = ()) -> list[str]:
        banned = set(exclude)
        return [n for n in self.names if n not in banned][:k]

    def sample(self, rng: random.Random, k: int, exclude: Iterable[str] = (), pool: int = 200) -> list[str]:
        """Up to `k` distinct names drawn from the `pool` most frequent, weighted by frequency."""
        banned = set(exclude)
        choices = [
            (n, c) for n, c in zip(self.names[:pool], self.counts[:pool], strict=True) if n not in banned
        ]
        out: list[str] = []
        while choices and len(out) < k:
            total = sum(c for _, c in choices)
            pick = rng.random() * total
            for i, (n, c) in enumerate(choices):
                pick -= c
                if pick < 0 or i == len(choices) - 1:
                    out.append(n)
                    del choices[i]
                    break
        return out
