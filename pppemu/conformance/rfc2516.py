"""RFC 2516, PPP over Ethernet: discovery (section 5), the session stage (sections 4 and 6)
and the LCP options PPPoE constrains (section 7)."""
from __future__ import annotations

import struct
from typing import TYPE_CHECKING

from pppemu.conformance import rfc4638, vlan
from pppemu.conformance.catalog import MUST, SHOULD, rule
from pppemu.conformance.model import AC, CLIENT, UNKNOWN, Frame, Sent, Session, pair_label
from pppemu.conformance.packet import ControlPpp
from pppemu.wire.const import (
    CONF_ACK,
    CONF_NAK,
    CONF_REQ,
    ERROR_TAGS,
    LCP_ACCM,
    LCP_ACFC,
    LCP_MAGIC,
    LCP_MRU,
    LCP_PFC,
    PADI,
    PADO,
    PADR,
    PADS,
    PADT,
    PPPOE_MRU,
    TAG_AC_COOKIE,
    TAG_AC_NAME,
    TAG_END_OF_LIST,
    TAG_HOST_UNIQ,
    TAG_RELAY_SESSION_ID,
    TAG_SERVICE_NAME,
)

if TYPE_CHECKING:
    from pppemu.conformance.checker import Checker

LCP_FCS_ALTERNATIVES = 9
BROADCAST = b"\xff" * 6
PADI_MAX = 1484
# Discovery codes defined after RFC 2516: PADM/PADN (RFC 4937), PADG/PADC/PADQ (RFC 5578).
LATER_CODES = (0xD3, 0xD4, 0x0A, 0x0B, 0x0C)

VERSION_TYPE = rule("rfc2516.header.version_type", "RFC 2516 §4", MUST, "VER and TYPE are both 1 (0x11)")
LENGTH = rule("rfc2516.header.length", "RFC 2516 §4", MUST,
              "the LENGTH field covers the PPPoE payload actually present")
TAG_LENGTH = rule("rfc2516.tag.length", "RFC 2516 §4, Appendix A", MUST,
                  "every TAG header and value fits inside the PPPoE payload")
CODE = rule("rfc2516.discovery.code", "RFC 2516 §4", MUST, "a discovery packet uses a defined CODE")
PADI_BROADCAST = rule("rfc2516.padi.broadcast", "RFC 2516 §5.1", MUST, "PADI goes to the broadcast address")
PADI_SIZE = rule("rfc2516.padi.size", "RFC 2516 §5.1", MUST,
                 "a PADI, PPPoE header included, does not exceed 1484 octets")
PADI_SID = rule("rfc2516.padi.session_id", "RFC 2516 §5.1", MUST, "PADI has SESSION_ID 0")
PADI_SERVICE = rule("rfc2516.padi.service_name", "RFC 2516 §5.1", MUST, "PADI carries exactly one Service-Name")
PADO_UNICAST = rule("rfc2516.pado.unicast", "RFC 2516 §5.2", MUST, "PADO goes to the host's unicast address")
PADO_SID = rule("rfc2516.pado.session_id", "RFC 2516 §5.2", MUST, "PADO has SESSION_ID 0")
PADO_AC_NAME = rule("rfc2516.pado.ac_name", "RFC 2516 §5.2", MUST, "PADO carries one AC-Name")
PADO_SERVICE = rule("rfc2516.pado.service_name", "RFC 2516 §5.2", MUST,
                    "PADO carries a Service-Name, the one the PADI asked for if it named one")
PADO_HOST_UNIQ = rule("rfc2516.pado.host_uniq", "RFC 2516 Appendix A", MUST,
                      "PADO echoes the PADI's Host-Uniq unchanged")
PADO_RELAY = rule("rfc2516.pado.relay_session_id", "RFC 2516 Appendix A", MUST,
                  "PADO echoes the PADI's Relay-Session-Id unchanged")
PADR_UNICAST = rule("rfc2516.padr.unicast", "RFC 2516 §5.3", MUST, "PADR goes to the AC's unicast address")
PADR_SID = rule("rfc2516.padr.session_id", "RFC 2516 §5.3", MUST, "PADR has SESSION_ID 0")
PADR_SERVICE = rule("rfc2516.padr.service_name", "RFC 2516 §5.3", MUST, "PADR carries exactly one Service-Name")
PADR_COOKIE = rule("rfc2516.padr.ac_cookie", "RFC 2516 Appendix A", MUST,
                   "PADR returns the PADO's AC-Cookie unchanged")
