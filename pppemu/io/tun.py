"""A TUN device: IP packets between the kernel and a PPPoE session."""
from __future__ import annotations

import contextlib
import fcntl
import ipaddress
import os
import struct
import subprocess

from pppemu.io.link import LinkError

TUNSETIFF = 0x400454CA
IFF_TUN = 0x0001
IFF_NO_PI = 0x1000


def ip_cmd(*args: str) -> None:
    result = subprocess.run(["ip", *args], capture_output=True, text=True)
    if result.returncode != 0:
        raise LinkError(f"'ip {' '.join(args)}' failed: {result.stderr.strip()}")


class Tun:
    def __init__(self, name: str, ipv6_by_kernel: bool = False):
        if len(name.encode()) > 15:
            raise LinkError(f"TUN name {name!r} is longer than 15 characters")
        try:
            self.fd = os.open("/dev/net/tun", os.O_RDWR | os.O_NONBLOCK)
        except OSError as exc:
            raise LinkError(f"cannot open /dev/net/tun: {exc.strerror}") from None
        try:
            ifr = struct.pack("16sH22x", name.encode(), IFF_TUN | IFF_NO_PI)
            fcntl.ioctl(self.fd, TUNSETIFF, ifr)
        except OSError as exc:
            os.close(self.fd)
            raise LinkError(f"cannot create TUN device {name}: {exc.strerror}") from None
        self.name = name
        self._set_ipv6(ipv6_by_kernel)
        self.write_errors = 0
        self._buffer = bytearray(65536)
        self._view = memoryview(self._buffer)

    def _set_ipv6(self, by_kernel: bool) -> None:
        """Who does router discovery on the device.

        pppemu (the default) solicits and takes Router Advertisements itself: the kernel must
        neither send its own solicitations over the session nor act on advertisements.
        The kernel (`by_kernel`) solicits, takes the advertisements and does SLAAC, but makes
        no link-local address of its own: on a TUN device (no hardware address) it would pick
        a random interface identifier, while the session's is the one IPv6CP negotiated
        (add_link_local). SLAAC then takes its interface identifier from that address.
        """
        settings = {"accept_ra": "1", "addr_gen_mode": "1"} if by_kernel else {
            "router_solicitations": "0", "accept_ra": "0"}
        for setting, value in settings.items():
            # No IPv6 in this kernel: nothing to set.
            with contextlib.suppress(OSError), open(f"/proc/sys/net/ipv6/conf/{self.name}/{setting}", "w") as f:
                f.write(value)

    def fileno(self) -> int:
        return self.fd

    def read_all(self, limit: int = 256) -> list[bytes]:
        # readv into one reused buffer: os.read would allocate 64 KiB per packet.
        packets, buffer, view = [], self._buffer, self._view
        for _ in range(limit):
            try:
                size = os.readv(self.fd, (buffer,))
            except BlockingIOError:
                break
            packets.append(bytes(view[:size]))
        return packets

    def write(self, packet: bytes) -> None:
        try:
            os.write(self.fd, packet)
        except OSError:
            self.write_errors += 1

    def close(self) -> None:
        os.close(self.fd)  # a non-persistent TUN disappears with its last descriptor

    # ---- addressing, through iproute2
    def configure_client(self, address: str, gateway: str, mtu: int, default_route: bool) -> None:
        ip_cmd("addr", "add", address, "peer", gateway, "dev", self.name)
        ip_cmd("link", "set", self.name, "mtu", str(mtu), "up")
        if default_route:
            ip_cmd("route", "replace", "default", "via", gateway, "dev", self.name)

    def add_address6(self, address: str, length: int = 128) -> None:
        """An IPv6 address on the device; `nodad`: nothing else on a point-to-point link holds it."""
        ip_cmd("link", "set", self.name, "up")
        ip_cmd("-6", "addr", "replace", f"{address}/{length}", "dev", self.name, "nodad")

    def add_link_local(self, address: str) -> None:
        """The link-local address from IPv6CP's interface identifier; once it is there, the kernel
        sends its Router Solicitations from it (`replace`: IPv6CP may open again, with the same one)."""
        ip_cmd("link", "set", self.name, "up")
        ip_cmd("-6", "addr", "replace", f"{address}/64", "dev", self.name, "nodad")

    def route4(self, prefix: str) -> None:
        ip_cmd("route", "replace", prefix, "dev", self.name)

    def route6(self, prefix: str) -> None:
        ip_cmd("-6", "route", "replace", prefix, "dev", self.name)

    def configure_ac(self, local_ip: str, pool: tuple[int, int], mtu: int) -> None:
        ip_cmd("addr", "add", f"{local_ip}/32", "dev", self.name)
        ip_cmd("link", "set", self.name, "mtu", str(mtu), "up")
        first, last = (ipaddress.IPv4Address(a) for a in pool)
        # One route per block of the pool rather than per session: the AC drops packets
        # for addresses without a session, and a thousand sessions cost no `ip` calls.
        for net in ipaddress.summarize_address_range(first, last):
            ip_cmd("route", "replace", str(net), "dev", self.name)
