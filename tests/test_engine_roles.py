"""The roles' bookkeeping around sessions: what an ended session gives back, closing, timers."""
import pytest
from frames import (
    AC_MAC,
    CLIENT_MAC,
    Lone,
    discovery,
    drain,
    events,
    lone_client,
    of_type,
    only,
    up_pair,
    wire_frames,
)

from pppemu.ppp.events import SessionDown, SessionUp
from pppemu.ppp.ipcp import ip_bytes
from pppemu.ppp.session import retransmissions
from pppemu.wire import const as C


def test_an_ended_ac_session_gives_back_everything_it_held():
    pair, cs, acs = up_pair()
    second = pair.client.add_session(cs.local_mac, pair.now)
    pair.advance(3)
    assert pair.ac.per_mac == {cs.local_mac: 2} and len(pair.ac.by_address) == 2
    ac_second = next(s for s in pair.ac.sessions.values() if s is not acs)
    pair.client.close_session(cs, pair.now, "bye")
    pair.advance(10)
    assert acs.gone and acs.state == "closed" and acs.down_reason == "peer terminated the link: bye"
    assert pair.ac.per_mac == {cs.local_mac: 1} and list(pair.ac.sessions.values()) == [ac_second]
    assert ip_bytes(acs.address) not in pair.ac.by_address
    assert pair.ac.session_for_address(ip_bytes(ac_second.address)) is ac_second
    assert pair.ac.in_setup == 0
    assert pair.ac.pool.in_use == 1 and pair.ac.counters["sessions.ended"] == 1
    assert list(pair.ac.ended) == [acs]
    # what the report needs survives the protocol state being dropped
    assert acs.ppp is None and acs.username == "alice" and acs.retransmissions == 0
    pair.client.close_session(second, pair.now)
    pair.advance(10)
    assert pair.ac.per_mac == {} and pair.ac.by_address == {} and pair.ac.in_setup == 0
    assert pair.ac.counters["sessions.ended"] == 2 and pair.ac.pool.in_use == 0


def test_ending_a_session_twice_counts_it_once():
    pair, cs, acs = up_pair()
    acs.end(pair.now, "gone")
    acs.end(pair.now, "gone again")
    assert pair.ac.counters["sessions.ended"] == 1 and len(pair.ac.ended) == 1
    assert len(only(drain(pair.ac), disc=C.PADT)) == 1


def test_an_ac_session_that_never_came_up_is_reported_as_failed():
    lone = Lone("ac", max_configure=2, restart_timer=1.0)
    lone.advance(10)
    (down,) = lone.of(SessionDown)
    assert lone.session.gone and lone.session.state == "failed" and lone.session.username is None
    assert lone.role.pool.in_use == 0 and not lone.role.sessions
    assert "LCP negotiation failed" in down.reason


def test_retransmissions_add_up_lcp_ncp_and_authentication():
    lone = Lone("ac", restart_timer=1.0)
    lone.advance(2.5)  # two LCP Configure-Request retransmissions
    assert retransmissions(lone.ppp) == 2 and lone.session.retransmissions == 2
    lone2 = Lone("ac", restart_timer=1.0)
    lone2.open_lcp()
    lone2.advance(3.5)  # three CHAP Challenge retransmissions, no NCP yet
    assert lone2.ppp.authenticator.retransmits == 1 and retransmissions(lone2.ppp) == 1


def test_a_closing_ac_terminates_every_session_and_refuses_new_ones():
    pair, cs, acs = up_pair()
    pair.ac.close(pair.now, "maintenance")
    out = drain(pair.ac)
    (term,) = only(out, C.PROTO_LCP, C.TERM_REQ)
    assert term.ctl.data == b"maintenance" and pair.ac.closing
    assert acs.ppp.lcp.deadline is not None and pair.ac.next_deadline() == acs.ppp.deadline


def test_client_close_terminates_then_ends_with_a_padt_when_the_peer_is_silent():
    lone = Lone(max_terminate=2, restart_timer=1.0)
    lone.open_lcp()
    lone.role.close(lone.now, "done")
    sent = drain(lone.role) + lone.advance(5)
    assert len(only(sent, C.PROTO_LCP, C.TERM_REQ)) == 2
    (padt,) = only(sent, disc=C.PADT)
    assert padt.session_id == 0x1234 and padt.dst == AC_MAC
    assert lone.role.all_gone and lone.session.state == "failed"  # it never carried IP


