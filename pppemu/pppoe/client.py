"""The subscriber role: many PPPoE sessions, each with its own MAC and Host-Uniq."""
from __future__ import annotations

import random
from dataclasses import dataclass, field, replace

from pppemu.ppp.events import DiscoveryDone, Event, SessionDown, SessionUp
from pppemu.ppp.session import PppConfig, PppSession
from pppemu.pppoe.discovery import DiscoveryClient, DiscoveryTimers
from pppemu.pppoe.endpoint import Role
from pppemu.wire import const as C
from pppemu.wire.ethernet import EthFrame, mac_str
from pppemu.wire.pppoe import Discovery


@dataclass
class ClientConfig:
    ppp: PppConfig = field(default_factory=PppConfig)
    service_name: str = ""
    ac_name: str | None = None
    max_payload: int | None = None   # RFC 4638 PPP-Max-Payload to ask for (> 1492)
    discovery: DiscoveryTimers = field(default_factory=DiscoveryTimers)
    extra_tags: tuple = ()


class ClientSession:
    """Discovery then PPP for one subscriber."""

    def __init__(self, role: ClientRole, index: int, mac: bytes, config: ClientConfig, rng: random.Random,
                 extra_tags: tuple = ()):
        self.role, self.index, self.mac, self.config = role, index, mac, config
        self.key = index
        self.host_uniq = rng.randbytes(8)
        self.discovery = DiscoveryClient(mac, self.host_uniq, self._send_discovery,
                                         service_name=config.service_name, ac_name=config.ac_name,
                                         max_payload=config.max_payload,
                                         extra_tags=tuple(config.extra_tags) + tuple(extra_tags),
                                         timers=config.discovery)
        self.ppp: PppSession | None = None
        self.rng = rng
        self.scheduled: float | None = None
        self.gone = False
        self.started_at: float | None = None
        self.up_at: float | None = None
        self.down_reason = ""
        self._peer_padt = False

    @property
    def session_id(self) -> int:
        return self.discovery.session_id

    @property
    def state(self) -> str:
        if self.down_reason:
            return "failed" if self.up_at is None else "closed"
        if self.ppp is None:
            return "discovery"
        return "up" if self.ppp.is_up else self.ppp.phase.value

    def _send_discovery(self, dst: bytes, pkt: Discovery) -> None:
        self.role.send_discovery(self.mac, dst, pkt)

    def _send_ppp(self, protocol: int, info: bytes) -> None:
        self.role.send_session(self.mac, self.discovery.ac_mac, self.session_id, protocol, info)

    @property
    def deadline(self) -> float | None:
        if self.ppp is not None:
            return self.ppp.deadline
        return self.discovery.deadline

    def start(self, now: float) -> None:
        self.started_at = now
        self.discovery.start(now)

    def tick(self, now: float) -> None:
        if self.ppp is not None:
            self.ppp.tick(now)
        else:
            self.discovery.tick(now)
            self._after_discovery(now)

    def on_discovery(self, src: bytes, pkt: Discovery, now: float) -> None:
        if pkt.code == C.PADT:
            if self.ppp is not None and src == self.discovery.ac_mac and pkt.session_id == self.session_id:
                self._peer_padt = True
                reason = "PADT from the access concentrator"
                err = pkt.error()
                if err and err[1]:
                    reason += ": " + err[1].decode(errors="replace")
                self.ppp.lower_down(now, reason)
            return
        if self.ppp is None:
            self.discovery.receive(src, pkt, now)
            self._after_discovery(now)

    def _after_discovery(self, now: float) -> None:
        d = self.discovery
        if d.state == "failed":
            self._ended(now, d.failure)
        elif d.state == "session" and self.ppp is None:
            ppp_cfg = self.config.ppp
            if d.peer_max_payload:
                ppp_cfg = replace(ppp_cfg, max_mru=d.peer_max_payload, mru=d.peer_max_payload)
            self.role.emit(DiscoveryDone(self.key, d.session_id, mac_str(d.ac_mac), d.ac_name))
            self.ppp = PppSession(self.key, ppp_cfg, self._send_ppp, self._on_ppp_event, self.rng)
            self.role.by_session[(d.ac_mac, d.session_id, self.mac)] = self
            self.ppp.open(now)

    def _on_ppp_event(self, event: Event) -> None:
        if isinstance(event, SessionUp):
            self.up_at = self.ppp.now
        if isinstance(event, SessionDown):
            self._ended(self.ppp.now, event.reason, emit=False)
        self.role.emit(event)

    def _ended(self, now: float, reason: str, emit: bool = True) -> None:
        if self.gone:
            return
        self.down_reason = reason
        if self.ppp is not None and not self._peer_padt:
            self.role.send_discovery(self.mac, self.discovery.ac_mac, self.discovery.padt())
        self.gone = True
        self.role.session_ended(self)
        if emit:
            self.role.emit(SessionDown(self.key, reason))

    def close(self, now: float, reason: str = "administrative close") -> None:
        if self.gone:
            return
        if self.ppp is not None:
            self.ppp.close(now, reason)
        else:
            self._ended(now, reason)


