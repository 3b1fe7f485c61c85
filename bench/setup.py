"""Session setup benchmark: N sessions client <-> AC over a veth pair in namespaces.

Prints sessions/s (overall and per second), setup-time percentiles, sessions lost
while holding, and each side's peak RSS with the memory per session.

    .venv/bin/python bench/setup.py --sessions 1000
    .venv/bin/python bench/setup.py --sessions 10000 --max-outstanding 1000
    .venv/bin/python bench/setup.py --sessions 10000 --max-outstanding 1000 --hold 300 --echo-interval 30
"""
import argparse
import json
import signal
import sys
import tempfile
import time
from pathlib import Path

from pppemu.testing.lab import Lab, wait_for
from pppemu.testing.machine import describe


def rss_kib(pid: int, field: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sessions", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=0, help="sessions started per second (0: no limit)")
    parser.add_argument("--max-outstanding", type=int, default=0, help="sessions in setup at once (0: no limit)")
    parser.add_argument("--hold", type=float, default=1.0, help="seconds to hold the sessions up")
    parser.add_argument("--echo-interval", type=float, default=30.0)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="pppemu-bench.") as tmp:
        tmp = Path(tmp)
        lab = Lab(tmp, prefix="b")
        try:
            (tmp / "secrets").write_text("* * bench-secret\n")
            ac, _ = lab.start_ac("--local-ip", "10.100.0.1", "--pool", "10.100.0.0/16", "--secrets",
                                 str(tmp / "secrets"), "-q", "--echo-interval", str(args.echo_interval),
                                 "--report", str(tmp / "ac.json"))
            ac_base = rss_kib(ac.pid, "VmRSS")
            client, client_log = lab.start_client(
                "--sessions", str(args.sessions), "--user", "user{n}@bench", "--password", "bench-secret",
                "--rate", str(args.rate), "--max-outstanding", str(args.max_outstanding),
                "--duration", str(args.hold), "--echo-interval", str(args.echo_interval),
                "--timeout", "120", "--report", str(tmp / "client.json"))
            wait_for(client_log, "client on", proc=client)  # printed just before the first PADI
            client_base = rss_kib(client.pid, "VmRSS")
            peak = {"ac": 0, "client": 0}
            while client.poll() is None:
                peak["ac"] = max(peak["ac"], rss_kib(ac.pid, "VmHWM"))
                peak["client"] = max(peak["client"], rss_kib(client.pid, "VmHWM"))
                time.sleep(0.1)
            ac.send_signal(signal.SIGTERM)
            ac.wait(timeout=60)
            report = json.loads((tmp / "client.json").read_text())
            ac_report = json.loads((tmp / "ac.json").read_text())
        except Exception:
            for name in ("ac.log", "client.log"):
                if (tmp / name).exists():
                    print(f"--- {name}\n{(tmp / name).read_text()[-3000:]}", file=sys.stderr)
            raise
        finally:
            lab.close()

    s, rate = report["summary"], report["setup_rate"]
    lost = sum(1 for x in report["sessions"] if x["setup_ms"] is not None and x["reason"] != "user request")
    n = args.sessions
    print(describe())
    print(f"sessions: {n} (CHAP + IPCP), rate limit {args.rate or 'none'}/s, "
          f"max outstanding {args.max_outstanding or 'none'}, held {args.hold:g} s, "
          f"echo every {args.echo_interval:g} s")
    print(f"established: {s['established']}  failed: {s['failed']} {s['failure_reasons'] or ''}  "
          f"lost while held: {lost}  retransmissions: client {s['retransmissions']}, "
          f"AC {ac_report['summary']['retransmissions']}")
    print(f"setup rate: {rate['overall_per_s']} sessions/s overall (first PADI to last IPCP up "
          f"{rate['last_up_s']} s); per second min/avg/max {rate['per_second']}")
    ms = s["setup_ms"]
    print(f"setup time ms: p50 {ms['p50']}  p95 {ms['p95']}  p99 {ms['p99']}  max {ms['max']}")
    for side, base in (("client", client_base), ("ac", ac_base)):
        per = (peak[side] - base) / n if n else 0
        print(f"peak RSS {side:6}: {peak[side] / 1024:.1f} MiB (at start {base / 1024:.1f} MiB, "
              f"{per:.2f} KiB per session)")
    print(f"AC pool after teardown: {ac_report['pool']['in_use']} in use, {ac_report['pool']['free']} free")


if __name__ == "__main__":
    main()
