"""An AC on an untrusted access network: what a peer can make it spend without authenticating.

Role-level: forged PADRs, a peer that only acknowledges, sessions that never authenticate,
discovery floods from one MAC and from random MACs.
"""
from __future__ import annotations

import os
import random
from collections import Counter

import pytest
from frames import AC_MAC, CLIENT_MAC, Lone, discovery, drain, only, up_pair
from hypothesis import given, settings
from hypothesis import strategies as st

from pppemu.ppp.events import SessionDown, SessionUp
from pppemu.pppoe.admission import MAC_BURST, DiscoveryGuard, TokenBucket
from pppemu.testing.pair import Pair, client_mac
from pppemu.wire import const as C
from pppemu.wire.ethernet import BROADCAST


def padi(mac: bytes, host_uniq: bytes = b"hu") -> bytes:
    return discovery(BROADCAST, mac, C.PADI, 0, [(C.TAG_SERVICE_NAME, b""), (C.TAG_HOST_UNIQ, host_uniq)])


def padr(mac: bytes, cookie: bytes, host_uniq: bytes = b"hu") -> bytes:
    return discovery(AC_MAC, mac, C.PADR, 0, [(C.TAG_SERVICE_NAME, b""), (C.TAG_HOST_UNIQ, host_uniq),
                                             (C.TAG_AC_COOKIE, cookie)])


def forged_session(ac, mac: bytes, host_uniq: bytes, now: float) -> int:
    """PADI, then a PADR with the PADO's cookie; the session id granted (0: refused or unanswered)."""
    ac.receive(padi(mac, host_uniq), now)
    pados = [f for f in drain(ac) if f.disc is not None and f.disc.code == C.PADO]
    if not pados:
        return 0
    ac.receive(padr(mac, pados[0].disc.tag(C.TAG_AC_COOKIE), host_uniq), now)
    pads = [f for f in drain(ac) if f.disc is not None and f.disc.code == C.PADS]
    return pads[0].session_id if pads else 0


def test_one_mac_replaying_padrs_gets_a_few_sessions_and_no_address_and_a_real_client_still_comes_up():
    pair = Pair(pool="10.0.0.100-10.0.0.104")
    attacker = client_mac(77)
    granted = [forged_session(pair.ac, attacker, n.to_bytes(2, "big"), pair.now) for n in range(150)]
    assert sum(1 for sid in granted if sid) == 4  # the default per-MAC limit
    assert pair.ac.pool.in_use == 0 and pair.ac.in_setup == 4
    pair.add(1)
    pair.advance(3)
    assert len(pair.events_of(SessionUp)) == 1 and pair.ac.pool.in_use == 1


def test_many_macs_with_valid_cookies_get_no_address_and_are_gone_after_the_setup_deadline():
    pair = Pair(pool="10.0.0.100-10.0.0.104")
    ac = pair.ac
    for m in range(120):
        for n in range(2):
            assert forged_session(ac, client_mac(1000 + m), bytes([n]), pair.now)
    assert len(ac.sessions) == 240 and ac.pool.in_use == 0
    pair.add(1)
    pair.advance(5)
    assert len(pair.events_of(SessionUp)) == 1 and ac.pool.in_use == 1
    pair.advance(30)
    assert len(ac.sessions) == 1 and ac.in_setup == 0 and set(ac.per_mac.values()) == {1}
    reasons = Counter(s.down_reason for s in ac.ended)
    assert reasons == {"setup not complete within 30 s": 240}


def test_a_peer_that_only_acknowledges_is_ended_at_the_setup_deadline_with_a_padt():
    lone = Lone(side="ac", ac={"setup_timeout": 20.0})
    ac = lone.role
    (req,) = only(lone.first, C.PROTO_LCP, C.CONF_REQ)
    lone.ack(req)
    sent = []
    while lone.now < 19.5:  # it acks every request and never sends one of its own
        for frame in lone.advance(0.5):
            sent.append(frame)
            if frame.protocol == C.PROTO_LCP and frame.code == C.CONF_REQ:
                lone.ack(frame)
    assert ac.sessions and not lone.of(SessionDown)
    out = lone.advance(1.0)
    (padt,) = only(out, disc=C.PADT)
    assert padt.session_id == lone.session.session_id and padt.dst == CLIENT_MAC
    (down,) = lone.of(SessionDown)
    assert down.reason == "setup not complete within 20 s"
    assert not ac.sessions and ac.in_setup == 0 and ac.per_mac == {} and ac.pool.in_use == 0


def test_a_peer_that_fails_authentication_never_holds_an_address():
    pair = Pair(client_password="wrong")
    pair.add(3)
    held = []
    for _ in range(40):
        pair.advance(0.25)
        held.append(pair.ac.pool.in_use)
    assert max(held) == 0 and len(pair.events_of(SessionDown)) == 3 and not pair.events_of(SessionUp)


