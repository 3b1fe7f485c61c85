"""How each packet moves the sender's and the receiver's negotiation state (after the rules ran)."""
from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING

from pppemu.conformance.model import AC, CLIENT, Negotiation
from pppemu.conformance.packet import ControlPpp, Ppp
from pppemu.wire.const import (
    CONF_ACK,
    CONF_NAK,
    CONF_REJ,
    CONF_REQ,
    ECHO_REQ,
    LCP_AUTH,
    PROTO_CHAP,
    PROTO_LCP,
    PROTO_PAP,
    PROTO_REJ,
    TERM_ACK,
    TERM_REQ,
)

if TYPE_CHECKING:
    from pppemu.conformance.checker import Checker

_RECENT = 4      # packets remembered per protocol and sender, for Code-Reject and Protocol-Reject copies
_IDS = 64        # identifiers remembered per kind before the oldest are forgotten


def remember(p: Ppp) -> None:
    if p.session.client is None:
        _learn_sides(p)
    recent = p.sender.recent.get(p.protocol)
    if recent is None:
        recent = p.sender.recent[p.protocol] = deque(maxlen=_RECENT)
    recent.append((p.number, p.info))


def _learn_sides(p: Ppp) -> None:
    """A session whose discovery was not seen: the authenticator is taken for the AC."""
    role = None
    if p.protocol == PROTO_LCP and p.control is not None and p.control.code == CONF_REQ:
        if any(t == LCP_AUTH for t, _ in p.options or ()):
            role = AC
    elif p.protocol == PROTO_CHAP and p.info[:1] == b"\x01":
        role = AC  # Challenge
    elif p.protocol == PROTO_PAP and p.info[:1] == b"\x01":
        role = CLIENT  # Authenticate-Request
    if role is not None:
        p.session.learn(p.sender.mac, role, p.receiver.mac)


def put_bounded(d: dict, key, value) -> None:
    if len(d) >= _IDS and key not in d:
        d.pop(next(iter(d)))
    d.pop(key, None)
    d[key] = value


def control(chk: Checker, p: ControlPpp) -> None:
    c = p.control
    mine = p.sender.neg(p.protocol)
    theirs = p.receiver.neg(p.protocol)
    lcp = p.protocol == PROTO_LCP
    theirs.peer_spoke = True
    theirs.peer_spoke_since_term = True
    if c.code == CONF_REQ:
        theirs.peer_request_ts = p.ts
        theirs.peer_requested = True
        theirs.peer_options = p.options
        retransmission = mine.last_request is not None and mine.last_request[:2] == (c.ident, c.data)
        if mine.opened and not retransmission:
            mine.close()  # Opened + RCR/RCA/RCN -> tld, scr (RFC 1661 section 4.1)
            if lcp:
                p.sender.reset_above_lcp()
        elif not retransmission:
            # A copy of the request the peer may just have acknowledged leaves that Ack valid: the
            # copy can have been sent before the Ack was processed.
            mine.ack_rcvd = False
            mine.acked = None
        if lcp:
            # A new LCP negotiation: the layers above start from Initial, in plain sight.
            p.sender.known_start = True
            p.sender.stopped.clear()
            for n in p.sender.negs.values():
                n.known = True
        mine.known = True
        put_bounded(mine.requests, c.ident, c.data)
        mine.last_request = (c.ident, c.data, p.ts, p.number)
        mine.peer_spoke = False
        mine.unanswered += 1
    elif c.code in (CONF_ACK, CONF_NAK, CONF_REJ):
        request = theirs.requests.get(c.ident)
        if request is not None:
            replies = mine.replies.get((c.ident, request))
            if replies is None:
                replies = {}
                put_bounded(mine.replies, (c.ident, request), replies)
            replies.setdefault(c.code, p.number)
        current = theirs.last_request is not None and theirs.last_request[0] == c.ident
        if current:
            put_bounded(theirs.answered, c.ident, p.ts)
            theirs.unanswered = 0
            theirs.max_configure_reported = False
        if c.code == CONF_ACK:
            mine.ack_sent = True
            mine.refused = False
            mine.granted = p.options
            if theirs.last_request is not None and theirs.last_request[:2] == (c.ident, c.data):
                theirs.ack_rcvd = True
                theirs.acked = p.options
        else:
            if mine.opened and lcp:
                p.sender.reset_above_lcp()
            mine.ack_sent = False
            mine.refused = True
    elif c.code == TERM_REQ:
        _leave(p, mine, lcp)
        put_bounded(mine.terms, c.ident, p.number)
        mine.term_unanswered += 1
        mine.last_term = (c.ident, c.data, p.ts, p.number)
        mine.peer_spoke_since_term = False
    elif c.code == TERM_ACK:
        _leave(p, mine, lcp)
        theirs.terms.clear()
        theirs.term_unanswered = 0
        theirs.max_terminate_reported = False
    elif lcp and c.code == ECHO_REQ:
        put_bounded(mine.echoes, c.ident, p.number)
    elif lcp and c.code == PROTO_REJ and len(c.data) >= 2:
        p.receiver.stopped[int.from_bytes(c.data[:2], "big")] = (p.ts, p.number)


def _leave(p: Ppp, mine: Negotiation, lcp: bool) -> None:
    mine.close()
    if lcp:
        p.sender.reset_above_lcp()
