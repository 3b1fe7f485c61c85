"""A synchronous Python facade: one subscriber session, driven by a background loop.

    from scapy.layers.inet import IP, ICMP
    from pppemu import PPPoESession

    with PPPoESession(iface="veth0", username="lab", password="lab-secret") as s:
        s.start(timeout=10)
        s.send_packet(IP(dst=s.gw()) / ICMP())
        reply = s.recv_packet(timeout=2)
"""
from __future__ import annotations

import queue
import threading
import time

from pppemu.app.verdict import live_checker
from pppemu.io.link import ONE_HOST_STREAMS, PacketLink
from pppemu.io.loop import EventLoop
from pppemu.ppp.events import Dhcpv6Bound, Ipv6Configured, Packet, SessionDown, SessionUp
from pppemu.ppp.lcp import accepted_auth
from pppemu.ppp.session import PppConfig
from pppemu.pppoe.client import ClientConfig, ClientRole
from pppemu.pppoe.session import PppoeSession
from pppemu.pppoe.vlans import VlanError, VlanPlan, parse_vid_range
from pppemu.wire import const as C
from pppemu.wire.ethernet import mac_bytes

PPP = PppConfig()  # the engine's defaults, the command line's too


class PPPoEError(Exception):
    """The session could not be brought up, or was lost; the message says why."""


