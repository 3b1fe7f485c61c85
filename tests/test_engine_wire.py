"""Codec details the scapy round trips do not reach: one-line frame descriptions for -v logs,
PAP/CHAP length edges (RFC 1334 section 2.2, RFC 1994 section 4), MAC text, PPP framing."""
import struct

import pytest
from frames import conf, control, discovery, session

from pppemu import wire
from pppemu.ppp.lcp import accepted_auth, auth_name
from pppemu.wire import const as C
from pppemu.wire.describe import describe_frame

A = b"\x02\xac\x00\x00\x00\x01"
B = b"\x02\x00\x00\x00\x00\x01"
HEAD = "02:00:00:00:00:01 > 02:ac:00:00:00:01"


def s(protocol, info, sid=0x10):
    return session(A, B, sid, protocol, info)


DESCRIBED = [
    (discovery(b"\xff" * 6, B, C.PADI, 0, [(0x101, b""), (0x103, b"\x01\x02"), (0x120, b"\x05\xdc"), (0x120, b"\x05"),
                                         (0x102, b"bras"), (0x201, b"bad"), (0x104, b"\xab"), (0x9999, b"\xab")]),
     "02:00:00:00:00:01 > ff:ff:ff:ff:ff:ff PADI sid=0x0000 Service-Name='' Host-Uniq=0102 PPP-Max-Payload=1500 "
     "PPP-Max-Payload=05 AC-Name='bras' Service-Name-Error='bad' AC-Cookie=ab 0x9999=ab"),
    (discovery(A, B, C.PADS, 0x1234, [(0x202, b"full"), (0x203, b"\xff"), (0x110, b"r"), (0x105, b"v")]),
     f"{HEAD} PADS sid=0x1234 AC-System-Error='full' Generic-Error='\ufffd' Relay-Session-Id=72 Vendor-Specific=76"),
    (discovery(A, B, 0x33, 7, []), f"{HEAD} code-0x33 sid=0x0007"),
    (s(C.PROTO_LCP, conf(1, 3, [(1, b"\x05\xd4"), (3, b"\xc0\x23"), (3, b"\xc2\x23\x05"), (5, b"\x01\x02\x03\x04"),
                                (7, b""), (8, b""), (4, b"\xc0\x25"), (2, b"\0\0\0\0"), (1, b"\x05"), (5, b"\x01"),
                                (3, b"\xc0"), (3, b"\x12\x34"), (99, b"")])),
     f"{HEAD} sid=0x0010 LCP Configure-Request id=3 MRU=1492 Auth=PAP Auth=CHAP/5 Magic=0x01020304 PFC ACFC "
     "Quality=c025 ACCM=00000000 MRU=05 Magic=01 Auth=c0 Auth=0x1234 99"),
    (s(C.PROTO_LCP, conf(2, 1, [])), f"{HEAD} sid=0x0010 LCP Configure-Ack id=1"),
    (s(C.PROTO_LCP, control(9, 4, b"\x01\x02\x03\x04xx")), f"{HEAD} sid=0x0010 LCP Echo-Request id=4 magic=0x01020304"),
    (s(C.PROTO_LCP, control(10, 4, b"\x01\x02\x03")), f"{HEAD} sid=0x0010 LCP Echo-Reply id=4"),
    (s(C.PROTO_LCP, control(10, 4, b"\x01\x02\x03\x04")), f"{HEAD} sid=0x0010 LCP Echo-Reply id=4 magic=0x01020304"),
    (s(C.PROTO_LCP, control(5, 4, b"bye")), f"{HEAD} sid=0x0010 LCP Terminate-Request id=4 'bye'"),
    (s(C.PROTO_LCP, control(6, 4, b"ok")), f"{HEAD} sid=0x0010 LCP Terminate-Ack id=4 'ok'"),
    (s(C.PROTO_LCP, control(6, 4, b"")), f"{HEAD} sid=0x0010 LCP Terminate-Ack id=4"),
    (s(C.PROTO_LCP, control(8, 4, b"\x80\x57\x01")), f"{HEAD} sid=0x0010 LCP Protocol-Reject id=4 rejected=0x8057"),
    (s(C.PROTO_LCP, control(8, 4, b"\x80")), f"{HEAD} sid=0x0010 LCP Protocol-Reject id=4"),
    (s(C.PROTO_LCP, control(7, 4, b"\x01\x02")), f"{HEAD} sid=0x0010 LCP Code-Reject id=4"),
    (s(C.PROTO_LCP, control(40, 4, b"")), f"{HEAD} sid=0x0010 LCP code-40 id=4"),
    (s(C.PROTO_LCP, conf(4, 4, [(7, b"")])), f"{HEAD} sid=0x0010 LCP Configure-Reject id=4 PFC"),
    (s(C.PROTO_IPCP, conf(3, 2, [(3, b"\x0a\0\0\x01"), (129, b"\x01\x01\x01\x01"), (131, b"\x08\x08\x08\x08"),
                                 (130, b"\x01\x02\x03\x04"), (132, b"\x01\x02\x03\x05"), (1, b"\x01\x02\x03\x06"),
                                 (2, b"\x00\x2d\x0f\x01\x00\x00"), (77, b"\x01\x02\x03\x04")])),
     f"{HEAD} sid=0x0010 IPCP Configure-Nak id=2 IP-Address=10.0.0.1 DNS1=1.1.1.1 DNS2=8.8.8.8 NBNS1=1.2.3.4 "
     "NBNS2=1.2.3.5 IP-Addresses=1.2.3.6 IP-Compression=002d0f010000 77=1.2.3.4"),
    (s(C.PROTO_IPCP, control(5, 2, b"")), f"{HEAD} sid=0x0010 IPCP Terminate-Request id=2"),
    (s(C.PROTO_IPV6CP, conf(1, 2, [(1, b"\x01" * 8)])),
     f"{HEAD} sid=0x0010 IPv6CP Configure-Request id=2 Interface-Id=0101010101010101"),
    (s(C.PROTO_CHAP, bytes([1, 5, 0, 11, 2]) + b"ab" + b"bras"), f"{HEAD} sid=0x0010 CHAP Challenge id=5 name='bras'"),
    (s(C.PROTO_CHAP, bytes([2, 5, 0, 9, 1]) + b"a" + b"bob"), f"{HEAD} sid=0x0010 CHAP Response id=5 name='bob'"),
    (s(C.PROTO_CHAP, bytes([3, 5, 0, 6]) + b"ok"), f"{HEAD} sid=0x0010 CHAP Success id=5 'ok'"),
    (s(C.PROTO_CHAP, bytes([4, 6, 0, 4])), f"{HEAD} sid=0x0010 CHAP Failure id=6 ''"),
    (s(C.PROTO_CHAP, bytes([9, 5, 0, 4])), f"{HEAD} sid=0x0010 CHAP 9 id=5 ''"),
    (s(C.PROTO_PAP, wire.encode_pap(wire.Pap(1, 9, peer_id=b"alice", password=b"pw"))),
     f"{HEAD} sid=0x0010 PAP Authenticate-Request id=9 peer-id='alice'"),
    (s(C.PROTO_PAP, wire.encode_pap(wire.Pap(2, 9, message=b"ok"))),
     f"{HEAD} sid=0x0010 PAP Authenticate-Ack id=9 'ok'"),
    (s(C.PROTO_PAP, wire.encode_pap(wire.Pap(3, 9, message=b"no"))),
     f"{HEAD} sid=0x0010 PAP Authenticate-Nak id=9 'no'"),
    (s(C.PROTO_PAP, wire.encode_pap(wire.Pap(7, 9))), f"{HEAD} sid=0x0010 PAP 7 id=9 ''"),
    (s(C.PROTO_IPV4, b"\x45" + b"\0" * 19), f"{HEAD} sid=0x0010 IPv4 20 bytes"),
    (s(C.PROTO_IPV6, b"\x60" + b"\0" * 39, sid=0xBEEF), f"{HEAD} sid=0xbeef IPv6 40 bytes"),
    (s(0x8281, b"abc"), f"{HEAD} sid=0x0010 0x8281 3 bytes"),
    (wire.encode_eth(wire.EthFrame(A, B, 0x0800, b"x")), f"{HEAD} ethertype 0x0800"),
    (s(C.PROTO_LCP, b"\x01\x01\x00\x09"), "malformed frame (control packet length 9 does not fit the 4 bytes present)"),
    (b"\x00" * 5, "malformed frame (ethernet frame too short (5 bytes))"),
    (s(C.PROTO_CHAP, bytes([2, 5, 0, 10, 1]) + b"abob"),
     "malformed frame (CHAP length 10 does not fit the 9 bytes present)"),
    (s(C.PROTO_PAP, bytes([2, 5, 0, 10, 1]) + b"a"),
     "malformed frame (PAP length 10 does not fit the 6 bytes present)"),
]


