"""IPCP options: RFC 1332 (IP-Address, IP-Compression-Protocol, the deprecated IP-Addresses)
and RFC 1877 (DNS and NBNS server addresses)."""
from __future__ import annotations

from typing import TYPE_CHECKING

from pppemu.conformance.catalog import MUST, SHOULD, rule
from pppemu.conformance.packet import ControlPpp
from pppemu.wire.const import (
    CONF_ACK,
    CONF_NAK,
    CONF_REQ,
    IPCP_ADDRESS,
    IPCP_ADDRESSES,
    IPCP_COMPRESSION,
    IPCP_DNS1,
    IPCP_DNS2,
    IPCP_NBNS1,
    IPCP_NBNS2,
    PROTO_IPCP,
)

if TYPE_CHECKING:
    from pppemu.conformance.checker import Checker

CODES = rule("rfc1332.codes", "RFC 1332 §2", MUST, "IPCP uses only codes 1 to 7")
ADDRESS_LENGTH = rule("rfc1332.ip_address.length", "RFC 1332 §3.3", MUST, "the IP-Address option has Length 6")
ADDRESS_NAK = rule("rfc1332.ip_address.nak", "RFC 1332 §3.3", MUST,
                   "a Configure-Nak of IP-Address suggests an address usable by the peer")
ADDRESSES = rule("rfc1332.ip_addresses.deprecated", "RFC 1332 §3.1", SHOULD,
                 "the deprecated IP-Addresses option is not requested")
COMPRESSION_LENGTH = rule("rfc1332.compression.length", "RFC 1332 §3.2, §4", MUST,
                          "IP-Compression-Protocol has Length >= 4, and 6 for Van Jacobson")
COMPRESSION_UNKNOWN = rule("rfc1332.compression.unknown", "RFC 1332 §3.2", MUST,
                           "an unknown IP-Compression-Protocol is rejected, not acknowledged")
DNS_LENGTH = rule("rfc1877.option.length", "RFC 1877 §1", MUST, "DNS and NBNS server options have Length 6")
DNS_NAK = rule("rfc1877.nak.address", "RFC 1877 §1.1, §1.3", SHOULD,
               "a Configure-Nak of a DNS or NBNS server option gives an address, not 0.0.0.0")

VJ = 0x002D
# Van Jacobson (RFC 1332), IP Header Compression (RFC 2509), ROHC (RFC 3241)
KNOWN_COMPRESSION = (VJ, 0x0061, 0x0003)
SERVERS = {IPCP_DNS1: "Primary-DNS", IPCP_NBNS1: "Primary-NBNS", IPCP_DNS2: "Secondary-DNS",
           IPCP_NBNS2: "Secondary-NBNS"}


def _unusable(address: bytes) -> bool:
    return address == b"\0\0\0\0" or address[0] == 127 or address[0] >= 224


def control(chk: Checker, p: ControlPpp) -> None:
    if p.protocol != PROTO_IPCP:
        return
    code = p.control.code
    if 8 <= code <= 11:
        chk.report_ppp(CODES, p, f"IPCP packet with the LCP-only code {code}")
        return
    if p.options is None or code not in (CONF_REQ, CONF_ACK, CONF_NAK):
        return
    what = p.control.name
    for opt_type, value in p.options:
        if opt_type == IPCP_ADDRESS:
            if len(value) != 4:
                chk.report_ppp(ADDRESS_LENGTH, p, f"{what}: IP-Address option of length {len(value) + 2}")
            elif code == CONF_NAK and _unusable(value):
                chk.report_ppp(ADDRESS_NAK, p, f"Configure-Nak suggests the unusable address {_ip(value)}")
        elif opt_type in SERVERS:
            if len(value) != 4:
                chk.report_ppp(DNS_LENGTH, p, f"{what}: {SERVERS[opt_type]} option of length {len(value) + 2}")
            elif code == CONF_NAK and value == b"\0\0\0\0":
                chk.report_ppp(DNS_NAK, p, f"Configure-Nak of {SERVERS[opt_type]} with 0.0.0.0")
        elif opt_type == IPCP_COMPRESSION:
            _compression(chk, p, value)
        elif opt_type == IPCP_ADDRESSES and code == CONF_REQ:
            chk.report_ppp(ADDRESSES, p, "Configure-Request with the deprecated IP-Addresses option")


def _compression(chk: Checker, p: ControlPpp, value: bytes) -> None:
    what = p.control.name
    if len(value) < 2:
        chk.report_ppp(COMPRESSION_LENGTH, p, f"{what}: IP-Compression-Protocol of length {len(value) + 2}")
        return
    protocol = int.from_bytes(value[:2], "big")
    if protocol == VJ and len(value) != 4:
        chk.report_ppp(COMPRESSION_LENGTH, p, f"{what}: Van Jacobson compression option of length {len(value) + 2}")
    elif p.control.code == CONF_ACK and protocol not in KNOWN_COMPRESSION:
        chk.report_ppp(COMPRESSION_UNKNOWN, p, f"Configure-Ack of unknown IP-Compression-Protocol 0x{protocol:04x}")


def _ip(b: bytes) -> str:
    return ".".join(str(x) for x in b)
