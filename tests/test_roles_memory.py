"""Client and AC roles piped into each other in memory, with a virtual clock."""
import struct

import pytest

from pppemu import wire
from pppemu.ppp.events import AuthDone, DiscoveryDone, Ipv6Up, LinkUp, Packet, SessionDown, SessionUp
from pppemu.testing.pair import AC_MAC, Pair, client_mac
from pppemu.wire import const as C


def up_addresses(pair, side="client"):
    return [e.ip if side == "client" else e.gateway for e in pair.events_of(SessionUp, side)]


@pytest.mark.parametrize("auth", ["chap", "pap"])
@pytest.mark.parametrize("count", [1, 200])
def test_sessions_come_up_with_distinct_addresses_and_return_them(auth, count):
    pair = Pair(auth=auth, pool="10.0.0.100-10.0.1.99")
    pair.add(count)
    pair.advance(5)
    ips = up_addresses(pair)
    assert len(ips) == count and len(set(ips)) == count
    assert sorted(ips) == sorted(up_addresses(pair, "ac"))
    assert all(e.gateway == "10.0.0.1" and e.dns == ["10.0.0.53", "10.0.0.54"]
               for e in pair.events_of(SessionUp))
    assert all(ip.startswith("10.0.") for ip in ips)
    assert pair.ac.pool.in_use == count
    pair.client.close(pair.now)
    pair.advance(10)
    assert len(pair.events_of(SessionDown)) == count
    assert len(pair.events_of(SessionDown, "ac")) == count
    assert pair.ac.pool.in_use == 0 and pair.ac.pool.free == pair.ac.pool.size
    assert not pair.ac.sessions and pair.client.all_gone


@pytest.mark.parametrize("keep", [0, 3])
def test_an_ac_keeps_as_many_ended_sessions_as_asked_and_counts_them_all(keep):
    pair = Pair(ac={"keep_ended": keep})
    pair.add(5)
    pair.advance(3)
    pair.client.close(pair.now)
    pair.advance(5)
    assert not pair.ac.sessions and len(pair.ac.ended) == keep
    assert pair.ac.counters["sessions.ended"] == 5 and len(pair.ac.every_session()) == keep


def clean_transcript_length():
    pair = Pair()
    pair.add(1)
    pair.advance(1)
    assert pair.events_of(SessionUp)
    return len(pair.wire)


@pytest.mark.parametrize("lost", range(clean_transcript_length()))
def test_a_lost_frame_at_any_step_is_recovered(lost):
    pair = Pair()
    seen = []

    def drop_once(direction, frame):
        seen.append(frame)
        return len(seen) - 1 != lost

    pair.filter = drop_once
    pair.add(1)
    pair.advance(30)
    # A lost Configure-Ack may make an NCP renegotiate (RFC 1661 Ack-Rcvd + TO+), so a
    # second SessionUp is allowed; it must carry the same address.
    up = pair.events_of(SessionUp)
    assert up and {e.ip for e in up} == {"10.0.0.100"}, pair.events_of(SessionDown)
    assert pair.client.sessions[1].ppp.is_up and not pair.events_of(SessionDown)
    assert pair.ac.pool.in_use == 1 and len(pair.ac.sessions) == 1


def test_ac_proposing_mru_1500_without_rfc_4638_is_naked_to_1492():
    pair = Pair(ac_ppp={"mru": 1500, "max_mru": 1500})
    pair.expected_violations = {("rfc2516.lcp.mru", "ac")}  # an AC misconfigured on purpose
    pair.add(1)
    pair.advance(2)
    assert pair.events_of(SessionUp)
    assert pair.events_of(LinkUp)[0].mru == 1492
    assert pair.client.sessions[1].ppp.lcp_policy.peer_mru == 1492  # the AC took our Nak


@pytest.mark.parametrize("auth", ["chap", "pap"])
def test_wrong_password_fails_without_leaking_an_address(auth):
    pair = Pair(auth=auth, client_password="wrong")
    pair.add(1)
    pair.advance(10)
    assert not pair.events_of(SessionUp)
    failed = pair.events_of(AuthDone)
    assert failed and not failed[0].ok and "failed" in failed[0].reason
    down = pair.events_of(SessionDown)
    assert len(down) == 1 and "authentication failed" in down[0].reason.lower()
    assert pair.events_of(SessionDown, "ac")
    assert pair.ac.pool.in_use == 0 and not pair.ac.sessions