@pytest.mark.parametrize("frame, text", DESCRIBED)
def test_describe_frame(frame, text):
    assert describe_frame(frame) == text


# ---- PAP and CHAP lengths

def test_pap_request_field_lengths_are_checked():
    ok = bytes([1, 7, 0, 4 + 1 + 1 + 1 + 2]) + b"\x01a\x02pw"
    assert wire.decode_pap(ok) == wire.Pap(1, 7, peer_id=b"a", password=b"pw")
    empty = bytes([1, 7, 0, 6]) + b"\x00\x00"
    assert wire.decode_pap(empty) == wire.Pap(1, 7, peer_id=b"", password=b"")
    for bad in (bytes([1, 7, 0, 4]),                          # no Peer-ID-Length at all
                bytes([1, 7, 0, 6]) + b"\x01a",               # Peer-ID fills the packet: no Passwd-Length
                bytes([1, 7, 0, 7]) + b"\x01a\x02p",          # password overruns
                bytes([1, 7, 0, 5]) + b"\x05"):               # Peer-ID overruns
        with pytest.raises(wire.DecodeError):
            wire.decode_pap(bad)


def test_pap_ack_and_nak_messages():
    assert wire.decode_pap(bytes([2, 3, 0, 7]) + b"\x02ok") == wire.Pap(2, 3, message=b"ok")
    assert wire.decode_pap(bytes([3, 3, 0, 5]) + b"\x00") == wire.Pap(3, 3, message=b"")
    assert wire.decode_pap(bytes([2, 3, 0, 4])) == wire.Pap(2, 3)  # Msg-Length omitted by lenient peers
    assert wire.decode_pap(bytes([2, 3, 0, 7]) + b"\x02okXX") == wire.Pap(2, 3, message=b"ok")
    with pytest.raises(wire.DecodeError):
        wire.decode_pap(bytes([2, 3, 0, 6]) + b"\x02o")
    assert wire.encode_pap(wire.Pap(2, 3, message=b"ok")) == bytes([2, 3, 0, 7]) + b"\x02ok"
    assert wire.encode_pap(wire.Pap(1, 3, peer_id=b"u", password=b"")) == bytes([1, 3, 0, 7]) + b"\x01u\x00"


