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
import struct
from collections import Counter, deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from pppemu.ppp.events import Event, Ipv6Configured
from pppemu.wire import const as C
from pppemu.wire.errors import DecodeError
from pppemu.wire.ethernet import TAG_TPIDS, EthFrame, decode_eth, tags_end
from pppemu.wire.pppoe import Discovery, decode_discovery, decode_ppp, decode_session, encode_discovery

if TYPE_CHECKING:
    from pppemu.pppoe.session import PppoeSession

log = logging.getLogger("pppemu")
_SESSION_HDR = struct.Struct("!HBBHHH")  # ethertype, ver/type, code, session id, length, protocol
_SESSION_PREFIX = b"\x88\x64\x11\x00"   # session ethertype, ver/type 1/1, code 0
_DISCOVERY_TYPE = C.ETH_DISCOVERY.to_bytes(2, "big")
_TX_KEYS = {p: "tx." + name for p, name in C.PROTO_NAMES.items()}
_RX_KEYS = {0x21: "rx.IPv4", 0x57: "rx.IPv6"}


class Timer(Protocol):
    """Something with a deadline, ticked once the deadline has passed."""

    @property
    def deadline(self) -> float | None: ...  # None: nothing to wait for

    def tick(self, now: float) -> None: ...


class HeapTimer(Timer, Protocol):
    """A timer the endpoint's heap holds (a PppoeSession): the heap entry is valid while
    `scheduled` still equals its deadline and the timer is not `gone`."""

    scheduled: float | None
    gone: bool


