"""The PPP session over PPPoE: phases (RFC 1661 section 3), IPCP (RFC 1332, RFC 1877),
IPv6CP (RFC 5072) and the data path (RFC 2516 section 4), on one role or on a Pair."""
import ipaddress
import struct

import pytest
from frames import AC_MAC, CLIENT_MAC, OTHER_MAC, Lone, drain, events, of_type, only, session, up_pair, wire_frames

from pppemu import wire
from pppemu.ppp.events import Ipv6Up, LinkUp, Packet, SessionDown, SessionUp
from pppemu.ppp.fsm import State
from pppemu.ppp.ipcp import IpcpPolicy
from pppemu.ppp.ipv6cp import Ipv6cpPolicy
from pppemu.ppp.session import Phase
from pppemu.wire import const as C

ZERO = b"\0\0\0\0"


def ip(text):
    return ipaddress.IPv4Address(text).packed


def opts(*pairs):
    return wire.encode_options(list(pairs))


def ncp_answer(out, protocol):
    (reply,) = [f for f in out if f.protocol == protocol and f.code in (C.CONF_ACK, C.CONF_NAK, C.CONF_REJ)]
    return reply


def client_in_network(**kw):
    """A lone client whose LCP is open (no authentication): its IPCP request is returned."""
    lone = Lone(**kw)
    out = lone.open_lcp()
    assert lone.ppp.phase == Phase.NETWORK
    (req,) = only(out, C.PROTO_IPCP, C.CONF_REQ)
    return lone, req


def ac_in_network(**kw):
    lone = Lone("ac", require_auth=None, **kw)
    out = lone.open_lcp()
    (req,) = only(out, C.PROTO_IPCP, C.CONF_REQ)
    return lone, req


# ---- IPCP

def test_client_asks_for_an_address_and_both_dns_servers_with_zeros():
    _, req = client_in_network()
    assert req.options == [(C.IPCP_ADDRESS, ZERO), (C.IPCP_DNS1, ZERO), (C.IPCP_DNS2, ZERO)]


def test_client_without_dns_asks_for_the_address_only():
    _, req = client_in_network(request_dns=False)
    assert req.options == [(C.IPCP_ADDRESS, ZERO)]


def test_client_with_a_configured_address_asks_for_it_and_keeps_it_when_naked():
    lone, req = client_in_network(local_ip="192.0.2.9", request_dns=False)
    assert req.options == [(C.IPCP_ADDRESS, ip("192.0.2.9"))]
    (again,) = only(lone.ctl(C.PROTO_IPCP, C.CONF_NAK, req.ctl.ident, opts((C.IPCP_ADDRESS, ip("10.0.0.5")))),
                    C.PROTO_IPCP, C.CONF_REQ)
    assert again.options == [(C.IPCP_ADDRESS, ip("192.0.2.9"))]


def test_the_full_ipcp_exchange_between_our_client_and_ac():
    pair, cs, _ = up_pair()
    ipcp = only(wire_frames(pair), C.PROTO_IPCP)
    c_reqs = [f for f in ipcp if f.code == C.CONF_REQ and f.src == cs.local_mac]
    a_reqs = [f for f in ipcp if f.code == C.CONF_REQ and f.src == AC_MAC]
    assert c_reqs[0].options == [(C.IPCP_ADDRESS, ZERO), (C.IPCP_DNS1, ZERO), (C.IPCP_DNS2, ZERO)]
    assert a_reqs[0].options == [(C.IPCP_ADDRESS, ip("10.0.0.1"))]
    naks = [f for f in ipcp if f.code == C.CONF_NAK]
    nak = naks[0]
    assert all(n.ctl.data == nak.ctl.data for n in naks)
    assert nak.src == AC_MAC and nak.ctl.ident == c_reqs[0].ctl.ident
    assert nak.options == [(C.IPCP_ADDRESS, ip("10.0.0.100")), (C.IPCP_DNS1, ip("10.0.0.53")),
                           (C.IPCP_DNS2, ip("10.0.0.54"))]
    assert c_reqs[-1].options == nak.options
    (up,) = pair.events_of(SessionUp)
    assert (up.ip, up.gateway, up.dns) == ("10.0.0.100", "10.0.0.1", ["10.0.0.53", "10.0.0.54"])
    (ac_up,) = pair.events_of(SessionUp, "ac")
    assert (ac_up.ip, ac_up.gateway) == ("10.0.0.1", "10.0.0.100")


