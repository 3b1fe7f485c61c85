"""An AF_PACKET link on one interface, for both PPPoE ethertypes."""
from __future__ import annotations

import ctypes
import errno
import fcntl
import socket
import struct

from ..wire import const as C

PACKET_OUTGOING = 4
ETH_P_ALL = 0x0003
IFF_UP = 0x1
SIOCGIFFLAGS = 0x8913
SOL_PACKET = 263
PACKET_ADD_MEMBERSHIP = 1
PACKET_MR_PROMISC = 1
SOCKET_BUFFER = 16 << 20
SO_SNDBUFFORCE, SO_RCVBUFFORCE = 32, 33
SO_ATTACH_FILTER = 26
SKF_AD_PKTTYPE = 0xFFFFF004  # SKF_AD_OFF (-0x1000) + SKF_AD_PKTTYPE (4)


class LinkError(Exception):
    """A configuration problem with the interface: one clear line for the user."""


def _interface_flags(sock: socket.socket, iface: str) -> int:
    # ioctl on a socket rather than /sys: /sys shows the namespace it was mounted in,
    # the socket shows the one it was opened in.
    request = struct.pack("16sH14x", iface.encode()[:15], 0)
    return struct.unpack_from("16sH", fcntl.ioctl(sock.fileno(), SIOCGIFFLAGS, request))[1]


def attach_pppoe_filter(sock: socket.socket) -> None:
    """Classic BPF: accept received frames of ethertype 0x8863 or 0x8864, drop the rest.

    Our own outgoing frames are dropped here too, so reads need no source address.
    """
    program = [
        (0x20, 0, 0, SKF_AD_PKTTYPE),   # ld pkttype      (ancillary data)
        (0x15, 4, 0, PACKET_OUTGOING),  # jeq outgoing    -> drop
        (0x28, 0, 0, 12),               # ldh [12]        the ethertype
        (0x15, 1, 0, C.ETH_DISCOVERY),  # jeq 0x8863      -> accept
        (0x15, 0, 1, C.ETH_SESSION),    # jeq 0x8864      -> accept, else drop
        (0x06, 0, 0, 0x40000),          # accept: ret 256 KiB (the whole frame)
        (0x06, 0, 0, 0),                # drop:   ret 0
    ]
    code = b"".join(struct.pack("HBBI", *insn) for insn in program)
    buffer = ctypes.create_string_buffer(code)
    fprog = struct.pack("HL", len(program), ctypes.addressof(buffer))
    sock.setsockopt(socket.SOL_SOCKET, SO_ATTACH_FILTER, fprog)


def set_buffers(sock: socket.socket) -> None:
    """Large socket buffers: a burst of thousands of PADIs must not be dropped.

    The *FORCE variants pass net.core.rmem_max (root has CAP_NET_ADMIN); else fall back.
    """
    for forced, plain in ((SO_RCVBUFFORCE, socket.SO_RCVBUF), (SO_SNDBUFFORCE, socket.SO_SNDBUF)):
        try:
            sock.setsockopt(socket.SOL_SOCKET, forced, SOCKET_BUFFER)
        except PermissionError:
            sock.setsockopt(socket.SOL_SOCKET, plain, SOCKET_BUFFER)


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
            # One socket for both ethertypes keeps discovery and session frames in wire
            # order (a PADS and the LCP Configure-Request right behind it); a BPF filter
            # keeps everything else out of user space.
            sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
            self.sockets.append(sock)
            attach_pppoe_filter(sock)
            set_buffers(sock)
            sock.bind((iface, ETH_P_ALL))
            sock.setblocking(False)
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

    def recv_all(self, sock: socket.socket, limit: int = 256) -> list[bytes]:
        """Frames waiting on the socket, up to `limit` (the filter already dropped the rest)."""
        frames = []
        recv = sock.recv
        for _ in range(limit):
            try:
                frames.append(recv(65536))
            except BlockingIOError:
                break
            except OSError as exc:
                if exc.errno in (errno.ENETDOWN, errno.EINTR):
                    break
                raise
        return frames

    def promiscuous(self) -> None:
        """Receive frames for MACs other than the interface's (emulated subscribers).

        A packet-socket membership: the kernel undoes it when the socket closes.
        """
        mreq = struct.pack("iHH8s", socket.if_nametoindex(self.iface), PACKET_MR_PROMISC, 0, b"")
        for sock in self.sockets:
            sock.setsockopt(SOL_PACKET, PACKET_ADD_MEMBERSHIP, mreq)

    def send(self, frame: bytes) -> None:
        try:
            self.sockets[0].send(frame)
        except (BlockingIOError, OSError):
            self.send_errors += 1  # a full queue or a vanished interface: the protocol retransmits

    def close(self) -> None:
        for sock in self.sockets:
            sock.close()
        self.sockets = []
