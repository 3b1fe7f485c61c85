"""IPCP (RFC 1332) with DNS options (RFC 1877). One policy for both ends.

A client asks for 0.0.0.0 and DNS and takes the peer's Naks; an AC asks for its
own address and Naks the peer to the address it assigned and its DNS servers.
"""
from __future__ import annotations

import ipaddress

from pppemu.ppp.fsm import LayerSignal, Policy, Verdict, nobody_listens
from pppemu.wire import const as C
from pppemu.wire.control import Options

ZERO = b"\x00" * 4


def ip_bytes(addr: str | None) -> bytes | None:
    return ipaddress.IPv4Address(addr).packed if addr else None


def ip_str(raw: bytes | None) -> str | None:
    return str(ipaddress.IPv4Address(raw)) if raw and raw != ZERO else None


class IpcpPolicy(Policy):
    """IPCP's IP-Address and DNS options, for either end: which end hands out addresses
    is a matter of ``local_ip``/``assign_ip``/``dns``, not of code."""

    name = "IPCP"

    def __init__(self, *, local_ip: str | None = None, assign_ip: str | None = None,
                 request_dns: bool = True, dns: tuple[str, ...] = (),
                 on_up: LayerSignal = nobody_listens, on_down: LayerSignal = nobody_listens,
                 on_finished: LayerSignal = nobody_listens):
        super().__init__(on_up=on_up, on_down=on_down, on_finished=on_finished)
        self.local_ip = ip_bytes(local_ip) or ZERO   # ZERO: ask the peer for one
        self.assign_ip = ip_bytes(assign_ip)         # None: take what the peer says
        self.request_dns = request_dns
        self.dns_out = [ipaddress.IPv4Address(d).packed for d in dns[:2]]  # what we give the peer
        self.peer_ip: bytes | None = None
        self.reset()

    def reset(self) -> None:
        self.fatal = None
        self.want: dict[int, bytes] = {C.IPCP_ADDRESS: self.local_ip}
        if self.request_dns:
            self.want[C.IPCP_DNS1] = ZERO
            self.want[C.IPCP_DNS2] = ZERO

    def build_request(self) -> Options:
        return list(self.want.items())

    def judge_request(self, options: Options) -> Verdict:
        naks: Options = []
        rejects: Options = []
        dns_for = {C.IPCP_DNS1: 0, C.IPCP_DNS2: 1}
        peer_ip = None
        for opt, value in options:
            if opt == C.IPCP_ADDRESS and len(value) == 4:
                peer_ip = value
                if self.assign_ip is not None and value != self.assign_ip:
                    naks.append((opt, self.assign_ip))
                elif self.assign_ip is None and value == ZERO:
                    rejects.append((opt, value))  # we have no address to give
            elif opt in dns_for and len(value) == 4 and dns_for[opt] < len(self.dns_out):
                ours = self.dns_out[dns_for[opt]]
                if value != ours:
                    naks.append((opt, ours))
            else:
                rejects.append((opt, value))  # IP-Compression, IP-Addresses, NBNS, unknown
        if self.assign_ip is not None and peer_ip is None:
            naks.append((C.IPCP_ADDRESS, self.assign_ip))  # hint the peer to ask for it
        return Verdict(naks, rejects)

    def request_accepted(self, options: Options) -> None:
        self.peer_ip = dict(options).get(C.IPCP_ADDRESS)

    def handle_nak(self, options: Options) -> None:
        for opt, value in options:
            if opt in self.want and len(value) == 4:
                if opt == C.IPCP_ADDRESS and self.local_ip != ZERO:
                    continue  # we insist on our configured address
                self.want[opt] = value

    def handle_reject(self, options: Options) -> None:
        for opt, _ in options:
            if opt == C.IPCP_ADDRESS and self.want.get(opt) == ZERO:
                self.fatal = "peer rejected the IP-Address option and gave us no address"
            self.want.pop(opt, None)

    @property
    def address(self) -> str | None:
        return ip_str(self.want.get(C.IPCP_ADDRESS))

    @property
    def gateway(self) -> str | None:
        return ip_str(self.peer_ip)

    @property
    def dns(self) -> list[str]:
        found = [ip_str(self.want.get(o)) for o in (C.IPCP_DNS1, C.IPCP_DNS2)]
        return [d for d in found if d]