def test_ac_naks_a_request_without_an_address_with_the_one_it_assigned():
    # RFC 1332 section 3.3: the IP-Address option is appended to a Nak when the peer left it out.
    lone, _ = ac_in_network()
    nak = ncp_answer(lone.ctl(C.PROTO_IPCP, C.CONF_REQ, 1, b""), C.PROTO_IPCP)
    assert nak.code == C.CONF_NAK and nak.options == [(C.IPCP_ADDRESS, ip("10.0.0.100"))]
    nak = ncp_answer(lone.ctl(C.PROTO_IPCP, C.CONF_REQ, 2, opts((C.IPCP_DNS1, ZERO))), C.PROTO_IPCP)
    assert nak.options == [(C.IPCP_DNS1, ip("10.0.0.53")), (C.IPCP_ADDRESS, ip("10.0.0.100"))]


def test_ac_naks_another_address_and_acks_the_assigned_one():
    lone, _ = ac_in_network()
    nak = ncp_answer(lone.ctl(C.PROTO_IPCP, C.CONF_REQ, 1, opts((C.IPCP_ADDRESS, ip("10.9.9.9")))), C.PROTO_IPCP)
    assert nak.code == C.CONF_NAK and nak.options == [(C.IPCP_ADDRESS, ip("10.0.0.100"))]
    good = opts((C.IPCP_ADDRESS, ip("10.0.0.100")), (C.IPCP_DNS1, ip("10.0.0.53")), (C.IPCP_DNS2, ip("10.0.0.54")))
    ack = ncp_answer(lone.ctl(C.PROTO_IPCP, C.CONF_REQ, 2, good), C.PROTO_IPCP)
    assert ack.code == C.CONF_ACK and ack.ctl.data == good and ack.ctl.ident == 2


def test_ac_without_dns_rejects_the_dns_options_and_with_one_server_rejects_the_second():
    lone, _ = ac_in_network(dns=())
    rej = ncp_answer(lone.ctl(C.PROTO_IPCP, C.CONF_REQ, 1, opts((C.IPCP_ADDRESS, ip("10.0.0.100")),
                                                                 (C.IPCP_DNS1, ZERO))), C.PROTO_IPCP)
    assert rej.code == C.CONF_REJ and rej.options == [(C.IPCP_DNS1, ZERO)]
    lone, _ = ac_in_network(dns=("9.9.9.9",))
    rej = ncp_answer(lone.ctl(C.PROTO_IPCP, C.CONF_REQ, 1, opts((C.IPCP_ADDRESS, ip("10.0.0.100")),
                                                                 (C.IPCP_DNS1, ZERO), (C.IPCP_DNS2, ZERO))),
                     C.PROTO_IPCP)
    assert rej.code == C.CONF_REJ and rej.options == [(C.IPCP_DNS2, ZERO)]
    nak = ncp_answer(lone.ctl(C.PROTO_IPCP, C.CONF_REQ, 2, opts((C.IPCP_ADDRESS, ip("10.0.0.100")),
                                                                 (C.IPCP_DNS1, ZERO))), C.PROTO_IPCP)
    assert nak.code == C.CONF_NAK and nak.options == [(C.IPCP_DNS1, ip("9.9.9.9"))]


@pytest.mark.parametrize("option", [(C.IPCP_COMPRESSION, b"\x00\x2d\x0f\x01"), (C.IPCP_ADDRESSES, ZERO * 2),
                                    (C.IPCP_NBNS1, ZERO), (C.IPCP_ADDRESS, b"\x0a\x00\x00")])
def test_ac_rejects_ipcp_options_it_does_not_do(option):
    lone, _ = ac_in_network()
    rej = ncp_answer(lone.ctl(C.PROTO_IPCP, C.CONF_REQ, 1, opts((C.IPCP_ADDRESS, ip("10.0.0.100")), option)),
                     C.PROTO_IPCP)
    assert rej.code == C.CONF_REJ and rej.options == [option]


