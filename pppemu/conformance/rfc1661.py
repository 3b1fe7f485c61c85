"""RFC 1661, PPP: the packet formats (sections 2, 5, 6), the option negotiation rules
(section 5), the LCP-only codes, the restart timer and counters (section 4.6) and the phases
(section 3)."""
from __future__ import annotations

from typing import TYPE_CHECKING

from pppemu.conformance.catalog import MUST, SHOULD, rule
from pppemu.conformance.model import Frame, Session
from pppemu.conformance.packet import ControlPpp, Ppp, option
from pppemu.wire import DecodeError, decode_options
from pppemu.wire.const import (
    CODE_REJ,
    CONF_ACK,
    CONF_NAK,
    CONF_REJ,
    CONF_REQ,
    DISCARD_REQ,
    ECHO_REPLY,
    ECHO_REQ,
    LCP_AUTH,
    LCP_MAGIC,
    LCP_PFC,
    PROTO_IPCP,
    PROTO_IPV6CP,
    PROTO_LCP,
    PROTO_NAMES,
    PROTO_REJ,
    TERM_ACK,
    TERM_REQ,
)

if TYPE_CHECKING:
    from pppemu.conformance.checker import Checker

PROTOCOL_FIELD = rule("rfc1661.protocol.field", "RFC 1661 §2", MUST,
                      "the Protocol field is present and odd, with an even most significant octet")
PFC_UNNEGOTIATED = rule("rfc1661.pfc.unnegotiated", "RFC 1661 §6.5", MUST,
                        "a compressed Protocol field only after the receiver's PFC was acknowledged, never for LCP")
PACKET_LENGTH = rule("rfc1661.packet.length", "RFC 1661 §5", MUST,
                     "a control packet has a 4-octet header and a Length within the octets present")
OPTION_LENGTH = rule("rfc1661.option.length", "RFC 1661 §6", MUST,
                     "every Configuration Option has Length >= 2 and fits in the packet")
LCP_OPTION_SIZE = rule("rfc1661.lcp.option_size", "RFC 1661 §6.1-6.6", MUST,
                       "LCP options have their defined lengths (MRU 4, ACCM 6, Auth >= 4, Magic 6, PFC/ACFC 2)")
MAGIC_ZERO = rule("rfc1661.magic.zero", "RFC 1661 §6.4", MUST,
                  "a Magic-Number of zero is never requested nor acknowledged")
REQ_IDENT = rule("rfc1661.confreq.identifier", "RFC 1661 §5.1", MUST,
                 "a Configure-Request changes its Identifier when its options change or after a valid reply")
ACK_IDENT = rule("rfc1661.confack.identifier", "RFC 1661 §5.2", MUST,
                 "a Configure-Ack carries the Identifier of a Configure-Request the peer sent")
ACK_OPTIONS = rule("rfc1661.confack.options", "RFC 1661 §5.2", MUST,
                   "a Configure-Ack repeats the request's options exactly, unreordered and unmodified")
NAK_IDENT = rule("rfc1661.confnak.identifier", "RFC 1661 §5.3", MUST,
                 "a Configure-Nak carries the Identifier of a Configure-Request the peer sent")
REJ_IDENT = rule("rfc1661.confrej.identifier", "RFC 1661 §5.4", MUST,
                 "a Configure-Reject carries the Identifier of a Configure-Request the peer sent")
REJ_OPTIONS = rule("rfc1661.confrej.options", "RFC 1661 §5.4", MUST,
                   "a Configure-Reject names only options of the request, verbatim and in order")
NAK_AND_REJECT = rule("rfc1661.confnak.with_reject", "RFC 1661 §5.3, §5.4", MUST,
                      "one Configure-Request is not answered both with a Nak and with a Reject")
TERMACK_IDENT = rule("rfc1661.termack.identifier", "RFC 1661 §5.5", MUST,
                     "a Terminate-Ack answering a pending Terminate-Request copies its Identifier")
CODE_REJECT_COPY = rule("rfc1661.code_reject.copy", "RFC 1661 §5.6", MUST,
                        "a Code-Reject carries a copy of a packet the peer sent on that protocol")
