"""The RFC 1661 option-negotiation automaton, written once for LCP, IPCP and IPv6CP.

The state table (RFC 1661 section 4.1) is the literal dict TABLE below: one entry per
cell, ``(state, event) -> (actions, next state)``. A cell that is absent is an event
the RFC marks illegal in that state; it is counted and ignored.

The automaton owns states, identifiers, the restart counter and timer. What differs
between protocols -- which options to request and how to judge the peer's -- lives in
a :class:`Policy`. Nothing here reads a clock: every entry point takes ``now``.
"""
from __future__ import annotations

from collections.abc import Callable
from enum import IntEnum

from pppemu.wire import const as C
from pppemu.wire.control import Options, decode_options, encode_options
from pppemu.wire.errors import DecodeError


class State(IntEnum):
    INITIAL = 0
    STARTING = 1
    CLOSED = 2
    STOPPED = 3
    CLOSING = 4
    STOPPING = 5
    REQ_SENT = 6
    ACK_RCVD = 7
    ACK_SENT = 8
    OPENED = 9


S = State
# Events, named as in the RFC.
UP, DOWN, OPEN, CLOSE = "Up", "Down", "Open", "Close"
TO_PLUS, TO_MINUS = "TO+", "TO-"
RCR_PLUS, RCR_MINUS, RCA, RCN = "RCR+", "RCR-", "RCA", "RCN"
RTR, RTA, RUC, RXJ_PLUS, RXJ_MINUS, RXR = "RTR", "RTA", "RUC", "RXJ+", "RXJ-", "RXR"
EVENTS = (UP, DOWN, OPEN, CLOSE, TO_PLUS, TO_MINUS, RCR_PLUS, RCR_MINUS, RCA, RCN,
          RTR, RTA, RUC, RXJ_PLUS, RXJ_MINUS, RXR)

