"""The IPv6, UDP/IPv6 and ICMPv6 codec against scapy as an independent oracle, and against hostile bytes."""
import contextlib
import ipaddress

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scapy.layers.inet import UDP
from scapy.layers.inet6 import (
    ICMPv6EchoReply,
    ICMPv6EchoRequest,
    ICMPv6ND_RA,
    ICMPv6ND_RS,
    ICMPv6NDOptMTU,
    ICMPv6NDOptPrefixInfo,
    ICMPv6NDOptRDNSS,
    ICMPv6NDOptSrcLLAddr,
    IPv6,
)
from scapy.packet import Raw

from pppemu.wire import icmpv6 as I6
from pppemu.wire import ipv6 as V6
from pppemu.wire.errors import DecodeError

addrs = st.binary(min_size=16, max_size=16)
u8, u16, u32 = st.integers(0, 0xFF), st.integers(0, 0xFFFF), st.integers(0, 0xFFFFFFFF)
A = V6.link_local(b"\x02\x00\x00\xff\xfe\x00\x00\x01")
B = V6.link_local(b"\x02\xac\x00\xff\xfe\x00\x00\x01")
GLOBAL = ipaddress.IPv6Address("2001:db8:1::1").packed


def text(addr: bytes) -> str:
    return str(ipaddress.IPv6Address(addr))


def scapy_checksum(pkt, layer) -> int:
    """The checksum scapy computes itself for this layer of an already-built packet."""
    field = "chksum" if layer is UDP else "cksum"
    delattr(pkt[layer], field)
    return getattr(IPv6(bytes(pkt))[layer], field)


def decode_all(raw: bytes) -> object:
    """Every decoder that applies, the way a receiver chains them."""
    p = V6.decode_ipv6(raw)
    if p.next_header == V6.NH_UDP:
        return V6.decode_udp6(p)
    kind, _, body = I6.decode_icmpv6(p)
    if kind == I6.ROUTER_ADVERT:
        return I6.decode_router_advert(body)
    if kind == I6.ROUTER_SOLICIT:
        return I6.decode_router_solicit(body)
    return I6.echo_reply_for(raw, {p.dst}), I6.parse_echo_reply(raw)


# --- IPv6 fixed header ---

@settings(max_examples=200, deadline=None)
@given(src=addrs, dst=addrs, nh=u8, hlim=u8, tc=u8, fl=st.integers(0, 0xFFFFF), payload=st.binary(max_size=64))
def test_ipv6_we_encode_scapy_dissects_and_back(src, dst, nh, hlim, tc, fl, payload):
    ours = V6.encode_ipv6(V6.Ipv6Packet(src, dst, nh, hlim, payload, tc, fl))
    pkt = IPv6(ours[:40])  # the fixed header only: scapy fails on some extension headers' bodies
    assert (pkt.version, pkt.tc, pkt.fl, pkt.plen, pkt.nh, pkt.hlim) == (6, tc, fl, len(payload), nh, hlim)
    assert (pkt.src, pkt.dst) == (text(src), text(dst))
    assert V6.decode_ipv6(ours) == V6.Ipv6Packet(src, dst, nh, hlim, payload, tc, fl)


@settings(max_examples=200, deadline=None)
@given(src=addrs, dst=addrs, nh=st.sampled_from([6, 59, 99, 143]), hlim=u8, tc=u8, fl=st.integers(0, 0xFFFFF),
       payload=st.binary(max_size=64))
def test_ipv6_scapy_builds_we_decode(src, dst, nh, hlim, tc, fl, payload):
    theirs = bytes(IPv6(src=text(src), dst=text(dst), nh=nh, hlim=hlim, tc=tc, fl=fl) / Raw(payload))
    assert V6.decode_ipv6(theirs) == V6.Ipv6Packet(src, dst, nh, hlim, payload, tc, fl)


def test_ipv6_padding_ignored_and_short_payload_refused():
    raw = V6.encode_ipv6(V6.Ipv6Packet(A, B, 59, 1, b"abcd"))
    assert V6.decode_ipv6(raw + b"\0" * 10).payload == b"abcd"
    with pytest.raises(DecodeError, match="payload length"):
        V6.decode_ipv6(raw[:-1])
    with pytest.raises(DecodeError, match="version"):
        V6.decode_ipv6(b"\x45" + raw[1:])
    with pytest.raises(DecodeError):
        V6.decode_ipv6(raw[:39])