CODE_REJECT_KNOWN = rule("rfc1661.code_reject.known_code", "RFC 1661 §5.6", MUST,
                         "a Code-Reject rejects only a code the protocol does not define")
PROTREJ_OPENED = rule("rfc1661.protocol_reject.opened", "RFC 1661 §5.7", MUST,
                      "a Protocol-Reject is sent only in the LCP Opened state")
PROTREJ_LCP = rule("rfc1661.protocol_reject.lcp", "RFC 1661 §5.7", MUST, "a Protocol-Reject never rejects LCP")
PROTREJ_COPY = rule("rfc1661.protocol_reject.copy", "RFC 1661 §5.7", MUST,
                    "a Protocol-Reject carries the rejected protocol and a copy of a packet the peer sent")
PROTREJ_HONOURED = rule("rfc1661.protocol_reject.honoured", "RFC 1661 §5.7", MUST,
                        "after a Protocol-Reject the peer stops sending that protocol")
ECHO_OPENED = rule("rfc1661.echo.opened", "RFC 1661 §5.8", MUST,
                   "Echo-Request, Echo-Reply and Discard-Request are sent only in the LCP Opened state")
ECHO_IDENT = rule("rfc1661.echo.identifier", "RFC 1661 §5.8", MUST,
                  "an Echo-Reply carries the Identifier of an Echo-Request the peer sent")
ECHO_MAGIC = rule("rfc1661.echo.magic", "RFC 1661 §5.8", MUST,
                  "Echo and Discard packets carry the sender's own negotiated Magic-Number, or zero if none")
NCP_BEFORE_LCP = rule("rfc1661.phase.ncp_before_lcp", "RFC 1661 §3.4, §3.6", MUST,
                      "no NCP packet before the sender's LCP is Opened")
AUTH_BEFORE_LCP = rule("rfc1661.phase.auth_before_lcp", "RFC 1661 §3.5", MUST,
                       "no authentication packet before the sender's LCP is Opened")
NCP_BEFORE_AUTH = rule("rfc1661.phase.ncp_before_auth", "RFC 1661 §3.5", MUST,
                       "no NCP packet before the authentication negotiated in LCP has succeeded")
CONFIGURE_TIMER = rule("rfc1661.timer.configure", "RFC 1661 §4.6", SHOULD,
                       "a Configure-Request is retransmitted only when the restart timer expires")
TERMINATE_TIMER = rule("rfc1661.timer.terminate", "RFC 1661 §4.6", SHOULD,
                       "a Terminate-Request is retransmitted only when the restart timer expires")
MAX_CONFIGURE = rule("rfc1661.counter.max_configure", "RFC 1661 §4.6", SHOULD,
                     "no more than Max-Configure Configure-Requests without an answer")
MAX_TERMINATE = rule("rfc1661.counter.max_terminate", "RFC 1661 §4.6", SHOULD,
                     "no more than Max-Terminate Terminate-Requests without a Terminate-Ack")

_LCP_CODES = range(1, 12)
_NCP_CODES = {PROTO_IPCP: range(1, 8), PROTO_IPV6CP: range(1, 8)}
_LCP_SIZES = {1: (4, 4), 2: (6, 6), 3: (4, 255), 4: (4, 255), 5: (6, 6), 7: (2, 2), 8: (2, 2)}
_NAK_OR_REJ = {CONF_NAK: (NAK_IDENT, "Configure-Nak"), CONF_REJ: (REJ_IDENT, "Configure-Reject"),
               CONF_ACK: (ACK_IDENT, "Configure-Ack")}


def proto_name(protocol: int) -> str:
    return PROTO_NAMES.get(protocol, f"protocol 0x{protocol:04x}")


# -- the Protocol field -------------------------------------------------------------------------

def protocol_field(chk: Checker, f: Frame, session: Session, ppp: bytes) -> tuple[int | None, bytes, bool]:
    """Split the PPP frame; returns (protocol, information, compressed), protocol None if unusable."""
    if not ppp or (not ppp[0] & 1 and len(ppp) < 2):
        chk.report(PROTOCOL_FIELD, (f.number,), session.label(f.src, f.dst), session.side(f.src),
                   "PPP frame too short for a Protocol field")
        return None, b"", False
    if ppp[0] & 1:
        return ppp[0], ppp[1:], True
    protocol = (ppp[0] << 8) | ppp[1]
    if not protocol & 1:
        chk.report(PROTOCOL_FIELD, (f.number,), session.label(f.src, f.dst), session.side(f.src),
                   f"Protocol 0x{protocol:04x} is even")
        return None, b"", False
    return protocol, ppp[2:], False


