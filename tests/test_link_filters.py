"""The kernel filters on real sockets: what each role's link lets through, and on which queue.

Frames are sent from one namespace of a veth pair and read in the other, in this
process: the sockets are opened inside the namespaces with setns(2).
"""
from __future__ import annotations

import ctypes
import os
import socket
import time
from contextlib import contextmanager

import pytest

from pppemu.io import bpf
from pppemu.io.link import AC_STREAMS, PacketLink
from pppemu.wire import const as C
from pppemu.wire.ethernet import BROADCAST, EthFrame, encode_eth, encode_tags
from pppemu.wire.pppoe import Discovery, encode_discovery

pytestmark = pytest.mark.e2e
CLONE_NEWNET = 0x40000000
BASE = bytes.fromhex("025050000001")
PEER = bytes.fromhex("02aaaa000001")


@contextmanager
def inside(namespace: str):
    """Run the block in a network namespace (this thread only), then come back."""
    libc = ctypes.CDLL(None, use_errno=True)
    home = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
    target = os.open(f"/run/netns/{namespace}", os.O_RDONLY)
    try:
        if libc.setns(target, CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), "setns")
        yield
    finally:
        libc.setns(home, CLONE_NEWNET)
        os.close(home)
        os.close(target)


def mac_plus(mac: bytes, n: int) -> bytes:
    return (int.from_bytes(mac, "big") + n).to_bytes(6, "big")


def discovery(dst: bytes, code: int, src: bytes = PEER) -> bytes:
    frame = encode_eth(EthFrame(dst, src, C.ETH_DISCOVERY, encode_discovery(Discovery(code, 0, []))))
    return frame.ljust(60, b"\0")


def session(dst: bytes, src: bytes = PEER) -> bytes:
    return (dst + src + bytes.fromhex("8864 1100 1234 0004 c021 0901")).ljust(60, b"\0")


def ipv4(dst: bytes) -> bytes:
    return dst + PEER + b"\x08\x00" + bytes(46)


def deliver(lab, frames: list[bytes]) -> None:
    with inside(lab.cl_ns):
        sender = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
        sender.bind(("veth0", 0))
    with sender:
        for frame in frames:
            sender.send(frame)
    time.sleep(0.3)


def received(link: PacketLink) -> list[list[bytes]]:
    return [[f[:14 + 8] for f in link.recv_all(sock)] for sock in link.sockets]


def test_a_host_link_takes_only_frames_to_its_subscribers_and_no_padi_or_padr(lab):
    with inside(lab.ac_ns):
        link = PacketLink("veth0")
        link.promiscuous()
    try:
        link.accept_only(BASE, 3)
        wanted = [discovery(mac_plus(BASE, 1), C.PADO), discovery(BASE, C.PADS),
                  discovery(mac_plus(BASE, 2), C.PADT), session(mac_plus(BASE, 2))]
        unwanted = [discovery(BROADCAST, C.PADI), discovery(BASE, C.PADR), discovery(mac_plus(BASE, 3), C.PADO),
                    discovery(mac_plus(BASE, -1), C.PADO), session(mac_plus(BASE, 3)),
                    session(b"\x03" + BASE[1:]), ipv4(BASE)]
        deliver(lab, unwanted + wanted)
        assert received(link) == [[f[:22] for f in wanted]]
    finally:
        link.close()


def test_an_ac_link_keeps_sessions_unicast_discovery_and_broadcast_padis_apart(lab):
    with inside(lab.ac_ns):
        link = PacketLink("veth0", AC_STREAMS)
    try:
        ac = link.mac
        frames = {"session": session(ac), "padr": discovery(ac, C.PADR), "padt": discovery(ac, C.PADT),
                  "padi": discovery(BROADCAST, C.PADI)}
        strays = [session(BROADCAST), session(mac_plus(ac, 1)), discovery(mac_plus(ac, 1), C.PADR), ipv4(ac)]
        deliver(lab, [frames["padi"], *strays, frames["padr"], frames["session"], frames["padt"]])
        assert received(link) == [[frames["session"][:22]], [frames["padr"][:22], frames["padt"][:22]],
                                  [frames["padi"][:22]]]
    finally:
        link.close()


def tagged(frame: bytes, *stack: tuple[int, int]) -> bytes:
    return frame[:12] + encode_tags(stack) + frame[12:]


