"""PADI flood for bench/hostile.py: as many PADIs a second as one core can push.

Prebuilt 60-byte PADI frames go out in batches through libc's sendmmsg on an
AF_PACKET socket. Before each batch the source MACs are rewritten in place: a random
first byte (unicast, locally administered), a scrambled batch number, then the
frame's index in the batch, so no MAC repeats within 2**24 batches.
Prints one JSON line at the end: frames sent, seconds, rate, send errors.

    ip netns exec NS .venv/bin/python bench/flood.py --iface veth0 --seconds 30
"""
from __future__ import annotations

import argparse
import contextlib
import ctypes
import json
import os
import socket
import struct
import time

SOL_PACKET = 263
PACKET_QDISC_BYPASS = 20
FRAME = 60  # the Ethernet minimum without FCS
# dst broadcast, src (rewritten), PPPoE discovery; PADI with an empty Service-Name tag
PADI = (b"\xff" * 6 + b"\x00" * 6 + struct.pack("!H", 0x8863)
        + struct.pack("!BBHH", 0x11, 0x09, 0, 4) + struct.pack("!HH", 0x0101, 0)).ljust(FRAME, b"\x00")
LOCAL_UNICAST = bytes((b & 0xFC) | 0x02 for b in range(256))  # translate table for the first MAC byte


class IoVec(ctypes.Structure):
    _fields_ = [("base", ctypes.c_void_p), ("len", ctypes.c_size_t)]


class MsgHdr(ctypes.Structure):
    _fields_ = [("name", ctypes.c_void_p), ("namelen", ctypes.c_uint32), ("iov", ctypes.POINTER(IoVec)),
                ("iovlen", ctypes.c_size_t), ("control", ctypes.c_void_p), ("controllen", ctypes.c_size_t),
                ("flags", ctypes.c_int)]


class MMsgHdr(ctypes.Structure):
    _fields_ = [("hdr", MsgHdr), ("len", ctypes.c_uint)]


class Batch:
    """`size` frames in one buffer, with the mmsghdr array that points into it."""

    def __init__(self, size: int):
        if size > 1 << 16:
            raise ValueError("at most 65536 frames a batch (the index takes two MAC bytes)")
        self.size = size
        self.frames = bytearray(PADI * size)
        for i in range(size):
            self.frames[i * FRAME + 10:i * FRAME + 12] = i.to_bytes(2, "big")
        self.buffer = (ctypes.c_char * len(self.frames)).from_buffer(self.frames)
        base = ctypes.addressof(self.buffer)
        self.iovs = (IoVec * size)(*(IoVec(base + i * FRAME, FRAME) for i in range(size)))
        self.msgs = (MMsgHdr * size)()
        for i in range(size):
            self.msgs[i].hdr.iov = ctypes.pointer(self.iovs[i])
            self.msgs[i].hdr.iovlen = 1

    def new_macs(self, batch_number: int) -> None:
        """Fresh source MACs: bytes 6..11 of each frame; 10..11 (the index) never change."""
        frames, n = self.frames, self.size
        frames[6::FRAME] = os.urandom(n).translate(LOCAL_UNICAST)
        scrambled = (batch_number * 0x9E3779) & 0xFFFFFF  # odd multiplier: a bijection on 24 bits
        for k, byte in enumerate(scrambled.to_bytes(3, "big")):
            frames[7 + k::FRAME] = bytes((byte,)) * n


def open_socket(iface: str) -> socket.socket:
    sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)  # protocol 0: sends only, receives nothing
    sock.bind((iface, 0))
    with contextlib.suppress(OSError):  # an older kernel: through the qdisc, slower
        sock.setsockopt(SOL_PACKET, PACKET_QDISC_BYPASS, 1)
    return sock


def flood(iface: str, seconds: float, batch_size: int) -> dict:
    libc = ctypes.CDLL(None, use_errno=True)
    sendmmsg = libc.sendmmsg
    sendmmsg.argtypes = [ctypes.c_int, ctypes.POINTER(MMsgHdr), ctypes.c_uint, ctypes.c_int]
    sock = open_socket(iface)
    batch = Batch(batch_size)
    fd, msgs = sock.fileno(), batch.msgs
    sent = errors = number = 0
    start = time.monotonic()
    end = start + seconds
    print(json.dumps({"flooding": True}), flush=True)
    while True:
        batch.new_macs(number)
        number += 1
        done = sendmmsg(fd, msgs, batch_size, 0)
        if done < 0:
            errors += 1
        else:
            sent += done
        if number % 16 == 0 and time.monotonic() >= end:
            break
    elapsed = time.monotonic() - start
    return {"frames": sent, "seconds": round(elapsed, 3), "rate_per_s": round(sent / elapsed),
            "batches": number, "batch_size": batch_size, "send_errors": errors,
            "last_errno": ctypes.get_errno() if errors else 0}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--iface", default="veth0")
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--batch", type=int, default=1024, help="frames per sendmmsg call")
    parser.add_argument("--cpu", type=int, default=-1, help="pin to this CPU (-1: the last one; -2: no pinning)")
    args = parser.parse_args()
    if args.cpu != -2:
        os.sched_setaffinity(0, {args.cpu if args.cpu >= 0 else os.cpu_count() - 1})
    print(json.dumps(flood(args.iface, args.seconds, args.batch)), flush=True)


if __name__ == "__main__":
    main()
