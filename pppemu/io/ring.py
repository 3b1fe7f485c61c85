"""A PACKET_MMAP receive ring (TPACKET_V2): frames read without a system call each.

The AC reads broadcast PADIs through one, because a flood arrives faster than one
recv() per frame can take it: the socket queue then overflows, and a real host's PADI
is dropped in the kernel with the flood before the AC can tell them apart. From a
ring, Python reads a frame for about the price of a slice; and the slot's header holds the
VLAN tag the kernel took off the frame, which a plain recv() loses.
"""
from __future__ import annotations

import mmap
import socket
import struct

from pppemu.wire.const import ETH_VLAN

SOL_PACKET = 263
PACKET_RX_RING, PACKET_VERSION = 5, 10
TPACKET_V2 = 1
TP_STATUS_KERNEL, TP_STATUS_USER = 0, 1
TP_STATUS_VLAN_VALID, TP_STATUS_VLAN_TPID_VALID = 0x10, 0x40
FRAME_SIZE = 2048          # header + a frame of up to about 1,950 bytes: any discovery frame
BLOCK_SIZE = 1 << 16       # frames never straddle blocks
RING_BYTES = 8 << 20       # 4,096 frames of FRAME_SIZE
HEADROOM = 128             # the tpacket2 header and sockaddr_ll before each frame, rounded up
# tpacket2_hdr: tp_status, tp_len, tp_snaplen, tp_mac, tp_net, tp_sec, tp_nsec, tp_vlan_tci, tp_vlan_tpid
_HEADER = struct.Struct("=IIIHHIIHH")
_KERNEL = TP_STATUS_KERNEL.to_bytes(4, "little")
_TAG = struct.Struct("!HH")


def frame_size_for(largest: int) -> int:
    """A ring slot that holds a frame of `largest` bytes: a power of two, at least FRAME_SIZE."""
    size = FRAME_SIZE
    while size < largest + HEADROOM:
        size *= 2
    return size


class RxRing:
    """Frames come out as they were on the wire: the VLAN tag the kernel took off into the
    slot's header (as it does on receive) is written back in front of the ethertype."""

    def __init__(self, sock: socket.socket, frame_size: int = FRAME_SIZE, ring_bytes: int = RING_BYTES):
        sock.setsockopt(SOL_PACKET, PACKET_VERSION, TPACKET_V2)
        block = max(BLOCK_SIZE, frame_size)
        blocks = max(1, ring_bytes // block)
        self.frame_size = frame_size
        self.count = blocks * block // frame_size
        sock.setsockopt(SOL_PACKET, PACKET_RX_RING, struct.pack("IIII", block, blocks, frame_size, self.count))
        self.map = mmap.mmap(sock.fileno(), block * blocks, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
        self.index = 0

    def read(self, limit: int) -> list[bytes]:
        """Up to `limit` frames, oldest first; each slot goes back to the kernel at once."""
        frames = []
        ring, index, count, size = self.map, self.index, self.count, self.frame_size
        unpack = _HEADER.unpack_from
        for _ in range(limit):
            offset = index * size
            status, _, snaplen, mac, _, _, _, tci, tpid = unpack(ring, offset)
            if not status & TP_STATUS_USER:
                break
            start = offset + mac
            if status & TP_STATUS_VLAN_VALID:
                tag = _TAG.pack(tpid if status & TP_STATUS_VLAN_TPID_VALID else ETH_VLAN, tci)
                frames.append(ring[start:start + 12] + tag + ring[start + 12:start + snaplen])
            else:
                frames.append(ring[start:start + snaplen])
            ring[offset:offset + 4] = _KERNEL
            index = (index + 1) % count
        self.index = index
        return frames

    def close(self) -> None:
        self.map.close()