def test_addresses():
    assert text(V6.ALL_NODES) == "ff02::1" and text(V6.ALL_ROUTERS) == "ff02::2"
    assert text(V6.ALL_DHCP_RELAY_AGENTS_AND_SERVERS) == "ff02::1:2"
    assert text(V6.link_local(bytes(range(1, 9)))) == "fe80::102:304:506:708"
    assert V6.is_link_local(A) and V6.is_link_local(ipaddress.IPv6Address("febf::1").packed)
    assert not V6.is_link_local(GLOBAL) and not V6.is_link_local(V6.ALL_NODES) and not V6.is_link_local(b"\xfe\x80")
    with pytest.raises(ValueError):
        V6.link_local(b"\x01" * 7)


# --- UDP over IPv6 ---

@settings(max_examples=200, deadline=None)
@given(src=addrs, dst=addrs, sport=u16, dport=u16, payload=st.binary(max_size=80), hlim=u8)
def test_udp6_we_encode_scapy_dissects(src, dst, sport, dport, payload, hlim):
    ours = V6.encode_udp6(src, dst, sport, dport, payload, hlim)
    pkt = IPv6(ours)
    assert (pkt.nh, pkt.hlim, pkt.plen) == (V6.NH_UDP, hlim, 8 + len(payload))
    udp = pkt[UDP]
    assert (udp.sport, udp.dport, udp.len, bytes(udp.payload)) == (sport, dport, 8 + len(payload), payload)
    assert udp.chksum == scapy_checksum(pkt, UDP) != 0
    assert V6.decode_udp6(V6.decode_ipv6(ours)) == (sport, dport, payload)


@settings(max_examples=200, deadline=None)
@given(src=addrs, dst=addrs, sport=u16, dport=u16, payload=st.binary(max_size=80))
def test_udp6_scapy_builds_we_decode(src, dst, sport, dport, payload):
    theirs = bytes(IPv6(src=text(src), dst=text(dst)) / UDP(sport=sport, dport=dport) / Raw(payload))
    assert V6.decode_udp6(V6.decode_ipv6(theirs)) == (sport, dport, payload)


def test_udp6_checksum_computed_zero_goes_out_as_ffff():
    # Search a payload whose checksum sums to zero: the field then carries 0xFFFF (RFC 8200 section 8.1).
    for n in range(0x10000):
        raw = V6.encode_udp6(A, B, 546, 547, n.to_bytes(2, "big"))
        if raw[46:48] == b"\xff\xff":
            break
    else:
        pytest.fail("no payload with a zero checksum")
    assert V6.checksum6(A, B, V6.NH_UDP, raw[40:]) == 0
    assert V6.decode_udp6(V6.decode_ipv6(raw)) == (546, 547, n.to_bytes(2, "big"))


@pytest.mark.parametrize("offset,value,message", [
    (46, b"\x00\x00", "without a checksum"),
    (47, None, "bad UDP checksum"),
    (44, b"\x00\x0a", "UDP length"),
    (44, b"\x00\x07", "UDP length"),
])
def test_udp6_bad_datagrams(offset, value, message):
    raw = bytearray(V6.encode_udp6(A, B, 546, 547, b"abc"))
    raw[offset:offset + (len(value) if value else 1)] = value or bytes([raw[offset] ^ 1])
    with pytest.raises(DecodeError, match=message):
        V6.decode_udp6(V6.decode_ipv6(bytes(raw)))


def test_udp6_wrong_protocol_and_short():
    with pytest.raises(DecodeError, match="not UDP"):
        V6.decode_udp6(V6.Ipv6Packet(A, B, V6.NH_ICMPV6, 64, bytes(8)))
    with pytest.raises(DecodeError, match="shorter"):
        V6.decode_udp6(V6.Ipv6Packet(A, B, V6.NH_UDP, 64, bytes(7)))


# --- Router Solicitation and Advertisement ---

def test_router_solicit_both_ways():
    ours = I6.encode_router_solicit(A)
    pkt = IPv6(ours)
    assert (pkt.src, pkt.dst, pkt.hlim, pkt.nh) == (text(A), "ff02::2", 255, 58)
    rs = pkt[ICMPv6ND_RS]
    assert (rs.type, rs.code, rs.res) == (133, 0, 0) and not rs.payload
    assert rs.cksum == scapy_checksum(pkt, ICMPv6ND_RS)
    assert decode_all(ours) == []

    theirs = bytes(IPv6(src=text(A), dst="ff02::2", hlim=255) / ICMPv6ND_RS() /
                   ICMPv6NDOptSrcLLAddr(lladdr="02:00:00:00:00:01"))
    kind, code, body = I6.decode_icmpv6(V6.decode_ipv6(theirs))
    assert (kind, code) == (I6.ROUTER_SOLICIT, 0)
    assert I6.decode_router_solicit(body) == [(I6.SOURCE_LLA, b"\x01\x01\x02\x00\x00\x00\x00\x01")]


