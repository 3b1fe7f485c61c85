"""The access-concentrator role: answers discovery, authenticates, assigns addresses.

Sessions are keyed by (peer MAC, session id); the AC owns the pool and the secrets.
Discovery is stateless until a PADR with a valid cookie arrives.
"""
from __future__ import annotations

import ipaddress
import itertools
import random
from collections import deque
from dataclasses import dataclass, field, replace
from ipaddress import IPv4Address

from pppemu.ipv6.dhcp_server import Dhcpv6Server
from pppemu.ipv6.router import Ipv6Router
from pppemu.ppp.events import DiscoveryDone, Event, Packet, SessionKey, SessionUp
from pppemu.ppp.session import Phase, PppConfig
from pppemu.pppoe.admission import DiscoveryGuard
from pppemu.pppoe.discovery import CookieJar, echo_tags, parse_line_id
from pppemu.pppoe.endpoint import Endpoint
from pppemu.pppoe.pool import AddressPool, PoolError, PrefixPool
from pppemu.pppoe.session import PppoeSession
from pppemu.pppoe.vlans import VlanFilter, payload_room
from pppemu.wire import const as C
from pppemu.wire import icmp
from pppemu.wire.dhcpv6 import duid_ll
from pppemu.wire.ethernet import EthFrame, mac_str, tags_end, vlan_key, vlan_label
from pppemu.wire.pppoe import Discovery

ID_TRIES = 16         # random session ids tried before a scan for a free one


@dataclass
class AcConfig:
    """What the AC says on the wire and what it allows; the command line's defaults are these."""
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
    # IPv6 above IPv6CP (with ppp.ipv6): a /64 per session from this block, advertised in
    # Router Advertisements every ra_interval seconds, with these DNS servers (RDNSS).
    ra_prefix_pool: str | None = None
    dns6: tuple[str, ...] = ()
    ra_interval: float = 200.0
    # DHCPv6 (served whenever there is something to hand out): IA_NA an address from the
    # session's /64, IA_PD a /pd_length per session from pd_pool.
    pd_pool: str | None = None
    pd_length: int = 56
    # RFC 4638: the largest PPP payload our link carries (its MTU - 8). Above 1492, a host that
    # asks with PPP-Max-Payload gets min(its value, ours), and LCP MRUs up to that.
    max_payload: int = C.PPPOE_MRU
    # Static addresses by line: Agent-Circuit-Id -> IPv4 address, outside the pool.
    line_addresses: tuple[tuple[str, str], ...] = ()
    # Ended sessions kept for the report (about 1.8 KiB each); older ones are only counted.
    keep_ended: int = 100_000
    # The interface's MTU, when known: with VLAN tags in the frames, what a session's PPP
    # payloads may be (a QinQ stack on an MTU of 1500 leaves 1488 to receive).
    link_mtu: int | None = None
    # The VLAN tag stacks served (each answered on its own stack); the default serves any,
    # untagged included.
    vlans: VlanFilter = field(default_factory=VlanFilter)


