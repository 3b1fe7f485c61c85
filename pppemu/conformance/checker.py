"""The checker: demultiplexes frames into discovery and sessions and runs the rules on each."""
from __future__ import annotations

import logging
import struct
from collections.abc import Hashable, Iterable

from pppemu.conformance import auth, ipcp, ipv6, ipv6cp, network, rfc1661, rfc2516, rfc4638, tracking, vlan
from pppemu.conformance.catalog import RULES, Violation
from pppemu.conformance.model import AC, CLIENT, Frame, Host, Session
from pppemu.conformance.packet import ControlPpp, Ppp
from pppemu.wire import DecodeError, decode_control, decode_options
from pppemu.wire.const import (
    CONF_ACK,
    CONF_NAK,
    CONF_REJ,
    CONF_REQ,
    ETH_DISCOVERY,
    ETH_QINQ,
    ETH_SESSION,
    ETH_VLAN,
    PROTO_CHAP,
    PROTO_IPV6,
    PROTO_LCP,
    PROTO_PAP,
)

log = logging.getLogger(__name__)

_TAG_TPIDS = (ETH_VLAN, ETH_QINQ, 0x9100)
_MAX_SESSIONS = 200_000  # remembered sessions (ended ones included) before the oldest are forgotten
_MAX_HOSTS = 200_000
REPEATS = 5  # violations of one rule by one side of one session reported before the rest are only counted


