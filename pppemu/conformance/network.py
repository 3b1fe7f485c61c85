"""Network-layer datagrams: each waits for its NCP (RFC 1661 §3.6, RFC 1332 §1, RFC 5072 §2)."""
from __future__ import annotations

from typing import TYPE_CHECKING

from pppemu.conformance.catalog import MUST, rule
from pppemu.conformance.packet import Ppp
from pppemu.conformance.rfc1661 import proto_name
from pppemu.wire.const import PROTO_IPV4, PROTO_IPV6

if TYPE_CHECKING:
    from pppemu.conformance.checker import Checker

IPV4_BEFORE = rule("rfc1332.ip.before_open", "RFC 1332 §1", MUST,
                   "no IPv4 datagram before the sender's IPCP is Opened")
IPV6_BEFORE = rule("rfc5072.ipv6.before_open", "RFC 5072 §2", MUST,
                   "no IPv6 datagram before the sender's IPv6CP is Opened")
OTHER_BEFORE = rule("rfc1661.network.before_ncp", "RFC 1661 §3.6", MUST,
                    "no network-layer datagram before the sender's NCP for it is Opened")

_RULES = {PROTO_IPV4: (IPV4_BEFORE, "IPCP"), PROTO_IPV6: (IPV6_BEFORE, "IPv6CP")}


def datagram(chk: Checker, p: Ppp) -> None:
    ncp = p.sender.neg(p.protocol | 0x8000)
    if not ncp.known or ncp.opened:
        return
    rule_id, ncp_name = _RULES.get(p.protocol, (OTHER_BEFORE, proto_name(p.protocol | 0x8000)))
    chk.report_ppp(rule_id, p, f"{proto_name(p.protocol)} datagram before the sender's {ncp_name} is Opened")