def test_silent_peer_is_detected_by_echo_after_the_configured_count():
    pair = Pair(client_ppp={"echo_interval": 10, "echo_failure": 3}, ac_ppp={"echo_interval": 0})
    pair.add(1)
    pair.advance(2)
    assert pair.events_of(SessionUp)
    went_silent = pair.now
    pair.filter = lambda direction, frame: direction == "c2a"  # the AC answers nothing
    pair.advance(60)
    down = pair.events_of(SessionDown)
    assert len(down) == 1 and "not responding" in down[0].reason
    echoes = [f for d, f in pair.wire if d == "c2a" and _lcp_code(f) == C.ECHO_REQ]
    assert len(echoes) == 3
    lcp = pair.client.sessions[1]
    assert lcp.state == "closed"
    assert pair.now - went_silent >= 30


def _lcp_code(frame):
    eth = wire.decode_eth(frame)
    if eth.ethertype != C.ETH_SESSION:
        return None
    _, ppp = wire.decode_session(eth.payload)
    proto, info = wire.decode_ppp(ppp)
    return wire.decode_control(info).code if proto == C.PROTO_LCP else None


def test_echoes_keep_a_healthy_session_up():
    pair = Pair(client_ppp={"echo_interval": 5}, ac_ppp={"echo_interval": 5})
    pair.add(3)
    pair.advance(120)
    assert len(pair.events_of(SessionUp)) == 3 and not pair.events_of(SessionDown)
    assert pair.ac.counters["rx.LCP"] > 3 * 20


def test_terminate_request_from_the_client():
    pair = Pair()
    pair.add(1)
    pair.advance(2)
    pair.client.close(pair.now, "user request")
    pair.advance(5)
    assert pair.events_of(SessionDown)[0].reason == "user request"
    assert "user request" in pair.events_of(SessionDown, "ac")[0].reason
    assert pair.ac.pool.in_use == 0


def test_terminate_request_from_the_ac():
    pair = Pair()
    pair.add(2)
    pair.advance(2)
    pair.ac.close(pair.now, "maintenance")
    pair.advance(10)
    downs = pair.events_of(SessionDown)
    assert len(downs) == 2 and all("maintenance" in d.reason or "PADT" in d.reason for d in downs)
    assert pair.ac.pool.in_use == 0 and pair.client.all_gone


def _padt(src, dst, sid):
    return wire.encode_eth(wire.EthFrame(dst, src, C.ETH_DISCOVERY,
                                         wire.encode_discovery(wire.Discovery(C.PADT, sid, []))))


def test_padt_from_the_client_frees_the_session():
    pair = Pair()
    (session,) = pair.add(1)
    pair.advance(2)
    pair.inject("ac", _padt(session.local_mac, AC_MAC, session.session_id))
    pair.transfer()
    assert "PADT" in pair.events_of(SessionDown, "ac")[0].reason
    assert pair.ac.pool.in_use == 0 and not pair.ac.sessions


def test_padt_from_the_ac_ends_the_client_session():
    pair = Pair()
    (session,) = pair.add(1)
    pair.advance(2)
    pair.inject("client", _padt(AC_MAC, session.local_mac, session.session_id))
    pair.transfer()
    assert "PADT" in pair.events_of(SessionDown)[0].reason
    assert session.gone


def test_padt_for_another_session_is_ignored():
    pair = Pair()
    (session,) = pair.add(1)
    pair.advance(2)
    pair.inject("client", _padt(AC_MAC, session.local_mac, session.session_id ^ 1))
    pair.inject("ac", _padt(session.local_mac, AC_MAC, session.session_id ^ 1))
    pair.transfer()
    assert not pair.events_of(SessionDown) and not pair.events_of(SessionDown, "ac")


def _session_frame(src, dst, sid, proto, info):
    return wire.encode_eth(wire.EthFrame(dst, src, C.ETH_SESSION, wire.encode_session(sid, proto, info)))


def _replies(frames):
    out = []
    for frame in frames:
        eth = wire.decode_eth(frame)
        if eth.ethertype == C.ETH_SESSION:
            _, ppp = wire.decode_session(eth.payload)
            proto, info = wire.decode_ppp(ppp)
            out.append((proto, wire.decode_control(info) if proto == C.PROTO_LCP else info))
    return out


