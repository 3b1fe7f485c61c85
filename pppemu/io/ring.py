"""A PACKET_MMAP receive ring (TPACKET_V2): frames read without a system call each.

The AC reads broadcast PADIs through one, because a flood arrives faster than one
recv() per frame can take it: the socket queue then overflows, and a real host's PADI
is dropped in the kernel with the flood before the AC can tell them apart. From a
ring, Python reads a frame for about the price of a slice.
"""
from __future__ import annotations

import mmap
import socket
import struct

SOL_PACKET = 263
PACKET_RX_RING, PACKET_VERSION = 5, 10
TPACKET_V2 = 1
TP_STATUS_KERNEL, TP_STATUS_USER = 0, 1
FRAME_SIZE = 2048          # header + a frame of up to about 1,950 bytes: any discovery frame
BLOCK_SIZE = 1 << 16       # 32 frames per block (frames never straddle blocks)
BLOCKS = 128               # 4,096 frames, 8 MiB
_HEADER = struct.Struct("=IIIH")  # tpacket2_hdr: tp_status, tp_len, tp_snaplen, tp_mac
_KERNEL = TP_STATUS_KERNEL.to_bytes(4, "little")


class RxRing:
    def __init__(self, sock: socket.socket, blocks: int = BLOCKS):
        sock.setsockopt(SOL_PACKET, PACKET_VERSION, TPACKET_V2)
        self.count = blocks * BLOCK_SIZE // FRAME_SIZE
        sock.setsockopt(SOL_PACKET, PACKET_RX_RING, struct.pack("IIII", BLOCK_SIZE, blocks, FRAME_SIZE, self.count))
        self.map = mmap.mmap(sock.fileno(), BLOCK_SIZE * blocks, mmap.MAP_SHARED,
                             mmap.PROT_READ | mmap.PROT_WRITE)
        self.index = 0

    def read(self, limit: int) -> list[bytes]:
        """Up to `limit` frames, oldest first; each slot goes back to the kernel at once."""
        frames = []
        ring, index, count = self.map, self.index, self.count
        unpack = _HEADER.unpack_from
        for _ in range(limit):
            offset = index * FRAME_SIZE
            status, _, snaplen, mac = unpack(ring, offset)
            if not status & TP_STATUS_USER:
                break
            start = offset + mac
            frames.append(ring[start:start + snaplen])
            ring[offset:offset + 4] = _KERNEL
            index = (index + 1) % count
        self.index = index
        return frames

    def close(self) -> None:
        self.map.close()
