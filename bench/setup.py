"""Session setup benchmark: N sessions client <-> AC over a veth pair in namespaces.

Prints sessions/s (overall and per second), setup-time percentiles, sessions lost
while holding, and each side's peak RSS with the memory per session.

    .venv/bin/python bench/setup.py --sessions 1000
    .venv/bin/python bench/setup.py --sessions 10000 --max-outstanding 1000
    .venv/bin/python bench/setup.py --sessions 10000 --max-outstanding 1000 --hold 300 --echo-interval 30
    .venv/bin/python bench/setup.py --sessions 10000 --max-outstanding 1000 --hold 5 --dual-stack
"""
import argparse
import json
import signal
import sys
import tempfile
import time
from pathlib import Path

from pppemu.testing.lab import Lab, wait_for
from pppemu.testing.machine import describe, rss_kib

DUAL_STACK_AC = ("--ipv6", "--ra-prefix-pool", "2001:db8:100::/40", "--pd-pool", "2001:db8:200::/40",
                 "--dns6", "2001:db8::53", "--max-sessions-per-mac", "0")
DUAL_STACK_CLIENT = ("--ipv6", "--dhcpv6", "pd")
QINQ_CLIENT = ("--outer-vlan", "100-199", "--inner-vlan", "1-4000")  # 1:1, a stack per session


def measure(args, dual: bool, qinq: bool = False) -> dict:
    """One run: the AC and the client in fresh namespaces; the reports and peak RSS."""
    with tempfile.TemporaryDirectory(prefix="pppemu-bench.") as tmp:
        tmp = Path(tmp)
        lab = Lab(tmp, prefix="b")
        try:
            (tmp / "secrets").write_text("* * bench-secret\n")
            ac, _ = lab.start_ac("--local-ip", "10.100.0.1", "--pool", "10.100.0.0/16", "--secrets",
                                 str(tmp / "secrets"), "-q", "--echo-interval", str(args.echo_interval),
                                 "--report", str(tmp / "ac.json"), *(DUAL_STACK_AC if dual else ()))
            ac_base = rss_kib(ac.pid, "VmRSS")
            client, client_log = lab.start_client(
                "--sessions", str(args.sessions), "--user", "user{n}@bench", "--password", "bench-secret",
                "--rate", str(args.rate), "--max-outstanding", str(args.max_outstanding),
                "--duration", str(args.hold), "--echo-interval", str(args.echo_interval),
                "--timeout", "120", "--report", str(tmp / "client.json"), *(DUAL_STACK_CLIENT if dual else ()),
                *(QINQ_CLIENT if qinq else ()))
            wait_for(client_log, "client on", proc=client)  # printed just before the first PADI
            client_base = rss_kib(client.pid, "VmRSS")
            peak = {"ac": 0, "client": 0}
            while client.poll() is None:
                peak["ac"] = max(peak["ac"], rss_kib(ac.pid, "VmHWM"))
                peak["client"] = max(peak["client"], rss_kib(client.pid, "VmHWM"))
                time.sleep(0.1)
            ac.send_signal(signal.SIGTERM)
            ac.wait(timeout=60)
            return {"client": json.loads((tmp / "client.json").read_text()),
                    "ac": json.loads((tmp / "ac.json").read_text()),
                    "base": {"client": client_base, "ac": ac_base}, "peak": peak}
        except Exception:
            for name in ("ac.log", "client.log"):
                if (tmp / name).exists():
                    print(f"--- {name}\n{(tmp / name).read_text()[-3000:]}", file=sys.stderr)
            raise
        finally:
            lab.close()


def show(args, run: dict, dual: bool, label: str) -> None:
    report, ac_report = run["client"], run["ac"]
    s, rate = report["summary"], report["setup_rate"]
    lost = sum(1 for x in report["sessions"] if x["setup_ms"] is not None and x["reason"] != "user request")
    n = args.sessions
    print(f"-- {label}")
    print(f"established: {s['established']}  failed: {s['failed']} {s['failure_reasons'] or ''}  "
          f"lost while held: {lost}  retransmissions: client {s['retransmissions']}, "
          f"AC {ac_report['summary']['retransmissions']}")
    if dual:
        full = sum(1 for x in report["sessions"] if x["address6"] and x["delegated6"])
        prefixes = len({x["delegated6"] for x in report["sessions"]} - {None})
        print(f"dual stack complete (SLAAC address and a delegated prefix): {full}; distinct prefixes {prefixes}")
        v6 = sorted(x["ipv6_ms"] for x in report["sessions"] if x["ipv6_ms"] is not None)
        if v6:
            print(f"time to IPv6 complete ms (PADI to the prefix delegated): p50 {v6[len(v6) // 2]}  "
                  f"p99 {v6[min(len(v6) - 1, round(0.99 * (len(v6) - 1)))]}  max {v6[-1]}")
    print(f"setup rate: {rate['overall_per_s']} sessions/s overall (first PADI to last IPCP up "
          f"{rate['last_up_s']} s); per second min/avg/max {rate['per_second']}")
    ms = s["setup_ms"]
    print(f"setup time ms (PADI to IPCP up): p50 {ms['p50']}  p95 {ms['p95']}  p99 {ms['p99']}  max {ms['max']}")
    for side in ("client", "ac"):
        base, peak = run["base"][side], run["peak"][side]
        per = (peak - base) / n if n else 0
        print(f"peak RSS {side:6}: {peak / 1024:.1f} MiB (at start {base / 1024:.1f} MiB, "
              f"{per:.2f} KiB per session)")
    pools = f"AC pool after teardown: {ac_report['pool']['in_use']} in use, {ac_report['pool']['free']} free"
    print(pools)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sessions", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=0, help="sessions started per second (0: no limit)")
    parser.add_argument("--max-outstanding", type=int, default=0, help="sessions in setup at once (0: no limit)")
    parser.add_argument("--hold", type=float, default=1.0, help="seconds to hold the sessions up")
    parser.add_argument("--echo-interval", type=float, default=30.0)
    parser.add_argument("--dual-stack", action="store_true",
                        help="also run the same sessions dual stack, after the IPv4-only run, and compare")
    parser.add_argument("--qinq", action="store_true",
                        help="also run the same sessions in 1:1 QinQ (a tag stack each), and compare")
    args = parser.parse_args()
    print(describe())
    print(f"sessions: {args.sessions} (CHAP + IPCP), rate limit {args.rate or 'none'}/s, "
          f"max outstanding {args.max_outstanding or 'none'}, held {args.hold:g} s, "
          f"echo every {args.echo_interval:g} s")
    runs = [("IPv4 only", False, measure(args, False))]
    if args.dual_stack:
        runs.append(("dual stack (IPv4 + SLAAC + DHCPv6 IA_PD)", True, measure(args, True)))
    if args.qinq:
        runs.append(("IPv4 only, 1:1 QinQ", False, measure(args, False, qinq=True)))
    for label, dual, run in runs:
        show(args, run, dual, label)
    base = runs[0][2]["client"]
    for label, _, run in runs[1:]:
        r0, r1 = base["setup_rate"]["overall_per_s"], run["client"]["setup_rate"]["overall_per_s"]
        p0, p1 = base["summary"]["setup_ms"]["p99"], run["client"]["summary"]["setup_ms"]["p99"]
        if r0 and r1 and p0 and p1:
            print(f"{label} / IPv4 only: setup rate x{r1 / r0:.2f}, p99 setup time x{p1 / p0:.2f}")


if __name__ == "__main__":
    main()