class ClientRole(Role):
    def __init__(self, config: ClientConfig | None = None, rng: random.Random | None = None, vlans=()):
        super().__init__(vlans)
        self.config = config or ClientConfig()
        self.rng = rng or random.SystemRandom()
        self.sessions: dict[int, ClientSession] = {}
        # Discovery answers are matched by Host-Uniq (several sessions may share a MAC);
        # session frames and PADT by (AC MAC, session id, our MAC).
        self.by_host_uniq: dict[bytes, ClientSession] = {}
        self.by_session: dict[tuple[bytes, int, bytes], ClientSession] = {}

    def add_session(self, mac: bytes, now: float, *, username: str | None = None,
                    password: str | None = None, extra_tags: tuple = (), start: bool = True) -> ClientSession:
        config = self.config
        if username is not None or password is not None:
            ppp = replace(config.ppp, username=username if username is not None else config.ppp.username,
                          password=password if password is not None else config.ppp.password)
            config = replace(config, ppp=ppp)
        index = len(self.sessions)
        session = ClientSession(self, index, mac, config, self.rng, extra_tags)
        self.sessions[index] = session
        self.by_host_uniq[session.host_uniq] = session
        if start:
            self.start_session(session, now)
        return session

    def start_session(self, session: ClientSession, now: float) -> None:
        session.start(now)
        self.schedule(session)

    def close(self, now: float, reason: str = "administrative close") -> None:
        for session in list(self.sessions.values()):
            self.close_session(session, now, reason)

    def close_session(self, session: ClientSession, now: float, reason: str = "administrative close") -> None:
        session.close(now, reason)
        self.schedule(session)

    def session_ended(self, session: ClientSession) -> None:
        self.by_session.pop((session.discovery.ac_mac, session.session_id, session.mac), None)
        self.by_host_uniq.pop(session.host_uniq, None)

    def send_packet(self, session: ClientSession, protocol: int, data: bytes) -> bool:
        return session.ppp is not None and session.ppp.send_packet(protocol, data)

    def on_discovery(self, eth: EthFrame, pkt: Discovery, now: float) -> None:
        if pkt.code == C.PADT:
            session = self.by_session.get((eth.src, pkt.session_id, eth.dst))
        else:
            session = self.by_host_uniq.get(pkt.tag(C.TAG_HOST_UNIQ) or b"")
            if session is not None and session.mac != eth.dst:
                session = None
        if session is None or session.gone:
            self.counters["rx.unmatched"] += 1
            return
        session.on_discovery(eth.src, pkt, now)
        self.schedule(session)

    def on_session(self, eth: EthFrame, session_id: int, protocol: int, info: bytes, now: float) -> None:
        session = self.by_session.get((eth.src, session_id, eth.dst))
        if session is None:
            self.counters["rx.unmatched"] += 1
            return
        session.ppp.receive(protocol, info, now)
        self.schedule(session)

    def on_data(self, src: bytes, dst: bytes, session_id: int, protocol: int, packet: bytes, now: float) -> None:
        self.deliver(self.by_session.get((src, session_id, dst)), protocol, packet, now)

    @property
    def all_gone(self) -> bool:
        return all(s.gone for s in self.sessions.values())
