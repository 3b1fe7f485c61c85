"""IPv6CP (RFC 5072): Interface-Identifier negotiation, the same for both ends."""
from __future__ import annotations

import ipaddress
import random

from pppemu.ppp.fsm import LayerSignal, Policy, Verdict, nobody_listens
from pppemu.wire import const as C
from pppemu.wire.control import Options

ZERO_ID = b"\x00" * 8


class Ipv6cpPolicy(Policy):
    """IPv6CP's Interface-Identifier, the same for both ends: each picks a random one and
    Naks a peer's that is zero or collides with its own."""

    name = "IPv6CP"

    def __init__(self, rng: random.Random, *, on_up: LayerSignal = nobody_listens,
                 on_down: LayerSignal = nobody_listens, on_finished: LayerSignal = nobody_listens):
        super().__init__(on_up=on_up, on_down=on_down, on_finished=on_finished)
        self.rng = rng
        self.iid: bytes | None = None
        self.peer_iid: bytes | None = None
        self.reset()

    def random_id(self, avoid: bytes | None = None) -> bytes:
        while True:
            iid = self.rng.randbytes(8)
            if iid != ZERO_ID and iid != avoid:
                return iid

    def reset(self) -> None:
        self.fatal = None
        self.iid = self.random_id()

    def build_request(self) -> Options:
        return [(C.IPV6CP_IFACE_ID, self.iid)] if self.iid else []

    def judge_request(self, options: Options) -> Verdict:
        naks: Options = []
        rejects: Options = []
        for opt, value in options:
            if opt == C.IPV6CP_IFACE_ID and len(value) == 8:
                if value == ZERO_ID or value == self.iid:
                    # Zero, or a collision with ours: suggest another (RFC 5072 section 4.1).
                    naks.append((opt, self.random_id(avoid=self.iid)))
            else:
                rejects.append((opt, value))
        return Verdict(naks, rejects)

    def request_accepted(self, options: Options) -> None:
        self.peer_iid = dict(options).get(C.IPV6CP_IFACE_ID)

    def handle_nak(self, options: Options) -> None:
        for opt, value in options:
            if opt == C.IPV6CP_IFACE_ID and len(value) == 8:
                ok = value not in (ZERO_ID, self.peer_iid)
                self.iid = value if ok else self.random_id(avoid=self.peer_iid)

    def handle_reject(self, options: Options) -> None:
        if any(opt == C.IPV6CP_IFACE_ID for opt, _ in options):
            self.iid = None

    @staticmethod
    def link_local(iid: bytes | None) -> str | None:
        if not iid:
            return None
        return str(ipaddress.IPv6Address(b"\xfe\x80" + b"\x00" * 6 + iid))
