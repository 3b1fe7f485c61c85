"""PPPoE discovery (RFC 2516 section 5, RFC 4638) on both roles, frame by frame."""
import random
import struct

import pytest
from frames import (
    CLIENT_MAC,
    OTHER_MAC,
    client_through_discovery,
    discovery,
    drain,
    events,
    lone_client,
    of_type,
    only,
    up_pair,
    wire_frames,
)

from pppemu.ppp.events import DiscoveryDone, SessionDown, SessionUp
from pppemu.ppp.session import PppConfig
from pppemu.pppoe.ac import AcConfig, AcRole
from pppemu.pppoe.credentials import Secrets
from pppemu.pppoe.discovery import CookieJar, DiscoveryClient, DiscoveryTimers, describe_error, echo_tags, line_id_tag
from pppemu.testing.pair import AC_MAC, Pair, client_mac
from pppemu.wire import BROADCAST, Discovery
from pppemu.wire import const as C


def test_a_clean_discovery_follows_rfc_2516_section_5():
    pair = Pair()
    (cs,) = pair.add(1)
    pair.advance(2)
    frames = wire_frames(pair)
    (padi,) = only(frames, disc=C.PADI)
    (pado,) = only(frames, disc=C.PADO)
    (padr,) = only(frames, disc=C.PADR)
    (pads,) = only(frames, disc=C.PADS)
    # 5.1: PADI to broadcast, session id 0, exactly one Service-Name.
    assert padi.dst == BROADCAST and padi.src == cs.local_mac and padi.session_id == 0
    assert len(padi.disc.all_tags(C.TAG_SERVICE_NAME)) == 1
    host_uniq = padi.disc.tag(C.TAG_HOST_UNIQ)
    assert host_uniq == cs.host_uniq and len(host_uniq) == 8
    # 5.2: PADO unicast to the host, session id 0, AC-Name, Host-Uniq echoed.
    assert pado.dst == cs.local_mac and pado.src == AC_MAC and pado.session_id == 0
    assert pado.disc.tag(C.TAG_AC_NAME) == b"pppemu" and pado.disc.tag(C.TAG_HOST_UNIQ) == host_uniq
    assert pado.disc.tag(C.TAG_SERVICE_NAME) == b""
    cookie = pado.disc.tag(C.TAG_AC_COOKIE)
    assert cookie and len(cookie) == 24
    # 5.3: PADR unicast to the AC that offered, session id 0, cookie and Host-Uniq returned.
    assert padr.dst == AC_MAC and padr.src == cs.local_mac and padr.session_id == 0
    assert padr.disc.tag(C.TAG_AC_COOKIE) == cookie and padr.disc.tag(C.TAG_HOST_UNIQ) == host_uniq
    assert len(padr.disc.all_tags(C.TAG_SERVICE_NAME)) == 1
    # 5.4: PADS with a session id that is neither 0 nor 0xFFFF, Host-Uniq echoed.
    assert pads.dst == cs.local_mac and 0 < pads.session_id < 0xFFFF and pads.disc.error() is None
    assert pads.disc.tag(C.TAG_HOST_UNIQ) == host_uniq
    assert cs.session_id == pads.session_id
    sessions = [f for f in frames if f.ethertype == C.ETH_SESSION]
    assert sessions and all(f.session_id == pads.session_id for f in sessions)
    (done,) = pair.events_of(DiscoveryDone)
    assert done.session_id == pads.session_id and done.peer_mac == "02:ac:00:00:00:01" and done.ac_name == "pppemu"


def test_client_asks_for_the_configured_service_and_echoes_the_relay_session_id():
    role = lone_client(client={"service_name": "internet"})
    role.add_session(CLIENT_MAC, 0.0)
    (padi,) = drain(role)
    assert padi.disc.all_tags(C.TAG_SERVICE_NAME) == [b"internet"]
    hu = padi.disc.tag(C.TAG_HOST_UNIQ)
    role.receive(discovery(CLIENT_MAC, AC_MAC, C.PADO, 0, [
        (C.TAG_SERVICE_NAME, b"internet"), (C.TAG_AC_NAME, b"bras"), (C.TAG_HOST_UNIQ, hu),
        (C.TAG_AC_COOKIE, b"\x01\x02"), (C.TAG_RELAY_SESSION_ID, b"relay-7")]), 0.1)
    (padr,) = drain(role)
    assert padr.disc.code == C.PADR and padr.dst == AC_MAC and padr.session_id == 0
    assert padr.disc.all_tags(C.TAG_SERVICE_NAME) == [b"internet"]
    assert padr.disc.tag(C.TAG_AC_COOKIE) == b"\x01\x02"
    assert padr.disc.tag(C.TAG_RELAY_SESSION_ID) == b"relay-7"
    assert padr.disc.tag(C.TAG_HOST_UNIQ) == hu


def _lone_discovery(**kw):
    sent = []
    dc = DiscoveryClient(CLIENT_MAC, b"hu", lambda dst, pkt: sent.append((dst, pkt)), **kw)
    return dc, sent


def _pado(tags=(), host_uniq=b"hu"):
    return Discovery(C.PADO, 0, [(C.TAG_HOST_UNIQ, host_uniq), (C.TAG_AC_COOKIE, b"k")] + list(tags))