def test_client_takes_the_naked_address_and_dns_then_comes_up():
    lone, req = client_in_network()
    nak = opts((C.IPCP_ADDRESS, ip("10.1.2.3")), (C.IPCP_DNS1, ip("1.1.1.1")), (C.IPCP_DNS2, ip("8.8.8.8")))
    (again,) = only(lone.ctl(C.PROTO_IPCP, C.CONF_NAK, req.ctl.ident, nak), C.PROTO_IPCP, C.CONF_REQ)
    assert again.ctl.data == nak
    lone.ack(again)
    ack = ncp_answer(lone.ctl(C.PROTO_IPCP, C.CONF_REQ, 1, opts((C.IPCP_ADDRESS, ip("10.1.0.1")))), C.PROTO_IPCP)
    assert ack.code == C.CONF_ACK
    (up,) = lone.of(SessionUp)
    assert (up.ip, up.gateway, up.dns) == ("10.1.2.3", "10.1.0.1", ["1.1.1.1", "8.8.8.8"])
    assert lone.ppp.is_up and lone.session.state == "up"


def test_client_ignores_a_malformed_nak_value_and_stops_asking_for_rejected_dns():
    lone, req = client_in_network()
    (again,) = only(lone.ctl(C.PROTO_IPCP, C.CONF_NAK, req.ctl.ident, opts((C.IPCP_ADDRESS, b"\x0a\x00\x00"))),
                    C.PROTO_IPCP, C.CONF_REQ)
    assert again.options[0] == (C.IPCP_ADDRESS, ZERO)
    (third,) = only(lone.ctl(C.PROTO_IPCP, C.CONF_REJ, again.ctl.ident, opts((C.IPCP_DNS2, ZERO))),
                    C.PROTO_IPCP, C.CONF_REQ)
    assert third.options == [(C.IPCP_ADDRESS, ZERO), (C.IPCP_DNS1, ZERO)]


def test_client_rejects_a_peer_asking_it_for_an_address():
    lone, _ = client_in_network()
    rej = ncp_answer(lone.ctl(C.PROTO_IPCP, C.CONF_REQ, 1, opts((C.IPCP_ADDRESS, ZERO))), C.PROTO_IPCP)
    assert rej.code == C.CONF_REJ and rej.options == [(C.IPCP_ADDRESS, ZERO)]


def test_address_rejected_when_we_have_none_ends_ipcp_and_the_session():
    lone, req = client_in_network()
    out = lone.ctl(C.PROTO_IPCP, C.CONF_REJ, req.ctl.ident, opts((C.IPCP_ADDRESS, ZERO)))
    (term,) = only(out, C.PROTO_IPCP, C.TERM_REQ)
    assert term.ctl.data == b"peer rejected the IP-Address option and gave us no address"
    sent = out + lone.advance(20)
    assert only(sent, C.PROTO_LCP, C.TERM_REQ)
    (down,) = lone.of(SessionDown)
    assert down.reason == "no network protocol could be negotiated"


def test_an_ipcp_that_never_opens_ends_the_session_after_max_configure():
    # RFC 1661 section 4.4: an NCP's This-Layer-Finished says it no longer needs the link.
    lone, _ = client_in_network(max_configure=3, restart_timer=1.0)
    sent = lone.advance(30)
    assert len(only(sent, C.PROTO_IPCP, C.CONF_REQ)) == 2
    assert only(sent, C.PROTO_LCP, C.TERM_REQ) and lone.ppp.ipcp.state == State.STOPPED
    (down,) = lone.of(SessionDown)
    assert down.reason == "no network protocol could be negotiated"


def test_ipcp_policy_with_an_address_rejected_while_configured_keeps_going():
    policy = IpcpPolicy(local_ip="10.0.0.1", request_dns=False)
    policy.handle_reject([(C.IPCP_ADDRESS, ip("10.0.0.1"))])
    assert policy.fatal is None and policy.build_request() == []
    assert policy.address is None and policy.gateway is None and policy.dns == []


def test_ncp_packets_before_the_network_phase_are_discarded():
    # RFC 1661 section 3.4/3.5: no NCP exchange before the Network-Layer Protocol phase.
    lone = Lone()
    assert lone.ctl(C.PROTO_IPCP, C.CONF_REQ, 1, opts((C.IPCP_ADDRESS, ip("10.0.0.1")))) == []
    lone = Lone("ac")
    lone.open_lcp()
    assert lone.ppp.phase == Phase.AUTHENTICATE
    assert lone.ctl(C.PROTO_IPCP, C.CONF_REQ, 1, opts((C.IPCP_ADDRESS, ZERO))) == []


# ---- IPv6CP

def test_ipv6cp_request_carries_a_nonzero_interface_identifier():
    _, _ = client_in_network(ipv6=True)
    lone = Lone(ipv6=True)
    (req,) = only(lone.open_lcp(), C.PROTO_IPV6CP, C.CONF_REQ)
    ((opt, iid),) = req.options
    assert opt == C.IPV6CP_IFACE_ID and len(iid) == 8 and iid != b"\0" * 8