@pytest.mark.parametrize("bad", [b"", b"\x01\x02\x00", bytes([2, 3, 0, 3]), bytes([2, 3, 0, 9]) + b"ab"])
def test_auth_headers_that_lie_are_refused(bad):
    for decode in (wire.decode_pap, wire.decode_chap):
        with pytest.raises(wire.DecodeError):
            decode(bad)


def test_chap_value_size_is_checked():
    assert wire.decode_chap(bytes([1, 1, 0, 8, 2]) + b"ab" + b"n") == wire.Chap(1, 1, b"ab", b"n")
    assert wire.decode_chap(bytes([2, 1, 0, 7, 2]) + b"ab") == wire.Chap(2, 1, b"ab", b"")
    for bad in (bytes([1, 1, 0, 4]), bytes([2, 1, 0, 7, 3]) + b"ab"):
        with pytest.raises(wire.DecodeError):
            wire.decode_chap(bad)
    assert wire.decode_chap(bytes([3, 1, 0, 6]) + b"ok" + b"pad") == wire.Chap(3, 1, message=b"ok")
    assert wire.encode_chap(wire.Chap(4, 2, message=b"no")) == bytes([4, 2, 0, 6]) + b"no"
    assert wire.encode_chap(wire.Chap(1, 2, b"v", b"n")) == bytes([1, 2, 0, 7, 1]) + b"vn"


