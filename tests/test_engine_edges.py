"""Edges the protocol tests do not reach on their own: counters that must count, error texts
shown in -v logs, values with the top bit set, and what the quick restart does (RFC 1661 4.6)."""
import logging
import random
import struct

import pytest
from frames import AC_MAC, CLIENT_MAC, OTHER_MAC, Lone, discovery, drain, events, lone_client, of_type, only, session

from pppemu import wire
from pppemu.ppp.events import DiscoveryDone, SessionDown
from pppemu.ppp.fsm import QUICK_RESTART, Fsm, Policy
from pppemu.ppp.ipv6cp import Ipv6cpPolicy
from pppemu.ppp.lcp import AUTH_VALUES, LcpPolicy
from pppemu.ppp.session import PppConfig
from pppemu.pppoe.ac import AcConfig, AcRole
from pppemu.pppoe.credentials import Secrets
from pppemu.pppoe.discovery import DiscoveryClient, DiscoveryTimers
from pppemu.wire import const as C


@pytest.mark.parametrize("decode, data, message", [
    (wire.decode_discovery, b"\x11\x09\x00", "PPPoE header too short"),
    (wire.decode_discovery, b"\x12\x09\x00\x00\x00\x00", "PPPoE version/type 0x12 is not 0x11"),
    (wire.decode_discovery, b"\x11\x09\x00\x00\x00\x04\x01", "PPPoE length 4 exceeds the 1 bytes present"),
    (wire.decode_discovery, b"\x11\x09\x00\x00\x00\x02\x01\x01", "truncated PPPoE tag header"),
    (wire.decode_discovery, b"\x11\x09\x00\x00\x00\x05\x01\x01\x00\x09x",
     "PPPoE tag 0x0101 length 9 overruns the packet"),
    (wire.decode_session, b"\x11\x00\x00", "PPPoE session header too short"),
    (wire.decode_session, b"\x11\x01\x00\x01\x00\x00", "PPPoE session header with bad version/type or non-zero code"),
    (wire.decode_session, b"\x11\x00\x00\x01\x00\x05\x00", "PPPoE length 5 exceeds the 1 bytes present"),
    (wire.decode_ppp, b"", "empty PPP frame"),
    (wire.decode_ppp, b"\xc0", "truncated PPP protocol field"),
    (wire.decode_ppp, b"\xc0\x20", "PPP protocol 0xc020 is not odd"),
    (wire.decode_pap, b"\x01\x01", "PAP packet shorter than its header"),
    (wire.decode_pap, b"\x01\x01\x00\x06\x01a", "PAP Peer-ID overruns the packet"),
    (wire.decode_pap, b"\x01\x01\x00\x07\x01a\x05", "PAP password overruns the packet"),
    (wire.decode_pap, b"\x02\x01\x00\x05\x04", "PAP message overruns the packet"),
    (wire.decode_chap, b"\x01\x01\x00\x05\x04", "CHAP value size overruns the packet"),
    (wire.decode_control, b"\x01\x01", "control packet shorter than its 4-byte header"),
    (wire.decode_options, b"\x01", "truncated option header"),
    (wire.decode_options, b"\x05\x09\x00", "option 5 has bad length 9"),
    (wire.decode_eth, b"\x00" * 13, "ethernet frame too short (13 bytes)"),
    (wire.decode_eth, b"\x00" * 12 + b"\x81\x00\x00", "truncated VLAN tag"),
])
def test_decode_errors_say_what_is_wrong(decode, data, message):
    with pytest.raises(wire.DecodeError) as info:
        decode(data)
    assert str(info.value) == message


