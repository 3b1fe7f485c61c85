"""LCP option policy (RFC 1661 section 6, RFC 2516 section 7, RFC 4638) and LCP's extra codes."""
from __future__ import annotations

import random
import struct
from collections.abc import Callable, Iterable

from pppemu.ppp.auth import AuthKind
from pppemu.ppp.fsm import Event, Extended, LayerSignal, Policy, Verdict, nobody_listens
from pppemu.wire import const as C
from pppemu.wire.control import Control, Options

MIN_MRU = 128  # smaller MRUs are Naked up to this (as pppd does)
AUTH_VALUES = {
    AuthKind.CHAP: struct.pack("!HB", C.PROTO_CHAP, C.CHAP_MD5),
    AuthKind.PAP: struct.pack("!H", C.PROTO_PAP),
}


def accepted_auth(choice: str) -> tuple[AuthKind, ...]:
    """What a peer configured with 'chap', 'pap', 'any' or 'none' agrees to do, preferred first."""
    return {"chap": (AuthKind.CHAP,), "pap": (AuthKind.PAP,), "any": (AuthKind.CHAP, AuthKind.PAP),
            "none": ()}[choice]


def auth_name(value: bytes) -> AuthKind | None:
    """The kind of an Authentication-Protocol option value we support, else None."""
    for kind, wire in AUTH_VALUES.items():
        if value == wire:
            return kind
    return None


