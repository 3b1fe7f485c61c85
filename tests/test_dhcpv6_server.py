"""The AC's DHCPv6 server for one session: client messages built by scapy, the server's answers
dissected by scapy (an independent oracle for both directions)."""
from __future__ import annotations

import ipaddress

import pytest
from scapy.layers.dhcp6 import (
    DUID_LL,
    DHCP6_Advertise,
    DHCP6_Confirm,
    DHCP6_Decline,
    DHCP6_InfoRequest,
    DHCP6_Rebind,
    DHCP6_Release,
    DHCP6_Renew,
    DHCP6_Reply,
    DHCP6_Request,
    DHCP6_Solicit,
    DHCP6OptClientId,
    DHCP6OptDNSServers,
    DHCP6OptElapsedTime,
    DHCP6OptIA_NA,
    DHCP6OptIA_PD,
    DHCP6OptIAAddress,
    DHCP6OptIAPrefix,
    DHCP6OptOptReq,
    DHCP6OptRapidCommit,
    DHCP6OptServerId,
    DHCP6OptStatusCode,
)
from scapy.layers.inet import UDP
from scapy.layers.inet6 import ICMPv6EchoRequest, IPv6
from scapy.packet import NoPayload, Packet

from pppemu.ipv6.dhcp_server import Dhcpv6Server
from pppemu.wire.dhcpv6 import duid_ll
from pppemu.wire.ipv6 import link_local

SERVER_MAC, CLIENT_MAC, OTHER_MAC = "02:00:00:00:00:01", "02:00:00:00:00:02", "02:00:00:00:00:03"
LOCAL = link_local(bytes.fromhex("0000000000000001"))
CLIENT = "fe80::2"
NA_PREFIX = ipaddress.IPv6Network("2001:db8:1::/64")
DNS = ["2001:db8::53", "2001:db8::54"]
POOL = ["2001:db8:100::/56", "2001:db8:101::/56"]
NA, PD = "na", "pd"


class Pool:
    def __init__(self, prefixes: list[str]):
        self.free = [ipaddress.IPv6Network(p) for p in prefixes]
        self.taken: list[ipaddress.IPv6Network] = []
        self.given_back: list[ipaddress.IPv6Network] = []

    def take(self) -> ipaddress.IPv6Network | None:
        if not self.free:
            return None
        self.taken.append(self.free.pop(0))
        return self.taken[-1]

    def give_back(self, prefix: ipaddress.IPv6Network) -> None:
        self.given_back.append(prefix)


class Harness:
    def __init__(self, pool: list[str] = POOL, na_prefix: ipaddress.IPv6Network | None = NA_PREFIX,
                 pd_service: bool = True):
        self.pool = Pool(pool)
        self.sent: list[bytes] = []
        self.server = Dhcpv6Server(duid_ll(bytes.fromhex(SERVER_MAC.replace(":", ""))), LOCAL, self.sent.append,
                                   na_prefix=na_prefix, take_prefix=self.pool.take if pd_service else None,
                                   give_back=self.pool.give_back,
                                   dns=[ipaddress.IPv6Address(d).packed for d in DNS])

    def ask(self, message: Packet, now: float = 0.0, src: str = CLIENT, dst: str = "ff02::1:2") -> Packet | None:
        """Feed one client message; the server's answer, dissected, or None."""
        before = len(self.sent)
        assert self.server.receive(bytes(IPv6(src=src, dst=dst) / UDP(sport=546, dport=547) / message), now)
        assert len(self.sent) - before <= 1
        if len(self.sent) == before:
            return None
        answer = IPv6(self.sent[-1])
        assert (answer.src, answer.dst) == (str(ipaddress.IPv6Address(LOCAL)), src)
        assert (answer[UDP].sport, answer[UDP].dport, answer[UDP].chksum) == (547, 546, UDP(bytes(answer[UDP])).chksum)
        return answer[UDP].payload


def options(message: Packet, kind: type[Packet] | None = None) -> list[Packet]:
    """The message's own options (not those inside IAs), of one kind if given."""
    out, option = [], message.payload
    while not isinstance(option, NoPayload):
        if kind is None or type(option) is kind:  # (scapy derives the server id from the client id)
            out.append(option)
        option = option.payload
    return out


