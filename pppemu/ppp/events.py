"""What the sans-IO roles report to whoever drives them. ``key`` names the session."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True)
class Event:
    key: Any


@dataclass(slots=True)
class DiscoveryDone(Event):
    session_id: int
    peer_mac: str
    ac_name: str = ""


@dataclass(slots=True)
class LinkUp(Event):
    """LCP reached Opened."""
    mru: int = 0


@dataclass(slots=True)
class AuthDone(Event):
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
    local_link_local: str | None = None
    peer_link_local: str | None = None


@dataclass(slots=True)
class SessionDown(Event):
    reason: str


@dataclass(slots=True)
class Packet(Event):
    """An IPv4 or IPv6 packet received on an open session."""
    protocol: int
    data: bytes
