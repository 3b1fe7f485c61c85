"""The subscriber's IPv6 once IPv6CP is open: Router Solicitations until the first Router
Advertisement (RFC 4861 section 6.3.7), then an address by SLAAC (RFC 4862 section 5.5)
from the advertised /64 and the interface identifier IPv6CP agreed on."""
from __future__ import annotations

import contextlib
import ipaddress
import random
from collections.abc import Callable

from pppemu.ppp.events import Event, Ipv6Configured, SessionKey
from pppemu.wire import icmpv6
from pppemu.wire.errors import DecodeError
from pppemu.wire.ipv6 import NH_ICMPV6, decode_ipv6, is_link_local, link_local

RS_INTERVAL = 4.0   # RFC 4861 section 10: RTR_SOLICITATION_INTERVAL
RS_MAX = 3          # MAX_RTR_SOLICITATIONS; a later unsolicited advertisement still counts
RS_DELAY = 1.0      # MAX_RTR_SOLICITATION_DELAY: the first waits a random part of it (section 6.3.7)


def text(address: bytes) -> str:
    return str(ipaddress.IPv6Address(address))


class Ipv6Host:
    def __init__(self, key: SessionKey, iid: bytes, send: Callable[[bytes], object], emit: Callable[[Event], None],
                 rng: random.Random):
        self.key, self.iid, self.send, self.emit, self.rng = key, iid, send, emit, rng
        self.local = link_local(iid)
        self.deadline: float | None = None
        self.solicitations = 0
        self.router: bytes | None = None   # the link-local address of the first router that advertised
        self.address: bytes | None = None  # ours, by SLAAC
        self.prefix: ipaddress.IPv6Network | None = None
        self.dns: list[bytes] = []
        self.managed = self.other = False

    def start(self, now: float) -> None:
        # The random delay also lets the router's IPv6CP open if ours opened first.
        self.deadline = now + self.rng.uniform(0, RS_DELAY)

    def tick(self, now: float) -> None:
        if self.deadline is not None and now >= self.deadline:
            self._solicit(now)

    def _solicit(self, now: float) -> None:
        self.solicitations += 1
        self.send(icmpv6.encode_router_solicit(self.local))
        self.deadline = now + RS_INTERVAL if self.solicitations < RS_MAX else None

    def receive(self, packet: bytes, now: float) -> bool:
        """Take a packet that is ours to handle (a Router Advertisement); False: not ours."""
        try:
            ip = decode_ipv6(packet)
            if ip.next_header != NH_ICMPV6:
                return False
            kind, code, body = icmpv6.decode_icmpv6(ip)
        except DecodeError:
            return False
        if kind != icmpv6.ROUTER_ADVERT:
            return False
        # RFC 4861 section 6.1.2: only from a router on this link, never forwarded
        if ip.hop_limit == 255 and code == 0 and is_link_local(ip.src) and self.router is None:
            with contextlib.suppress(DecodeError):  # a malformed advertisement configures nothing
                self._configure(ip.src, icmpv6.decode_router_advert(body))
        return True

    def _configure(self, router: bytes, advert: icmpv6.RouterAdvert) -> None:
        """The first advertisement counts, as a CPE takes it."""
        self.router, self.deadline = router, None
        self.managed, self.other, self.dns = advert.managed, advert.other, list(advert.rdnss)
        for info in advert.prefixes:
            if info.autonomous and info.length == 64 and not is_link_local(info.prefix):
                self.prefix = ipaddress.IPv6Network((info.prefix, 64), strict=False)
                self.address = info.prefix[:8] + self.iid
                break
        self.emit(Ipv6Configured(self.key, text(self.address) if self.address else None,
                                 str(self.prefix) if self.prefix else None, text(router),
                                 [text(d) for d in self.dns], self.managed, self.other))