def only(message: Packet, kind: type[Packet]) -> Packet:
    (option,) = options(message, kind)
    return option


def status(option_list: list[Packet]) -> int | None:
    codes = [o.statuscode for o in option_list if isinstance(o, DHCP6OptStatusCode)]
    return codes[0] if codes else None


def client_id(mac: str = CLIENT_MAC) -> Packet:
    return DHCP6OptClientId(duid=DUID_LL(lladdr=mac))


def server_id(mac: str = SERVER_MAC) -> Packet:
    return DHCP6OptServerId(duid=DUID_LL(lladdr=mac))


def ias(kinds: tuple[str, ...], iaid: int = 7) -> list[Packet]:
    return [DHCP6OptIA_NA(iaid=iaid) if k == NA else DHCP6OptIA_PD(iaid=iaid + 1) for k in kinds]


def message(cls: type[Packet], *opts: Packet, trid: int = 0x123456) -> Packet:
    pkt = cls(trid=trid)
    for o in opts:
        pkt /= o
    return pkt


def solicit(kinds: tuple[str, ...] = (NA, PD), *extra: Packet, mac: str = CLIENT_MAC) -> Packet:
    return message(DHCP6_Solicit, client_id(mac), DHCP6OptElapsedTime(), *ias(kinds),
                   DHCP6OptOptReq(reqopts=[23]), *extra)


def request(kinds: tuple[str, ...] = (NA, PD), *extra: Packet, mac: str = CLIENT_MAC) -> Packet:
    return message(DHCP6_Request, client_id(mac), server_id(), *ias(kinds), DHCP6OptOptReq(reqopts=[23]), *extra)


def leases(answer: Packet) -> dict[str, tuple]:
    """What the answer's IAs hold: na -> (iaid, T1, T2, [(address, preferred, valid)], status),
    pd -> (iaid, T1, T2, [(prefix/length, preferred, valid)], status)."""
    out: dict[str, tuple] = {}
    for ia in options(answer, DHCP6OptIA_NA):
        held = [(a.addr, a.preflft, a.validlft) for a in ia.ianaopts if isinstance(a, DHCP6OptIAAddress)]
        out[NA] = (ia.iaid, ia.T1, ia.T2, held, status(ia.ianaopts))
    for ia in options(answer, DHCP6OptIA_PD):
        held = [(f"{p.prefix}/{p.plen}", p.preflft, p.validlft) for p in ia.iapdopt if isinstance(p, DHCP6OptIAPrefix)]
        out[PD] = (ia.iaid, ia.T1, ia.T2, held, status(ia.iapdopt))
    return out


BOUND = {NA: (7, 1800, 2880, [("2001:db8:1::1", 3600, 7200)], None),
         PD: (8, 1800, 2880, [("2001:db8:100::/56", 3600, 7200)], None)}


def bound(h: Harness, kinds: tuple[str, ...] = (NA, PD), now: float = 0.0) -> None:
    answer = h.ask(solicit(kinds, DHCP6OptRapidCommit()), now)
    assert isinstance(answer, DHCP6_Reply) and leases(answer) == {k: BOUND[k] for k in kinds}


def test_rapid_commit_solicit_is_answered_with_a_committed_reply():
    h = Harness()
    answer = h.ask(solicit((NA, PD), DHCP6OptRapidCommit()), now=5.0)
    assert isinstance(answer, DHCP6_Reply) and answer.trid == 0x123456
    assert options(answer, DHCP6OptRapidCommit)
    assert only(answer, DHCP6OptClientId).duid.lladdr == CLIENT_MAC
    assert only(answer, DHCP6OptServerId).duid.lladdr == SERVER_MAC
    assert only(answer, DHCP6OptDNSServers).dnsservers == DNS
    assert leases(answer) == BOUND and status(options(answer)) is None
    s = h.server
    assert s.address == ipaddress.IPv6Address("2001:db8:1::1").packed
    assert s.delegated == ipaddress.IPv6Network(POOL[0]) and h.pool.taken == [s.delegated]
    assert s.client_duid == duid_ll(bytes.fromhex(CLIENT_MAC.replace(":", ""))) and s.deadline == 5.0 + 7200


