"""Hand-built frames to feed one role, and a decoder for the frames a role sends.

Built with the project's own codec, whose bytes test_wire.py checks against scapy.
"""
from __future__ import annotations

import random
import struct
from dataclasses import dataclass

from pppemu import wire
from pppemu.ppp.session import PppConfig
from pppemu.pppoe.client import ClientConfig, ClientRole
from pppemu.testing.pair import AC_MAC, Pair
from pppemu.wire import const as C

CLIENT_MAC = b"\x02\x00\x00\x00\x00\x01"
OTHER_MAC = b"\x02\x99\x00\x00\x00\x99"


def discovery(dst: bytes, src: bytes, code: int, sid: int = 0, tags=(), vlans=()) -> bytes:
    return wire.encode_eth(wire.EthFrame(dst, src, C.ETH_DISCOVERY,
                                         wire.encode_discovery(wire.Discovery(code, sid, list(tags))), vlans))


def session(dst: bytes, src: bytes, sid: int, protocol: int, info: bytes, vlans=()) -> bytes:
    return wire.encode_eth(wire.EthFrame(dst, src, C.ETH_SESSION, wire.encode_session(sid, protocol, info), vlans))


def control(code: int, ident: int, data: bytes = b"") -> bytes:
    return wire.encode_control(wire.Control(code, ident, data))


def conf(code: int, ident: int, options) -> bytes:
    return control(code, ident, wire.encode_options(list(options)))


@dataclass
class Sent:
    """One frame a role sent, decoded."""
    dst: bytes
    src: bytes
    ethertype: int
    vlans: tuple = ()
    disc: wire.Discovery | None = None
    session_id: int = 0
    protocol: int = 0
    info: bytes = b""

    @property
    def code(self) -> int:
        if self.disc is not None:
            return self.disc.code
        if self.protocol in (C.PROTO_LCP, C.PROTO_IPCP, C.PROTO_IPV6CP):
            return self.ctl.code
        return self.info[0]

    @property
    def ctl(self) -> wire.Control:
        return wire.decode_control(self.info)

    @property
    def options(self) -> list[tuple[int, bytes]]:
        return wire.decode_options(self.ctl.data)


def parse(frame: bytes) -> Sent:
    eth = wire.decode_eth(frame)
    sent = Sent(eth.dst, eth.src, eth.ethertype, eth.vlans)
    if eth.ethertype == C.ETH_DISCOVERY:
        sent.disc = wire.decode_discovery(eth.payload)
        sent.session_id = sent.disc.session_id
    elif eth.ethertype == C.ETH_SESSION:
        sent.session_id, ppp = wire.decode_session(eth.payload)
        sent.protocol, sent.info = wire.decode_ppp(ppp)
    return sent


def drain(role) -> list[Sent]:
    return [parse(f) for f in role.frames_to_send()]


def only(frames: list[Sent], protocol: int | None = None, code: int | None = None,
         disc: int | None = None) -> list[Sent]:
    """The frames of one PPP protocol (and code), or the discovery frames of one code."""
    if disc is not None:
        return [f for f in frames if f.disc is not None and f.disc.code == disc]
    return [f for f in frames if f.disc is None and f.protocol == protocol and (code is None or f.code == code)]


def events(role) -> list:
    out = []
    while (event := role.next_event()) is not None:
        out.append(event)
    return out


def of_type(evts, kind) -> list:
    return [e for e in evts if isinstance(e, kind)]


def wire_frames(pair: Pair, direction: str | None = None) -> list[Sent]:
    return [parse(f) for d, f in pair.wire if direction is None or d == direction]


def up_pair(**kw) -> tuple[Pair, object, object]:
    """A Pair with one session up; returns (pair, client session, AC session)."""
    pair = Pair(**kw)
    (client_session,) = pair.add(1)
    pair.advance(2)
    (ac_session,) = pair.ac.sessions.values()
    assert client_session.ppp.is_up and ac_session.ppp.is_up
    return pair, client_session, ac_session


def lone_client(client: dict | None = None, **ppp) -> ClientRole:
    """A client role with nobody on the wire: its frames are read and answered by hand."""
    cfg = dict(username="alice", password="secret", echo_interval=0)
    cfg.update(ppp)
    return ClientRole(ClientConfig(ppp=PppConfig(**cfg), **(client or {})), rng=random.Random(7))


