"""IPCP (RFC 1332) with DNS options (RFC 1877). One policy for both ends.

A client asks for 0.0.0.0 and DNS and takes the peer's Naks; an AC asks for its
own address and Naks the peer to the address it assigned and its DNS servers.
"""
from __future__ import annotations

import ipaddress
from collections.abc import Callable

from pppemu.ppp.fsm import Policy
from pppemu.wire import const as C
from pppemu.wire.control import Options

ZERO = b"\x00" * 4


def ip_bytes(addr: str | None) -> bytes | None:
    return ipaddress.IPv4Address(addr).packed if addr else None


def ip_str(raw: bytes | None) -> str | None:
    return str(ipaddress.IPv4Address(raw)) if raw and raw != ZERO else None


class IpcpPolicy(Policy):
    name = "IPCP"

    def __init__(self, *, local_ip: str | None = None, assign_ip: str | None = None,
                 request_dns: bool = True, dns: tuple[str, ...] = (),
                 on_up: Callable[[], None] = lambda: None,
                 on_down: Callable[[], None] = lambda: None,
                 on_finished: Callable[[], None] = lambda: None):
        self.local_ip = ip_bytes(local_ip) or ZERO   # ZERO: ask the peer for one
        self.assign_ip = ip_bytes(assign_ip)         # None: take what the peer says
        self.request_dns = request_dns
        self.dns_out = [ip_bytes(d) for d in dns[:2]]
        self.on_up, self.on_down, self.on_finished = on_up, on_down, on_finished
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

    def check_request(self, options: Options, reject_naks: bool) -> tuple[int, Options]:
        naks, rejects = [], []
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
        if rejects:
            return C.CONF_REJ, rejects
        if naks:
            return (C.CONF_REJ if reject_naks else C.CONF_NAK), naks
        self.peer_ip = peer_ip
        return C.CONF_ACK, options

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

    def up(self) -> None:
        self.on_up()

    def down(self) -> None:
        self.on_down()

    def finished(self) -> None:
        self.on_finished()