prefixes = st.builds(I6.PrefixInfo, addrs, st.integers(0, 128), st.booleans(), st.booleans(), u32, u32)
adverts = st.builds(I6.RouterAdvert, u8, st.booleans(), st.booleans(), u16, u32, u32,
                    st.lists(prefixes, max_size=3), st.none() | u32, st.lists(addrs, max_size=3), u32)


def rdnss_lifetime(ra):
    return ra.rdnss_lifetime if ra.rdnss else 0


@settings(max_examples=200, deadline=None)
@given(ra=adverts, dst=st.sampled_from([V6.ALL_NODES, A]))
def test_router_advert_we_encode_scapy_dissects(ra, dst):
    ours = I6.encode_router_advert(B, dst, ra)
    pkt = IPv6(ours)
    assert (pkt.src, pkt.dst, pkt.hlim) == (text(B), text(dst), 255)
    got = pkt[ICMPv6ND_RA]
    assert (got.chlim, got.M, got.O, got.H, got.prf, got.P, got.routerlifetime, got.reachabletime,
            got.retranstimer) == (ra.cur_hop_limit, ra.managed, ra.other, 0, 0, 0, ra.router_lifetime, ra.reachable,
                                  ra.retrans)
    assert got.cksum == scapy_checksum(pkt, ICMPv6ND_RA)
    pkt = IPv6(ours)
    infos = [(o.prefix, o.prefixlen, o.L, o.A, o.validlifetime, o.preferredlifetime)
             for o in _layers(pkt, ICMPv6NDOptPrefixInfo)]
    assert infos == [(text(p.prefix), p.length, p.on_link, p.autonomous, p.valid, p.preferred) for p in ra.prefixes]
    assert [o.mtu for o in _layers(pkt, ICMPv6NDOptMTU)] == ([] if ra.mtu is None else [ra.mtu])
    rdnss = _layers(pkt, ICMPv6NDOptRDNSS)
    assert [(o.lifetime, o.dns) for o in rdnss] == ([(ra.rdnss_lifetime, [text(a) for a in ra.rdnss])]
                                                     if ra.rdnss else [])
    kind, code, body = I6.decode_icmpv6(V6.decode_ipv6(ours))
    assert (kind, code) == (I6.ROUTER_ADVERT, 0)
    ra.rdnss_lifetime = rdnss_lifetime(ra)
    assert I6.decode_router_advert(body) == ra


def _layers(pkt, cls):
    found, layer = [], pkt.getlayer(cls)
    while layer is not None:
        found.append(layer)
        layer = layer.payload.getlayer(cls) if layer.payload else None
    return found


@settings(max_examples=200, deadline=None)
@given(ra=adverts, lla=st.booleans())
def test_router_advert_scapy_builds_we_decode(ra, lla):
    layers = IPv6(src=text(B), dst="ff02::1", hlim=255) / ICMPv6ND_RA(
        chlim=ra.cur_hop_limit, M=ra.managed, O=ra.other, prf=1, routerlifetime=ra.router_lifetime,
        reachabletime=ra.reachable, retranstimer=ra.retrans)
    if lla:
        layers /= ICMPv6NDOptSrcLLAddr(lladdr="02:ac:00:00:00:01")
    for p in ra.prefixes:
        layers /= ICMPv6NDOptPrefixInfo(prefixlen=p.length, L=p.on_link, A=p.autonomous, validlifetime=p.valid,
                                        preferredlifetime=p.preferred, prefix=text(p.prefix))
    if ra.mtu is not None:
        layers /= ICMPv6NDOptMTU(mtu=ra.mtu)
    if ra.rdnss:
        layers /= ICMPv6NDOptRDNSS(lifetime=ra.rdnss_lifetime, dns=[text(a) for a in ra.rdnss])
    kind, code, body = I6.decode_icmpv6(V6.decode_ipv6(bytes(layers)))
    assert (kind, code) == (I6.ROUTER_ADVERT, 0)
    ra.rdnss_lifetime = rdnss_lifetime(ra)
    assert I6.decode_router_advert(body) == ra


def ra_body(*options: bytes) -> bytes:
    return bytes(IPv6(src=text(B), dst="ff02::1") / ICMPv6ND_RA(routerlifetime=600))[44:] + b"".join(options)


