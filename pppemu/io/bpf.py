"""Classic BPF socket filters: frames we would only drop never reach user space.

A program is a list of (opcode, jump-if-true, jump-if-false, k) written with labels
instead of jump offsets, so it reads top to bottom; `assemble` resolves the labels.
"""
from __future__ import annotations

import ctypes
import socket
import struct

from pppemu.wire import const as C

SO_ATTACH_FILTER = 26
SKF_AD_PKTTYPE = 0xFFFFF004  # SKF_AD_OFF (-0x1000) + SKF_AD_PKTTYPE (4): the ancillary packet type
PACKET_HOST, PACKET_BROADCAST, PACKET_MULTICAST, PACKET_OUTGOING = 0, 1, 2, 4
LD_ANC, LDH, LD, LDB = 0x20, 0x28, 0x20, 0x30  # ld [k] (word), ldh [k], ld [k], ldb [k] (absolute)
LDH_IND, LDB_IND = 0x48, 0x50  # ldh [x + k], ldb [x + k]
LDX_IMM = 0x01                 # ldx #k
JEQ, JGE, JA = 0x15, 0x35, 0x05
TAG_TPIDS = (C.ETH_VLAN, C.ETH_QINQ, 0x9100)
RET = 0x06
ACCEPT_ALL = 0x40000  # ret: the whole frame (up to 256 KiB)

Insn = tuple[int, str | int, str | int, int | str]  # jumps: a label, or 0 for the next instruction


def assemble(program: list[Insn | str]) -> list[tuple[int, int, int, int]]:
    """Labels are the strings in the list; each names the instruction after it. An
    unconditional jump (JA) takes its label in k."""
    labels: dict[str, int] = {}
    code: list[Insn] = []
    for item in program:
        if isinstance(item, str):
            labels[item] = len(code)
        else:
            code.append(item)
    out = []
    for index, insn in enumerate(code):
        # a label becomes the number of instructions to skip to reach it
        op, jt, jf, k = (labels[x] - index - 1 if isinstance(x, str) else x for x in insn)
        out.append((op, jt, jf, k))
    return out


def attach(sock: socket.socket, program: list[Insn | str]) -> None:
    code = assemble(program)
    raw = b"".join(struct.pack("HBBI", *insn) for insn in code)
    buffer = ctypes.create_string_buffer(raw)
    fprog = struct.pack("HL", len(code), ctypes.addressof(buffer))
    sock.setsockopt(socket.SOL_SOCKET, SO_ATTACH_FILTER, fprog)


_END: list[Insn | str] = ["accept", (RET, 0, 0, ACCEPT_ALL), "drop", (RET, 0, 0, 0)]


def _ethertype() -> list[Insn | str]:
    """A := the ethertype after any VLAN tags still in the frame, X := their length (0, 4, 8).

    The kernel takes a received frame's outer tag off into metadata before a packet socket
    sees it, so a QinQ frame shows its inner tag here; up to two are skipped all the same."""
    program: list[Insn | str] = [(LDX_IMM, 0, 0, 0), (LDH, 0, 0, 12)]
    for depth in (1, 2):
        program += [(JEQ, f"tag{depth}", 0, tpid) for tpid in TAG_TPIDS]
        program += [(JA, 0, 0, "ethertype"), f"tag{depth}", (LDX_IMM, 0, 0, 4 * depth), (LDH_IND, 0, 0, 12)]
    return program + ["ethertype"]


def pppoe(first_mac: bytes | None = None, count: int = 0) -> list[Insn | str]:
    """Received PPPoE frames (both ethertypes, VLAN-tagged or not); with a MAC range, only
    frames to those MACs, and no PADI or PADR, which only an AC needs (another host's flood
    stops here)."""
    program: list[Insn | str] = [
        (LD_ANC, 0, 0, SKF_AD_PKTTYPE),
        (JEQ, "drop", 0, PACKET_OUTGOING),  # our own frames: reads need no source address
        *_ethertype(),
        (JEQ, "session", 0, C.ETH_SESSION),
        (JEQ, 0, "drop", C.ETH_DISCOVERY),
    ]
    if first_mac is None:
        return program + ["session", (RET, 0, 0, ACCEPT_ALL), "drop", (RET, 0, 0, 0)]
    high, low = struct.unpack("!HI", first_mac)
    end = low + count  # one past the last MAC's low 32 bits
    program += [
        (LDB_IND, 0, 0, 15),  # the discovery code, after the tags
        (JEQ, "drop", 0, C.PADI),
        (JEQ, "drop", 0, C.PADR),
        "session",
        (LDH, 0, 0, 0),  # the destination MAC's top 16 bits
    ]
    if end < 1 << 32:
        program += [(JEQ, 0, "drop", high), (LD, 0, 0, 2), (JGE, 0, "drop", low), (JGE, "drop", "accept", end)]
    else:  # the range carries into the top 16 bits: its head has `high`, its tail high + 1
        program += [(JEQ, 0, "tail", high), (LD, 0, 0, 2), (JGE, "accept", "drop", low),
                    "tail", (JEQ, 0, "drop", high + 1), (LD, 0, 0, 2), (JGE, "drop", "accept", end - (1 << 32))]
    return program + _END


def ac_stream(ethertype: int, packet_types: tuple[int, ...]) -> list[Insn | str]:
    """Received frames of one ethertype (VLAN-tagged or not) and packet type(s): lets the AC
    read session frames, unicast discovery and broadcast discovery from separate queues."""
    program: list[Insn | str] = [(LD_ANC, 0, 0, SKF_AD_PKTTYPE)]
    program += [(JEQ, "type", 0, t) for t in packet_types]
    program += [(RET, 0, 0, 0), "type", *_ethertype(), (JEQ, "accept", "drop", ethertype)]
    return program + _END
