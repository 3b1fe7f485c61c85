"""ICMPv6 on the PPP link: Router Solicitations and Advertisements (RFC 4861) and the ICMPv6
checksum (RFC 4443 §2.3).

Roles: on a PPPoE session the AC is the router and the client a host on that link, so an
Advertisement must come from the AC (hosts never send one). Solicitations are not judged by
side: RFC 4861 does not forbid a router to solicit, and a real AC does (pppd with rp-pppoe's
pppoe-server on Linux, whose ppp interface is not forwarding, solicits like any host).
"""
from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING

from pppemu.conformance.catalog import MUST, rule
from pppemu.conformance.model import CLIENT
from pppemu.conformance.packet import Ppp
from pppemu.wire import DecodeError
from pppemu.wire.icmpv6 import ND_HOP_LIMIT, ROUTER_ADVERT, ROUTER_SOLICIT, decode_nd_options
from pppemu.wire.ipv6 import NH_ICMPV6, Ipv6Packet, checksum6, is_link_local

if TYPE_CHECKING:
    from pppemu.conformance.checker import Checker

HOP_LIMIT = rule("rfc4861.nd.hop_limit", "RFC 4861 §6.1.1, §6.1.2", MUST,
                 "a Router Solicitation or Advertisement is sent with hop limit 255")
CODE = rule("rfc4861.nd.code", "RFC 4861 §6.1.1, §6.1.2", MUST,
            "a Router Solicitation or Advertisement has ICMPv6 code 0")
OPTIONS = rule("rfc4861.nd.options", "RFC 4861 §4.6, §6.1", MUST,
               "a Router Solicitation (8 octets) or Advertisement (16) is whole and each option's "
               "length is non-zero and within the message")
RA_SOURCE = rule("rfc4861.ra.source", "RFC 4861 §4.2, §6.1.2", MUST,
                 "a Router Advertisement's source is a link-local address")
RA_ROLE = rule("rfc4861.ra.from_ac", "RFC 4861 §6.2.3", MUST,
               "only the AC, the router of the session, sends Router Advertisements; hosts never do")
CHECKSUM = rule("rfc4443.checksum", "RFC 4443 §2.3", MUST, "an ICMPv6 message carries a valid checksum")

_NAMES = {ROUTER_SOLICIT: ("Router Solicitation", 8), ROUTER_ADVERT: ("Router Advertisement", 16)}


def icmpv6(chk: Checker, p: Ppp, ip: Ipv6Packet) -> None:
    message = ip.payload
    if len(message) < 4:
        chk.report_ppp(CHECKSUM, p, f"ICMPv6 message of {len(message)} octets has no checksum")
        return
    kind, code = message[0], message[1]
    nd = _NAMES.get(kind)
    # A router forwards what is not link-scoped: only the sender's own messages are judged.
    if (nd is not None or _link_scope(ip)) and checksum6(ip.src, ip.dst, NH_ICMPV6, message):
        chk.report_ppp(CHECKSUM, p, f"ICMPv6 type {kind} with a wrong checksum")
    if nd is None:
        return
    name, minimum = nd
    if ip.hop_limit != ND_HOP_LIMIT:
        chk.report_ppp(HOP_LIMIT, p, f"{name} with hop limit {ip.hop_limit}")
    if code != 0:
        chk.report_ppp(CODE, p, f"{name} with ICMPv6 code {code}")
    if len(message) < minimum:
        chk.report_ppp(OPTIONS, p, f"{name} of {len(message)} octets, under {minimum}")
    else:
        try:
            decode_nd_options(message[minimum:])
        except DecodeError as e:
            chk.report_ppp(OPTIONS, p, f"{name}: {e}")
    if kind == ROUTER_ADVERT:
        if not is_link_local(ip.src):
            chk.report_ppp(RA_SOURCE, p, f"Router Advertisement from {_addr(ip.src)}, not a link-local address")
        if p.side == CLIENT:
            chk.report_ppp(RA_ROLE, p, "Router Advertisement sent by the client")


def _link_scope(ip: Ipv6Packet) -> bool:
    """Whether no router may have forwarded it: a link-local end or a link-scope multicast destination."""
    return is_link_local(ip.src) or is_link_local(ip.dst) or (ip.dst[0] == 0xFF and ip.dst[1] & 0x0F <= 2)


def _addr(a: bytes) -> str:
    return str(ipaddress.IPv6Address(a))