def test_router_advert_option_edges():
    dns1, dns2 = ipaddress.IPv6Address("2001:db8::53").packed, ipaddress.IPv6Address("2001:db8::54").packed
    body = ra_body(
        bytes(ICMPv6NDOptRDNSS(lifetime=900, dns=["2001:db8::53"])),
        b"\x63\x01" + bytes(6),                                # unknown option: skipped
        b"\x05\x02" + bytes(14),                               # MTU of the wrong size: skipped
        b"\x03\x01" + bytes(6),                                # Prefix Information of the wrong size: skipped
        b"\x19\x02" + bytes(14),                               # RDNSS with no address: skipped
        bytes(ICMPv6NDOptRDNSS(lifetime=300, dns=["2001:db8::54"])),
        bytes(ICMPv6NDOptMTU(mtu=1492)))
    ra = I6.decode_router_advert(body)
    assert (ra.router_lifetime, ra.mtu, ra.prefixes) == (600, 1492, [])
    assert (ra.rdnss, ra.rdnss_lifetime) == ([dns1, dns2], 300)  # the shorter lifetime holds for both

    with pytest.raises(DecodeError, match="bad length 0"):
        I6.decode_router_advert(ra_body(b"\x63\x00" + bytes(6)))
    with pytest.raises(DecodeError, match="bad length 2"):
        I6.decode_router_advert(ra_body(b"\x63\x02" + bytes(6)))
    with pytest.raises(DecodeError, match="truncated"):
        I6.decode_router_advert(ra_body(b"\x63"))
    with pytest.raises(DecodeError, match="shorter"):
        I6.decode_router_advert(ra_body()[:11])
    with pytest.raises(DecodeError, match="shorter"):
        I6.decode_router_solicit(b"\0\0\0")
    with pytest.raises(DecodeError, match="bad length 0"):
        I6.decode_router_solicit(bytes(4) + b"\x01\x00")


# --- ICMPv6 checks and echo ---

def test_icmpv6_refuses_bad_checksum_wrong_protocol_and_short():
    raw = bytearray(I6.encode_echo(A, B, 1, 2, b"x"))
    assert I6.decode_icmpv6(V6.decode_ipv6(bytes(raw))) == (I6.ECHO_REQUEST, 0, b"\0\x01\0\x02x")
    raw[-1] ^= 0xFF
    with pytest.raises(DecodeError, match="checksum"):
        I6.decode_icmpv6(V6.decode_ipv6(bytes(raw)))
    with pytest.raises(DecodeError, match="not ICMPv6"):
        I6.decode_icmpv6(V6.Ipv6Packet(A, B, V6.NH_UDP, 64, bytes(8)))
    with pytest.raises(DecodeError, match="shorter"):
        I6.decode_icmpv6(V6.Ipv6Packet(A, B, V6.NH_ICMPV6, 64, bytes(3)))


@settings(max_examples=200, deadline=None)
@given(src=addrs, dst=addrs, ident=u16, seq=u16, data=st.binary(max_size=64), reply=st.booleans())
def test_echo_both_ways(src, dst, ident, seq, data, reply):
    ours = I6.encode_echo(src, dst, ident, seq, data, reply)
    pkt = IPv6(ours)
    layer = ICMPv6EchoReply if reply else ICMPv6EchoRequest
    got = pkt[layer]
    assert (pkt.src, pkt.dst, pkt.hlim, got.id, got.seq, got.data) == (text(src), text(dst), 64, ident, seq, data)
    assert got.cksum == scapy_checksum(pkt, layer)
    theirs = bytes(IPv6(src=text(src), dst=text(dst)) / layer(id=ident, seq=seq, data=data))
    assert I6.decode_icmpv6(V6.decode_ipv6(theirs)) == (129 if reply else 128, 0,
                                                        ident.to_bytes(2, "big") + seq.to_bytes(2, "big") + data)
    assert I6.parse_echo_reply(theirs) == ((src, ident, seq) if reply else None)


