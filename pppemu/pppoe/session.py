"""One PPPoE session, the same object at both ends.

It holds the two MACs, the session id, the PPP session on top, and the session's life:
started, up, down and why, the PADT sent when it ends (unless the peer sent one). What
differs between the roles stays in them: the client runs discovery before there is a
session id, the AC owns the address pool and the setup deadline.
"""
from __future__ import annotations

import ipaddress
import random
from dataclasses import replace
from typing import TYPE_CHECKING

from pppemu.ipv6.dhcp_client import Dhcpv6Client
from pppemu.ipv6.dhcp_server import Dhcpv6Server
from pppemu.ipv6.host import Ipv6Host
from pppemu.ipv6.router import Ipv6Router
from pppemu.ppp.events import Dhcpv6Bound, Event, Ipv6Configured, Ipv6Up, Packet, SessionDown, SessionKey, SessionUp
from pppemu.ppp.session import PppConfig, PppSession, retransmissions
from pppemu.wire import const as C
from pppemu.wire.ethernet import vlan_key

if TYPE_CHECKING:
    from pppemu.pppoe.discovery import DiscoveryClient
    from pppemu.pppoe.endpoint import Endpoint


class PppoeSession:
    def __init__(self, endpoint: Endpoint, key: SessionKey, local_mac: bytes, peer_mac: bytes, now: float,
                 host_uniq: bytes | None = None, tags: bytes = b""):
        self.endpoint, self.key = endpoint, key
        self.local_mac, self.peer_mac, self.host_uniq = local_mac, peer_mac, host_uniq
        self.tags = tags  # the VLAN tag stack every frame of the session goes out with
        self.vlan_key = vlan_key(tags)  # the same without priority bits: part of the session's key
        self.session_id = key.session_id
        self.ppp: PppSession | None = None
        self.discovery: DiscoveryClient | None = None  # the client's, until the PADS
        self.line_id: dict[str, str] = {}  # Agent-Circuit-Id / Agent-Remote-Id sent or received
        self.setup_deadline: float | None = None  # the AC's: ended if not up by then
        self.ipv6: Ipv6Host | Ipv6Router | None = None  # above IPv6CP, once it opened
        self.dhcp6: Dhcpv6Client | Dhcpv6Server | None = None
        self.prefix6: ipaddress.IPv6Network | None = None  # the /64 advertised (AC) or learnt (client)
        # lifecycle
        self.started_at: float | None = now
        self.up_at: float | None = None
        self.down_reason = ""
        self.peer_padt = False
        self.gone = False
        self.scheduled: float | None = None  # the deadline the endpoint's timer heap holds
        # what the report keeps once the PPP state is dropped
        self.address: str | None = None   # the subscriber's address
        self.gateway: str | None = None   # the AC's address
        self.dns: list[str] = []
        self.address6: str | None = None  # the subscriber's, by SLAAC
        self.dns6: list[str] = []
        self.na_address6: str | None = None  # the subscriber's, by DHCPv6 (IA_NA)
        self.delegated6: str | None = None   # its delegated prefix (IA_PD)
        self.ipv6_at: float | None = None    # when IPv6 last completed a step: SLAAC, then DHCPv6
        self._username: str | None = None
        self._retransmissions = 0

    # ---- state
    @property
    def state(self) -> str:
        if self.gone:
            return "closed" if self.up_at is not None else "failed"
        if self.ppp is None:
            return "discovery"
        return "up" if self.ppp.is_up else self.ppp.phase.value

    @property
    def username(self) -> str | None:
        """The subscriber's name: ours on the client, the one the peer authenticated with on the AC."""
        if self.ppp is None:
            return self._username
        return (self.ppp.config.username if self.endpoint.SIDE == "client" else self.ppp.peer_name) or None

    @property
    def retransmissions(self) -> int:
        ppp = retransmissions(self.ppp) if self.ppp is not None else self._retransmissions
        return ppp + (self.discovery.retransmits if self.discovery is not None else 0)

    # ---- timers
    @property
    def deadline(self) -> float | None:
        own = self.ppp.deadline if self.ppp is not None else (
            self.discovery.deadline if self.discovery is not None else None)
        for above in self._above_ipv6cp():
            if above.deadline is not None:
                own = above.deadline if own is None else min(own, above.deadline)
        if self.up_at is not None or self.setup_deadline is None:
            return own
        return self.setup_deadline if own is None else min(own, self.setup_deadline)

    def tick(self, now: float) -> None:
        if self.up_at is None and self.setup_deadline is not None and now >= self.setup_deadline:
            # Whatever the peer keeps acknowledging: a session that is not up by now never will be.
            assert self.ppp is not None and self.started_at is not None  # the AC's: it starts at the PADR
            self.ppp.lower_down(now, f"setup not complete within {self.setup_deadline - self.started_at:g} s")
        elif self.ppp is not None:
            self.ppp.tick(now)
            for above in self._above_ipv6cp():
                if not self.gone:
                    above.tick(now)
        elif self.discovery is not None:
            self.discovery.tick(now)
            self.endpoint.discovery_progress(self, now)

    # ---- PPP on top
    def open_ppp(self, now: float, config: PppConfig, rng: random.Random, assign_ip=None) -> PppSession:
        """The PPPoE session exists (PADS sent or received): start LCP."""
        self.key = replace(self.key, session_id=self.session_id)
        self.ppp = PppSession(self.key, config, self.send_ppp, self.on_event, rng, assign_ip=assign_ip)
        self.ppp.open(now)
        return self.ppp

    def send_ipv6(self, packet: bytes) -> bool:
        return self.ppp is not None and self.ppp.send_packet(C.PROTO_IPV6, packet)

    def take_ipv6(self, packet: bytes, now: float) -> bool:
        """Offer an IPv6 packet to the IPv6 control plane (router discovery, DHCPv6);
        False: it is data, pass it on."""
        return any(above.receive(packet, now) for above in self._above_ipv6cp())

    def _above_ipv6cp(self) -> list[Ipv6Host | Ipv6Router | Dhcpv6Client | Dhcpv6Server]:
        return [above for above in (self.ipv6, self.dhcp6) if above is not None]

    def send_ppp(self, protocol: int, info: bytes) -> None:
        self.endpoint.send_session(self.local_mac, self.peer_mac, self.tags, self.session_id, protocol, info)

    def on_event(self, event: Event) -> None:
        assert self.ppp is not None
        if isinstance(event, SessionUp):
            client = self.endpoint.SIDE == "client"
            subscriber, gateway = (event.ip, event.gateway) if client else (event.gateway, event.ip)
            # The AC's IPCP asks for no DNS: what it hands out is its configuration.
            self.address, self.gateway = subscriber, gateway
            self.dns = list(event.dns) if client else list(self.ppp.config.dns)
            if self.up_at is None:  # IPCP opens again after a renegotiation: still the same session
                self.up_at = self.ppp.now
                self.endpoint.session_up(self)
        elif isinstance(event, Ipv6Up) and self.ipv6 is None:
            self.endpoint.session_ipv6_up(self, self.ppp.now)
        elif isinstance(event, Ipv6Configured):
            if event.prefix:
                self.prefix6 = ipaddress.IPv6Network(event.prefix)
                self.address6, self.dns6 = event.address, list(event.dns)
            self.ipv6_at = self.ppp.now
            self.endpoint.session_ipv6_configured(self, event, self.ppp.now)
        elif isinstance(event, Dhcpv6Bound):
            if not event.renewed:
                self.ipv6_at = self.ppp.now
            self.na_address6, self.delegated6 = event.address, event.prefix
            self.dns6 = list(dict.fromkeys(self.dns6 + event.dns))
        elif isinstance(event, Packet) and event.protocol == C.PROTO_IPV6 and self.take_ipv6(event.data, self.ppp.now):
            self.endpoint.schedule(self)
            return
        elif isinstance(event, SessionDown):
            self.end(self.ppp.now, event.reason, emit=False)
        if self.endpoint.session_event(self, event):
            self.endpoint.emit(event)

    # ---- the end
    def padt_received(self, now: float, reason: str) -> None:
        self.peer_padt = True
        if self.ppp is not None:
            self.ppp.lower_down(now, reason)
        else:
            self.end(now, reason)

    def close(self, now: float, reason: str = "administrative close") -> None:
        """End gracefully: LCP Terminate-Request first if PPP runs, then PADT."""
        if self.gone:
            return
        if isinstance(self.dhcp6, Dhcpv6Client):
            self.dhcp6.release(now)  # what DHCPv6 bound goes back before the link does
        if self.ppp is not None:
            self.ppp.close(now, reason)
        else:
            self.end(now, reason)

    def end(self, now: float, reason: str, emit: bool = True) -> None:
        """The session is over: PADT to the peer (unless it sent one), give back what it held."""
        if self.gone:
            return
        self.gone = True
        self.down_reason = reason
        if self.session_id and not self.peer_padt:
            self.endpoint.send_discovery(self.local_mac, self.peer_mac, self.endpoint.padt_for(self), self.tags)
        self.endpoint.session_ended(self)
        if emit:
            self.endpoint.emit(SessionDown(self.key, reason))

    def retire(self) -> None:
        """Keep what the report needs and drop the protocol state (ended sessions pile up)."""
        if self.ppp is not None:
            self._username, self._retransmissions = self.username, retransmissions(self.ppp)
        self.ppp = None
