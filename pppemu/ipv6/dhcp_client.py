"""The requesting router's DHCPv6 client (RFC 8415) over one PPPoE session once IPv6CP is open:
an address (IA_NA) and/or a delegated prefix (IA_PD) by Solicit (with Rapid Commit) or
Solicit/Advertise/Request, kept by Renew at T1 and Rebind at T2, given back by Release.

Every message goes from our link-local address to All_DHCP_Relay_Agents_and_Servers, the
server being on the other end of the link. Retransmission follows section 15.
"""
from __future__ import annotations

import contextlib
import enum
import ipaddress
import math
import random
from collections.abc import Callable
from dataclasses import dataclass

from pppemu.ppp.events import Dhcpv6Bound, Dhcpv6Failed, Event, SessionKey
from pppemu.wire import dhcpv6 as D
from pppemu.wire.errors import DecodeError
from pppemu.wire.ipv6 import ALL_DHCP_RELAY_AGENTS_AND_SERVERS, decode_ipv6, decode_udp6, encode_udp6

# Transmission parameters (RFC 8415 section 7.6), in seconds
SOL_MAX_DELAY = 1.0
SOL_TIMEOUT, SOL_MAX_RT = 1.0, 3600.0
REQ_TIMEOUT, REQ_MAX_RT, REQ_MAX_RC = 1.0, 30.0, 10
REN_TIMEOUT, REN_MAX_RT = 10.0, 600.0
REB_TIMEOUT, REB_MAX_RT = 10.0, 600.0
# RFC 8415 Solicits without end; a test lab wants an answer, so after this many Solicits
# (about 4.5 minutes of backoff) the client reports that no server answered.
SOLICIT_TRIES = 8
MIN_RENEW_GAP = 1.0  # seconds: the soonest a binding is renewed after it was (re)bound
IAID = 1
INFINITY = 0xFFFFFFFF  # a lifetime or T1/T2 that never runs out (section 7.7)


class DhcpState(enum.Enum):
    SOLICITING = "soliciting"
    REQUESTING = "requesting"
    BOUND = "bound"
    RENEWING = "renewing"
    REBINDING = "rebinding"
    RELEASED = "released"
    FAILED = "failed"


MESSAGE_OF = {DhcpState.SOLICITING: D.SOLICIT, DhcpState.REQUESTING: D.REQUEST,
              DhcpState.RENEWING: D.RENEW, DhcpState.REBINDING: D.REBIND}
TIMERS = {DhcpState.SOLICITING: (SOL_TIMEOUT, SOL_MAX_RT), DhcpState.REQUESTING: (REQ_TIMEOUT, REQ_MAX_RT),
          DhcpState.RENEWING: (REN_TIMEOUT, REN_MAX_RT), DhcpState.REBINDING: (REB_TIMEOUT, REB_MAX_RT)}

Lease = D.IaAddress | D.IaPrefix


def seconds(value: int) -> float:
    return math.inf if value == INFINITY else float(value)


def text(address: bytes) -> str:
    return str(ipaddress.IPv6Address(address))


@dataclass(slots=True)
class Held:
    """A lease offered or bound in one IA, with its T1, T2 and expiry as absolute times."""
    lease: Lease
    t1: float
    t2: float
    expires: float


def usable(options: D.Options, code: int, now: float) -> Held | None:
    """Our IA_NA or IA_PD (code) and its first live lease, or None: absent, a failure status,
    no lease, or T1 over T2 (section 21.4 discards that IA)."""
    for value in (v for c, v in options if c == code):
        try:
            ia = D.decode_ia_na(value) if code == D.IA_NA else D.decode_ia_pd(value)
        except DecodeError:
            continue
        if ia.iaid != IAID:
            continue
        if (ia.status is not None and ia.status.code != D.SUCCESS) or 0 < ia.t2 < ia.t1:
            return None
        leases: list[Lease] = list(ia.addresses) if isinstance(ia, D.IaNa) else list(ia.prefixes)
        lease = next((x for x in leases if _live(x)), None)
        if lease is None:
            return None
        # T1 and T2 left to the client (0) are 0.5 and 0.8 of the preferred lifetime (section 21.4).
        preferred = seconds(lease.preferred)
        return Held(lease, now + (seconds(ia.t1) if ia.t1 else 0.5 * preferred),
                    now + (seconds(ia.t2) if ia.t2 else 0.8 * preferred), now + seconds(lease.valid))
    return None


