"""The codec against scapy as an independent oracle, and against hostile bytes."""
import contextlib
import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scapy.layers.l2 import Dot1Q, Ether
from scapy.layers.ppp import (
    PPP,
    PPP_CHAP,
    PPP_IPCP,
    PPP_CHAP_ChallengeResponse,
    PPP_IPCP_Option_DNS1,
    PPP_IPCP_Option_IPAddress,
    PPP_LCP_Auth_Protocol_Option,
    PPP_LCP_Configure,
    PPP_LCP_Echo,
    PPP_LCP_Magic_Number_Option,
    PPP_LCP_MRU_Option,
    PPP_PAP_Request,
    PPPoE,
    PPPoED,
    PPPoETag,
)

from pppemu import wire
from pppemu.wire import const as C

macs = st.binary(min_size=6, max_size=6)
tag_values = st.binary(max_size=40)
tags = st.lists(st.tuples(st.sampled_from([0x0101, 0x0102, 0x0103, 0x0104, 0x0105, 0x0110, 0x0120,
                                           0x0201, 0x0202, 0x0203]), tag_values), max_size=6)


@settings(max_examples=200, deadline=None)
@given(dst=macs, src=macs, code=st.sampled_from([C.PADI, C.PADO, C.PADR, C.PADS, C.PADT]),
       sid=st.integers(0, 0xFFFF), tag_list=tags)
def test_discovery_we_encode_scapy_dissects(dst, src, code, sid, tag_list):
    frame = wire.encode_eth(wire.EthFrame(dst, src, C.ETH_DISCOVERY,
                                          wire.encode_discovery(wire.Discovery(code, sid, tag_list))))
    pkt = Ether(frame)
    assert pkt.dst == wire.mac_str(dst) and pkt.src == wire.mac_str(src)
    d = pkt[PPPoED]
    assert (d.version, d.type, d.code, d.sessionid) == (1, 1, code, sid)
    got = [(t.tag_type, t.tag_value) for t in d.tag_list] if d.payload else []
    assert got == tag_list


@settings(max_examples=200, deadline=None)
@given(code=st.sampled_from([C.PADI, C.PADO, C.PADR, C.PADS, C.PADT]), sid=st.integers(0, 0xFFFF),
       tag_list=tags)
def test_discovery_scapy_builds_we_decode(code, sid, tag_list):
    layers = PPPoED(code=code, sessionid=sid)
    if tag_list:
        from scapy.layers.ppp import PPPoED_Tags
        layers = layers / PPPoED_Tags(tag_list=[PPPoETag(tag_type=t, tag_value=v) for t, v in tag_list])
    raw = bytes(Ether(dst="02:00:00:00:00:02", src="02:00:00:00:00:01") / layers)
    eth = wire.decode_eth(raw)
    assert eth.ethertype == C.ETH_DISCOVERY
    d = wire.decode_discovery(eth.payload)
    assert (d.code, d.session_id, d.tags) == (code, sid, tag_list)


def test_lcp_configure_request_both_ways():
    options = [(C.LCP_MRU, struct.pack("!H", 1492)), (C.LCP_AUTH, struct.pack("!HB", C.PROTO_CHAP, 5)),
               (C.LCP_MAGIC, struct.pack("!I", 0xDEADBEEF))]
    info = wire.encode_control(wire.Control(C.CONF_REQ, 9, wire.encode_options(options)))
    frame = wire.encode_eth(wire.EthFrame(b"\x02" * 6, b"\x04" * 6, C.ETH_SESSION,
                                          wire.encode_session(0x1234, C.PROTO_LCP, info)))
    pkt = Ether(frame)
    assert pkt[PPPoE].sessionid == 0x1234 and pkt[PPP].proto == C.PROTO_LCP
    lcp = pkt[PPP_LCP_Configure]
    assert (lcp.code, lcp.id) == (1, 9)
    assert lcp.options[0].max_recv_unit == 1492
    assert lcp.options[1].auth_protocol == C.PROTO_CHAP and lcp.options[1].algorithm == 5
    assert lcp.options[2].magic_number == 0xDEADBEEF

    theirs = bytes(Ether() / PPPoE(sessionid=7) / PPP() / PPP_LCP_Configure(id=4, options=[
        PPP_LCP_MRU_Option(max_recv_unit=1500), PPP_LCP_Auth_Protocol_Option(auth_protocol=0xC023),
        PPP_LCP_Magic_Number_Option(magic_number=77)]))
    eth = wire.decode_eth(theirs)
    sid, ppp = wire.decode_session(eth.payload)
    proto, info = wire.decode_ppp(ppp)
    ctl = wire.decode_control(info)
    assert (sid, proto, ctl.code, ctl.ident) == (7, C.PROTO_LCP, C.CONF_REQ, 4)
    assert wire.decode_options(ctl.data) == [(1, b"\x05\xdc"), (3, b"\xc0\x23"), (5, struct.pack("!I", 77))]