def _run_timers(dc, until=1000.0):
    times = []
    while dc.deadline is not None and dc.deadline <= until:
        now = dc.deadline
        dc.tick(now)
        times.append(now)
    return times


def test_padi_is_resent_with_a_doubling_timeout_then_fails():
    # RFC 2516 section 7: resend the PADI and double the waiting period.
    dc, sent = _lone_discovery(timers=DiscoveryTimers(timeout=1.0, max_timeout=8.0, padi_tries=6))
    start_times = []
    dc.start(0.0)
    start_times.append(0.0)
    now = 0.0
    while dc.deadline is not None:
        now = dc.deadline
        count = len(sent)
        dc.tick(now)
        if len(sent) > count:
            start_times.append(now)
    assert [dst for dst, _ in sent] == [BROADCAST] * 6
    assert [pkt.code for _, pkt in sent] == [C.PADI] * 6
    assert start_times == [0.0, 1.0, 3.0, 7.0, 15.0, 23.0]  # 1, 2, 4, 8, then capped at 8
    assert now == 31.0 and dc.state == "failed" and "no PADO" in dc.failure
    assert dc.retransmits == 5


def test_padr_is_resent_with_backoff_then_discovery_starts_over():
    dc, sent = _lone_discovery(timers=DiscoveryTimers(timeout=1.0, max_timeout=3.0, padi_tries=2,
                                                      padr_tries=3, rounds=2))
    dc.start(0.0)
    dc.receive(AC_MAC, _pado(), 0.5)
    assert dc.state == "padr"
    sent.clear()
    stamps = []
    while dc.deadline is not None:
        now = dc.deadline
        n = len(sent)
        dc.tick(now)
        stamps += [(now, pkt.code) for _, pkt in sent[n:]]
    # PADR at 0.5, resent after 1 and 2 s; after the third one times out (3 s, capped),
    # back to PADI (round 2), which itself gets no answer.
    assert stamps == [(1.5, C.PADR), (3.5, C.PADR), (6.5, C.PADI), (7.5, C.PADI)]
    assert dc.state == "failed" and dc.round == 2
    assert dc.failure == "no PADS: the access concentrator stopped answering"


def test_padr_retries_exhausted_in_the_last_round_fail_with_no_pads():
    dc, sent = _lone_discovery(timers=DiscoveryTimers(timeout=1.0, padr_tries=2, rounds=1))
    dc.start(0.0)
    dc.receive(AC_MAC, _pado(), 0.0)
    _run_timers(dc)
    assert [p.code for _, p in sent] == [C.PADI, C.PADR, C.PADR]
    assert dc.failure == "no PADS: the access concentrator did not confirm the session"


def test_discovery_answers_with_another_host_uniq_are_ignored():
    dc, sent = _lone_discovery()
    dc.start(0.0)
    dc.receive(AC_MAC, _pado(host_uniq=b"other"), 0.1)
    dc.receive(AC_MAC, Discovery(C.PADO, 0, [(C.TAG_AC_COOKIE, b"k")]), 0.1)
    assert dc.state == "padi" and len(sent) == 1


def test_client_ignores_a_pado_carrying_an_error_tag():
    dc, sent = _lone_discovery()
    dc.start(0.0)
    dc.receive(AC_MAC, _pado([(C.TAG_AC_SYSTEM_ERROR, b"full")]), 0.1)
    assert dc.state == "padi" and len(sent) == 1
    dc.receive(OTHER_MAC, _pado(), 0.2)
    assert dc.state == "padr" and sent[-1] == (OTHER_MAC, sent[-1][1]) and dc.ac_mac == OTHER_MAC


def test_client_chooses_only_the_named_ac_and_the_service_it_wants():
    dc, sent = _lone_discovery(ac_name="bras2", service_name="voice")
    dc.start(0.0)
    dc.receive(AC_MAC, _pado([(C.TAG_AC_NAME, b"bras1"), (C.TAG_SERVICE_NAME, b"voice")]), 0.1)
    dc.receive(AC_MAC, _pado([(C.TAG_AC_NAME, b"bras2"), (C.TAG_SERVICE_NAME, b"data")]), 0.1)
    assert dc.state == "padi"
    dc.receive(OTHER_MAC, _pado([(C.TAG_AC_NAME, b"bras2"), (C.TAG_SERVICE_NAME, b"data"),
                                 (C.TAG_SERVICE_NAME, b"voice")]), 0.2)
    assert dc.state == "padr" and dc.ac_mac == OTHER_MAC and dc.ac_name == "bras2"
    dst, padr = sent[-1]
    assert dst == OTHER_MAC and padr.code == C.PADR and padr.all_tags(C.TAG_SERVICE_NAME) == [b"voice"]


def test_a_second_pado_does_not_change_the_chosen_ac():
    dc, sent = _lone_discovery()
    dc.start(0.0)
    dc.receive(AC_MAC, _pado(), 0.1)
    dc.receive(OTHER_MAC, _pado(), 0.2)
    assert dc.ac_mac == AC_MAC and [p.code for _, p in sent] == [C.PADI, C.PADR]


def _to_padr(**kw):
    dc, sent = _lone_discovery(**kw)
    dc.start(0.0)
    dc.receive(AC_MAC, _pado(), 0.1)
    return dc, sent