def test_unknown_protocol_gets_protocol_reject():
    pair = Pair()
    (session,) = pair.add(1)
    pair.advance(2)
    pair.inject("ac", _session_frame(session.local_mac, AC_MAC, session.session_id, 0x8281, b"\x01\x02\x00\x04"))
    (proto, ctl), = _replies(pair.ac.frames_to_send())
    assert proto == C.PROTO_LCP and ctl.code == C.PROTO_REJ
    assert ctl.data == struct.pack("!H", 0x8281) + b"\x01\x02\x00\x04"


def test_unknown_lcp_code_gets_code_reject():
    pair = Pair()
    (session,) = pair.add(1)
    pair.advance(2)
    bogus = wire.encode_control(wire.Control(0x33, 5, b"abc"))
    pair.inject("client", _session_frame(AC_MAC, session.local_mac, session.session_id, C.PROTO_LCP, bogus))
    (proto, ctl), = _replies(pair.client.frames_to_send())
    assert ctl.code == C.CODE_REJ and ctl.data == bogus
    assert session.ppp.is_up


def test_ipv6cp_negotiates_interface_identifiers_on_both_ends():
    pair = Pair(client_ppp={"ipv6": True}, ac_ppp={"ipv6": True})
    pair.add(1)
    pair.advance(2)
    (c6,), (a6,) = pair.events_of(Ipv6Up), pair.events_of(Ipv6Up, "ac")
    assert c6.local_link_local == a6.peer_link_local and c6.peer_link_local == a6.local_link_local
    assert c6.local_link_local.startswith("fe80::") and c6.local_link_local != c6.peer_link_local


def test_ipv6cp_rejected_by_an_ipv4_only_ac_leaves_ipv4_up():
    pair = Pair(client_ppp={"ipv6": True})
    pair.add(1)
    pair.advance(5)
    assert pair.events_of(SessionUp) and not pair.events_of(Ipv6Up)
    assert not pair.events_of(SessionDown)
    assert pair.ac.counters["tx.LCP"] >= 3  # including the Protocol-Reject


def test_ipv6cp_interface_identifier_collision_is_resolved():
    pair = Pair(client_ppp={"ipv6": True}, ac_ppp={"ipv6": True})
    (session,) = pair.add(1, start=False)
    pair.client.start_session(session, pair.now)
    pair.transfer()
    # Force both ends to the same identifier before IPv6CP runs.
    ac_session = next(iter(pair.ac.sessions.values()))
    session.ppp.ipv6cp_policy.random_id = lambda avoid=None, orig=session.ppp.ipv6cp_policy.random_id: (
        b"\x11" * 8 if avoid is None else orig(avoid))
    ac_session.ppp.ipv6cp_policy.random_id = session.ppp.ipv6cp_policy.random_id
    session.ppp.ipv6cp_policy.iid = ac_session.ppp.ipv6cp_policy.iid = b"\x11" * 8
    pair.advance(5)
    (c6,), (a6,) = pair.events_of(Ipv6Up), pair.events_of(Ipv6Up, "ac")
    assert c6.local_link_local != c6.peer_link_local and a6.peer_link_local == c6.local_link_local


def test_data_packets_flow_both_ways():
    from pppemu.wire import icmp
    pair = Pair()
    (session,) = pair.add(1)
    pair.advance(2)
    up = pair.events_of(SessionUp)[0]
    ping = icmp.echo_request(up.ip, up.gateway, 7, 1)
    assert pair.client.send_packet(session, C.PROTO_IPV4, ping)
    pair.transfer()
    (reply,) = pair.events_of(Packet)
    assert icmp.parse_echo_reply(reply.data) == (up.gateway, 7, 1)


def test_duplicate_padr_gets_the_same_session():
    pair = Pair()
    dropped = []

    def drop_first_pads(direction, frame):
        if direction == "a2c" and not dropped and frame[12:14] == b"\x88\x63" and frame[15] == C.PADS:
            dropped.append(frame)
            return False
        return True

    pair.filter = drop_first_pads
    pair.add(1)
    pair.advance(10)
    assert dropped and len(pair.events_of(SessionUp)) == 1
    assert pair.ac.pool.in_use == 1 and len(pair.ac.sessions) == 1


def test_no_ac_means_padi_retries_then_a_clear_failure():
    pair = Pair()
    pair.filter = lambda direction, frame: False
    pair.add(1)
    pair.advance(120)
    (down,) = pair.events_of(SessionDown)
    assert "no PADO" in down.reason
    padis = [f for d, f in pair.wire if f[15] == C.PADI]
    assert len(padis) == 5


