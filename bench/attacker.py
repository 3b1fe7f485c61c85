"""Hostile PPPoE peer for bench/hostile.py: forged PADRs and peers that never finish setup.

Runs in the client's namespace on a raw packet socket (promiscuous, so it hears the
AC's answers to every MAC it forges). Attacks, in this order:

  yes-man    sessions whose peer acks every LCP Configure-Request of the AC and never
             sends its own, so LCP never opens (one MAC each)
  one-mac    one MAC, one PADI: its AC-Cookie reused in PADRs with distinct Host-Uniqs
  fresh      the same MAC, a fresh PADI/PADO cookie for each PADR
  many-macs  distinct MACs, each with PADRs carrying a valid cookie of their own

No session is ever authenticated. Then it waits up to --hold seconds for the AC's PADT
on every session it obtained and writes its figures as JSON to --out.

    ip netns exec NS .venv/bin/python bench/attacker.py --iface veth0 --out attack.json
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import select
import socket
import statistics
import struct
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from pppemu.wire import (
    BROADCAST,
    Control,
    DecodeError,
    Discovery,
    EthFrame,
    decode_control,
    decode_discovery,
    decode_eth,
    decode_session,
    encode_control,
    encode_discovery,
    encode_eth,
    encode_session,
    mac_str,
)
from pppemu.wire import const as C

ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4
SOL_PACKET = 263
PACKET_ADD_MEMBERSHIP = 1
PACKET_MR_PROMISC = 1
ANSWER_WAIT = 2.0  # seconds to wait for the AC's answers to one round of requests
ROUNDS = 3         # rounds of requests: the unanswered ones are sent again, as a client would


def attacker_mac(phase: int, n: int) -> bytes:
    """02:66:PP:00:nn:nn, locally administered; bench/hostile.py counts 02:66:* as ours."""
    return bytes((0x02, 0x66, phase, 0, n >> 8 & 0xFF, n & 0xFF))


@dataclass
class Session:
    phase: str
    mac: bytes
    session_id: int
    pads_at: float
    padt_at: float | None = None
    conf_reqs: int = 0   # LCP Configure-Requests the AC sent to it
    acked: int = 0       # of those, acked by us (yes-man sessions only)


@dataclass
class PhaseStats:
    padi_sent: int = 0
    pado: int = 0
    padr_sent: int = 0
    pads_session: int = 0
    refused: Counter = field(default_factory=Counter)  # error tag text -> PADS count
    unanswered: int = 0  # PADRs that got no PADS at all, after every round


class Wire:
    """The raw socket plus what has come back from the AC, keyed by (MAC, Host-Uniq)."""

    def __init__(self, iface: str):
        self.sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
        self.sock.bind((iface, ETH_P_ALL))
        mreq = struct.pack("iHH8s", socket.if_nametoindex(iface), PACKET_MR_PROMISC, 0, b"")
        self.sock.setsockopt(SOL_PACKET, PACKET_ADD_MEMBERSHIP, mreq)
        self.sock.setblocking(False)
        self.ac_mac: bytes | None = None
        self.offers: dict[tuple[bytes, bytes], bytes] = {}           # -> AC-Cookie
        self.answers: dict[tuple[bytes, bytes], Discovery] = {}       # -> PADS
        self.phase_of: dict[tuple[bytes, bytes], str] = {}            # -> attack that sent the PADR
        self.sessions: dict[tuple[bytes, int], Session] = {}
        self.yes_men: set[bytes] = set()
        self.stray_padt = 0

    def send_discovery(self, dst: bytes, src: bytes, pkt: Discovery) -> None:
        self.sock.send(encode_eth(EthFrame(dst, src, C.ETH_DISCOVERY, encode_discovery(pkt))))

    def send_lcp(self, session: Session, pkt: Control) -> None:
        payload = encode_session(session.session_id, C.PROTO_LCP, encode_control(pkt))
        self.sock.send(encode_eth(EthFrame(self.ac_mac, session.mac, C.ETH_SESSION, payload)))

    def pump(self, seconds: float, done=lambda: False) -> None:
        """Handle incoming frames for `seconds`, or until `done()`."""
        end = time.monotonic() + seconds
        while not done():
            left = end - time.monotonic()
            if left <= 0:
                return
            if select.select([self.sock], [], [], min(left, 0.2))[0]:
                self._read_all()

    def _read_all(self) -> None:
        while True:
            try:
                data, addr = self.sock.recvfrom(65536)
            except BlockingIOError:
                return
            if addr[2] != PACKET_OUTGOING:
                with contextlib.suppress(DecodeError):  # not ours to judge
                    self._on_frame(decode_eth(data), time.monotonic())

    def _on_frame(self, eth: EthFrame, now: float) -> None:
        if eth.ethertype == C.ETH_DISCOVERY:
            self._on_discovery(eth, decode_discovery(eth.payload), now)
        elif eth.ethertype == C.ETH_SESSION:
            session_id, ppp = decode_session(eth.payload)
            session = self.sessions.get((eth.dst, session_id))
            if session is not None and ppp[:2] == C.PROTO_LCP.to_bytes(2, "big"):
                self._on_lcp(session, decode_control(ppp[2:]))

    def _on_discovery(self, eth: EthFrame, pkt: Discovery, now: float) -> None:
        key = (eth.dst, pkt.tag(C.TAG_HOST_UNIQ) or b"")
        if pkt.code == C.PADO:
            self.ac_mac = eth.src
            cookie = pkt.tag(C.TAG_AC_COOKIE)
            if cookie is not None:
                self.offers[key] = cookie
        elif pkt.code == C.PADS and key not in self.answers:
            self.answers[key] = pkt
            if pkt.session_id:  # registered at once: the AC's Configure-Request is right behind
                self.sessions[(eth.dst, pkt.session_id)] = Session(
                    self.phase_of.get(key, "?"), eth.dst, pkt.session_id, now)
        elif pkt.code == C.PADT:
            session = self.sessions.get((eth.dst, pkt.session_id))
            if session is None:
                self.stray_padt += 1
            elif session.padt_at is None:
                session.padt_at = now

    def _on_lcp(self, session: Session, pkt: Control) -> None:
        if pkt.code == C.CONF_REQ:
            session.conf_reqs += 1
            if session.mac in self.yes_men:
                self.send_lcp(session, Control(C.CONF_ACK, pkt.ident, pkt.data))
                session.acked += 1
        elif pkt.code == C.TERM_REQ and session.mac in self.yes_men:
            self.send_lcp(session, Control(C.TERM_ACK, pkt.ident))


def padi(host_uniq: bytes) -> Discovery:
    return Discovery(C.PADI, 0, [(C.TAG_SERVICE_NAME, b""), (C.TAG_HOST_UNIQ, host_uniq)])


def padr(host_uniq: bytes, cookie: bytes) -> Discovery:
    return Discovery(C.PADR, 0, [(C.TAG_SERVICE_NAME, b""), (C.TAG_HOST_UNIQ, host_uniq),
                                 (C.TAG_AC_COOKIE, cookie)])


def discover(wire: Wire, wanted: list[tuple[bytes, bytes]], stats: PhaseStats) -> None:
    """PADI for each (MAC, Host-Uniq) until each has a PADO, for up to ROUNDS rounds."""
    for _ in range(ROUNDS):
        missing = [k for k in wanted if k not in wire.offers]
        if not missing:
            break
        for mac, host_uniq in missing:
            wire.send_discovery(BROADCAST, mac, padi(host_uniq))
        stats.padi_sent += len(missing)
        wire.pump(ANSWER_WAIT, lambda m=missing: all(k in wire.offers for k in m))
    stats.pado = sum(1 for k in wanted if k in wire.offers)


def request(wire: Wire, phase: str, requests: list[tuple[bytes, bytes, bytes]], stats: PhaseStats) -> None:
    """PADR for each (MAC, Host-Uniq, cookie) until each has a PADS, for up to ROUNDS rounds."""
    for _ in range(ROUNDS):
        missing = [r for r in requests if r[:2] not in wire.answers]
        if not missing or wire.ac_mac is None:
            break
        for mac, host_uniq, cookie in missing:
            wire.phase_of[(mac, host_uniq)] = phase
            wire.send_discovery(wire.ac_mac, mac, padr(host_uniq, cookie))
        stats.padr_sent += len(missing)
        wire.pump(ANSWER_WAIT, lambda m=missing: all(r[:2] in wire.answers for r in m))
    for mac, host_uniq, _ in requests:
        tally(wire.answers.get((mac, host_uniq)), stats)


def tally(pads: Discovery | None, stats: PhaseStats) -> None:
    if pads is None:
        stats.unanswered += 1
    elif pads.session_id:
        stats.pads_session += 1
    else:
        error = pads.error()
        stats.refused[error[1].decode(errors="replace") if error else "(no error tag)"] += 1


def unique(n: int) -> bytes:
    return n.to_bytes(4, "big") + os.urandom(4)


def attack_yes_men(wire: Wire, count: int) -> PhaseStats:
    stats = PhaseStats()
    macs = [attacker_mac(0x0C, i + 1) for i in range(count)]
    wire.yes_men.update(macs)
    wanted = [(mac, unique(i)) for i, mac in enumerate(macs)]
    discover(wire, wanted, stats)
    request(wire, "yes-man", [(m, h, wire.offers[(m, h)]) for m, h in wanted if (m, h) in wire.offers], stats)
    return stats


def attack_one_mac(wire: Wire, count: int) -> PhaseStats:
    stats = PhaseStats()
    mac, first = attacker_mac(0x0A, 1), unique(0)
    discover(wire, [(mac, first)], stats)
    cookie = wire.offers.get((mac, first))
    if cookie is not None:
        request(wire, "one-mac", [(mac, unique(1000 + i), cookie) for i in range(count)], stats)
    return stats


def attack_fresh_cookies(wire: Wire, count: int) -> PhaseStats:
    stats = PhaseStats()
    mac = attacker_mac(0x0A, 1)
    wanted = [(mac, unique(2000 + i)) for i in range(count)]
    discover(wire, wanted, stats)
    request(wire, "fresh", [(m, h, wire.offers[(m, h)]) for m, h in wanted if (m, h) in wire.offers], stats)
    return stats


def attack_many_macs(wire: Wire, macs: int, per_mac: int) -> PhaseStats:
    stats = PhaseStats()
    wanted = [(attacker_mac(0x0B, i + 1), unique(3000 + i * per_mac + j)) for i in range(macs) for j in range(per_mac)]
    discover(wire, wanted, stats)
    request(wire, "many-macs", [(m, h, wire.offers[(m, h)]) for m, h in wanted if (m, h) in wire.offers], stats)
    return stats


def survival(sessions: list[Session], hold_end: float) -> dict:
    """Seconds from PADS to the AC's PADT, over the sessions of one phase."""
    lived = [s.padt_at - s.pads_at for s in sessions if s.padt_at is not None]
    alive = [s for s in sessions if s.padt_at is None]
    return {
        "sessions": len(sessions),
        "padt": len(lived),
        "alive_at_end": len(alive),
        "alive_for_at_least_s": round(min(hold_end - s.pads_at for s in alive), 1) if alive else None,
        "min_s": round(min(lived), 2) if lived else None,
        "median_s": round(statistics.median(lived), 2) if lived else None,
        "max_s": round(max(lived), 2) if lived else None,
        "ac_conf_reqs": sum(s.conf_reqs for s in sessions),
        "acked": sum(s.acked for s in sessions),
    }