class AcRole(Endpoint):
    """The access-concentrator end: answers discovery within its limits, owns the address
    pool and the secrets, and keeps every session it serves (and, for the report, ended ones)."""

    SIDE = "ac"

    def __init__(self, config: AcConfig | None = None, secrets=None, rng: random.Random | None = None):
        super().__init__()
        self.config = config or AcConfig()
        self.rng = rng or random.SystemRandom()
        self.prefixes = PrefixPool(self.config.ra_prefix_pool, 64) if self.config.ra_prefix_pool else None
        self.delegations = PrefixPool(self.config.pd_pool, self.config.pd_length) if self.config.pd_pool else None
        if self.prefixes and self.delegations and self.prefixes.block.overlaps(self.delegations.block):
            raise PoolError(f"the RA prefix pool {self.prefixes.block} and the PD pool {self.delegations.block} "
                            "overlap: a delegated prefix would hold other sessions' /64s")
        self.duid = duid_ll(self.config.mac)
        self.pool = AddressPool(self.config.pool, exclude=(self.config.ppp.local_ip, *self.config.ppp.dns))
        self.lines = dict(self.config.line_addresses)
        self.lines_in_use: set[str] = set()
        first, last = self.pool.bounds
        for circuit, address in self.lines.items():
            if first <= int(ipaddress.IPv4Address(address)) <= last:
                raise PoolError(f"line {circuit!r}: its address {address} is inside the pool {self.config.pool}; "
                                "static addresses must lie outside it")
        self.secrets = secrets
        if secrets is not None:
            self.config = replace(self.config, ppp=replace(self.config.ppp, secrets=secrets.lookup))
        # A redeemed cookie remembers the session it opened by key and number, not the session
        # itself: under churn, thousands of ended sessions would otherwise live on in it.
        self.cookies: CookieJar[tuple[tuple[bytes, bytes, int], int]] = CookieJar(self.rng.randbytes(32))
        self.guard = DiscoveryGuard(self.config.discovery_rate, self.config.mac_discovery_rate, self.counters)
        # by (tag stack without priority bits, peer MAC, session id): the same MAC on two
        # lines is two subscribers
        self.sessions: dict[tuple[bytes, bytes, int], PppoeSession] = {}
        self.by_address: dict[bytes, PppoeSession] = {}  # packed IPv4 -> session, for the data plane
        self.by_prefix6: dict[bytes, PppoeSession] = {}  # a /64's first 8 bytes -> session
        self.by_delegated: dict[int, PppoeSession] = {}  # a delegated prefix, as an int -> session
        self.per_mac: dict[bytes, int] = {}  # tag stack + MAC -> sessions
        self.in_setup = 0  # sessions between PADR and IPCP up
        self.ended: deque[PppoeSession] = deque(maxlen=self.config.keep_ended)  # the newest, for the report
        self.closing = False
        self._numbers = itertools.count(1)

    def admit(self, frame: bytes, now: float) -> bool:
        end = tags_end(frame)
        if (end > 12 or not self.config.vlans.open) and not self.config.vlans.serves(frame[12:end]):
            # Before the rate limits: a stack we do not serve spends nobody's budget.
            self.counters["rx.vlan_not_served"] += 1
            return False
        return self.guard.admit(frame, now, end)  # a PADI/PADR over its rate is dropped undecoded

    # ---- discovery
    def on_discovery(self, eth: EthFrame, tags: bytes, pkt: Discovery, now: float) -> None:
        if pkt.code == C.PADI:
            self._on_padi(eth, tags, pkt, now)
        elif pkt.code == C.PADR and eth.dst == self.config.mac:
            self._on_padr(eth, tags, pkt, now)
        elif pkt.code == C.PADT and eth.dst == self.config.mac:
            session = self.find_session(eth.src, eth.dst, tags, pkt.session_id)
            if session is not None:
                session.padt_received(now, "PADT from the client")
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

    def _on_padi(self, eth: EthFrame, tags: bytes, pkt: Discovery, now: float) -> None:
        if pkt.tag(C.TAG_SERVICE_NAME) is None or not self._service_ok(pkt):
            self.counters["padi.refused_service"] += 1
            return  # RFC 2516 5.2: an AC that cannot serve the request does not answer
        if self._full():
            self.counters["padi.refused_full"] += 1
            return
        offer = self._base_tags(pkt)
        offered = [s.encode() for s in self.config.services if s.encode() != offer[0][1]]
        offer += [(C.TAG_SERVICE_NAME, s) for s in offered]
        # The cookie is good for this MAC on this tag stack only.
        cookie = self.cookies.make(eth.src + vlan_key(tags), pkt.tag(C.TAG_HOST_UNIQ), now)
        offer.append((C.TAG_AC_COOKIE, cookie))
        offer += echo_tags(pkt) + self._max_payload_tag(self._agreed_payload(pkt, tags))
        self.send_discovery(self.config.mac, eth.src, Discovery(C.PADO, 0, offer), tags)

    def _agreed_payload(self, pkt: Discovery, tags: bytes) -> int | None:
        """RFC 4638: the payload above 1492 both ends can carry on this tag stack, if the host
        asked for one."""
        value = pkt.tag(C.TAG_PPP_MAX_PAYLOAD)
        ours = self.config.max_payload
        if self.config.link_mtu:
            ours = min(ours, payload_room(self.config.link_mtu, tags)[0])
        if value is None or len(value) != 2 or ours <= C.PPPOE_MRU:
            return None
        asked = int.from_bytes(value, "big")
        return min(asked, ours) if asked > C.PPPOE_MRU else None

    @staticmethod
    def _max_payload_tag(payload: int | None) -> list[tuple[int, bytes]]:
        return [(C.TAG_PPP_MAX_PAYLOAD, payload.to_bytes(2, "big"))] if payload else []

    def _on_padr(self, eth: EthFrame, tags: bytes, pkt: Discovery, now: float) -> None:
        peer, host_uniq, cookie = eth.src, pkt.tag(C.TAG_HOST_UNIQ), pkt.tag(C.TAG_AC_COOKIE)
        line = vlan_key(tags)
        epoch = self.cookies.epoch(peer + line, host_uniq, cookie, now)
        if cookie is None or epoch is None:
            self.counters["padr.bad_cookie"] += 1
            return
        spent = self.cookies.spent(cookie, epoch)
        if spent is None and not self.guard.padr_ok(now):
            return
        if spent is not None:
            opened = self.sessions.get(spent[0])
            if opened is not None and opened.key.number == spent[1] and opened.ppp is not None \
                    and opened.ppp.phase == Phase.ESTABLISH:
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
                self.per_mac.get(line + peer, 0) >= self.config.max_sessions_per_mac:
            error = (C.TAG_AC_SYSTEM_ERROR, b"too many sessions for this MAC")
        session_id = None if error else self._allocate_id(line, peer)
        if session_id is None:
            error = error or (C.TAG_AC_SYSTEM_ERROR, b"no session id left for this MAC")
            self.counters["padr.refused"] += 1
            refusal = self._base_tags(pkt) + echo_tags(pkt) + [error]
            self.send_discovery(self.config.mac, peer, Discovery(C.PADS, 0, refusal), tags)
            return
        key = SessionKey(next(self._numbers), mac_str(peer), session_id, vlan_label(tags))
        session = PppoeSession(self, key, self.config.mac, peer, now, host_uniq=host_uniq, tags=tags)
        session.line_id = parse_line_id(pkt)
        if self.config.setup_timeout:
            session.setup_deadline = now + self.config.setup_timeout
        self.sessions[(line, peer, session_id)] = session
        self.cookies.spend(cookie, epoch, ((line, peer, session_id), key.number), now)
        self.per_mac[line + peer] = self.per_mac.get(line + peer, 0) + 1
        self.in_setup += 1
        self._send_pads(session, pkt)
        self.emit(DiscoveryDone(session.key, session_id, mac_str(peer), self.config.ac_name))
        # No address yet: the pool is spent only on peers that authenticate. With RFC 4638 our
        # MRU and the peer's may go up to the agreed payload, never beyond what it asked.
        payload = self._agreed_payload(pkt, tags)
        ppp = replace(self.config.ppp, mru=payload, max_mru=payload) if payload else self.config.ppp
        room = payload_room(self.config.link_mtu, tags)[1] if self.config.link_mtu else ppp.mru
        if room < ppp.mru:  # the tags take room the interface's MTU does not give back
            ppp = replace(ppp, mru=room)
        by_line = self.secrets.for_line(session.line_id) if self.secrets is not None and session.line_id else None
        if by_line is not None:  # a secrets entry keyed by the line: its secret, whatever name is given
            ppp = replace(ppp, secrets=by_line)
        session.open_ppp(now, ppp, self.rng, assign_ip=lambda: self._take_address(session))
        self.schedule(session)

    def _send_pads(self, session: PppoeSession, pkt: Discovery) -> None:
        payload = self._agreed_payload(pkt, session.tags)
        tags = self._base_tags(pkt) + echo_tags(pkt) + self._max_payload_tag(payload)
        self.send_discovery(self.config.mac, session.peer_mac, Discovery(C.PADS, session.session_id, tags),
                            session.tags)

    def _take_address(self, session: PppoeSession) -> str | None:
        """The peer authenticated: now it may have an address (None: none is left for it).
        A line with a static address gets that one, and only one session at a time does."""
        static = self.lines.get(session.line_id.get("circuit_id", ""))
        if static is not None:
            if static in self.lines_in_use:
                self.counters["address.line_in_use"] += 1
                return None
            self.lines_in_use.add(static)
            session.address = static
        else:
            session.address = self.pool.allocate()
        return session.address

    def _allocate_id(self, line: bytes, peer: bytes) -> int | None:
        """An unpredictable free session id for this MAC on this line (a blind PADT must guess
        it), or None."""
        for _ in range(ID_TRIES):
            sid = self.rng.randrange(1, 0xFFFF)
            if (line, peer, sid) not in self.sessions:
                return sid
        start = self.rng.randrange(0xFFFE)  # nearly full: scan once, so allocation always ends
        for step in range(0xFFFE):
            sid = (start + step) % 0xFFFE + 1
            if (line, peer, sid) not in self.sessions:
                return sid
        return None

    # ---- what the sessions ask of their endpoint
    def find_session(self, src: bytes, dst: bytes, tags: bytes, session_id: int) -> PppoeSession | None:
        return self.sessions.get((vlan_key(tags), src, session_id)) if dst == self.config.mac else None

    def session_up(self, session: PppoeSession) -> None:
        self.in_setup -= 1

    def session_ipv6_up(self, session: PppoeSession, now: float) -> None:
        """IPv6CP opened (after authentication, so the prefix goes to a known subscriber)."""
        assert session.ppp is not None and session.ppp.ipv6cp_policy.iid is not None
        if self.prefixes is not None:
            session.prefix6 = self.prefixes.allocate()
            if session.prefix6 is None:
                self.counters["ipv6.prefix_pool_empty"] += 1
            else:
                self.by_prefix6[session.prefix6.network_address.packed[:8]] = session
        dns = [ipaddress.IPv6Address(d).packed for d in self.config.dns6]
        session.dns6 = list(self.config.dns6)
        serving = self.prefixes is not None or self.delegations is not None
        router = Ipv6Router(session.ppp.ipv6cp_policy.iid, session.send_ipv6, session.prefix6, dns,
                            self.config.ra_interval, mtu=self.config.ppp.mru,  # what we accept
                            managed=serving, other=serving and bool(dns))
        session.ipv6 = router
        router.start(now)
        if serving:
            pool = self.delegations
            session.dhcp6 = Dhcpv6Server(
                self.duid, router.local, session.send_ipv6, na_prefix=session.prefix6,
                take_prefix=(lambda: self._delegate(session)) if pool is not None else None,
                give_back=self._undelegate, dns=dns)

    def _delegate(self, session: PppoeSession) -> ipaddress.IPv6Network | None:
        assert self.delegations is not None
        prefix = self.delegations.allocate()
        if prefix is None:
            self.counters["ipv6.delegation_pool_empty"] += 1
        else:
            self.by_delegated[int(prefix.network_address)] = session
            session.delegated6 = str(prefix)
        return prefix

    def _undelegate(self, prefix: ipaddress.IPv6Network) -> None:
        if self.delegations is not None:
            self.delegations.release(prefix)
            self.by_delegated.pop(int(prefix.network_address), None)

    def session_for_address6(self, packed: bytes) -> PppoeSession | None:
        """The session an IPv6 destination belongs to: its /64 or its delegated prefix."""
        session = self.by_prefix6.get(packed[:8])
        if session is None and self.delegations is not None:
            mask = ((1 << self.config.pd_length) - 1) << (128 - self.config.pd_length)
            session = self.by_delegated.get(int.from_bytes(packed, "big") & mask)
        return session

    def session_event(self, session: PppoeSession, event: Event) -> bool:
        if isinstance(event, SessionUp):
            if session.address:
                self.by_address[IPv4Address(session.address).packed] = session
        elif isinstance(event, Packet) and self.config.answer_ping and session.ppp is not None:
            reply = icmp.echo_reply_for(event.data, self.config.ppp.local_ip)
            if reply is not None:
                session.ppp.send_packet(C.PROTO_IPV4, reply)
                return False
        return True

    def padt_for(self, session: PppoeSession) -> Discovery:
        return Discovery(C.PADT, session.session_id, [(C.TAG_AC_NAME, self.config.ac_name.encode())])

    def session_ended(self, session: PppoeSession) -> None:
        if session.prefix6 is not None and self.prefixes is not None:
            self.prefixes.release(session.prefix6)
            if self.by_prefix6.get(session.prefix6.network_address.packed[:8]) is session:
                del self.by_prefix6[session.prefix6.network_address.packed[:8]]
        if isinstance(session.dhcp6, Dhcpv6Server):
            session.dhcp6.release_all()
        if session.address in self.lines_in_use:
            self.lines_in_use.discard(session.address)
        elif session.address:
            self.pool.release(session.address)
            packed = IPv4Address(session.address).packed
            if self.by_address.get(packed) is session:
                del self.by_address[packed]
        self.sessions.pop((session.vlan_key, session.peer_mac, session.session_id), None)
        if session.up_at is None:
            self.in_setup -= 1
        line_mac = session.vlan_key + session.peer_mac
        left = self.per_mac.get(line_mac, 1) - 1
        if left:
            self.per_mac[line_mac] = left
        else:
            self.per_mac.pop(line_mac, None)
        session.retire()
        self.ended.append(session)
        self.counters["sessions.ended"] += 1

    def close(self, now: float, reason: str = "access concentrator shutting down") -> None:
        self.closing = True  # no new sessions from here on
        for session in list(self.sessions.values()):
            session.close(now, reason)
            self.schedule(session)

    def every_session(self) -> list[PppoeSession]:
        return list(self.sessions.values()) + list(self.ended)

    def session_for_address(self, packed: bytes) -> PppoeSession | None:
        return self.by_address.get(packed)