def test_pads_from_another_mac_is_ignored():
    dc, _ = _to_padr()
    dc.receive(OTHER_MAC, Discovery(C.PADS, 5, [(C.TAG_HOST_UNIQ, b"hu")]), 0.2)
    assert dc.state == "padr" and dc.session_id == 0


@pytest.mark.parametrize("error_tag", C.ERROR_TAGS)
def test_a_pads_with_an_error_tag_is_a_refusal_even_with_a_session_id(error_tag):
    # RFC 2516 section 5.4: an AC that does not like the PADR answers with an error tag.
    dc, _ = _to_padr()
    dc.receive(AC_MAC, Discovery(C.PADS, 0x42, [(C.TAG_HOST_UNIQ, b"hu"), (error_tag, b"nope")]), 0.2)
    assert dc.state == "failed" and dc.session_id == 0 and "nope" in dc.failure
    assert dc.deadline is None


def test_a_pads_with_session_id_zero_is_a_refusal():
    dc, _ = _to_padr()
    dc.receive(AC_MAC, Discovery(C.PADS, 0, [(C.TAG_HOST_UNIQ, b"hu")]), 0.2)
    assert dc.state == "failed" and "PADS with session id 0" in dc.failure


def test_a_good_pads_gives_the_session_and_stops_the_timer():
    dc, _ = _to_padr()
    dc.receive(AC_MAC, Discovery(C.PADS, 0x42, [(C.TAG_HOST_UNIQ, b"hu")]), 0.2)
    assert dc.state == "session" and dc.session_id == 0x42 and dc.deadline is None and not dc.failure


def test_pado_during_the_session_phase_changes_nothing():
    dc, sent = _to_padr()
    dc.receive(AC_MAC, Discovery(C.PADS, 0x42, [(C.TAG_HOST_UNIQ, b"hu")]), 0.2)
    dc.receive(OTHER_MAC, _pado(), 0.3)
    dc.receive(OTHER_MAC, Discovery(C.PADS, 0x43, [(C.TAG_HOST_UNIQ, b"hu")]), 0.3)
    assert dc.state == "session" and dc.ac_mac == AC_MAC and dc.session_id == 0x42 and len(sent) == 2


def test_error_names_in_the_failure_reason():
    assert describe_error(Discovery(C.PADS, 0, [(C.TAG_SERVICE_NAME_ERROR, b"")])) == "Service-Name-Error"
    assert describe_error(Discovery(C.PADS, 0, [(C.TAG_GENERIC_ERROR, b"x")])) == "Generic-Error: x"
    assert describe_error(Discovery(C.PADS, 0, [(C.TAG_AC_NAME, b"x")])) is None


def test_client_role_reports_a_refused_session_and_starts_no_ppp():
    role = lone_client()
    cs = role.add_session(CLIENT_MAC, 0.0)
    (padi,) = drain(role)
    hu = padi.disc.tag(C.TAG_HOST_UNIQ)
    role.receive(discovery(CLIENT_MAC, AC_MAC, C.PADO, 0, [(C.TAG_HOST_UNIQ, hu), (C.TAG_AC_COOKIE, b"k")]), 0.1)
    drain(role)
    role.receive(discovery(CLIENT_MAC, AC_MAC, C.PADS, 9, [
        (C.TAG_HOST_UNIQ, hu), (C.TAG_SERVICE_NAME_ERROR, b"no such service")]), 0.2)
    evts = events(role)
    assert not of_type(evts, DiscoveryDone)
    (down,) = of_type(evts, SessionDown)
    assert "Service-Name-Error: no such service" in down.reason
    assert cs.ppp is None and cs.gone and cs.state == "failed"
    assert drain(role) == []  # no LCP, and no PADT for a session that never existed


def test_client_role_ignores_discovery_for_another_mac_with_a_known_host_uniq():
    role = lone_client()
    cs = role.add_session(CLIENT_MAC, 0.0)
    (padi,) = drain(role)
    hu = padi.disc.tag(C.TAG_HOST_UNIQ)
    role.receive(discovery(OTHER_MAC, AC_MAC, C.PADO, 0, [(C.TAG_HOST_UNIQ, hu), (C.TAG_AC_COOKIE, b"k")]), 0.1)
    assert drain(role) == [] and cs.discovery.state == "padi" and role.counters["rx.unmatched"] == 1


def test_client_lcp_starts_right_after_pads():
    role = lone_client()
    cs, _, _ = client_through_discovery(role, sid=0x77)
    frames = drain(role)
    assert frames and all(f.session_id == 0x77 and f.dst == AC_MAC and f.src == CLIENT_MAC for f in frames)
    assert only(frames, C.PROTO_LCP, C.CONF_REQ)
    (done,) = of_type(events(role), DiscoveryDone)
    assert done.session_id == 0x77 and done.ac_name == "bras" and cs.state == "establish"


# ---- PADT (RFC 2516 section 5.5)

def test_the_client_sends_padt_when_it_ends_the_session():
    pair, cs, acs = up_pair()
    sid = cs.session_id
    pair.client.close(pair.now, "user request")
    pair.advance(5)
    padts = only(wire_frames(pair, "c2a"), disc=C.PADT)
    assert len(padts) == 1
    (padt,) = padts
    assert padt.dst == AC_MAC and padt.src == cs.local_mac and padt.session_id == sid
    # and the AC, told by Terminate and PADT alike, sends no PADT of its own back
    assert not only(wire_frames(pair, "a2c"), disc=C.PADT)
    assert acs.gone and cs.gone