class Checker:
    """Feed frames in wire order; every rule violation found is appended to ``violations``."""

    def __init__(self, restart_timer: float = 3.0, max_configure: int = 10, max_terminate: int = 2):
        self.restart_timer = restart_timer
        self.max_configure = max_configure
        self.max_terminate = max_terminate
        self.padt_grace = 1.0  # seconds during which frames already in flight may follow a PADT
        self.violations: list[Violation] = []
        self.internal_errors = 0  # bugs in the checker itself; never raised to the caller
        self.repeats: dict[tuple[str, str, str], int] = {}  # (session, side, rule) -> violations seen
        self.suppressed = 0  # violations counted but not listed, past REPEATS of the same kind
        self.count = 0
        # Keys start with the stack of VLAN ids (outermost first): with 1:1 VLANs a MAC may recur on
        # several stacks, each a subscriber of its own. Priority bits and TPIDs stay out: a capture
        # shows the TPID the kernel reported on receive (0x8100 when it reports none), not the wire's.
        self.hosts: dict[tuple, Host] = {}          # (vlan, host MAC) -> discovery seen from it
        self.sessions: dict[tuple, Session] = {}    # (vlan, low MAC, high MAC, sid) -> session
        self.roles: dict[bytes, str] = {}           # MAC -> CLIENT or AC, learnt from discovery
        self.pending: dict[tuple, int] = {}         # (vlan, host, AC) -> frame of a PADR not yet answered
        self.pads_pairs: dict[tuple, int] = {}      # (vlan, host, AC) that completed a discovery -> PADS frame
        self.stacks: dict[bytes, tuple] = {}        # host MAC -> stacks it sent discovery on, latest last
        self._finished = False

    # -- input ---------------------------------------------------------------------------------

    def feed(self, frame: bytes, ts: float) -> None:
        self.count += 1
        try:
            f = _ethernet(self.count, float(ts), bytes(frame))
            if f is None:
                return
            if f.ethertype == ETH_DISCOVERY:
                rfc2516.discovery(self, f)
            elif f.ethertype == ETH_SESSION:
                self._session_frame(f)
        except Exception:  # the judge must outlive any input; count and log its own bugs
            self.internal_errors += 1
            log.exception("conformance checker failed on frame %d", self.count)

    def finish(self) -> list[Violation]:
        if not self._finished:
            self._finished = True
            try:
                rfc1661.finish(self)
            except Exception:
                self.internal_errors += 1
                log.exception("conformance checker failed at the end of the capture")
        return list(self.violations)

    # -- output --------------------------------------------------------------------------------

    def report(self, rule_id: str, frames: Iterable[int], session: str, side: str, message: str) -> None:
        r = RULES[rule_id]
        # A peer that breaks a rule on every data frame must not flood the report of a long live run.
        kind = (session, side, rule_id)
        seen = self.repeats.get(kind, 0) + 1
        if len(self.repeats) < _MAX_SESSIONS or kind in self.repeats:
            self.repeats[kind] = seen
        if seen > REPEATS:
            self.suppressed += 1
            return
        numbers = tuple(sorted({n for n in frames if n}))
        self.violations.append(Violation(rule_id, r.rfc, r.level, numbers, session, side, message))

    def report_ppp(self, rule_id: str, p: Ppp, message: str, *earlier: int, side: str | None = None) -> None:
        self.report(rule_id, (*earlier, p.number), p.label, side or p.side, message)

    # -- sessions ------------------------------------------------------------------------------

    def session_key(self, f: Frame, sid: int) -> tuple:
        a, b = (f.src, f.dst) if f.src < f.dst else (f.dst, f.src)
        return (f.vlan, a, b, sid)

    def find_session(self, f: Frame, sid: int, what: str) -> Session | None:
        """The session of a frame: on its own stack, else (from the AC, reported) on the host's."""
        s = self.sessions.get(self.session_key(f, sid))
        return s if s is not None else vlan.session_elsewhere(self, f, sid, what)

    def new_session(self, key: tuple, session: Session) -> Session:
        self.sessions.pop(key, None)
        if len(self.sessions) >= _MAX_SESSIONS:
            self.sessions.pop(next(iter(self.sessions)))
        self.sessions[key] = session
        return session

    def host(self, stack: tuple[int, ...], mac: bytes) -> Host:
        h = self.hosts.get((stack, mac))
        if h is None:
            if len(self.hosts) >= _MAX_HOSTS:
                self.hosts.pop(next(iter(self.hosts)))
            h = self.hosts[(stack, mac)] = Host()
        return h

    def remember(self, table: dict, key: Hashable, value) -> None:
        """Insert into one of the per-pair tables, forgetting the oldest entry past the bound."""
        if key not in table and len(table) >= _MAX_HOSTS:
            table.pop(next(iter(table)))
        table[key] = value

    def learn_role(self, mac: bytes, role: str) -> None:
        if len(self.roles) < _MAX_HOSTS or mac in self.roles:
            self.roles[mac] = role

    def _session_for(self, f: Frame, sid: int) -> tuple[Session, bool]:
        s = self.find_session(f, sid, "session traffic")
        if s is not None:
            return s, False
        key = self.session_key(f, sid)
        client = ac = None
        src_role, dst_role = self.roles.get(f.src), self.roles.get(f.dst)
        if src_role == AC or dst_role == CLIENT:
            ac, client = f.src, f.dst
        elif src_role == CLIENT or dst_role == AC:
            client, ac = f.src, f.dst
        return self.new_session(key, Session(f.vlan, sid, client, ac, from_start=False)), True

    def _session_frame(self, f: Frame) -> None:
        header = rfc2516.session_header(self, f)
        if header is None:
            return
        sid, ppp = header
        session, new = self._session_for(f, sid)
        if new:
            rfc2516.before_pads(self, f, session)
        if not rfc2516.session_traffic(self, f, session):
            return
        sender, receiver = session.peer(f.src), session.peer(f.dst)
        protocol, info, compressed = rfc1661.protocol_field(self, f, session, ppp)
        if protocol is None:
            return
        p = Ppp(f, session, sender, receiver, protocol, info)
        if compressed:
            rfc1661.compressed_protocol(self, p)
        rfc1661.rejected_protocol_sent(self, p)
        if protocol == PROTO_LCP or 0x8000 <= protocol <= 0xBFFF:
            p = self._control(p)
        elif protocol == PROTO_CHAP:
            auth.chap(self, p)
        elif protocol == PROTO_PAP:
            auth.pap(self, p)
        elif protocol < 0x4000:
            network.datagram(self, p)
            if protocol == PROTO_IPV6:
                ipv6.datagram(self, p)
        tracking.remember(p)

    def _control(self, p: Ppp) -> Ppp:
        """Judges an LCP or NCP packet; returns it as a ControlPpp when it decodes as one."""
        try:
            control = decode_control(p.info)
        except DecodeError as e:
            self.report_ppp(rfc1661.PACKET_LENGTH, p, f"malformed control packet: {e}")
            return p
        cp = ControlPpp(p.frame, p.session, p.sender, p.receiver, p.protocol, p.info, control)
        if control.code in (CONF_REQ, CONF_ACK, CONF_NAK, CONF_REJ):
            try:
                cp.options = decode_options(control.data)
            except DecodeError as e:
                self.report_ppp(rfc1661.OPTION_LENGTH, cp, f"{control.name}: {e}")
        rfc1661.control(self, cp)
        if cp.protocol == PROTO_LCP:
            rfc2516.lcp(self, cp)
            rfc4638.lcp(self, cp)
        else:
            ipcp.control(self, cp)
            ipv6cp.control(self, cp)
        tracking.control(self, cp)
        return cp


def _ethernet(number: int, ts: float, data: bytes) -> Frame | None:
    if len(data) < 14:
        return None
    dst, src, ethertype = data[:6], data[6:12], struct.unpack_from("!H", data, 12)[0]
    offset = 14
    vlan: tuple[int, ...] = ()
    while ethertype in _TAG_TPIDS:
        if len(data) < offset + 4:
            return None
        tci, ethertype = struct.unpack_from("!HH", data, offset)
        vlan += (tci & 0x0FFF,)
        offset += 4
    return Frame(number, ts, dst, src, vlan, ethertype, data[offset:])


def check_frames(frames: Iterable[tuple[float, bytes]], **kw) -> list[Violation]:
    checker = Checker(**kw)
    for ts, frame in frames:
        checker.feed(frame, ts)
    return checker.finish()