@pytest.mark.parametrize("kinds", [(PD,), (NA, PD), (NA,)], ids=["pd-only", "na-and-pd", "na-only"])
def test_solicit_advertise_request_reply(kinds):
    h = Harness()
    advert = h.ask(solicit(kinds), now=1.0)
    assert isinstance(advert, DHCP6_Advertise) and not options(advert, DHCP6OptRapidCommit)
    assert leases(advert) == {k: BOUND[k] for k in kinds}
    assert only(advert, DHCP6OptServerId).duid.lladdr == SERVER_MAC
    # an Advertise commits nothing, though the prefix it offers is reserved
    assert h.server.address is None and h.server.delegated is None
    assert len(h.pool.taken) == (PD in kinds)
    reply = h.ask(request(kinds), now=2.0)
    assert isinstance(reply, DHCP6_Reply) and leases(reply) == {k: BOUND[k] for k in kinds}
    assert only(reply, DHCP6OptDNSServers).dnsservers == DNS
    assert (h.server.address is not None) == (NA in kinds)
    assert h.server.delegated == (ipaddress.IPv6Network(POOL[0]) if PD in kinds else None)
    assert len(h.pool.taken) == (PD in kinds) and h.server.deadline == 2.0 + 7200


def test_the_prefix_is_taken_once_and_kept_across_solicits_requests_and_renews():
    h = Harness()
    for i in range(3):
        h.ask(solicit((PD,)), now=i)
        h.ask(request((PD,)), now=i)
    h.ask(message(DHCP6_Renew, client_id(), server_id(), *ias((PD,))), now=10)
    assert h.pool.taken == [ipaddress.IPv6Network(POOL[0])] and not h.pool.given_back


def test_an_empty_pool_gives_no_prefix():
    h = Harness(pool=[])
    # nothing at all for any IA: the Advertise carries only the top-level NoAddrsAvail
    advert = h.ask(solicit((PD,)))
    assert isinstance(advert, DHCP6_Advertise) and status(options(advert)) == 2 and not leases(advert)
    reply = h.ask(request((PD,)))
    assert leases(reply) == {PD: (8, 0, 0, [], 6)} and h.server.delegated is None
    # an address can still be had: the IA_PD says NoPrefixAvail beside it
    advert = h.ask(solicit((NA, PD)))
    assert status(options(advert)) is None and leases(advert) == {NA: BOUND[NA], PD: (8, 0, 0, [], 6)}
    reply = h.ask(solicit((NA, PD), DHCP6OptRapidCommit()))
    assert leases(reply) == {NA: BOUND[NA], PD: (8, 0, 0, [], 6)} and h.server.address is not None


def test_no_pd_service_and_no_address_prefix():
    h = Harness(na_prefix=None, pd_service=False)
    advert = h.ask(solicit((NA, PD)))
    assert status(options(advert)) == 2 and not leases(advert)
    reply = h.ask(request((NA, PD)))
    assert leases(reply) == {NA: (7, 0, 0, [], 2), PD: (8, 0, 0, [], 6)}
    assert h.server.address is None and h.server.delegated is None and h.server.deadline is None


def test_dns_servers_only_when_asked():
    h = Harness()
    advert = h.ask(message(DHCP6_Solicit, client_id(), *ias((PD,))))
    assert not options(advert, DHCP6OptDNSServers) and leases(advert) == {PD: BOUND[PD]}