def phase_json(stats: PhaseStats) -> dict:
    out = dict(vars(stats))
    out["refused"] = dict(stats.refused)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--iface", default="veth0")
    parser.add_argument("--out", required=True, help="JSON file for the figures")
    parser.add_argument("--padrs", type=int, default=150, help="PADRs from the one MAC, per cookie strategy")
    parser.add_argument("--macs", type=int, default=120)
    parser.add_argument("--per-mac", type=int, default=2, help="PADRs per MAC in the many-MAC attack")
    parser.add_argument("--yes-men", type=int, default=5)
    parser.add_argument("--hold", type=float, default=60, help="seconds to wait for the AC's PADTs")
    args = parser.parse_args()

    wire = Wire(args.iface)
    started = time.monotonic()
    phases = {
        "yes-man": attack_yes_men(wire, args.yes_men),
        "one-mac": attack_one_mac(wire, args.padrs),
        "fresh": attack_fresh_cookies(wire, args.padrs),
        "many-macs": attack_many_macs(wire, args.macs, args.per_mac),
    }
    attack_s = time.monotonic() - started
    print(f"attack sent in {attack_s:.1f} s: {len(wire.sessions)} sessions obtained", flush=True)
    wire.pump(args.hold, lambda: all(s.padt_at is not None for s in wire.sessions.values()))
    hold_end = time.monotonic()
    result = {
        "ac_mac": mac_str(wire.ac_mac) if wire.ac_mac else None,
        "attack_s": round(attack_s, 2),
        "hold_s": round(hold_end - started - attack_s, 1),
        "phases": {name: phase_json(stats) for name, stats in phases.items()},
        "survival": {name: survival([s for s in wire.sessions.values() if s.phase == name], hold_end)
                     for name in phases},
        "stray_padt": wire.stray_padt,
    }
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n")
    print("done", flush=True)


if __name__ == "__main__":
    main()
