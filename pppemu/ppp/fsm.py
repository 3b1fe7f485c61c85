"""The RFC 1661 option-negotiation automaton, written once for LCP, IPCP and IPv6CP.

The state table (RFC 1661 section 4.1) is the literal dict TABLE below: one entry per
cell, ``(state, event) -> (actions, next state)``, with the RFC's names for events and
actions. A cell that is absent is an event the RFC marks illegal in that state; it is
counted and ignored. Every change of state goes through the table but one:

- Protocol-Reject of an NCP (:meth:`Fsm.protocol_rejected`) stops that NCP's automaton
  without a word. The table would take it as RXJ- and send Terminate-Requests, but
  RFC 1661 section 5.7 says to stop sending a rejected protocol at the earliest
  opportunity (pppd's fsm_protreject does the same). Protocol-Reject of LCP itself is
  the RFC's RXJ- and goes through the table.

The automaton owns states, identifiers, the restart counter and timer. What differs
between protocols -- which options to request and how to judge the peer's -- lives in
a :class:`Policy`. Nothing here reads a clock: every entry point takes ``now``, and an
event that the table may answer (sca, scn, sta, scj, ser) carries the answer with it.
"""
from __future__ import annotations

from collections.abc import Callable
from enum import IntEnum, StrEnum
from typing import NamedTuple

from pppemu.wire import const as C
from pppemu.wire.control import Control, Options, decode_options, encode_options
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


class Event(StrEnum):
    """The automaton's events (RFC 1661 section 4.3), spelt as in the RFC's table.

    Its input, not to be confused with :mod:`pppemu.ppp.events`, what a session reports.
    """

    UP = "Up"            # the lower layer is up
    DOWN = "Down"        # the lower layer is down
    OPEN = "Open"        # administrative Open
    CLOSE = "Close"      # administrative Close
    TO_PLUS = "TO+"      # restart timer expired, restart counter not yet exhausted
    TO_MINUS = "TO-"     # restart timer expired, restart counter exhausted
    RCR_PLUS = "RCR+"    # acceptable Configure-Request
    RCR_MINUS = "RCR-"   # Configure-Request to Nak or Reject
    RCA = "RCA"          # Configure-Ack
    RCN = "RCN"          # Configure-Nak or Configure-Reject
    RTR = "RTR"          # Terminate-Request
    RTA = "RTA"          # Terminate-Ack
    RUC = "RUC"          # unknown code
    RXJ_PLUS = "RXJ+"    # Code-Reject or Protocol-Reject we can live with
    RXJ_MINUS = "RXJ-"   # Code-Reject or Protocol-Reject that ends the layer
    RXR = "RXR"          # Echo-Request, Echo-Reply or Discard-Request


class Action(StrEnum):
    """The automaton's actions (RFC 1661 section 4.4), spelt as in the RFC's table."""

    TLU = "tlu"  # This-Layer-Up: tell the layer above (through the policy)
    TLD = "tld"  # This-Layer-Down
    TLS = "tls"  # This-Layer-Started
    TLF = "tlf"  # This-Layer-Finished
    IRC = "irc"  # Initialize-Restart-Count
    ZRC = "zrc"  # Zero-Restart-Count
    SCR = "scr"  # Send-Configure-Request
    SCA = "sca"  # Send-Configure-Ack
    SCN = "scn"  # Send-Configure-Nak (or -Reject)
    STR = "str"  # Send-Terminate-Request
    STA = "sta"  # Send-Terminate-Ack
    SCJ = "scj"  # Send-Code-Reject
    SER = "ser"  # Send-Echo-Reply


S, E, A = State, Event, Action

