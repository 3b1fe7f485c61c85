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


@pytest.mark.e2e
def test_1500_byte_packets_cross_a_1508_byte_access_link_unfragmented_between_tun_devices(lab):
    import struct

    from pppemu.conformance.pcap import read_frames
    from pppemu.testing.lab import wait_for
    from pppemu.wire.control import decode_control, decode_options
    for ns in (lab.ac_ns, lab.cl_ns):
        assert lab.ns_exec(ns, "ip", "link", "set", "veth0", "mtu", "1508").returncode == 0
    lab.start_ac("--local-ip", "10.0.0.1", "--pool", "10.0.0.100-10.0.0.109", "--user", "lab", "--password", "pw",
                 "--tun", "pppac", "--pcap", str(lab.tmp / "ac.pcap"))
    client, client_log = lab.start_client("--user", "lab", "--password", "pw", "--max-payload", "1500",
                                          "--mru", "1500", "--tun", "ppp0")
    wait_for(client_log, "TUN ppp0", proc=client)
    assert "mtu 1500 " in lab.ns_exec(lab.cl_ns, "ip", "link", "show", "ppp0").stdout
    # 1472 bytes of ICMP data: a 1500-byte IP packet, with Don't Fragment set, both ways
    ping = lab.ns_exec(lab.cl_ns, "ping", "-c", "3", "-i", "0.2", "-W", "2", "-M", "do", "-s", "1472", "10.0.0.1")
    assert ping.returncode == 0 and "3 received" in ping.stdout and "1480 bytes from" in ping.stdout, ping.stdout
    client.terminate()
    assert client.wait(timeout=15) == 0
    payloads, mrus, largest = {}, set(), 0
    for _, frame in read_frames(lab.tmp / "ac.pcap"):
        ethertype, code = frame[12:14], frame[15]
        if ethertype == b"\x88\x63" and code in (C.PADO, C.PADS):
            payloads.setdefault(code, set()).add(decode_discovery(frame[14:]).tag(C.TAG_PPP_MAX_PAYLOAD))
        elif ethertype == b"\x88\x64" and frame[20:22] == b"\xc0\x21" and frame[22] == C.CONF_REQ:
            options = dict(decode_options(decode_control(frame[22:]).data))
            mrus.add((frame[6:12], struct.unpack("!H", options[C.LCP_MRU])[0]))
        elif ethertype == b"\x88\x64" and frame[20:22] == b"\x00\x21":
            largest = max(largest, len(frame) - 22)
    assert payloads == {C.PADO: {struct.pack("!H", 1500)}, C.PADS: {struct.pack("!H", 1500)}}
    assert len(mrus) == 2 and {mru for _, mru in mrus} == {1500}  # both ends ask for 1500
    assert largest == 1500  # whole 1500-byte IP packets went through the session