def test_ac_name_and_service_selection():
    pair = Pair(ac={"services": ("internet",)}, client={"service_name": "voice"})
    pair.add(1)
    pair.advance(60)
    assert not pair.events_of(SessionUp) and pair.ac.counters["padi.refused_service"] == 5
    pair = Pair(ac={"services": ("internet",), "ac_name": "bras1"},
                client={"service_name": "internet", "ac_name": "bras1"})
    pair.add(1)
    pair.advance(2)
    assert pair.events_of(DiscoveryDone)[0].ac_name == "bras1" and pair.events_of(SessionUp)


def test_max_sessions_refuses_the_extra_one_and_serves_the_rest():
    pair = Pair(ac={"max_sessions": 3})
    pair.add(4)
    pair.advance(60)
    assert len(pair.events_of(SessionUp)) == 3
    (down,) = pair.events_of(SessionDown)
    assert "no PADO" in down.reason or "refused" in down.reason


def test_padr_without_a_valid_cookie_is_ignored():
    pair = Pair()
    padr = wire.Discovery(C.PADR, 0, [(C.TAG_SERVICE_NAME, b""), (C.TAG_HOST_UNIQ, b"x"),
                                      (C.TAG_AC_COOKIE, b"\0" * 16)])
    pair.inject("ac", wire.encode_eth(wire.EthFrame(AC_MAC, client_mac(9), C.ETH_DISCOVERY,
                                                  wire.encode_discovery(padr))))
    assert not pair.ac.frames_to_send() and pair.ac.counters["padr.bad_cookie"] == 1
    assert not pair.ac.sessions


def test_padi_flood_allocates_nothing():
    pair = Pair()
    for n in range(1000):
        padi = wire.Discovery(C.PADI, 0, [(C.TAG_SERVICE_NAME, b""), (C.TAG_HOST_UNIQ, n.to_bytes(4, "big"))])
        pair.inject("ac", wire.encode_eth(wire.EthFrame(wire.BROADCAST, client_mac(n), C.ETH_DISCOVERY,
                                                      wire.encode_discovery(padi))))
    assert len(pair.ac.frames_to_send()) == 1000
    assert not pair.ac.sessions and pair.ac.pool.in_use == 0


def test_lcp_renegotiation_from_the_ac_keeps_the_session():
    pair = Pair()
    (session,) = pair.add(1)
    pair.advance(2)
    ac_session = next(iter(pair.ac.sessions.values()))
    # The AC sends a fresh Configure-Request while Opened (RFC 1661: renegotiation).
    ac_session.ppp.lcp._send_configure_request(pair.now)
    pair.advance(10)
    assert not pair.events_of(SessionDown) and session.ppp.is_up
    assert len(pair.events_of(LinkUp)) == 2 and len(pair.events_of(AuthDone)) == 2
    assert {e.ip for e in pair.events_of(SessionUp)} == {"10.0.0.100"}


def test_identification_and_time_remaining_are_accepted_silently():
    pair = Pair()
    (session,) = pair.add(1)
    pair.advance(2)
    for code in (C.IDENTIFICATION, C.TIME_REMAINING):
        info = wire.encode_control(wire.Control(code, 1, b"\x00\x00\x00\x00MSRASV5.20"))
        pair.inject("client", _session_frame(AC_MAC, session.local_mac, session.session_id, C.PROTO_LCP, info))
    assert not pair.client.frames_to_send() and session.ppp.is_up


def test_sessions_per_mac_limit_refuses_with_ac_system_error():
    pair = Pair(ac={"max_sessions_per_mac": 1})
    (first,) = pair.add(1)
    pair.advance(2)
    # A second session from the same MAC (told apart by Host-Uniq): refused in the PADS.
    second = pair.client.add_session(first.local_mac, pair.now)
    pair.advance(5)
    (down,) = pair.events_of(SessionDown)
    assert down.key == second.key and "AC-System-Error: too many sessions for this MAC" in down.reason
    assert len(pair.ac.sessions) == 1 and pair.ac.counters["padr.refused"] == 1


