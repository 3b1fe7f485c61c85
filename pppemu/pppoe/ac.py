"""The access-concentrator role: answers discovery, authenticates, assigns addresses.

Sessions are keyed by (peer MAC, session id); the AC owns the pool and the secrets.
Discovery is stateless until a PADR with a valid cookie arrives.
"""
from __future__ import annotations

import random
from collections import deque
from dataclasses import dataclass, field, replace

from pppemu.ppp.events import DiscoveryDone, Event, Packet, SessionDown, SessionUp
from pppemu.ppp.ipcp import ip_bytes
from pppemu.ppp.session import Phase, PppConfig, PppSession, retransmissions
from pppemu.pppoe.admission import DiscoveryGuard
from pppemu.pppoe.discovery import CookieJar, echo_tags, parse_line_id
from pppemu.pppoe.endpoint import Role
from pppemu.pppoe.pool import AddressPool
from pppemu.wire import const as C
from pppemu.wire import icmp
from pppemu.wire.ethernet import EthFrame, mac_str
from pppemu.wire.pppoe import Discovery

KEEP_ENDED = 100_000  # ended sessions kept for the report; older ones only count
ID_TRIES = 16         # random session ids tried before a scan for a free one


@dataclass
class AcConfig:
    mac: bytes = b"\x02\x00\x00\x00\x00\x01"
    ac_name: str = "pppemu"
    services: tuple[str, ...] = ()      # empty: any Service-Name is accepted
    pool: str = "10.0.0.100-10.0.0.199"
    ppp: PppConfig = field(default_factory=lambda: PppConfig(
        require_auth="chap", request_dns=False, local_ip="10.0.0.1", accept_auth=()))
    max_sessions: int = 65534
    # What an untrusted access network may cost us (0: no limit). A CPE needs one session,
    # two while an old one times out after a reconnect; behind a PPPoE relay every host
    # shares the relay's MAC, so turn the per-MAC limits off there.
    max_sessions_per_mac: int = 4
    max_setup: int = 1000               # sessions between PADR and IPCP up, at once
    setup_timeout: float = 30.0         # seconds from PADR to IPCP up, whatever the peer acks
    discovery_rate: float = 2000.0      # PADIs answered per second, and PADRs, overall
    mac_discovery_rate: float = 2.0     # PADIs + PADRs per second from one MAC (bursts of 10)
    answer_ping: bool = True            # answer ICMP echo to local_ip from user space


class AcSession:
    def __init__(self, ac: AcRole, peer: bytes, session_id: int, host_uniq: bytes | None, now: float):
        self.ac, self.peer, self.session_id, self.host_uniq = ac, peer, session_id, host_uniq
        self.key = (mac_str(peer), session_id)
        self.address: str | None = None
        self.scheduled: float | None = None
        self.gone = False
        self.started_at = now
        self.up_at: float | None = None
        self.down_reason = ""
        self.peer_padt = False
        self.ppp: PppSession | None = None
        self.line_id: dict[str, str] = {}  # Agent-Circuit-Id / Agent-Remote-Id from the PADR
        self.setup_deadline = now + ac.config.setup_timeout if ac.config.setup_timeout else None
        self._username: str | None = None
        self._retransmissions = 0

    @property
    def deadline(self) -> float | None:
        ppp = self.ppp.deadline if self.ppp else None
        if self.up_at is not None or self.setup_deadline is None:
            return ppp
        return self.setup_deadline if ppp is None else min(ppp, self.setup_deadline)

    @property
    def username(self) -> str | None:
        return (self.ppp.peer_name if self.ppp else self._username) or None

    @property
    def retransmissions(self) -> int:
        return retransmissions(self.ppp) if self.ppp else self._retransmissions

    def retire(self) -> None:
        """Keep what the report needs and drop the protocol state (ended sessions pile up)."""
        self._username, self._retransmissions = self.username, self.retransmissions
        self.ppp = None

    @property
    def state(self) -> str:
        if self.gone:
            return "closed" if self.up_at is not None else "failed"
        return "up" if self.ppp.is_up else self.ppp.phase.value

    def tick(self, now: float) -> None:
        if self.up_at is None and self.setup_deadline is not None and now >= self.setup_deadline:
            # Whatever the peer keeps acknowledging: a session that is not up by now never will be.
            self.ppp.lower_down(now, f"setup not complete within {self.ac.config.setup_timeout:g} s")
            return
        self.ppp.tick(now)

    def take_address(self) -> str | None:
        """The peer authenticated: now it may have an address (None: the pool is empty)."""
        self.address = self.ac.pool.allocate()
        return self.address

    def send_ppp(self, protocol: int, info: bytes) -> None:
        self.ac.send_session(self.ac.config.mac, self.peer, self.session_id, protocol, info)

    def on_event(self, event: Event) -> None:
        if isinstance(event, SessionUp):
            self.up_at = self.ppp.now
            self.ac.in_setup -= 1
            self.ac.by_address[ip_bytes(self.address)] = self
        elif isinstance(event, SessionDown):
            self.down_reason = event.reason
            self.ac.session_ended(self, self.ppp.now)
        elif isinstance(event, Packet) and self.ac.config.answer_ping:
            reply = icmp.echo_reply_for(event.data, self.ac.config.ppp.local_ip)
            if reply is not None:
                self.ppp.send_packet(C.PROTO_IPV4, reply)
                return
        self.ac.emit(event)