PADR_RELAY = rule("rfc2516.padr.relay_session_id", "RFC 2516 Appendix A", MUST,
                  "PADR echoes the PADO's Relay-Session-Id unchanged")
PADS_UNICAST = rule("rfc2516.pads.unicast", "RFC 2516 §5.4", MUST, "PADS goes to the host's unicast address")
PADS_SID = rule("rfc2516.pads.session_id", "RFC 2516 §4, §5.4", MUST,
                "a PADS that accepts a session gives it an id other than 0 and 0xFFFF")
PADS_ERROR_SID = rule("rfc2516.pads.error_session_id", "RFC 2516 §5.4", MUST,
                      "a PADS carrying an error tag has SESSION_ID 0")
PADS_SERVICE = rule("rfc2516.pads.service_name", "RFC 2516 §5.4", MUST,
                    "a PADS that accepts a session carries exactly one Service-Name")
PADS_HOST_UNIQ = rule("rfc2516.pads.host_uniq", "RFC 2516 Appendix A", MUST,
                      "PADS echoes the PADR's Host-Uniq unchanged")
PADS_RELAY = rule("rfc2516.pads.relay_session_id", "RFC 2516 Appendix A", MUST,
                  "PADS echoes the PADR's Relay-Session-Id unchanged")
PADS_UNSOLICITED = rule("rfc2516.pads.unsolicited", "RFC 2516 §5.4", MUST, "a PADS answers a PADR from that host")
PADT_UNICAST = rule("rfc2516.padt.unicast", "RFC 2516 §5.5", MUST, "PADT goes to the peer's unicast address")
PADT_SID = rule("rfc2516.padt.session_id", "RFC 2516 §5.5", MUST,
                "PADT's SESSION_ID names a session that exists between the two MACs")
PADT_AFTER = rule("rfc2516.padt.traffic_after", "RFC 2516 §5.5", MUST,
                  "no PPP traffic, not even LCP termination, on a session after a PADT")
SESSION_CODE = rule("rfc2516.session.code", "RFC 2516 §6", MUST, "session-stage packets have CODE 0")
SESSION_ID = rule("rfc2516.session.id", "RFC 2516 §4, §5.4", MUST,
                  "session traffic uses an assigned SESSION_ID, never 0 or 0xFFFF")
SESSION_UNICAST = rule("rfc2516.session.unicast", "RFC 2516 §6", MUST, "session traffic goes to the peer's unicast MAC")
BEFORE_PADS = rule("rfc2516.session.before_pads", "RFC 2516 §5.4, §6", MUST,
                   "no session traffic for a session while its PADR is still unanswered")
LCP_MRU_RULE = rule("rfc2516.lcp.mru", "RFC 2516 §7", MUST,
                    "the MRU is not negotiated above 1492 (without RFC 4638)")
LCP_ACCM_RULE = rule("rfc2516.lcp.accm", "RFC 2516 §7", MUST, "ACCM is not requested")
LCP_FCS_RULE = rule("rfc2516.lcp.fcs_alternatives", "RFC 2516 §7", MUST, "FCS-Alternatives is not requested")
LCP_ACFC_RULE = rule("rfc2516.lcp.acfc", "RFC 2516 §7", MUST, "ACFC is not requested")
LCP_NOT_REJECTED = rule("rfc2516.lcp.must_reject", "RFC 2516 §7", MUST,
                        "a request for ACCM, FCS-Alternatives or ACFC is rejected, not acknowledged or Nak'd")
LCP_PFC_RULE = rule("rfc2516.lcp.pfc", "RFC 2516 §7", SHOULD, "PFC is not requested")
LCP_MAGIC_RULE = rule("rfc2516.lcp.magic", "RFC 2516 §7", SHOULD, "the Magic-Number option is negotiated")

_FORBIDDEN = {LCP_ACCM: ("ACCM", LCP_ACCM_RULE), LCP_FCS_ALTERNATIVES: ("FCS-Alternatives", LCP_FCS_RULE),
              LCP_ACFC: ("ACFC", LCP_ACFC_RULE)}