TABLE: dict[tuple[State, Event], tuple[tuple[Action, ...], State]] = {
    (S.INITIAL, E.UP): ((), S.CLOSED),
    (S.INITIAL, E.OPEN): ((A.TLS,), S.STARTING),
    (S.INITIAL, E.CLOSE): ((), S.INITIAL),

    (S.STARTING, E.UP): ((A.IRC, A.SCR), S.REQ_SENT),
    (S.STARTING, E.OPEN): ((), S.STARTING),
    (S.STARTING, E.CLOSE): ((A.TLF,), S.INITIAL),

    (S.CLOSED, E.DOWN): ((), S.INITIAL),
    (S.CLOSED, E.OPEN): ((A.IRC, A.SCR), S.REQ_SENT),
    (S.CLOSED, E.CLOSE): ((), S.CLOSED),
    (S.CLOSED, E.RCR_PLUS): ((A.STA,), S.CLOSED),
    (S.CLOSED, E.RCR_MINUS): ((A.STA,), S.CLOSED),
    (S.CLOSED, E.RCA): ((A.STA,), S.CLOSED),
    (S.CLOSED, E.RCN): ((A.STA,), S.CLOSED),
    (S.CLOSED, E.RTR): ((A.STA,), S.CLOSED),
    (S.CLOSED, E.RTA): ((), S.CLOSED),
    (S.CLOSED, E.RUC): ((A.SCJ,), S.CLOSED),
    (S.CLOSED, E.RXJ_PLUS): ((), S.CLOSED),
    (S.CLOSED, E.RXJ_MINUS): ((A.TLF,), S.CLOSED),
    (S.CLOSED, E.RXR): ((), S.CLOSED),

    (S.STOPPED, E.DOWN): ((A.TLS,), S.STARTING),
    (S.STOPPED, E.OPEN): ((), S.STOPPED),
    (S.STOPPED, E.CLOSE): ((), S.CLOSED),
    (S.STOPPED, E.RCR_PLUS): ((A.IRC, A.SCR, A.SCA), S.ACK_SENT),
    (S.STOPPED, E.RCR_MINUS): ((A.IRC, A.SCR, A.SCN), S.REQ_SENT),
    (S.STOPPED, E.RCA): ((A.STA,), S.STOPPED),
    (S.STOPPED, E.RCN): ((A.STA,), S.STOPPED),
    (S.STOPPED, E.RTR): ((A.STA,), S.STOPPED),
    (S.STOPPED, E.RTA): ((), S.STOPPED),
    (S.STOPPED, E.RUC): ((A.SCJ,), S.STOPPED),
    (S.STOPPED, E.RXJ_PLUS): ((), S.STOPPED),
    (S.STOPPED, E.RXJ_MINUS): ((A.TLF,), S.STOPPED),
    (S.STOPPED, E.RXR): ((), S.STOPPED),

    (S.CLOSING, E.DOWN): ((), S.INITIAL),
    (S.CLOSING, E.OPEN): ((), S.STOPPING),
    (S.CLOSING, E.CLOSE): ((), S.CLOSING),
    (S.CLOSING, E.TO_PLUS): ((A.STR,), S.CLOSING),
    (S.CLOSING, E.TO_MINUS): ((A.TLF,), S.CLOSED),
    (S.CLOSING, E.RCR_PLUS): ((), S.CLOSING),
    (S.CLOSING, E.RCR_MINUS): ((), S.CLOSING),
    (S.CLOSING, E.RCA): ((), S.CLOSING),
    (S.CLOSING, E.RCN): ((), S.CLOSING),
    (S.CLOSING, E.RTR): ((A.STA,), S.CLOSING),
    (S.CLOSING, E.RTA): ((A.TLF,), S.CLOSED),
    (S.CLOSING, E.RUC): ((A.SCJ,), S.CLOSING),
    (S.CLOSING, E.RXJ_PLUS): ((), S.CLOSING),
    (S.CLOSING, E.RXJ_MINUS): ((A.TLF,), S.CLOSED),
    (S.CLOSING, E.RXR): ((), S.CLOSING),

    (S.STOPPING, E.DOWN): ((), S.STARTING),
    (S.STOPPING, E.OPEN): ((), S.STOPPING),
    (S.STOPPING, E.CLOSE): ((), S.CLOSING),
    (S.STOPPING, E.TO_PLUS): ((A.STR,), S.STOPPING),
    (S.STOPPING, E.TO_MINUS): ((A.TLF,), S.STOPPED),
    (S.STOPPING, E.RCR_PLUS): ((), S.STOPPING),
    (S.STOPPING, E.RCR_MINUS): ((), S.STOPPING),
    (S.STOPPING, E.RCA): ((), S.STOPPING),
    (S.STOPPING, E.RCN): ((), S.STOPPING),
    (S.STOPPING, E.RTR): ((A.STA,), S.STOPPING),
    (S.STOPPING, E.RTA): ((A.TLF,), S.STOPPED),
    (S.STOPPING, E.RUC): ((A.SCJ,), S.STOPPING),
    (S.STOPPING, E.RXJ_PLUS): ((), S.STOPPING),
    (S.STOPPING, E.RXJ_MINUS): ((A.TLF,), S.STOPPED),
    (S.STOPPING, E.RXR): ((), S.STOPPING),

    (S.REQ_SENT, E.DOWN): ((), S.STARTING),
    (S.REQ_SENT, E.OPEN): ((), S.REQ_SENT),
    (S.REQ_SENT, E.CLOSE): ((A.IRC, A.STR), S.CLOSING),
    (S.REQ_SENT, E.TO_PLUS): ((A.SCR,), S.REQ_SENT),
    (S.REQ_SENT, E.TO_MINUS): ((A.TLF,), S.STOPPED),
    (S.REQ_SENT, E.RCR_PLUS): ((A.SCA,), S.ACK_SENT),
    (S.REQ_SENT, E.RCR_MINUS): ((A.SCN,), S.REQ_SENT),
    (S.REQ_SENT, E.RCA): ((A.IRC,), S.ACK_RCVD),
    (S.REQ_SENT, E.RCN): ((A.IRC, A.SCR), S.REQ_SENT),
    (S.REQ_SENT, E.RTR): ((A.STA,), S.REQ_SENT),
    (S.REQ_SENT, E.RTA): ((), S.REQ_SENT),
    (S.REQ_SENT, E.RUC): ((A.SCJ,), S.REQ_SENT),
    (S.REQ_SENT, E.RXJ_PLUS): ((), S.REQ_SENT),
    (S.REQ_SENT, E.RXJ_MINUS): ((A.TLF,), S.STOPPED),
    (S.REQ_SENT, E.RXR): ((), S.REQ_SENT),

    (S.ACK_RCVD, E.DOWN): ((), S.STARTING),
    (S.ACK_RCVD, E.OPEN): ((), S.ACK_RCVD),
    (S.ACK_RCVD, E.CLOSE): ((A.IRC, A.STR), S.CLOSING),
    (S.ACK_RCVD, E.TO_PLUS): ((A.SCR,), S.REQ_SENT),
    (S.ACK_RCVD, E.TO_MINUS): ((A.TLF,), S.STOPPED),
    (S.ACK_RCVD, E.RCR_PLUS): ((A.SCA, A.TLU), S.OPENED),
    (S.ACK_RCVD, E.RCR_MINUS): ((A.SCN,), S.ACK_RCVD),
    (S.ACK_RCVD, E.RCA): ((A.SCR,), S.REQ_SENT),
    (S.ACK_RCVD, E.RCN): ((A.SCR,), S.REQ_SENT),
    (S.ACK_RCVD, E.RTR): ((A.STA,), S.REQ_SENT),
    (S.ACK_RCVD, E.RTA): ((), S.REQ_SENT),
    (S.ACK_RCVD, E.RUC): ((A.SCJ,), S.ACK_RCVD),
    (S.ACK_RCVD, E.RXJ_PLUS): ((), S.REQ_SENT),
    (S.ACK_RCVD, E.RXJ_MINUS): ((A.TLF,), S.STOPPED),
    (S.ACK_RCVD, E.RXR): ((), S.ACK_RCVD),

    (S.ACK_SENT, E.DOWN): ((), S.STARTING),
    (S.ACK_SENT, E.OPEN): ((), S.ACK_SENT),
    (S.ACK_SENT, E.CLOSE): ((A.IRC, A.STR), S.CLOSING),
    (S.ACK_SENT, E.TO_PLUS): ((A.SCR,), S.ACK_SENT),
    (S.ACK_SENT, E.TO_MINUS): ((A.TLF,), S.STOPPED),
    (S.ACK_SENT, E.RCR_PLUS): ((A.SCA,), S.ACK_SENT),
    (S.ACK_SENT, E.RCR_MINUS): ((A.SCN,), S.REQ_SENT),
    (S.ACK_SENT, E.RCA): ((A.IRC, A.TLU), S.OPENED),
    (S.ACK_SENT, E.RCN): ((A.IRC, A.SCR), S.ACK_SENT),
    (S.ACK_SENT, E.RTR): ((A.STA,), S.REQ_SENT),
    (S.ACK_SENT, E.RTA): ((), S.ACK_SENT),
    (S.ACK_SENT, E.RUC): ((A.SCJ,), S.ACK_SENT),
    (S.ACK_SENT, E.RXJ_PLUS): ((), S.ACK_SENT),
    (S.ACK_SENT, E.RXJ_MINUS): ((A.TLF,), S.STOPPED),
    (S.ACK_SENT, E.RXR): ((), S.ACK_SENT),

    (S.OPENED, E.DOWN): ((A.TLD,), S.STARTING),
    (S.OPENED, E.OPEN): ((), S.OPENED),
    (S.OPENED, E.CLOSE): ((A.TLD, A.IRC, A.STR), S.CLOSING),
    (S.OPENED, E.RCR_PLUS): ((A.TLD, A.SCR, A.SCA), S.ACK_SENT),
    (S.OPENED, E.RCR_MINUS): ((A.TLD, A.SCR, A.SCN), S.REQ_SENT),
    (S.OPENED, E.RCA): ((A.TLD, A.SCR), S.REQ_SENT),
    (S.OPENED, E.RCN): ((A.TLD, A.SCR), S.REQ_SENT),
    (S.OPENED, E.RTR): ((A.TLD, A.ZRC, A.STA), S.STOPPING),
    (S.OPENED, E.RTA): ((A.TLD, A.SCR), S.REQ_SENT),
    (S.OPENED, E.RUC): ((A.SCJ,), S.OPENED),
    (S.OPENED, E.RXJ_PLUS): ((), S.OPENED),
    (S.OPENED, E.RXJ_MINUS): ((A.TLD, A.IRC, A.STR), S.STOPPING),
    (S.OPENED, E.RXR): ((A.SER,), S.OPENED),
}