def test_the_ac_sends_padt_when_it_ends_the_session_and_the_client_does_not_answer_with_one():
    pair, cs, acs = up_pair()
    sid = cs.session_id
    pair.ac.close(pair.now, "maintenance")
    pair.advance(10)
    (padt,) = only(wire_frames(pair, "a2c"), disc=C.PADT)
    assert padt.dst == cs.local_mac and padt.src == AC_MAC and padt.session_id == sid
    assert padt.disc.tag(C.TAG_AC_NAME) == b"pppemu"
    assert not only(wire_frames(pair, "c2a"), disc=C.PADT)


def test_a_padt_from_the_ac_ends_the_client_session_without_a_padt_back():
    pair, cs, _ = up_pair()
    pair.client.receive(discovery(cs.local_mac, AC_MAC, C.PADT, cs.session_id, [(C.TAG_GENERIC_ERROR, b"idle")]),
                        pair.now)
    frames = drain(pair.client)
    assert not only(frames, disc=C.PADT)
    (down,) = of_type(events(pair.client), SessionDown)
    assert down.reason == "PADT from the access concentrator: idle"
    assert cs.gone and cs.state == "closed"


def test_a_padt_with_a_foreign_session_id_or_source_is_ignored_by_the_client_session():
    pair, cs, _ = up_pair()
    pair.inject("client", discovery(cs.local_mac, AC_MAC, C.PADT, cs.session_id ^ 0x10))
    pair.inject("client", discovery(cs.local_mac, OTHER_MAC, C.PADT, cs.session_id))
    pair.advance(0.1)
    assert not cs.gone and cs.ppp.is_up
    pair.inject("client", discovery(cs.local_mac, AC_MAC, C.PADT, cs.session_id))
    pair.advance(0.1)
    assert cs.gone


def test_a_padt_for_another_session_or_not_to_the_ac_is_ignored_by_the_ac():
    pair, cs, acs = up_pair()
    pair.ac.receive(discovery(AC_MAC, cs.local_mac, C.PADT, cs.session_id ^ 1), pair.now)
    pair.ac.receive(discovery(OTHER_MAC, cs.local_mac, C.PADT, cs.session_id), pair.now)
    pair.ac.receive(discovery(AC_MAC, OTHER_MAC, C.PADT, cs.session_id), pair.now)
    assert not acs.gone and not of_type(events(pair.ac), SessionDown)
    assert pair.ac.counters["rx.ignored_discovery"] == 1
    pair.ac.receive(discovery(AC_MAC, cs.local_mac, C.PADT, cs.session_id), pair.now)
    assert acs.gone and not only(drain(pair.ac), disc=C.PADT)  # no PADT back for a PADT
    assert pair.ac.pool.in_use == 0 and not pair.ac.sessions


# ---- the AC side

def _ac(**cfg):
    ppp = PppConfig(require_auth="chap", request_dns=False, local_ip="10.0.0.1", accept_auth=())
    return AcRole(AcConfig(mac=AC_MAC, ppp=ppp, **cfg), Secrets.single("alice", "secret"), rng=random.Random(5))


def _padi(ac, mac=CLIENT_MAC, tags=((C.TAG_SERVICE_NAME, b""), (C.TAG_HOST_UNIQ, b"hu")), now=0.0):
    ac.receive(discovery(BROADCAST, mac, C.PADI, 0, tags), now)
    return drain(ac)


def _padr(ac, cookie=None, mac=CLIENT_MAC, service=b"", extra=(), dst=AC_MAC, now=0.0, host_uniq=b"hu"):
    """A PADR; without a cookie, with a genuine one minted for this MAC and Host-Uniq."""
    cookie = ac.cookies.make(mac, host_uniq, now) if cookie is None else cookie
    ac.receive(discovery(dst, mac, C.PADR, 0, [(C.TAG_SERVICE_NAME, service), (C.TAG_HOST_UNIQ, host_uniq),
                                               (C.TAG_AC_COOKIE, cookie), *extra]), now)
    return drain(ac)


def test_ac_answers_padi_with_pado_echoing_host_uniq_and_relay_session_id():
    ac = _ac(ac_name="bras9")
    (pado,) = _padi(ac, tags=[(C.TAG_SERVICE_NAME, b""), (C.TAG_HOST_UNIQ, b"hu"),
                              (C.TAG_RELAY_SESSION_ID, b"r1"), (C.TAG_VENDOR_SPECIFIC, b"v")])
    assert pado.disc.code == C.PADO and pado.dst == CLIENT_MAC and pado.src == AC_MAC and pado.session_id == 0
    assert pado.disc.tag(C.TAG_HOST_UNIQ) == b"hu" and pado.disc.tag(C.TAG_RELAY_SESSION_ID) == b"r1"
    assert pado.disc.tag(C.TAG_AC_NAME) == b"bras9"
    assert pado.disc.tag(C.TAG_VENDOR_SPECIFIC) is None
    assert ac.counters["tx.PADO"] == 1 and ac.counters["rx.PADI"] == 1


