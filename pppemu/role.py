"""What the client and the AC share: framing, the timer heap, counters, output queues.

A role is sans-IO: ``receive(frame, now)`` and ``tick(now)`` feed it,
``frames_to_send()`` and ``next_event()`` drain it, ``next_deadline()`` says when to
call ``tick`` again. Nothing per frame walks all sessions: frames are looked up in a
dict, and timers live in a heap with lazy invalidation.
"""
from __future__ import annotations

import heapq
import itertools
import logging
from collections import Counter, deque
from typing import Any

from .events import Event
from .wire import const as C
from .wire.errors import DecodeError
from .wire.ethernet import EthFrame, decode_eth, encode_eth, mac_str
from .wire.pppoe import Discovery, decode_discovery, decode_ppp, decode_session, encode_discovery, encode_session

log = logging.getLogger("pppemu")


class Role:
    def __init__(self, vlans: tuple[tuple[int, int], ...] = ()):
        self.vlans = vlans
        self.outbox: list[bytes] = []
        self.events: deque[Event] = deque()
        self.counters: Counter[str] = Counter()
        self._heap: list[tuple[float, int, Any]] = []
        self._seq = itertools.count()

    # ---- output
    def frames_to_send(self) -> list[bytes]:
        frames, self.outbox = self.outbox, []
        return frames

    def next_event(self) -> Event | None:
        return self.events.popleft() if self.events else None

    def emit(self, event: Event) -> None:
        self.events.append(event)

    def send_discovery(self, src: bytes, dst: bytes, pkt: Discovery) -> None:
        self.counters["tx." + pkt.name] += 1
        self.outbox.append(encode_eth(EthFrame(dst, src, C.ETH_DISCOVERY, encode_discovery(pkt), self.vlans)))

    def send_session(self, src: bytes, dst: bytes, session_id: int, protocol: int, info: bytes) -> None:
        self.counters["tx." + C.PROTO_NAMES.get(protocol, "other")] += 1
        self.outbox.append(encode_eth(EthFrame(dst, src, C.ETH_SESSION,
                                               encode_session(session_id, protocol, info), self.vlans)))

    # ---- input
    def receive(self, frame: bytes, now: float) -> None:
        try:
            eth = decode_eth(frame)
            if eth.ethertype == C.ETH_DISCOVERY:
                pkt = decode_discovery(eth.payload)
                self.counters["rx." + pkt.name] += 1
                self.on_discovery(eth, pkt, now)
            elif eth.ethertype == C.ETH_SESSION:
                session_id, ppp = decode_session(eth.payload)
                protocol, info = decode_ppp(ppp)
                self.counters["rx." + C.PROTO_NAMES.get(protocol, "other")] += 1
                self.on_session(eth, session_id, protocol, info, now)
        except DecodeError as exc:
            self.counters["bad_frames"] += 1
            log.debug("dropped a malformed frame: %s", exc)

    def on_discovery(self, eth: EthFrame, pkt: Discovery, now: float) -> None:
        raise NotImplementedError

    def on_session(self, eth: EthFrame, session_id: int, protocol: int, info: bytes, now: float) -> None:
        raise NotImplementedError

    # ---- timers: one heap entry per (session, deadline); stale entries are skipped
    def schedule(self, item: Any) -> None:
        deadline = item.deadline
        if deadline is not None and deadline != item.scheduled:
            item.scheduled = deadline
            heapq.heappush(self._heap, (deadline, next(self._seq), item))

    def next_deadline(self) -> float | None:
        heap = self._heap
        while heap and (heap[0][2].scheduled != heap[0][0] or heap[0][2].gone):
            heapq.heappop(heap)
        return heap[0][0] if heap else None

    def tick(self, now: float) -> None:
        heap = self._heap
        while heap and heap[0][0] <= now:
            deadline, _, item = heapq.heappop(heap)
            if item.gone or item.scheduled != deadline:
                continue
            item.scheduled = None
            item.tick(now)
            self.schedule(item)


def describe_frame(frame: bytes) -> str:
    """A one-line summary for logs (lean; scapy's summary is used when verbose)."""
    try:
        eth = decode_eth(frame)
        if eth.ethertype == C.ETH_DISCOVERY:
            pkt = decode_discovery(eth.payload)
            return f"{mac_str(eth.src)} > {mac_str(eth.dst)} {pkt.name} sid={pkt.session_id}"
        session_id, ppp = decode_session(eth.payload)
        protocol, _ = decode_ppp(ppp)
        return f"{mac_str(eth.src)} > {mac_str(eth.dst)} sid={session_id} {C.PROTO_NAMES.get(protocol, hex(protocol))}"
    except DecodeError as exc:
        return f"malformed frame ({exc})"
