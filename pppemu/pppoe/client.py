"""The subscriber role: many PPPoE sessions, each with its own MAC and Host-Uniq.

Each session runs discovery (PADI -> PADS) first; then the PPPoE session carries PPP.
"""
from __future__ import annotations

import itertools
import random
from collections import deque
from dataclasses import dataclass, field, replace

from pppemu.ipv6.dhcp_client import Dhcpv6Client
from pppemu.ipv6.host import Ipv6Host
from pppemu.ppp.events import Dhcpv6Failed, DiscoveryDone, Event, Ipv6Configured, SessionKey
from pppemu.ppp.session import PppConfig
from pppemu.pppoe.discovery import DiscoveryClient, DiscoveryState, DiscoveryTimers
from pppemu.pppoe.endpoint import Endpoint
from pppemu.pppoe.session import PppoeSession
from pppemu.wire import const as C
from pppemu.wire.ethernet import EthFrame, mac_str, vlan_key, vlan_label
from pppemu.wire.pppoe import Discovery

KEEP_ENDED = 100_000  # ended sessions kept for the report when they are forgotten


@dataclass
class ClientConfig:
    """What the subscribers say on the wire; the command line's defaults are these."""
    ppp: PppConfig = field(default_factory=PppConfig)
    service_name: str = ""
    ac_name: str | None = None
    max_payload: int | None = None   # RFC 4638 PPP-Max-Payload to ask for (> 1492)
    discovery: DiscoveryTimers = field(default_factory=DiscoveryTimers)
    extra_tags: tuple = ()
    # DHCPv6 once a Router Advertisement sets M or O (with ppp.ipv6): which IAs to ask for
    # ("na", "pd"), and whether to offer Rapid Commit.
    dhcpv6: tuple[str, ...] = ()
    rapid_commit: bool = True
    # Soak runs start sessions without end: keep ended ones only in brief (like the AC does).
    forget_ended: bool = False
    # IPv6CP only: router discovery, SLAAC and DHCPv6 are left to whatever sits behind the
    # data sink (the kernel on a TUN device), which gets every IPv6 packet as data.
    ipv6_by_kernel: bool = False