_NAMES = {PADI: "PADI", PADO: "PADO", PADR: "PADR", PADS: "PADS", PADT: "PADT"}


# -- discovery ---------------------------------------------------------------------------------

def discovery(chk: Checker, f: Frame) -> None:
    data = f.payload
    label = pair_label(f.src, f.dst, f.vlan)
    if len(data) < 6:
        chk.report(LENGTH, (f.number,), label, "unknown", f"discovery packet of {len(data)} octets has no full header")
        return
    ver_type, code, sid, length = struct.unpack_from("!BBHH", data)
    sender = _discovery_side(code)
    if code in (PADO, PADS, PADR, PADT):
        label = _label(chk, f, code)
    if ver_type != 0x11:
        chk.report(VERSION_TYPE, (f.number,), label, sender, f"discovery VER/TYPE is 0x{ver_type:02x}, not 0x11")
        return
    if 6 + length > len(data):
        chk.report(LENGTH, (f.number,), label, sender,
                   f"{_NAMES.get(code, 'discovery')} LENGTH {length} exceeds the {len(data) - 6} octets present")
        return
    tags, error = _tags(data[6:6 + length])
    if error:
        chk.report(TAG_LENGTH, (f.number,), label, sender, f"{_NAMES.get(code, 'discovery')}: {error}")
        return
    if code in (PADO, PADS):
        moved = vlan.discovery_answer(chk, f, code, tags)
        if moved is not f:  # reported; judged from here on as if on the host's stack
            f, label = moved, _label(chk, moved, code)
    sent = Sent(f, tags)
    if code == PADI:
        _padi(chk, f, sid, length, sent, label)
    elif code == PADO:
        _pado(chk, f, sid, sent, label)
    elif code == PADR:
        _padr(chk, f, sid, sent, label)
    elif code == PADS:
        _pads(chk, f, sid, sent, label)
    elif code == PADT:
        _padt(chk, f, sid, label)
    elif code not in LATER_CODES:
        chk.report(CODE, (f.number,), label, "unknown", f"discovery CODE 0x{code:02x} is not defined")


def _discovery_side(code: int) -> str:
    return CLIENT if code in (PADI, PADR) else AC if code in (PADO, PADS) else "unknown"


def _label(chk: Checker, f: Frame, code: int) -> str:
    if code in (PADO, PADS):
        return pair_label(f.dst, f.src, f.vlan)
    if code == PADR:
        return pair_label(f.src, f.dst, f.vlan)
    if chk.roles.get(f.src) == AC:
        return pair_label(f.dst, f.src, f.vlan)
    return pair_label(f.src, f.dst, f.vlan)


def _tags(body: bytes) -> tuple[list[tuple[int, bytes]], str | None]:
    tags: list[tuple[int, bytes]] = []
    offset = 0
    while offset < len(body):
        if len(body) - offset < 4:
            return tags, f"{len(body) - offset} stray octets where a TAG header should be"
        tag_type, tag_len = struct.unpack_from("!HH", body, offset)
        offset += 4
        if offset + tag_len > len(body):
            return tags, f"TAG 0x{tag_type:04x} of length {tag_len} runs past the payload"
        if tag_type == TAG_END_OF_LIST:
            break
        tags.append((tag_type, body[offset:offset + tag_len]))
        offset += tag_len
    return tags, None


def _unicast(mac: bytes) -> bool:
    return not mac[0] & 1


def _padi(chk: Checker, f: Frame, sid: int, length: int, sent: Sent, label: str) -> None:
    n = (f.number,)
    if f.dst != BROADCAST:
        chk.report(PADI_BROADCAST, n, label, CLIENT, "PADI not sent to the broadcast address")
    if 6 + length > PADI_MAX:
        chk.report(PADI_SIZE, n, label, CLIENT, f"PADI of {6 + length} octets exceeds {PADI_MAX}")
    if sid != 0:
        chk.report(PADI_SID, n, label, CLIENT, f"PADI with SESSION_ID 0x{sid:04x}")
    services = len(sent.values(TAG_SERVICE_NAME))
    if services != 1:
        chk.report(PADI_SERVICE, n, label, CLIENT, f"PADI carries {services} Service-Name tags")
    rfc4638.request(chk, sent, label, "PADI")
    chk.learn_role(f.src, CLIENT)
    vlan.learn(chk, f)
    chk.host(f.vlan, f.src).padis.add(sent)


