"""What the sans-IO roles report to whoever drives them. ``key`` names the session."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class SessionKey:
    """Which session an event is about, the same at both ends.

    `number` counts the sessions of one endpoint from 1 (the client's subscriber number,
    the one `{n}` expands to); `mac` is the subscriber's MAC (the client's own, the AC's
    peer). The PPPoE session id is known only after discovery, so it rides along
    without taking part in equality: a key stays the same key once the id is known.
    `vlan` is the subscriber's tag stack as people write it ("100.7"), "" untagged.
    """
    number: int
    mac: str
    session_id: int = field(default=0, compare=False)
    vlan: str = field(default="", compare=False)


@dataclass(slots=True)
class Event:
    """Something that happened to one session (not the automaton's input events of fsm.py)."""
    key: SessionKey


@dataclass(slots=True)
class DiscoveryDone(Event):
    """PPPoE discovery agreed on a session id with the peer; PPP starts."""
    session_id: int
    peer_mac: str
    ac_name: str = ""


@dataclass(slots=True)
class LinkUp(Event):
    """LCP reached Opened."""
    mru: int = 0  # the largest PPP payload we may send (the peer's MRU, capped by the link)


@dataclass(slots=True)
class AuthDone(Event):
    """Authentication ended, either way; ``peer_name`` is the name the peer gave."""
    ok: bool
    peer_name: str = ""
    reason: str = ""


@dataclass(slots=True)
class SessionUp(Event):
    """IPCP reached Opened: the session carries IPv4."""
    ip: str | None = None
    gateway: str | None = None
    dns: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Ipv6Up(Event):
    """IPv6CP reached Opened: the link-local addresses from the interface identifiers."""
    local_link_local: str | None = None
    peer_link_local: str | None = None


@dataclass(slots=True)
class Ipv6Configured(Event):
    """The first Router Advertisement arrived: the address SLAAC made from its /64 (None if
    it offered none to autoconfigure), the router, its DNS servers (RDNSS) and M/O flags."""
    address: str | None = None
    prefix: str | None = None
    router: str | None = None
    dns: list[str] = field(default_factory=list)
    managed: bool = False
    other: bool = False


@dataclass(slots=True)
class Dhcpv6Bound(Event):
    """DHCPv6 bound (or renewed) the subscriber: its address (IA_NA), its delegated prefix
    (IA_PD) and DNS servers; `renewed` for a Renew or Rebind of an existing binding."""
    address: str | None = None
    prefix: str | None = None
    dns: list[str] = field(default_factory=list)
    renewed: bool = False


@dataclass(slots=True)
class Dhcpv6Failed(Event):
    """DHCPv6 gave up (no server answered, or it refused with a status code): why."""
    reason: str


@dataclass(slots=True)
class SessionDown(Event):
    """The session ended; ``reason`` says why, in the words of whoever ended it."""
    reason: str


@dataclass(slots=True)
class Packet(Event):
    """An IPv4 or IPv6 packet received on an open session."""
    protocol: int
    data: bytes
