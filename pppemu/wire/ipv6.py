"""The IPv6 fixed header (RFC 8200 section 3), its upper-layer checksum (section 8.1) and UDP over it.

Addresses are 16 raw bytes. Extension headers are not parsed: next_header is what the fixed
header says, and the payload is everything after it.
"""
from __future__ import annotations

import ipaddress
import struct
from dataclasses import dataclass

from pppemu.wire.errors import DecodeError
from pppemu.wire.icmp import checksum

NH_UDP = 17
NH_ICMPV6 = 58

ALL_NODES = ipaddress.IPv6Address("ff02::1").packed
ALL_ROUTERS = ipaddress.IPv6Address("ff02::2").packed
ALL_DHCP_RELAY_AGENTS_AND_SERVERS = ipaddress.IPv6Address("ff02::1:2").packed

_HDR = struct.Struct("!IHBB16s16s")  # version/traffic class/flow label, payload length, next header, hop limit
_UDP = struct.Struct("!HHHH")  # source port, destination port, length, checksum
_LINK_LOCAL_PREFIX = b"\xfe\x80" + bytes(6)


@dataclass(slots=True)
class Ipv6Packet:
    src: bytes
    dst: bytes
    next_header: int
    hop_limit: int
    payload: bytes
    traffic_class: int = 0
    flow_label: int = 0


def encode_ipv6(p: Ipv6Packet) -> bytes:
    first = 6 << 28 | (p.traffic_class & 0xFF) << 20 | (p.flow_label & 0xFFFFF)
    return _HDR.pack(first, len(p.payload), p.next_header, p.hop_limit, p.src, p.dst) + p.payload


def decode_ipv6(data: bytes) -> Ipv6Packet:
    if len(data) < 40:
        raise DecodeError("IPv6 packet shorter than its 40-byte header")
    first, length, next_header, hop_limit, src, dst = _HDR.unpack_from(data)
    if first >> 28 != 6:
        raise DecodeError(f"IP version {first >> 28} is not 6")
    if 40 + length > len(data):
        raise DecodeError(f"IPv6 payload length {length} exceeds the {len(data) - 40} bytes present")
    # Octets past the payload length (link-layer padding) are ignored.
    return Ipv6Packet(src, dst, next_header, hop_limit, bytes(data[40:40 + length]),
                      first >> 20 & 0xFF, first & 0xFFFFF)


def checksum6(src: bytes, dst: bytes, next_header: int, data: bytes) -> int:
    """The Internet checksum of data behind the IPv6 pseudo-header (RFC 8200 section 8.1).

    Over a segment that carries its own correct checksum, the result is 0.
    """
    return checksum(src + dst + struct.pack("!IxxxB", len(data), next_header) + data)


def encode_udp6(src: bytes, dst: bytes, sport: int, dport: int, payload: bytes, hop_limit: int = 64) -> bytes:
    """A whole IPv6 packet carrying one UDP datagram with its checksum."""
    segment = _UDP.pack(sport, dport, 8 + len(payload), 0) + payload
    # A computed 0 goes out as 0xFFFF: 0 means "no checksum", which IPv6 does not allow.
    cksum = checksum6(src, dst, NH_UDP, segment) or 0xFFFF
    segment = segment[:6] + struct.pack("!H", cksum) + segment[8:]
    return encode_ipv6(Ipv6Packet(src, dst, NH_UDP, hop_limit, segment))


def decode_udp6(p: Ipv6Packet) -> tuple[int, int, bytes]:
    """(source port, destination port, payload) of the UDP datagram an IPv6 packet carries."""
    if p.next_header != NH_UDP:
        raise DecodeError(f"next header {p.next_header} is not UDP")
    if len(p.payload) < 8:
        raise DecodeError("UDP datagram shorter than its 8-byte header")
    sport, dport, length, cksum = _UDP.unpack_from(p.payload)
    if length != len(p.payload):
        raise DecodeError(f"UDP length {length} is not the {len(p.payload)} bytes of the IPv6 payload")
    if cksum == 0:
        raise DecodeError("UDP over IPv6 without a checksum")
    if checksum6(p.src, p.dst, NH_UDP, p.payload):
        raise DecodeError("bad UDP checksum")
    return sport, dport, p.payload[8:]


def link_local(iid: bytes) -> bytes:
    """fe80::/64 with an 8-byte interface identifier (RFC 4291 section 2.5.6)."""
    if len(iid) != 8:
        raise ValueError(f"an interface identifier is 8 bytes, not {len(iid)}")
    return _LINK_LOCAL_PREFIX + iid


def is_link_local(addr: bytes) -> bool:
    """Whether addr is in fe80::/10."""
    return len(addr) == 16 and addr[0] == 0xFE and addr[1] & 0xC0 == 0x80
