"""Dual stack for real: IPv4, SLAAC and DHCPv6 prefix delegation between the CLI's two ends
in namespaces; the captures go through the conformance checker and tshark like every other."""
import ipaddress
import json
import signal

import pytest

from pppemu.testing.lab import wait_for

pytestmark = pytest.mark.e2e
AC_ARGS = ("--local-ip", "10.0.0.1", "--pool", "10.0.0.100-10.0.0.199", "--user", "lab", "--password", "pw",
           "--ipv6", "--ra-prefix-pool", "2001:db8:100::/40", "--pd-pool", "2001:db8:200::/40",
           "--dns6", "2001:db8::53", "--max-sessions-per-mac", "0")


@pytest.mark.parametrize("dhcpv6", ["pd", "na,pd"])
def test_one_subscriber_gets_ipv4_a_slaac_address_and_a_delegated_prefix(lab, dhcpv6):
    ac, ac_log = lab.start_ac(*AC_ARGS, "--report", str(lab.tmp / "ac.json"))
    result = lab.run_client("--user", "lab", "--password", "pw", "--ipv6", "--dhcpv6", dhcpv6,
                            "--duration", "2", "--report", str(lab.tmp / "client.json"))
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "IPCP: opened, address 10.0.0.100" in out and "IPv6CP: opened" in out
    assert "IPv6: address 2001:db8:100:" in out and "by SLAAC from 2001:db8:100::/64" in out
    assert "DHCPv6: bound" in out and "delegated prefix 2001:db8:200::/56" in out
    (session,) = json.loads((lab.tmp / "client.json").read_text())["sessions"]
    assert ipaddress.IPv6Address(session["address6"]) in ipaddress.IPv6Network("2001:db8:100::/64")
    assert session["delegated6"] == "2001:db8:200::/56" and session["dns6"] == ["2001:db8::53"]
    assert (session["na_address6"] == "2001:db8:100::1") == ("na" in dhcpv6)
    wait_for(ac_log, "session down")
    ac.send_signal(signal.SIGTERM)
    assert ac.wait(timeout=15) == 0
    ac_report = json.loads((lab.tmp / "ac.json").read_text())
    (ac_session,) = ac_report["sessions"]
    assert ac_session["prefix6"] == "2001:db8:100::/64" and ac_session["dns6"] == ["2001:db8::53"]


def test_200_dual_stack_subscribers_get_distinct_prefixes(lab):
    ac, ac_log = lab.start_ac(*AC_ARGS[:2], "--pool", "10.0.0.0/16", *AC_ARGS[4:], "-q",
                              "--report", str(lab.tmp / "ac.json"))
    result = lab.run_client("--sessions", "200", "--user", "lab", "--password", "pw", "--ipv6", "--dhcpv6", "pd",
                            "--duration", "3", "--timeout", "60", "--report", str(lab.tmp / "client.json"))
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr
    assert ": lost:" not in result.stdout  # closing them ourselves loses nothing
    sessions = json.loads((lab.tmp / "client.json").read_text())["sessions"]
    assert len({s["delegated6"] for s in sessions} - {None}) == 200
    assert len({s["address6"] for s in sessions} - {None}) == 200
    ac.send_signal(signal.SIGTERM)
    assert ac.wait(timeout=30) == 0


def test_tun_at_both_ends_carries_ping_and_ping6(lab):
    ac, ac_log = lab.start_ac(*AC_ARGS, "--tun", "pppac")
    wait_for(ac_log, "ready", proc=ac)
    # an address behind the AC for the subscriber to reach over IPv6
    assert lab.ns_exec(lab.ac_ns, "ip", "-6", "addr", "add", "2001:db8:ffff::1/128", "dev", "pppac",
                       "nodad").returncode == 0
    client, client_log = lab.start_client("--user", "lab", "--password", "pw", "--ipv6", "--dhcpv6", "pd",
                                          "--tun", "ppp0", "--default-route")
    wait_for(client_log, "TUN ppp0: 2001:db8:100:", proc=client)
    wait_for(client_log, "TUN ppp0: 10.0.0.100", proc=client)
    ping = lab.ns_exec(lab.cl_ns, "ping", "-c", "3", "-i", "0.2", "-W", "2", "10.0.0.1")
    assert ping.returncode == 0 and "3 received" in ping.stdout, ping.stdout + ping.stderr
    ping6 = lab.ns_exec(lab.cl_ns, "ping", "-6", "-c", "3", "-i", "0.2", "-W", "2", "2001:db8:ffff::1")
    assert ping6.returncode == 0 and "3 received" in ping6.stdout, ping6.stdout + ping6.stderr