def test_ac_offers_its_services_in_the_pado():
    ac = _ac(services=("internet", "voice"))
    (pado,) = _padi(ac)
    assert pado.disc.all_tags(C.TAG_SERVICE_NAME) == [b"", b"internet", b"voice"]
    (pado,) = _padi(ac, tags=[(C.TAG_SERVICE_NAME, b"voice"), (C.TAG_HOST_UNIQ, b"hu")])
    assert pado.disc.all_tags(C.TAG_SERVICE_NAME) == [b"voice", b"internet"]
    assert _padi(ac, tags=[(C.TAG_SERVICE_NAME, b"video"), (C.TAG_HOST_UNIQ, b"hu")]) == []


def test_ac_ignores_a_padi_without_service_name():
    ac = _ac()
    assert _padi(ac, tags=[(C.TAG_HOST_UNIQ, b"hu")]) == []
    assert ac.counters["padi.refused_service"] == 1


def test_ac_creates_a_session_on_a_valid_padr_and_answers_pads():
    ac = _ac()
    (pado,) = _padi(ac)
    cookie = pado.disc.tag(C.TAG_AC_COOKIE)
    frames = _padr(ac, cookie, extra=[(C.TAG_RELAY_SESSION_ID, b"r9")])
    (pads,) = only(frames, disc=C.PADS)
    assert pads.dst == CLIENT_MAC and 0 < pads.session_id < 0xFFFF
    assert pads.disc.tag(C.TAG_HOST_UNIQ) == b"hu" and pads.disc.tag(C.TAG_RELAY_SESSION_ID) == b"r9"
    assert pads.disc.error() is None
    (acs,) = ac.sessions.values()
    assert acs.session_id == pads.session_id and acs.peer_mac == CLIENT_MAC and acs.host_uniq == b"hu"
    # no address before the peer authenticates
    assert acs.address is None and ac.pool.in_use == 0 and ac.per_mac == {CLIENT_MAC: 1} and ac.in_setup == 1
    # LCP starts at once: the PADS goes first, then a Configure-Request on the new session
    assert frames[0].disc is not None and only(frames, C.PROTO_LCP, C.CONF_REQ)
    assert all(f.session_id == pads.session_id for f in frames)
    (done,) = of_type(events(ac), DiscoveryDone)
    assert done.session_id == pads.session_id and done.peer_mac == "02:00:00:00:00:01"


def test_ac_ignores_a_padr_not_addressed_to_it():
    ac = _ac()
    (pado,) = _padi(ac)
    assert _padr(ac, pado.disc.tag(C.TAG_AC_COOKIE), dst=OTHER_MAC) == [] and not ac.sessions


def test_ac_cookie_is_bound_to_the_mac_it_was_given_to():
    ac = _ac()
    (pado,) = _padi(ac, mac=OTHER_MAC)
    assert _padr(ac, pado.disc.tag(C.TAG_AC_COOKIE)) == [] and not ac.sessions
    assert ac.counters["padr.bad_cookie"] == 1


def test_cookies_last_one_window_more_and_no_longer():
    jar = CookieJar(b"k" * 32, window=60.0)
    cookie = jar.make(CLIENT_MAC, b"hu", 59.0)
    assert jar.valid(CLIENT_MAC, b"hu", cookie, 59.0) and jar.valid(CLIENT_MAC, b"hu", cookie, 119.9)
    assert jar.epoch(CLIENT_MAC, b"hu", cookie, 60.0) == 0
    assert not jar.valid(CLIENT_MAC, b"hu", cookie, 120.0)
    assert not jar.valid(CLIENT_MAC, b"hu", None, 59.0) and not jar.valid(CLIENT_MAC, b"hu", cookie[:-1], 59.0)
    assert not jar.valid(CLIENT_MAC, b"hu", cookie + b"x", 59.0)
    other_key = CookieJar(b"j" * 32).make(CLIENT_MAC, b"hu", 0.0)
    assert other_key[8:] != CookieJar(b"k" * 32).make(CLIENT_MAC, b"hu", 0.0)[8:]
    assert len(cookie) == 24


def test_a_cookie_is_bound_to_the_mac_and_host_uniq_it_was_minted_for_and_each_is_new():
    jar = CookieJar(b"k" * 32)
    cookie = jar.make(CLIENT_MAC, b"hu", 0.0)
    assert not jar.valid(OTHER_MAC, b"hu", cookie, 0.0)
    assert not jar.valid(CLIENT_MAC, b"hu2", cookie, 0.0) and not jar.valid(CLIENT_MAC, None, cookie, 0.0)
    assert jar.valid(CLIENT_MAC, None, jar.make(CLIENT_MAC, None, 0.0), 0.0)
    again = jar.make(CLIENT_MAC, b"hu", 0.0)
    assert again != cookie and jar.valid(CLIENT_MAC, b"hu", again, 0.0)
    # the nonce is covered by the MAC: another nonce with the same digest is no cookie
    assert not jar.valid(CLIENT_MAC, b"hu", again[:8] + cookie[8:], 0.0)


def test_a_spent_cookie_is_remembered_until_it_expires_and_then_forgotten():
    jar = CookieJar(b"k" * 32, window=60.0)
    cookie = jar.make(CLIENT_MAC, b"hu", 0.0)
    jar.spend(cookie, 0, "session", 1.0)
    assert jar.spent(cookie, 0) == "session" and jar.spent(cookie, 1) is None and jar.remembered == 1
    later = jar.make(CLIENT_MAC, b"hu", 125.0)
    jar.spend(later, 2, "next", 125.0)
    assert jar.spent(cookie, 0) is None and jar.remembered == 1


