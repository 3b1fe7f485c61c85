"""IPv6 datagrams in a session: one whole IPv6 packet per PPP frame (RFC 5072 §2, RFC 8200 §3),
then ICMPv6 (rfc4861) and DHCPv6 (rfc8415) by what the fixed header says comes next.

Extension headers are not followed: a packet whose next header is neither ICMPv6 nor UDP is
judged only as an IPv6 packet.
"""
from __future__ import annotations

import struct
from typing import TYPE_CHECKING

from pppemu.conformance import rfc4861, rfc8415
from pppemu.conformance.catalog import MUST, rule
from pppemu.conformance.packet import Ppp
from pppemu.wire import DecodeError
from pppemu.wire.dhcpv6 import CLIENT_PORT, SERVER_PORT
from pppemu.wire.ipv6 import NH_ICMPV6, NH_UDP, Ipv6Packet, checksum6, decode_ipv6

if TYPE_CHECKING:
    from pppemu.conformance.checker import Checker

PACKET = rule("rfc5072.ipv6.packet", "RFC 5072 §2", MUST,
              "a PPP IPv6 datagram holds one IPv6 packet: version 6, its payload within the frame")
UDP = rule("rfc8200.udp.checksum", "RFC 8200 §8.1", MUST,
           "a DHCPv6 datagram's UDP header gives its true length and a valid, non-zero checksum")

_UDP = struct.Struct("!HHHH")
_DHCP_PORTS = (CLIENT_PORT, SERVER_PORT)


def datagram(chk: Checker, p: Ppp) -> None:
    try:
        ip = decode_ipv6(p.info)
    except DecodeError as e:
        chk.report_ppp(PACKET, p, f"IPv6 datagram that is no IPv6 packet: {e}")
        return
    if ip.next_header == NH_ICMPV6:
        rfc4861.icmpv6(chk, p, ip)
    elif ip.next_header == NH_UDP and len(ip.payload) >= _UDP.size:
        sport, dport, length, cksum = _UDP.unpack_from(ip.payload)
        if sport not in _DHCP_PORTS and dport not in _DHCP_PORTS:
            return
        if not _udp_ok(chk, p, ip, length, cksum):
            return
        rfc8415.dhcpv6(chk, p, ip, sport, dport, ip.payload[_UDP.size:])


def _udp_ok(chk: Checker, p: Ppp, ip: Ipv6Packet, length: int, cksum: int) -> bool:
    """Reports a DHCPv6 datagram's bad UDP header; True when its payload can still be read."""
    if length != len(ip.payload):
        chk.report_ppp(UDP, p, f"UDP length {length} is not the {len(ip.payload)} octets of the IPv6 payload")
        return False
    if cksum == 0:
        chk.report_ppp(UDP, p, "UDP datagram over IPv6 with a zero checksum")
    elif checksum6(ip.src, ip.dst, NH_UDP, ip.payload):
        chk.report_ppp(UDP, p, f"UDP checksum 0x{cksum:04x} is wrong")
    return True