@pytest.mark.parametrize("bad", [
    message(DHCP6_Solicit, *ias((NA, PD))),                                     # no client id
    message(DHCP6_Solicit, client_id(), server_id(), *ias((NA, PD))),           # a server id
    message(DHCP6_Request, client_id(), *ias((NA, PD))),                        # no server id
    message(DHCP6_Request, client_id(), server_id(OTHER_MAC), *ias((NA, PD))),  # someone else's
    message(DHCP6_Request, server_id(), *ias((NA, PD))),                        # no client id
    message(DHCP6_Renew, client_id(), server_id(OTHER_MAC), *ias((NA, PD))),
    message(DHCP6_Renew, server_id(), *ias((NA, PD))),
    message(DHCP6_Rebind, client_id(), server_id(), *ias((NA, PD))),
    message(DHCP6_Rebind, *ias((NA, PD))),
    message(DHCP6_Release, client_id(), server_id(OTHER_MAC), *ias((NA, PD))),
    message(DHCP6_Release, client_id(), *ias((NA, PD))),
    message(DHCP6_Decline, client_id(), *ias((NA,))),
    message(DHCP6_Confirm, client_id(), server_id(), *ias((NA,))),
    message(DHCP6_InfoRequest, server_id(OTHER_MAC)),
    message(DHCP6_InfoRequest, client_id(), *ias((PD,))),
    message(DHCP6_Reply, client_id(), server_id()),                             # not for a server
    DHCP6_Advertise(trid=1) / client_id() / server_id(),
], ids=lambda m: m.summary())
def test_invalid_messages_are_consumed_and_discarded(bad):
    h = Harness()
    bound(h)
    assert h.ask(bad, now=100) is None
    assert h.server.address is not None and h.server.delegated is not None and not h.pool.given_back
    assert h.server.deadline == 7200


def test_only_link_local_sources_to_the_servers_multicast_or_our_address():
    h = Harness()
    assert h.ask(solicit(), src="2001:db8:1::99") is None
    assert h.ask(solicit(), dst="ff02::1") is None
    assert h.ask(solicit(), dst="fe80::77") is None
    assert isinstance(h.ask(solicit(), dst=str(ipaddress.IPv6Address(LOCAL))), DHCP6_Advertise)


def test_what_is_not_dhcpv6_to_a_server_is_left_alone():
    h = Harness()
    to_client = IPv6(src=CLIENT, dst="ff02::1:2") / UDP(sport=547, dport=546) / solicit()
    ping = IPv6(src=CLIENT, dst="ff02::1:2") / ICMPv6EchoRequest()
    bad_checksum = IPv6(src=CLIENT, dst="ff02::1:2") / UDP(sport=546, dport=547, chksum=0x1234) / solicit()
    for packet in (to_client, ping, bad_checksum):
        assert not h.server.receive(bytes(packet), 0.0)
    assert not h.server.receive(b"\x60garbage", 0.0)
    # to the server's port but not a DHCPv6 message: taken, not answered
    junk = IPv6(src=CLIENT, dst="ff02::1:2") / UDP(sport=546, dport=547) / b"\x01\x00\x00\x01\x00\x01\x00\x09ab"
    assert h.server.receive(bytes(junk), 0.0) and not h.sent


def renew_listing(address: str, prefix: str, length: int) -> Packet:
    """A Renew of the bound IAs naming these leases."""
    return message(DHCP6_Renew, client_id(), server_id(),
                   DHCP6OptIA_NA(iaid=7, ianaopts=[DHCP6OptIAAddress(addr=address)]),
                   DHCP6OptIA_PD(iaid=8, iapdopt=[DHCP6OptIAPrefix(prefix=prefix, plen=length)]))


def test_renew_and_rebind_extend_the_bindings():
    h = Harness()
    bound(h)
    reply = h.ask(renew_listing("2001:db8:1::1", "2001:db8:100::", 56), now=1800)
    assert isinstance(reply, DHCP6_Reply) and leases(reply) == BOUND and h.server.deadline == 1800 + 7200
    h.server.tick(7300)
    assert h.server.delegated is not None and not h.pool.given_back
    rebind = message(DHCP6_Rebind, client_id(), *ias((NA, PD)), DHCP6OptOptReq(reqopts=[23]))
    reply = h.ask(rebind, now=5000)
    assert leases(reply) == BOUND and only(reply, DHCP6OptDNSServers).dnsservers == DNS
    assert h.server.deadline == 5000 + 7200 and h.pool.taken == [ipaddress.IPv6Network(POOL[0])]


def test_leases_that_are_not_ours_get_lifetimes_zero():
    h = Harness()
    bound(h)
    assert leases(h.ask(renew_listing("2001:db8:9::5", "2001:db8:900::", 48))) == {
        NA: (7, 1800, 2880, [("2001:db8:1::1", 3600, 7200), ("2001:db8:9::5", 0, 0)], None),
        PD: (8, 1800, 2880, [("2001:db8:100::/56", 3600, 7200), ("2001:db8:900::/48", 0, 0)], None)}


