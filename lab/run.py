"""The lab: an AC in one namespace, a client in another, joined by a veth pair.

Shows a session come up, pings the gateway through it, judges the AC's capture,
then runs both ends with TUN devices for the kernel's ping and iperf3, prints the
reports, and removes everything it made -- also when something fails.

    python lab/run.py [chap|pap]      (as root; `make lab` runs it)
"""
from __future__ import annotations

import argparse
import io
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import cast

from pppemu.testing.lab import Lab, wait_for

PPPEMU = [sys.executable, "-m", "pppemu"]


def step(text: str) -> None:
    print(f"\n== {text}")


def run(*argv: str) -> None:
    """A command whose output goes straight to ours; a failure stops the lab."""
    subprocess.run(argv, check=True, stdin=subprocess.DEVNULL)


def stop(proc: subprocess.Popen, check: bool = True) -> None:
    proc.send_signal(signal.SIGTERM)
    if proc.wait() and check:
        raise subprocess.CalledProcessError(proc.returncode, proc.args)


def lab_run(lab: Lab, auth: str, out: Path) -> None:
    account = ["--auth", auth, "--user", "lab", "--password", "lab-secret"]
    ac_args = ["--local-ip", "10.0.0.1", "--pool", "10.0.0.100-10.0.0.199", "--ac-name", "lab-ac", *account,
               "--ipv6", "--ra-prefix-pool", "2001:db8:100::/40", "--pd-pool", "2001:db8:200::/40",
               "--dns6", "2001:db8::53"]
    dual_stack = ["--ipv6", "--dhcpv6", "pd"]  # SLAAC for the WAN address, a delegated /56, as CPEs do

    step(f"namespaces {lab.ac_ns} (AC) and {lab.cl_ns} (client), joined by veth0 <-> veth0")

    step(f"AC: gateway 10.0.0.1, pool 10.0.0.100-10.0.0.199, {auth}, user lab; IPv6: a /64 per session "
         "from 2001:db8:100::/40 by Router Advertisement, a /56 from 2001:db8:200::/40 by DHCPv6")
    ac, ac_log = lab.start_ac(*ac_args, "--dns", "10.0.0.53", "--echo-interval", "5", "--report", str(out / "ac.json"),
                              "--pcap", str(out / "ac.pcap"))
    print(ac_log.read_text(), end="")

    step(f"client: discovery, LCP, {auth}, IPCP and IPv6CP, SLAAC, DHCPv6 prefix delegation, 3 pings to the "
         "gateway, hold 2 s, terminate")
    run(*lab.command(lab.cl_ns, "client", "--iface", "veth0", *account, *dual_stack, "--ping", "3",
                     "--duration", "2", "--echo-interval", "1", "--report", str(out / "client.json"), capture=False))

    step("AC stops (SIGTERM)")
    stop(ac)
    print(ac_log.read_text(), end="")

    step("the AC's capture, judged against the RFCs (pppemu check)")
    run(*PPPEMU, "check", str(out / "ac.pcap"))

    step("TUN at both ends: the AC as a real gateway, kernel tools through the session")
    ac, _ = lab.start_ac(*ac_args, "--tun", "pppac", name="ac-tun", capture=False)
    run("ip", "-n", lab.ac_ns, "-6", "addr", "add", "2001:db8:ffff::1/128", "dev", "pppac", "nodad")
    client, client_log = lab.start_client(*account, *dual_stack, "--tun", "ppp0", "--default-route",
                                          "--duration", "30", name="client-tun", capture=False)
    wait_for(client_log, "TUN ppp0: 10.", proc=client)
    print(wait_for(client_log, "TUN ppp0: 2001:", proc=client), end="")
    run("ip", "-n", lab.cl_ns, "-br", "addr", "show", "ppp0")
    print("-- ping from the client's namespace to the gateway, through pppemu at both ends")
    run("ip", "netns", "exec", lab.cl_ns, "ping", "-c", "3", "-i", "0.2", "10.0.0.1")
    print("-- ping -6 from the client's namespace to 2001:db8:ffff::1 behind the AC")
    run("ip", "netns", "exec", lab.cl_ns, "ping", "-6", "-c", "3", "-i", "0.2", "2001:db8:ffff::1")
    print("-- TCP: iperf3 server in the AC's namespace, client in the subscriber's, 3 s")
    lab.spawn(lab.ac_ns, "iperf3", "-s", "-1", "-B", "10.0.0.1", log=out / "iperf-server.log")
    time.sleep(0.2)
    iperf = lab.ns_exec(lab.cl_ns, "iperf3", "-c", "10.0.0.1", "-t", "3", check=True)
    print("\n".join(iperf.stdout.splitlines()[-4:]))
    stop(client, check=False)
    stop(ac)

    step("reports")
    for path in (out / "client.json", out / "ac.json"):
        r = json.loads(path.read_text())
        s = r["summary"]
        print(f"{r['role']:6} sessions={s['sessions']} established={s['established']} failed={s['failed']} "
              f"setup p50={s['setup_ms']['p50']} ms")
        for sess in r["sessions"]:
            print(f"       {sess['mac']} sid={sess['session_id']} {sess['state']} address={sess['address']} "
                  f"gateway={sess['gateway']} reason={sess['reason']}")
            print(f"       IPv6: prefix={sess['prefix6']} address={sess['address6']} "
                  f"delegated={sess['delegated6']} dns={','.join(sess['dns6']) or '-'}")
        print("       counters:", ", ".join(f"{k}={v}" for k, v in r["counters"].items()))
    print("\nlab: OK")


def main() -> int:
    parser = argparse.ArgumentParser(description="pppemu's lab: an AC and a client in two namespaces")
    parser.add_argument("auth", nargs="?", default="chap", choices=["chap", "pap"])
    auth = parser.parse_args().auth
    if os.geteuid() != 0:
        print("lab: needs root (network namespaces, raw sockets)", file=sys.stderr)
        return 2
    # Our lines and the programs' lines in the order they happen, also into a pipe or file
    cast(io.TextIOWrapper, sys.stdout).reconfigure(line_buffering=True)
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    out = Path(tempfile.mkdtemp(prefix="pppemu-lab."))
    lab = Lab(out, prefix="")
    try:
        lab_run(lab, auth, out)
        return 0
    except (subprocess.CalledProcessError, AssertionError) as e:
        print(f"lab: FAILED: {e}", file=sys.stderr)
        return 1
    finally:
        lab.close()
        print(f"lab: namespaces {lab.ac_ns} and {lab.cl_ns} removed; logs and reports in {out}")


if __name__ == "__main__":
    sys.exit(main())
