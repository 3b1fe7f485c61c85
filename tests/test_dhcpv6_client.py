"""The requesting router's DHCPv6 client, driven by hand against a scripted server built from
the codec, on a fake clock; scapy's dissector checks what the client sends."""
from __future__ import annotations

import ipaddress
import random

import pytest
from scapy.layers.dhcp6 import (
    DHCP6_Rebind,
    DHCP6_Release,
    DHCP6_Renew,
    DHCP6_Request,
    DHCP6_Solicit,
    DHCP6OptClientId,
    DHCP6OptElapsedTime,
    DHCP6OptIA_NA,
    DHCP6OptIA_PD,
    DHCP6OptIAAddress,
    DHCP6OptIAPrefix,
    DHCP6OptOptReq,
    DHCP6OptRapidCommit,
    DHCP6OptServerId,
)
from scapy.layers.inet import UDP
from scapy.layers.inet6 import IPv6

from pppemu.ipv6 import dhcp_client as C
from pppemu.ipv6.dhcp_client import DhcpState, Dhcpv6Client
from pppemu.ppp.events import Dhcpv6Bound, Dhcpv6Failed, SessionKey
from pppemu.wire import dhcpv6 as D
from pppemu.wire import icmpv6
from pppemu.wire.ipv6 import decode_ipv6, decode_udp6, encode_udp6, link_local

KEY = SessionKey(1, "02:00:00:00:00:01")
MAC = bytes.fromhex("020000000001")
LOCAL = link_local(bytes.fromhex("0000000000000001"))
SERVER_LL = link_local(bytes.fromhex("0000000000000002"))
SERVER = D.duid_ll(bytes.fromhex("02000000ac01"))
ADDRESS = ipaddress.IPv6Address("2001:db8::100").packed
PREFIX = ipaddress.IPv6Address("2001:db8:100::").packed
DNS = ipaddress.IPv6Address("2001:db8::53").packed


def ia_na(t1=100, t2=160, preferred=200, valid=300, status=None, address=ADDRESS, iaid=1):
    addresses = [D.IaAddress(address, preferred, valid)] if address else []
    return (D.IA_NA, D.encode_ia_na(D.IaNa(iaid, t1, t2, addresses, status)))


def ia_pd(t1=100, t2=160, preferred=200, valid=300, status=None, prefix=PREFIX):
    prefixes = [D.IaPrefix(prefix, 56, preferred, valid)] if prefix else []
    return (D.IA_PD, D.encode_ia_pd(D.IaPd(1, t1, t2, prefixes, status)))


def top_status(code, message=""):
    return (D.STATUS_CODE, D.encode_status_code(D.StatusCode(code, message)))


class Lab:
    """One client, what it sent (with the time) and what it reported."""

    def __init__(self, *, want_na=True, want_pd=True, rapid_commit=True, seed=1):
        self.sent: list[tuple[float, bytes]] = []
        self.events: list = []
        self.now = 0.0
        self.client = Dhcpv6Client(KEY, MAC, LOCAL, lambda p: self.sent.append((self.now, p)), self.events.append,
                                   random.Random(seed), want_na=want_na, want_pd=want_pd, rapid_commit=rapid_commit)

    def at(self, now: float) -> None:
        self.now = now
        self.client.tick(now)

    def next_send(self) -> float:
        """Move the clock to the client's deadline and tick."""
        assert self.client.deadline is not None
        self.at(self.client.deadline)
        return self.now

    def last(self) -> D.Message:
        ip = decode_ipv6(self.sent[-1][1])
        sport, dport, payload = decode_udp6(ip)
        assert (ip.src, ip.dst, sport, dport) == (LOCAL, ipaddress.IPv6Address("ff02::1:2").packed, 546, 547)
        return D.decode_message(payload)

    def answer(self, msg_type: int, options: list, *, to: D.Message | None = None, xid: int | None = None,
               client: bytes | None = None, server: bytes | None = SERVER) -> bool:
        m = to or self.last()
        head = [(D.CLIENTID, client if client is not None else D.duid_ll(MAC))]
        if server is not None:
            head.append((D.SERVERID, server))
        payload = D.encode_message(D.Message(msg_type, m.transaction_id if xid is None else xid, head + options))
        return self.client.receive(encode_udp6(SERVER_LL, LOCAL, 547, 546, payload), self.now)

    def solicit(self) -> D.Message:
        self.client.start(self.now)
        self.next_send()
        return self.last()

    def bind(self, *ias) -> None:
        """Solicit and take a Rapid Commit Reply with these IAs (both, by default)."""
        self.solicit()
        self.answer(D.REPLY, [*(ias or (ia_na(), ia_pd())), (D.RAPID_COMMIT, b""), (D.DNS_SERVERS, DNS)])