def test_after_a_client_session_ends_its_frames_are_not_matched():
    lone = Lone()
    lone.open_lcp()
    lone.lcp(C.TERM_REQ, 1)
    lone.advance(5)
    assert lone.session.gone
    assert lone.lcp(C.ECHO_REQ, 2, b"\0\0\0\1") == []
    assert lone.role.counters["rx.unmatched"] == 1
    assert lone.feed_raw(discovery(CLIENT_MAC, AC_MAC, C.PADT, 0x1234)) == []
    assert lone.role.counters["rx.unmatched"] == 2
    assert lone.session.host_uniq not in lone.role.by_host_uniq and lone.role.by_session == {}


def test_client_discovery_timers_run_through_the_role():
    role = lone_client()
    role.add_session(CLIENT_MAC, 0.0)
    drain(role)
    assert role.next_deadline() == 1.0
    role.tick(0.5)
    assert drain(role) == []
    role.tick(1.0)
    (padi,) = drain(role)
    assert padi.disc.code == C.PADI and role.next_deadline() == 3.0


def test_the_timer_heap_serves_many_sessions_in_deadline_order():
    role = lone_client()
    for n in range(3):
        role.add_session(bytes([2, 0, 0, 0, 0, n + 1]), float(n) * 0.25)
    drain(role)
    assert role.next_deadline() == 1.0
    role.tick(1.3)
    assert [f.src[-1] for f in drain(role)] == [1, 2]
    assert role.next_deadline() == 1.5
    s3 = role.sessions[3]
    role.close_session(s3, 1.4)
    assert role.next_deadline() == pytest.approx(3.3)  # both were resent at 1.3, two seconds to wait
    role.tick(100.0)
    assert len(of_type(events(role), SessionDown)) == 1


def test_a_session_that_comes_up_is_counted_up_at_both_ends():
    pair, cs, acs = up_pair()
    assert cs.state == "up" and acs.state == "up" and cs.up_at is not None and acs.up_at is not None
    (up,) = pair.events_of(SessionUp, "ac")
    assert pair.ac.by_address[ip_bytes(up.gateway)] is acs


@pytest.mark.parametrize("side", ["client", "ac"])
def test_a_peer_padt_means_no_padt_back(side):
    pair, cs, acs = up_pair()
    if side == "client":
        pair.inject("client", discovery(cs.local_mac, AC_MAC, C.PADT, cs.session_id))
    else:
        pair.inject("ac", discovery(AC_MAC, cs.local_mac, C.PADT, cs.session_id))
    pair.advance(1)
    assert only(wire_frames(pair), disc=C.PADT) == []
    assert (cs if side == "client" else acs).gone


def test_the_ac_answers_pings_to_its_own_address_and_passes_the_rest_on():
    from frames import session

    from pppemu.ppp.events import Packet
    from pppemu.wire import icmp
    pair, cs, acs = up_pair()
    to_ac = icmp.echo_request("10.0.0.100", "10.0.0.1", 5, 1)
    pair.ac.receive(session(AC_MAC, cs.local_mac, cs.session_id, C.PROTO_IPV4, to_ac), pair.now)
    (reply,) = drain(pair.ac)
    assert reply.protocol == C.PROTO_IPV4 and icmp.parse_echo_reply(reply.info) == ("10.0.0.1", 5, 1)
    assert not of_type(events(pair.ac), Packet)
    beyond = icmp.echo_request("10.0.0.100", "192.0.2.1", 5, 2)
    pair.ac.receive(session(AC_MAC, cs.local_mac, cs.session_id, C.PROTO_IPV4, beyond), pair.now)
    assert drain(pair.ac) == []
    (pkt,) = of_type(events(pair.ac), Packet)
    assert pkt.data == beyond and pkt.key == acs.key


def test_an_ac_told_not_to_answer_pings_passes_them_on():
    from frames import session

    from pppemu.ppp.events import Packet
    from pppemu.wire import icmp
    pair, cs, acs = up_pair(ac={"answer_ping": False})
    to_ac = icmp.echo_request("10.0.0.100", "10.0.0.1", 5, 1)
    pair.ac.receive(session(AC_MAC, cs.local_mac, cs.session_id, C.PROTO_IPV4, to_ac), pair.now)
    assert drain(pair.ac) == [] and [p.data for p in of_type(events(pair.ac), Packet)] == [to_ac]