def test_lengths_exactly_at_the_limits_decode():
    assert wire.decode_session(b"\x11\x00\x00\x01\x00\x00") == (1, b"")
    assert wire.decode_ppp(b"\xc0\x21") == (C.PROTO_LCP, b"")
    pap = bytes([1, 7, 0, 10]) + b"\x01a\x02pwX"  # a byte past the password, inside the length
    assert wire.decode_pap(pap).password == b"pw"
    assert wire.decode_pap(bytes([2, 3, 0, 8]) + b"\x02okX").message == b"ok"
    assert wire.decode_options(b"") == [] and wire.decode_eth(b"\x00" * 14).payload == b""
    assert wire.encode_discovery(wire.Discovery(C.PADI, 0, [(0x8001, b"")])) == \
        b"\x11\x09\x00\x00\x00\x04\x80\x01\x00\x00"


def test_describe_large_and_odd_values():
    from pppemu.wire.describe import describe_frame
    a, b = AC_MAC, CLIENT_MAC
    frame = discovery(a, b, C.PADO, 0, [(C.TAG_PPP_MAX_PAYLOAD, struct.pack("!H", 40000))])
    assert describe_frame(frame).endswith("PADO sid=0x0000 PPP-Max-Payload=40000")
    opts = wire.encode_options([(C.LCP_MRU, struct.pack("!H", 40000))])
    frame = session(a, b, 1, C.PROTO_LCP, wire.encode_control(wire.Control(C.CONF_REQ, 1, opts)))
    assert describe_frame(frame).endswith("LCP Configure-Request id=1 MRU=40000")
    opts = wire.encode_options([(1, bytes(range(1, 9))), (77, b"\xab\xcd")])
    frame = session(a, b, 1, C.PROTO_IPCP, wire.encode_control(wire.Control(C.CONF_REQ, 1, opts)))
    assert describe_frame(frame).endswith("IPCP Configure-Request id=1 IP-Addresses=0102030405060708 77=abcd")


# ---- counters count

def _ac(**cfg):
    ppp = PppConfig(require_auth="chap", request_dns=False, local_ip="10.0.0.1", accept_auth=())
    return AcRole(AcConfig(mac=AC_MAC, ppp=ppp, **cfg), Secrets.single("alice", "secret"), rng=random.Random(5))


def test_discovery_counters_count_every_frame():
    ac = _ac(max_sessions=0)
    for _ in range(2):
        ac.receive(discovery(wire.BROADCAST, CLIENT_MAC, C.PADI, 0, [(C.TAG_SERVICE_NAME, b"")]), 0.0)
        ac.receive(discovery(AC_MAC, CLIENT_MAC, C.PADR, 0, [(C.TAG_SERVICE_NAME, b""), (C.TAG_AC_COOKIE, b"x")]), 0.0)
        ac.receive(discovery(AC_MAC, CLIENT_MAC, C.PADR, 0, [
            (C.TAG_SERVICE_NAME, b""), (C.TAG_AC_COOKIE, ac.cookies.make(CLIENT_MAC, None, 0.0))]), 0.0)
        ac.receive(discovery(AC_MAC, CLIENT_MAC, C.PADO, 0, []), 0.0)
        ac.receive(b"\x00" * 5, 0.0)
    c = ac.counters
    assert (c["rx.PADI"], c["padi.refused_full"], c["padr.bad_cookie"], c["padr.refused"]) == (2, 2, 2, 2)
    assert (c["rx.ignored_discovery"], c["bad_frames"], c["tx.PADS"]) == (2, 2, 2)
    role = lone_client(client={"discovery": DiscoveryTimers(timeout=0.5, padi_tries=3)})
    role.add_session(CLIENT_MAC, 0.0)
    assert role.next_deadline() == 0.5  # the configured timers reach the session
    role.tick(0.5)
    assert role.counters["tx.PADI"] == 2


