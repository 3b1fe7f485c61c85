"""Authentication: CHAP (RFC 1994) and PAP (RFC 1334), and the LCP negotiation that selects them."""
from __future__ import annotations

from typing import TYPE_CHECKING

from pppemu.conformance import rfc1661
from pppemu.conformance.catalog import MUST, SHOULD, rule
from pppemu.conformance.packet import Ppp, option
from pppemu.conformance.tracking import put_bounded
from pppemu.wire import DecodeError, decode_chap, decode_pap
from pppemu.wire.const import (
    CHAP_CHALLENGE,
    CHAP_FAILURE,
    CHAP_MD5,
    CHAP_RESPONSE,
    CHAP_SUCCESS,
    LCP_AUTH,
    PAP_ACK,
    PAP_NAK,
    PAP_REQUEST,
    PROTO_CHAP,
    PROTO_PAP,
)

if TYPE_CHECKING:
    from pppemu.conformance.checker import Checker

CHAP_FORMAT = rule("rfc1994.packet.format", "RFC 1994 §4", MUST,
                   "a CHAP packet's Length and Value-Size fit the octets present")
CHAP_NEGOTIATED = rule("rfc1994.negotiated", "RFC 1994 §3, RFC 1661 §3.5", MUST,
                       "CHAP is used only when an authenticator's Configure-Request asked for it and was acknowledged")
CHAP_ROLE = rule("rfc1994.role", "RFC 1994 §4", MUST,
                 "Challenge, Success and Failure come from the authenticator, Response from the peer it challenged")
CHAP_RESPONSE_ID = rule("rfc1994.response.identifier", "RFC 1994 §4.1", MUST,
                        "a Response carries the Identifier of the Challenge it answers")
CHAP_MD5_SIZE = rule("rfc1994.response.md5_size", "RFC 1994 §4.1, RFC 1321", MUST,
                     "an MD5 Response value is 16 octets")
CHAP_RESULT_ID = rule("rfc1994.result.identifier", "RFC 1994 §4.2", MUST,
                      "Success and Failure carry the Identifier of the Response they answer")
CHAP_UNIQUE = rule("rfc1994.challenge.unique", "RFC 1994 §2.3", SHOULD,
                   "each new Challenge (new Identifier) has a new value")
PAP_FORMAT = rule("rfc1334.packet.format", "RFC 1334 §2.2", MUST,
                  "a PAP packet's Length and length octets fit the octets present")
PAP_NEGOTIATED = rule("rfc1334.negotiated", "RFC 1334 §2.1, RFC 1661 §3.5", MUST,
                      "PAP is used only when an authenticator's Configure-Request asked for it and was acknowledged")
PAP_ROLE = rule("rfc1334.role", "RFC 1334 §2.2", MUST,
                "Authenticate-Request comes from the side asked to authenticate, Ack/Nak from the authenticator")
PAP_REPLY_ID = rule("rfc1334.reply.identifier", "RFC 1334 §2.2.2", MUST,
                    "Authenticate-Ack/Nak carry the Identifier of the Authenticate-Request")


def _asked(lcp_options, protocol: int) -> bytes | None:
    """The Authentication-Protocol option's data when it selects `protocol`."""
    value = option(lcp_options, LCP_AUTH)
    if value is not None and len(value) >= 2 and int.from_bytes(value[:2], "big") == protocol:
        return value
    return None


def _negotiation(chk: Checker, p: Ppp, protocol: int, from_authenticator: bool, what: str,
                 negotiated_rule: str, role_rule: str) -> bool:
    """Phase and LCP checks shared by CHAP and PAP; returns True when roles could be judged and fit."""
    mine, theirs = p.sender.lcp(), p.receiver.lcp()
    if mine.known and not mine.opened:
        chk.report_ppp(rfc1661.AUTH_BEFORE_LCP, p, f"{what} before the sender's LCP is Opened")
        return False
    if not (mine.opened and theirs.known):
        return False
    # The authenticator asked in its own Configure-Request; the peer acknowledged it.
    sender_authenticates = _asked(mine.acked, protocol) is not None
    receiver_authenticates = _asked(mine.agreed(), protocol) is not None
    if not sender_authenticates and not receiver_authenticates:
        chk.report_ppp(negotiated_rule, p, f"{what} though neither side negotiated it in LCP")
        return False
    if from_authenticator and not sender_authenticates:
        chk.report_ppp(role_rule, p, f"{what} from the side that did not ask to authenticate its peer")
        return False
    if not from_authenticator and not receiver_authenticates:
        chk.report_ppp(role_rule, p, f"{what} from a side its peer did not ask to authenticate")
        return False
    return True


