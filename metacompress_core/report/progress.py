"""A progress line on stderr for long commands (`check`, `eval`): `[#####.....] done/total unit, rate, ETA`."""

from __future__ import annotations

import sys
import time


def seconds_left(done: int, total: int, first: int, elapsed: float) -> float | None:
    """The remaining work's time at the rate seen since `first` units were done, `elapsed` seconds ago; None
    before any rate is known, or when nothing is left."""
    rate = (done - first) / elapsed if elapsed > 0 else 0.0
    return (total - done) / rate if rate > 0 and done < total else None


class ProgressBar:
    """Redrawn in place, on a terminal only. The rate counts from the first update (model loading and inputs
    resumed from an earlier run are not work done now), so the ETA is the remaining work at that rate."""

    def __init__(self, enabled: bool, unit: str = "inputs", width: int = 30):
        self.enabled, self.unit, self.width = enabled, unit, width
        self.started: float | None = None
        self.first = 0

    def update(self, done: int, total: int) -> None:
        if not self.enabled:
            return
        now = time.perf_counter()
        if self.started is None:
            self.started, self.first = now, done
        filled = int(self.width * done / total) if total else self.width
        elapsed = now - self.started
        rate = (done - self.first) / elapsed if elapsed > 0 else 0.0
        left = seconds_left(done, total, self.first, elapsed)
        eta = f", ETA {left:.0f} s" if left is not None else ""
        bar = "#" * filled + "." * (self.width - filled)
        print(
            f"\r[{bar}] {done}/{total} {self.unit}, {rate:.2f}/s{eta}   ", end="", file=sys.stderr, flush=True
        )

    def close(self) -> None:
        if self.enabled:
            print(file=sys.stderr)