def test_session_counters_count_every_frame(caplog):
    lone = Lone()
    lone.open_lcp()
    packet = bytes([0x45, 0, 0, 20]) + b"\0" * 16
    echo = wire.encode_control(wire.Control(C.ECHO_REQ, 1, b"\0\0\0\1"))
    for _ in range(2):
        lone.feed(C.PROTO_IPV4, packet, sid=0x999)
        lone.feed(C.PROTO_LCP, echo, sid=0x999)
        lone.feed(0x8281, b"x")
        lone.feed(C.PROTO_LCP, b"\x01")
    c = lone.role.counters
    assert (c["rx.unmatched"], c["rx.other"], c["rx.data_dropped"]) == (2, 2, 2)
    assert lone.ppp.unknown_dropped == 2 and lone.ppp.protocol_rejects_sent == 2
    lone2 = Lone()
    lone2.feed(0x8281, b"x")
    lone2.feed(0x8281, b"y")
    assert lone2.ppp.unknown_dropped == 2


def test_malformed_frames_and_internal_errors_are_logged(caplog):
    lone = Lone()
    caplog.set_level(logging.DEBUG, logger="pppemu")
    lone.feed_raw(b"\x00" * 5)
    assert "dropped a malformed frame: ethernet frame too short (5 bytes)" in caplog.text

    def broken(*args):
        raise RuntimeError("boom")

    lone.role.on_discovery = broken
    lone.feed_raw(discovery(CLIENT_MAC, AC_MAC, C.PADT, 1))
    lone.feed_raw(discovery(CLIENT_MAC, AC_MAC, C.PADT, 1))
    assert lone.role.counters["internal_errors"] == 2 and lone.role.counters["bad_frames"] == 1
    (record,) = [r for r in caplog.records if r.levelno == logging.ERROR][:1]
    assert record.getMessage() == "internal error while handling a frame; frame dropped" and record.exc_info


def test_big_data_packets_keep_their_length_on_the_fast_path():
    from test_engine_session import client_up
    lone = client_up()
    packet = bytes([0x45, 0, 0x01, 0x2c]) + bytes(range(256)) + b"\0" * 40
    lone.feed(C.PROTO_IPV4, packet)
    lone.feed(C.PROTO_IPV4, packet)
    from pppemu.ppp.events import Packet
    assert [p.data for p in lone.of(Packet)] == [packet, packet] and lone.role.counters["rx.IPv4"] == 2


def test_illegal_events_are_counted_and_change_nothing():
    fsm = Fsm(Policy(), lambda *a: None)
    fsm.up(0.0)
    fsm.up(0.0)
    fsm.tick(0.0)
    assert fsm.illegal_events == 1 and fsm.state.name == "CLOSED"
    fsm.up(0.0)
    assert fsm.illegal_events == 2


def test_automaton_defaults_are_those_of_rfc_1661():
    fsm = Fsm(Policy(), lambda *a: None)
    assert (fsm.restart_timer, fsm.max_terminate, fsm.max_configure, fsm.max_failure) == (3.0, 2, 10, 5)


def test_a_catastrophic_code_reject_terminates_without_text():
    lone = Lone()
    lone.open_lcp()
    (term,) = only(lone.lcp(C.CODE_REJ, 7, bytes([C.CONF_REQ, 3, 0, 4])), C.PROTO_LCP, C.TERM_REQ)
    assert term.ctl.data == b""


# ---- the quick restart when the peer's first request arrives

def _fsm():
    sent = []

    class P(Policy):
        def build_request(self):
            return [(1, b"\x05\xd4")]

    return Fsm(P(), lambda code, ident, data: sent.append((code, ident, data))), sent


def test_the_peers_first_request_brings_our_unanswered_request_forward():
    fsm, sent = _fsm()
    fsm.open(0.0)
    fsm.up(0.0)
    assert fsm.deadline == 3.0
    fsm.receive(C.CONF_REQ, 9, b"", 1.0)
    assert fsm.deadline == pytest.approx(1.0 + QUICK_RESTART)
    fsm.tick(1.0 + QUICK_RESTART)
    assert [c for c, _, _ in sent] == [C.CONF_REQ, C.CONF_ACK, C.CONF_REQ]