def test_client_session_states_follow_the_phases():
    lone = Lone()
    assert lone.session.state == "establish"
    lone.open_lcp()
    assert lone.session.state == "network"
    role = lone_client()
    cs = role.add_session(CLIENT_MAC, 0.0)
    assert cs.state == "discovery" and cs.session_id == 0 and cs.deadline == 1.0
    pair, cs, acs = up_pair()
    assert cs.state == "up" and acs.state == "up"
    pair.client.close(pair.now)
    pair.advance(5)
    assert cs.state == "closed" and acs.state == "closed" and acs.username == "alice"


def test_stale_timer_entries_are_skipped_without_stalling_the_others():
    role = lone_client()
    a = role.add_session(CLIENT_MAC, 0.0)
    role.add_session(bytes([2, 0, 0, 0, 0, 2]), 0.1)
    (padi_a, _) = drain(role)
    hu = padi_a.disc.tag(C.TAG_HOST_UNIQ)
    role.receive(discovery(CLIENT_MAC, AC_MAC, C.PADO, 0, [(C.TAG_HOST_UNIQ, hu), (C.TAG_AC_COOKIE, b"k")]), 0.5)
    assert only(drain(role), disc=C.PADR) and a.deadline == 1.5
    role.tick(1.2)  # a's entry for 1.0 is stale; b's PADI timer at 1.1 must still fire
    (padi_b,) = drain(role)
    assert padi_b.disc.code == C.PADI and padi_b.src == bytes([2, 0, 0, 0, 0, 2])


def test_an_ended_session_is_never_ticked_again():
    role = lone_client()
    cs = role.add_session(CLIENT_MAC, 0.0)
    drain(role)
    cs.close(0.5, "stop")  # ended outside the role: its timer entry is still in the heap
    assert cs.gone
    role.tick(100.0)
    assert drain(role) == [] and role.next_deadline() is None


def test_default_close_reasons():
    pair, cs, acs = up_pair()
    pair.client.close(pair.now)
    pair.advance(5)
    assert pair.events_of(SessionDown)[0].reason == "administrative close"
    pair, cs, acs = up_pair()
    pair.ac.close(pair.now)
    (term,) = only(drain(pair.ac), C.PROTO_LCP, C.TERM_REQ)
    assert term.ctl.data == b"access concentrator shutting down"
    role = lone_client()
    cs = role.add_session(CLIENT_MAC, 0.0)
    role.close_session(cs, 0.1)
    assert of_type(events(role), SessionDown)[0].reason == "administrative close"


def test_ac_events_name_the_session_by_peer_mac_and_session_id():
    from pppemu.ppp.events import AuthDone, DiscoveryDone
    pair, cs, acs = up_pair(auth="pap")
    key = acs.key
    assert (key.mac, key.session_id) == ("02:00:00:00:00:01", cs.session_id) and acs.started_at == 0.0
    assert key.number == 1 and cs.key.number == 1 and cs.key.session_id == cs.session_id
    for kind in (DiscoveryDone, AuthDone, SessionUp):
        assert [e.key for e in pair.events_of(kind, "ac")] == [key]
    # PAP names only the peer that authenticated: the AC learns "alice", the client no one
    assert pair.events_of(AuthDone, "ac")[0].peer_name == "alice"
    assert pair.events_of(AuthDone)[0].peer_name == "" and cs.ppp.peer_name == ""


def test_a_padt_built_with_a_reason_carries_it_as_generic_error():
    from pppemu.pppoe.discovery import DiscoveryClient
    dc = DiscoveryClient(CLIENT_MAC, b"hu", lambda dst, pkt: None)
    dc.session_id = 0x42
    padt = dc.padt("going away")
    assert (padt.code, padt.session_id) == (C.PADT, 0x42)
    assert padt.tags == [(C.TAG_HOST_UNIQ, b"hu"), (C.TAG_GENERIC_ERROR, b"going away")]
    assert dc.padt().tags == [(C.TAG_HOST_UNIQ, b"hu")]