@pytest.mark.parametrize("theirs", ["zero", "ours"])
def test_ipv6cp_naks_a_zero_or_colliding_identifier_with_a_fresh_one(theirs):
    # RFC 5072 section 4.1.
    lone = Lone(ipv6=True)
    lone.open_lcp()
    ours = lone.ppp.ipv6cp_policy.iid
    value = b"\0" * 8 if theirs == "zero" else ours
    nak = ncp_answer(lone.ctl(C.PROTO_IPV6CP, C.CONF_REQ, 1, opts((C.IPV6CP_IFACE_ID, value))), C.PROTO_IPV6CP)
    ((opt, suggested),) = nak.options
    assert nak.code == C.CONF_NAK and suggested not in (b"\0" * 8, ours) and len(suggested) == 8


def test_ipv6cp_acks_a_distinct_identifier_and_rejects_the_rest():
    lone = Lone(ipv6=True)
    lone.open_lcp()
    ack = ncp_answer(lone.ctl(C.PROTO_IPV6CP, C.CONF_REQ, 1, opts((C.IPV6CP_IFACE_ID, b"\x02" * 8))),
                     C.PROTO_IPV6CP)
    assert ack.code == C.CONF_ACK
    rej = ncp_answer(lone.ctl(C.PROTO_IPV6CP, C.CONF_REQ, 2, opts((C.IPV6CP_IFACE_ID, b"\x02" * 8), (2, b"\0\0"))),
                     C.PROTO_IPV6CP)
    assert rej.code == C.CONF_REJ and rej.options == [(2, b"\0\0")]
    rej = ncp_answer(lone.ctl(C.PROTO_IPV6CP, C.CONF_REQ, 3, opts((C.IPV6CP_IFACE_ID, b"\x02" * 4))),
                     C.PROTO_IPV6CP)
    assert rej.code == C.CONF_REJ


def test_ipv6cp_takes_a_suggested_identifier_unless_it_is_zero_or_the_peers():
    policy = Ipv6cpPolicy(__import__("random").Random(1))
    first = policy.iid
    policy.handle_nak([(C.IPV6CP_IFACE_ID, b"\x05" * 8)])
    assert policy.iid == b"\x05" * 8
    policy.peer_iid = b"\x07" * 8
    policy.handle_nak([(C.IPV6CP_IFACE_ID, b"\x07" * 8)])
    assert policy.iid not in (b"\x07" * 8, b"\x05" * 8, b"\0" * 8)
    policy.handle_nak([(C.IPV6CP_IFACE_ID, b"\0" * 8)])
    assert policy.iid != b"\0" * 8 and first != policy.iid
    policy.handle_nak([(C.IPV6CP_IFACE_ID, b"\x09" * 7)])
    assert policy.iid != b"\x09" * 7
    policy.handle_reject([(C.IPV6CP_IFACE_ID, policy.iid)])
    assert policy.iid is None and policy.build_request() == []


def test_ipv6cp_random_identifier_avoids_zero_and_the_given_one():
    class Scripted:
        def __init__(self, values):
            self.values = iter(values)

        def randbytes(self, n):
            return next(self.values)

    policy = Ipv6cpPolicy(Scripted([b"\x01" * 8, b"\0" * 8, b"\x03" * 8, b"\x04" * 8]))
    assert policy.iid == b"\x01" * 8
    assert policy.random_id(avoid=b"\x03" * 8) == b"\x04" * 8


def test_ipv6_up_reports_link_local_addresses_from_both_identifiers():
    lone = Lone(ipv6=True)
    out = lone.open_lcp()
    (req,) = only(out, C.PROTO_IPV6CP, C.CONF_REQ)
    lone.ack(req)
    lone.ctl(C.PROTO_IPV6CP, C.CONF_REQ, 1, opts((C.IPV6CP_IFACE_ID, bytes(range(1, 9)))))
    (up,) = lone.of(Ipv6Up)
    assert up.peer_link_local == "fe80::102:304:506:708"
    assert up.local_link_local == str(ipaddress.IPv6Address(b"\xfe\x80" + b"\0" * 6 + req.options[0][1]))


# ---- the data path

def _ipv4_packet(payload=b"hello"):
    return bytes([0x45, 0, 0, 20 + len(payload)]) + b"\0" * 16 + payload


