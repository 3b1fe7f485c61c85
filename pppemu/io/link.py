"""An AF_PACKET link on one interface, for both PPPoE ethertypes."""
from __future__ import annotations

import errno
import fcntl
import socket
import struct

from ..wire import const as C

PACKET_OUTGOING = 4
ETH_P_ALL = 0x0003
IFF_UP = 0x1
SIOCGIFFLAGS = 0x8913
SOCKET_BUFFER = 4 << 20


class LinkError(Exception):
    """A configuration problem with the interface: one clear line for the user."""


def _interface_flags(sock: socket.socket, iface: str) -> int:
    # ioctl on a socket rather than /sys: /sys shows the namespace it was mounted in,
    # the socket shows the one it was opened in.
    request = struct.pack("16sH14x", iface.encode()[:15], 0)
    return struct.unpack_from("16sH", fcntl.ioctl(sock.fileno(), SIOCGIFFLAGS, request))[1]


class PacketLink:
    """Raw Ethernet frames in and out of one interface (PPPoE discovery + session)."""

    def __init__(self, iface: str):
        try:
            socket.if_nametoindex(iface)
        except OSError:
            raise LinkError(f"no such interface: {iface} (see 'ip link')") from None
        self.iface = iface
        self.sockets: list[socket.socket] = []
        self.send_errors = 0
        try:
            for ethertype in (C.ETH_DISCOVERY, C.ETH_SESSION):
                sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ethertype))
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, SOCKET_BUFFER)
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SOCKET_BUFFER)
                sock.bind((iface, ethertype))
                sock.setblocking(False)
                self.sockets.append(sock)
        except PermissionError:
            self.close()
            raise LinkError(f"pppemu needs root (or CAP_NET_RAW) to open a raw socket on {iface}") from None
        except OSError as exc:
            self.close()
            raise LinkError(f"cannot open a raw socket on {iface}: {exc.strerror}") from None
        if not _interface_flags(self.sockets[0], iface) & IFF_UP:
            self.close()
            raise LinkError(f"interface {iface} is down (ip link set {iface} up)")
        self.mac: bytes = self.sockets[0].getsockname()[4]
        self._buffer = bytearray(65536)

    def recv_all(self, sock: socket.socket, limit: int = 256) -> list[bytes]:
        """Frames waiting on one socket (our own outgoing copies are skipped)."""
        frames = []
        view = memoryview(self._buffer)
        for _ in range(limit):
            try:
                size, addr = sock.recvfrom_into(self._buffer)
            except BlockingIOError:
                break
            except OSError as exc:
                if exc.errno in (errno.ENETDOWN, errno.EINTR):
                    break
                raise
            if addr[2] != PACKET_OUTGOING:
                frames.append(bytes(view[:size]))
        return frames

    def send(self, frame: bytes) -> None:
        try:
            self.sockets[0].send(frame)
        except (BlockingIOError, OSError):
            self.send_errors += 1  # a full queue or a vanished interface: the protocol retransmits

    def close(self) -> None:
        for sock in self.sockets:
            sock.close()
        self.sockets = []
