"""The AC's DHCPv6 server for one session (RFC 8415 section 18.3): an address from the
session's /64 in IA_NA, a prefix from the AC's delegation pool in IA_PD, DNS servers.

A session has one subscriber, so the server has one client: the first DUID to solicit or
request is bound. Once a Request (or a Rapid Commit) has committed bindings, another DUID is
still answered but gets no leases (NoAddrsAvail, NoPrefixAvail, NoBinding); until then a new
DUID takes over the offer (a client that restarted with another DUID).

The delegated prefix is taken from the pool once, when first offered, and kept across
Advertise, Request, Renew and Rebind; it goes back on Release, when its valid lifetime runs out
unrenewed, and when the session ends. DNS servers are sent when the client's Option Request
option asks for them."""
from __future__ import annotations

import ipaddress
from collections.abc import Callable

from pppemu.wire.dhcpv6 import (
    ADVERTISE,
    CLIENTID,
    CONFIRM,
    DECLINE,
    DNS_SERVERS,
    IA_NA,
    IA_PD,
    INFORMATION_REQUEST,
    NO_ADDRS_AVAIL,
    NO_BINDING,
    NO_PREFIX_AVAIL,
    NOT_ON_LINK,
    ORO,
    RAPID_COMMIT,
    REBIND,
    RELEASE,
    RENEW,
    REPLY,
    REQUEST,
    SERVER_PORT,
    SERVERID,
    SOLICIT,
    STATUS_CODE,
    SUCCESS,
    IaAddress,
    IaNa,
    IaPd,
    IaPrefix,
    Message,
    Options,
    StatusCode,
    decode_ia_na,
    decode_ia_pd,
    decode_message,
    dns_servers,
    encode_ia_na,
    encode_ia_pd,
    encode_message,
    encode_status_code,
    parse_oro,
)
from pppemu.wire.errors import DecodeError
from pppemu.wire.ipv6 import ALL_DHCP_RELAY_AGENTS_AND_SERVERS, decode_ipv6, decode_udp6, encode_udp6, is_link_local


def _status(code: int, message: str) -> tuple[int, bytes]:
    return STATUS_CODE, encode_status_code(StatusCode(code, message))


def _na(iaid: int, addresses: list[IaAddress], t1: int = 0, t2: int = 0,
        status: StatusCode | None = None) -> tuple[int, bytes]:
    return IA_NA, encode_ia_na(IaNa(iaid, t1, t2, addresses, status))


def _pd(iaid: int, prefixes: list[IaPrefix], t1: int = 0, t2: int = 0,
        status: StatusCode | None = None) -> tuple[int, bytes]:
    return IA_PD, encode_ia_pd(IaPd(iaid, t1, t2, prefixes, status))


