"""The AC's IPv6 over one session once IPv6CP is open: Router Advertisements of the
session's /64 (RFC 4861 section 6.2), unsolicited at once and then periodically, and in
answer to Router Solicitations; echo replies to its own link-local address."""
from __future__ import annotations

import ipaddress
from collections.abc import Callable

from pppemu.wire import icmpv6
from pppemu.wire.errors import DecodeError
from pppemu.wire.ipv6 import ALL_NODES, NH_ICMPV6, decode_ipv6, is_link_local, link_local

MIN_DELAY_BETWEEN_RAS = 3.0  # RFC 4861 section 10
INITIAL_DELAY = 0.5          # the peer's IPv6CP may open a moment after ours
INITIAL_ADVERTS, INITIAL_INTERVAL = 3, 16.0  # MAX_INITIAL_RTR_ADVERTISEMENTS, ..._INTERVAL


class Ipv6Router:
    def __init__(self, iid: bytes, send: Callable[[bytes], object], prefix: ipaddress.IPv6Network | None,
                 dns: list[bytes], interval: float, mtu: int | None = None, managed: bool = False,
                 other: bool = False):
        """managed/other: the M and O flags, set when a DHCPv6 server serves the session."""
        self.local = link_local(iid)
        self.managed, self.other = managed, other
        self.send, self.prefix, self.dns, self.interval, self.mtu = send, prefix, dns, interval, mtu
        self.deadline: float | None = None
        self.last_solicited: float | None = None
        self.adverts = 0

    def start(self, now: float) -> None:
        self.deadline = now + INITIAL_DELAY

    def tick(self, now: float) -> None:
        if self.deadline is not None and now >= self.deadline:
            self._advertise(now)

    def _advert(self) -> icmpv6.RouterAdvert:
        prefixes = [icmpv6.PrefixInfo(self.prefix.network_address.packed, 64)] if self.prefix else []
        return icmpv6.RouterAdvert(managed=self.managed, other=self.other, prefixes=prefixes, mtu=self.mtu,
                                   rdnss=self.dns,
                                   rdnss_lifetime=int(3 * self.interval) if self.dns else 0)

    def _advertise(self, now: float) -> None:
        """The periodic, unsolicited advertisement, to all nodes."""
        self.send(icmpv6.encode_router_advert(self.local, ALL_NODES, self._advert()))
        self.adverts += 1
        self.deadline = now + (min(INITIAL_INTERVAL, self.interval) if self.adverts < INITIAL_ADVERTS
                               else self.interval)

    def receive(self, packet: bytes, now: float) -> bool:
        """Take a packet that is ours to handle (a Router Solicitation, an echo to us)."""
        reply = icmpv6.echo_reply_for(packet, {self.local})
        if reply is not None:
            self.send(reply)
            return True
        try:
            ip = decode_ipv6(packet)
            if ip.next_header != NH_ICMPV6:
                return False
            kind, code, body = icmpv6.decode_icmpv6(ip)
            if kind != icmpv6.ROUTER_SOLICIT:
                return False
            icmpv6.decode_router_solicit(body)
        except DecodeError:
            return False
        valid = ip.hop_limit == 255 and code == 0 and (is_link_local(ip.src) or not any(ip.src))
        # Answered at once, straight to the host that asked (section 6.2.6 allows unicast),
        # at most once per MIN_DELAY_BETWEEN_RAS.
        if valid and (self.last_solicited is None or now - self.last_solicited >= MIN_DELAY_BETWEEN_RAS):
            self.last_solicited = now
            self.send(icmpv6.encode_router_advert(self.local, ip.src if any(ip.src) else ALL_NODES,
                                                  self._advert()))
        return True