def test_renew_of_an_unknown_ia_is_no_binding_and_rebind_gives_lifetimes_zero():
    h = Harness()
    bound(h)
    renew = message(DHCP6_Renew, client_id(), server_id(), *ias((NA, PD), iaid=70))
    assert leases(h.ask(renew, now=10)) == {NA: (70, 0, 0, [], 3), PD: (71, 0, 0, [], 3)}
    rebind = message(DHCP6_Rebind, client_id(),
                     DHCP6OptIA_NA(iaid=70, ianaopts=[DHCP6OptIAAddress(addr="2001:db8:1::1", preflft=9, validlft=9)]),
                     DHCP6OptIA_PD(iaid=71, iapdopt=[DHCP6OptIAPrefix(prefix="2001:db8:100::", plen=56)]))
    assert leases(h.ask(rebind, now=10)) == {NA: (70, 0, 0, [("2001:db8:1::1", 0, 0)], None),
                                             PD: (71, 0, 0, [("2001:db8:100::/56", 0, 0)], None)}
    # a Rebind naming no leases in an unknown IA: NoBinding
    rebind = message(DHCP6_Rebind, client_id(), *ias((PD,), iaid=70))
    assert leases(h.ask(rebind, now=10)) == {PD: (71, 0, 0, [], 3)}
    # the real bindings are untouched, not extended
    assert h.server.delegated == ipaddress.IPv6Network(POOL[0]) and h.server.deadline == 7200


def test_release_gives_the_prefix_back_once():
    h = Harness()
    bound(h)
    release = message(DHCP6_Release, client_id(), server_id(), *ias((NA, PD)))
    reply = h.ask(release, now=50)
    assert isinstance(reply, DHCP6_Reply) and status(options(reply)) == 0 and not leases(reply)
    assert h.pool.given_back == [ipaddress.IPv6Network(POOL[0])]
    s = h.server
    assert s.address is None and s.delegated is None and s.deadline is None and s.client_duid is None
    # again: nothing bound any more
    reply = h.ask(release, now=51)
    assert status(options(reply)) == 0 and leases(reply) == {NA: (7, 0, 0, [], 3), PD: (8, 0, 0, [], 3)}
    s.tick(10_000)
    s.release_all()
    assert h.pool.given_back == [ipaddress.IPv6Network(POOL[0])]
    # a new Solicit takes a fresh prefix
    bound_again = h.ask(solicit((PD,), DHCP6OptRapidCommit()), now=60)
    assert leases(bound_again)[PD][3] == [("2001:db8:101::/56", 3600, 7200)]


def test_release_of_the_prefix_keeps_the_address():
    h = Harness()
    bound(h)
    h.ask(message(DHCP6_Release, client_id(), server_id(), *ias((PD,))), now=1)
    assert h.server.address is not None and h.server.delegated is None and h.pool.given_back
    assert h.server.client_duid is not None


def test_expiry_gives_the_prefix_back():
    h = Harness()
    bound(h, now=100)
    h.server.tick(100 + 7199)
    assert h.server.delegated is not None and not h.pool.given_back
    h.server.tick(100 + 7200)
    assert h.pool.given_back == [ipaddress.IPv6Network(POOL[0])]
    s = h.server
    assert s.address is None and s.delegated is None and s.deadline is None and s.client_duid is None
    s.tick(100_000)
    s.release_all()
    assert len(h.pool.given_back) == 1
    # the client now renews too late: no binding
    renew = message(DHCP6_Renew, client_id(), server_id(), *ias((NA, PD)))
    assert leases(h.ask(renew, now=100_001)) == {NA: (7, 0, 0, [], 3), PD: (8, 0, 0, [], 3)}


def test_an_offered_prefix_not_requested_goes_back_at_expiry():
    h = Harness()
    h.ask(solicit((PD,)), now=0)
    assert h.pool.taken and h.server.deadline == 7200
    h.server.tick(7200)
    assert h.pool.given_back == h.pool.taken


@pytest.mark.parametrize("state", ["bound", "offered"])
def test_release_all_is_idempotent(state):
    h = Harness()
    if state == "bound":
        bound(h)
    else:
        h.ask(solicit((PD,)))
    h.server.release_all()
    h.server.release_all()
    assert h.pool.given_back == [ipaddress.IPv6Network(POOL[0])]
    assert h.server.delegated is None and h.server.deadline is None
    Harness().server.release_all()  # nothing taken: nothing given back, no error