# States in which the restart timer runs (RFC 1661 section 4.6).
TIMER_STATES = frozenset({S.CLOSING, S.STOPPING, S.REQ_SENT, S.ACK_RCVD, S.ACK_SENT})
# Restart timer for a request still unanswered when the peer's first request arrives.
QUICK_RESTART = 0.2
# States whose transitions use Max-Terminate rather than Max-Configure for irc.
TERMINATING = frozenset({S.CLOSING, S.STOPPING})


LayerSignal = Callable[[], None]


def nobody_listens(*args: object) -> None:
    """The default for a signal no one is interested in."""


class Verdict(NamedTuple):
    """A policy's judgement of the peer's Configure-Request: the options it would Nak
    (with the values it suggests) and those it Rejects. Both empty: acceptable."""

    naks: Options
    rejects: Options


class Extended(NamedTuple):
    """What a code beyond 1-7 amounts to: the table's event (None: silently discarded)
    and, for an Echo-Request, the Echo-Reply that ser sends."""

    event: Event | None
    echo_reply: Control | None = None


class Policy:
    """What a protocol plugs into the automaton (pppd's fsm callbacks): the options it
    asks for, how it judges the peer's, and whom it tells when the layer changes.

    Option lists are ``[(type, value bytes), ...]``. This-Layer-Up/-Down/-Finished reach
    the layer above through the ``on_up``/``on_down``/``on_finished`` callables.
    """

    name = "?"
    fatal: str | None = None  # set by a policy when negotiation cannot succeed

    def __init__(self, *, on_up: LayerSignal = nobody_listens, on_down: LayerSignal = nobody_listens,
                 on_finished: LayerSignal = nobody_listens) -> None:
        self.on_up, self.on_down, self.on_finished = on_up, on_down, on_finished

    def reset(self) -> None:
        """Start a fresh negotiation: restore the options we want."""

    def build_request(self) -> Options:
        return []

    def judge_request(self, options: Options) -> Verdict:
        """What in the peer's Configure-Request we would Nak or Reject."""
        return Verdict([], [])

    def request_accepted(self, options: Options) -> None:
        """The peer's request is about to be acked: remember what it says about the peer."""

    def check_request(self, options: Options, reject_naks: bool) -> tuple[int, Options]:
        """The answer to the peer's request: (CONF_ACK, options) or (CONF_NAK|CONF_REJ, the offending ones).

        Rejects go first (RFC 1661 section 5.4); once Max-Failure Naks went unheeded,
        what we would Nak is Rejected instead (section 4.6), so negotiation converges.
        """
        naks, rejects = self.judge_request(options)
        if rejects:
            return C.CONF_REJ, rejects
        if naks and reject_naks:
            # A Reject may name only options the peer sent (section 5.4): a hint for an
            # option it left out is dropped, and a request with nothing else wrong is acked.
            sent = {opt for opt, _ in options}
            naks = [(opt, value) for opt, value in naks if opt in sent]
            if naks:
                return C.CONF_REJ, naks
        elif naks:
            return C.CONF_NAK, naks
        self.request_accepted(options)
        return C.CONF_ACK, options

    def handle_nak(self, options: Options) -> None:
        """Adjust what we want after the peer Naked these options."""

    def handle_reject(self, options: Options) -> None:
        """Stop asking for these options."""

    def up(self) -> None:
        self.on_up()

    def down(self) -> None:
        self.on_down()

    def started(self) -> None:
        pass

    def finished(self) -> None:
        self.on_finished()

    def extended_code(self, code: int, ident: int, data: bytes, opened: bool) -> Extended | None:
        """Handle a code beyond 1-7 (LCP: Protocol-Reject, echo, discard); None if the
        code is unknown (the automaton then sends Code-Reject)."""
        return None