def test_a_second_request_or_an_answered_one_is_not_brought_forward():
    fsm, sent = _fsm()
    fsm.open(0.0)
    fsm.up(0.0)
    fsm.receive(C.CONF_REQ, 9, b"", 2.9)
    assert fsm.deadline == 3.0  # already sooner than a quick restart
    fsm, sent = _fsm()
    fsm.open(0.0)
    fsm.up(0.0)
    fsm.receive(C.CONF_REQ, 9, b"\x01", 0.5)  # malformed: not heard
    fsm.receive(C.CONF_REQ, 9, b"", 1.0)
    assert fsm.deadline == pytest.approx(1.2)
    fsm.tick(1.2)
    fsm.receive(C.CONF_REQ, 10, b"", 2.0)  # not the first any more
    assert fsm.deadline == pytest.approx(4.2)


# ---- magic numbers and MRUs with the top bit set

def _lcp(**kw):
    return LcpPolicy(lambda *a: None, random.Random(3), **kw)


def test_magic_numbers_with_the_top_bit_set_are_compared_as_unsigned():
    policy = _lcp()
    policy.magic = 0x80000001
    code, _ = policy.check_request([(C.LCP_MAGIC, struct.pack("!I", 0x80000001))], False)
    assert code == C.CONF_NAK and policy.looped_back == 1
    policy.check_request([(C.LCP_MAGIC, struct.pack("!I", 0x80000001))], False)
    assert policy.looped_back == 2
    code, _ = policy.check_request([(C.LCP_MAGIC, struct.pack("!I", 0xFFFFFFFE))], False)
    assert code == C.CONF_ACK and policy.peer_magic == 0xFFFFFFFE


def test_echo_with_our_own_magic_counts_every_time():
    lone = Lone()
    lone.open_lcp()
    lone.ppp.lcp_policy.magic = 0x80000002
    for n in range(2):
        lone.lcp(C.ECHO_REQ, n, struct.pack("!I", 0x80000002))
    assert lone.ppp.lcp_policy.looped_back == 2


def test_an_mru_beyond_what_pppoe_carries_is_naked_to_1492():
    policy = _lcp()
    assert policy.check_request([(C.LCP_MRU, struct.pack("!H", 65535))], False) == \
        (C.CONF_NAK, [(C.LCP_MRU, struct.pack("!H", 1492))])
    policy.handle_nak([(C.LCP_MRU, struct.pack("!H", 40000))])
    assert policy.want_mru is None
    big = _lcp(max_mru=9000, mru=9000)
    assert big.build_request()[0] == (C.LCP_MRU, struct.pack("!H", 9000)) and big.tx_mtu == 1500


def test_magic_numbers_come_from_the_whole_nonzero_range():
    class Edge(random.Random):
        def __init__(self, high):
            super().__init__(1)
            self.high = high

        def randrange(self, start, stop=None, step=1):
            return stop - 1 if self.high else start

    assert _lcp().magic != 0
    assert LcpPolicy(lambda *a: None, Edge(False)).magic == 1
    assert LcpPolicy(lambda *a: None, Edge(True)).magic == 0xFFFFFFFF


def test_a_short_protocol_reject_is_no_event_at_all():
    lone = Lone()
    lone.open_lcp()
    lone.lcp(C.PROTO_REJ, 1, b"\x80")
    assert lone.ppp.lcp.illegal_events == 0


@pytest.mark.parametrize("offered, text", [
    (AUTH_VALUES["pap"], "peer will not authenticate with CHAP (it offered PAP)"),
    (b"\xc2\x27", "peer will not authenticate with CHAP (it offered another protocol)"),
])
def test_the_authenticator_says_what_the_peer_offered_instead(offered, text):
    policy = _lcp(require_auth="chap")
    policy.handle_nak([(C.LCP_AUTH, offered)])
    assert policy.fatal == text


def test_an_authenticator_naked_or_rejected_on_other_options_keeps_its_demand():
    policy = _lcp(require_auth="chap")
    policy.handle_nak([(C.LCP_MRU, struct.pack("!H", 1400))])
    policy.handle_reject([(C.LCP_MAGIC, b"\0\0\0\1")])
    assert policy.fatal is None and policy.want_mru == 1400 and policy.magic == 0
    assert [o for o, _ in policy.build_request()] == [C.LCP_MRU, C.LCP_AUTH]