def test_one_client_per_session():
    h = Harness()
    bound(h)
    other = solicit((NA, PD), mac=OTHER_MAC)
    advert = h.ask(other)
    assert status(options(advert)) == 2 and not leases(advert)
    assert only(advert, DHCP6OptClientId).duid.lladdr == OTHER_MAC
    assert leases(h.ask(request((NA, PD), mac=OTHER_MAC))) == {NA: (7, 0, 0, [], 2), PD: (8, 0, 0, [], 6)}
    renew = message(DHCP6_Renew, client_id(OTHER_MAC), server_id(), *ias((NA, PD)))
    assert leases(h.ask(renew)) == {NA: (7, 0, 0, [], 3), PD: (8, 0, 0, [], 3)}
    release = message(DHCP6_Release, client_id(OTHER_MAC), server_id(), *ias((NA, PD)))
    assert leases(h.ask(release)) == {NA: (7, 0, 0, [], 3), PD: (8, 0, 0, [], 3)}
    assert h.server.client_duid == duid_ll(bytes.fromhex(CLIENT_MAC.replace(":", "")))
    assert h.server.delegated is not None and h.server.address is not None and not h.pool.given_back


def test_before_a_request_commits_a_new_duid_takes_over_the_offer():
    h = Harness()
    h.ask(solicit((PD,)))
    advert = h.ask(solicit((PD,), mac=OTHER_MAC))
    assert leases(advert) == {PD: BOUND[PD]} and len(h.pool.taken) == 1
    assert h.server.client_duid == duid_ll(bytes.fromhex(OTHER_MAC.replace(":", "")))


def test_a_second_ia_of_a_kind_gets_nothing():
    h = Harness()
    answer = h.ask(message(DHCP6_Solicit, client_id(), DHCP6OptIA_PD(iaid=1), DHCP6OptIA_PD(iaid=2),
                           DHCP6OptRapidCommit()))
    (first, second) = options(answer, DHCP6OptIA_PD)
    assert (first.iaid, second.iaid, status(second.iapdopt)) == (1, 2, 6) and len(h.pool.taken) == 1


def test_information_request_confirm_and_decline():
    h = Harness()
    info = h.ask(message(DHCP6_InfoRequest, client_id(), DHCP6OptOptReq(reqopts=[23])))
    assert isinstance(info, DHCP6_Reply) and only(info, DHCP6OptDNSServers).dnsservers == DNS
    assert not leases(info) and only(info, DHCP6OptServerId).duid.lladdr == SERVER_MAC
    anonymous = h.ask(message(DHCP6_InfoRequest, DHCP6OptOptReq(reqopts=[23])))
    assert not options(anonymous, DHCP6OptClientId) and options(anonymous, DHCP6OptDNSServers)

    def confirm(address: str) -> Packet | None:
        return h.ask(message(DHCP6_Confirm, client_id(),
                             DHCP6OptIA_NA(iaid=7, ianaopts=[DHCP6OptIAAddress(addr=address)])))
    assert status(options(confirm("2001:db8:1::1"))) == 0
    assert status(options(confirm("2001:db8:2::1"))) == 4
    assert h.ask(message(DHCP6_Confirm, client_id(), *ias((NA,)))) is None  # no address: no answer

    bound(h)
    decline = message(DHCP6_Decline, client_id(), server_id(),
                      DHCP6OptIA_NA(iaid=7, ianaopts=[DHCP6OptIAAddress(addr="2001:db8:1::1")]))
    reply = h.ask(decline)
    assert isinstance(reply, DHCP6_Reply) and status(options(reply)) == 0
    assert h.server.address is None and h.server.delegated is not None


def test_a_prefix_offered_and_then_not_requested_goes_back_at_the_request():
    h = Harness()
    h.ask(solicit((NA, PD)), now=0)
    assert h.pool.taken and not h.pool.given_back
    h.ask(request((NA,)), now=1)
    assert h.pool.given_back == h.pool.taken and h.server.address is not None and h.server.delegated is None