class Endpoint:
    """One end of the wire with many PPPoE sessions: frames in and out, the timer heap,
    counters, and the lookup of the session a frame belongs to. ClientRole and AcRole
    add discovery and what each owns."""

    SIDE = ""  # "client" or "ac"

    def __init__(self) -> None:
        self.outbox: list[bytes] = []
        self.events: deque[Event] = deque()
        self.counters: Counter[str] = Counter()
        self.sessions: dict[Any, PppoeSession] = {}  # each role keys them its own way
        self._heap: list[tuple[float, int, HeapTimer]] = []
        # Where IP packets go when set (a TUN device); otherwise they become Packet events.
        self.data_sink: Callable[[Any, int, bytes], None] | None = None
        self._seq = itertools.count()

    # ---- output
    def frames_to_send(self) -> list[bytes]:
        frames, self.outbox = self.outbox, []
        return frames

    def next_event(self) -> Event | None:
        return self.events.popleft() if self.events else None

    def emit(self, event: Event) -> None:
        self.events.append(event)

    # `tags`: the VLAN tag stack the frame goes out with, as bytes on the wire (b"": untagged)
    def send_discovery(self, src: bytes, dst: bytes, pkt: Discovery, tags: bytes = b"") -> None:
        self.counters["tx." + pkt.name] += 1
        self.outbox.append(dst + src + tags + _DISCOVERY_TYPE + encode_discovery(pkt))

    def send_session(self, src: bytes, dst: bytes, tags: bytes, session_id: int, protocol: int, info: bytes) -> None:
        self.counters[_TX_KEYS.get(protocol, "tx.other")] += 1
        self.outbox.append(dst + src + tags + _SESSION_HDR.pack(
            C.ETH_SESSION, 0x11, 0, session_id, len(info) + 2, protocol) + info)

    # ---- input
    def receive(self, frame: bytes, now: float) -> None:
        if self.admit(frame, now):
            self.handle(frame, now)

    def admit(self, frame: bytes, now: float) -> bool:
        """Whether a frame is worth handling at all (the AC's discovery rate limits say no)."""
        return True

    def handle(self, frame: bytes, now: float) -> None:
        # Fast path for the data plane: a session frame carrying IPv4/IPv6, looked up and
        # handed on without building any objects. VLAN tags (if any) sit before the ethertype.
        end = 12 if frame[12:14] not in TAG_TPIDS else tags_end(frame)
        if frame[end:end + 4] == _SESSION_PREFIX and len(frame) >= end + 10 and frame[end + 8] == 0 \
                and frame[end + 9] in (0x21, 0x57):
            length = (frame[end + 6] << 8) | frame[end + 7]
            if 2 <= length <= len(frame) - end - 8:
                protocol = frame[end + 9]
                self.counters[_RX_KEYS[protocol]] += 1
                self.on_data(frame[6:12], frame[0:6], frame[12:end], (frame[end + 4] << 8) | frame[end + 5],
                             protocol, frame[end + 10:end + 8 + length], now)
                return
        if frame[end:end + 2] in TAG_TPIDS:
            self.counters["rx.too_many_vlan_tags"] += 1  # a stack of three or more: no access network's
            return
        try:
            eth = decode_eth(frame)
            tags = frame[12:end]
            if eth.ethertype == C.ETH_DISCOVERY:
                pkt = decode_discovery(eth.payload)
                self.counters["rx." + pkt.name] += 1
                self.on_discovery(eth, tags, pkt, now)
            elif eth.ethertype == C.ETH_SESSION:
                session_id, ppp = decode_session(eth.payload)
                protocol, info = decode_ppp(ppp)
                self.counters["rx." + C.PROTO_NAMES.get(protocol, "other")] += 1
                self.on_session(eth, tags, session_id, protocol, info, now)
        except DecodeError as exc:
            self.counters["bad_frames"] += 1
            log.debug("dropped a malformed frame: %s", exc)
        except Exception:
            # A bug must not take every other session down with it: log it loudly, go on.
            self.counters["internal_errors"] += 1
            log.exception("internal error while handling a frame; frame dropped")

    # `tags`: the VLAN tag stack the frame came with (b"": untagged), as on the wire
    def on_discovery(self, eth: EthFrame, tags: bytes, pkt: Discovery, now: float) -> None:
        raise NotImplementedError

    def on_session(self, eth: EthFrame, tags: bytes, session_id: int, protocol: int, info: bytes,
                   now: float) -> None:
        session = self.find_session(eth.src, eth.dst, tags, session_id)
        if session is None or session.ppp is None:
            self.counters["rx.unmatched"] += 1
            return
        session.ppp.receive(protocol, info, now)
        self.schedule(session)

    def on_data(self, src: bytes, dst: bytes, tags: bytes, session_id: int, protocol: int, packet: bytes,
                now: float) -> None:
        self.deliver(self.find_session(src, dst, tags, session_id), protocol, packet, now)

    def every_session(self) -> list[PppoeSession]:
        """The sessions a report covers."""
        return list(self.sessions.values())

    # ---- what each role decides
    def find_session(self, src: bytes, dst: bytes, tags: bytes, session_id: int) -> PppoeSession | None:
        """The session a frame from src to dst, on this tag stack, with this session id belongs to."""
        raise NotImplementedError

    def session_event(self, session: PppoeSession, event: Event) -> bool:
        """A session's PPP reported something; False: handled here, not passed on."""
        raise NotImplementedError

    def session_up(self, session: PppoeSession) -> None:
        """A session came up for the first time."""

    def session_ipv6_up(self, session: PppoeSession, now: float) -> None:
        """IPv6CP opened on a session: start what runs above it."""

    def session_ipv6_configured(self, session: PppoeSession, event: Ipv6Configured, now: float) -> None:
        """A session's first Router Advertisement arrived (the client's only)."""

    def session_ended(self, session: PppoeSession) -> None:
        raise NotImplementedError

    def padt_for(self, session: PppoeSession) -> Discovery:
        raise NotImplementedError

    def discovery_progress(self, session: PppoeSession, now: float) -> None:
        """A session's discovery moved on (the client's only)."""

    def deliver(self, session: PppoeSession | None, protocol: int, packet: bytes, now: float) -> None:
        """An IP packet for a session: to the data sink if one is set, else as an event."""
        if session is None or session.ppp is None or not session.ppp.accepts(protocol):
            self.counters["rx.data_dropped"] += 1
        elif protocol == C.PROTO_IPV6 and session.take_ipv6(packet, now):
            self.schedule(session)  # a Router Solicitation or Advertisement, an echo to the AC
        elif self.data_sink is not None:
            self.data_sink(session, protocol, packet)
        else:
            session.ppp.receive(protocol, packet, now)

    # ---- timers: one heap entry per (session, deadline); stale entries are skipped
    def schedule(self, item: HeapTimer) -> None:
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
