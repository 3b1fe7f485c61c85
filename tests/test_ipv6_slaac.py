"""IPv6 above IPv6CP, in memory: the AC advertises a /64 per session, the client takes an
address by SLAAC; prefixes go back to the pool; invalid advertisements configure nothing."""
from __future__ import annotations

import ipaddress

import pytest

from pppemu.ppp.events import Ipv6Configured, SessionUp
from pppemu.testing.pair import Pair
from pppemu.wire import const as C
from pppemu.wire import icmpv6
from pppemu.wire.ipv6 import NH_ICMPV6, checksum6, decode_ipv6, link_local

POOL = "2001:db8:100::/40"


def dual_stack(n: int = 1, **ac) -> tuple[Pair, list]:
    pair = Pair(pool="10.0.0.0/16", ac_ppp={"ipv6": True}, client_ppp={"ipv6": True},
                ac={"ra_prefix_pool": POOL, "dns6": ("2001:db8::53",), **ac})
    sessions = pair.add(n)
    pair.advance(3 + n / 50)
    return pair, sessions


def ipv6_frames(pair: Pair, direction: str) -> list[bytes]:
    """The IPv6 packets one way on the wire (PPPoE session frames carrying protocol 0x57)."""
    out = []
    for d, frame in pair.wire:
        if d == direction and frame[12:14] == b"\x88\x64" and frame[20:22] == b"\x00\x57":
            out.append(frame[22:20 + int.from_bytes(frame[18:20], "big")])
    return out


def test_the_client_takes_a_slaac_address_from_the_sessions_advertised_64():
    pair, (cs,) = dual_stack()
    (acs,) = pair.ac.sessions.values()
    (configured,) = pair.events_of(Ipv6Configured)
    assert acs.prefix6 == ipaddress.IPv6Network("2001:db8:100::/64") == cs.prefix6
    iid = cs.ppp.ipv6cp_policy.iid
    assert ipaddress.IPv6Address(configured.address).packed == acs.prefix6.network_address.packed[:8] + iid
    assert configured.router == str(ipaddress.IPv6Address(link_local(acs.ppp.ipv6cp_policy.iid)))
    # a DHCPv6 server runs (IA_NA from the same /64), so M is set, and O for its DNS servers
    assert configured.dns == ["2001:db8::53"] and configured.managed and configured.other
    assert cs.address6 == configured.address and acs.dns6 == ["2001:db8::53"]
    # what went over the wire: advertisements (and any solicitation) with hop limit 255
    rs = [decode_ipv6(p) for p in ipv6_frames(pair, "c2a")]
    ra = [decode_ipv6(p) for p in ipv6_frames(pair, "a2c")]
    assert all(p.hop_limit == 255 and icmpv6.decode_icmpv6(p)[0] == icmpv6.ROUTER_SOLICIT for p in rs)
    assert ra and all(p.hop_limit == 255 and icmpv6.decode_icmpv6(p)[0] == icmpv6.ROUTER_ADVERT for p in ra)


def test_200_sessions_get_distinct_64s_and_give_every_one_back():
    pair, sessions = dual_stack(200, max_sessions_per_mac=0)
    prefixes = {s.prefix6 for s in sessions}
    assert len(prefixes) == 200 and None not in prefixes and pair.ac.prefixes.in_use == 200
    assert len({s.address6 for s in sessions}) == 200
    for s in sessions:
        pair.client.close_session(s, pair.now)
    pair.advance(10)
    assert pair.ac.prefixes.in_use == 0 and not pair.ac.sessions


def test_a_lost_advertisement_is_asked_for_again():
    pair = Pair(ac_ppp={"ipv6": True}, client_ppp={"ipv6": True}, ac={"ra_prefix_pool": POOL})
    dropped = []

    def lose_the_first_adverts(direction: str, frame: bytes) -> bool:
        if direction == "a2c" and frame[20:22] == b"\x00\x57" and len(dropped) < 2:
            dropped.append(frame)
            return False
        return True
    pair.filter = lose_the_first_adverts
    (cs,) = pair.add(1)
    pair.advance(12)
    assert len(dropped) == 2 and cs.address6 is not None and cs.ipv6.solicitations >= 2


@pytest.mark.parametrize("fault", ["hop limit 64", "global source", "code 1"])
def test_an_advertisement_that_did_not_come_from_the_link_configures_nothing(fault):
    pair = Pair(ac_ppp={"ipv6": True}, client_ppp={"ipv6": True})  # an AC advertising no prefix
    (cs,) = pair.add(1)
    pair.advance(3)
    (first,) = pair.events_of(Ipv6Configured)
    assert first.address is None and first.prefix is None
    cs.ipv6.router = None  # ready for another advertisement
    on_link = cs.ipv6.local[:8] + bytes(7) + b"\x01"
    src = ipaddress.IPv6Address("2001:db8::1").packed if fault == "global source" else on_link
    advert = icmpv6.RouterAdvert(prefixes=[icmpv6.PrefixInfo(ipaddress.IPv6Address("2001:db8:9::").packed, 64)])
    packet = bytearray(icmpv6.encode_router_advert(src, cs.ipv6.local, advert))
    if fault == "hop limit 64":
        packet[7] = 64
    elif fault == "code 1":
        packet[41] = 1
        packet[42:44] = b"\x00\x00"
        checksum = checksum6(bytes(packet[8:24]), bytes(packet[24:40]), NH_ICMPV6, bytes(packet[40:]))
        packet[42:44] = checksum.to_bytes(2, "big")
    assert cs.take_ipv6(bytes(packet), pair.now)
    assert cs.ipv6.router is None and cs.address6 is None and len(pair.events_of(Ipv6Configured)) == 1


def test_the_ac_answers_pings_to_its_link_local_address():
    pair, (cs,) = dual_stack()
    (acs,) = pair.ac.sessions.values()
    router = link_local(acs.ppp.ipv6cp_policy.iid)
    own = ipaddress.IPv6Address(cs.address6).packed
    cs.send_ipv6(icmpv6.encode_echo(own, router, 0x77, 1, b"hi"))
    pair.advance(0.5)
    replies = [icmpv6.parse_echo_reply(p) for p in ipv6_frames(pair, "a2c")]
    assert (router, 0x77, 1) in replies


def test_ipv6_stays_out_of_a_session_without_ipv6cp():
    pair = Pair(ac={"ra_prefix_pool": POOL})
    (cs,) = pair.add(1)
    pair.advance(3)
    assert pair.events_of(SessionUp) and cs.ipv6 is None and pair.ac.prefixes.in_use == 0
    assert not ipv6_frames(pair, "a2c") and pair.ac.counters["tx." + C.PROTO_NAMES[C.PROTO_IPV6]] == 0