def test_a_cookie_opens_one_session_only():
    ac = _ac()
    (pado,) = _padi(ac)
    cookie = pado.disc.tag(C.TAG_AC_COOKIE)
    only(_padr(ac, cookie), disc=C.PADS)
    (session,) = ac.sessions.values()
    session.end(0.5, "gone")
    drain(ac)
    assert _padr(ac, cookie, now=1.0) == [] and ac.counters["padr.cookie_reused"] == 1 and not ac.sessions
    # replaying it under another Host-Uniq is no cookie at all
    assert _padr(ac, cookie, host_uniq=b"other") == [] and ac.counters["padr.bad_cookie"] == 1


def test_every_pado_carries_a_fresh_cookie():
    ac = _ac()
    (first,) = _padi(ac)
    (second,) = _padi(ac, now=0.5)
    assert first.disc.tag(C.TAG_AC_COOKIE) != second.disc.tag(C.TAG_AC_COOKIE)
    assert only(_padr(ac, first.disc.tag(C.TAG_AC_COOKIE)), disc=C.PADS)[0].session_id
    assert only(_padr(ac, second.disc.tag(C.TAG_AC_COOKIE), host_uniq=b"hu"), disc=C.PADS)[0].session_id


def test_ac_refuses_a_padr_for_a_service_it_does_not_offer_with_service_name_error():
    ac = _ac(services=("internet",))
    (pado,) = _padi(ac)
    (pads,) = _padr(ac, pado.disc.tag(C.TAG_AC_COOKIE), service=b"voice")
    assert pads.disc.code == C.PADS and pads.session_id == 0
    assert pads.disc.error() == (C.TAG_SERVICE_NAME_ERROR, b"service not offered")
    assert pads.disc.tag(C.TAG_HOST_UNIQ) == b"hu"
    assert not ac.sessions and ac.pool.in_use == 0 and ac.counters["padr.refused"] == 1


def test_ac_at_its_session_limit_refuses_with_ac_system_error():
    ac = _ac(max_sessions=1)
    (pado,) = _padi(ac)
    cookie = pado.disc.tag(C.TAG_AC_COOKIE)
    assert only(_padr(ac, cookie), disc=C.PADS)[0].session_id != 0
    assert _padi(ac, mac=OTHER_MAC) == [] and ac.counters["padi.refused_full"] == 1
    (pads,) = _padr(ac, mac=OTHER_MAC)
    assert pads.session_id == 0 and pads.disc.error() == (C.TAG_AC_SYSTEM_ERROR, b"session limit reached")
    assert len(ac.sessions) == 1


def test_ac_with_an_exhausted_pool_offers_nothing():
    pair = Pair(pool="10.0.0.100-10.0.0.100")
    pair.add(1)
    pair.advance(3)
    ac = pair.ac
    assert ac.pool.free == 0 and len(pair.events_of(SessionUp)) == 1
    assert _padi(ac, mac=OTHER_MAC) == []
    (pads,) = _padr(ac, mac=OTHER_MAC)
    assert pads.session_id == 0 and pads.disc.error()[0] == C.TAG_AC_SYSTEM_ERROR


def test_a_closing_ac_refuses_a_padr_with_ac_system_error():
    ac = _ac()
    ac.close(0.0)
    (pads,) = _padr(ac)
    assert pads.session_id == 0 and pads.disc.error() == (C.TAG_AC_SYSTEM_ERROR,
                                                         b"access concentrator shutting down")


def test_per_mac_limit_counts_sessions_of_that_mac_only():
    ac = _ac(max_sessions_per_mac=2)
    for n in range(2):
        frames = _padr(ac, host_uniq=bytes([n]))
        assert only(frames, disc=C.PADS)[0].session_id != 0
    (refused,) = _padr(ac, host_uniq=b"\x09")
    assert refused.session_id == 0 and refused.disc.error()[1] == b"too many sessions for this MAC"
    other = only(_padr(ac, mac=OTHER_MAC), disc=C.PADS)
    assert other[0].session_id != 0 and ac.per_mac == {CLIENT_MAC: 2, OTHER_MAC: 1}


def test_a_repeated_padr_gets_the_same_session_and_no_second_one():
    ac = _ac()
    cookie = ac.cookies.make(CLIENT_MAC, b"hu", 0.0)
    (first,) = only(_padr(ac, cookie), disc=C.PADS)
    (again,) = _padr(ac, cookie, now=0.5)
    assert again.disc.code == C.PADS and again.session_id == first.session_id
    assert len(ac.sessions) == 1 and ac.pool.in_use == 0
    # another Host-Uniq from the same MAC, with its own cookie, is another session
    (other,) = only(_padr(ac, host_uniq=b"hu2"), disc=C.PADS)
    assert other.session_id not in (0, first.session_id) and len(ac.sessions) == 2


class _Extreme(random.Random):
    """A generator whose randrange always returns one end of the range."""

    def __init__(self, high: bool):
        super().__init__(3)
        self.high = high

    def randrange(self, start, stop=None, step=1):
        if stop is None:
            start, stop = 0, start
        return stop - 1 if self.high else start