# Actions: tlu/tld/tls/tlf this-layer up/down/started/finished; irc/zrc initialise/zero
# the restart counter; scr/sca/scn/str/sta/scj/ser send Configure-Request/-Ack/-Nak,
# Terminate-Request/-Ack, Code-Reject, Echo-Reply.
TABLE: dict[tuple[State, str], tuple[tuple[str, ...], State]] = {
    (S.INITIAL, UP): ((), S.CLOSED),
    (S.INITIAL, OPEN): (("tls",), S.STARTING),
    (S.INITIAL, CLOSE): ((), S.INITIAL),

    (S.STARTING, UP): (("irc", "scr"), S.REQ_SENT),
    (S.STARTING, OPEN): ((), S.STARTING),
    (S.STARTING, CLOSE): (("tlf",), S.INITIAL),

    (S.CLOSED, DOWN): ((), S.INITIAL),
    (S.CLOSED, OPEN): (("irc", "scr"), S.REQ_SENT),
    (S.CLOSED, CLOSE): ((), S.CLOSED),
    (S.CLOSED, RCR_PLUS): (("sta",), S.CLOSED),
    (S.CLOSED, RCR_MINUS): (("sta",), S.CLOSED),
    (S.CLOSED, RCA): (("sta",), S.CLOSED),
    (S.CLOSED, RCN): (("sta",), S.CLOSED),
    (S.CLOSED, RTR): (("sta",), S.CLOSED),
    (S.CLOSED, RTA): ((), S.CLOSED),
    (S.CLOSED, RUC): (("scj",), S.CLOSED),
    (S.CLOSED, RXJ_PLUS): ((), S.CLOSED),
    (S.CLOSED, RXJ_MINUS): (("tlf",), S.CLOSED),
    (S.CLOSED, RXR): ((), S.CLOSED),

    (S.STOPPED, DOWN): (("tls",), S.STARTING),
    (S.STOPPED, OPEN): ((), S.STOPPED),
    (S.STOPPED, CLOSE): ((), S.CLOSED),
    (S.STOPPED, RCR_PLUS): (("irc", "scr", "sca"), S.ACK_SENT),
    (S.STOPPED, RCR_MINUS): (("irc", "scr", "scn"), S.REQ_SENT),
    (S.STOPPED, RCA): (("sta",), S.STOPPED),
    (S.STOPPED, RCN): (("sta",), S.STOPPED),
    (S.STOPPED, RTR): (("sta",), S.STOPPED),
    (S.STOPPED, RTA): ((), S.STOPPED),
    (S.STOPPED, RUC): (("scj",), S.STOPPED),
    (S.STOPPED, RXJ_PLUS): ((), S.STOPPED),
    (S.STOPPED, RXJ_MINUS): (("tlf",), S.STOPPED),
    (S.STOPPED, RXR): ((), S.STOPPED),

    (S.CLOSING, DOWN): ((), S.INITIAL),
    (S.CLOSING, OPEN): ((), S.STOPPING),
    (S.CLOSING, CLOSE): ((), S.CLOSING),
    (S.CLOSING, TO_PLUS): (("str",), S.CLOSING),
    (S.CLOSING, TO_MINUS): (("tlf",), S.CLOSED),
    (S.CLOSING, RCR_PLUS): ((), S.CLOSING),
    (S.CLOSING, RCR_MINUS): ((), S.CLOSING),
    (S.CLOSING, RCA): ((), S.CLOSING),
    (S.CLOSING, RCN): ((), S.CLOSING),
    (S.CLOSING, RTR): (("sta",), S.CLOSING),
    (S.CLOSING, RTA): (("tlf",), S.CLOSED),
    (S.CLOSING, RUC): (("scj",), S.CLOSING),
    (S.CLOSING, RXJ_PLUS): ((), S.CLOSING),
    (S.CLOSING, RXJ_MINUS): (("tlf",), S.CLOSED),
    (S.CLOSING, RXR): ((), S.CLOSING),

    (S.STOPPING, DOWN): ((), S.STARTING),
    (S.STOPPING, OPEN): ((), S.STOPPING),
    (S.STOPPING, CLOSE): ((), S.CLOSING),
    (S.STOPPING, TO_PLUS): (("str",), S.STOPPING),
    (S.STOPPING, TO_MINUS): (("tlf",), S.STOPPED),
    (S.STOPPING, RCR_PLUS): ((), S.STOPPING),
    (S.STOPPING, RCR_MINUS): ((), S.STOPPING),
    (S.STOPPING, RCA): ((), S.STOPPING),
    (S.STOPPING, RCN): ((), S.STOPPING),
    (S.STOPPING, RTR): (("sta",), S.STOPPING),
    (S.STOPPING, RTA): (("tlf",), S.STOPPED),
    (S.STOPPING, RUC): (("scj",), S.STOPPING),
    (S.STOPPING, RXJ_PLUS): ((), S.STOPPING),
    (S.STOPPING, RXJ_MINUS): (("tlf",), S.STOPPED),
    (S.STOPPING, RXR): ((), S.STOPPING),

    (S.REQ_SENT, DOWN): ((), S.STARTING),
    (S.REQ_SENT, OPEN): ((), S.REQ_SENT),
    (S.REQ_SENT, CLOSE): (("irc", "str"), S.CLOSING),
    (S.REQ_SENT, TO_PLUS): (("scr",), S.REQ_SENT),
    (S.REQ_SENT, TO_MINUS): (("tlf",), S.STOPPED),
    (S.REQ_SENT, RCR_PLUS): (("sca",), S.ACK_SENT),
    (S.REQ_SENT, RCR_MINUS): (("scn",), S.REQ_SENT),
    (S.REQ_SENT, RCA): (("irc",), S.ACK_RCVD),
    (S.REQ_SENT, RCN): (("irc", "scr"), S.REQ_SENT),
    (S.REQ_SENT, RTR): (("sta",), S.REQ_SENT),
    (S.REQ_SENT, RTA): ((), S.REQ_SENT),
    (S.REQ_SENT, RUC): (("scj",), S.REQ_SENT),
    (S.REQ_SENT, RXJ_PLUS): ((), S.REQ_SENT),
    (S.REQ_SENT, RXJ_MINUS): (("tlf",), S.STOPPED),
    (S.REQ_SENT, RXR): ((), S.REQ_SENT),

    (S.ACK_RCVD, DOWN): ((), S.STARTING),
    (S.ACK_RCVD, OPEN): ((), S.ACK_RCVD),
    (S.ACK_RCVD, CLOSE): (("irc", "str"), S.CLOSING),
    (S.ACK_RCVD, TO_PLUS): (("scr",), S.REQ_SENT),
    (S.ACK_RCVD, TO_MINUS): (("tlf",), S.STOPPED),
    (S.ACK_RCVD, RCR_PLUS): (("sca", "tlu"), S.OPENED),
    (S.ACK_RCVD, RCR_MINUS): (("scn",), S.ACK_RCVD),
    (S.ACK_RCVD, RCA): (("scr",), S.REQ_SENT),
    (S.ACK_RCVD, RCN): (("scr",), S.REQ_SENT),
    (S.ACK_RCVD, RTR): (("sta",), S.REQ_SENT),
    (S.ACK_RCVD, RTA): ((), S.REQ_SENT),
    (S.ACK_RCVD, RUC): (("scj",), S.ACK_RCVD),
    (S.ACK_RCVD, RXJ_PLUS): ((), S.REQ_SENT),
    (S.ACK_RCVD, RXJ_MINUS): (("tlf",), S.STOPPED),
    (S.ACK_RCVD, RXR): ((), S.ACK_RCVD),

    (S.ACK_SENT, DOWN): ((), S.STARTING),
    (S.ACK_SENT, OPEN): ((), S.ACK_SENT),
    (S.ACK_SENT, CLOSE): (("irc", "str"), S.CLOSING),
    (S.ACK_SENT, TO_PLUS): (("scr",), S.ACK_SENT),
    (S.ACK_SENT, TO_MINUS): (("tlf",), S.STOPPED),
    (S.ACK_SENT, RCR_PLUS): (("sca",), S.ACK_SENT),
    (S.ACK_SENT, RCR_MINUS): (("scn",), S.REQ_SENT),
    (S.ACK_SENT, RCA): (("irc", "tlu"), S.OPENED),
    (S.ACK_SENT, RCN): (("irc", "scr"), S.ACK_SENT),
    (S.ACK_SENT, RTR): (("sta",), S.REQ_SENT),
    (S.ACK_SENT, RTA): ((), S.ACK_SENT),
    (S.ACK_SENT, RUC): (("scj",), S.ACK_SENT),
    (S.ACK_SENT, RXJ_PLUS): ((), S.ACK_SENT),
    (S.ACK_SENT, RXJ_MINUS): (("tlf",), S.STOPPED),
    (S.ACK_SENT, RXR): ((), S.ACK_SENT),

    (S.OPENED, DOWN): (("tld",), S.STARTING),
    (S.OPENED, OPEN): ((), S.OPENED),
    (S.OPENED, CLOSE): (("tld", "irc", "str"), S.CLOSING),
    (S.OPENED, RCR_PLUS): (("tld", "scr", "sca"), S.ACK_SENT),
    (S.OPENED, RCR_MINUS): (("tld", "scr", "scn"), S.REQ_SENT),
    (S.OPENED, RCA): (("tld", "scr"), S.REQ_SENT),
    (S.OPENED, RCN): (("tld", "scr"), S.REQ_SENT),
    (S.OPENED, RTR): (("tld", "zrc", "sta"), S.STOPPING),
    (S.OPENED, RTA): (("tld", "scr"), S.REQ_SENT),
    (S.OPENED, RUC): (("scj",), S.OPENED),
    (S.OPENED, RXJ_PLUS): ((), S.OPENED),
    (S.OPENED, RXJ_MINUS): (("tld", "irc", "str"), S.STOPPING),
    (S.OPENED, RXR): (("ser",), S.OPENED),
}

