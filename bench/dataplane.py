"""Data-plane benchmark: traffic through one session with TUN at both ends, and the
same namespaces over plain veth (no pppemu) as the ceiling.

Measures small-packet UDP (64-byte payloads) per direction at a target rate and
unlimited (packets/s received, loss), and TCP throughput, all with iperf3.

    .venv/bin/python bench/dataplane.py [--seconds 5] [--pps 100000]
"""
import argparse
import json
import subprocess
import tempfile
import time
from pathlib import Path

from pppemu.testing.lab import Lab, wait_for
from pppemu.testing.machine import describe

PAYLOAD = 64


def iperf(lab: Lab, server_ip: str, *args: str, seconds: float) -> dict:
    server = subprocess.Popen(["ip", "netns", "exec", lab.ac_ns, "iperf3", "-s", "-1", "-B", server_ip],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    lab.procs.append(server)
    time.sleep(0.3)
    out = lab.ns_exec(lab.cl_ns, "iperf3", "-c", server_ip, "-t", str(seconds), "-J", *args,
                      timeout=seconds + 30)
    server.wait(timeout=10)
    return json.loads(out.stdout)


def udp(lab: Lab, ip: str, pps: int | None, reverse: bool, seconds: float) -> str:
    rate = f"{pps * PAYLOAD * 8}" if pps else "0"
    result = iperf(lab, ip, "-u", "-l", str(PAYLOAD), "-b", rate, *(["-R"] if reverse else []), seconds=seconds)
    total = result["end"]["sum"]
    received = total["packets"] - total["lost_packets"]
    return (f"{received / total['seconds']:>10,.0f} pkt/s received, loss {total['lost_percent']:.3f} % "
            f"({total['lost_packets']} of {total['packets']})")


def tcp(lab: Lab, ip: str, seconds: float) -> float:
    return iperf(lab, ip, seconds=seconds)["end"]["sum_received"]["bits_per_second"] / 1e6


def measure(lab: Lab, ip: str, args) -> dict:
    figures = {}
    for label, reverse in (("up   (client -> AC)", False), ("down (AC -> client)", True)):
        figures[f"UDP {label} at {args.pps:,} pkt/s"] = udp(lab, ip, args.pps, reverse, args.seconds)
        figures[f"UDP {label} unlimited"] = udp(lab, ip, None, reverse, args.seconds)
    figures["TCP client -> AC"] = tcp(lab, ip, args.seconds)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--pps", type=int, default=100_000, help="target UDP packet rate")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="pppemu-bench.") as tmp:
        lab = Lab(Path(tmp), prefix="d")
        try:
            lab.start_ac("--local-ip", "10.0.0.1", "--pool", "10.0.0.100-10.0.0.199", "--user", "bench",
                         "--password", "pw", "--tun", "pppac", "--echo-interval", "0")
            _, client_log = lab.start_client("--user", "bench", "--password", "pw", "--tun", "ppp0",
                                             "--echo-interval", "0")
            wait_for(client_log, "TUN ppp0")
            through = measure(lab, "10.0.0.1", args)
            for proc in lab.procs:
                proc.terminate()
                proc.wait(timeout=15)
            lab.procs.clear()
            lab.ns_exec(lab.ac_ns, "ip", "addr", "add", "10.99.0.1/24", "dev", "veth0")
            lab.ns_exec(lab.cl_ns, "ip", "addr", "add", "10.99.0.2/24", "dev", "veth0")
            ceiling = measure(lab, "10.99.0.1", args)
        finally:
            lab.close()
    print(describe())
    print(f"one session, TUN at both ends (pppemu client <-> pppemu AC), vs plain veth; "
          f"UDP payload {PAYLOAD} bytes, {args.seconds:g} s per figure")
    for key in through:
        a, b = through[key], ceiling[key]
        if isinstance(a, float):
            print(f"{key:40} pppemu {a:8.0f} Mbit/s   veth {b:8.0f} Mbit/s   ratio {a / b:.1%}")
        else:
            print(f"{key:40} pppemu {a}\n{'':40} veth   {b}")


if __name__ == "__main__":
    main()
