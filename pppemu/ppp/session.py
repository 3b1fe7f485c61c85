"""One PPP session over an established PPPoE session, for either role.

Runs the RFC 1661 phases Establish -> Authenticate -> Network -> Terminate -> Dead,
wiring LCP, authentication and the NCPs. Which side demands authentication and which
side assigns addresses is configuration, not code: the rules are the same for both.
"""
from __future__ import annotations

import random
import struct
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum

from pppemu.ppp import auth
from pppemu.ppp.events import AuthDone, Event, Ipv6Up, LinkUp, Packet, SessionDown, SessionKey, SessionUp
from pppemu.ppp.fsm import Fsm, Policy, State
from pppemu.ppp.ipcp import IpcpPolicy, ip_bytes
from pppemu.ppp.ipv6cp import Ipv6cpPolicy
from pppemu.ppp.lcp import LcpPolicy
from pppemu.wire import const as C
from pppemu.wire.control import Control, decode_control, encode_control
from pppemu.wire.errors import DecodeError


class Phase(Enum):
    """The session's phase (RFC 1661 section 3.2)."""

    DEAD = "dead"
    ESTABLISH = "establish"
    AUTHENTICATE = "authenticate"
    NETWORK = "network"
    TERMINATE = "terminate"


@dataclass
class PppConfig:
    """How one end negotiates: the same fields serve a client and an AC."""

    mru: int = C.PPPOE_MRU
    max_mru: int = C.PPPOE_MRU
    # Authentication we demand of the peer ('chap', 'pap' or None) and how we check it.
    require_auth: str | None = None
    secrets: auth.SecretLookup | None = None
    auth_name: str = "pppemu"
    # Authentication we agree to perform when the peer demands it ('chap', 'pap'), and our credentials.
    accept_auth: tuple[str, ...] = (auth.AuthKind.CHAP, auth.AuthKind.PAP)
    # Refuse a peer that asks for no authentication (a BRAS left without its AAA, say).
    insist_auth: bool = False
    username: str = ""
    password: str = ""
    # IPCP: our address (None: ask the peer), the one we give the peer, DNS.
    local_ip: str | None = None
    request_dns: bool = True
    dns: tuple[str, ...] = ()
    ipv6: bool = False
    # Keepalive: an Echo-Request every echo_interval s; down after echo_failure unanswered.
    echo_interval: float = 30.0
    echo_failure: int = 3
    restart_timer: float = 3.0
    max_configure: int = 10
    max_terminate: int = 2
    max_failure: int = 5