def compressed_protocol(chk: Checker, p: Ppp) -> None:
    # The sender may compress only if the receiver asked for PFC and the sender acknowledged it.
    granted = p.sender.lcp().agreed()
    if p.sender.lcp().known and (granted is None or option(granted, LCP_PFC) is None):
        chk.report_ppp(PFC_UNNEGOTIATED, p, f"one-octet Protocol field 0x{p.protocol:02x} without negotiated PFC")


def rejected_protocol_sent(chk: Checker, p: Ppp) -> None:
    stopped = p.sender.stopped.get(p.protocol)
    if stopped is None:
        return
    ts, number = stopped
    if p.ts > ts + chk.restart_timer / 3:
        del p.sender.stopped[p.protocol]  # report once per Protocol-Reject
        chk.report_ppp(PROTREJ_HONOURED, p, f"{proto_name(p.protocol)} sent {p.ts - ts:.3f} s after the peer "
                                            "rejected that protocol", number)


# -- control packets ----------------------------------------------------------------------------

def control(chk: Checker, p: ControlPpp) -> None:
    c = p.control
    lcp = p.protocol == PROTO_LCP
    if not lcp:
        _phase(chk, p)
    if p.options is not None and lcp:
        _lcp_options(chk, p, p.options)
    if c.code == CONF_REQ:
        _configure_request(chk, p)
    elif c.code in (CONF_ACK, CONF_NAK, CONF_REJ):
        _configure_reply(chk, p)
    elif c.code == TERM_REQ:
        _terminate_request(chk, p)
    elif c.code == TERM_ACK:
        pending = p.receiver.neg(p.protocol).terms
        if pending and c.ident not in pending:
            chk.report_ppp(TERMACK_IDENT, p, f"Terminate-Ack id {c.ident} answers none of the pending "
                                             f"Terminate-Requests (ids {sorted(pending)})", *pending.values())
    elif c.code == CODE_REJ:
        _code_reject(chk, p)
    elif lcp and c.code == PROTO_REJ:
        _protocol_reject(chk, p)
    elif lcp and c.code in (ECHO_REQ, ECHO_REPLY, DISCARD_REQ):
        _echo(chk, p)


def _phase(chk: Checker, p: ControlPpp) -> None:
    lcp = p.sender.lcp()
    name = f"{proto_name(p.protocol)} {p.control.name}"
    if lcp.known and not lcp.opened:
        chk.report_ppp(NCP_BEFORE_LCP, p, f"{name} before the sender's LCP is Opened")
        return
    pending = auth_pending(p.session, p.sender.mac) if lcp.opened else None
    me = p.sender
    if pending == OWN and me.peer_answers and not me.auth_refused:
        # Its Success/Ack may be missing from a capture taken past a loss: judged when it shows.
        me.early_ncp = me.early_ncp or p.number
    elif pending:
        chk.report_ppp(NCP_BEFORE_AUTH, p, f"{name} before {pending} has succeeded")


OWN = "its own authentication of the peer"


def auth_pending(session: Session, mac: bytes) -> str | None:
    """What authentication the peer at `mac` still waits for, as it sees it, or None."""
    me = session.peers[mac]
    lcp = me.lcp()
    if _judged_auth(lcp.acked) and not me.auth_sent:
        return OWN
    if _judged_auth(lcp.agreed()) and not me.auth_rcvd:
        return "the peer's authentication of it"
    return None


def _judged_auth(options) -> bool:
    """An Authentication-Protocol option for PAP or CHAP, whose outcome the checker follows (not EAP)."""
    value = option(options, LCP_AUTH)
    return value is not None and value[:2] in (b"\xc0\x23", b"\xc2\x23")