SendFn = Callable[[int, int, bytes], None]  # (code, identifier, data)


class Fsm:
    """One protocol's automaton (LCP, IPCP or IPv6CP).

    Fed the lower layer's Up/Down, administrative Open/Close, received packets and
    timer ticks, it sends through ``send`` and reports the layer's changes to its policy.
    """

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
        self.req_id = 0             # identifier of our outstanding Configure-Request
        self.req_options: bytes = b""
        self.reply_seen = False     # a valid reply to req_id has arrived
        self.peer_heard = False     # a Configure-Request from the peer since the lower layer came up
        self.next_id = 0            # the identifier we used last
        self.term_reason = b""      # data of our Terminate-Request
        self.peer_reason: bytes | None = None  # data of the peer's, once one arrived
        self.illegal_events = 0
        self.retransmits = 0

    # ---- administrative events
    def up(self, now: float) -> None:
        self.peer_heard = False
        self._event(E.UP, now)

    def down(self, now: float) -> None:
        self.peer_heard = False
        self._event(E.DOWN, now)

    def open(self, now: float) -> None:
        self._event(E.OPEN, now)

    def close(self, now: float, reason: str = "") -> None:
        self.term_reason = reason.encode()
        self._event(E.CLOSE, now)

    def tick(self, now: float) -> None:
        if self.deadline is not None and now >= self.deadline:
            self.deadline = None
            if self.restart_count > 0:
                self.retransmits += 1
                self._event(E.TO_PLUS, now)
            else:
                self._event(E.TO_MINUS, now)

    def protocol_rejected(self) -> None:
        """The peer sent Protocol-Reject for us: stop at once, sending nothing more.

        The one change of state outside the table (see the module's docstring).
        """
        if self.state == S.OPENED:
            self.policy.down()
        if self.state not in (S.INITIAL, S.STARTING, S.CLOSED, S.STOPPED):
            self.state = S.STOPPED
            self.deadline = None
            self.policy.finished()

    def new_identifier(self) -> int:
        """The identifier for a packet we originate: a new one each time (RFC 1661 section 5)."""
        self.next_id = (self.next_id + 1) & 0xFF
        return self.next_id

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
            self._event(E.RTR, now, Control(C.TERM_ACK, ident))
        elif code == C.TERM_ACK:
            self._event(E.RTA, now)
        elif code == C.CODE_REJ:
            # A rejected code we cannot do without (1-7) is catastrophic (RXJ-).
            rejected = data[0] if data else 0
            self._event(E.RXJ_MINUS if 1 <= rejected <= 7 else E.RXJ_PLUS, now)
        else:
            extended = self.policy.extended_code(code, ident, data, self.state == S.OPENED)
            if extended is None:
                rejected_packet = bytes([code, ident]) + (len(data) + 4).to_bytes(2, "big") + data
                self._event(E.RUC, now, Control(C.CODE_REJ, self.new_identifier(), rejected_packet))
            elif extended.event is not None:
                self._event(extended.event, now, extended.echo_reply)

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
            self._event(E.RCR_PLUS, now, Control(C.CONF_ACK, ident, data))  # an Ack echoes the request exactly
        else:
            if code == C.CONF_NAK:
                self.naks_sent += 1
            self._event(E.RCR_MINUS, now, Control(code, ident, encode_options(reply)))

    def _receive_reply(self, code: int, ident: int, data: bytes, now: float) -> None:
        if self.state in (S.CLOSED, S.STOPPED):
            self._event(E.RCA, now, Control(C.TERM_ACK, ident))  # the table answers with sta
            return
        if ident != self.req_id or self.reply_seen or self.state in TERMINATING:
            return  # stale, duplicate or unsolicited: discard (RFC 1661 section 5.2)
        if code == C.CONF_ACK:
            if data != self.req_options:
                return  # an Ack must echo our request exactly
            self.reply_seen = True
            self._event(E.RCA, now)
            return
        try:
            options = decode_options(data)
        except DecodeError:
            return
        self.reply_seen = True
        if code == C.CONF_NAK:
            self.policy.handle_nak(options)
        else:
            self.policy.handle_reject(options)
        if self.policy.fatal:
            self.close(now, self.policy.fatal)
            return
        self._event(E.RCN, now)

    # ---- the automaton
    def _event(self, event: Event, now: float, reply: Control | None = None) -> None:
        """Run the table's cell for this event; ``reply`` is the packet sca/scn/sta/scj/ser answer with."""
        cell = TABLE.get((self.state, event))
        if cell is None:
            self.illegal_events += 1
            return
        actions, next_state = cell
        for action in actions:
            self._perform(action, next_state, now, reply)
        self.state = next_state
        if next_state not in TIMER_STATES:
            self.deadline = None

    def _perform(self, action: Action, next_state: State, now: float, reply: Control | None) -> None:
        match action:
            case A.TLU:
                self.policy.up()
            case A.TLD:
                self.policy.down()
            case A.TLS:
                self.policy.started()
            case A.TLF:
                self.state = next_state  # finished: the layer above may look at every automaton's state
                self.policy.finished()
            case A.IRC:
                self.restart_count = self.max_terminate if next_state in TERMINATING else self.max_configure
            case A.ZRC:
                self.restart_count = 0
                self.deadline = now + self.restart_timer
            case A.SCR:
                self._send_configure_request(now)
            case A.STR:
                self.restart_count -= 1
                self._send(C.TERM_REQ, self.new_identifier(), self.term_reason)
                self.deadline = now + self.restart_timer
            case A.STA:
                if reply is not None:  # to a Terminate-Request, or a stray Configure packet
                    self._send(C.TERM_ACK, reply.ident, b"")
            case A.SCA | A.SCN | A.SCJ | A.SER:
                if reply is not None:  # none for ser after an Echo-Reply or Discard-Request
                    self._send(reply.code, reply.ident, reply.data)

    def _send_configure_request(self, now: float) -> None:
        if self.state in (S.OPENED, S.STOPPED, S.INITIAL, S.STARTING, S.CLOSED):
            self.policy.reset()  # a new negotiation, not a retransmission or an answer to a Nak
            self.naks_sent = 0   # and Max-Failure counts afresh, as pppd's nakloops does
        self.req_id = self.new_identifier()
        self.req_options = encode_options(self.policy.build_request())
        self.reply_seen = False
        self.restart_count -= 1
        self._send(C.CONF_REQ, self.req_id, self.req_options)
        self.deadline = now + self.restart_timer