def test_an_authenticated_peer_finds_the_pool_empty_and_is_told_so():
    pair = Pair(pool="10.0.0.100-10.0.0.100", ac={"max_sessions_per_mac": 0})
    a, b = pair.add(2)
    pair.advance(3)
    (up,) = pair.events_of(SessionUp)
    (down,) = pair.events_of(SessionDown)
    assert "no address left in the pool" in down.reason
    assert pair.ac.pool.in_use == 1 and len(pair.ac.sessions) == 1


def test_sessions_in_setup_are_limited_and_hosts_beyond_it_wait_unanswered():
    pair = Pair(ac={"max_setup": 3})
    ac = pair.ac
    for m in range(3):
        assert forged_session(ac, client_mac(100 + m), b"x", pair.now)
    ac.receive(padi(client_mac(200)), pair.now)
    assert drain(ac) == [] and ac.counters["padi.refused_full"] == 1
    cookie = ac.cookies.make(client_mac(201), b"x", pair.now)
    ac.receive(padr(client_mac(201), cookie, b"x"), pair.now)
    assert drain(ac) == [] and ac.counters["padr.deferred_busy"] == 1
    pair.advance(31)  # the half-open three reach the setup deadline
    assert ac.in_setup == 0
    (cs,) = pair.add(1)
    pair.advance(3)
    assert len(pair.events_of(SessionUp)) == 1


def test_the_setup_deadline_does_not_touch_sessions_that_came_up():
    pair = Pair(ac={"setup_timeout": 5.0})
    pair.add(2)
    pair.advance(60)
    assert len(pair.events_of(SessionUp)) == 2 and not pair.events_of(SessionDown)
    assert all(s.state == "up" for s in pair.ac.sessions.values())


# ---- the rate limits themselves

def test_a_token_bucket_refills_at_its_rate_up_to_its_burst():
    bucket = TokenBucket(rate=2.0, burst=4)
    assert [bucket.take(0.0) for _ in range(5)] == [True] * 4 + [False]
    assert bucket.take(0.5) and not bucket.take(0.5)
    assert [bucket.take(100.0) for _ in range(5)] == [True] * 4 + [False]
    assert not TokenBucket(rate=1.0, burst=4).take(0.0, keep=3.5)


def test_first_time_macs_get_half_the_budget_and_a_mac_that_retries_the_rest():
    counters: Counter = Counter()
    guard = DiscoveryGuard(rate=10, mac_rate=0, counters=counters)
    macs = [client_mac(n) for n in range(20)]
    first = [guard.admit(padi(mac), 0.0) for mac in macs]
    assert first == [True] * 5 + [False] * 15 and counters["padi.rate_limited"] == 15
    # the refused ones retry (a flood would not): they may use the reserve
    again = [guard.admit(padi(mac), 0.0) for mac in macs[5:]]
    assert again == [True] * 5 + [False] * 10
    assert not guard.admit(padi(client_mac(99)), 0.0)  # a newcomer still finds the budget spent


def test_a_retrying_host_gets_through_a_flood_from_random_macs():
    counters: Counter = Counter()
    guard = DiscoveryGuard(rate=1000, mac_rate=2, counters=counters)
    rng = random.Random(7)
    host = client_mac(1)
    answered_at = None
    now = 0.0
    for step in range(200_000):  # 100,000 PADIs a second from random MACs, for 2 s
        now = step / 100_000
        guard.admit(padi(rng.randbytes(6)), now)
        if step % 50_000 == 0 and answered_at is None and guard.admit(padi(host), now):
            answered_at = now  # the host retransmits every half second
    assert answered_at is not None and answered_at <= 0.5
    assert counters["padi.rate_limited"] > 190_000
    assert len(guard.per_mac) <= 1000 + 1000 * 2  # only admitted MACs get a bucket: burst + rate x 2 s


def test_one_mac_is_held_to_its_own_rate_and_others_are_not():
    counters: Counter = Counter()
    guard = DiscoveryGuard(rate=0, mac_rate=2, counters=counters)
    burst = [guard.admit(padi(CLIENT_MAC), 0.0) for _ in range(MAC_BURST + 5)]
    assert burst == [True] * MAC_BURST + [False] * 5 and counters["padi.mac_rate_limited"] == 5
    assert guard.admit(padr(CLIENT_MAC, b"c"), 0.0) is False and counters["padr.mac_rate_limited"] == 1
    assert guard.admit(padi(client_mac(2)), 0.0)
    assert guard.admit(padi(CLIENT_MAC), 0.5) and not guard.admit(padi(CLIENT_MAC), 0.5)


def test_per_mac_buckets_stay_bounded_without_an_overall_limit():
    counters: Counter = Counter()
    guard = DiscoveryGuard(rate=0, mac_rate=2, counters=counters)
    for n in range(120_000):
        guard.admit(padi(n.to_bytes(6, "big")), n / 1e6)
    assert len(guard.per_mac) <= 100_000 and counters["discovery.mac_buckets_reset"] >= 1