class PppSession:
    """The PPP side of one PPPoE session: LCP, authentication and the NCPs, sans-IO.

    It sends PPP frames through ``send(protocol, info)`` and reports what happens as
    :mod:`pppemu.ppp.events` through ``emit``; the endpoint drives it with ``open``,
    ``receive``, ``tick`` (at ``deadline``), ``close`` and ``lower_down``.
    """

    def __init__(self, key: SessionKey, config: PppConfig, send: Callable[[int, bytes], None],
                 emit: Callable[[Event], None], rng: random.Random,
                 assign_ip: str | Callable[[], str | None] | None = None):
        """assign_ip: the address we give the peer, or a callable that picks it once the
        peer has authenticated (None from it: no address left, the session ends)."""
        self.key = key
        self.config = config
        self.send_ppp = send
        self.emit = emit
        self.rng = rng
        self.phase = Phase.DEAD
        self.down_reason = ""
        self.echo_deadline: float | None = None
        self.echoes_outstanding = 0
        self.protocol_rejects_sent = 0
        self.unknown_dropped = 0
        self.authenticator: auth.AuthExchange | None = None  # we check the peer
        self.auth_peer: auth.AuthExchange | None = None      # the peer checks us
        self.peer_name = ""  # the name the peer authenticated with (or its CHAP name)
        self.now = 0.0
        self.lcp_policy = LcpPolicy(self._sender(C.PROTO_LCP), rng, mru=config.mru, max_mru=config.max_mru,
                                    require_auth=config.require_auth,
                                    accept_auth=config.accept_auth if config.username else (),
                                    on_up=self._lcp_up, on_down=self._lcp_down, on_finished=self._lcp_finished,
                                    on_echo_reply=self._echo_reply, on_protocol_reject=self._protocol_rejected)
        self.lcp = self._automaton(self.lcp_policy, C.PROTO_LCP)
        self._address_source = assign_ip if callable(assign_ip) else None
        self.ipcp_policy = IpcpPolicy(local_ip=config.local_ip, assign_ip=None if callable(assign_ip) else assign_ip,
                                      request_dns=config.request_dns, dns=config.dns,
                                      on_up=self._ipcp_up, on_finished=self._ncp_finished)
        self.ipcp = self._automaton(self.ipcp_policy, C.PROTO_IPCP)
        self.ipv6cp_policy = Ipv6cpPolicy(rng, on_up=self._ipv6cp_up, on_finished=self._ncp_finished)
        self.ipv6cp = self._automaton(self.ipv6cp_policy, C.PROTO_IPV6CP)
        self._ncps = {C.PROTO_IPCP: self.ipcp, C.PROTO_IPV6CP: self.ipv6cp} if config.ipv6 \
            else {C.PROTO_IPCP: self.ipcp}

    def _automaton(self, policy: Policy, protocol: int) -> Fsm:
        cfg = self.config
        return Fsm(policy, self._sender(protocol), restart_timer=cfg.restart_timer, max_configure=cfg.max_configure,
                   max_terminate=cfg.max_terminate, max_failure=cfg.max_failure)

    def _sender(self, protocol: int) -> Callable[[int, int, bytes], None]:
        def send(code: int, ident: int, data: bytes) -> None:
            self.send_ppp(protocol, encode_control(Control(code, ident, data)))
        return send

    # ---- driven from outside
    def open(self, now: float) -> None:
        """The PPPoE session exists: start LCP."""
        self.now = now
        self.phase = Phase.ESTABLISH
        self.lcp.open(now)
        self.lcp.up(now)

    def close(self, now: float, reason: str) -> None:
        """Terminate gracefully: LCP Terminate-Request, then Dead."""
        self.now = now
        if self.phase == Phase.DEAD:
            return
        self.down_reason = self.down_reason or self._peer_terminated() or reason  # the peer's word, if it spoke first
        self.phase = Phase.TERMINATE
        self.lcp.close(now, reason)

    def lower_down(self, now: float, reason: str) -> None:
        """The PPPoE session is gone (PADT): stop at once."""
        self.now = now
        self.down_reason = self.down_reason or self._peer_terminated() or reason
        self.lcp.down(now)
        self._dead()

    @property
    def deadline(self) -> float | None:
        candidates = [self.lcp.deadline, self.echo_deadline]
        candidates += [f.deadline for f in self._ncps.values()]
        for a in (self.authenticator, self.auth_peer):
            if a is not None:
                candidates.append(a.deadline)
        return min((d for d in candidates if d is not None), default=None)

    def tick(self, now: float) -> None:
        self.now = now
        self.lcp.tick(now)
        for a in (self.authenticator, self.auth_peer):
            if a is not None:
                a.tick(now)
        self._check_auth()
        for fsm in self._ncps.values():
            fsm.tick(now)
        if self.echo_deadline is not None and now >= self.echo_deadline:
            self._echo_timer(now)

    def receive(self, protocol: int, info: bytes, now: float) -> None:
        self.now = now
        if protocol in (C.PROTO_IPV4, C.PROTO_IPV6):
            if self.accepts(protocol):
                self.emit(Packet(self.key, protocol, info))
            return
        if protocol == C.PROTO_LCP:
            self._receive_control(self.lcp, info, now)
        elif protocol in (C.PROTO_CHAP, C.PROTO_PAP):
            self._receive_auth(protocol, info, now)
        elif protocol in self._ncps:
            if self.phase == Phase.NETWORK:  # NCP packets before then are discarded
                self._receive_control(self._ncps[protocol], info, now)
        elif self.lcp.opened:
            self._protocol_reject(protocol, info)
        else:
            self.unknown_dropped += 1

    def accepts(self, protocol: int) -> bool:
        """Whether an IP packet of this protocol may pass now (its NCP is open)."""
        fsm = self.ipcp if protocol == C.PROTO_IPV4 else self._ncps.get(C.PROTO_IPV6CP)
        return fsm is not None and fsm.state == State.OPENED and self.phase == Phase.NETWORK

    def send_packet(self, protocol: int, data: bytes) -> bool:
        """Send an IPv4/IPv6 packet; False (dropped) unless its NCP is open."""
        if not self.accepts(protocol):
            return False
        self.send_ppp(protocol, data)
        return True

    @property
    def is_up(self) -> bool:
        return self.ipcp.opened

    # ---- internals
    def _receive_control(self, fsm: Fsm, info: bytes, now: float) -> None:
        try:
            pkt = decode_control(info)
        except DecodeError:
            self.unknown_dropped += 1
            return
        fsm.receive(pkt.code, pkt.ident, pkt.data, now)

    def _receive_auth(self, protocol: int, info: bytes, now: float) -> None:
        if self.phase not in (Phase.AUTHENTICATE, Phase.NETWORK):
            return
        for a in (self.authenticator, self.auth_peer):
            if a is not None and protocol == a.PROTOCOL:
                a.receive(info, now)
        self._check_auth()

    def _protocol_reject(self, protocol: int, info: bytes) -> None:
        self.protocol_rejects_sent += 1
        room = self.lcp_policy.tx_mtu - 6  # LCP header 4 + rejected protocol 2
        data = struct.pack("!H", protocol) + info[:room]
        self.send_ppp(C.PROTO_LCP, encode_control(Control(C.PROTO_REJ, self.lcp.new_identifier(), data)))

    # ---- what LCP tells us (through LcpPolicy's callables)
    def _lcp_up(self) -> None:
        self.emit(LinkUp(self.key, self.lcp_policy.tx_mtu))
        self.phase = Phase.AUTHENTICATE
        cfg = self.config
        send_chap, send_pap = self._auth_sender(C.PROTO_CHAP), self._auth_sender(C.PROTO_PAP)
        mine = self.lcp_policy.want_auth  # the peer acked our demand
        if mine and cfg.secrets is not None:
            if mine == auth.AuthKind.CHAP:
                self.authenticator = auth.ChapAuthenticator(send_chap, cfg.secrets, self.rng,
                                                            cfg.auth_name.encode())
            else:
                self.authenticator = auth.PapAuthenticator(send_pap, cfg.secrets)
        theirs = self.lcp_policy.peer_auth
        if theirs is None and cfg.insist_auth:
            self.close(self.now, "the peer asked for no authentication, and we insist on it")
            return
        user, password = cfg.username.encode(), cfg.password.encode()
        if theirs == auth.AuthKind.CHAP:
            self.auth_peer = auth.ChapPeer(send_chap, user, password)
        elif theirs == auth.AuthKind.PAP:
            self.auth_peer = auth.PapPeer(send_pap, user, password, self.rng)
        for a in (self.authenticator, self.auth_peer):
            if a is not None:
                a.start(self.now)
        self._check_auth()

    def _auth_sender(self, protocol: int) -> Callable[[bytes], None]:
        return lambda info: self.send_ppp(protocol, info)

    def _check_auth(self) -> None:
        if self.phase != Phase.AUTHENTICATE:
            return
        parts = [a for a in (self.authenticator, self.auth_peer) if a is not None]
        failed = [a for a in parts if a.result is False]
        if failed:
            reason = failed[0].reason
            self.emit(AuthDone(self.key, False, failed[0].peer_name, reason))
            self.close(self.now, reason)
            return
        if all(a.result for a in parts):
            name = parts[0].peer_name if parts else ""  # the authenticator's, if we check the peer
            self.peer_name = name
            if parts:
                self.emit(AuthDone(self.key, True, name))
            self._network_phase()

    def _network_phase(self) -> None:
        if self._address_source is not None and self.ipcp_policy.assign_ip is None:
            address = self._address_source()
            if address is None:
                self.close(self.now, "no address left in the pool")
                return
            self.ipcp_policy.assign_ip = ip_bytes(address)
        self.phase = Phase.NETWORK
        for fsm in self._ncps.values():
            fsm.open(self.now)
            fsm.up(self.now)
        if self.config.echo_interval > 0:
            # A random first offset spreads the echoes of many sessions over the interval.
            interval = self.config.echo_interval
            self.echo_deadline = self.now + interval * self.rng.uniform(0.5, 1.0)

    def _lcp_down(self) -> None:
        for fsm in self._ncps.values():
            fsm.down(self.now)
        self.echo_deadline = None
        self.authenticator = self.auth_peer = None
        if self.phase not in (Phase.DEAD, Phase.TERMINATE):
            # The peer renegotiates LCP (or terminates: _lcp_finished follows and says so).
            self.phase = Phase.ESTABLISH

    def _lcp_finished(self) -> None:
        if not self.down_reason:
            self.down_reason = self._peer_terminated() or self.lcp_policy.fatal or (
                "LCP negotiation failed (no agreement with the peer)" if self.phase == Phase.ESTABLISH else "")
        self._dead()

    def _peer_terminated(self) -> str:
        """Why the session ended, if the peer sent a Terminate-Request."""
        said = self.lcp.peer_reason
        if said is None:
            return ""
        text = said.decode(errors="replace")
        return f"peer terminated the link: {text}" if text else "peer terminated the link"

    def _echo_reply(self) -> None:
        self.echoes_outstanding = 0

    def _protocol_rejected(self, protocol: int) -> None:
        fsm = self._ncps.get(protocol)
        if fsm is not None:
            fsm.protocol_rejected()

    def _echo_timer(self, now: float) -> None:
        if self.echoes_outstanding >= self.config.echo_failure:
            self.echo_deadline = None
            self.down_reason = f"peer not responding: {self.echoes_outstanding} LCP echoes unanswered"
            # One Terminate-Request in case the peer only went deaf, then down at once: a dead
            # peer never acknowledges, and waiting out the Terminate timers only delays the news.
            self.close(now, "peer not responding")
            self.lower_down(now, self.down_reason)
            return
        self.echoes_outstanding += 1
        self.lcp_policy.send_echo()
        self.echo_deadline = now + self.config.echo_interval

    def _ipcp_up(self) -> None:
        p = self.ipcp_policy
        self.emit(SessionUp(self.key, p.address, p.gateway, p.dns))

    def _ipv6cp_up(self) -> None:
        p = self.ipv6cp_policy
        self.emit(Ipv6Up(self.key, p.link_local(p.iid), p.link_local(p.peer_iid)))

    def _ncp_finished(self) -> None:
        if self.phase == Phase.NETWORK and all(
                f.state in (State.CLOSED, State.STOPPED) for f in self._ncps.values()):
            self.close(self.now, "no network protocol could be negotiated")

    def _dead(self) -> None:
        if self.phase == Phase.DEAD:
            return
        self.phase = Phase.DEAD
        self.echo_deadline = None
        self.emit(SessionDown(self.key, self.down_reason or "closed"))


def retransmissions(ppp: PppSession) -> int:
    """Configure/Terminate, CHAP and PAP retransmissions of one session."""
    total = ppp.lcp.retransmits + ppp.ipcp.retransmits + ppp.ipv6cp.retransmits
    for a in (ppp.authenticator, ppp.auth_peer):
        total += a.retransmits if a is not None else 0
    return total