def _echoed(chk: Checker, rule_id: str, what: str, tag: int, request: Sent, answer: Sent, label: str, side: str,
            names: tuple[str, str]) -> None:
    """An answer must carry the request's tag value unchanged."""
    wanted, got = request.values(tag), answer.values(tag)
    if wanted and (not got or got[0] != wanted[0]):
        change = "omits" if not got else "changes"
        chk.report(rule_id, (request.frame.number, answer.frame.number), label, side,
                   f"{names[1]} {change} the {what} of the {names[0]}")


def _pado(chk: Checker, f: Frame, sid: int, sent: Sent, label: str) -> None:
    n = (f.number,)
    if not _unicast(f.dst):
        chk.report(PADO_UNICAST, n, label, AC, "PADO sent to a group address")
    if sid != 0:
        chk.report(PADO_SID, n, label, AC, f"PADO with SESSION_ID 0x{sid:04x}")
    names = len(sent.values(TAG_AC_NAME))
    if names != 1:
        chk.report(PADO_AC_NAME, n, label, AC, f"PADO carries {names} AC-Name tags")
    host = chk.hosts.get((f.vlan, f.dst))
    padi = host.padis.match(sent) if host else None
    services = sent.values(TAG_SERVICE_NAME)
    if not services:
        chk.report(PADO_SERVICE, n, label, AC, "PADO carries no Service-Name")
    elif padi is not None:
        asked = padi.values(TAG_SERVICE_NAME)
        if asked and asked[0] and asked[0] not in services:
            chk.report(PADO_SERVICE, (padi.frame.number, f.number), label, AC,
                       f"PADO does not offer the Service-Name {asked[0]!r} the PADI asked for")
    if padi is not None:
        _echoed(chk, PADO_HOST_UNIQ, "Host-Uniq", TAG_HOST_UNIQ, padi, sent, label, AC, ("PADI", "PADO"))
        _echoed(chk, PADO_RELAY, "Relay-Session-Id", TAG_RELAY_SESSION_ID, padi, sent, label, AC, ("PADI", "PADO"))
        relay = sent.first(TAG_RELAY_SESSION_ID)
        # A tag the PADI did not carry: an agent relaying between this capture point and the AC put
        # it there on its way back to the host, and takes it off the PADS again (RFC 2516 Appendix A).
        sent.relay_added = relay is not None and relay not in padi.values(TAG_RELAY_SESSION_ID)
    rfc4638.reply(chk, padi, sent, label, ("PADI", "PADO"))
    chk.learn_role(f.src, AC)
    host = chk.host(f.vlan, f.dst)
    host.add(host.pados, f.src, sent)


def _padr(chk: Checker, f: Frame, sid: int, sent: Sent, label: str) -> None:
    n = (f.number,)
    if not _unicast(f.dst):
        chk.report(PADR_UNICAST, n, label, CLIENT, "PADR sent to a group address")
    if sid != 0:
        chk.report(PADR_SID, n, label, CLIENT, f"PADR with SESSION_ID 0x{sid:04x}")
    services = len(sent.values(TAG_SERVICE_NAME))
    if services != 1:
        chk.report(PADR_SERVICE, n, label, CLIENT, f"PADR carries {services} Service-Name tags")
    host = chk.host(f.vlan, f.src)
    pados = host.pados.get(f.dst)
    pado = pados.match(sent, TAG_AC_COOKIE) if pados else None
    if pado is not None:
        cookie = pado.values(TAG_AC_COOKIE)
        got = sent.values(TAG_AC_COOKIE)
        if cookie and (not got or got[0] != cookie[0]):
            chk.report(PADR_COOKIE, (pado.frame.number, f.number), label, CLIENT,
                       f"PADR {'omits' if not got else 'changes'} the AC-Cookie of the PADO")
        wanted = pado.values(TAG_RELAY_SESSION_ID)
        got = sent.values(TAG_RELAY_SESSION_ID)
        if wanted and (not got or got[0] != wanted[0]):
            chk.report(PADR_RELAY, (pado.frame.number, f.number), label, CLIENT,
                       f"PADR {'omits' if not got else 'changes'} the Relay-Session-Id of the PADO")
        sent.relay_added = pado.relay_added and sent.first(TAG_RELAY_SESSION_ID) == pado.first(TAG_RELAY_SESSION_ID)
    rfc4638.request(chk, sent, label, "PADR")
    chk.learn_role(f.src, CLIENT)
    vlan.learn(chk, f)
    host.add(host.padrs, f.dst, sent)
    chk.remember(chk.pending, (f.vlan, f.src, f.dst), f.number)