def _lcp_options(chk: Checker, p: ControlPpp, options: list[tuple[int, bytes]]) -> None:
    code = p.control.code
    for opt_type, value in options:
        size = _LCP_SIZES.get(opt_type)
        if size and not size[0] <= len(value) + 2 <= size[1] and code != CONF_REJ:
            chk.report_ppp(LCP_OPTION_SIZE, p, f"{p.control.name}: LCP option {opt_type} has length {len(value) + 2}")
        elif opt_type == LCP_MAGIC and value == b"\0\0\0\0" and code in (CONF_REQ, CONF_ACK):
            chk.report_ppp(MAGIC_ZERO, p, f"{p.control.name} with a Magic-Number of zero")


def _configure_request(chk: Checker, p: ControlPpp) -> None:
    c = p.control
    mine = p.sender.neg(p.protocol)
    last = mine.last_request
    name = proto_name(p.protocol)
    if last is not None:
        ident, data, ts, number = last
        # An answer only counts once the sender has had time to process it: frames cross.
        answered = mine.answered.get(ident)
        answered = answered is not None and answered < p.ts - chk.restart_timer / 30
        if ident == c.ident and (data != c.data or answered):
            why = "its options changed" if data != c.data else "the previous one was answered"
            chk.report_ppp(REQ_IDENT, p, f"{name} Configure-Request reuses id {ident} though {why}", number)
        # Resending at once on the peer's first Configure-Request answers new input, not a timer;
        # that request may show on the wire just before the previous copy.
        prompted = mine.peer_spoke or (mine.peer_request_ts is not None and
                                       mine.peer_request_ts >= ts - chk.restart_timer / 20)
        if (ident == c.ident or data == c.data) and not prompted and p.ts - ts < chk.restart_timer / 2:
            chk.report_ppp(CONFIGURE_TIMER, p, f"{name} Configure-Request resent after {p.ts - ts:.3f} s, "
                                               f"restart timer {chk.restart_timer:g} s", number)
    if mine.unanswered >= chk.max_configure and not mine.max_configure_reported:
        mine.max_configure_reported = True
        chk.report_ppp(MAX_CONFIGURE, p, f"{name} Configure-Request number {mine.unanswered + 1} without an "
                                         f"answer (Max-Configure {chk.max_configure})")


def _configure_reply(chk: Checker, p: ControlPpp) -> None:
    c = p.control
    theirs = p.receiver.neg(p.protocol)
    rule_id, what = _NAK_OR_REJ[c.code]
    name = proto_name(p.protocol)
    request = theirs.requests.get(c.ident)
    if request is None:
        if theirs.requests or p.session.from_start:
            chk.report_ppp(rule_id, p, f"{name} {what} id {c.ident} answers no Configure-Request of the peer")
        return
    if c.code == CONF_ACK and c.data != request:
        chk.report_ppp(ACK_OPTIONS, p, f"{name} Configure-Ack id {c.ident} does not repeat the request's options "
                                       "exactly")
    elif c.code == CONF_REJ and p.options is not None and not _verbatim_subsequence(c.data, request):
        chk.report_ppp(REJ_OPTIONS, p, f"{name} Configure-Reject id {c.ident} names options that are not in the "
                                       "request verbatim and in order")
    if c.code in (CONF_NAK, CONF_REJ):
        other = CONF_REJ if c.code == CONF_NAK else CONF_NAK
        earlier = p.sender.neg(p.protocol).replies.get((c.ident, request), {}).get(other)
        if earlier is not None:
            chk.report_ppp(NAK_AND_REJECT, p, f"{name} Configure-Request id {c.ident} answered with both a "
                                              "Configure-Nak and a Configure-Reject", earlier)


def _verbatim_subsequence(rejected: bytes, request: bytes) -> bool:
    try:
        req = [bytes((t, len(v) + 2)) + v for t, v in decode_options(request)]
        rej = [bytes((t, len(v) + 2)) + v for t, v in decode_options(rejected)]
    except DecodeError:
        return True  # the request itself was malformed; that is reported on the request
    i = 0
    for opt in rej:
        while i < len(req) and req[i] != opt:
            i += 1
        if i == len(req):
            return False
        i += 1
    return True