def client_up(vlans=()):
    lone, req = client_in_network(request_dns=False, vlans=vlans)
    (again,) = only(lone.ctl(C.PROTO_IPCP, C.CONF_NAK, req.ctl.ident, opts((C.IPCP_ADDRESS, ip("10.0.0.100")))),
                    C.PROTO_IPCP, C.CONF_REQ)
    lone.ack(again)
    lone.ctl(C.PROTO_IPCP, C.CONF_REQ, 1, opts((C.IPCP_ADDRESS, ip("10.0.0.1"))))
    assert lone.ppp.is_up
    return lone


def test_ip_before_ipcp_is_opened_is_dropped_both_ways():
    # RFC 1332 section 1: no IP datagrams before IPCP reaches Opened.
    lone, _ = client_in_network()
    assert lone.feed(C.PROTO_IPV4, _ipv4_packet()) == []
    assert not lone.of(Packet) and lone.role.counters["rx.data_dropped"] == 1
    assert not lone.role.send_packet(lone.session, C.PROTO_IPV4, _ipv4_packet())
    assert drain(lone.role) == []
    lone.ppp.receive(C.PROTO_IPV4, _ipv4_packet(), lone.now)
    assert not lone.of(Packet)


def test_ip_after_ipcp_is_opened_passes_both_ways():
    lone = client_up()
    assert lone.feed(C.PROTO_IPV4, _ipv4_packet(b"x")) == []
    (pkt,) = lone.of(Packet)
    assert pkt.protocol == C.PROTO_IPV4 and pkt.data == _ipv4_packet(b"x") and pkt.key == lone.session.key
    assert lone.role.send_packet(lone.session, C.PROTO_IPV4, _ipv4_packet(b"y"))
    (out,) = drain(lone.role)
    assert (out.protocol, out.info, out.session_id, out.dst) == (C.PROTO_IPV4, _ipv4_packet(b"y"), 0x1234, AC_MAC)
    assert lone.role.counters["rx.IPv4"] == 1 and lone.role.counters["tx.IPv4"] == 1


def test_ethernet_padding_is_not_part_of_the_packet():
    # RFC 2516 section 4: the PPPoE LENGTH field bounds the payload; what follows is padding.
    lone = client_up()
    packet = _ipv4_packet(b"")
    frame = session(CLIENT_MAC, AC_MAC, 0x1234, C.PROTO_IPV4, packet)
    assert len(frame) < 60
    lone.feed_raw(frame + b"\xee" * (60 - len(frame)))
    (pkt,) = lone.of(Packet)
    assert pkt.data == packet


def test_padding_is_stripped_on_the_tagged_path_too():
    lone = client_up(vlans=((0x8100, 7),))
    packet = _ipv4_packet(b"")
    lone.feed_raw(session(CLIENT_MAC, AC_MAC, 0x1234, C.PROTO_IPV4, packet, vlans=((0x8100, 7),)) + b"\xee" * 20)
    (pkt,) = lone.of(Packet)
    assert pkt.data == packet


def test_a_session_on_one_vlan_takes_no_frames_from_another_or_from_none():
    lone = client_up(vlans=((0x88A8, 10), (0x8100, 7)))
    packet = _ipv4_packet(b"")
    for stack in ((), ((0x8100, 7),), ((0x88A8, 10), (0x8100, 8)), ((0x8100, 10), (0x8100, 7))):
        lone.feed_raw(session(CLIENT_MAC, AC_MAC, 0x1234, C.PROTO_IPV4, packet, vlans=stack))
    assert lone.of(Packet) == [] and lone.role.counters["rx.data_dropped"] == 4
    # priority bits are not part of the line: a frame at priority 5 is the session's
    lone.feed_raw(session(CLIENT_MAC, AC_MAC, 0x1234, C.PROTO_IPV4, packet, vlans=((0x88A8, 5 << 13 | 10),
                                                                                  (0x8100, 5 << 13 | 7))))
    (pkt,) = lone.of(Packet)
    assert pkt.data == packet


def test_a_data_frame_whose_length_overruns_the_frame_is_dropped():
    lone = client_up()
    frame = bytearray(session(CLIENT_MAC, AC_MAC, 0x1234, C.PROTO_IPV4, _ipv4_packet()))
    frame[18:20] = struct.pack("!H", len(frame) - 20 + 1)
    lone.feed_raw(bytes(frame))
    assert not lone.of(Packet) and lone.role.counters["bad_frames"] == 1
    frame[18:20] = struct.pack("!H", len(frame) - 20)
    lone.feed_raw(bytes(frame))
    assert len(lone.of(Packet)) == 1


