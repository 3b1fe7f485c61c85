"""RFC 4638: the PPP-Max-Payload tag, and LCP MRUs above 1492."""
from __future__ import annotations

from typing import TYPE_CHECKING

from pppemu.conformance.catalog import MUST, rule
from pppemu.conformance.model import AC, CLIENT, Sent
from pppemu.conformance.packet import ControlPpp
from pppemu.wire.const import CONF_ACK, CONF_NAK, CONF_REQ, LCP_MRU, PPPOE_MRU, TAG_PPP_MAX_PAYLOAD

if TYPE_CHECKING:
    from pppemu.conformance.checker import Checker

UNREQUESTED = rule("rfc4638.reply.unrequested", "RFC 4638 §4", MUST,
                   "PADO/PADS carry PPP-Max-Payload only if the PADI/PADR did")
VALUE = rule("rfc4638.value", "RFC 4638 §4", MUST, "PPP-Max-Payload is a two-octet value greater than 1492")
MRU = rule("rfc4638.mru", "RFC 4638 §5.1", MUST, "the LCP MRU stays within the PPP-Max-Payload both ends agreed")


def _value(chk: Checker, sent: Sent, label: str, what: str, side: str) -> int | None:
    values = sent.values(TAG_PPP_MAX_PAYLOAD)
    if not values:
        return None
    v = values[0]
    if len(v) != 2 or int.from_bytes(v, "big") <= PPPOE_MRU:
        shown = int.from_bytes(v, "big") if len(v) == 2 else f"{len(v)} octets"
        chk.report(VALUE, (sent.frame.number,), label, side,
                   f"{what} PPP-Max-Payload {shown} is not a value above 1492")
        return None
    return int.from_bytes(v, "big")


def request(chk: Checker, sent: Sent, label: str, what: str) -> None:
    _value(chk, sent, label, what, CLIENT)


def reply(chk: Checker, request_: Sent | None, answer: Sent, label: str, names: tuple[str, str]) -> int | None:
    """Check an AC's PADO or PADS; returns the payload both ends agreed on, if any."""
    offered = _value(chk, answer, label, names[1], AC)
    if request_ is None or not answer.values(TAG_PPP_MAX_PAYLOAD):
        return None
    if not request_.values(TAG_PPP_MAX_PAYLOAD):
        chk.report(UNREQUESTED, (request_.frame.number, answer.frame.number), label, AC,
                   f"{names[1]} carries PPP-Max-Payload though the {names[0]} did not")
        return None
    asked = request_.values(TAG_PPP_MAX_PAYLOAD)[0]
    if offered is None or len(asked) != 2:
        return None
    return min(offered, int.from_bytes(asked, "big"))


def lcp(chk: Checker, p: ControlPpp) -> None:
    limit = p.session.max_payload
    if limit is None or p.options is None or p.control.code not in (CONF_REQ, CONF_ACK, CONF_NAK):
        return
    for opt_type, value in p.options:
        if opt_type == LCP_MRU and len(value) == 2 and int.from_bytes(value, "big") > limit:
            chk.report_ppp(MRU, p, f"{p.control.name} with MRU {int.from_bytes(value, 'big')} above the "
                                   f"PPP-Max-Payload {limit} agreed in discovery", p.session.pads_frame)