def scapy_view(packet: bytes, kind):
    """scapy's reading of what the client sent: the message class, our xid, and the UDP ports."""
    ip = IPv6(packet)
    assert (ip.src, ip.dst, ip[UDP].sport, ip[UDP].dport) == (str(ipaddress.IPv6Address(LOCAL)), "ff02::1:2", 546, 547)
    message = ip[UDP].payload
    assert isinstance(message, kind)
    assert message[DHCP6OptClientId].duid.lladdr == "02:00:00:00:00:01"
    return message


def present(message, *layers) -> list[bool]:
    return [message.haslayer(layer) for layer in layers]


def test_rapid_commit_binds_an_address_and_a_prefix_from_one_reply():
    lab = Lab()
    lab.client.start(0.0)
    assert lab.client.deadline is not None and 0.0 <= lab.client.deadline <= C.SOL_MAX_DELAY
    lab.at(lab.client.deadline - 0.001)
    assert lab.sent == []
    lab.next_send()
    solicit = scapy_view(lab.sent[-1][1], DHCP6_Solicit)
    assert solicit.msgtype == 1 and solicit.trid == lab.last().transaction_id
    assert present(solicit, DHCP6OptRapidCommit, DHCP6OptIA_NA, DHCP6OptIA_PD, DHCP6OptOptReq, DHCP6OptElapsedTime) \
        == [True] * 5
    assert not solicit.haslayer(DHCP6OptServerId)
    assert solicit[DHCP6OptOptReq].reqopts == [23] and solicit[DHCP6OptElapsedTime].elapsedtime == 0
    assert solicit[DHCP6OptIA_NA].iaid == 1 == solicit[DHCP6OptIA_PD].iaid
    assert lab.answer(D.REPLY, [ia_na(), ia_pd(), (D.RAPID_COMMIT, b""), (D.DNS_SERVERS, DNS)])
    assert lab.events == [Dhcpv6Bound(KEY, "2001:db8::100", "2001:db8:100::/56", ["2001:db8::53"], False)]
    assert lab.client.state == DhcpState.BOUND
    assert (lab.client.address, lab.client.prefix, lab.client.dns) == (
        ADDRESS, ipaddress.IPv6Network("2001:db8:100::/56"), [DNS])
    assert lab.client.deadline == lab.now + 100  # T1
    assert len(lab.sent) == 1


def test_a_reply_without_rapid_commit_does_not_answer_a_solicit():
    lab = Lab()
    lab.solicit()
    lab.answer(D.REPLY, [ia_na(), ia_pd()])
    assert lab.events == [] and lab.client.state == DhcpState.SOLICITING


def test_advertise_then_request_then_reply():
    lab = Lab(rapid_commit=False)
    solicit = lab.solicit()
    assert not scapy_view(lab.sent[-1][1], DHCP6_Solicit).haslayer(DHCP6OptRapidCommit)
    lab.now += 0.3
    lab.answer(D.ADVERTISE, [ia_na(), ia_pd(), (D.DNS_SERVERS, DNS)])
    assert lab.client.state == DhcpState.REQUESTING and len(lab.sent) == 2
    request = scapy_view(lab.sent[-1][1], DHCP6_Request)
    assert request.msgtype == 3 and request.trid == lab.last().transaction_id != solicit.transaction_id
    assert request[DHCP6OptServerId].duid.lladdr == "02:00:00:00:ac:01"
    assert present(request, DHCP6OptIA_NA, DHCP6OptIA_PD, DHCP6OptOptReq, DHCP6OptElapsedTime) == [True] * 4
    assert not request.haslayer(DHCP6OptRapidCommit)
    assert request[DHCP6OptIAAddress].addr == "2001:db8::100"
    assert (request[DHCP6OptIAPrefix].prefix, request[DHCP6OptIAPrefix].plen) == ("2001:db8:100::", 56)
    assert request[DHCP6OptElapsedTime].elapsedtime == 0  # a new exchange
    assert lab.answer(D.ADVERTISE, [ia_na(), ia_pd()], to=solicit)  # a late Advertise changes nothing
    assert len(lab.sent) == 2
    lab.answer(D.REPLY, [ia_na(), ia_pd(), (D.DNS_SERVERS, DNS)])
    assert lab.events == [Dhcpv6Bound(KEY, "2001:db8::100", "2001:db8:100::/56", ["2001:db8::53"], False)]
    assert lab.client.server == SERVER


