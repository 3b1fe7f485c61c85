"""DHCPv6 over the session, in memory: the AC delegates a prefix (IA_PD) and hands out an
address (IA_NA); the client asks once the Router Advertisement sets M or O; everything
goes back to the pools at Release or at the end of the session."""
from __future__ import annotations

import ipaddress

from pppemu.ppp.events import Dhcpv6Bound, Dhcpv6Failed
from pppemu.testing.pair import Pair
from pppemu.wire import dhcpv6
from pppemu.wire.ipv6 import decode_ipv6, decode_udp6

RA_POOL, PD_POOL = "2001:db8:100::/40", "2001:db8:200::/40"


def dual_stack(n: int = 1, client: dict | None = None, **ac) -> tuple[Pair, list]:
    ac = {"ra_prefix_pool": RA_POOL, "pd_pool": PD_POOL, "dns6": ("2001:db8::53",), "max_sessions_per_mac": 0,
          **ac}
    pair = Pair(pool="10.0.0.0/16", ac_ppp={"ipv6": True}, client_ppp={"ipv6": True}, ac=ac,
                client={"dhcpv6": ("pd",), **(client or {})})
    sessions = pair.add(n)
    pair.advance(4 + n / 50)
    return pair, sessions


def dhcp_messages(pair: Pair, direction: str) -> list[dhcpv6.Message]:
    out = []
    for d, frame in pair.wire:
        if d == direction and frame[12:14] == b"\x88\x64" and frame[20:22] == b"\x00\x57":
            ip = decode_ipv6(frame[22:20 + int.from_bytes(frame[18:20], "big")])
            if ip.next_header == 17:
                out.append(dhcpv6.decode_message(decode_udp6(ip)[2]))
    return out


def test_a_cpe_asking_for_a_prefix_only_gets_a_56_from_the_pool():
    pair, (cs,) = dual_stack()
    (bound,) = pair.events_of(Dhcpv6Bound)
    delegated = ipaddress.IPv6Network(bound.prefix)
    assert delegated.prefixlen == 56 and delegated.subnet_of(ipaddress.IPv6Network(PD_POOL))
    assert bound.address is None and bound.dns == ["2001:db8::53"] and cs.delegated6 == bound.prefix
    assert pair.ac.delegations.in_use == 1 and cs.address6 is not None  # the WAN address by SLAAC
    kinds = [m.msg_type for m in dhcp_messages(pair, "c2a")]
    assert kinds == [dhcpv6.SOLICIT]  # rapid commit: one Solicit, one Reply
    assert [m.msg_type for m in dhcp_messages(pair, "a2c")] == [dhcpv6.REPLY]


def test_without_rapid_commit_it_is_solicit_advertise_request_reply():
    pair, (cs,) = dual_stack(client={"rapid_commit": False, "dhcpv6": ("na", "pd")})
    assert [m.msg_type for m in dhcp_messages(pair, "c2a")] == [dhcpv6.SOLICIT, dhcpv6.REQUEST]
    assert [m.msg_type for m in dhcp_messages(pair, "a2c")] == [dhcpv6.ADVERTISE, dhcpv6.REPLY]
    (bound,) = pair.events_of(Dhcpv6Bound)
    (acs,) = pair.ac.sessions.values()
    assert ipaddress.IPv6Address(bound.address) in acs.prefix6 and bound.prefix is not None


def test_200_sessions_get_distinct_prefixes_and_give_every_one_back():
    pair, sessions = dual_stack(200)
    delegated = {s.delegated6 for s in sessions}
    assert len(delegated) == 200 and None not in delegated and pair.ac.delegations.in_use == 200
    for s in sessions:
        pair.client.close_session(s, pair.now)
    pair.advance(10)
    assert pair.ac.delegations.in_use == 0 and pair.ac.prefixes.in_use == 0 and not pair.ac.sessions
    assert sum(m.msg_type == dhcpv6.RELEASE for m in dhcp_messages(pair, "c2a")) == 200


def test_an_empty_prefix_pool_is_said_so():
    pair, sessions = dual_stack(2, pd_pool="2001:db8:200::/56")  # room for one /56
    failed = pair.events_of(Dhcpv6Failed)
    assert len(pair.events_of(Dhcpv6Bound)) == 1 and len(failed) == 1
    assert "NoPrefixAvail" in failed[0].reason or "no prefix" in failed[0].reason.lower()


def test_no_dhcpv6_when_the_advertisement_sets_neither_m_nor_o():
    pair = Pair(ac_ppp={"ipv6": True}, client_ppp={"ipv6": True}, client={"dhcpv6": ("pd",)})
    (cs,) = pair.add(1)
    pair.advance(4)
    (failed,) = pair.events_of(Dhcpv6Failed)
    assert "neither M nor O" in failed.reason and cs.dhcp6 is None and not dhcp_messages(pair, "c2a")


def test_a_session_that_ends_without_release_gives_its_prefix_back():
    pair, (cs,) = dual_stack()
    (acs,) = pair.ac.sessions.values()
    acs.close(pair.now, "maintenance")
    pair.advance(10)
    assert pair.ac.delegations.in_use == 0 and pair.ac.prefixes.in_use == 0


def test_a_server_that_lost_one_binding_is_asked_again_without_a_renew_storm():
    pair, (cs,) = dual_stack(client={"dhcpv6": ("na", "pd")})
    (acs,) = pair.ac.sessions.values()
    acs.dhcp6.address, acs.dhcp6._na_iaid = None, None  # the server forgets the address, keeps the prefix
    pair.advance(1900)  # past T1 (1800 s): the client Renews, hears NoBinding for IA_NA, Requests again
    renews = [m for m in dhcp_messages(pair, "c2a") if m.msg_type == dhcpv6.RENEW]
    requests = [m for m in dhcp_messages(pair, "c2a") if m.msg_type == dhcpv6.REQUEST]
    assert len(renews) == 1 and len(requests) >= 1
    assert cs.dhcp6.state.value == "bound" and cs.na_address6 is not None and acs.dhcp6.address is not None


def test_overlapping_ra_and_pd_pools_are_refused():
    import pytest

    from pppemu.pppoe.ac import AcConfig, AcRole
    from pppemu.pppoe.pool import PoolError
    with pytest.raises(PoolError, match="overlap"):
        AcRole(AcConfig(ra_prefix_pool="2001:db8::/48", pd_pool="2001:db8::/40"))