# ---- Ethernet, PPPoE and PPP framing

def test_mac_text_both_ways():
    assert wire.mac_str(b"\x02\x0a\xff\x00\x10\x01") == "02:0a:ff:00:10:01"
    assert wire.mac_bytes("02:0a:ff:00:10:01") == b"\x02\x0a\xff\x00\x10\x01"
    assert wire.mac_bytes("02-0A-FF-00-10-01") == b"\x02\x0a\xff\x00\x10\x01"
    for bad in ("02:0a:ff:00:10", "02:0a:ff:00:10:01:02", "02:0a:ff:00:10:zz", ""):
        with pytest.raises(ValueError, match="not a MAC address"):
            wire.mac_bytes(bad)


def test_vlan_tags_are_peeled_outermost_first_and_a_truncated_tag_is_refused():
    frame = A + B + b"\x88\xa8\x00\x0a\x81\x00\x00\x14\x88\x63" + b"\x11\x09\x00\x00\x00\x00"
    eth = wire.decode_eth(frame)
    assert eth.vlans == ((0x88A8, 10), (0x8100, 20)) and eth.ethertype == C.ETH_DISCOVERY
    assert eth.payload == b"\x11\x09\x00\x00\x00\x00"
    assert wire.decode_eth(A + B + b"\x91\x00\x00\x05\x88\x64").vlans == ((0x9100, 5),)
    with pytest.raises(wire.DecodeError):
        wire.decode_eth(A + B + b"\x81\x00\x00\x14\x88")
    assert wire.decode_eth(A + B + b"\x88\x63").payload == b""


def test_ppp_protocol_field():
    assert wire.encode_ppp(C.PROTO_LCP, b"xy") == b"\xc0\x21xy"
    assert wire.decode_ppp(b"\xc0\x21xy") == (C.PROTO_LCP, b"xy")
    assert wire.decode_ppp(b"\x57") == (C.PROTO_IPV6, b"")
    for bad in (b"", b"\x00", b"\xc0\x20xy"):
        with pytest.raises(wire.DecodeError):
            wire.decode_ppp(bad)


def test_pppoe_session_header():
    assert wire.encode_session(0xABCD, C.PROTO_IPCP, b"q") == b"\x11\x00\xab\xcd\x00\x03\x80\x21q"
    assert wire.decode_session(b"\x11\x00\xab\xcd\x00\x03\x80\x21qPAD") == (0xABCD, b"\x80\x21q")
    for bad in (b"\x11\x00\xab\xcd\x00", b"\x12\x00\x00\x01\x00\x00", b"\x11\x01\x00\x01\x00\x00",
                b"\x11\x00\x00\x01\x00\x05\x00"):
        with pytest.raises(wire.DecodeError):
            wire.decode_session(bad)