def test_echo_reply_for_answers_requests_to_our_addresses_only():
    request = bytes(IPv6(src=text(A), dst=text(GLOBAL), hlim=7) / ICMPv6EchoRequest(id=5, seq=9, data=b"ping"))
    reply = I6.echo_reply_for(request, {B, GLOBAL})
    assert reply is not None
    pkt = IPv6(reply)
    assert (pkt.src, pkt.dst, pkt.hlim) == (text(GLOBAL), text(A), 64)
    echo = pkt[ICMPv6EchoReply]
    assert (echo.id, echo.seq, echo.data) == (5, 9, b"ping")
    assert echo.cksum == scapy_checksum(pkt, ICMPv6EchoReply)
    assert I6.parse_echo_reply(reply) == (GLOBAL, 5, 9)

    assert I6.echo_reply_for(request, {B}) is None                                    # not ours
    assert I6.echo_reply_for(request[:-1], {GLOBAL}) is None                          # truncated
    assert I6.echo_reply_for(request[:-1] + b"\0", {GLOBAL}) is None                  # bad checksum
    assert I6.echo_reply_for(reply, {A}) is None                                      # a reply, not a request
    from_multicast = I6.encode_echo(V6.ALL_NODES, GLOBAL, 1, 1)
    from_nowhere = I6.encode_echo(bytes(16), GLOBAL, 1, 1)
    assert I6.echo_reply_for(from_multicast, {GLOBAL}) is None
    assert I6.echo_reply_for(from_nowhere, {GLOBAL}) is None
    assert I6.echo_reply_for(I6.encode_echo(A, GLOBAL, 1, 1)[:-4], {GLOBAL}) is None  # no identifier and sequence
    udp = V6.encode_udp6(A, GLOBAL, 1, 2, b"")
    assert I6.echo_reply_for(udp, {GLOBAL}) is None and I6.parse_echo_reply(udp) is None


# --- hostile bytes ---

def from_packet(decoder):
    """decoder applied to the IPv6 packet decoded from the bytes."""
    return lambda data: decoder(V6.decode_ipv6(data))


HEADER_40 = st.builds(lambda nh, body: V6.encode_ipv6(V6.Ipv6Packet(A, B, nh, 255, body)),
                      st.sampled_from([V6.NH_UDP, V6.NH_ICMPV6]), st.binary(max_size=60))


@pytest.mark.parametrize("decoder", [
    V6.decode_ipv6, from_packet(V6.decode_udp6), from_packet(I6.decode_icmpv6), I6.decode_router_advert,
    I6.decode_router_solicit, I6.decode_nd_options, decode_all,
], ids=["ipv6", "udp6", "icmpv6", "ra", "rs", "nd_options", "chain"])
@settings(max_examples=300, deadline=None)
@given(data=st.binary(max_size=120) | HEADER_40)
def test_random_bytes_raise_only_decode_error(decoder, data):
    with contextlib.suppress(DecodeError):
        decoder(data)


@settings(max_examples=300, deadline=None)
@given(data=st.binary(max_size=120) | HEADER_40, own=st.sampled_from([set(), {A}, {B}]))
def test_echo_helpers_never_raise(data, own):
    I6.echo_reply_for(data, own)
    I6.parse_echo_reply(data)


VALID = [
    V6.encode_udp6(A, V6.ALL_DHCP_RELAY_AGENTS_AND_SERVERS, 546, 547, b"\x01\x00\x00\x01" + bytes(20)),
    I6.encode_router_solicit(A),
    I6.encode_router_advert(B, V6.ALL_NODES, I6.RouterAdvert(
        managed=True, prefixes=[I6.PrefixInfo(GLOBAL, 64)], mtu=1492, rdnss=[GLOBAL, B], rdnss_lifetime=600)),
    I6.encode_echo(A, GLOBAL, 7, 8, b"pppemu"),
    I6.encode_echo(GLOBAL, A, 7, 8, b"pppemu", reply=True),
]


@pytest.mark.parametrize("raw", VALID, ids=["udp6", "rs", "ra", "echo-request", "echo-reply"])
def test_every_truncation_raises_decode_error(raw):
    decode_all(raw)
    for cut in range(len(raw)):
        with pytest.raises(DecodeError):
            decode_all(raw[:cut])


@settings(max_examples=500, deadline=None)
@given(raw=st.sampled_from(VALID),
       edits=st.lists(st.tuples(st.integers(0, 200), u8), min_size=1, max_size=4), tail=st.binary(max_size=8))
def test_mutated_packets_raise_only_decode_error(raw, edits, tail):
    data = bytearray(raw)
    for offset, value in edits:
        data[offset % len(data)] = value
    data = bytes(data) + tail
    with contextlib.suppress(DecodeError):
        decode_all(data)
    # The checksum stops most mutations early; the ND decoders also see the mutated body directly.
    for decoder in (I6.decode_router_advert, I6.decode_router_solicit):
        with contextlib.suppress(DecodeError):
            decoder(data[44:])
    I6.echo_reply_for(data, {A, GLOBAL})
    I6.parse_echo_reply(data)