def test_ia_pd_only():
    lab = Lab(want_na=False)
    lab.solicit()
    solicit = scapy_view(lab.sent[-1][1], DHCP6_Solicit)
    assert present(solicit, DHCP6OptIA_PD, DHCP6OptIA_NA) == [True, False]
    lab.answer(D.REPLY, [ia_na(), ia_pd(), (D.RAPID_COMMIT, b"")])  # an IA_NA we did not ask for is not taken
    assert lab.events == [Dhcpv6Bound(KEY, None, "2001:db8:100::/56", [], False)]
    assert lab.client.address is None


def test_ia_na_and_ia_pd_with_the_prefix_refused_binds_the_address_alone():
    lab = Lab()
    lab.bind(ia_na(), ia_pd(status=D.StatusCode(D.NO_PREFIX_AVAIL, "pool empty"), prefix=None))
    assert lab.events == [Dhcpv6Bound(KEY, "2001:db8::100", None, ["2001:db8::53"], False)]
    lab.at(lab.client.deadline)
    renew = scapy_view(lab.sent[-1][1], DHCP6_Renew)
    assert present(renew, DHCP6OptIA_NA, DHCP6OptIA_PD) == [True, False]  # only what is bound


def test_a_reply_that_binds_nothing_fails_with_the_servers_words():
    lab = Lab()
    lab.bind(ia_na(status=D.StatusCode(D.NO_ADDRS_AVAIL, "no addresses"), address=None),
             ia_pd(status=D.StatusCode(D.NO_PREFIX_AVAIL), prefix=None))
    assert lab.events == [Dhcpv6Failed(KEY, "no address or prefix bound: status 2: no addresses")]
    assert lab.client.state == DhcpState.FAILED and lab.client.deadline is None


def test_a_refused_request_fails():
    lab = Lab(rapid_commit=False)
    lab.solicit()
    lab.answer(D.ADVERTISE, [ia_na(), ia_pd()])
    lab.answer(D.REPLY, [ia_na(), ia_pd(), top_status(D.UNSPEC_FAIL, "busy")])
    assert lab.events == [Dhcpv6Failed(KEY, "the DHCPv6 server refused: status 1: busy")]
    assert lab.client.address is None and lab.client.deadline is None


def check_backoff(times: list[float], irt: float, mrt: float, *, first_above: bool = False) -> None:
    """Section 15: each RT within its bounds."""
    rts = [b - a for a, b in zip(times, times[1:], strict=False)]
    assert (irt < rts[0] if first_above else 0.9 * irt <= rts[0]) and rts[0] <= 1.1 * irt
    for prev, rt in zip(rts, rts[1:], strict=False):
        assert 1.9 * prev - 1e-9 <= rt <= 2.1 * prev + 1e-9 or 0.9 * mrt <= rt <= 1.1 * mrt
        assert rt <= 1.1 * mrt


@pytest.mark.parametrize("seed", range(5))
def test_solicit_retransmits_with_backoff_then_gives_up(seed):
    lab = Lab(seed=seed)
    lab.solicit()
    start = lab.now
    for _ in range(C.SOLICIT_TRIES - 1):
        lab.next_send()
    times = [t for t, _ in lab.sent]
    assert len(times) == C.SOLICIT_TRIES
    check_backoff(times, C.SOL_TIMEOUT, C.SOL_MAX_RT, first_above=True)
    messages = [D.decode_message(decode_udp6(decode_ipv6(p))[2]) for _, p in lab.sent]
    assert {m.transaction_id for m in messages} == {messages[0].transaction_id}
    assert [m.msg_type for m in messages] == [D.SOLICIT] * len(messages)
    assert [int.from_bytes(m.option(D.ELAPSED_TIME) or b"", "big") for m in messages] == \
        [min(round((t - start) * 100), 0xFFFF) for t in times]
    assert lab.events == []
    lab.next_send()
    assert lab.events == [Dhcpv6Failed(KEY, "no DHCPv6 server answered")]
    assert len(lab.sent) == C.SOLICIT_TRIES and lab.client.deadline is None


