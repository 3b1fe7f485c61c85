"""Our AC's IPv6 against independent implementations: with `pppemu client --ipv6-by-kernel`
the client only negotiates IPv6CP and its TUN device carries everything above it, so the
Linux kernel's own router discovery and SLAAC, and a real DHCPv6 client (dhcpcd), take
what the AC offers over the session. Both captures are judged like every other."""
import ipaddress
import json
import re
import shutil
import signal
import time

import pytest

from pppemu.testing.lab import wait_for

pytestmark = pytest.mark.e2e
AC_ARGS = ("--local-ip", "10.0.0.1", "--pool", "10.0.0.100-10.0.0.199", "--user", "lab", "--password", "pw",
           "--ipv6", "--ra-prefix-pool", "2001:db8:100::/40", "--pd-pool", "2001:db8:200::/40",
           "--pd-length", "56", "--dns6", "2001:db8::53")
SESSION_64 = ipaddress.IPv6Network("2001:db8:100::/64")  # the first session's


def addresses6(lab, dev: str) -> list[ipaddress.IPv6Interface]:
    shown = lab.ns_exec(lab.cl_ns, "ip", "-6", "-o", "addr", "show", "dev", dev).stdout
    return [ipaddress.IPv6Interface(a) for a in re.findall(r"inet6 (\S+)", shown)]


def wait_until(condition, timeout: float = 20) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if condition():
            return True
        time.sleep(0.1)
    return False


def start_pair(lab, tun: str):
    """Our AC with a /64 per session and prefix delegation; our client leaving IPv6 to the kernel."""
    ac, ac_log = lab.start_ac(*AC_ARGS, "--report", str(lab.tmp / "ac.json"))
    client, client_log = lab.start_client("--user", "lab", "--password", "pw", "--ipv6", "--ipv6-by-kernel",
                                          "--tun", tun)
    text = wait_for(client_log, f"TUN {tun}: fe80::", proc=client)
    (link_local,) = re.findall(rf"TUN {tun}: (fe80::\S+);", text)
    return ac, ac_log, client, client_log, ipaddress.IPv6Address(link_local)


def stop(proc, timeout: float = 15) -> int:
    proc.send_signal(signal.SIGTERM)
    return proc.wait(timeout=timeout)


def test_the_kernels_slaac_on_the_tun_takes_an_address_in_the_sessions_64(lab):
    ac, ac_log, client, client_log, link_local = start_pair(lab, "ppp0")
    # The kernel solicits from the IPv6CP link-local address and takes the AC's advertisement.
    assert wait_until(lambda: any(a.ip in SESSION_64 for a in addresses6(lab, "ppp0"))), (
        lab.ns_exec(lab.cl_ns, "ip", "-6", "addr", "show", "dev", "ppp0").stdout + client_log.read_text())
    by_slaac = [a for a in addresses6(lab, "ppp0") if a.ip in SESSION_64]
    # Its interface identifier is the one IPv6CP negotiated: with no hardware address to make
    # one from, the kernel takes it from the device's link-local address.
    assert [a.network.prefixlen for a in by_slaac] == [64]
    assert by_slaac[0].ip.packed[8:] == link_local.packed[8:]
    assert ipaddress.IPv6Interface(f"{link_local}/64") in addresses6(lab, "ppp0")
    routes = lab.ns_exec(lab.cl_ns, "ip", "-6", "route", "show", "dev", "ppp0").stdout
    assert "2001:db8:100::/64" in routes and "default via fe80::" in routes, routes
    # and the AC's address on the link answers through the kernel's route
    ping6 = lab.ns_exec(lab.cl_ns, "ping", "-6", "-c", "2", "-i", "0.2", "-W", "2", "-I", "ppp0",
                        routes.split("default via ")[1].split()[0])
    assert ping6.returncode == 0 and "2 received" in ping6.stdout, ping6.stdout + ping6.stderr
    assert stop(client) == 0
    wait_for(ac_log, "session down")
    assert stop(ac) == 0
    (ac_session,) = json.loads((lab.tmp / "ac.json").read_text())["sessions"]
    assert ac_session["prefix6"] == str(SESSION_64)


DHCPCD_CONF = """\
# DHCPv6 only, on the TUN device: an address and a /56 delegated to no interface ("-"),
# both released when dhcpcd stops. The kernel keeps router discovery; no hook scripts.
ipv6only
noipv6rs
script /bin/true
ia_na 1
ia_pd 2 -
release
"""


def dhcpcd_command(lab) -> list[str]:
    """dhcpcd in the foreground with debug output, its state (DUID, leases, pid file) in the test's
    directory: `ip netns exec` runs it in a mount namespace of its own, so the bind mounts over
    its fixed directories stay there."""
    conf = lab.tmp / "dhcpcd.conf"
    conf.write_text(DHCPCD_CONF)
    db, run = lab.tmp / "dhcpcd-db", lab.tmp / "dhcpcd-run"
    db.mkdir()
    run.mkdir()
    return ["sh", "-c", f"mkdir -p /var/lib/dhcpcd /run/dhcpcd && mount --bind {db} /var/lib/dhcpcd && "
            f"mount --bind {run} /run/dhcpcd && exec dhcpcd -f {conf} -6 -B -d ppp0"]


def test_dhcpcd_on_the_tun_gets_an_address_and_a_delegated_56(lab):
    assert shutil.which("dhcpcd"), "dhcpcd is not installed (make deps installs dhcpcd-base)"
    ac, ac_log, client, client_log, _ = start_pair(lab, "ppp0")
    dhcpcd_log = lab.tmp / "dhcpcd.log"
    dhcpcd = lab.spawn(lab.cl_ns, *dhcpcd_command(lab), log=dhcpcd_log)
    out = wait_for(dhcpcd_log, "delegated prefix", timeout=30, proc=dhcpcd)
    assert "ppp0: delegated prefix 2001:db8:200::/56" in out, out
    # IA_NA: the session's /64 with ::1, which dhcpcd puts on the device
    assert wait_until(lambda: ipaddress.IPv6Address("2001:db8:100::1") in [a.ip for a in addresses6(lab, "ppp0")]), (
        dhcpcd_log.read_text())
    assert stop(dhcpcd) == 0
    out = dhcpcd_log.read_text()
    assert "ppp0: broadcasting RELEASE6" in out, out  # answered by our AC: see its capture
    assert stop(client) == 0
    wait_for(ac_log, "session down")
    assert stop(ac) == 0
    (ac_session,) = json.loads((lab.tmp / "ac.json").read_text())["sessions"]
    assert ac_session["delegated6"] == "2001:db8:200::/56", ac_session
