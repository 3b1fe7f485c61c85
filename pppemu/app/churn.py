"""Churn for soak runs: each session ends after its session time (give or take the jitter)
and, with reconnect, its subscriber starts again after a delay, as CPEs reconnect all day.
Counts setups, teardowns and failures per interval; driven like the pacers (deadline, tick)."""
from __future__ import annotations

import heapq
import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from pppemu.ppp.events import SessionKey


@dataclass
class ChurnPlan:
    session_time: float               # seconds a session is held once up
    jitter: float = 0.1               # +- this fraction of session_time, so sessions do not move in step
    reconnect: bool = False
    reconnect_delay: float = 1.0      # seconds from a session's end to its subscriber's next PADI
    interval: float = 10.0            # seconds per counter line


class Churn:
    def __init__(self, plan: ChurnPlan, close: Callable[[SessionKey, float], None],
                 restart: Callable[[int, float], None], say: Callable[[str], None], rng: random.Random, now: float):
        self.plan, self.close, self.restart, self.say, self.rng = plan, close, restart, say, rng
        self._ends: list[tuple[float, int, SessionKey]] = []   # (when, tie-break, session)
        self._restarts: list[tuple[float, int]] = []           # (when, subscriber index)
        self.subscriber: dict[int, int] = {}                  # session number -> subscriber index
        self.ending: set[SessionKey] = set()                  # closed by us for its session time
        self.totals: Counter[str] = Counter()
        self.failures: Counter[str] = Counter()
        self.intervals: list[dict] = []
        self._interval: Counter[str] = Counter()
        self._interval_failures: Counter[str] = Counter()
        self._next_report = now + plan.interval
        self._seq = 0

    @property
    def deadline(self) -> float:
        candidates = [self._next_report]
        if self._ends:
            candidates.append(self._ends[0][0])
        if self._restarts:
            candidates.append(self._restarts[0][0])
        return min(candidates)

    def started(self, number: int, subscriber: int) -> None:
        self.subscriber[number] = subscriber

    def up(self, key: SessionKey, now: float) -> None:
        self._count("setups")
        spread = self.plan.session_time * self.plan.jitter
        self._seq += 1
        heapq.heappush(self._ends, (now + self.plan.session_time + self.rng.uniform(-spread, spread), self._seq, key))

    def down(self, key: SessionKey, reason: str, was_up: bool, now: float) -> bool:
        """A session ended; True if we ended it for its session time (no loss)."""
        ours = key in self.ending
        self.ending.discard(key)
        if ours:
            self._count("teardowns")
        elif was_up:
            self._count("lost")
            self._fail(reason)
        else:
            self._count("failed")
            self._fail(reason)
        subscriber = self.subscriber.pop(key.number, None)
        if self.plan.reconnect and subscriber is not None:
            heapq.heappush(self._restarts, (now + self.plan.reconnect_delay, subscriber))
        return ours

    def tick(self, now: float) -> None:
        while self._ends and self._ends[0][0] <= now:
            _, _, key = heapq.heappop(self._ends)
            if key.number in self.subscriber:  # still running: not already ended another way
                self.ending.add(key)
                self.close(key, now)
        while self._restarts and self._restarts[0][0] <= now:
            _, subscriber = heapq.heappop(self._restarts)
            self.restart(subscriber, now)
        if now >= self._next_report:
            self._report(now)

    def _count(self, what: str) -> None:
        self.totals[what] += 1
        self._interval[what] += 1

    def _fail(self, reason: str) -> None:
        self.failures[reason] += 1
        self._interval_failures[reason] += 1

    def _report(self, now: float) -> None:
        counts = {k: self._interval[k] for k in ("setups", "teardowns", "lost", "failed")}
        self.intervals.append({**counts, "failure_reasons": dict(self._interval_failures)})
        reasons = "; ".join(f"{r}: {n}" for r, n in self._interval_failures.most_common(3))
        self.say(f"churn: {counts['setups']} up, {counts['teardowns']} ended by session time, "
                 f"{counts['lost']} lost, {counts['failed']} failed" + (f" ({reasons})" if reasons else ""))
        self._interval.clear()
        self._interval_failures.clear()
        self._next_report = now + self.plan.interval

    def summary(self) -> dict:
        return {"totals": {k: self.totals[k] for k in ("setups", "teardowns", "lost", "failed")},
                "failure_reasons": dict(self.failures), "intervals": self.intervals,
                "interval_s": self.plan.interval}
