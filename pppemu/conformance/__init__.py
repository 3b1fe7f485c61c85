"""The conformance checker: an independent judge of PPPoE and PPP exchanges.

Rules are written from the RFC text (2516, 4638, 1661, 1994, 1334, 1332, 1877, 5072, 4861, 4443,
8200, 8415), never from the engine in pppemu; only the wire codec is shared. Feed it frames as
seen on the wire (from a capture or live from either role) and it reports every violation it
can prove: a capture taken at one point may lack frames lost before it, so where a frame of the
sender's could be missing, the sender is given the benefit of the doubt.

    catalog    Rule, Violation and RULES, the table every rule module adds to
    checker    Checker: Ethernet and VLAN tags, the session table, the order rules run in
    model      what is remembered per host, per session and per peer
    tracking   how each packet moves the negotiation state, once the rules have judged it
    rfc2516    discovery, the session stage, LCP options over PPPoE
    vlan       VLAN tag stacks: the AC answers on the stack the host used (IEEE 802.1Q)
    rfc4638    PPP-Max-Payload
    rfc1661    packet formats, negotiation, timers and counters, phases
    auth       CHAP (RFC 1994) and PAP (RFC 1334)
    ipcp       IPCP options (RFC 1332, RFC 1877)
    ipv6cp     IPv6CP (RFC 5072)
    network    datagrams before their NCP is Opened
    ipv6       IPv6 datagrams: one packet each, then ICMPv6 or DHCPv6 by the next header
    rfc4861    Router Solicitations and Advertisements, the ICMPv6 checksum (RFC 4443)
    rfc8415    DHCPv6: ports, identifiers, transaction ids and IAs
    pcap       pcap and pcapng files
    report     the human-readable report
"""
from pppemu.conformance.catalog import RULES, Rule, Violation
from pppemu.conformance.checker import Checker, check_frames
from pppemu.conformance.pcap import CaptureError, check_pcap, read_frames
from pppemu.conformance.report import format_report

__all__ = ["Checker", "Violation", "Rule", "RULES", "check_frames", "check_pcap", "read_frames", "CaptureError",
           "format_report"]