@pytest.mark.parametrize("high", [False, True])
def test_session_ids_are_never_0_or_ffff_and_allocation_ends_whatever_the_generator_says(high):
    ppp = PppConfig(require_auth="chap", request_dns=False, local_ip="10.0.0.1", accept_auth=())
    ac = AcRole(AcConfig(mac=AC_MAC, ppp=ppp, pool="10.0.0.100-10.0.0.110", max_sessions_per_mac=0),
                Secrets.single("alice", "secret"), rng=_Extreme(high))
    ids = []
    for n in range(3):
        (pads,) = only(_padr(ac, host_uniq=bytes([n])), disc=C.PADS)
        ids.append(pads.session_id)
    # a generator stuck on one id: after a few tries the AC scans for a free one
    assert all(0 < sid < 0xFFFF for sid in ids) and len(set(ids)) == 3
    assert ids == ([0xFFFE, 1, 2] if high else [1, 2, 3])


def test_session_ids_are_unpredictable():
    ac = _ac(max_sessions_per_mac=0, max_setup=0, mac_discovery_rate=0)
    ac.rng = random.SystemRandom()
    ids = [only(_padr(ac, host_uniq=n.to_bytes(2, "big")), disc=C.PADS)[0].session_id for n in range(40)]
    steps = {(b - a) % 0xFFFE for a, b in zip(ids, ids[1:], strict=False)}
    assert len(set(ids)) == 40 and len(steps) > 30  # no stride to guess the next one from


def test_session_id_allocation_ends_when_one_mac_holds_every_id():
    ac = _ac(max_sessions_per_mac=0)
    taken = {(b"", CLIENT_MAC, sid): object() for sid in range(1, 0xFFFF)}
    ac.sessions.update(taken)
    assert ac._allocate_id(b"", CLIENT_MAC) is None
    del ac.sessions[(b"", CLIENT_MAC, 0x1234)]
    assert ac._allocate_id(b"", CLIENT_MAC) == 0x1234
    assert ac._allocate_id(b"", OTHER_MAC) is not None  # ids are per MAC
    assert ac._allocate_id(b"\x81\x00\x00\x07", CLIENT_MAC) is not None  # and per line


def test_an_ac_whose_mac_holds_every_id_refuses_with_ac_system_error():
    ac = _ac(max_sessions_per_mac=0, max_sessions=100_000)
    ac.sessions.update({(b"", CLIENT_MAC, sid): object() for sid in range(1, 0xFFFF)})
    (pads,) = _padr(ac)
    assert pads.session_id == 0 and pads.disc.error() == (C.TAG_AC_SYSTEM_ERROR, b"no session id left for this MAC")


def test_another_mac_may_hold_the_same_session_id_at_the_same_time():
    pair = Pair()
    (a,) = pair.add(1)
    pair.ac.rng = _Extreme(False)
    b = pair.client.add_session(client_mac(50), pair.now)
    pair.advance(3)
    assert b.session_id == 1 and len(pair.events_of(SessionUp)) == 2
    pair.ac.rng = _Extreme(False)
    c = pair.client.add_session(client_mac(51), pair.now)
    pair.advance(3)
    assert c.session_id == 1 and len(pair.ac.sessions) == 3 and len(pair.events_of(SessionUp)) == 3


def test_echo_tags_keep_only_host_uniq_and_relay_session_id_in_order():
    pkt = Discovery(C.PADR, 0, [(C.TAG_SERVICE_NAME, b"s"), (C.TAG_RELAY_SESSION_ID, b"r"),
                                (C.TAG_AC_COOKIE, b"c"), (C.TAG_HOST_UNIQ, b"h")])
    assert echo_tags(pkt) == [(C.TAG_RELAY_SESSION_ID, b"r"), (C.TAG_HOST_UNIQ, b"h")]


def test_line_id_tag_layout():
    tag, value = line_id_tag("c", "rr")
    assert tag == C.TAG_VENDOR_SPECIFIC
    assert value == struct.pack("!I", 3561) + b"\x01\x01c\x02\x02rr"
    assert line_id_tag(remote_id="x")[1] == struct.pack("!I", 3561) + b"\x02\x01x"


def test_line_id_from_another_vendor_or_truncated_is_ignored():
    from pppemu.pppoe.discovery import parse_line_id
    other = (C.TAG_VENDOR_SPECIFIC, struct.pack("!I", 9) + b"\x01\x01c")
    assert parse_line_id(Discovery(C.PADR, 0, [other])) == {}
    short = (C.TAG_VENDOR_SPECIFIC, b"\x00\x00")
    assert parse_line_id(Discovery(C.PADR, 0, [short])) == {}
    both = line_id_tag("circ", "rem")
    assert parse_line_id(Discovery(C.PADR, 0, [other, both])) == {"circuit_id": "circ", "remote_id": "rem"}


# ---- RFC 4638 PPP-Max-Payload

def test_client_asks_for_a_larger_payload_only_above_1492():
    for asked, present in ((1500, True), (1492, False), (None, False)):
        dc, sent = _lone_discovery(max_payload=asked)
        dc.start(0.0)
        tag = sent[0][1].tag(C.TAG_PPP_MAX_PAYLOAD)
        assert (tag == struct.pack("!H", 1500)) if present else tag is None