def _pads(chk: Checker, f: Frame, sid: int, sent: Sent, label: str) -> None:
    n = (f.number,)
    if not _unicast(f.dst):
        chk.report(PADS_UNICAST, n, label, AC, "PADS sent to a group address")
        return  # it confirms nothing to anyone
    error = any(t in ERROR_TAGS for t, _ in sent.tags)
    if error:
        if sid != 0:
            chk.report(PADS_ERROR_SID, n, label, AC, f"PADS with an error tag has SESSION_ID 0x{sid:04x}, not 0")
    else:
        if sid in (0, 0xFFFF):
            chk.report(PADS_SID, n, label, AC, f"PADS accepts a session with the reserved SESSION_ID 0x{sid:04x}")
        services = len(sent.values(TAG_SERVICE_NAME))
        if services != 1:
            chk.report(PADS_SERVICE, n, label, AC, f"PADS carries {services} Service-Name tags")
    host = chk.hosts.get((f.vlan, f.dst))
    padrs = host.padrs.get(f.src) if host else None
    padr = padrs.match(sent) if padrs else None
    if not padrs and not (host and host.forgot_ac):
        chk.report(PADS_UNSOLICITED, n, label, AC, "PADS without a PADR from that host to this AC")
    elif padr is not None:  # judged against the PADR it answers, when that can be told
        _echoed(chk, PADS_HOST_UNIQ, "Host-Uniq", TAG_HOST_UNIQ, padr, sent, label, AC, ("PADR", "PADS"))
        if not (padr.relay_added and sent.first(TAG_RELAY_SESSION_ID) is None):
            # Not when the agent that added the tag on the host's side of it took it off again: the
            # AC never saw that tag, and RFC 2516 binds only a Host or an AC to echo it.
            _echoed(chk, PADS_RELAY, "Relay-Session-Id", TAG_RELAY_SESSION_ID, padr, sent, label, AC,
                    ("PADR", "PADS"))
    max_payload = rfc4638.reply(chk, padr, sent, label, ("PADR", "PADS"))
    chk.learn_role(f.src, AC)
    chk.pending.pop((f.vlan, f.dst, f.src), None)
    if error or sid in (0, 0xFFFF):
        return
    chk.remember(chk.pads_pairs, (f.vlan, f.dst, f.src), f.number)
    key = chk.session_key(f, sid)
    session = chk.sessions.get(key)
    if session is None or session.padt is not None or not session.from_start:
        # A repeated PADS (to a repeated PADR) confirms the live session; otherwise one starts here.
        session = chk.new_session(key, Session(f.vlan, sid, f.dst, f.src, from_start=True))
    session.max_payload = max_payload
    session.pads_frame = f.number


def _padt(chk: Checker, f: Frame, sid: int, label: str) -> None:
    session = chk.find_session(f, sid, "PADT")
    side = session.side(f.src) if session else chk.roles.get(f.src, UNKNOWN)
    if session is not None:
        label = session.label(f.src, f.dst)
    n = (f.number,)
    if not _unicast(f.dst):
        chk.report(PADT_UNICAST, n, label, side, "PADT sent to a group address")
    if sid in (0, 0xFFFF):
        chk.report(PADT_SID, n, label, side, f"PADT names the reserved SESSION_ID 0x{sid:04x}")
        return
    if session is None:
        # Only a pair whose discovery this capture saw can be known to have no such session.
        pair = (f.vlan, f.src, f.dst) if (f.vlan, f.src, f.dst) in chk.pads_pairs else (f.vlan, f.dst, f.src)
        if pair in chk.pads_pairs:
            chk.report(PADT_SID, n, label, side, f"PADT for session 0x{sid:04x}, which these MACs never set up")
        return
    if session.padt is None:
        session.padt = (f.ts, f.number, f.src)


