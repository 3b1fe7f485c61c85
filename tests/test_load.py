from pppemu.app.pacing import Pacer, rate_stats


def test_pacer_keeps_the_rate():
    started = []
    pacer = Pacer(10, rate=4, action=lambda i, now: started.append((i, now)))
    pacer.start(0.0)
    while pacer.deadline is not None:
        pacer.tick(pacer.deadline)
    assert [i for i, _ in started] == list(range(10))
    assert [now for _, now in started] == [0.0, 0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 1.75, 2.0, 2.25]


def test_pacer_respects_max_outstanding_and_resumes_on_poke():
    outstanding = []
    pacer = Pacer(5, rate=0, action=lambda i, now: outstanding.append(i), may_act=lambda: len(outstanding) < 2)
    pacer.start(0.0)
    assert outstanding == [0, 1] and pacer.blocked and pacer.deadline is None
    outstanding.pop(0)
    pacer.poke(1.0)
    assert outstanding == [1, 2] and pacer.done == 3


def test_rate_stats_per_second_buckets():
    starts = [0.0] * 6
    ups = [1.1, 1.5, 1.9, 2.2, 3.5, 3.6]
    stats = rate_stats(starts, ups)
    assert stats["per_second"] == {"min": 1, "avg": 2.0, "max": 3}
    assert stats["overall_per_s"] == round(6 / 3.6, 1)
    assert rate_stats([], [])["overall_per_s"] is None


def test_periodic_fires_every_interval():
    from pppemu.app.pacing import Periodic
    fired = []
    timer = Periodic(10, fired.append, now=0.0)
    for now in (10.0, 20.5):
        timer.tick(now)
    assert fired == [10.0, 20.5] and timer.deadline == 30.5


def test_an_unpaced_start_comes_in_bursts_so_the_wire_is_served_between_them():
    from pppemu.app.pacing import BURST
    started = []
    pacer = Pacer(BURST * 2 + 3, rate=0, action=lambda i, now: started.append(i))
    pacer.start(0.0)
    assert len(started) == BURST and pacer.deadline == 0.0  # due again at once, after the loop turns
    pacer.tick(0.0)
    pacer.tick(0.0)
    assert started == list(range(BURST * 2 + 3)) and pacer.finished and pacer.deadline is None