def test_lcp_echo_and_ipcp_from_scapy():
    echo = bytes(PPP_LCP_Echo(code=9, id=3, magic_number=0x01020304, data=b"hi"))
    ctl = wire.decode_control(echo)
    assert (ctl.code, ctl.ident, ctl.data) == (9, 3, b"\x01\x02\x03\x04hi")
    ipcp = bytes(PPP_IPCP(code=1, id=2, options=[PPP_IPCP_Option_IPAddress(data="0.0.0.0"),
                                                 PPP_IPCP_Option_DNS1(data="0.0.0.0")]))
    ctl = wire.decode_control(ipcp)
    assert wire.decode_options(ctl.data) == [(3, b"\0" * 4), (129, b"\0" * 4)]


@settings(max_examples=100, deadline=None)
@given(ident=st.integers(0, 255), value=st.binary(min_size=1, max_size=64), name=st.binary(max_size=40))
def test_chap_both_ways(ident, value, name):
    ours = wire.encode_chap(wire.Chap(C.CHAP_RESPONSE, ident, value, name))
    pkt = PPP_CHAP(ours)
    assert pkt.haslayer(PPP_CHAP_ChallengeResponse)
    assert (pkt.code, pkt.id, pkt.value, pkt.optional_name) == (2, ident, value, name)
    theirs = bytes(PPP_CHAP_ChallengeResponse(code=1, id=ident, value=value, optional_name=name))
    assert wire.decode_chap(theirs) == wire.Chap(1, ident, value, name)


@settings(max_examples=100, deadline=None)
@given(ident=st.integers(0, 255), user=st.binary(max_size=60), password=st.binary(max_size=60))
def test_pap_both_ways(ident, user, password):
    ours = wire.encode_pap(wire.Pap(C.PAP_REQUEST, ident, peer_id=user, password=password))
    pkt = PPP_PAP_Request(ours)
    assert (pkt.id, pkt.username, pkt.password) == (ident, user, password)
    theirs = bytes(PPP_PAP_Request(id=ident, username=user, password=password))
    got = wire.decode_pap(theirs)
    assert (got.ident, got.peer_id, got.password) == (ident, user, password)


def test_vlan_and_qinq_tags():
    inner = bytes(Ether(dst="02:00:00:00:00:02", src="02:00:00:00:00:01", type=0x88A8) /
                  Dot1Q(vlan=100, type=0x8100) / Dot1Q(vlan=200) / PPPoED(code=C.PADI))
    eth = wire.decode_eth(inner)
    assert [tci & 0xFFF for _, tci in eth.vlans] == [100, 200] and eth.ethertype == C.ETH_DISCOVERY
    assert wire.encode_eth(eth) == inner
    ours = wire.encode_eth(wire.EthFrame(b"\x02" * 6, b"\x04" * 6, C.ETH_DISCOVERY, b"\x11\x09\0\0\0\0",
                                         ((0x8100, 42),)))
    assert Ether(ours)[Dot1Q].vlan == 42 and Ether(ours).haslayer(PPPoED)


def test_pfc_compressed_protocol_is_understood():
    assert wire.decode_ppp(b"\x21\x45\x00") == (C.PROTO_IPV4, b"\x45\x00")


@pytest.mark.parametrize("decoder", [wire.decode_eth, wire.decode_discovery, wire.decode_session,
                                     wire.decode_ppp, wire.decode_control, wire.decode_options,
                                     wire.decode_chap, wire.decode_pap])
@settings(max_examples=300, deadline=None)
@given(data=st.binary(max_size=80))
def test_random_bytes_raise_only_decode_error(decoder, data):
    with contextlib.suppress(wire.DecodeError):
        decoder(data)


@pytest.mark.parametrize("bad", [
    b"\x11\x09\x00\x00\x00\x10",                 # length claims 16 bytes, none present
    b"\x11\x09\x00\x00\x00\x05\x01\x01\x00\x09",  # tag overruns
    b"\x21\x09\x00\x00\x00\x00",                 # wrong version/type
])
def test_lying_discovery_lengths(bad):
    with pytest.raises(wire.DecodeError):
        wire.decode_discovery(bad)


def test_lying_control_lengths():
    with pytest.raises(wire.DecodeError):
        wire.decode_control(b"\x01\x01\x00\x10\x01\x04")
    with pytest.raises(wire.DecodeError):
        wire.decode_options(b"\x01\x00")  # zero-length option
    with pytest.raises(wire.DecodeError):
        wire.decode_options(b"\x05\x06\x00")  # option overruns


@settings(max_examples=200, deadline=None)
@given(frame=st.binary(max_size=120))
def test_roles_survive_any_frame(frame):
    import random

    from pppemu.pppoe.ac import AcRole
    from pppemu.pppoe.client import ClientRole
    for role in (AcRole(rng=random.Random(1)), ClientRole(rng=random.Random(1))):
        role.receive(frame, 0.0)
        for eth_type in (b"\x88\x63", b"\x88\x64"):
            role.receive(b"\x02" * 6 + b"\x04" * 6 + eth_type + frame, 0.0)
        # Role.receive turns a bug into a counted, logged drop; here that must never happen.
        assert role.counters["internal_errors"] == 0