class AcRole(Role):
    def __init__(self, config: AcConfig | None = None, secrets=None, rng: random.Random | None = None, vlans=()):
        super().__init__(vlans)
        self.config = config or AcConfig()
        self.rng = rng or random.SystemRandom()
        self.pool = AddressPool(self.config.pool, exclude=(self.config.ppp.local_ip, *self.config.ppp.dns))
        self.secrets = secrets
        if secrets is not None:
            self.config = replace(self.config, ppp=replace(self.config.ppp, secrets=secrets.lookup))
        self.cookies = CookieJar(self.rng.randbytes(32))
        self.guard = DiscoveryGuard(self.config.discovery_rate, self.config.mac_discovery_rate, self.counters)
        self.sessions: dict[tuple[bytes, int], AcSession] = {}
        self.by_address: dict[bytes, AcSession] = {}  # packed IPv4 -> session, for the data plane
        self.per_mac: dict[bytes, int] = {}
        self.in_setup = 0  # sessions between PADR and IPCP up
        self.ended: deque[AcSession] = deque(maxlen=KEEP_ENDED)  # the newest, for the report
        self.closing = False

    def admit(self, frame: bytes, now: float) -> bool:
        return self.guard.admit(frame, now)  # a PADI/PADR over its rate is dropped undecoded

    # ---- discovery
    def on_discovery(self, eth: EthFrame, pkt: Discovery, now: float) -> None:
        if pkt.code == C.PADI:
            self._on_padi(eth, pkt, now)
        elif pkt.code == C.PADR and eth.dst == self.config.mac:
            self._on_padr(eth, pkt, now)
        elif pkt.code == C.PADT and eth.dst == self.config.mac:
            session = self.sessions.get((eth.src, pkt.session_id))
            if session is not None:
                session.peer_padt = True
                session.ppp.lower_down(now, "PADT from the client")
        else:
            self.counters["rx.ignored_discovery"] += 1

    def _service_ok(self, pkt: Discovery) -> bool:
        wanted = pkt.tag(C.TAG_SERVICE_NAME)
        return not wanted or not self.config.services or wanted.decode(errors="replace") in self.config.services

    def _base_tags(self, pkt: Discovery) -> list[tuple[int, bytes]]:
        wanted = pkt.tag(C.TAG_SERVICE_NAME) or b""
        return [(C.TAG_SERVICE_NAME, wanted), (C.TAG_AC_NAME, self.config.ac_name.encode())]

    def _full(self) -> str | None:
        """Why no new session can start now, if none can."""
        if self.closing:
            return "access concentrator shutting down"
        if len(self.sessions) >= self.config.max_sessions or self.pool.free == 0:
            return "session limit reached"
        if self.config.max_setup and self.in_setup >= self.config.max_setup:
            return "too many sessions in setup"
        return None

    def _on_padi(self, eth: EthFrame, pkt: Discovery, now: float) -> None:
        if pkt.tag(C.TAG_SERVICE_NAME) is None or not self._service_ok(pkt):
            self.counters["padi.refused_service"] += 1
            return  # RFC 2516 5.2: an AC that cannot serve the request does not answer
        if self._full():
            self.counters["padi.refused_full"] += 1
            return
        tags = self._base_tags(pkt)
        offered = [s.encode() for s in self.config.services if s.encode() != tags[0][1]]
        tags += [(C.TAG_SERVICE_NAME, s) for s in offered]
        tags.append((C.TAG_AC_COOKIE, self.cookies.make(eth.src, pkt.tag(C.TAG_HOST_UNIQ), now)))
        tags += echo_tags(pkt)
        self.send_discovery(self.config.mac, eth.src, Discovery(C.PADO, 0, tags))

    def _on_padr(self, eth: EthFrame, pkt: Discovery, now: float) -> None:
        peer, host_uniq, cookie = eth.src, pkt.tag(C.TAG_HOST_UNIQ), pkt.tag(C.TAG_AC_COOKIE)
        epoch = self.cookies.epoch(peer, host_uniq, cookie, now)
        if epoch is None:
            self.counters["padr.bad_cookie"] += 1
            return
        opened = self.cookies.spent(cookie, epoch)
        if opened is None and not self.guard.padr_ok(now):
            return
        if opened is not None:
            if not opened.gone and opened.ppp.phase == Phase.ESTABLISH:
                # Our PADS was lost and the host asks again: same answer, no second session.
                self._send_pads(opened, pkt)
            else:
                self.counters["padr.cookie_reused"] += 1  # a cookie opens one session only
            return
        full = self._full()
        if full == "too many sessions in setup":
            self.counters["padr.deferred_busy"] += 1
            return  # no answer: the host retransmits its PADR once sessions in setup have settled
        error = None
        if not self._service_ok(pkt):
            error = (C.TAG_SERVICE_NAME_ERROR, b"service not offered")
        elif full:
            error = (C.TAG_AC_SYSTEM_ERROR, full.encode())
        elif self.config.max_sessions_per_mac and \
                self.per_mac.get(peer, 0) >= self.config.max_sessions_per_mac:
            error = (C.TAG_AC_SYSTEM_ERROR, b"too many sessions for this MAC")
        session_id = None if error else self._allocate_id(peer)
        if session_id is None and error is None:
            error = (C.TAG_AC_SYSTEM_ERROR, b"no session id left for this MAC")
        if error:
            self.counters["padr.refused"] += 1
            tags = self._base_tags(pkt) + echo_tags(pkt) + [error]
            self.send_discovery(self.config.mac, peer, Discovery(C.PADS, 0, tags))
            return
        session = AcSession(self, peer, session_id, host_uniq, now)
        session.line_id = parse_line_id(pkt)
        # No address yet: the pool is spent only on peers that authenticate.
        session.ppp = PppSession(session.key, self.config.ppp, session.send_ppp, session.on_event,
                                 self.rng, assign_ip=session.take_address)
        self.sessions[(peer, session_id)] = session
        self.cookies.spend(cookie, epoch, session, now)
        self.per_mac[peer] = self.per_mac.get(peer, 0) + 1
        self.in_setup += 1
        self._send_pads(session, pkt)
        self.emit(DiscoveryDone(session.key, session_id, mac_str(peer), self.config.ac_name))
        session.ppp.open(now)
        self.schedule(session)

    def _send_pads(self, session: AcSession, pkt: Discovery) -> None:
        tags = self._base_tags(pkt) + echo_tags(pkt)
        self.send_discovery(self.config.mac, session.peer, Discovery(C.PADS, session.session_id, tags))

    def _allocate_id(self, peer: bytes) -> int | None:
        """An unpredictable free session id for this MAC (a blind PADT must guess it), or None."""
        for _ in range(ID_TRIES):
            sid = self.rng.randrange(1, 0xFFFF)
            if (peer, sid) not in self.sessions:
                return sid
        start = self.rng.randrange(0xFFFE)  # nearly full: scan once, so allocation always ends
        for step in range(0xFFFE):
            sid = (start + step) % 0xFFFE + 1
            if (peer, sid) not in self.sessions:
                return sid
        return None

    # ---- session traffic
    def on_session(self, eth: EthFrame, session_id: int, protocol: int, info: bytes, now: float) -> None:
        session = self.sessions.get((eth.src, session_id))
        if session is None or eth.dst != self.config.mac:
            self.counters["rx.unmatched"] += 1
            return
        session.ppp.receive(protocol, info, now)
        self.schedule(session)

    def on_data(self, src: bytes, dst: bytes, session_id: int, protocol: int, packet: bytes, now: float) -> None:
        session = self.sessions.get((src, session_id)) if dst == self.config.mac else None
        self.deliver(session, protocol, packet, now)

    def session_ended(self, session: AcSession, now: float) -> None:
        if session.gone:
            return
        session.gone = True
        if not session.peer_padt:
            self.send_discovery(self.config.mac, session.peer, Discovery(
                C.PADT, session.session_id, [(C.TAG_AC_NAME, self.config.ac_name.encode())]))
        if session.address:
            self.pool.release(session.address)
            if self.by_address.get(ip_bytes(session.address)) is session:
                del self.by_address[ip_bytes(session.address)]
        self.sessions.pop((session.peer, session.session_id), None)
        if session.up_at is None:
            self.in_setup -= 1
        left = self.per_mac.get(session.peer, 1) - 1
        if left:
            self.per_mac[session.peer] = left
        else:
            self.per_mac.pop(session.peer, None)
        session.retire()
        self.ended.append(session)
        self.counters["sessions.ended"] += 1

    def close(self, now: float, reason: str = "access concentrator shutting down") -> None:
        self.closing = True  # no new sessions from here on
        for session in list(self.sessions.values()):
            session.ppp.close(now, reason)
            self.schedule(session)

    def session_for_address(self, packed: bytes) -> AcSession | None:
        return self.by_address.get(packed)