# -- session stage ------------------------------------------------------------------------------

def session_header(chk: Checker, f: Frame) -> tuple[int, bytes] | None:
    """Check the PPPoE session header; returns (session id, PPP frame) when the frame is usable."""
    data = f.payload
    label = pair_label(f.src, f.dst, f.vlan)
    if len(data) < 6:
        chk.report(LENGTH, (f.number,), label, _role(chk, f), f"session frame of {len(data)} octets has no full header")
        return None
    ver_type, code, sid, length = struct.unpack_from("!BBHH", data)
    if ver_type != 0x11:
        chk.report(VERSION_TYPE, (f.number,), label, _role(chk, f), f"session VER/TYPE is 0x{ver_type:02x}, not 0x11")
        return None
    if 6 + length > len(data):
        chk.report(LENGTH, (f.number,), label, _role(chk, f),
                   f"session LENGTH {length} exceeds the {len(data) - 6} octets present")
        return None
    if code != 0:
        chk.report(SESSION_CODE, (f.number,), label, _role(chk, f), f"session frame with CODE 0x{code:02x}")
    if sid in (0, 0xFFFF):
        chk.report(SESSION_ID, (f.number,), label, _role(chk, f), f"session traffic on SESSION_ID 0x{sid:04x}")
    if not _unicast(f.dst):
        chk.report(SESSION_UNICAST, (f.number,), label, _role(chk, f), "session frame sent to a group address")
    return sid, data[6:6 + length]


def _role(chk: Checker, f: Frame) -> str:
    return chk.roles.get(f.src, "unknown")


def before_pads(chk: Checker, f: Frame, session: Session) -> None:
    # Only the host is judged: an AC's PADS may have been lost before reaching the capture point,
    # but a host must not talk on a session it has not been given.
    padr = chk.pending.get((f.vlan, f.src, f.dst))
    if padr is not None:
        chk.report(BEFORE_PADS, (padr, f.number), session.label(f.src, f.dst), session.side(f.src),
                   f"session traffic on 0x{session.sid:04x} before the AC answered the PADR")


def session_traffic(chk: Checker, f: Frame, session: Session) -> bool:
    """PPP traffic after a PADT (section 5.5); returns False when the frame is past it."""
    if session.padt is None:
        return True
    ts, number, _ = session.padt
    if f.ts > ts + chk.padt_grace and not session.ended_reported:
        session.ended_reported = True
        chk.report(PADT_AFTER, (number, f.number), session.label(f.src, f.dst), session.side(f.src),
                   f"PPP traffic {f.ts - ts:.3f} s after the PADT")
    return False


# -- section 7: LCP over PPPoE -------------------------------------------------------------------

def lcp(chk: Checker, p: ControlPpp) -> None:
    code = p.control.code
    if p.options is None or code not in (CONF_REQ, CONF_ACK, CONF_NAK):
        return
    limit = p.session.max_payload or PPPOE_MRU
    for opt_type, value in p.options:
        if opt_type in _FORBIDDEN:
            name, rule_id = _FORBIDDEN[opt_type]
            if code == CONF_REQ:
                chk.report_ppp(rule_id, p, f"Configure-Request asks for {name}")
            else:
                chk.report_ppp(LCP_NOT_REJECTED, p, f"{p.control.name} answers a request for {name} instead of a "
                                                    "Configure-Reject")
        elif opt_type == LCP_MRU and len(value) == 2 and p.session.max_payload is None:
            mru = int.from_bytes(value, "big")
            if mru > limit:
                chk.report_ppp(LCP_MRU_RULE, p, f"{p.control.name} with MRU {mru} above {limit}")
        elif opt_type == LCP_PFC and code == CONF_REQ:
            chk.report_ppp(LCP_PFC_RULE, p, "Configure-Request asks for Protocol-Field-Compression")
    if code == CONF_REQ and p.sender.first_lcp_request:
        p.sender.first_lcp_request = False
        if not any(t == LCP_MAGIC for t, _ in p.options):
            chk.report_ppp(LCP_MAGIC_RULE, p, "LCP negotiation starts without a Magic-Number")