class Dhcpv6Server:
    def __init__(self, duid: bytes, local: bytes, send: Callable[[bytes], object], *,
                 na_prefix: ipaddress.IPv6Network | None,
                 take_prefix: Callable[[], ipaddress.IPv6Network | None] | None,
                 give_back: Callable[[ipaddress.IPv6Network], None],
                 dns: list[bytes], preferred: int = 3600, valid: int = 7200, t1: int = 1800, t2: int = 2880):
        self.duid, self.local, self.send = duid, local, send
        self.na_prefix, self.take_prefix, self.give_back = na_prefix, take_prefix, give_back
        self.dns, self.preferred, self.valid, self.t1, self.t2 = dns, preferred, valid, t1, t2
        self.address: bytes | None = None                  # committed in IA_NA
        self.delegated: ipaddress.IPv6Network | None = None  # committed in IA_PD
        self.client_duid: bytes | None = None
        self.deadline: float | None = None
        self._na_iaid: int | None = None  # the IAs the committed leases are bound to
        self._pd_iaid: int | None = None
        self._prefix: ipaddress.IPv6Network | None = None  # taken from the pool: offered or delegated

    # ---- the leases
    def _na_address(self) -> bytes | None:
        return None if self.na_prefix is None else (self.na_prefix.network_address + 1).packed

    def _reserve_prefix(self) -> ipaddress.IPv6Network | None:
        if self._prefix is None and self.take_prefix is not None:
            self._prefix = self.take_prefix()
        return self._prefix

    def _iaprefix(self, prefix: ipaddress.IPv6Network, lifetimes: bool = True) -> IaPrefix:
        preferred, valid = (self.preferred, self.valid) if lifetimes else (0, 0)
        return IaPrefix(prefix.network_address.packed, prefix.prefixlen, preferred, valid)

    def _committed(self) -> bool:
        return self.address is not None or self.delegated is not None

    def _forget(self) -> None:
        if self._prefix is not None:
            prefix, self._prefix = self._prefix, None
            self.give_back(prefix)
        self.address = self.delegated = self.client_duid = self.deadline = None
        self._na_iaid = self._pd_iaid = None

    def release_all(self) -> None:
        """The session ended: the delegated (or offered) prefix goes back to the pool."""
        self._forget()

    def tick(self, now: float) -> None:
        if self.deadline is not None and now >= self.deadline:
            self._forget()

    # ---- messages
    def receive(self, packet: bytes, now: float) -> bool:
        """Take a packet if it is DHCPv6 to a server (UDP to port 547), answering what is valid."""
        try:
            ip = decode_ipv6(packet)
            sport, dport, payload = decode_udp6(ip)
        except DecodeError:
            return False
        if dport != SERVER_PORT:
            return False
        if not is_link_local(ip.src) or ip.dst not in (ALL_DHCP_RELAY_AGENTS_AND_SERVERS, self.local):
            return True
        try:
            answer = self._answer(decode_message(payload), now)
        except DecodeError:
            return True
        if answer is not None:
            self.send(encode_udp6(self.local, ip.src, SERVER_PORT, sport, encode_message(answer)))
        return True

    def _answer(self, m: Message, now: float) -> Message | None:
        client, servers = m.option(CLIENTID), m.all(SERVERID)
        nas = [decode_ia_na(v) for v in m.all(IA_NA)]
        pds = [decode_ia_pd(v) for v in m.all(IA_PD)]
        # Validation (RFC 8415 section 16): which messages must, and must not, carry each identifier
        if m.msg_type in (SOLICIT, REBIND, CONFIRM):
            valid = client is not None and not servers
        elif m.msg_type in (REQUEST, RENEW, RELEASE, DECLINE):
            valid = client is not None and servers == [self.duid]
        elif m.msg_type == INFORMATION_REQUEST:
            valid = servers in ([], [self.duid]) and not nas and not pds
        else:
            valid = False
        if not valid:
            return None
        kind: int = REPLY
        body: Options = []
        if m.msg_type in (SOLICIT, REQUEST):
            assert client is not None
            commit = m.msg_type == REQUEST or m.option(RAPID_COMMIT) is not None
            body, offered = self._offer(client, nas, pds, commit, now)
            if m.msg_type == SOLICIT and commit:
                body.append((RAPID_COMMIT, b""))
            elif m.msg_type == SOLICIT:
                # Nothing to give to any IA: the Advertise says so once, without IAs (section 18.3.9).
                kind, body = ADVERTISE, body if offered else [_status(NO_ADDRS_AVAIL, "no addresses or prefixes")]
        elif m.msg_type in (RENEW, REBIND):
            body = self._extend(client, nas, pds, m.msg_type == REBIND, now)
        elif m.msg_type in (RELEASE, DECLINE):
            # A Decline names addresses only: the declined one is no longer bound, like a released one.
            body = self._release(client, nas, pds if m.msg_type == RELEASE else [])
        elif m.msg_type == CONFIRM:
            addresses = [a.address for ia in nas for a in ia.addresses]
            if not addresses:
                return None  # nothing to confirm: no answer (section 18.3.3)
            on_link = self.na_prefix is not None and all(
                ipaddress.IPv6Address(a) in self.na_prefix for a in addresses)
            body = [_status(SUCCESS, "on link") if on_link else _status(NOT_ON_LINK, "not on this link")]
        wanted = parse_oro(m.option(ORO) or b"")
        if DNS_SERVERS in wanted and self.dns:
            body.append((DNS_SERVERS, dns_servers(self.dns)))
        head = [] if client is None else [(CLIENTID, client)]
        return Message(kind, m.transaction_id, [*head, (SERVERID, self.duid), *body])

    def _offer(self, client: bytes, nas: list[IaNa], pds: list[IaPd], commit: bool,
               now: float) -> tuple[Options, bool]:
        """IAs for a Solicit or a Request (committed if commit), and whether any holds a lease.
        The first IA_NA gets the address, the first IA_PD the prefix; any others, nothing."""
        if self._committed() and client != self.client_duid:
            mine = False
        else:
            mine, self.client_duid = True, client
        body: Options = []
        offered = False
        for i, na in enumerate(nas):
            address = self._na_address() if mine and i == 0 else None
            if address is None:
                body.append(_na(na.iaid, [], status=StatusCode(NO_ADDRS_AVAIL, "no address for this IA")))
                continue
            body.append(_na(na.iaid, [IaAddress(address, self.preferred, self.valid)], self.t1, self.t2))
            offered = True
            if commit:
                self.address, self._na_iaid = address, na.iaid
        for i, pd in enumerate(pds):
            prefix = self._reserve_prefix() if mine and i == 0 else None
            if prefix is None:
                body.append(_pd(pd.iaid, [], status=StatusCode(NO_PREFIX_AVAIL, "no prefix for this IA")))
                continue
            body.append(_pd(pd.iaid, [self._iaprefix(prefix)], self.t1, self.t2))
            offered = True
            if commit:
                self.delegated, self._pd_iaid = prefix, pd.iaid
        if commit and self.delegated is None and self._prefix is not None:
            prefix, self._prefix = self._prefix, None  # offered, then not asked for: back to the pool
            self.give_back(prefix)
        if offered:
            self.deadline = now + self.valid
        return body, offered

    def _extend(self, client: bytes | None, nas: list[IaNa], pds: list[IaPd], rebind: bool, now: float) -> Options:
        """IAs for a Renew or a Rebind (sections 18.3.4, 18.3.5): our lease with fresh lifetimes
        in an IA we have bound; any other lease the client lists with lifetimes 0. An unknown IA
        is NoBinding, except that a Rebind's leases in it are given lifetimes 0."""
        mine = client == self.client_duid
        body: Options = []
        extended = False
        no_binding = StatusCode(NO_BINDING, "no binding for this IA")
        for na in nas:
            address = self.address if mine and na.iaid == self._na_iaid else None
            stale = [IaAddress(a.address, 0, 0) for a in na.addresses if a.address != address]
            if address is not None:
                body.append(_na(na.iaid, [IaAddress(address, self.preferred, self.valid), *stale], self.t1, self.t2))
                extended = True
            elif rebind and stale:
                body.append(_na(na.iaid, stale))
            else:
                body.append(_na(na.iaid, [], status=no_binding))
        for pd in pds:
            prefix = self.delegated if mine and pd.iaid == self._pd_iaid else None
            ours = None if prefix is None else self._iaprefix(prefix)
            stale_p = [IaPrefix(p.prefix, p.length, 0, 0) for p in pd.prefixes
                       if ours is None or (p.prefix, p.length) != (ours.prefix, ours.length)]
            if ours is not None:
                body.append(_pd(pd.iaid, [ours, *stale_p], self.t1, self.t2))
                extended = True
            elif rebind and stale_p:
                body.append(_pd(pd.iaid, stale_p))
            else:
                body.append(_pd(pd.iaid, [], status=no_binding))
        if extended:
            self.deadline = now + self.valid
        return body

    def _release(self, client: bytes | None, nas: list[IaNa], pds: list[IaPd]) -> Options:
        """Forget the bindings of these IAs (section 18.3.7); an IA we have not bound is NoBinding."""
        mine = client == self.client_duid
        body: Options = [_status(SUCCESS, "released")]
        no_binding = StatusCode(NO_BINDING, "no binding for this IA")
        for na in nas:
            if mine and self.address is not None and na.iaid == self._na_iaid:
                self.address = self._na_iaid = None
            else:
                body.append(_na(na.iaid, [], status=no_binding))
        for pd in pds:
            if mine and self.delegated is not None and pd.iaid == self._pd_iaid:
                prefix, self._prefix, self.delegated, self._pd_iaid = self.delegated, None, None, None
                self.give_back(prefix)
            else:
                body.append(_pd(pd.iaid, [], status=no_binding))
        if self.address is None and self.delegated is None:
            self._forget()  # also gives back a prefix only ever offered
        return body