class LcpPolicy(Policy):
    """LCP's options (MRU, Authentication-Protocol, Magic-Number) for either end, and the
    codes only LCP has: Echo, Discard, Identification, Time-Remaining, Protocol-Reject."""

    name = "LCP"

    def __init__(self, send: Callable[[int, int, bytes], None], rng: random.Random, *,
                 mru: int = C.PPPOE_MRU, max_mru: int = C.PPPOE_MRU,
                 require_auth: str | None = None, accept_auth: Iterable[str] = (),
                 on_up: LayerSignal = nobody_listens, on_down: LayerSignal = nobody_listens,
                 on_finished: LayerSignal = nobody_listens, on_echo_reply: LayerSignal = nobody_listens,
                 on_protocol_reject: Callable[[int], None] = nobody_listens):
        super().__init__(on_up=on_up, on_down=on_down, on_finished=on_finished)
        self.send = send
        self.rng = rng
        self.mru = mru                    # MRU we ask for
        self.max_mru = max_mru            # largest frame the PPPoE link carries
        # What we demand of the peer, and what we agree to do when the peer demands it.
        self.require_auth = AuthKind(require_auth) if require_auth else None
        self.accept_auth = tuple(AuthKind(kind) for kind in accept_auth)
        self.on_echo_reply = on_echo_reply            # an Echo-Reply arrived while Opened
        self.on_protocol_reject = on_protocol_reject  # the peer rejected a protocol other than LCP
        self.want_mru: int | None = None
        self.want_auth: AuthKind | None = None
        self.magic = 0
        self.peer_mru = 1500              # the RFC default until the peer says otherwise
        self.peer_magic = 0
        self.peer_auth: AuthKind | None = None  # what the peer demands of us
        self.looped_back = 0
        self.echo_ident = 0
        self.reset()

    def new_magic(self) -> int:
        return self.rng.randrange(1, 1 << 32)

    def reset(self) -> None:
        self.fatal = None
        self.want_mru = self.mru
        self.want_auth = self.require_auth
        self.magic = self.new_magic()

    def build_request(self) -> Options:
        options: Options = []
        if self.want_mru is not None:
            options.append((C.LCP_MRU, struct.pack("!H", self.want_mru)))
        if self.want_auth:
            options.append((C.LCP_AUTH, AUTH_VALUES[self.want_auth]))
        if self.magic:
            options.append((C.LCP_MAGIC, struct.pack("!I", self.magic)))
        return options

    def judge_request(self, options: Options) -> Verdict:
        naks: Options = []
        rejects: Options = []
        for opt, value in options:
            if opt == C.LCP_MRU and len(value) == 2:
                peer_mru = struct.unpack("!H", value)[0]
                if peer_mru < MIN_MRU:
                    naks.append((opt, struct.pack("!H", MIN_MRU)))
                elif peer_mru > self.max_mru:
                    # More than PPPoE carries (RFC 2516 section 7 without RFC 4638): offer the most it does.
                    naks.append((opt, struct.pack("!H", self.max_mru)))
            elif opt == C.LCP_MAGIC and len(value) == 4:
                peer_magic = struct.unpack("!I", value)[0]
                if peer_magic == 0 or peer_magic == self.magic:
                    # Zero is illegal; our own number may mean a looped-back link.
                    self.looped_back += peer_magic != 0
                    suggestion = self.new_magic()
                    while suggestion == self.magic:
                        suggestion = self.new_magic()
                    naks.append((opt, struct.pack("!I", suggestion)))
            elif opt == C.LCP_AUTH and len(value) >= 2 and self.accept_auth:
                if auth_name(value) not in self.accept_auth:
                    naks.append((opt, AUTH_VALUES[self.accept_auth[0]]))
            else:
                # Unknown, malformed, or not to be used over PPPoE (ACCM, ACFC, PFC,
                # FCS-Alternatives, RFC 2516 section 7), or an authentication we cannot do.
                rejects.append((opt, value))
        return Verdict(naks, rejects)

    def request_accepted(self, options: Options) -> None:
        self.peer_mru, self.peer_magic, self.peer_auth = 1500, 0, None
        for opt, value in options:  # judged: each one well formed and agreed to
            if opt == C.LCP_MRU:
                self.peer_mru = struct.unpack("!H", value)[0]
            elif opt == C.LCP_MAGIC:
                self.peer_magic = struct.unpack("!I", value)[0]
            elif opt == C.LCP_AUTH:
                self.peer_auth = auth_name(value)

    def handle_nak(self, options: Options) -> None:
        for opt, value in options:
            if opt == C.LCP_MRU and len(value) == 2:
                mru = struct.unpack("!H", value)[0]
                # Take a smaller MRU; a larger one than the link carries: stop asking.
                self.want_mru = mru if MIN_MRU <= mru <= self.max_mru else None
            elif opt == C.LCP_MAGIC:
                self.magic = self.new_magic()
            elif opt == C.LCP_AUTH and self.want_auth:
                # The peer suggests another protocol. We demand exactly what we were
                # configured for: agreeing to its suggestion would be a downgrade.
                offered = auth_name(value)
                if offered != self.want_auth:
                    self.fatal = (f"peer will not authenticate with {self.want_auth.upper()} "
                                  f"(it offered {offered.upper() if offered else 'another protocol'})")

    def handle_reject(self, options: Options) -> None:
        for opt, _ in options:
            if opt == C.LCP_MRU:
                self.want_mru = None
            elif opt == C.LCP_MAGIC:
                self.magic = 0
            elif opt == C.LCP_AUTH and self.want_auth:
                self.fatal = "peer refused to authenticate"

    @property
    def tx_mtu(self) -> int:
        """Largest PPP information field we may send."""
        return min(self.peer_mru, self.max_mru)

    def send_echo(self) -> None:
        self.echo_ident = (self.echo_ident + 1) & 0xFF
        self.send(C.ECHO_REQ, self.echo_ident, struct.pack("!I", self.magic))

    def extended_code(self, code: int, ident: int, data: bytes, opened: bool) -> Extended | None:
        if code == C.ECHO_REQ:
            if len(data) < 4:
                return Extended(Event.RXR)  # no magic number to answer with: nothing to send
            magic = struct.unpack_from("!I", data)[0]
            if opened and magic and magic == self.magic:
                self.looped_back += 1
            # The table sends it (ser) only when Opened; it carries our magic, not the peer's.
            return Extended(Event.RXR, Control(C.ECHO_REPLY, ident, struct.pack("!I", self.magic) + data[4:]))
        if code == C.ECHO_REPLY:
            if opened:
                self.on_echo_reply()
            return Extended(Event.RXR)
        if code in (C.DISCARD_REQ, C.IDENTIFICATION, C.TIME_REMAINING):
            return Extended(Event.RXR)  # informational (RFC 1661, RFC 1570): accepted and ignored
        if code == C.PROTO_REJ:
            if len(data) < 2:
                return Extended(None)  # too short to name a protocol: discarded
            protocol = struct.unpack_from("!H", data)[0]
            if protocol == C.PROTO_LCP:
                return Extended(Event.RXJ_MINUS)
            self.on_protocol_reject(protocol)
            return Extended(Event.RXJ_PLUS)
        return None