QINQ = ((0x88A8, 100), (0x8100, 3 << 13 | 7))  # an S-VLAN and a C-VLAN at priority 3


@pytest.mark.parametrize("stack", [((0x8100, 5),), ((0x88A8, 5),), QINQ], ids=["dot1q", "dot1ad", "qinq"])
def test_an_ac_link_reads_tagged_frames_back_as_they_were_on_the_wire(lab, stack):
    # The kernel takes the outer tag off before a packet socket sees the frame; the link puts it back.
    with inside(lab.ac_ns):
        link = PacketLink("veth0", AC_STREAMS)
    try:
        ac = link.mac
        frames = [tagged(session(ac), *stack), tagged(discovery(ac, C.PADR), *stack),
                  tagged(discovery(BROADCAST, C.PADI), *stack)]
        deliver(lab, [tagged(ipv4(ac), *stack), *frames])
        assert [link.recv_all(sock) for sock in link.sockets] == [[f] for f in frames]
    finally:
        link.close()


def test_a_host_link_takes_tagged_frames_to_its_subscribers_and_drops_the_rest(lab):
    with inside(lab.ac_ns):
        link = PacketLink("veth0")
        link.promiscuous()
    try:
        link.accept_only(BASE, 2)
        wanted = [tagged(discovery(BASE, C.PADO), *QINQ), tagged(session(mac_plus(BASE, 1)), (0x8100, 9))]
        unwanted = [tagged(discovery(BROADCAST, C.PADI), *QINQ), tagged(discovery(BASE, C.PADR), (0x8100, 9)),
                    tagged(session(mac_plus(BASE, 2)), *QINQ), tagged(ipv4(BASE), *QINQ)]
        deliver(lab, unwanted + wanted)
        assert link.recv_all(link.sockets[0]) == wanted
    finally:
        link.close()


@pytest.mark.parametrize("first", ["025050000001", "0250fffffffe"])
def test_a_host_link_takes_a_mac_range_whole_even_where_it_carries_past_32_bits(lab, first):
    base = bytes.fromhex(first)
    with inside(lab.ac_ns):
        link = PacketLink("veth0")
        link.promiscuous()
    try:
        link.accept_only(base, 3)
        inside_range = [discovery(mac_plus(base, n), C.PADO) for n in range(3)]
        outside = [discovery(mac_plus(base, -1), C.PADO), discovery(mac_plus(base, 3), C.PADO),
                   discovery(mac_plus(base, 1 << 32), C.PADO)]
        deliver(lab, outside + inside_range)
        assert received(link) == [[f[:22] for f in inside_range]]
    finally:
        link.close()


def test_labels_become_forward_offsets():
    program = bpf.assemble([(bpf.JEQ, "b", "a", 1), "a", (bpf.RET, 0, 0, 1), "b", (bpf.RET, 0, 0, 2)])
    assert program == [(bpf.JEQ, 1, 0, 1), (bpf.RET, 0, 0, 1), (bpf.RET, 0, 0, 2)]


def test_the_padi_ring_hands_over_every_frame_in_order_across_its_wrap(lab):
    with inside(lab.ac_ns):
        link = PacketLink("veth0", AC_STREAMS)
    try:
        ring_socket = link.sockets[2]
        assert ring_socket in link.rings
        seen = []
        for round_ in range(3):  # 3 x 3,000 frames through a ring of 4,096 slots
            macs = [(round_ * 3000 + n + 1 << 8 | 2).to_bytes(6, "big") for n in range(3000)]
            deliver(lab, [discovery(BROADCAST, C.PADI, src=mac) for mac in macs])
            while frames := link.recv_all(ring_socket):
                seen += [f[6:12] for f in frames]
            assert seen[-3000:] == macs
        assert len(seen) == 9000
    finally:
        link.close()


def test_a_guard_that_never_ran_dry_keeps_no_table():
    from collections import Counter

    from pppemu.pppoe.admission import DiscoveryGuard
    guard = DiscoveryGuard(rate=100, mac_rate=0, counters=Counter())
    padi = discovery(BROADCAST, C.PADI)
    assert all(guard.admit(padi, n / 10) for n in range(100)) and guard._refused is None
    assert not all(guard.admit(padi, 10.0) for _ in range(100)) and guard._refused is not None