# States in which the restart timer runs (RFC 1661 section 4.6).
TIMER_STATES = frozenset({S.CLOSING, S.STOPPING, S.REQ_SENT, S.ACK_RCVD, S.ACK_SENT})
# Restart timer for a request still unanswered when the peer's first request arrives.
QUICK_RESTART = 0.2
# States whose transitions use Max-Terminate rather than Max-Configure for irc.
TERMINATING = frozenset({S.CLOSING, S.STOPPING})


class Policy:
    """What a protocol plugs into the automaton (pppd's fsm callbacks).

    Option lists are ``[(type, value bytes), ...]``.
    """

    name = "?"
    fatal: str | None = None  # set by a policy when negotiation cannot succeed

    def reset(self) -> None:
        """Start a fresh negotiation: restore the options we want."""

    def build_request(self) -> Options:
        return []

    def check_request(self, options: Options, reject_naks: bool) -> tuple[int, Options]:
        """Judge the peer's request: (CONF_ACK, options) or (CONF_NAK|CONF_REJ, the offending ones)."""
        return C.CONF_ACK, options

    def handle_nak(self, options: Options) -> None:
        """Adjust what we want after the peer Naked these options."""

    def handle_reject(self, options: Options) -> None:
        """Stop asking for these options."""

    def up(self) -> None: ...
    def down(self) -> None: ...
    def started(self) -> None: ...
    def finished(self) -> None: ...

    def extended_code(self, code: int, ident: int, data: bytes, opened: bool) -> str | None:
        """Handle a code beyond 1-7 (LCP: Protocol-Reject, echo, discard).

        Return the automaton event it amounts to (RXR, RXJ+, RXJ-), "" for none, or
        None if the code is unknown (the automaton then sends Code-Reject).
        """
        return None


