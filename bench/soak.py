"""Soak benchmark: sessions that end after --session-time and reconnect, for --minutes.

Prints the setups, teardowns, losses and failures over the run, and the AC's pool, session
ids and RSS at the start and at the end, which must come back exactly.

    .venv/bin/python bench/soak.py --sessions 1000 --session-time 10 --minutes 10
"""
import argparse
import json
import re
import signal
import tempfile
import time
from pathlib import Path

from pppemu.testing.lab import Lab, wait_for
from pppemu.testing.machine import describe, rss_kib


def rss_mib(pid: int) -> float:
    return rss_kib(pid) / 1024


SETUP_TIMEOUT = 10  # the AC's --setup-timeout in this run


def settle(ac_log: Path, start: int, timeout: float) -> float | None:
    """Seconds until the AC's status line (every 10 s) shows no session active, or None."""
    began = time.monotonic()
    while time.monotonic() - began < timeout:
        if "sessions: 0 active" in ac_log.read_text()[start:]:
            return time.monotonic() - began
        time.sleep(0.5)
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sessions", type=int, default=1000)
    parser.add_argument("--session-time", type=float, default=10)
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--keep-ended", type=int, default=0,
                        help="the AC's --keep-ended: ended sessions it keeps for its report (0: none)")
    args = parser.parse_args()
    seconds = args.minutes * 60
    print(describe())
    with tempfile.TemporaryDirectory(prefix="pppemu-soak.") as tmp:
        tmp = Path(tmp)
        lab = Lab(tmp, prefix="s")
        try:
            (tmp / "secrets").write_text("* * soak\n")
            ac, ac_log = lab.start_ac("--local-ip", "10.100.0.1", "--pool", "10.100.0.0/16", "--secrets",
                                      str(tmp / "secrets"), "-q", "--max-sessions-per-mac", "0",
                                      "--keep-ended", str(args.keep_ended), "--setup-timeout", str(SETUP_TIMEOUT),
                                      "--report", str(tmp / "ac.json"), capture=False)
            ac_start = rss_mib(ac.pid)
            client, client_log = lab.start_client(
                "--sessions", str(args.sessions), "--user", "u{n}", "--password", "soak", "--max-outstanding", "500",
                "--session-time", str(args.session_time), "--reconnect", "--churn-interval", "30",
                "--duration", str(seconds), "--timeout", "120", "--report", str(tmp / "client.json"), capture=False)
            wait_for(client_log, "sessions up", proc=client, timeout=120)
            ac_up = rss_mib(ac.pid)
            samples = []  # the AC's RSS every 30 s: under steady churn it must level off
            began = time.monotonic()
            while client.poll() is None and time.monotonic() - began < seconds + 120:
                time.sleep(1)
                if time.monotonic() - began >= 30 * (len(samples) + 1):
                    samples.append(rss_mib(ac.pid))
            client.wait(timeout=60)
            ac_end_held = rss_mib(ac.pid)
            # A PADR in flight when the client stopped opened a session nobody will finish: the
            # AC ends it at its setup timeout. Wait for its status line to show nothing held.
            settled = settle(ac_log, len(ac_log.read_text()), timeout=SETUP_TIMEOUT + 15)
            ac_settled = rss_mib(ac.pid)
            ac.send_signal(signal.SIGTERM)
            ac.wait(timeout=60)
            # what the AC still held once the client had closed everything: it says at shutdown
            held = int(re.search(r"terminating (\d+) session", ac_log.read_text()).group(1))
            churn = json.loads((tmp / "client.json").read_text())["churn"]
            ac_report = json.loads((tmp / "ac.json").read_text())
        finally:
            lab.close()
    t = churn["totals"]
    print(f"{args.sessions} subscribers, session time {args.session_time:g} s +-10 %, reconnect, "
          f"{args.minutes:g} min (client exit code {client.returncode})")
    print(f"setups {t['setups']}, ended by session time {t['teardowns']}, lost {t['lost']}, failed {t['failed']} "
          f"{churn['failure_reasons'] or ''}")
    per_interval = [i["setups"] for i in churn["intervals"]]
    if per_interval:
        print(f"setups per 30 s: min {min(per_interval)}, max {max(per_interval)}")
    pool = ac_report["pool"]
    print(f"AC after the run: pool {pool['in_use']} in use of {pool['size']}, sessions held (session ids in "
          f"use) {held}, sessions ended {ac_report['counters'].get('sessions.ended', 0)} "
          f"({len(ac_report['sessions'])} kept for the report), internal errors "
          f"{ac_report['counters'].get('internal_errors', 0)}")
    if samples:
        print("AC RSS every 30 s (MiB): " + " ".join(f"{mib:.0f}" for mib in samples))
    state = f"nothing active {settled:.0f} s later" if settled is not None else "still holding sessions"
    print(f"AC RSS: {ac_start:.1f} MiB at start, {ac_up:.1f} MiB with the sessions up, "
          f"{ac_end_held:.1f} MiB at the end of the run, {ac_settled:.1f} MiB once settled ({state})")


if __name__ == "__main__":
    main()