@pytest.mark.parametrize("seed", range(3))
def test_request_retransmits_up_to_req_max_rc_then_solicits_again(seed):
    lab = Lab(rapid_commit=False, seed=seed)
    lab.solicit()
    lab.answer(D.ADVERTISE, [ia_na(), ia_pd()])
    request_xid = lab.last().transaction_id
    for _ in range(C.REQ_MAX_RC - 1):
        lab.next_send()
    requests = lab.sent[1:]
    assert len(requests) == C.REQ_MAX_RC
    assert all(D.decode_message(decode_udp6(decode_ipv6(p))[2]).msg_type == D.REQUEST for _, p in requests)
    times = [t for t, _ in requests]
    check_backoff(times, C.REQ_TIMEOUT, C.REQ_MAX_RT)
    assert max(b - a for a, b in zip(times, times[1:], strict=False)) >= 0.9 * C.REQ_MAX_RT  # the cap was reached
    lab.next_send()
    again = lab.last()
    assert again.msg_type == D.SOLICIT and again.transaction_id != request_xid
    assert lab.client.state == DhcpState.SOLICITING and lab.events == []


def test_an_advertise_with_no_prefix_available_is_ignored():
    lab = Lab(want_na=False, rapid_commit=False)
    lab.solicit()
    assert lab.answer(D.ADVERTISE, [ia_pd(status=D.StatusCode(D.NO_PREFIX_AVAIL, "none left"), prefix=None)])
    assert lab.answer(D.ADVERTISE, [ia_pd(prefix=None)])  # no prefix at all
    assert lab.answer(D.ADVERTISE, [ia_pd(), top_status(D.UNSPEC_FAIL)])
    assert lab.answer(D.ADVERTISE, [ia_pd(t1=200, t2=100)])  # T1 over T2 (section 21.4)
    assert lab.client.state == DhcpState.SOLICITING and len(lab.sent) == 1
    lab.next_send()  # still soliciting
    assert lab.last().msg_type == D.SOLICIT
    lab.answer(D.ADVERTISE, [ia_pd()])
    assert lab.last().msg_type == D.REQUEST


@pytest.mark.parametrize("wrong", [{"xid": 12345}, {"client": D.duid_ll(bytes(6))}, {"server": None}])
def test_a_reply_for_another_transaction_client_or_without_a_server_is_ignored(wrong):
    lab = Lab(rapid_commit=False)
    lab.solicit()
    lab.answer(D.ADVERTISE, [ia_na(), ia_pd()])
    if "xid" in wrong:
        wrong["xid"] = lab.last().transaction_id ^ 1
    assert lab.answer(D.REPLY, [ia_na(), ia_pd()], **wrong)
    assert lab.events == [] and lab.client.state == DhcpState.REQUESTING
    lab.answer(D.REPLY, [ia_na(), ia_pd()])
    assert lab.client.state == DhcpState.BOUND


def test_renew_at_t1_and_rebind_at_t2():
    lab = Lab()
    lab.bind()
    bound = lab.now
    lab.at(bound + 99.9)
    assert len(lab.sent) == 1
    lab.at(bound + 100)
    renew = scapy_view(lab.sent[-1][1], DHCP6_Renew)
    assert renew.msgtype == 5
    assert present(renew, DHCP6OptServerId, DHCP6OptIA_NA, DHCP6OptIA_PD, DHCP6OptOptReq, DHCP6OptElapsedTime) \
        == [True] * 5
    assert renew[DHCP6OptServerId].duid.lladdr == "02:00:00:00:ac:01"
    assert renew[DHCP6OptIAAddress].addr == "2001:db8::100" and renew[DHCP6OptIAPrefix].prefix == "2001:db8:100::"
    assert (renew[DHCP6OptIA_NA].T1, renew[DHCP6OptIAAddress].validlft) == (0, 0)
    renew_xid = lab.last().transaction_id
    lab.next_send()
    first_rt = lab.now - (bound + 100)
    assert 9 <= first_rt <= 11 and lab.last().transaction_id == renew_xid
    while lab.client.state == DhcpState.RENEWING:
        lab.next_send()
    assert lab.now == bound + 160  # a Renew retransmission never runs past T2
    rebind = scapy_view(lab.sent[-1][1], DHCP6_Rebind)
    assert rebind.msgtype == 6 and not rebind.haslayer(DHCP6OptServerId)
    assert present(rebind, DHCP6OptIA_NA, DHCP6OptIA_PD, DHCP6OptElapsedTime) == [True] * 3
    assert rebind[DHCP6OptElapsedTime].elapsedtime == 0 and lab.last().transaction_id != renew_xid
    assert lab.events[1:] == []
    other = D.duid_ll(bytes.fromhex("02000000ac02"))  # any server may answer a Rebind
    lab.now += 1
    long = {"t1": 1000, "t2": 1600, "preferred": 2000, "valid": 3000}
    lab.answer(D.REPLY, [ia_na(**long), ia_pd(**long)], server=other)
    assert lab.events[1:] == [Dhcpv6Bound(KEY, "2001:db8::100", "2001:db8:100::/56", ["2001:db8::53"], True)]
    assert lab.client.state == DhcpState.BOUND and lab.client.server == other
    assert lab.client.deadline == lab.now + 1000