control_packets = st.builds(
    lambda code, ident, options, tail: wire.encode_control(wire.Control(code, ident, wire.encode_options(options)
                                                                        + tail)),
    st.integers(0, 15), st.integers(0, 255),
    st.lists(st.tuples(st.integers(0, 255), st.binary(max_size=10)), max_size=4), st.binary(max_size=6))
auth_packets = st.builds(lambda code, ident, body: bytes([code, ident]) + (4 + len(body)).to_bytes(2, "big") + body,
                         st.integers(0, 5), st.integers(0, 255), st.binary(max_size=30))


@settings(max_examples=200, deadline=None)
@given(protocol=st.sampled_from([C.PROTO_LCP, C.PROTO_PAP, C.PROTO_CHAP, C.PROTO_IPCP, C.PROTO_IPV6CP,
                                 C.PROTO_IPV4, C.PROTO_IPV6, 0x8281]),
       info=st.one_of(st.binary(max_size=60), control_packets, auth_packets),
       side=st.sampled_from(["client", "ac"]), lcp_open=st.booleans())
def test_a_session_survives_any_ppp_packet(protocol, info, side, lcp_open):
    from frames import Lone
    lone = Lone(side, ipv6=True)
    if lcp_open:
        lone.open_lcp()
    lone.feed(protocol, info)
    lone.advance(60)
    assert lone.role.counters["internal_errors"] == 0


@settings(max_examples=200, deadline=None)
@given(code=st.sampled_from([C.PADI, C.PADO, C.PADR, C.PADS, C.PADT, 0x00, 0xFF]), sid=st.integers(0, 0xFFFF),
       tag_list=tags)
def test_discovery_roles_survive_any_tags(code, sid, tag_list):
    import random

    from frames import AC_MAC, CLIENT_MAC, discovery, lone_client

    from pppemu.pppoe.ac import AcConfig, AcRole
    client = lone_client()
    client.add_session(CLIENT_MAC, 0.0)
    (padi,) = client.frames_to_send()
    host_uniq = wire.decode_discovery(wire.decode_eth(padi).payload).tag(C.TAG_HOST_UNIQ)
    client.receive(discovery(CLIENT_MAC, AC_MAC, code, sid, [(C.TAG_HOST_UNIQ, host_uniq)] + tag_list), 0.1)
    client.tick(100.0)
    ac = AcRole(AcConfig(mac=AC_MAC), rng=random.Random(1))
    cookie = (C.TAG_AC_COOKIE, ac.cookies.make(CLIENT_MAC, None, 0.0))
    ac.receive(discovery(AC_MAC, CLIENT_MAC, code, sid, tag_list + [cookie]), 0.1)
    ac.tick(100.0)
    assert client.counters["internal_errors"] == 0 and ac.counters["internal_errors"] == 0


@settings(max_examples=300, deadline=None)
@given(body=st.binary(max_size=80), ethertype=st.sampled_from([b"\x88\x63", b"\x88\x64", b"\x08\x00"]))
def test_describe_never_raises(body, ethertype):
    from pppemu.wire.describe import describe_frame
    assert isinstance(describe_frame(b"\x02" * 6 + b"\x04" * 6 + ethertype + body), str)


def test_describe_a_configure_request():
    from pppemu.wire.describe import describe_frame
    opts = wire.encode_options([(C.LCP_MRU, b"\x05\xd4"), (C.LCP_AUTH, b"\xc2\x23\x05")])
    frame = wire.encode_eth(wire.EthFrame(b"\x02" * 6, b"\x04" * 6, C.ETH_SESSION, wire.encode_session(
        0x10, C.PROTO_LCP, wire.encode_control(wire.Control(C.CONF_REQ, 3, opts)))))
    assert describe_frame(frame).endswith("sid=0x0010 LCP Configure-Request id=3 MRU=1492 Auth=CHAP/5")


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_mutated_frames_of_a_real_session_cause_no_internal_error(data):
    """Flip, cut and extend the bytes of a real transcript; both roles must only drop or answer."""
    from pppemu.testing.pair import Pair
    pair = Pair()
    pair.judged = False  # random mutations are not a protocol exchange to judge; robustness is the point
    pair.add(1)
    pair.advance(2)
    frames = [f for _, f in pair.wire]
    for _ in range(5):
        frame = bytearray(data.draw(st.sampled_from(frames)))
        for _ in range(data.draw(st.integers(1, 4))):
            at = data.draw(st.integers(14, len(frame) - 1))
            frame[at] = data.draw(st.integers(0, 255))
        frame = bytes(frame[:data.draw(st.integers(14, len(frame)))]) + data.draw(st.binary(max_size=8))
        pair.inject("client", frame)
        pair.inject("ac", frame)
        pair.advance(1)
    assert pair.client.counters["internal_errors"] == 0 and pair.ac.counters["internal_errors"] == 0
