"""Starting and stopping many sessions at a set rate; setup-rate statistics.

Both pacers are driven like the roles: they expose `deadline` and act in `tick(now)`.
"""
from __future__ import annotations

import math
from collections.abc import Callable

BURST = 500  # most sessions started in one tick, so even an unpaced start never starves the wire


class Pacer:
    """Calls `action(i)` for i in range(total), at most `rate` per second (0: no limit)
    and, if `may_act()` says no, not until it says yes again (e.g. max outstanding)."""

    def __init__(self, total: int, rate: float, action: Callable[[int, float], None],
                 may_act: Callable[[], bool] = lambda: True):
        self.total, self.rate, self.action, self.may_act = total, rate, action, may_act
        self.done = 0
        self.t0: float | None = None
        self.deadline: float | None = None
        self.blocked = False

    def start(self, now: float) -> None:
        self.t0 = now
        self.tick(now)

    def tick(self, now: float) -> None:
        if self.t0 is None:
            return
        allowed = self.total if not self.rate else min(self.total, math.floor((now - self.t0) * self.rate) + 1)
        self.blocked = False
        burst_end = min(allowed, self.done + BURST)
        while self.done < burst_end:
            if not self.may_act():
                self.blocked = True  # woken again by `poke` when a slot frees
                break
            self.action(self.done, now)
            self.done += 1
        if self.done < allowed and not self.blocked:
            self.deadline = now  # more are due: come back once the loop has served the wire
        elif self.done < self.total and self.rate and not self.blocked:
            self.deadline = self.t0 + self.done / self.rate
        else:
            self.deadline = None

    def poke(self, now: float) -> None:
        if self.blocked:
            self.tick(now)

    @property
    def finished(self) -> bool:
        return self.done >= self.total


class Periodic:
    """Calls `action(now)` every `interval` seconds (a status line, say)."""

    def __init__(self, interval: float, action: Callable[[float], None], now: float):
        self.interval, self.action = interval, action
        self.deadline: float | None = now + interval

    def tick(self, now: float) -> None:
        self.action(now)
        self.deadline = now + self.interval


def setup_rate(sessions) -> dict:
    """rate_stats over sessions that carry started_at / up_at."""
    sessions = list(sessions)
    return rate_stats([s.started_at for s in sessions if s.started_at is not None],
                      [s.up_at for s in sessions if s.up_at is not None])


def rate_stats(start_times: list[float], up_times: list[float]) -> dict:
    """Setup rate overall and per second (min/avg/max over whole seconds), as testers report it."""
    if not up_times or not start_times:
        return {"overall_per_s": None, "per_second": None, "first_up_s": None, "last_up_s": None}
    t0 = min(start_times)
    span = max(up_times) - t0
    buckets: dict[int, int] = {}
    for t in up_times:
        second = int(t - t0)
        buckets[second] = buckets.get(second, 0) + 1
    # From the first second with a session up to the last (which may be partial).
    counts = [buckets.get(s, 0) for s in range(min(buckets), max(buckets) + 1)]
    return {
        "overall_per_s": round(len(up_times) / span, 1) if span > 0 else None,
        "per_second": {"min": min(counts), "avg": round(sum(counts) / len(counts), 1), "max": max(counts)},
        "first_up_s": round(min(up_times) - t0, 4),
        "last_up_s": round(span, 4),
    }