def chap(chk: Checker, p: Ppp) -> None:
    try:
        pkt = decode_chap(p.info)
    except DecodeError as e:
        chk.report_ppp(CHAP_FORMAT, p, f"malformed CHAP packet: {e}")
        return
    names = {CHAP_CHALLENGE: "Challenge", CHAP_RESPONSE: "Response", CHAP_SUCCESS: "Success",
             CHAP_FAILURE: "Failure"}
    name = names.get(pkt.code)
    if name is None:
        return  # codes RFC 1994 does not define are not judged
    roles_ok = _negotiation(chk, p, PROTO_CHAP, pkt.code != CHAP_RESPONSE, f"CHAP {name}", CHAP_NEGOTIATED,
                            CHAP_ROLE)
    known = p.session.from_start or roles_ok
    if pkt.code == CHAP_CHALLENGE:
        earlier = p.sender.challenge_values.get(pkt.value)
        if earlier is not None and earlier != pkt.ident and pkt.value:
            chk.report_ppp(CHAP_UNIQUE, p, f"Challenge id {pkt.ident} repeats the value of Challenge id {earlier}",
                           p.sender.challenges.get(earlier, (b"", 0))[1])
        put_bounded(p.sender.challenges, pkt.ident, (pkt.value, p.number))
        put_bounded(p.sender.challenge_values, pkt.value, pkt.ident)
    elif pkt.code == CHAP_RESPONSE:
        asked = p.receiver.challenges
        if pkt.ident not in asked and (asked or known):
            chk.report_ppp(CHAP_RESPONSE_ID, p, f"Response id {pkt.ident} answers no Challenge of the peer")
        algorithm = _asked(p.sender.lcp().agreed(), PROTO_CHAP)
        if algorithm is not None and algorithm[2:3] == bytes((CHAP_MD5,)) and len(pkt.value) != 16:
            chk.report_ppp(CHAP_MD5_SIZE, p, f"MD5 Response value of {len(pkt.value)} octets")
        put_bounded(p.sender.responses, pkt.ident, p.number)
        _answered(p)
    else:
        answered = p.receiver.responses
        if pkt.ident not in answered and (answered or known):
            chk.report_ppp(CHAP_RESULT_ID, p, f"{name} id {pkt.ident} answers no Response of the peer")
        _result(chk, p, pkt.code == CHAP_SUCCESS, f"CHAP {name}")


def pap(chk: Checker, p: Ppp) -> None:
    try:
        pkt = decode_pap(p.info)
    except DecodeError as e:
        chk.report_ppp(PAP_FORMAT, p, f"malformed PAP packet: {e}")
        return
    names = {PAP_REQUEST: "Authenticate-Request", PAP_ACK: "Authenticate-Ack", PAP_NAK: "Authenticate-Nak"}
    name = names.get(pkt.code)
    if name is None:
        return
    roles_ok = _negotiation(chk, p, PROTO_PAP, pkt.code != PAP_REQUEST, f"PAP {name}", PAP_NEGOTIATED, PAP_ROLE)
    if pkt.code == PAP_REQUEST:
        put_bounded(p.sender.pap_requests, pkt.ident, p.number)
        _answered(p)
        return
    asked = p.receiver.pap_requests
    if pkt.ident not in asked and (asked or p.session.from_start or roles_ok):
        chk.report_ppp(PAP_REPLY_ID, p, f"{name} id {pkt.ident} answers no Authenticate-Request of the peer")
    _result(chk, p, pkt.code == PAP_ACK, f"PAP {name}")


def _answered(p: Ppp) -> None:
    p.receiver.peer_answers += 1


def _result(chk: Checker, p: Ppp, success: bool, what: str) -> None:
    me = p.sender
    if success:
        # Only a single Response proves the order: a repeated one may follow a Success that was lost
        # before reaching the capture point, and the early-looking packet may answer that one.
        if me.early_ncp and not me.auth_sent and me.peer_answers == 1:
            chk.report_ppp(rfc1661.NCP_BEFORE_AUTH, p, f"NCP packet sent before this {what}", me.early_ncp)
        me.auth_sent = True
        p.receiver.auth_rcvd = True
    else:
        me.auth_refused = True
    me.early_ncp = 0
