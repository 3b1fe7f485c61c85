"""RFC 4638 at the AC: a host that asks for PPP-Max-Payload gets what both ends' links carry,
and LCP MRUs up to it, so a 1508-byte access link carries 1500-byte packets."""
import pytest

from pppemu.ppp.events import SessionUp
from pppemu.testing.pair import Pair
from pppemu.wire import const as C
from pppemu.wire.pppoe import decode_discovery


def discovery_tags(pair: Pair, code: int) -> list[bytes | None]:
    out = []
    for _, frame in pair.wire:
        if frame[12:14] == b"\x88\x63" and frame[15] == code:
            out.append(decode_discovery(frame[14:]).tag(C.TAG_PPP_MAX_PAYLOAD))
    return out


@pytest.mark.parametrize("asked, ours, agreed", [(1500, 1500, 1500), (1500, 1496, 1496), (1496, 1500, 1496)])
def test_the_ac_grants_the_smaller_payload_and_both_mrus_follow(asked, ours, agreed):
    pair = Pair(client={"max_payload": asked}, client_ppp={"mru": asked, "max_mru": asked},
                ac={"max_payload": ours})
    (cs,) = pair.add(1)
    pair.advance(2)
    assert pair.events_of(SessionUp)
    assert discovery_tags(pair, C.PADO) == [agreed.to_bytes(2, "big")] == discovery_tags(pair, C.PADS)
    (acs,) = pair.ac.sessions.values()
    assert cs.ppp.lcp_policy.tx_mtu == agreed == acs.ppp.lcp_policy.tx_mtu


def test_an_ac_whose_link_carries_1492_answers_without_the_tag():
    pair = Pair(client={"max_payload": 1500}, client_ppp={"mru": 1500, "max_mru": 1500})
    (cs,) = pair.add(1)
    pair.advance(2)
    assert discovery_tags(pair, C.PADO) == [None] and cs.ppp.lcp_policy.tx_mtu == 1492


def test_a_host_that_does_not_ask_gets_no_tag_and_1492():
    pair = Pair(ac={"max_payload": 1500})
    (cs,) = pair.add(1)
    pair.advance(2)
    (acs,) = pair.ac.sessions.values()
    assert discovery_tags(pair, C.PADO) == [None] and acs.ppp.lcp_policy.tx_mtu == 1492


@pytest.mark.e2e
def test_a_1508_byte_access_link_gives_the_subscriber_an_mru_of_1500(lab):
    for ns in (lab.ac_ns, lab.cl_ns):
        assert lab.ns_exec(ns, "ip", "link", "set", "veth0", "mtu", "1508").returncode == 0
    ac, ac_log = lab.start_ac("--local-ip", "10.0.0.1", "--pool", "10.0.0.100-10.0.0.109", "--user", "lab",
                              "--password", "pw")
    result = lab.run_client("--user", "lab", "--password", "pw", "--max-payload", "1500", "--mru", "1500",
                            "--ping", "1", "--duration", "0.3")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "LCP: opened, MRU 1500" in result.stdout
