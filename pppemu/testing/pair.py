"""Pipe a client role and an AC role into each other in memory, with a virtual clock."""
from __future__ import annotations

import random
from collections import deque
from collections.abc import Callable

from pppemu.ppp.session import PppConfig
from pppemu.pppoe.ac import AcConfig, AcRole
from pppemu.pppoe.client import ClientConfig, ClientRole
from pppemu.pppoe.credentials import Secrets

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
        # Each side's own capture, as a tap on its interface would record it: what it sent,
        # when it sent it, and what reached it (lost frames are in the sender's only).
        # Entries are (time, frame, injected by the test rather than sent by a role).
        self.seen: dict[str, list[tuple[float, bytes, bool]]] = {"client": [], "ac": []}
        self.judged = True  # False only where the test feeds random mutations
        # Violations a test provokes on purpose, as (rule id, side): they must occur.
        self.expected_violations: set[tuple[str, str]] = set()
        CREATED.append(self)

    def add(self, n: int = 1, **kw):
        return [self.client.add_session(client_mac(len(self.client.sessions) + 1), self.now, **kw)
                for _ in range(n)]

    def _role(self, side: str):
        return self.client if side == "client" else self.ac

    def _collect(self, side: str, in_flight: deque) -> None:
        """Take what a side has sent: into its capture and onto the wire."""
        direction = "c2a" if side == "client" else "a2c"
        for frame in self._role(side).frames_to_send():
            self.wire.append((direction, frame))
            self.seen[side].append((self.now, frame, False))
            in_flight.append((direction, frame))

    def transfer(self) -> int:
        """Deliver frames, one at a time and in order, until both sides are quiet; returns the number delivered.

        Each side's answers are taken right after the frame that caused them, so its
        capture shows cause and effect in the order they happened.
        """
        moved = 0
        in_flight: deque[tuple[str, bytes]] = deque()
        self._collect("client", in_flight)
        self._collect("ac", in_flight)
        while in_flight:
            direction, frame = in_flight.popleft()
            if not self.filter(direction, frame):
                continue
            moved += 1
            to = "ac" if direction == "c2a" else "client"
            self.seen[to].append((self.now, frame, False))
            self._role(to).receive(frame, self.now)
            self._collect(to, in_flight)
        self._drain_events()
        return moved

    def inject(self, to: str, frame: bytes) -> None:
        """Hand a frame built by the test to the AC (to="ac") or the client, as if from the other side."""
        self.seen[to].append((self.now, frame, True))
        self._role(to).receive(frame, self.now)

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