SendFn = Callable[[int, int, bytes], None]  # (code, identifier, data)


class Fsm:
    def __init__(self, policy: Policy, send: SendFn, *, restart_timer: float = 3.0,
                 max_configure: int = 10, max_terminate: int = 2, max_failure: int = 5):
        self.policy = policy
        self._send = send
        self.restart_timer = restart_timer
        self.max_configure = max_configure
        self.max_terminate = max_terminate
        self.max_failure = max_failure
        self.state = S.INITIAL
        self.deadline: float | None = None
        self.restart_count = 0
        self.naks_sent = 0          # Configure-Naks sent since our last Configure-Ack
        self.naks_received = 0      # Configure-Naks/Rejects received since the last Ack
        self.req_id = 0             # identifier of our outstanding Configure-Request
        self.req_options: bytes = b""
        self.reply_seen = False     # a valid reply to req_id has arrived
        self.peer_heard = False     # a Configure-Request from the peer since the lower layer came up
        self.next_id = 0
        self.term_reason = b""      # data of our Terminate-Request
        self.peer_reason: bytes | None = None  # data of the peer's, once one arrived
        self.illegal_events = 0
        self.retransmits = 0
        self._reply: tuple[int, int, bytes] = (0, 0, b"")  # pending sca/scn/sta/scj
        self._now = 0.0

    # ---- administrative events
    def up(self, now: float) -> None:
        self.peer_heard = False
        self._event(UP, now)

    def down(self, now: float) -> None:
        self.peer_heard = False
        self._event(DOWN, now)

    def open(self, now: float) -> None:
        self._event(OPEN, now)

    def close(self, now: float, reason: str = "") -> None:
        self.term_reason = reason.encode()
        self._event(CLOSE, now)

    def tick(self, now: float) -> None:
        if self.deadline is not None and now >= self.deadline:
            self.deadline = None
            if self.restart_count > 0:
                self.retransmits += 1
                self._event(TO_PLUS, now)
            else:
                self._event(TO_MINUS, now)

    def protocol_rejected(self) -> None:
        """The peer sent Protocol-Reject for us: stop at once, sending nothing more."""
        if self.state == S.OPENED:
            self.policy.down()
        if self.state not in (S.INITIAL, S.STARTING, S.CLOSED, S.STOPPED):
            self.state = S.STOPPED
            self.deadline = None
            self.policy.finished()

    @property
    def opened(self) -> bool:
        return self.state == S.OPENED

    # ---- received packets
    def receive(self, code: int, ident: int, data: bytes, now: float) -> None:
        if self.state in (S.INITIAL, S.STARTING):
            return  # lower layer not up: silently discard (RFC 1661 section 4.2)
        if code == C.CONF_REQ:
            self._receive_request(ident, data, now)
        elif code in (C.CONF_ACK, C.CONF_NAK, C.CONF_REJ):
            self._receive_reply(code, ident, data, now)
        elif code == C.TERM_REQ:
            self.peer_reason = data
            self._reply = (C.TERM_ACK, ident, b"")
            self._event(RTR, now)
        elif code == C.TERM_ACK:
            self._event(RTA, now)
        elif code == C.CODE_REJ:
            # A rejected code we cannot do without (1-7) is catastrophic (RXJ-).
            rejected = data[0] if data else 0
            self._event(RXJ_MINUS if 1 <= rejected <= 7 else RXJ_PLUS, now)
        else:
            event = self.policy.extended_code(code, ident, data, self.state == S.OPENED)
            if event is None:
                self.next_id = (self.next_id + 1) & 0xFF
                rejected = bytes([code, ident]) + (len(data) + 4).to_bytes(2, "big") + data
                self._reply = (C.CODE_REJ, self.next_id, rejected)
                self._event(RUC, now)
            elif event:
                self._event(event, now)

    def _receive_request(self, ident: int, data: bytes, now: float) -> None:
        try:
            options = decode_options(data)
        except DecodeError:
            return  # malformed: discard
        first, self.peer_heard = not self.peer_heard, True
        if first and self.state == S.REQ_SENT and not self.reply_seen and self.deadline is not None:
            # The peer has just shown it is listening, yet our request is unanswered: it may
            # have arrived before the peer listened (pppd's PPPoE plugin binds the session
            # only after PADS). Expect the answer within a round trip, not a restart timer.
            self.deadline = min(self.deadline, now + QUICK_RESTART)
        if self.state in (S.CLOSED, S.CLOSING, S.STOPPING):
            code, reply = C.CONF_ACK, options  # answered with sta or ignored, never judged
        else:
            code, reply = self.policy.check_request(options, self.naks_sent >= self.max_failure)
        if code == C.CONF_ACK:
            self.naks_sent = 0
            self._reply = (C.CONF_ACK, ident, data)  # an Ack echoes the request exactly
            self._event(RCR_PLUS, now)
        else:
            if code == C.CONF_NAK:
                self.naks_sent += 1
            self._reply = (code, ident, encode_options(reply))
            self._event(RCR_MINUS, now)

    def _receive_reply(self, code: int, ident: int, data: bytes, now: float) -> None:
        if self.state in (S.CLOSED, S.STOPPED):
            self._reply = (C.TERM_ACK, ident, b"")
            self._event(RCA, now)  # the table answers with sta
            return
        if ident != self.req_id or self.reply_seen or self.state in TERMINATING:
            return  # stale, duplicate or unsolicited: discard (RFC 1661 section 5.2)
        if code == C.CONF_ACK:
            if data != self.req_options:
                return  # an Ack must echo our request exactly
            self.reply_seen = True
            self.naks_received = 0
            self._event(RCA, now)
            return
        try:
            options = decode_options(data)
        except DecodeError:
            return
        self.reply_seen = True
        self.naks_received += 1
        if code == C.CONF_NAK:
            self.policy.handle_nak(options)
        else:
            self.policy.handle_reject(options)
        if self.policy.fatal:
            self.close(now, self.policy.fatal)
            return
        if self.naks_received > self.max_failure * 2:
            # The peer keeps refusing what we can offer: stop rather than loop forever.
            self.close(now, "configuration not converging")
            return
        self._event(RCN, now)

    # ---- the automaton
    def _event(self, event: str, now: float) -> None:
        cell = TABLE.get((self.state, event))
        if cell is None:
            self.illegal_events += 1
            return
        actions, next_state = cell
        self._now = now
        for action in actions:
            getattr(self, "_" + action)(next_state)
        self.state = next_state
        if next_state not in TIMER_STATES:
            self.deadline = None

    def _start_timer(self) -> None:
        self.deadline = self._now + self.restart_timer

    def _irc(self, next_state: State) -> None:
        self.restart_count = self.max_terminate if next_state in TERMINATING else self.max_configure
        if next_state not in TERMINATING:
            self.naks_received = 0

    def _zrc(self, next_state: State) -> None:
        self.restart_count = 0
        self._start_timer()

    def _scr(self, next_state: State) -> None:
        if self.state in (S.OPENED, S.STOPPED, S.INITIAL, S.STARTING, S.CLOSED):
            self.policy.reset()
        self.next_id = (self.next_id + 1) & 0xFF
        self.req_id = self.next_id
        self.req_options = encode_options(self.policy.build_request())
        self.reply_seen = False
        self.restart_count -= 1
        self._send(C.CONF_REQ, self.req_id, self.req_options)
        self._start_timer()

    def _str(self, next_state: State) -> None:
        self.next_id = (self.next_id + 1) & 0xFF
        self.restart_count -= 1
        self._send(C.TERM_REQ, self.next_id, self.term_reason)
        self._start_timer()

    def _send_reply(self, next_state: State) -> None:
        code, ident, data = self._reply
        self._send(code, ident, data)

    _sca = _scn = _scj = _send_reply

    def _sta(self, next_state: State) -> None:
        if self._reply[0] == C.TERM_ACK:
            self._send_reply(next_state)
        else:  # sta in response to a stray Configure packet: ack with its identifier
            self._send(C.TERM_ACK, self._reply[1], b"")

    def _ser(self, next_state: State) -> None:
        pass  # the policy answered the echo in extended_code, where it knows the magic

    def _tlu(self, next_state: State) -> None:
        self.policy.up()

    def _tld(self, next_state: State) -> None:
        self.policy.down()

    def _tls(self, next_state: State) -> None:
        self.policy.started()

    def _tlf(self, next_state: State) -> None:
        self.state = next_state  # finished: the layer above may look at every automaton's state
        self.policy.finished()