def test_a_reply_to_renew_renews():
    lab = Lab()
    lab.bind()
    lab.next_send()
    lab.now += 0.5
    lab.answer(D.REPLY, [ia_na(), ia_pd(), (D.DNS_SERVERS, DNS)])
    assert lab.events[1:] == [Dhcpv6Bound(KEY, "2001:db8::100", "2001:db8:100::/56", ["2001:db8::53"], True)]
    assert lab.client.deadline == lab.now + 100


def test_t1_and_t2_left_to_the_client_are_half_and_four_fifths_of_the_shortest_preferred_lifetime():
    lab = Lab()
    lab.bind(ia_na(t1=0, t2=0, preferred=1000, valid=2000), ia_pd(t1=0, t2=0, preferred=400, valid=2000))
    assert (lab.client.t1, lab.client.t2) == (lab.now + 200, lab.now + 320)


def test_infinite_lifetimes_never_renew():
    lab = Lab()
    forever = C.INFINITY
    lab.bind(ia_na(t1=forever, t2=forever, preferred=forever, valid=forever))
    assert lab.client.state == DhcpState.BOUND and lab.client.deadline is None


def test_the_binding_expires_when_nobody_answers():
    lab = Lab()
    lab.bind()
    bound = lab.now
    while lab.client.state in (DhcpState.BOUND, DhcpState.RENEWING, DhcpState.REBINDING):
        lab.next_send()
    assert lab.now == bound + 300  # the valid lifetime
    assert lab.events[1:] == [Dhcpv6Failed(KEY, "binding expired")]
    assert (lab.client.address, lab.client.prefix, lab.client.deadline) == (None, None, None)


def test_a_server_that_lost_the_binding_is_asked_again_with_a_request():
    lab = Lab()
    lab.bind()
    lab.next_send()
    lab.answer(D.REPLY, [ia_na(status=D.StatusCode(D.NO_BINDING), address=None),
                         ia_pd(status=D.StatusCode(D.NO_BINDING), prefix=None)])
    assert lab.client.state == DhcpState.REQUESTING and lab.last().msg_type == D.REQUEST
    lab.answer(D.REPLY, [ia_na(), ia_pd()])
    assert lab.client.state == DhcpState.BOUND and lab.events[-1].renewed


def test_release_gives_back_what_is_bound():
    lab = Lab()
    lab.bind()
    lab.now += 5
    lab.client.release(lab.now)
    release = scapy_view(lab.sent[-1][1], DHCP6_Release)
    assert release.msgtype == 8
    assert present(release, DHCP6OptServerId, DHCP6OptIA_NA, DHCP6OptIA_PD, DHCP6OptElapsedTime) == [True] * 4
    assert not release.haslayer(DHCP6OptOptReq)
    assert release[DHCP6OptServerId].duid.lladdr == "02:00:00:00:ac:01"
    assert release[DHCP6OptIAAddress].addr == "2001:db8::100"
    assert (release[DHCP6OptIAPrefix].prefix, release[DHCP6OptIAPrefix].plen) == ("2001:db8:100::", 56)
    assert (lab.client.state, lab.client.deadline, lab.client.address) == (DhcpState.RELEASED, None, None)
    assert len(lab.sent) == 2 and lab.events[1:] == []


def test_release_before_binding_sends_nothing():
    lab = Lab()
    lab.solicit()
    lab.client.release(lab.now)
    assert len(lab.sent) == 1 and lab.client.state == DhcpState.RELEASED and lab.client.deadline is None


def test_receive_takes_only_udp_to_the_client_port():
    lab = Lab()
    lab.solicit()
    assert not lab.client.receive(icmpv6.encode_router_solicit(SERVER_LL), lab.now)
    assert not lab.client.receive(encode_udp6(SERVER_LL, LOCAL, 547, 547, b"\x07\x00\x00\x01"), lab.now)
    assert not lab.client.receive(b"\x60garbage", lab.now)
    assert lab.client.receive(encode_udp6(SERVER_LL, LOCAL, 547, 546, b"\x07\x00"), lab.now)  # malformed, ours
    assert lab.client.state == DhcpState.SOLICITING and lab.events == []