def test_a_data_frame_with_a_length_below_the_protocol_field_is_dropped():
    lone = client_up()
    frame = bytearray(session(CLIENT_MAC, AC_MAC, 0x1234, C.PROTO_IPV4, _ipv4_packet()))
    frame[18:20] = b"\x00\x01"
    lone.feed_raw(bytes(frame))
    assert not lone.of(Packet) and lone.role.counters["bad_frames"] == 1


def test_a_data_frame_with_a_nonzero_pppoe_code_is_dropped():
    lone = client_up()
    frame = bytearray(session(CLIENT_MAC, AC_MAC, 0x1234, C.PROTO_IPV4, _ipv4_packet()))
    frame[15] = 0x07
    lone.feed_raw(bytes(frame))
    assert not lone.of(Packet) and lone.role.counters["bad_frames"] == 1


def test_data_for_another_session_or_from_another_ac_is_dropped():
    lone = client_up()
    lone.feed(C.PROTO_IPV4, _ipv4_packet(), sid=0x1235)
    lone.feed_raw(session(CLIENT_MAC, OTHER_MAC, 0x1234, C.PROTO_IPV4, _ipv4_packet()))
    lone.feed_raw(session(OTHER_MAC, AC_MAC, 0x1234, C.PROTO_IPV4, _ipv4_packet()))
    assert not lone.of(Packet) and lone.role.counters["rx.data_dropped"] == 3


def test_ipv6_without_ipv6cp_is_dropped_while_ipv4_passes():
    lone = client_up()
    v6 = bytes([0x60]) + b"\0" * 39
    lone.feed(C.PROTO_IPV6, v6)
    assert not lone.of(Packet) and lone.role.counters["rx.data_dropped"] == 1
    assert not lone.role.send_packet(lone.session, C.PROTO_IPV6, v6)


def test_ipv6_passes_once_ipv6cp_is_opened():
    lone = Lone(ipv6=True)
    out = lone.open_lcp()
    lone.ack(only(out, C.PROTO_IPV6CP, C.CONF_REQ)[0])
    lone.ctl(C.PROTO_IPV6CP, C.CONF_REQ, 1, opts((C.IPV6CP_IFACE_ID, b"\x02" * 8)))
    v6 = bytes([0x60]) + b"\0" * 39
    lone.feed(C.PROTO_IPV6, v6)
    (pkt,) = lone.of(Packet)
    assert pkt.protocol == C.PROTO_IPV6 and pkt.data == v6 and lone.role.counters["rx.IPv6"] == 1
    assert not lone.ppp.accepts(C.PROTO_IPV4)


def test_pfc_compressed_ip_is_delivered_by_the_general_path():
    lone = client_up()
    packet = _ipv4_packet(b"pfc")
    payload = struct.pack("!BBHH", 0x11, 0, 0x1234, len(packet) + 1) + b"\x21" + packet
    lone.feed_raw(wire.encode_eth(wire.EthFrame(CLIENT_MAC, AC_MAC, C.ETH_SESSION, payload)))
    (pkt,) = lone.of(Packet)
    assert pkt.data == packet


def test_a_data_sink_takes_the_packets_instead_of_events():
    lone = client_up()
    got = []
    lone.role.data_sink = lambda sess, proto, data: got.append((sess, proto, data))
    lone.feed(C.PROTO_IPV4, _ipv4_packet(b"s"))
    assert got == [(lone.session, C.PROTO_IPV4, _ipv4_packet(b"s"))] and not lone.of(Packet)


def test_ac_delivers_data_only_for_its_own_mac_and_the_right_peer():
    pair, cs, acs = up_pair()
    packet = _ipv4_packet(b"up")
    pair.ac.receive(session(AC_MAC, cs.local_mac, cs.session_id, C.PROTO_IPV4, packet), pair.now)
    pair.ac.receive(session(OTHER_MAC, cs.local_mac, cs.session_id, C.PROTO_IPV4, packet), pair.now)
    pair.ac.receive(session(AC_MAC, OTHER_MAC, cs.session_id, C.PROTO_IPV4, packet), pair.now)
    assert len(of_type(events(pair.ac), Packet)) == 1 and pair.ac.counters["rx.data_dropped"] == 2
    assert pair.ac.session_for_address(ip("10.0.0.100")) is acs


