"""IPv6CP (RFC 5072): codes and the Interface-Identifier option."""
from __future__ import annotations

from typing import TYPE_CHECKING

from pppemu.conformance.catalog import MUST, rule
from pppemu.conformance.packet import ControlPpp, option
from pppemu.wire import DecodeError, decode_options
from pppemu.wire.const import CONF_ACK, CONF_NAK, CONF_REQ, IPV6CP_IFACE_ID, PROTO_IPV6CP

if TYPE_CHECKING:
    from pppemu.conformance.checker import Checker

CODES = rule("rfc5072.codes", "RFC 5072 §3", MUST, "IPv6CP uses only codes 1 to 7")
IID_LENGTH = rule("rfc5072.iid.length", "RFC 5072 §4.1", MUST, "the Interface-Identifier option has Length 10")
IID_ACK_ZERO = rule("rfc5072.iid.ack_zero", "RFC 5072 §4.1", MUST,
                    "a zero Interface-Identifier is Nak'd with a suggestion, never acknowledged")
IID_NAK = rule("rfc5072.iid.nak", "RFC 5072 §4.1", MUST,
               "a Configure-Nak suggests a non-zero Interface-Identifier different from the sender's own")
IID_DISTINCT = rule("rfc5072.iid.distinct", "RFC 5072 §4.1", MUST,
                    "the two acknowledged Interface-Identifiers differ")

ZERO = bytes(8)


def control(chk: Checker, p: ControlPpp) -> None:
    if p.protocol != PROTO_IPV6CP:
        return
    code = p.control.code
    if 8 <= code <= 11:
        chk.report_ppp(CODES, p, f"IPv6CP packet with the LCP-only code {code}")
        return
    if p.options is None or code not in (CONF_REQ, CONF_ACK, CONF_NAK):
        return
    iid = option(p.options, IPV6CP_IFACE_ID)
    if iid is None:
        return
    if len(iid) != 8:
        chk.report_ppp(IID_LENGTH, p, f"{p.control.name}: Interface-Identifier option of length {len(iid) + 2}")
        return
    mine = p.sender.neg(PROTO_IPV6CP)
    agreed = option(mine.acked, IPV6CP_IFACE_ID)  # the sender's own identifier, as the peer acknowledged it
    if code == CONF_ACK:
        if iid == ZERO:
            chk.report_ppp(IID_ACK_ZERO, p, "Configure-Ack of a zero Interface-Identifier")
        elif iid == agreed:
            chk.report_ppp(IID_DISTINCT, p, f"Configure-Ack of Interface-Identifier {iid.hex()}, the sender's own")
    elif code == CONF_NAK:
        own = agreed or _requested(mine.last_request)
        if iid == ZERO:
            chk.report_ppp(IID_NAK, p, "Configure-Nak suggests a zero Interface-Identifier")
        elif iid == own:
            chk.report_ppp(IID_NAK, p, f"Configure-Nak suggests {iid.hex()}, the sender's own Interface-Identifier")


def _requested(last) -> bytes | None:
    """The identifier in the sender's latest Configure-Request."""
    if last is None:
        return None
    try:
        return option(decode_options(last[1]), IPV6CP_IFACE_ID)
    except DecodeError:
        return None