class PPPoESession:
    def __init__(self, iface: str, username: str, password: str, *, auth: str = "any",
                 service_name: str = "", ac_name: str | None = None, mac: str | None = None,
                 mru: int = PPP.mru, echo_interval: float = PPP.echo_interval,
                 echo_failure: int = PPP.echo_failure, ipv6: bool = PPP.ipv6, dhcpv6: tuple[str, ...] = (),
                 vlan: int | tuple[int, ...] = (), vlan_tpid: int | None = None, vlan_priority: int = 0,
                 pcap: str | None = None, verbose: bool = False, conformance: bool = False):
        """`vlan`: the session's VLAN id, or ids outermost first: 100, or (100, 7) for QinQ."""
        vids = (vlan,) if isinstance(vlan, int) else tuple(vlan)
        if len(vids) > 2 or not all(isinstance(vid, int) for vid in vids):
            raise VlanError(f"vlan={vlan!r}: one VLAN id, or two (outer, inner)")
        ids = [parse_vid_range(str(vid), "vlan") for vid in vids]
        self._vlan_tags = VlanPlan(ids[0], ids[1] if len(ids) > 1 else None, outer_tpid=vlan_tpid,
                                   priority=vlan_priority).tags(0) if ids else b""
        ppp = PppConfig(mru=mru, username=username, password=password, accept_auth=accepted_auth(auth), ipv6=ipv6,
                        echo_interval=echo_interval, echo_failure=echo_failure)
        self._link = PacketLink(iface, ONE_HOST_STREAMS)
        self._mac = mac_bytes(mac) if mac else self._link.mac
        self._link.accept_only(self._mac, 1)
        self._role = ClientRole(ClientConfig(ppp=ppp, service_name=service_name, ac_name=ac_name, dhcpv6=dhcpv6))
        self._checker = live_checker(conformance)
        self._loop = EventLoop(self._role, self._link, self._on_event, pcap=pcap, verbose=verbose,
                               checker=self._checker)
        self._received: queue.Queue = queue.Queue()
        self._up = threading.Event()
        self._down = threading.Event()
        self._up_event: SessionUp | None = None
        # what SLAAC and DHCPv6 gave, once they did
        self._slaac6: str | None = None
        self._router6: str | None = None
        self._na6: str | None = None
        self._prefix6: str | None = None
        self._dns6: list[str] = []
        self.down_reason: str | None = None
        self._session: PppoeSession | None = None
        self._closed = False

    # ---- runs on the loop thread
    def _on_event(self, event) -> None:
        if isinstance(event, SessionUp):
            self._up_event = event
            self._up.set()
        elif isinstance(event, SessionDown):
            self.down_reason = event.reason
            self._down.set()
        elif isinstance(event, Packet):
            self._received.put(event)
        elif isinstance(event, Ipv6Configured):
            self._slaac6, self._router6 = event.address, event.router
            self._dns6 = list(dict.fromkeys(self._dns6 + event.dns))
        elif isinstance(event, Dhcpv6Bound):
            self._na6, self._prefix6 = event.address, event.prefix
            self._dns6 = list(dict.fromkeys(self._dns6 + event.dns))

    def _start_on_loop(self) -> None:
        self._session = self._role.add_session(self._mac, time.monotonic(), vlan_tags=self._vlan_tags)

    # ---- the caller's side
    def runbg(self) -> None:
        """Start discovery and negotiation in the background; returns at once."""
        if self._loop.thread is None:
            self._loop.call_soon(self._start_on_loop)
            self._loop.run_in_thread()

    def start(self, timeout: float = 30.0) -> PPPoESession:
        """Bring the session up; returns once IPCP is open, raises PPPoEError otherwise.

        The peer may bring its own interface up a moment after IPCP opens (pppd's kernel
        drops IP for a few milliseconds), so a first packet sent at once may go unanswered:
        send it again rather than conclude the session is broken.
        """
        self.runbg()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._up.wait(0.05):
                return self
            if self._down.is_set():
                raise PPPoEError(f"session failed: {self.down_reason}")
        raise PPPoEError(f"session not up within {timeout} s")

    def _require_up(self) -> SessionUp:
        if self._up_event is None:
            raise PPPoEError("the session is not up (call start() first)")
        return self._up_event

    def ip(self) -> str:
        """Our address, as IPCP agreed it."""
        return self._require_up().ip or ""

    def gw(self) -> str:
        """The peer's address: the gateway."""
        return self._require_up().gateway or ""

    def dns(self) -> list[str]:
        return list(self._require_up().dns)

    def ip6(self) -> str | None:
        """Our global IPv6 address (SLAAC, else DHCPv6's IA_NA); None before one arrived.
        Needs ipv6=True; ask DHCPv6 for more with dhcpv6=("na", "pd")."""
        return self._slaac6 or self._na6

    def gw6(self) -> str | None:
        """The IPv6 router: the link-local address of the AC that advertised."""
        return self._router6

    def prefix(self) -> str | None:
        """The prefix DHCPv6 delegated to us (IA_PD), e.g. '2001:db8:200::/56'; None if none."""
        return self._prefix6

    def dns6(self) -> list[str]:
        """IPv6 DNS servers, from the Router Advertisement and DHCPv6."""
        return list(self._dns6)

    @property
    def is_up(self) -> bool:
        return self._up.is_set() and not self._down.is_set()

    def send_packet(self, packet) -> None:
        """Send an IPv4 or IPv6 packet (a scapy packet or raw bytes) through the session."""
        self._require_up()
        if self._down.is_set():
            raise PPPoEError(f"session is down: {self.down_reason}")
        data = bytes(packet)
        protocol = C.PROTO_IPV6 if data and data[0] >> 4 == 6 else C.PROTO_IPV4
        session = self._session
        assert session is not None  # up, so started

        def send() -> None:
            self._role.send_packet(session, protocol, data)  # False if it went down meanwhile: nothing to do
        self._loop.call_soon(send)

    def recv_queuelen(self) -> int:
        """How many received packets wait in the queue."""
        return self._received.qsize()

    def recv_packet(self, timeout: float | None = None, raw: bool = False):
        """The next received packet as a scapy IP/IPv6 packet (bytes if raw), or None on timeout."""
        try:
            event = self._received.get(timeout=timeout)
        except queue.Empty:
            return None
        if raw:
            return event.data
        from scapy.layers.inet import IP
        from scapy.layers.inet6 import IPv6
        return IP(event.data) if event.protocol == C.PROTO_IPV4 else IPv6(event.data)

    def violations(self) -> list:
        """With conformance=True: the RFC violations seen so far, on both sides (see `pppemu check`)."""
        if self._checker is None:
            raise PPPoEError("create the session with conformance=True to judge it")
        return self._checker.finish() if self._closed else list(self._checker.violations)

    def close(self, timeout: float = 10.0) -> None:
        """Terminate gracefully (LCP Terminate-Request, PADT) and release the interface."""
        if self._closed:
            return
        self._closed = True
        if self._loop.thread is not None:
            self._loop.call_soon(lambda: self._role.close(time.monotonic(), "user request"))
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline and not self._role.all_gone:
                time.sleep(0.02)
            self._loop.stop()
            self._loop.thread.join(timeout=5)
        self._loop.close()

    def __enter__(self) -> PPPoESession:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