def test_ac_ignores_control_frames_not_addressed_to_it():
    pair, cs, acs = up_pair()
    echo = wire.encode_control(wire.Control(C.ECHO_REQ, 1, b"\0\0\0\1"))
    pair.ac.receive(session(OTHER_MAC, cs.local_mac, cs.session_id, C.PROTO_LCP, echo), pair.now)
    pair.ac.receive(session(AC_MAC, cs.local_mac, cs.session_id ^ 4, C.PROTO_LCP, echo), pair.now)
    assert drain(pair.ac) == [] and pair.ac.counters["rx.unmatched"] == 2
    pair.ac.receive(session(AC_MAC, cs.local_mac, cs.session_id, C.PROTO_LCP, echo), pair.now)
    assert only(drain(pair.ac), C.PROTO_LCP, C.ECHO_REPLY)


def test_client_ignores_session_frames_for_unknown_sessions():
    lone = client_up()
    echo = wire.encode_control(wire.Control(C.ECHO_REQ, 1, b"\0\0\0\1"))
    assert lone.feed(C.PROTO_LCP, echo, sid=0x999) == []
    assert lone.role.counters["rx.unmatched"] == 1


# ---- roles: framing, VLANs, robustness

def test_a_role_with_vlans_tags_what_it_sends_and_understands_tagged_frames():
    from pppemu.ppp.session import PppConfig
    from pppemu.pppoe.client import ClientConfig, ClientRole
    role = ClientRole(ClientConfig(ppp=PppConfig(username="a", password="b")), rng=__import__("random").Random(1))
    stack = wire.encode_tags(((0x88A8, 10), (0x8100, 20)))
    session = role.add_session(CLIENT_MAC, 0.0, vlan_tags=stack)
    (padi,) = drain(role)
    assert padi.vlans == ((0x88A8, 10), (0x8100, 20)) and session.key.vlan == "10.20"
    role.send_session(CLIENT_MAC, AC_MAC, stack, 5, C.PROTO_LCP, b"\x09\x01\x00\x08abcd")
    (frame,) = role.frames_to_send()
    eth = wire.decode_eth(frame)
    assert eth.vlans == ((0x88A8, 10), (0x8100, 20))
    assert wire.decode_session(eth.payload) == (5, b"\xc0\x21\x09\x01\x00\x08abcd")
    assert role.counters["tx.PADI"] == 1 and role.counters["tx.LCP"] == 1


def test_session_frames_carry_the_pppoe_length_and_code_zero():
    pair, cs, _ = up_pair()
    for f in pair.wire:
        frame = f[1]
        if frame[12:14] == b"\x88\x64":
            assert frame[14] == 0x11 and frame[15] == 0
            assert struct.unpack("!H", frame[18:20])[0] == len(frame) - 20


def test_an_internal_error_is_counted_and_the_role_keeps_serving():
    pair, cs, acs = up_pair()

    def broken(*args):
        raise RuntimeError("bug")

    pair.ac.on_discovery = broken
    pair.ac.receive(wire.encode_eth(wire.EthFrame(AC_MAC, cs.local_mac, C.ETH_DISCOVERY,
                                                  wire.encode_discovery(wire.Discovery(C.PADT, 1)))), pair.now)
    assert pair.ac.counters["internal_errors"] == 1 and pair.ac.counters["bad_frames"] == 0
    pair.ac.receive(b"\0" * 13, pair.now)
    assert pair.ac.counters["bad_frames"] == 1 and pair.ac.counters["internal_errors"] == 1
    assert acs.ppp.is_up


def test_lcp_renegotiation_from_the_peer_brings_the_session_back_up():
    pair, cs, acs = up_pair()
    req = wire.encode_control(wire.Control(C.CONF_REQ, 0x80, wire.encode_options(
        [(C.LCP_MRU, b"\x05\xd4"), (C.LCP_AUTH, b"\xc2\x23\x05"), (C.LCP_MAGIC, b"\x0a\x0b\x0c\x0d")])))
    pair.inject("client", session(cs.local_mac, AC_MAC, cs.session_id, C.PROTO_LCP, req))
    assert cs.ppp.phase == Phase.ESTABLISH and not cs.ppp.is_up
    assert cs.ppp.ipcp.state == State.STARTING