def test_pppoe_discovery_end_of_list_and_exact_lengths():
    pkt = wire.decode_discovery(b"\x11\x07\x00\x00\x00\x0c\x01\x01\x00\x00\x00\x00\x00\x00\x01\x02\x00\x00")
    assert pkt.tags == [(0x0101, b"")]  # End-Of-List ends the list
    pkt = wire.decode_discovery(b"\x11\x07\x00\x00\x00\x05\x01\x02\x00\x01xPAD")
    assert pkt.tags == [(0x0102, b"x")] and pkt.name == "PADO"
    with pytest.raises(wire.DecodeError):
        wire.decode_discovery(b"\x11\x07\x00\x00\x00\x03\x01\x02\x00")
    with pytest.raises(wire.DecodeError):
        wire.decode_discovery(b"\x11\x07\x00\x00\x00")
    assert wire.encode_discovery(wire.Discovery(C.PADT, 0x0102, [(0x0203, b"e")])) == \
        b"\x11\xa7\x01\x02\x00\x05\x02\x03\x00\x01e"
    pkt = wire.Discovery(C.PADS, 1, [(0x0101, b"a"), (0x0203, b"x"), (0x0202, b"y"), (0x0101, b"b")])
    assert pkt.tag(0x0101) == b"a" and pkt.all_tags(0x0101) == [b"a", b"b"] and pkt.error() == (0x0203, b"x")
    assert pkt.tag(0x0104) is None and wire.Discovery(C.PADS).error() is None


def test_control_packet_and_options():
    assert wire.encode_control(wire.Control(9, 2, b"abcd")) == b"\x09\x02\x00\x08abcd"
    assert wire.decode_control(b"\x09\x02\x00\x08abcdPAD") == wire.Control(9, 2, b"abcd")
    assert wire.decode_control(b"\x09\x02\x00\x04") == wire.Control(9, 2, b"")
    assert wire.Control(12, 1).name == "Identification" and wire.Control(77, 1).name == "code-77"
    with pytest.raises(wire.DecodeError):
        wire.decode_control(b"\x09\x02\x00\x03abc")
    assert wire.encode_options([(1, b"\x05\xd4"), (7, b"")]) == b"\x01\x04\x05\xd4\x07\x02"
    assert wire.decode_options(b"\x01\x04\x05\xd4\x07\x02") == [(1, b"\x05\xd4"), (7, b"")]
    with pytest.raises(wire.DecodeError):
        wire.decode_options(b"\x01")
    with pytest.raises(wire.DecodeError):
        wire.decode_options(b"\x01\x01")


def test_authentication_names():
    assert accepted_auth("chap") == ("chap",) and accepted_auth("pap") == ("pap",)
    assert accepted_auth("any") == ("chap", "pap")
    assert auth_name(b"\xc2\x23\x05") == "chap" and auth_name(b"\xc0\x23") == "pap"
    assert auth_name(b"\xc2\x23\x81") is None and auth_name(b"\xc0\x23\x00") is None


def test_role_frame_layout_matches_the_codec():
    from pppemu.pppoe.endpoint import Endpoint
    role = Endpoint()
    tags = wire.encode_tags(((0x8100, 3),))
    role.send_session(A, B, tags, 0x22, C.PROTO_CHAP, b"\x01\x01\x00\x04")
    role.send_session(A, B, tags, 0x22, 0x1234 | 1, b"")
    role.send_discovery(A, B, wire.Discovery(C.PADO, 0, [(0x0102, b"x")]), tags)
    frames = role.frames_to_send()
    assert frames[0] == wire.encode_eth(wire.EthFrame(B, A, C.ETH_SESSION, wire.encode_session(
        0x22, C.PROTO_CHAP, b"\x01\x01\x00\x04"), ((0x8100, 3),)))
    assert frames[2] == wire.encode_eth(wire.EthFrame(B, A, C.ETH_DISCOVERY, wire.encode_discovery(
        wire.Discovery(C.PADO, 0, [(0x0102, b"x")])), ((0x8100, 3),)))
    assert dict(role.counters) == {"tx.CHAP": 1, "tx.other": 1, "tx.PADO": 1}
    assert role.frames_to_send() == [] and role.next_event() is None
    assert struct.unpack("!H", frames[1][22:24])[0] == 2