@pytest.mark.parametrize("offered, expected", [(1500, 1500), (1496, 1496), (9000, 1500), (None, None)])
def test_client_takes_the_smaller_of_its_max_payload_and_the_acs(offered, expected):
    dc, sent = _lone_discovery(max_payload=1500)
    dc.start(0.0)
    tags = [] if offered is None else [(C.TAG_PPP_MAX_PAYLOAD, struct.pack("!H", offered))]
    dc.receive(AC_MAC, _pado(tags), 0.1)
    assert dc.peer_max_payload == expected
    assert sent[-1][1].tag(C.TAG_PPP_MAX_PAYLOAD) == struct.pack("!H", 1500)


def test_client_without_max_payload_ignores_the_tag_from_the_ac():
    dc, _ = _lone_discovery()
    dc.start(0.0)
    dc.receive(AC_MAC, _pado([(C.TAG_PPP_MAX_PAYLOAD, struct.pack("!H", 1500))]), 0.1)
    assert dc.peer_max_payload is None


def test_a_larger_payload_agreed_in_discovery_becomes_the_lcp_mru():
    role = lone_client(client={"max_payload": 1500})
    cs = role.add_session(CLIENT_MAC, 0.0)
    (padi,) = drain(role)
    hu = padi.disc.tag(C.TAG_HOST_UNIQ)
    role.receive(discovery(CLIENT_MAC, AC_MAC, C.PADO, 0, [
        (C.TAG_HOST_UNIQ, hu), (C.TAG_AC_COOKIE, b"k"), (C.TAG_PPP_MAX_PAYLOAD, b"\x05\xdc")]), 0.1)
    drain(role)
    role.receive(discovery(CLIENT_MAC, AC_MAC, C.PADS, 3, [(C.TAG_HOST_UNIQ, hu)]), 0.2)
    (req,) = only(drain(role), C.PROTO_LCP, C.CONF_REQ)
    assert dict(req.options)[C.LCP_MRU] == struct.pack("!H", 1500)
    assert cs.ppp.lcp_policy.max_mru == 1500


def test_names_that_are_not_utf8_are_still_read():
    dc, _ = _lone_discovery()
    dc.start(0.0)
    dc.receive(AC_MAC, _pado([(C.TAG_AC_NAME, b"bras\xff")]), 0.1)
    assert dc.ac_name == "bras\ufffd"
    from pppemu.pppoe.discovery import parse_line_id
    tag = (C.TAG_VENDOR_SPECIFIC, struct.pack("!I", 3561) + b"\x01\x02a\xff")
    assert parse_line_id(Discovery(C.PADR, 0, [tag])) == {"circuit_id": "a\ufffd"}


def test_a_pado_without_ac_name_is_taken_with_an_empty_name():
    dc, _ = _lone_discovery()
    dc.start(0.0)
    dc.receive(AC_MAC, _pado(), 0.1)
    assert dc.state == "padr" and dc.ac_name == ""


def test_an_empty_sub_option_at_the_end_of_the_line_id_is_read():
    from pppemu.pppoe.discovery import parse_line_id
    tag = (C.TAG_VENDOR_SPECIFIC, struct.pack("!I", 3561) + b"\x01\x01c\x02\x00")
    assert parse_line_id(Discovery(C.PADR, 0, [tag])) == {"circuit_id": "c", "remote_id": ""}


def test_a_pads_while_waiting_for_pado_and_a_pado_while_waiting_for_pads_are_ignored():
    dc, sent = _lone_discovery()
    dc.start(0.0)
    dc.receive(AC_MAC, Discovery(C.PADS, 5, [(C.TAG_HOST_UNIQ, b"hu")]), 0.1)
    assert dc.state == "padi" and dc.session_id == 0 and len(sent) == 1
    dc.receive(AC_MAC, _pado(), 0.2)
    dc.receive(AC_MAC, _pado(), 0.3)  # the same AC offering again
    assert dc.state == "padr" and len(sent) == 2 and not dc.failure


def test_a_pads_with_session_id_1_is_a_session():
    dc, _ = _to_padr()
    dc.receive(AC_MAC, Discovery(C.PADS, 1, [(C.TAG_HOST_UNIQ, b"hu")]), 0.2)
    assert dc.state == "session" and dc.session_id == 1


def test_the_refusal_reasons_are_worded_for_the_user():
    dc, _ = _to_padr()
    dc.receive(AC_MAC, Discovery(C.PADS, 0, [(C.TAG_HOST_UNIQ, b"hu")]), 0.2)
    assert dc.failure == "AC refused the session: PADS with session id 0"
    dc, _ = _to_padr()
    dc.receive(AC_MAC, Discovery(C.PADS, 0, [(C.TAG_HOST_UNIQ, b"hu"), (C.TAG_SERVICE_NAME_ERROR, b"")]), 0.2)
    assert dc.failure == "AC refused the session: Service-Name-Error"


def test_a_max_payload_tag_of_the_wrong_size_is_ignored():
    dc, _ = _lone_discovery(max_payload=1500)
    dc.start(0.0)
    dc.receive(AC_MAC, _pado([(C.TAG_PPP_MAX_PAYLOAD, b"\x05\xdc\x00")]), 0.1)
    assert dc.state == "padr" and dc.peer_max_payload is None
