"""Churn for soak runs: session time with jitter, reconnect, counters per interval."""
import json
import random

import pytest

from pppemu.app.churn import Churn, ChurnPlan
from pppemu.ppp.events import SessionKey


class Script:
    def __init__(self, plan: ChurnPlan):
        self.closed: list[tuple[SessionKey, float]] = []
        self.restarted: list[tuple[int, float]] = []
        self.lines: list[str] = []
        self.churn = Churn(plan, lambda key, now: self.closed.append((key, now)),
                           lambda n, now: self.restarted.append((n, now)), self.lines.append, random.Random(1), 0.0)

    def run_until(self, end: float) -> None:
        while self.churn.deadline <= end:
            self.churn.tick(self.churn.deadline)


def test_sessions_end_after_their_time_within_the_jitter_and_come_back_after_the_delay():
    s = Script(ChurnPlan(session_time=10, jitter=0.2, reconnect=True, reconnect_delay=2, interval=100))
    keys = [SessionKey(n + 1, f"02:00:00:00:00:{n:02x}") for n in range(20)]
    for n, key in enumerate(keys):
        s.churn.started(key.number, n)
        s.churn.up(key, 0.0)
    s.run_until(20)
    assert sorted(k.number for k, _ in s.closed) == list(range(1, 21))
    assert all(8 <= t <= 12 for _, t in s.closed) and len({t for _, t in s.closed}) > 10  # spread, not in step
    for key, t in s.closed:
        assert s.churn.down(key, "session time reached", True, t)  # ours: no loss
    s.run_until(20)
    assert sorted(n for n, _ in s.restarted) == list(range(20))
    assert all(t == pytest.approx(c + 2) for (_, t), (_, c) in zip(sorted(s.restarted), sorted(s.closed,
               key=lambda kc: kc[0].number), strict=True))
    assert s.churn.totals == {"setups": 20, "teardowns": 20}


def test_losses_and_failures_are_counted_by_reason_and_reconnect_too():
    s = Script(ChurnPlan(session_time=60, reconnect=True, reconnect_delay=1, interval=5))
    a, b = SessionKey(1, "a"), SessionKey(2, "b")
    s.churn.started(1, 0)
    s.churn.started(2, 1)
    s.churn.up(a, 0.0)
    assert not s.churn.down(a, "peer not responding", True, 1.0)
    assert not s.churn.down(b, "no PADO", False, 2.0)
    s.run_until(5)
    assert sorted(n for n, _ in s.restarted) == [0, 1] and not s.closed  # a's end time no longer applies
    summary = s.churn.summary()
    assert summary["totals"] == {"setups": 1, "teardowns": 0, "lost": 1, "failed": 1}
    assert summary["failure_reasons"] == {"peer not responding": 1, "no PADO": 1}
    assert summary["intervals"][0]["lost"] == 1 and "1 lost, 1 failed" in s.lines[0]


def test_without_reconnect_nothing_starts_again():
    s = Script(ChurnPlan(session_time=3))
    key = SessionKey(1, "a")
    s.churn.started(1, 0)
    s.churn.up(key, 0.0)
    s.run_until(10)
    (closed,) = s.closed
    s.churn.down(key, "session time reached", True, closed[1])
    s.run_until(20)
    assert not s.restarted


@pytest.mark.e2e
def test_a_short_soak_keeps_the_acs_pool_and_ids_exact(lab):
    ac, ac_log = lab.start_ac("--local-ip", "10.0.0.1", "--pool", "10.0.0.0/24", "--user", "lab", "--password", "pw",
                              "-q", "--max-sessions-per-mac", "0", "--report", str(lab.tmp / "ac.json"))
    result = lab.run_client("--sessions", "20", "--user", "lab", "--password", "pw", "--session-time", "2",
                            "--reconnect", "--reconnect-delay", "0.5", "--churn-interval", "3", "--duration", "9",
                            "--report", str(lab.tmp / "client.json"), timeout=60)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr
    churn = json.loads((lab.tmp / "client.json").read_text())["churn"]
    assert churn["totals"]["setups"] >= 60 and churn["totals"]["lost"] == 0 and churn["totals"]["failed"] == 0
    assert churn["totals"]["teardowns"] >= 40 and "churn:" in result.stdout
    ac.terminate()
    assert ac.wait(timeout=15) == 0
    ac_report = json.loads((lab.tmp / "ac.json").read_text())
    assert ac_report["pool"]["in_use"] == 0 and ac_report["counters"].get("internal_errors", 0) == 0
