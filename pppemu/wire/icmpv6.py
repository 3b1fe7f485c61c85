"""ICMPv6 over a PPP link: echo (RFC 4443 section 4), Router Solicitation and Advertisement
(RFC 4861 section 4.1, 4.2) with the Prefix Information, MTU and RDNSS (RFC 8106) options.

PPP has no link-layer addresses, so Source Link-Layer Address options are skipped on decode
and never sent.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass, field

from pppemu.wire.errors import DecodeError
from pppemu.wire.ipv6 import ALL_ROUTERS, NH_ICMPV6, Ipv6Packet, checksum6, decode_ipv6, encode_ipv6

ECHO_REQUEST = 128
ECHO_REPLY = 129
ROUTER_SOLICIT = 133
ROUTER_ADVERT = 134

SOURCE_LLA = 1
PREFIX_INFO = 3
MTU = 5
RDNSS = 25

ND_HOP_LIMIT = 255  # RFC 4861 section 6.1: anything less did not come from the link
ECHO_HOP_LIMIT = 64

_HDR = struct.Struct("!BBH")  # type, code, checksum
_ECHO = struct.Struct("!HH")  # identifier, sequence
_RA = struct.Struct("!BBHII")  # cur hop limit, flags, router lifetime, reachable, retrans
_PREFIX = struct.Struct("!BBBBIIxxxx16s")  # type, length 4, prefix length, flags, valid, preferred, prefix
_MTU = struct.Struct("!BBxxI")  # type, length 1, MTU
_RDNSS = struct.Struct("!BBxxI")  # type, length 1 + 2n, lifetime; then n addresses
_MANAGED, _OTHER = 0x80, 0x40  # RA flags
_ON_LINK, _AUTONOMOUS = 0x80, 0x40  # prefix flags


@dataclass(slots=True)
class PrefixInfo:
    prefix: bytes
    length: int
    on_link: bool = True
    autonomous: bool = True
    valid: int = 86400
    preferred: int = 14400


@dataclass(slots=True)
class RouterAdvert:
    cur_hop_limit: int = 64
    managed: bool = False
    other: bool = False
    router_lifetime: int = 1800
    reachable: int = 0
    retrans: int = 0
    prefixes: list[PrefixInfo] = field(default_factory=list)
    mtu: int | None = None
    rdnss: list[bytes] = field(default_factory=list)
    rdnss_lifetime: int = 0


def encode_icmpv6(src: bytes, dst: bytes, icmp_type: int, code: int, body: bytes, hop_limit: int) -> bytes:
    """A whole IPv6 packet carrying one ICMPv6 message with its checksum."""
    message = _HDR.pack(icmp_type, code, 0) + body
    message = message[:2] + struct.pack("!H", checksum6(src, dst, NH_ICMPV6, message)) + message[4:]
    return encode_ipv6(Ipv6Packet(src, dst, NH_ICMPV6, hop_limit, message))


def decode_icmpv6(p: Ipv6Packet) -> tuple[int, int, bytes]:
    """(type, code, body after the checksum) of the ICMPv6 message an IPv6 packet carries."""
    if p.next_header != NH_ICMPV6:
        raise DecodeError(f"next header {p.next_header} is not ICMPv6")
    if len(p.payload) < 4:
        raise DecodeError("ICMPv6 message shorter than its 4-byte header")
    if checksum6(p.src, p.dst, NH_ICMPV6, p.payload):
        raise DecodeError("bad ICMPv6 checksum")
    return p.payload[0], p.payload[1], p.payload[4:]


def encode_echo(src: bytes, dst: bytes, ident: int, seq: int, data: bytes = b"", reply: bool = False) -> bytes:
    return encode_icmpv6(src, dst, ECHO_REPLY if reply else ECHO_REQUEST, 0, _ECHO.pack(ident, seq) + data,
                         ECHO_HOP_LIMIT)


def _echo(packet: bytes, icmp_type: int) -> tuple[Ipv6Packet, int, int, bytes] | None:
    """(IPv6 packet, identifier, sequence, data) of a valid echo message of this type, else None."""
    try:
        p = decode_ipv6(packet)
        kind, code, body = decode_icmpv6(p)
    except DecodeError:
        return None
    if kind != icmp_type or code != 0 or len(body) < 4:
        return None
    ident, seq = _ECHO.unpack_from(body)
    return p, ident, seq, body[4:]


def echo_reply_for(packet: bytes, own_addresses: set[bytes]) -> bytes | None:
    """The Echo Reply to an Echo Request addressed to one of own_addresses, else None."""
    echo = _echo(packet, ECHO_REQUEST)
    if echo is None:
        return None
    p, ident, seq, data = echo
    # A reply goes back to a unicast source only (RFC 4443 section 2.2).
    if p.dst not in own_addresses or p.src[0] == 0xFF or p.src == bytes(16):
        return None
    return encode_echo(p.dst, p.src, ident, seq, data, reply=True)


def parse_echo_reply(packet: bytes) -> tuple[bytes, int, int] | None:
    """(source, identifier, sequence) of a valid Echo Reply, else None."""
    echo = _echo(packet, ECHO_REPLY)
    return None if echo is None else (echo[0].src, echo[1], echo[2])


def encode_router_solicit(src: bytes, dst: bytes = ALL_ROUTERS) -> bytes:
    return encode_icmpv6(src, dst, ROUTER_SOLICIT, 0, bytes(4), ND_HOP_LIMIT)


def encode_router_advert(src: bytes, dst: bytes, ra: RouterAdvert) -> bytes:
    flags = (_MANAGED if ra.managed else 0) | (_OTHER if ra.other else 0)
    parts = [_RA.pack(ra.cur_hop_limit, flags, ra.router_lifetime, ra.reachable, ra.retrans)]
    for pi in ra.prefixes:
        pflags = (_ON_LINK if pi.on_link else 0) | (_AUTONOMOUS if pi.autonomous else 0)
        parts.append(_PREFIX.pack(PREFIX_INFO, 4, pi.length, pflags, pi.valid, pi.preferred, pi.prefix))
    if ra.mtu is not None:
        parts.append(_MTU.pack(MTU, 1, ra.mtu))
    if ra.rdnss:
        parts.append(_RDNSS.pack(RDNSS, 1 + 2 * len(ra.rdnss), ra.rdnss_lifetime))
        parts.extend(ra.rdnss)
    return encode_icmpv6(src, dst, ROUTER_ADVERT, 0, b"".join(parts), ND_HOP_LIMIT)


def decode_nd_options(data: bytes) -> list[tuple[int, bytes]]:
    """(type, whole option including its type and length octets) for each option (RFC 4861 section 4.6)."""
    options = []
    offset = 0
    while offset < len(data):
        if len(data) - offset < 2:
            raise DecodeError("truncated ND option header")
        opt_type, units = data[offset], data[offset + 1]
        end = offset + 8 * units
        if units == 0 or end > len(data):
            raise DecodeError(f"ND option {opt_type} has bad length {units}")
        options.append((opt_type, bytes(data[offset:end])))
        offset = end
    return options


def decode_router_solicit(body: bytes) -> list[tuple[int, bytes]]:
    """The options of a Router Solicitation body (after the checksum), its format checked."""
    if len(body) < 4:
        raise DecodeError("Router Solicitation shorter than 8 bytes")
    return decode_nd_options(body[4:])


def decode_router_advert(body: bytes) -> RouterAdvert:
    """A Router Advertisement body (after the checksum). Unknown options, and known ones of the
    wrong size, are skipped; an option of length 0 or past the end raises DecodeError."""
    if len(body) < _RA.size:
        raise DecodeError("Router Advertisement shorter than 16 bytes")
    hop_limit, flags, lifetime, reachable, retrans = _RA.unpack_from(body)
    ra = RouterAdvert(hop_limit, bool(flags & _MANAGED), bool(flags & _OTHER), lifetime, reachable, retrans)
    rdnss_seen = False
    for opt_type, opt in decode_nd_options(body[_RA.size:]):
        if opt_type == PREFIX_INFO and len(opt) == _PREFIX.size:
            _, _, length, pflags, valid, preferred, prefix = _PREFIX.unpack(opt)
            ra.prefixes.append(PrefixInfo(prefix, length, bool(pflags & _ON_LINK), bool(pflags & _AUTONOMOUS),
                                          valid, preferred))
        elif opt_type == MTU and len(opt) == _MTU.size:
            ra.mtu = _MTU.unpack(opt)[2]
        elif opt_type == RDNSS and len(opt) >= 24 and len(opt) % 16 == 8:  # RFC 8106 section 5.1: 3, 5, 7... units
            lifetime = _RDNSS.unpack_from(opt)[2]
            # One lifetime for all servers: the shortest the router gave.
            ra.rdnss_lifetime = min(ra.rdnss_lifetime, lifetime) if rdnss_seen else lifetime
            rdnss_seen = True
            ra.rdnss.extend(opt[i:i + 16] for i in range(8, len(opt), 16))
    return ra