def test_a_nak_with_the_peers_identifier_brings_another_one():
    class Scripted:
        def __init__(self, values):
            self.values = iter(values)

        def randbytes(self, n):
            return next(self.values)

    policy = Ipv6cpPolicy(Scripted([b"\x01" * 8, b"\x07" * 8, b"\x08" * 8]))
    policy.peer_iid = b"\x07" * 8
    policy.handle_nak([(C.IPV6CP_IFACE_ID, b"\x07" * 8)])
    assert policy.iid == b"\x08" * 8


# ---- keys, reasons and overrides

def test_client_events_carry_the_session_key():
    pair_role = lone_client()
    a = pair_role.add_session(CLIENT_MAC, 0.0)
    b = pair_role.add_session(OTHER_MAC, 0.0)
    assert (a.key.number, b.key.number) == (1, 2) and (a.key.mac, b.key.session_id) == ("02:00:00:00:00:01", 0)
    drain(pair_role)
    lone = Lone()
    (done,) = lone.of(DiscoveryDone)
    assert done.key == lone.session.key and done.key.number == 1 and done.key.session_id == 0x1234
    lone.open_lcp()
    from pppemu.ppp.events import LinkUp
    assert lone.of(LinkUp)[0].key == done.key


def test_add_session_overrides_only_what_it_is_given():
    role = lone_client()
    plain = role.add_session(CLIENT_MAC, 0.0, start=False)
    pw = role.add_session(CLIENT_MAC, 0.0, password="other", start=False)
    user = role.add_session(CLIENT_MAC, 0.0, username="bob", start=False)
    assert drain(role) == []
    configs = {}
    for subscriber in (plain, pw, user):
        role.start_session(subscriber, 0.0)
        for code, sid in ((C.PADO, 0), (C.PADS, 0x100 + subscriber.key.number)):
            role.receive(discovery(CLIENT_MAC, AC_MAC, code, sid, [(C.TAG_HOST_UNIQ, subscriber.host_uniq)]), 0.0)
        drain(role)
        configs[subscriber.key.number] = subscriber.ppp.config
    assert configs[1] is role.config.ppp
    assert (configs[2].username, configs[2].password) == ("alice", "other")
    assert (configs[3].username, configs[3].password) == ("bob", "secret")


def test_a_client_padt_ends_the_ac_session_with_its_reason():
    lone = Lone("ac")
    lone.feed_raw(discovery(AC_MAC, CLIENT_MAC, C.PADT, lone.session.session_id))
    (down,) = lone.of(SessionDown)
    assert down.reason == "PADT from the client" and lone.session.gone


def test_the_ac_names_itself_in_discovery_done_and_keeps_its_address_out_of_the_pool():
    ppp = PppConfig(require_auth=None, request_dns=False, local_ip="10.0.0.1", accept_auth=())
    ac = AcRole(AcConfig(mac=AC_MAC, ppp=ppp, pool="10.0.0.1-10.0.0.2", ac_name="bras3"), Secrets.single("a", "b"),
                rng=random.Random(1))
    ac.receive(discovery(AC_MAC, CLIENT_MAC, C.PADR, 0, [
        (C.TAG_SERVICE_NAME, b""), (C.TAG_AC_COOKIE, ac.cookies.make(CLIENT_MAC, None, 0.0))]), 0.0)
    (done,) = of_type(events(ac), DiscoveryDone)
    assert done.ac_name == "bras3"
    (acs,) = ac.sessions.values()
    assert ac._take_address(acs) == "10.0.0.2" and ac.pool.size == 1 and ac.ended.maxlen == 100_000
    assert ac._take_address(acs) is None  # the local address is never handed out