def _live(lease: Lease) -> bool:
    # Sections 21.6 and 21.22: a lease whose preferred lifetime exceeds its valid one is discarded.
    status = D.status_of(lease.options)
    return lease.valid > 0 and lease.preferred <= lease.valid and (status is None or status.code == D.SUCCESS)


def ia_statuses(m: D.Message) -> list[D.StatusCode]:
    """The status codes the message's IAs carry."""
    statuses = []
    for code, value in m.options:
        with contextlib.suppress(DecodeError):
            if code == D.IA_NA:
                statuses.append(D.decode_ia_na(value).status)
            elif code == D.IA_PD:
                statuses.append(D.decode_ia_pd(value).status)
    return [s for s in statuses if s is not None]


def status_text(status: D.StatusCode) -> str:
    return f"status {status.code}" + (f": {status.message}" if status.message else "")


class Dhcpv6Client:
    def __init__(self, key: SessionKey, mac: bytes, local: bytes, send: Callable[[bytes], object],
                 emit: Callable[[Event], None], rng: random.Random, *, want_na: bool, want_pd: bool,
                 rapid_commit: bool = True):
        self.key, self.local, self.send, self.emit, self.rng = key, local, send, emit, rng
        self.duid = D.duid_ll(mac)
        self.want_na, self.want_pd, self.rapid_commit = want_na, want_pd, rapid_commit
        self.state = DhcpState.SOLICITING
        self.deadline: float | None = None
        self.address: bytes | None = None                 # from IA_NA
        self.prefix: ipaddress.IPv6Network | None = None  # from IA_PD
        self.dns: list[bytes] = []
        self.server = b""        # the DUID of the server we request from or are bound to
        self.na: Held | None = None  # the leases offered (REQUESTING) or bound
        self.pd: Held | None = None
        self.t1 = self.t2 = self.expires = math.inf  # the binding's, over both IAs
        self.bound_once = False
        # The exchange under way (section 15): its transaction id, start, transmissions and RT.
        self.xid = 0
        self.started = 0.0
        self.tries = 0
        self.rt = 0.0

    # -- timers ---------------------------------------------------------------------

    def start(self, now: float) -> None:
        # The random delay spreads the Solicits of many subscribers (section 18.2.1).
        self.state, self.tries = DhcpState.SOLICITING, 0
        self.deadline = now + self.rng.uniform(0, SOL_MAX_DELAY)

    def tick(self, now: float) -> None:
        if self.deadline is None or now < self.deadline:
            return
        state = self.state
        if state == DhcpState.SOLICITING:
            if self.tries == 0:
                self._begin(DhcpState.SOLICITING, now)
            elif self.tries >= SOLICIT_TRIES:
                self._fail("no DHCPv6 server answered")
            else:
                self._transmit(now)
        elif state == DhcpState.REQUESTING:
            if self.tries >= REQ_MAX_RC:
                self._begin(DhcpState.SOLICITING, now)  # section 18.2.2: the server went away
            else:
                self._transmit(now)
        elif now >= self.expires:
            self._drop_binding()
            self._fail("binding expired")
        elif now >= self.t2 and state != DhcpState.REBINDING:
            self._begin(DhcpState.REBINDING, now)
        elif state == DhcpState.BOUND:
            self._begin(DhcpState.RENEWING, now)
        else:
            self._transmit(now)

    def _begin(self, state: DhcpState, now: float) -> None:
        """A new exchange: a new transaction id, Elapsed Time counted from now."""
        self.state, self.xid, self.started, self.tries = state, self.rng.getrandbits(24), now, 0
        self._transmit(now)

    def _transmit(self, now: float) -> None:
        self.tries += 1
        self.rt = self._next_rt()
        self._send(MESSAGE_OF[self.state], now)
        # Renew ends at T2, Rebind when the leases expire (their MRD, sections 18.2.4 and 18.2.5).
        end = {DhcpState.RENEWING: self.t2, DhcpState.REBINDING: self.expires}.get(self.state, math.inf)
        self.deadline = min(now + self.rt, end)

    def _next_rt(self) -> float:
        """Section 15: RT = IRT + RAND*IRT first, then 2*RTprev + RAND*RTprev, capped near MRT."""
        irt, mrt = TIMERS[self.state]
        if self.tries == 1:
            # For Solicit the first RAND is strictly positive (section 18.2.1): (0, 0.1].
            rand = 0.1 * (1 - self.rng.random()) if self.state == DhcpState.SOLICITING else self._rand()
            return irt + rand * irt
        rt = 2 * self.rt + self._rand() * self.rt
        return mrt + self._rand() * mrt if rt > mrt else rt

    def _rand(self) -> float:
        return self.rng.uniform(-0.1, 0.1)

    # -- messages -------------------------------------------------------------------

    def _send(self, msg_type: int, now: float) -> None:
        options: D.Options = [(D.CLIENTID, self.duid)]
        if msg_type not in (D.SOLICIT, D.REBIND):
            options.append((D.SERVERID, self.server))
        options += self._ias(msg_type)
        if msg_type != D.RELEASE:  # Appendix B: no Option Request option in a Release
            options.append((D.ORO, D.oro([D.DNS_SERVERS])))
        options.append((D.ELAPSED_TIME, D.elapsed_time(round((now - self.started) * 100))))
        if msg_type == D.SOLICIT and self.rapid_commit:
            options.append((D.RAPID_COMMIT, b""))
        payload = D.encode_message(D.Message(msg_type, self.xid, options))
        self.send(encode_udp6(self.local, ALL_DHCP_RELAY_AGENTS_AND_SERVERS, D.CLIENT_PORT, D.SERVER_PORT,
                              payload, hop_limit=1))

    def _ias(self, msg_type: int) -> D.Options:
        """The IAs a message carries: empty ones in a Solicit, the offered or bound leases
        otherwise. T1, T2 and lifetimes are 0: the server chooses (sections 21.4, 21.6, 21.22)."""
        asked = msg_type in (D.SOLICIT, D.REQUEST)
        na = self.na.lease if self.na and msg_type != D.SOLICIT else None
        pd = self.pd.lease if self.pd and msg_type != D.SOLICIT else None
        ias: D.Options = []
        if isinstance(na, D.IaAddress) or (asked and self.want_na):
            addresses = [D.IaAddress(na.address, 0, 0)] if isinstance(na, D.IaAddress) else []
            ias.append((D.IA_NA, D.encode_ia_na(D.IaNa(IAID, 0, 0, addresses))))
        if isinstance(pd, D.IaPrefix) or (asked and self.want_pd):
            prefixes = [D.IaPrefix(pd.prefix, pd.length, 0, 0)] if isinstance(pd, D.IaPrefix) else []
            ias.append((D.IA_PD, D.encode_ia_pd(D.IaPd(IAID, 0, 0, prefixes))))
        return ias

    def receive(self, packet: bytes, now: float) -> bool:
        """Take a DHCPv6 message to our port; False: the packet is not one."""
        try:
            _, dport, payload = decode_udp6(decode_ipv6(packet))
        except DecodeError:
            return False
        if dport != D.CLIENT_PORT:
            return False
        with contextlib.suppress(DecodeError):  # a malformed message changes nothing
            self._on_message(D.decode_message(payload), now)
        return True

    def _on_message(self, m: D.Message, now: float) -> None:
        # Sections 16.3 and 16.10: our transaction, our client id, and a server id.
        if m.transaction_id != self.xid or m.option(D.CLIENTID) != self.duid or not m.option(D.SERVERID):
            return
        state, sent = self.state, self.tries > 0
        if m.msg_type == D.ADVERTISE and state == DhcpState.SOLICITING and sent:
            self._on_advertise(m, now)
        elif m.msg_type != D.REPLY:
            return
        elif state == DhcpState.REQUESTING or (state == DhcpState.SOLICITING and sent and self.rapid_commit
                                               and m.option(D.RAPID_COMMIT) is not None):
            self._on_reply(m, now)
        elif state in (DhcpState.RENEWING, DhcpState.REBINDING):
            self._on_renewed(m, now)

    def _offered(self, m: D.Message, now: float) -> tuple[Held | None, Held | None]:
        return (usable(m.options, D.IA_NA, now) if self.want_na else None,
                usable(m.options, D.IA_PD, now) if self.want_pd else None)

    def _on_advertise(self, m: D.Message, now: float) -> None:
        """The first Advertise with something usable wins (section 18.2.9 ignores one without
        any address or prefix); we do not wait out the first RT to compare preferences."""
        status = D.status_of(m.options)
        na, pd = self._offered(m, now)
        if (status is not None and status.code != D.SUCCESS) or (na is None and pd is None):
            return
        self.server, self.na, self.pd = m.option(D.SERVERID) or b"", na, pd
        self._begin(DhcpState.REQUESTING, now)

    def _on_reply(self, m: D.Message, now: float) -> None:
        """A Reply to Request (or to a Rapid Commit Solicit) binds us, or says why not."""
        status = D.status_of(m.options)
        na, pd = self._offered(m, now)
        if status is not None and status.code != D.SUCCESS:
            self._fail(f"the DHCPv6 server refused: {status_text(status)}")
        elif na is None and pd is None:
            refusal = next((s for s in ia_statuses(m) if s.code != D.SUCCESS), None)
            self._fail("no address or prefix bound: " + (status_text(refusal) if refusal else "none offered"))
        else:
            self._bind(m, na, pd, now)

    def _on_renewed(self, m: D.Message, now: float) -> None:
        """A Reply to Renew or Rebind: new lifetimes for the IAs it renews (section 18.2.10.1)."""
        status = D.status_of(m.options)
        if status is not None and status.code != D.SUCCESS:
            return  # keep retransmitting until T2, or until the leases expire
        na = usable(m.options, D.IA_NA, now) if self.na else None
        pd = usable(m.options, D.IA_PD, now) if self.pd else None
        if any(s.code == D.NO_BINDING for s in ia_statuses(m)):
            # The server lost a binding of ours: ask for the leases again (section 18.2.10.1).
            self.server = m.option(D.SERVERID) or b""
            self._begin(DhcpState.REQUESTING, now)
        elif na is not None or pd is not None:
            # An IA not renewed keeps its lease, but the next Renew is timed by the renewed ones:
            # the old T1 has passed, and timing by it would Renew again at once, without end.
            self._bind(m, na or self.na, pd or self.pd, now, timing=[h for h in (na, pd) if h is not None])

    def _bind(self, m: D.Message, na: Held | None, pd: Held | None, now: float,
              timing: list[Held] | None = None) -> None:
        held = [h for h in (na, pd) if h is not None]
        timing = timing or held
        self.server, self.na, self.pd = m.option(D.SERVERID) or b"", na, pd
        self.t1, self.t2 = min(h.t1 for h in timing), min(h.t2 for h in timing)
        self.expires = max(h.expires for h in held)
        self.address = na.lease.address if na and isinstance(na.lease, D.IaAddress) else None
        self.prefix = (ipaddress.IPv6Network((pd.lease.prefix, pd.lease.length), strict=False)
                       if pd and isinstance(pd.lease, D.IaPrefix) else None)
        dns = m.option(D.DNS_SERVERS)
        if dns is not None:
            with contextlib.suppress(DecodeError):
                self.dns = D.parse_dns_servers(dns)
        renewed, self.bound_once, self.state = self.bound_once, True, DhcpState.BOUND
        deadline = min(self.t1, self.t2, self.expires)
        # Never at once: lifetimes of 0 (or a server's odd T1) must not make a Renew storm.
        self.deadline = None if deadline == math.inf else max(deadline, now + MIN_RENEW_GAP)
        self.emit(Dhcpv6Bound(self.key, text(self.address) if self.address else None,
                              str(self.prefix) if self.prefix else None, [text(d) for d in self.dns], renewed))

    # -- the end --------------------------------------------------------------------

    def release(self, now: float) -> None:
        """Give back what is bound with one Release (section 18.2.7; no retransmission)."""
        if self.state in (DhcpState.BOUND, DhcpState.RENEWING, DhcpState.REBINDING):
            self.xid, self.started = self.rng.getrandbits(24), now
            self._send(D.RELEASE, now)
        self._drop_binding()
        self.state, self.deadline = DhcpState.RELEASED, None

    def _drop_binding(self) -> None:
        self.na = self.pd = None
        self.address, self.prefix, self.dns = None, None, []
        self.t1 = self.t2 = self.expires = math.inf

    def _fail(self, reason: str) -> None:
        self.state, self.deadline = DhcpState.FAILED, None
        self.emit(Dhcpv6Failed(self.key, reason))
