"""The Python API in a real namespace: the socket is opened there with the netns package."""
import netns
import pytest
from scapy.layers.inet import ICMP, IP

from pppemu import PPPoEError, PPPoESession
from pppemu.testing.lab import wait_for

pytestmark = pytest.mark.e2e


def test_api_session_pings_the_gateway(lab):
    ac, ac_log = lab.start_ac("--local-ip", "10.0.0.1", "--pool", "10.0.0.100-10.0.0.109",
                              "--dns", "10.0.0.53", "--auth", "pap", "--user", "lab", "--password", "lab-secret")
    with netns.NetNS(nsname=lab.cl_ns):
        session = PPPoESession(iface="veth0", username="lab", password="lab-secret")
    with session as s:
        s.start(timeout=15)
        assert (s.ip(), s.gw(), s.dns()) == ("10.0.0.100", "10.0.0.1", ["10.0.0.53"])
        for seq in (1, 2):
            s.send_packet(IP(src=s.ip(), dst=s.gw()) / ICMP(id=0x4242, seq=seq) / b"hello")
        replies = [s.recv_packet(timeout=5) for _ in range(2)]
        assert s.recv_queuelen() == 0
        for seq, reply in zip((1, 2), replies, strict=True):
            assert reply is not None and reply[IP].src == "10.0.0.1" and reply[IP].dst == "10.0.0.100"
            assert reply[ICMP].type == 0 and reply[ICMP].id == 0x4242 and reply[ICMP].seq == seq
            assert bytes(reply[ICMP].payload) == b"hello"
    assert s.down_reason == "user request"
    wait_for(ac_log, "session down: peer terminated the link: user request")


def test_api_start_raises_a_clear_error(lab):
    lab.start_ac("--local-ip", "10.0.0.1", "--pool", "10.0.0.100-10.0.0.109", "--user", "lab",
                 "--password", "lab-secret")
    with netns.NetNS(nsname=lab.cl_ns):
        session = PPPoESession(iface="veth0", username="lab", password="nope")
    with session, pytest.raises(PPPoEError, match="authentication failed"):
        session.start(timeout=15)


def test_api_dual_stack_session_pings_the_router_over_ipv6(lab):
    import time

    from scapy.layers.inet6 import ICMPv6EchoReply, ICMPv6EchoRequest, IPv6
    lab.start_ac("--local-ip", "10.0.0.1", "--pool", "10.0.0.100-10.0.0.109", "--user", "lab", "--password", "pw",
                 "--ipv6", "--ra-prefix-pool", "2001:db8:100::/40", "--pd-pool", "2001:db8:200::/40",
                 "--dns6", "2001:db8::53")
    with netns.NetNS(nsname=lab.cl_ns):
        session = PPPoESession(iface="veth0", username="lab", password="pw", ipv6=True, dhcpv6=("pd",))
    with session as s:
        s.start(timeout=15)
        deadline = time.monotonic() + 10
        while s.prefix() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert s.ip6().startswith("2001:db8:100:") and s.prefix() == "2001:db8:200::/56"
        assert s.dns6() == ["2001:db8::53"]
        assert s.gw6().startswith("fe80::")  # the AC's link-local address, from its advertisement
        s.send_packet(IPv6(src=s.ip6(), dst=s.gw6()) / ICMPv6EchoRequest(id=7, seq=1, data=b"v6"))
        reply = s.recv_packet(timeout=5)
        assert reply is not None and reply.haslayer(ICMPv6EchoReply) and reply[ICMPv6EchoReply].id == 7


def test_api_session_on_a_qinq_stack_pings_and_the_ac_answers_on_that_stack(lab):
    ac, ac_log = lab.start_ac("--local-ip", "10.0.0.1", "--pool", "10.0.0.100-10.0.0.109", "--user", "lab",
                              "--password", "lab-secret", "--outer-vlan", "300", "--inner-vlan", "42")
    with netns.NetNS(nsname=lab.cl_ns):
        session = PPPoESession(iface="veth0", username="lab", password="lab-secret", vlan=(300, 42),
                               vlan_priority=3)
    with session as s:
        s.start(timeout=15)
        s.send_packet(IP(src=s.ip(), dst=s.gw()) / ICMP(id=0x4243))
        reply = s.recv_packet(timeout=5)
        assert reply is not None and reply[ICMP].type == 0
    wait_for(ac_log, "vlan 300.42 sid")


def test_api_refuses_a_vlan_stack_that_cannot_be(lab):
    from pppemu.pppoe.vlans import VlanError
    with netns.NetNS(nsname=lab.cl_ns):
        for bad in ((0,), (1, 2, 3), (4095,), ("100-200",), -1):
            with pytest.raises(VlanError):
                PPPoESession(iface="veth0", username="lab", password="x", vlan=bad)