def test_padr_retransmissions_are_counted():
    dc = DiscoveryClient(CLIENT_MAC, b"hu", lambda dst, pkt: None, timers=DiscoveryTimers(padr_tries=3, rounds=1))
    dc.start(0.0)
    dc.receive(AC_MAC, wire.Discovery(C.PADO, 0, [(C.TAG_HOST_UNIQ, b"hu")]), 0.0)
    while dc.deadline is not None:
        dc.tick(dc.deadline)
    assert dc.retransmits == 2
    dc = DiscoveryClient(CLIENT_MAC, b"hu", lambda dst, pkt: None, timers=DiscoveryTimers(padi_tries=1))
    dc.start(0.0)
    dc.tick(1.0)
    assert dc.failure == "no PADO: no access concentrator answered"


def test_error_texts_that_are_not_utf8_are_still_shown():
    from pppemu.pppoe.discovery import describe_error
    assert describe_error(wire.Discovery(C.PADS, 0, [(C.TAG_GENERIC_ERROR, b"x\xff")])) == "Generic-Error: x\ufffd"
    ac = _ac(services=("internet",))
    ac.receive(discovery(wire.BROADCAST, CLIENT_MAC, C.PADI, 0, [(C.TAG_SERVICE_NAME, b"inter\xff")]), 0.0)
    assert drain(ac) == [] and ac.counters["padi.refused_service"] == 1
    lone = Lone()
    lone.open_lcp()
    lone.feed_raw(discovery(CLIENT_MAC, AC_MAC, C.PADT, 0x1234, [(C.TAG_GENERIC_ERROR, b"bye\xff")]))
    assert lone.of(SessionDown)[0].reason == "PADT from the access concentrator: bye\ufffd"


@pytest.mark.parametrize("protocol, info, text", [
    (C.PROTO_LCP, bytes([5, 1, 0, 6]) + b"b\xff", "LCP Terminate-Request id=1 'b\ufffd'"),
    (C.PROTO_LCP, bytes([8, 1, 0, 6]) + b"\x80\x57", "LCP Protocol-Reject id=1 rejected=0x8057"),
    (C.PROTO_CHAP, bytes([1, 1, 0, 7, 1]) + b"v\xff", "CHAP Challenge id=1 name='\ufffd'"),
    (C.PROTO_CHAP, bytes([4, 1, 0, 5]) + b"\xff", "CHAP Failure id=1 '\ufffd'"),
    (C.PROTO_PAP, bytes([1, 1, 0, 7, 1]) + b"\xff\x00", "PAP Authenticate-Request id=1 peer-id='\ufffd'"),
    (C.PROTO_PAP, bytes([3, 1, 0, 6, 1]) + b"\xff", "PAP Authenticate-Nak id=1 '\ufffd'"),
])
def test_describe_text_fields_that_are_not_utf8(protocol, info, text):
    from pppemu.wire.describe import describe_frame
    assert describe_frame(session(AC_MAC, CLIENT_MAC, 1, protocol, info)).endswith(text)


def test_a_successful_pap_check_leaves_no_reason():
    from pppemu.ppp.auth import PapAuthenticator
    a = PapAuthenticator(lambda info: None, {b"alice": b"secret"}.get)
    a.start(0.0)
    a.receive(wire.encode_pap(wire.Pap(C.PAP_REQUEST, 1, peer_id=b"alice", password=b"secret")), 0.1)
    assert a.result is True and a.reason == ""


def test_a_close_without_a_reason_is_reported_as_closed():
    lone = Lone()
    lone.open_lcp()
    lone.role.close(lone.now, "")
    lone.advance(10)
    (down,) = lone.of(SessionDown)
    assert down.reason == "closed"


def test_an_authenticator_naked_or_rejected_on_an_option_it_did_not_ask_for_keeps_going():
    policy = _lcp(require_auth="chap")
    policy.handle_nak([(C.LCP_PFC, b"")])
    policy.handle_reject([(C.LCP_ACFC, b"")])
    assert policy.fatal is None and policy.want_auth == "chap"