def client_through_discovery(role: ClientRole, sid: int = 0x1234, now: float = 0.0, vlans=()):
    """Run a lone client's discovery by hand: PADI -> our PADO -> PADR -> our PADS
    (on a VLAN tag stack: (TPID, TCI) pairs)."""
    cs = role.add_session(CLIENT_MAC, now, vlan_tags=wire.encode_tags(vlans))
    (padi,) = drain(role)
    host_uniq = padi.disc.tag(C.TAG_HOST_UNIQ)
    role.receive(discovery(CLIENT_MAC, AC_MAC, C.PADO, 0, [
        (C.TAG_SERVICE_NAME, b""), (C.TAG_AC_NAME, b"bras"), (C.TAG_HOST_UNIQ, host_uniq),
        (C.TAG_AC_COOKIE, b"c" * 16)], vlans), now)
    (padr,) = drain(role)
    role.receive(discovery(CLIENT_MAC, AC_MAC, C.PADS, sid, [
        (C.TAG_SERVICE_NAME, b""), (C.TAG_HOST_UNIQ, host_uniq)], vlans), now)
    return cs, padi, padr


def magic_of(frame: Sent) -> int:
    return struct.unpack("!I", dict(frame.options)[C.LCP_MAGIC])[0]


PEER_MAGIC = 0x5EE0FACE


class Lone:
    """One role with one session and nobody on the wire: the test plays the other side by hand.

    side="client": our client after a hand-made discovery, talking to an imaginary AC.
    side="ac": our AC after a hand-made PADR, talking to an imaginary client.
    """

    def __init__(self, side: str = "client", sid: int = 0x1234, secrets=None, ac: dict | None = None,
                 client: dict | None = None, vlans=(), **ppp):
        self.side, self.now, self.vlans = side, 0.0, vlans
        self.events: list = []
        if side == "client":
            self.role = lone_client(client=client, **ppp)
            self.session, _, _ = client_through_discovery(self.role, sid, vlans=vlans)
            self.me, self.peer = CLIENT_MAC, AC_MAC
        else:
            from pppemu.pppoe.ac import AcConfig, AcRole
            from pppemu.pppoe.credentials import Secrets
            cfg = dict(require_auth="chap", request_dns=False, local_ip="10.0.0.1", accept_auth=(),
                       dns=("10.0.0.53", "10.0.0.54"), echo_interval=0)
            cfg.update(ppp)
            self.role = AcRole(AcConfig(mac=AC_MAC, ppp=PppConfig(**cfg), **(ac or {})),
                               secrets or Secrets.single("alice", "secret"), rng=random.Random(9))
            cookie = self.role.cookies.make(CLIENT_MAC + wire.encode_tags(vlans), b"hu", 0.0)
            self.role.receive(discovery(AC_MAC, CLIENT_MAC, C.PADR, 0, [
                (C.TAG_SERVICE_NAME, b""), (C.TAG_HOST_UNIQ, b"hu"), (C.TAG_AC_COOKIE, cookie)], vlans), 0.0)
            (self.session,) = self.role.sessions.values()
            self.me, self.peer = AC_MAC, CLIENT_MAC
        self.ppp = self.session.ppp
        self.first = [f for f in drain(self.role) if f.disc is None]
        self._events()

    def _events(self):
        self.events += events(self.role)

    def of(self, kind) -> list:
        self._events()
        return of_type(self.events, kind)

    def feed(self, protocol: int, info: bytes, sid: int | None = None) -> list[Sent]:
        """A PPP frame from the imaginary peer (on the session's VLAN tag stack); returns what
        the role sent in answer."""
        self.role.receive(session(self.me, self.peer, self.session.session_id if sid is None else sid,
                                  protocol, info, self.vlans), self.now)
        self._events()
        return drain(self.role)

    def feed_raw(self, frame: bytes) -> list[Sent]:
        self.role.receive(frame, self.now)
        self._events()
        return drain(self.role)

    def ctl(self, protocol: int, code: int, ident: int, data: bytes = b"") -> list[Sent]:
        return self.feed(protocol, control(code, ident, data))

    def lcp(self, code: int, ident: int, data: bytes = b"") -> list[Sent]:
        return self.ctl(C.PROTO_LCP, code, ident, data)

    def advance(self, seconds: float) -> list[Sent]:
        """Fire the role's timers up to now + seconds; returns what it sent."""
        end, out = self.now + seconds, []
        while (nxt := self.role.next_deadline()) is not None and nxt <= end:
            self.now = max(self.now, nxt)
            self.role.tick(self.now)
            out += drain(self.role)
        self.now = end
        self._events()
        return out

    def ack(self, request: Sent) -> list[Sent]:
        return self.ctl(request.protocol, C.CONF_ACK, request.ctl.ident, request.ctl.data)

    def open_lcp(self, options=None) -> list[Sent]:
        """Ack the role's LCP request and have ours acked: LCP reaches Opened."""
        (req,) = only(self.first, C.PROTO_LCP, C.CONF_REQ)
        self.ack(req)
        if options is None:
            options = [(C.LCP_MRU, struct.pack("!H", 1492)), (C.LCP_MAGIC, struct.pack("!I", PEER_MAGIC))]
        out = self.lcp(C.CONF_REQ, 0x40, wire.encode_options(options))
        assert only(out, C.PROTO_LCP, C.CONF_ACK), out
        assert self.ppp.lcp.opened
        return out