def _terminate_request(chk: Checker, p: ControlPpp) -> None:
    c = p.control
    mine = p.sender.neg(p.protocol)
    name = proto_name(p.protocol)
    last = mine.last_term
    if last is not None and mine.term_unanswered:
        ident, data, ts, number = last
        if (ident == c.ident or data == c.data) and not mine.peer_spoke_since_term and \
                p.ts - ts < chk.restart_timer / 2:
            chk.report_ppp(TERMINATE_TIMER, p, f"{name} Terminate-Request resent after {p.ts - ts:.3f} s, "
                                               f"restart timer {chk.restart_timer:g} s", number)
    if mine.term_unanswered > chk.max_terminate and not mine.max_terminate_reported:
        mine.max_terminate_reported = True
        chk.report_ppp(MAX_TERMINATE, p, f"{name} Terminate-Request number {mine.term_unanswered + 1} without a "
                                         f"Terminate-Ack (Max-Terminate {chk.max_terminate})")


def _code_reject(chk: Checker, p: ControlPpp) -> None:
    data = p.control.data
    name = proto_name(p.protocol)
    if not data:
        chk.report_ppp(CODE_REJECT_COPY, p, f"{name} Code-Reject carries no rejected packet")
        return
    known = _LCP_CODES if p.protocol == PROTO_LCP else _NCP_CODES.get(p.protocol)
    if known is not None and data[0] in known:
        chk.report_ppp(CODE_REJECT_KNOWN, p, f"{name} Code-Reject of code {data[0]}, which {name} defines")
    _copy_of(chk, p, p.protocol, data, CODE_REJECT_COPY, f"{name} Code-Reject")


def _copy_of(chk: Checker, p: Ppp, protocol: int, data: bytes, rule_id: str, what: str) -> None:
    recent = p.receiver.recent.get(protocol)
    if not recent:
        if p.session.from_start:
            chk.report_ppp(rule_id, p, f"{what} rejects {proto_name(protocol)}, which the peer never sent")
        return
    for _, info in reversed(recent):
        if info.startswith(data) or (data.startswith(info) and len(info) > 0):
            return
    chk.report_ppp(rule_id, p, f"{what} does not carry a copy of a {proto_name(protocol)} packet the peer sent",
                   recent[-1][0])


def _protocol_reject(chk: Checker, p: ControlPpp) -> None:
    data = p.control.data
    lcp = p.sender.lcp()
    if lcp.known and not lcp.opened:
        chk.report_ppp(PROTREJ_OPENED, p, "Protocol-Reject outside the LCP Opened state")
    if len(data) < 2:
        chk.report_ppp(PROTREJ_COPY, p, "Protocol-Reject without a Rejected-Protocol field")
        return
    rejected = int.from_bytes(data[:2], "big")
    if rejected == PROTO_LCP:
        chk.report_ppp(PROTREJ_LCP, p, "Protocol-Reject of LCP")
        return
    _copy_of(chk, p, rejected, data[2:], PROTREJ_COPY, "Protocol-Reject")


def _echo(chk: Checker, p: ControlPpp) -> None:
    c = p.control
    lcp = p.sender.lcp()
    if lcp.known and not lcp.opened:
        chk.report_ppp(ECHO_OPENED, p, f"{c.name} outside the LCP Opened state")
        return
    if c.code == ECHO_REPLY:
        asked = p.receiver.lcp().echoes
        if c.ident not in asked and (asked or p.session.from_start):
            chk.report_ppp(ECHO_IDENT, p, f"Echo-Reply id {c.ident} answers no Echo-Request of the peer")
    if not lcp.opened:
        return
    magic = option(lcp.acked, LCP_MAGIC) or b"\0\0\0\0"
    if len(c.data) < 4:
        chk.report_ppp(ECHO_MAGIC, p, f"{c.name} too short for its Magic-Number field")
    elif c.data[:4] != magic:
        theirs = option(lcp.agreed(), LCP_MAGIC)
        whose = " (the peer's)" if theirs is not None and c.data[:4] == theirs else ""
        negotiated = f"negotiated 0x{magic.hex()}" if option(lcp.acked, LCP_MAGIC) else "negotiated none (so zero)"
        chk.report_ppp(ECHO_MAGIC, p, f"{c.name} carries magic 0x{c.data[:4].hex()}{whose}; the sender {negotiated}")


def finish(chk: Checker) -> None:
    """End of capture: nothing pending is itself a violation (loss can explain any silence)."""