def test_link_up_event_comes_once_per_lcp_opening():
    pair, cs, _ = up_pair()
    assert len(pair.events_of(LinkUp)) == 1 and len(pair.events_of(LinkUp, "ac")) == 1
    assert pair.events_of(LinkUp)[0].mru == 1492


def test_session_close_before_lcp_is_up_and_twice_is_harmless():
    lone = Lone()
    lone.role.close(0.0, "stop")
    sent = lone.advance(10)
    assert only(sent, C.PROTO_LCP, C.TERM_REQ)
    (down,) = lone.of(SessionDown)
    assert down.reason == "stop"
    lone.role.close(lone.now, "again")
    assert lone.advance(10) == [] and len(lone.of(SessionDown)) == 1


def test_closing_a_client_in_discovery_ends_it_without_a_padt():
    from frames import lone_client
    role = lone_client()
    cs = role.add_session(CLIENT_MAC, 0.0)
    drain(role)
    role.close_session(cs, 0.5, "changed my mind")
    assert drain(role) == [] and cs.gone and cs.state == "failed"
    (down,) = of_type(events(role), SessionDown)
    assert down.reason == "changed my mind" and role.all_gone


def test_ipcp_and_ipv6cp_policies_reject_instead_of_nak_after_max_failure():
    ipcp = IpcpPolicy(local_ip="10.0.0.1", assign_ip="10.0.0.7", request_dns=False)
    assert ipcp.check_request([(C.IPCP_ADDRESS, ZERO)], True) == (C.CONF_REJ, [(C.IPCP_ADDRESS, ip("10.0.0.7"))])
    # a Reject names only options the peer sent: the hint for the one it left out is dropped
    assert ipcp.check_request([], True) == (C.CONF_ACK, [])
    assert ipcp.check_request([], False) == (C.CONF_NAK, [(C.IPCP_ADDRESS, ip("10.0.0.7"))])
    v6 = Ipv6cpPolicy(__import__("random").Random(1))
    code, reply = v6.check_request([(C.IPV6CP_IFACE_ID, b"\0" * 8)], True)
    assert code == C.CONF_REJ and len(reply) == 1


def test_ipv6cp_rejects_other_options_of_identifier_size():
    v6 = Ipv6cpPolicy(__import__("random").Random(1))
    assert v6.check_request([(2, b"\x01" * 8)], False) == (C.CONF_REJ, [(2, b"\x01" * 8)])


def test_ipv6cp_suggestion_never_repeats_our_own_identifier():
    class Scripted:
        def __init__(self, values):
            self.values = iter(values)

        def randbytes(self, n):
            return next(self.values)

    v6 = Ipv6cpPolicy(Scripted([b"\x01" * 8, b"\x01" * 8, b"\x06" * 8]))
    assert v6.check_request([(C.IPV6CP_IFACE_ID, b"\0" * 8)], False) == (C.CONF_NAK, [(C.IPV6CP_IFACE_ID, b"\x06" * 8)])


def test_client_takes_only_the_options_it_asked_for_from_a_nak():
    policy = IpcpPolicy()
    policy.handle_nak([(C.IPCP_NBNS1, ip("10.0.0.9")), (C.IPCP_ADDRESS, ip("10.0.0.5"))])
    assert [o for o, _ in policy.build_request()] == [C.IPCP_ADDRESS, C.IPCP_DNS1, C.IPCP_DNS2]
    assert policy.address == "10.0.0.5"


def test_client_with_a_configured_address_still_takes_naked_dns():
    policy = IpcpPolicy(local_ip="192.0.2.9")
    policy.handle_nak([(C.IPCP_ADDRESS, ip("10.0.0.5")), (C.IPCP_DNS1, ip("1.1.1.1"))])
    assert policy.address == "192.0.2.9" and policy.dns == ["1.1.1.1"]


def test_retransmissions_count_every_protocol():
    from pppemu.ppp.session import retransmissions
    lone = Lone(ipv6=True, restart_timer=1.0)
    (again,) = only(lone.advance(1.5), C.PROTO_LCP, C.CONF_REQ)
    lone.ack(again)
    lone.lcp(C.CONF_REQ, 1, b"")
    assert lone.ppp.phase == Phase.NETWORK
    lone.advance(2.5)
    ppp = lone.ppp
    assert (ppp.lcp.retransmits, ppp.ipcp.retransmits, ppp.ipv6cp.retransmits) == (1, 2, 2)
    assert retransmissions(ppp) == 5
