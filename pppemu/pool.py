"""The AC's IPv4 address pool: a range or a CIDR, O(1) allocate and release."""
from __future__ import annotations

import ipaddress
from collections import deque


class PoolError(ValueError):
    pass


class AddressPool:
    def __init__(self, spec: str, exclude: tuple[str, ...] = ()):
        first, last = self.parse(spec)
        self.bounds = (first, last)
        excluded = {int(ipaddress.IPv4Address(e)) for e in exclude}
        self.size = 0
        self._free: deque[int] = deque(a for a in range(first, last + 1) if a not in excluded)
        self.size = len(self._free)
        if not self.size:
            raise PoolError(f"address pool {spec!r} is empty")
        self._used: set[int] = set()

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
        if not self._free:
            return None
        addr = self._free.popleft()
        self._used.add(addr)
        return str(ipaddress.IPv4Address(addr))

    def release(self, addr: str) -> None:
        value = int(ipaddress.IPv4Address(addr))
        if value in self._used:
            self._used.remove(value)
            self._free.append(value)  # to the back: a released address rests before reuse

    @property
    def free(self) -> int:
        return len(self._free)

    @property
    def in_use(self) -> int:
        return len(self._used)