class ClientRole(Endpoint):
    """The subscriber end: one PppoeSession per emulated subscriber, each with its own MAC
    and Host-Uniq, brought up by discovery and then PPP."""

    SIDE = "client"

    def __init__(self, config: ClientConfig | None = None, rng: random.Random | None = None):
        super().__init__()
        self.config = config or ClientConfig()
        self.rng = rng or random.SystemRandom()
        self.sessions: dict[int, PppoeSession] = {}  # by number, from 1
        # Discovery answers are matched by Host-Uniq (several sessions may share a MAC);
        # session frames and PADT by (tag stack, AC MAC, session id, our MAC).
        self.by_host_uniq: dict[bytes, PppoeSession] = {}
        self.by_session: dict[tuple[bytes, bytes, int, bytes], PppoeSession] = {}
        self.ended: deque[PppoeSession] = deque(maxlen=KEEP_ENDED)  # with forget_ended, the newest
        self._numbers = itertools.count(1)
        self._ppp_config: dict[int, PppConfig] = {}  # per-session credentials, when they differ

    def add_session(self, mac: bytes, now: float, *, username: str | None = None,
                    password: str | None = None, extra_tags: tuple = (), start: bool = True,
                    vlan_tags: bytes = b"") -> PppoeSession:
        """A subscriber with this MAC, on this VLAN tag stack (as on the wire; b"": untagged)."""
        number = next(self._numbers)
        host_uniq = self.rng.randbytes(8)
        session = PppoeSession(self, SessionKey(number, mac_str(mac), vlan=vlan_label(vlan_tags)), mac, b"", now,
                               host_uniq=host_uniq, tags=vlan_tags)
        session.started_at = None  # set when discovery starts
        config = self.config
        session.discovery = DiscoveryClient(
            mac, host_uniq, lambda dst, pkt: self.send_discovery(mac, dst, pkt, vlan_tags),
            service_name=config.service_name, ac_name=config.ac_name, max_payload=config.max_payload,
            extra_tags=tuple(config.extra_tags) + tuple(extra_tags), timers=config.discovery)
        if username is not None or password is not None:
            self._ppp_config[number] = replace(
                config.ppp, username=username if username is not None else config.ppp.username,
                password=password if password is not None else config.ppp.password)
        self.sessions[number] = session
        self.by_host_uniq[host_uniq] = session
        if start:
            self.start_session(session, now)
        return session

    def start_session(self, session: PppoeSession, now: float) -> None:
        assert session.discovery is not None
        session.started_at = now
        session.discovery.start(now)
        self.schedule(session)

    def close(self, now: float, reason: str = "administrative close") -> None:
        for session in list(self.sessions.values()):
            self.close_session(session, now, reason)

    def close_session(self, session: PppoeSession, now: float, reason: str = "administrative close") -> None:
        session.close(now, reason)
        self.schedule(session)

    # ---- what the sessions ask of their endpoint
    def discovery_progress(self, session: PppoeSession, now: float) -> None:
        d = session.discovery
        if d is None or session.ppp is not None:
            return
        if d.state == DiscoveryState.FAILED:
            session.end(now, d.failure)
        elif d.state == DiscoveryState.SESSION:
            session.peer_mac, session.session_id = d.ac_mac, d.session_id
            ppp_config = self._ppp_config.pop(session.key.number, self.config.ppp)
            if d.peer_max_payload:
                ppp_config = replace(ppp_config, max_mru=d.peer_max_payload, mru=d.peer_max_payload)
            elif ppp_config.mru > C.PPPOE_MRU or ppp_config.max_mru > C.PPPOE_MRU:
                # The AC did not grant RFC 4638: back to what PPPoE carries (RFC 2516 section 7).
                ppp_config = replace(ppp_config, mru=min(ppp_config.mru, C.PPPOE_MRU),
                                     max_mru=min(ppp_config.max_mru, C.PPPOE_MRU))
            self.emit(DiscoveryDone(replace(session.key, session_id=d.session_id), d.session_id,
                                    mac_str(d.ac_mac), d.ac_name))
            self.by_session[(session.vlan_key, d.ac_mac, d.session_id, session.local_mac)] = session
            session.open_ppp(now, ppp_config, self.rng)

    def session_event(self, session: PppoeSession, event: Event) -> bool:
        return True

    def session_ipv6_up(self, session: PppoeSession, now: float) -> None:
        if self.config.ipv6_by_kernel:
            return
        assert session.ppp is not None and session.ppp.ipv6cp_policy.iid is not None
        session.ipv6 = Ipv6Host(session.key, session.ppp.ipv6cp_policy.iid, session.send_ipv6, session.on_event,
                                self.rng)
        session.ipv6.start(now)

    def session_ipv6_configured(self, session: PppoeSession, event: Ipv6Configured, now: float) -> None:
        wanted = self.config.dhcpv6
        if not wanted or session.dhcp6 is not None or not isinstance(session.ipv6, Ipv6Host):
            return
        if not (event.managed or event.other):
            # As CPEs do: DHCPv6 only when the router says there is something to get.
            self.emit(Dhcpv6Failed(session.key, "the Router Advertisement set neither M nor O: no DHCPv6"))
            return
        session.dhcp6 = Dhcpv6Client(session.key, session.local_mac, session.ipv6.local, session.send_ipv6,
                                     session.on_event, self.rng, want_na="na" in wanted, want_pd="pd" in wanted,
                                     rapid_commit=self.config.rapid_commit)
        session.dhcp6.start(now)
        self.schedule(session)

    def session_ended(self, session: PppoeSession) -> None:
        self.by_session.pop((session.vlan_key, session.peer_mac, session.session_id, session.local_mac), None)
        self.by_host_uniq.pop(session.host_uniq or b"", None)
        if self.config.forget_ended:
            self.sessions.pop(session.key.number, None)
            session.retire()
            self.ended.append(session)

    def every_session(self) -> list[PppoeSession]:
        return list(self.sessions.values()) + list(self.ended)

    def padt_for(self, session: PppoeSession) -> Discovery:
        assert session.discovery is not None
        return session.discovery.padt()

    def find_session(self, src: bytes, dst: bytes, tags: bytes, session_id: int) -> PppoeSession | None:
        return self.by_session.get((vlan_key(tags), src, session_id, dst))

    def send_packet(self, session: PppoeSession, protocol: int, data: bytes) -> bool:
        return session.ppp is not None and session.ppp.send_packet(protocol, data)

    # ---- frames in
    def on_discovery(self, eth: EthFrame, tags: bytes, pkt: Discovery, now: float) -> None:
        if pkt.code == C.PADT:
            session = self.find_session(eth.src, eth.dst, tags, pkt.session_id)
        else:
            session = self.by_host_uniq.get(pkt.tag(C.TAG_HOST_UNIQ) or b"")
            if session is not None and session.local_mac != eth.dst:
                session = None
            elif session is not None and session.vlan_key != vlan_key(tags):
                # An AC answering on another tag stack than the subscriber's line is broken;
                # load testers that match by MAC alone would not notice.
                self.counters["rx.wrong_vlan"] += 1
                return
        if session is None or session.gone:
            self.counters["rx.unmatched"] += 1
            return
        if pkt.code == C.PADT:
            if session.ppp is not None:
                reason = "PADT from the access concentrator"
                err = pkt.error()
                if err and err[1]:
                    reason += ": " + err[1].decode(errors="replace")
                session.padt_received(now, reason)
        elif session.ppp is None and session.discovery is not None:
            session.discovery.receive(eth.src, pkt, now)
            self.discovery_progress(session, now)
        self.schedule(session)

    @property
    def all_gone(self) -> bool:
        return all(s.gone for s in self.sessions.values())