def test_session_frames_padt_and_other_traffic_are_never_rate_limited():
    guard = DiscoveryGuard(rate=1, mac_rate=1, counters=Counter())
    for _ in range(3):
        guard.admit(padi(CLIENT_MAC), 0.0)
    session = AC_MAC + CLIENT_MAC + bytes.fromhex("8864 1100 0001 0002 c021")
    padt = discovery(AC_MAC, CLIENT_MAC, C.PADT, 1, [])
    tagged = padi(CLIENT_MAC)[:12] + b"\x81\x00\x00\x05" + padi(CLIENT_MAC)[12:]
    assert guard.admit(session, 0.0) and guard.admit(padt, 0.0) and guard.admit(b"\x00" * 5, 0.0)
    assert not guard.admit(tagged, 0.0)  # a tag in front changes nothing


def test_forged_padrs_with_bad_cookies_do_not_use_up_the_budget_of_real_ones():
    pair = Pair(ac={"discovery_rate": 5, "mac_discovery_rate": 0})
    ac = pair.ac
    for n in range(50):
        ac.receive(padr(client_mac(300 + n), os.urandom(24)), pair.now)
    assert drain(ac) == [] and ac.counters["padr.bad_cookie"] == 50 and ac.counters["padr.rate_limited"] == 0
    pair.add(1)
    pair.advance(3)
    assert len(pair.events_of(SessionUp)) == 1


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["padi", "padr", "replay", "padt"]), st.integers(0, 7),
                          st.integers(0, 3)), max_size=60))
def test_whatever_discovery_a_crowd_sends_the_books_balance(script):
    """Hypothesis drives a crowd of 8 MACs through discovery in any order; counts stay exact."""
    pair = Pair(pool="10.0.0.100-10.0.0.103", ac={"max_setup": 5})
    ac = pair.ac
    cookies: dict[tuple[int, int], bytes] = {}
    for kind, m, h in script:
        mac, host_uniq = client_mac(500 + m), bytes([h])
        if kind == "padi":
            ac.receive(padi(mac, host_uniq), pair.now)
            for f in drain(ac):
                cookies[(m, h)] = f.disc.tag(C.TAG_AC_COOKIE)
        elif kind in ("padr", "replay") and (m, h) in cookies:
            ac.receive(padr(mac, cookies[(m, h)], host_uniq), pair.now)
            drain(ac)
        elif kind == "padt":
            for (_, peer, sid) in list(ac.sessions):
                if peer == mac:
                    ac.receive(discovery(AC_MAC, mac, C.PADT, sid, []), pair.now)
            drain(ac)
        pair.now += 0.3
    assert ac.in_setup == len(ac.sessions) <= 5
    assert sum(ac.per_mac.values()) == len(ac.sessions) and max(ac.per_mac.values(), default=0) <= 4
    assert ac.pool.in_use == 0 and ac.counters["internal_errors"] == 0
    ac.tick(pair.now + 31)
    drain(ac)
    assert not ac.sessions and ac.in_setup == 0 and ac.per_mac == {}


def test_a_renegotiation_is_not_a_second_setup():
    pair, cs, acs = up_pair()
    ac, first_up = pair.ac, acs.up_at
    assert ac.in_setup == 0
    for _ in range(3):  # the AC renegotiates LCP; IPCP opens again each time
        acs.ppp.lcp.open(pair.now)
        acs.ppp.lcp.down(pair.now)
        acs.ppp.lcp.up(pair.now)
        pair.advance(2)
        assert cs.ppp.is_up and acs.ppp.is_up
    assert ac.in_setup == 0 and acs.up_at == first_up and cs.up_at is not None
    acs.end(pair.now, "done")
    assert ac.in_setup == 0


def test_one_flooding_mac_cannot_take_the_budget_of_every_other_host():
    counters: Counter = Counter()
    guard = DiscoveryGuard(rate=2000, mac_rate=2, counters=counters)
    flooder, hosts = client_mac(999), [client_mac(n) for n in range(20)]
    admitted = 0
    for step in range(200_000):  # 20,000 PADIs a second from one MAC for 10 s
        now = step / 20_000
        guard.admit(padi(flooder), now)
        if step % 20_000 == 0:  # every host once a second
            admitted += sum(guard.admit(padi(host), now) for host in hosts)
    assert admitted == 200 and counters["padi.mac_rate_limited"] > 190_000


@pytest.mark.parametrize("rate", [0.5, 1.0, 1.5])
def test_a_low_overall_rate_still_answers_a_host_on_an_idle_ac(rate):
    guard = DiscoveryGuard(rate=rate, mac_rate=0, counters=Counter())
    assert guard.admit(padi(client_mac(1)), 0.0)
    assert guard.admit(padi(client_mac(2)), 10.0)


def test_the_ac_reports_the_dns_servers_it_handed_out():
    pair, cs, acs = up_pair()
    assert acs.dns == ["10.0.0.53", "10.0.0.54"] == cs.dns