def test_wildcard_secret_accepts_any_username():
    from pppemu.pppoe.credentials import Secrets
    pair = Pair(user="anyone")
    pair.ac.config.ppp.secrets = Secrets.parse("* * secret").lookup
    pair.add(3, username="someone-else")
    pair.advance(3)
    assert len(pair.events_of(SessionUp)) == 3
    assert {s.ppp.peer_name for s in pair.ac.sessions.values()} == {"someone-else"}


def test_two_sessions_from_one_mac_are_told_apart():
    pair = Pair()
    (first,) = pair.add(1)
    second = pair.client.add_session(first.local_mac, pair.now)
    pair.advance(3)
    ups = pair.events_of(SessionUp)
    assert {e.key for e in ups} == {first.key, second.key} and len({e.ip for e in ups}) == 2
    assert first.session_id != second.session_id
    pair.client.close_session(second, pair.now)
    pair.advance(5)
    assert first.ppp.is_up and second.gone and pair.ac.pool.in_use == 1


def test_a_closing_ac_takes_no_new_sessions():
    pair = Pair()
    pair.add(1)
    pair.advance(2)
    pair.ac.close(pair.now)
    pair.add(1)
    pair.advance(60)
    downs = pair.events_of(SessionDown)
    assert len(downs) == 2 and not pair.ac.sessions
    assert len(pair.events_of(SessionUp)) == 1 and pair.ac.counters["padi.refused_full"] >= 1


def test_line_identification_reaches_the_ac():
    from pppemu.pppoe.discovery import line_id_tag
    pair = Pair()
    pair.add(1, extra_tags=(line_id_tag("eth 1/1/1:100", "cpe-42"),))
    pair.advance(2)
    (session,) = pair.ac.sessions.values()
    assert session.line_id == {"circuit_id": "eth 1/1/1:100", "remote_id": "cpe-42"}


@pytest.mark.parametrize("ac_demands, client_does", [("chap", "pap"), ("pap", "chap")])
def test_ac_never_agrees_to_an_authentication_it_was_not_configured_for(ac_demands, client_does):
    pair = Pair(auth=ac_demands, client_ppp={"accept_auth": (client_does,)})
    pair.add(1)
    pair.advance(30)
    assert not pair.events_of(SessionUp) and not pair.events_of(SessionUp, "ac")
    assert not pair.events_of(AuthDone, "ac")  # no authentication was ever attempted
    down = pair.events_of(SessionDown, "ac")
    assert down and f"will not authenticate with {ac_demands.upper()}" in down[0].reason
    assert pair.events_of(SessionDown)
    assert pair.ac.pool.in_use == 0


def lcp_configure_request(frame: bytes) -> bool:
    return frame[12:14] == b"\x88\x64" and frame[20:22] == b"\xc0\x21" and frame[22] == C.CONF_REQ


def test_a_configure_request_sent_before_the_peer_listens_is_resent_when_it_speaks():
    # A pppd client's PPPoE plugin binds the session only after PADS and loses a request
    # that arrives at once; the AC must not wait out the 3 s restart timer.
    pair = Pair()
    dropped = []

    def deaf_at_first(direction, frame):
        if direction == "a2c" and lcp_configure_request(frame) and not dropped:
            dropped.append(frame)
            return False
        return True

    pair.filter = deaf_at_first
    pair.add(1)
    pair.advance(0.3)
    assert dropped and pair.events_of(SessionUp)
    assert pair.ac.sessions and sum(s.ppp.lcp.retransmits for s in pair.ac.sessions.values()) == 1


def test_no_configure_request_is_resent_to_a_peer_that_answered():
    pair = Pair()
    pair.add(1)
    pair.advance(5)
    assert pair.events_of(SessionUp)
    assert len([f for _, f in pair.wire if lcp_configure_request(f)]) == 2  # one each way


def test_the_peers_reason_is_kept_when_it_terminated_before_our_shutdown():
    pair = Pair()
    pair.add(1)
    pair.advance(2)
    # A client that sends no PADT after its Terminate-Request (pppd 2.4.9 does not)
    pair.filter = lambda direction, frame: not (direction == "c2a" and frame[12:14] == b"\x88\x63")
    pair.client.close(pair.now, "user request")
    pair.transfer()
    assert pair.ac.sessions  # the AC holds the session in Stopping, as RFC 1661 asks
    pair.ac.close(pair.now)
    pair.advance(10)
    (down,) = pair.events_of(SessionDown, "ac")
    assert down.reason == "peer terminated the link: user request"
