"""The AC's IPv4 address pool: a range or a CIDR, O(1) allocate and release."""
from __future__ import annotations

import ipaddress
from collections import deque

from pppemu.errors import ConfigError


class PoolError(ConfigError, ValueError):
    pass


def _block(cidr: str) -> tuple[int, int]:
    net = ipaddress.IPv4Network(cidr)
    return int(net.network_address), int(net.broadcast_address)


# Addresses that never name a host, so are never handed out: a wide pool such as 0.0.0.0/0
# steps over them.
NOT_HOSTS = (
    ("'this network'", _block("0.0.0.0/8")),
    ("loopback", _block("127.0.0.0/8")),
    ("multicast", _block("224.0.0.0/4")),
    ("reserved or broadcast", _block("240.0.0.0/4")),  # 255.255.255.255 included
)


def not_a_host(addr: int) -> tuple[str, tuple[int, int]] | None:
    """The kind and block of a reserved address, None for an address a host may hold."""
    for kind, (lo, hi) in NOT_HOSTS:
        if lo <= addr <= hi:
            return kind, (lo, hi)
    return None


class _Resting:
    """What both pools share: fresh ones first, then released ones, oldest first, so a released
    one rests as long as possible before reuse; memory follows what is in use."""

    size = 0

    def __init__(self) -> None:
        self._released: deque[int] = deque()
        self._used: set[int] = set()

    def _give_back(self, value: int) -> None:
        if value in self._used:
            self._used.remove(value)
            self._released.append(value)  # to the back: it rests before reuse

    @property
    def free(self) -> int:
        return self.size - len(self._used)

    @property
    def in_use(self) -> int:
        return len(self._used)


class AddressPool(_Resting):
    """Addresses are handed out fresh from the range first, then released ones, oldest first,
    so a released address rests as long as possible before reuse. Memory follows what is
    in use, not the size of the range: a /8 costs nothing until it is handed out."""

    def __init__(self, spec: str, exclude: tuple[str | None, ...] = ()):
        """`exclude`: the AC's own addresses (its gateway address, DNS servers), never handed out."""
        first, last = self.parse(spec)
        self.bounds = (first, last)
        self._excluded = {a for a in (int(ipaddress.IPv4Address(e)) for e in exclude if e)
                          if first <= a <= last and not not_a_host(a)}
        skipped = {kind: min(hi, last) - max(lo, first) + 1 for kind, (lo, hi) in NOT_HOSTS
                   if lo <= last and first <= hi}
        self.size = last - first + 1 - len(self._excluded) - sum(skipped.values())
        if self.size <= 0:
            why = [f"{kind} addresses are never handed out" for kind in skipped]
            why += ["the AC's own addresses are left out"] if self._excluded else []
            raise PoolError(f"address pool {spec!r} has no address to hand out: {'; '.join(why)}")
        self._next = first               # the next never-used address
        super().__init__()

    @staticmethod
    def parse(spec: str) -> tuple[int, int]:
        try:
            if "/" in spec:
                net = ipaddress.IPv4Network(spec, strict=False)
                hosts = (int(net.network_address) + 1, int(net.broadcast_address) - 1) \
                    if net.prefixlen < 31 else (int(net.network_address), int(net.broadcast_address))
                return hosts
            if "-" in spec:
                lo, hi = spec.split("-", 1)
                first, last = int(ipaddress.IPv4Address(lo.strip())), int(ipaddress.IPv4Address(hi.strip()))
            else:
                first = last = int(ipaddress.IPv4Address(spec.strip()))
        except ValueError as exc:
            raise PoolError(f"bad address pool {spec!r}: {exc}") from None
        if last < first:
            raise PoolError(f"bad address pool {spec!r}: the range ends before it starts")
        return first, last

    def allocate(self) -> str | None:
        addr = self._fresh()
        if addr is None:
            if not self._released:
                return None
            addr = self._released.popleft()
        self._used.add(addr)
        return str(ipaddress.IPv4Address(addr))

    def _fresh(self) -> int | None:
        while self._next <= self.bounds[1]:
            addr = self._next
            reserved = not_a_host(addr)
            if reserved:
                self._next = reserved[1][1] + 1  # over the whole block at once
                continue
            self._next = addr + 1
            if addr not in self._excluded:
                return addr
        return None

    def release(self, addr: str) -> None:
        self._give_back(int(ipaddress.IPv4Address(addr)))


class PrefixPool(_Resting):
    """IPv6 prefixes of one length carved from a larger block: a /64 per session for its
    Router Advertisements, or a /56 per session to delegate. Handed out and rested like
    AddressPool's addresses, and as lazily: a /32 of /64s costs nothing until used."""

    def __init__(self, spec: str, length: int):
        try:
            block = ipaddress.IPv6Network(spec)
        except ValueError as exc:
            raise PoolError(f"bad IPv6 prefix pool {spec!r}: {exc}") from None
        if not block.prefixlen <= length <= 128:
            raise PoolError(f"IPv6 prefix pool {spec}: cannot carve /{length} prefixes from a /{block.prefixlen}")
        self.block, self.length = block, length
        self.size = 1 << (length - block.prefixlen)
        self._step = 1 << (128 - length)
        self._next = 0                  # the next never-used prefix, by index
        super().__init__()

    def allocate(self) -> ipaddress.IPv6Network | None:
        if self._next < self.size:
            index, self._next = self._next, self._next + 1
        elif self._released:
            index = self._released.popleft()
        else:
            return None
        self._used.add(index)
        return ipaddress.IPv6Network((int(self.block.network_address) + index * self._step, self.length))

    def release(self, prefix: ipaddress.IPv6Network) -> None:
        self._give_back((int(prefix.network_address) - int(self.block.network_address)) // self._step)
