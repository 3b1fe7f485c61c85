"""An AF_PACKET link on one interface, for both PPPoE ethertypes."""
from __future__ import annotations

import fcntl
import socket
import struct
from dataclasses import dataclass

from pppemu.errors import ConfigError
from pppemu.io import bpf
from pppemu.io.ring import RxRing, frame_size_for
from pppemu.wire import const as C

ETH_P_ALL = 0x0003
IFF_UP = 0x1
SIOCGIFFLAGS = 0x8913
SIOCGIFMTU = 0x8921
ARPHRD_ETHER = 1
SOL_PACKET = 263
PACKET_ADD_MEMBERSHIP = 1
PACKET_MR_PROMISC = 1
SOCKET_BUFFER = 16 << 20
SO_SNDBUFFORCE = 32


class LinkError(ConfigError):
    """A configuration problem with the interface: one clear line for the user."""


def _interface_value(sock: socket.socket, iface: str, request: int, fmt: str) -> int:
    """A number the kernel keeps for the interface (its flags, its MTU).

    ioctl on a socket rather than /sys: /sys shows the namespace it was mounted in,
    the socket shows the one it was opened in."""
    ifreq = struct.pack("16s16x", iface.encode()[:15])
    return struct.unpack_from("16x" + fmt, fcntl.ioctl(sock.fileno(), request, ifreq))[0]


def _mtu_of(iface: str) -> int:
    with socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0) as sock:
        return _interface_value(sock, iface, SIOCGIFMTU, "i")


def set_send_buffer(sock: socket.socket) -> None:
    """A large send buffer: a burst of thousands of PADIs or PADOs must not be dropped.
    (What arrives waits in the receive ring, which the socket's receive buffer does not limit.)

    The FORCE variant passes net.core.wmem_max (root has CAP_NET_ADMIN); else fall back.
    """
    try:
        sock.setsockopt(socket.SOL_SOCKET, SO_SNDBUFFORCE, SOCKET_BUFFER)
    except PermissionError:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SOCKET_BUFFER)


@dataclass(frozen=True)
class Stream:
    """One receive queue: a socket filtered in the kernel, read through a ring.

    Every stream takes all ethertypes (ETH_P_ALL) and leaves the choice to its filter: a
    socket bound to one ethertype is served after the kernel has dropped a tagged frame's
    VLAN tag for good, while an ETH_P_ALL one gets it in the ring's header."""
    program: list
    batch: int       # frames read per turn of the loop, so no queue starves the others
    ring_bytes: int  # room for a burst: what does not fit is dropped by the kernel


# The AC's queues, most urgent first: held sessions (echoes, data) are served before the
# unicast PADR/PADT of hosts we answered, and those before broadcast PADIs, which anyone
# on the access network can send at line rate.
AC_STREAMS = (
    Stream(bpf.ac_stream(C.ETH_SESSION, (bpf.PACKET_HOST,)), 1024, 16 << 20),
    Stream(bpf.ac_stream(C.ETH_DISCOVERY, (bpf.PACKET_HOST,)), 256, 4 << 20),
    Stream(bpf.ac_stream(C.ETH_DISCOVERY, (bpf.PACKET_BROADCAST,)), 1024, 8 << 20),
)
# One socket for both ethertypes keeps discovery and session frames in wire order
# (a PADS and the LCP Configure-Request right behind it). The ring's memory is taken at
# once: thousands of subscribers need room for their bursts, one needs much less.
HOST_STREAMS = (Stream(bpf.pppoe(), 256, 16 << 20),)
ONE_HOST_STREAMS = (Stream(bpf.pppoe(), 256, 4 << 20),)
VLAN_ROOM = 8  # two VLAN tags beyond the interface's MTU and Ethernet header


class PacketLink:
    """Raw Ethernet frames in and out of one interface (PPPoE discovery + session)."""

    def __init__(self, iface: str, streams: tuple[Stream, ...] = HOST_STREAMS):
        try:
            socket.if_nametoindex(iface)
        except OSError:
            raise LinkError(f"no such interface: {iface} (see 'ip link')") from None
        self.iface = iface
        self.sockets: list[socket.socket] = []
        self.streams: dict[socket.socket, Stream] = {}
        self.rings: dict[socket.socket, RxRing] = {}
        self.send_errors = 0
        try:
            self.mtu: int = _mtu_of(iface)
            for stream in streams:
                # Protocol 0 until bind: no frame of any interface arrives before the filter
                # and the ring are in place.
                sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)
                self.sockets.append(sock)
                self.streams[sock] = stream
                bpf.attach(sock, stream.program)
                set_send_buffer(sock)
                self.rings[sock] = RxRing(sock, frame_size_for(self.mtu + 14 + VLAN_ROOM), stream.ring_bytes)
                sock.bind((iface, ETH_P_ALL))
                sock.setblocking(False)
        except PermissionError:
            self.close()
            raise LinkError(f"pppemu needs root (or CAP_NET_RAW) to open a raw socket on {iface}") from None
        except OSError as exc:
            self.close()
            raise LinkError(f"cannot open a raw socket on {iface}: {exc.strerror}") from None
        hardware_type, self.mac = self.sockets[0].getsockname()[3:5]
        if hardware_type != ARPHRD_ETHER:
            self.close()
            raise LinkError(f"interface {iface} is not Ethernet (hardware type {hardware_type}); "
                            "PPPoE runs over Ethernet")
        if not _interface_value(self.sockets[0], iface, SIOCGIFFLAGS, "H") & IFF_UP:
            self.close()
            raise LinkError(f"interface {iface} is down (ip link set {iface} up)")

    def require_mtu(self, size: int, what: str) -> None:
        """Refuse to run if an Ethernet payload of `size` bytes (what `what` needs) cannot pass."""
        if size > self.mtu:
            self.close()
            raise LinkError(f"{what} needs an interface MTU of {size}; {self.iface} has {self.mtu}")

    def accept_only(self, first_mac: bytes, count: int) -> None:
        """Let through only frames to our subscribers' MACs, and no PADI/PADR (a host needs
        neither): a flood on the access network stops in the kernel."""
        for sock in self.sockets:
            bpf.attach(sock, bpf.pppoe(first_mac, count))

    def recv_all(self, sock: socket.socket) -> list[bytes]:
        """Frames waiting on the socket, up to its stream's batch (the filter dropped the rest),
        each as it was on the wire, VLAN tags included."""
        return self.rings[sock].read(self.streams[sock].batch)

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
        for ring in self.rings.values():
            ring.close()
        for sock in self.sockets:
            sock.close()
        self.sockets, self.rings = [], {}
