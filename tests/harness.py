"""Pipe a client role and an AC role into each other in memory, with a virtual clock."""
from __future__ import annotations

import random
from collections.abc import Callable

from pppemu.ac import AcConfig, AcRole
from pppemu.client import ClientConfig, ClientRole
from pppemu.secrets import Secrets
from pppemu.session import PppConfig

AC_MAC = b"\x02\xac\x00\x00\x00\x01"

# A frame filter sees (direction, frame) and returns False to drop the frame.
FrameFilter = Callable[[str, bytes], bool]

# Every Pair made during a test, so the conformance fixture can judge its exchange.
CREATED: list[Pair] = []


def client_mac(n: int) -> bytes:
    return b"\x02\x00" + n.to_bytes(4, "big")


class Pair:
    def __init__(self, auth: str = "chap", user: str = "alice", password: str = "secret",
                 client_password: str | None = None, pool: str = "10.0.0.100-10.0.0.199",
                 seed: int = 1, ac_ppp: dict | None = None, client_ppp: dict | None = None,
                 ac: dict | None = None, client: dict | None = None):
        self.now = 0.0
        ac_ppp_cfg = PppConfig(require_auth=auth, request_dns=False, local_ip="10.0.0.1",
                               dns=("10.0.0.53", "10.0.0.54"), accept_auth=(), **(ac_ppp or {}))
        self.ac = AcRole(AcConfig(mac=AC_MAC, pool=pool, ppp=ac_ppp_cfg, **(ac or {})),
                         Secrets.single(user, password), rng=random.Random(seed))
        client_ppp_cfg = PppConfig(username=user, password=client_password or password, **(client_ppp or {}))
        self.client = ClientRole(ClientConfig(ppp=client_ppp_cfg, **(client or {})), rng=random.Random(seed + 1))
        self.client_events: list = []
        self.ac_events: list = []
        self.filter: FrameFilter = lambda direction, frame: True
        self.wire: list[tuple[str, bytes]] = []
        # What actually arrived, in order, as a tap in the middle would see it:
        # (time, direction, frame, injected by the test rather than sent by a role).
        self.delivered: list[tuple[float, str, bytes, bool]] = []
        CREATED.append(self)

    def add(self, n: int = 1, **kw):
        return [self.client.add_session(client_mac(len(self.client.sessions) + 1), self.now, **kw)
                for _ in range(n)]

    def transfer(self) -> int:
        """Deliver frames until both sides are quiet; returns the number delivered."""
        moved = 0
        while True:
            batch = [("c2a", f) for f in self.client.frames_to_send()] + \
                    [("a2c", f) for f in self.ac.frames_to_send()]
            self._drain_events()
            if not batch:
                return moved
            for direction, frame in batch:
                self.wire.append((direction, frame))
                if not self.filter(direction, frame):
                    continue
                moved += 1
                self.delivered.append((self.now, direction, frame, False))
                (self.ac if direction == "c2a" else self.client).receive(frame, self.now)

    def inject(self, to: str, frame: bytes) -> None:
        """Hand a frame built by the test to the AC (to="ac") or the client, as if from the other side."""
        direction = "c2a" if to == "ac" else "a2c"
        self.delivered.append((self.now, direction, frame, True))
        (self.ac if to == "ac" else self.client).receive(frame, self.now)

    def _drain_events(self):
        for role, sink in ((self.client, self.client_events), (self.ac, self.ac_events)):
            while (event := role.next_event()) is not None:
                sink.append(event)

    def advance(self, seconds: float, step: float | None = None) -> None:
        """Move the virtual clock forward, firing every timer on the way."""
        end = self.now + seconds
        self.transfer()
        while True:
            deadlines = [d for d in (self.client.next_deadline(), self.ac.next_deadline()) if d is not None]
            nxt = min(deadlines, default=None)
            if nxt is None or nxt > end:
                break
            self.now = max(self.now, nxt)
            self.client.tick(self.now)
            self.ac.tick(self.now)
            self.transfer()
        self.now = end

    def events_of(self, kind, side="client"):
        return [e for e in (self.client_events if side == "client" else self.ac_events) if isinstance(e, kind)]
