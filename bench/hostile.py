"""Hostile-load benchmark against the pppemu AC: prints figures, asserts nothing.

Scenarios, each in fresh namespaces joined by a veth pair:

  padr   forged PADRs (bench/attacker.py) against a 100-address pool: sessions and
         refusals obtained, addresses given away, how long half-open and yes-man
         sessions live, then whether a legitimate client still gets in
  flood  a PADI flood from random MACs (bench/flood.py) while 50 sessions are held
         and 100 more try to come up: offered rate, sessions lost and set up, RSS,
         the AC's counters
  kill   20 sessions up, the AC killed with SIGKILL: how long the client takes to
         notice (LCP echo) and its exit code

    .venv/bin/python bench/hostile.py
    .venv/bin/python bench/hostile.py --scenario flood --flood-seconds 5
"""
import argparse
import contextlib
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from pppemu.testing.lab import Lab, wait_for
from pppemu.testing.machine import describe, rss_kib

BENCH = Path(__file__).resolve().parent
SECRET = "bench-secret"
ATTACKER_PREFIX = "02:66:"  # bench/attacker.py forges its MACs under this prefix


# ---- processes and files

def mib(kib: int) -> str:
    return f"{kib / 1024:.1f} MiB" if kib else "-"


def start(lab: Lab, ns: str, argv: list[str], log: Path) -> subprocess.Popen:
    """A program in a namespace, output to `log`, stopped by lab.close() if still running."""
    proc = subprocess.Popen(["ip", "netns", "exec", ns, *argv], stdout=log.open("w"),
                            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    lab.procs.append(proc)
    return proc


def pppemu(*args: str) -> list[str]:
    """A pppemu command line without the capture Lab.command adds (a flood's pcap would be huge)."""
    return [sys.executable, "-m", "pppemu", *args]


def script(name: str, *args: str) -> list[str]:
    return [sys.executable, str(BENCH / name), *args]


def watch(log: Path, pattern: str, proc: subprocess.Popen, timeout: float) -> re.Match | None:
    """The first match of `pattern` in `log`, or None once the process exits or time runs out."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        match = re.search(pattern, log.read_text() if log.exists() else "")
        if match or proc.poll() is not None:
            return match
        time.sleep(0.05)
    return None


def stop(proc: subprocess.Popen, timeout: float = 30) -> int | None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None
    return proc.returncode


def read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


def tail(path: Path, lines: int) -> list[str]:
    return path.read_text().splitlines()[-lines:] if path.exists() else []


def table(title: str, rows: list[tuple[str, object]]) -> None:
    print(f"\n== {title}")
    width = max(len(label) for label, _ in rows)
    for label, value in rows:
        print(f"  {label:<{width}}  {value}")


def interesting_counters(report: dict) -> dict:
    words = ("rate", "limit", "padi", "padr", "refused", "drop", "setup")
    return {k: v for k, v in report.get("counters", {}).items() if any(w in k.lower() for w in words)}


def link_stats(lab: Lab, ns: str) -> dict:
    out = lab.ns_exec(ns, "ip", "-s", "-j", "link", "show", "veth0").stdout
    try:
        return json.loads(out)[0]["stats64"]["rx"]
    except (ValueError, LookupError):
        return {}


def ms_figures(values: list[float]) -> str:
    if not values:
        return "-"
    return f"median {statistics.median(values):.0f} ms, max {max(values):.0f} ms"


# ---- padr: forged PADRs, half-open and yes-man sessions

def legit_client(lab: Lab, tmp: Path, deadline: float) -> dict:
    """One real subscriber, tried again (new client) until it is up or `deadline` seconds pass."""
    began = time.monotonic()
    failures: list[str] = []  # the last line of each failed attempt
    while time.monotonic() - began < deadline:
        n = len(failures) + 1
        timeout = max(1.0, min(20.0, deadline - (time.monotonic() - began)))
        proc, log = lab.start_client("--user", "legit", "--password", SECRET, "--mac-base", "02:50:50:00:00:01",
                                     "--duration", "1", "--timeout", f"{timeout:g}",
                                     "--report", str(tmp / f"legit-{n}.json"), name=f"legit-{n}")
        up = watch(log, r"IPCP: opened", proc, timeout + 5)
        up_after = time.monotonic() - began
        proc.wait(timeout=30)
        if up:
            setup = read_json(tmp / f"legit-{n}.json").get("summary", {}).get("setup_ms", {}).get("max")
            return {"up": True, "after_s": up_after, "setup_ms": setup, "failures": failures}
        failures.append(failure_line(log))
    return {"up": False, "after_s": time.monotonic() - began, "failures": failures}


def failure_line(log: Path) -> str:
    """The client's own word on why it failed: its last line but the report notice."""
    lines = [line for line in tail(log, 5) if "report written" not in line] or ["(no output)"]
    return re.sub(r"^\[\s*[\d.]+\] ", "", lines[-1])


def pool_free_samples(ac_log: Path) -> list[int]:
    """'pool N free' from the AC's periodic status lines (-q), if it prints them."""
    return [int(n) for n in re.findall(r"pool (\d+) free", ac_log.read_text())]


def scenario_padr(lab: Lab, tmp: Path, args) -> None:
    (tmp / "secrets").write_text(f"* * {SECRET}\n")
    ac, ac_log = lab.start_ac("--local-ip", "10.77.0.1", "--pool", "10.77.0.100-10.77.0.199",
                              "--secrets", str(tmp / "secrets"), "-q", "--report", str(tmp / "ac.json"),
                              "--pcap", str(tmp / "ac-padr.pcap"))
    attack_log = tmp / "attacker.log"
    attacker = start(lab, lab.cl_ns, script("attacker.py", "--iface", "veth0", "--out", str(tmp / "attack.json"),
                                            "--hold", f"{args.hold:g}"), attack_log)
    wait_for(attack_log, "attack sent", timeout=300, proc=attacker)
    legit = legit_client(lab, tmp, args.legit_deadline)
    attacker.wait(timeout=args.hold + 60)
    stop(ac)
    print_padr(read_json(tmp / "attack.json"), read_json(tmp / "ac.json"), pool_free_samples(ac_log), legit)


def print_padr(attack: dict, ac: dict, free: list[int], legit: dict) -> None:
    rows = []
    for name, p in attack.get("phases", {}).items():
        s = attack["survival"][name]
        refused = ", ".join(f"{n}x {text!r}" for text, n in p["refused"].items()) or "none"
        rows.append((f"{name}: PADI/PADO", f"{p['padi_sent']} sent, {p['pado']} answered"))
        rows.append((f"{name}: PADR", f"{p['padr_sent']} sent: PADS with session id {p['pads_session']}, "
                                      f"refused {refused}, unanswered {p['unanswered']}"))
        rows.append((f"{name}: PADS->PADT", survival_text(s)))
    attacker = [x for x in ac.get("sessions", []) if x["mac"].startswith(ATTACKER_PREFIX)]
    pool = ac.get("pool", {})
    rows += [
        ("attack sent in", f"{attack.get('attack_s')} s, then waited {attack.get('hold_s')} s for PADTs"),
        ("AC sessions for attacker MACs", f"{len(attacker)} in the AC's report, "
                                          f"{sum(1 for x in attacker if x['address'])} given an address"),
        ("pool free (AC status lines)", f"min {min(free)} of {pool.get('size', '?')}" if free else "no status line"),
        ("pool after shutdown", f"{pool.get('in_use', '?')} in use, {pool.get('free', '?')} free"),
        ("AC counters", interesting_counters(ac) or "-"),
        ("legitimate client", legit_text(legit)),
    ]
    table("padr: forged PADRs, half-open and yes-man sessions (pool of 100, CHAP)", rows)


def survival_text(s: dict) -> str:
    if not s["sessions"]:
        return "no session"
    text = f"{s['padt']}/{s['sessions']} ended by PADT"
    if s["padt"]:
        text += f" after min {s['min_s']} / median {s['median_s']} / max {s['max_s']} s"
    if s["alive_at_end"]:
        text += f"; {s['alive_at_end']} still alive after >= {s['alive_for_at_least_s']} s"
    text += f"; AC sent {s['ac_conf_reqs']} LCP Configure-Requests"
    return text + (f" ({s['acked']} acked)" if s["acked"] else "")


def legit_text(legit: dict) -> str:
    failures = legit["failures"]
    before = f"; failed attempts: {', '.join(failures)}" if failures else ""
    if legit["up"]:
        return (f"up on attempt {len(failures) + 1}, {legit['after_s']:.1f} s after the attack "
                f"(that attempt's setup {legit['setup_ms']} ms){before}")
    return f"NOT up within {legit['after_s']:.0f} s{before}"


# ---- flood: PADI flood while sessions are held and new ones come up

class RssWatch:
    """VmRSS of some processes at the start and at the latest sample, and their peak."""

    def __init__(self):
        self.first: dict[str, int] = {}
        self.last: dict[str, int] = {}
        self.peak: dict[str, int] = {}
        self.pids: dict[str, int] = {}

    def add(self, name: str, pid: int) -> None:
        self.pids[name] = pid
        self.first[name] = rss_kib(pid)
        self.sample()

    def sample(self) -> None:
        for name, pid in self.pids.items():
            rss = rss_kib(pid)
            if rss:
                self.last[name] = rss
                self.peak[name] = max(self.peak.get(name, 0), rss_kib(pid, "VmHWM"))

    def text(self, name: str) -> str:
        return (f"{mib(self.first.get(name, 0))} before, {mib(self.last.get(name, 0))} after "
                f"(peak {mib(self.peak.get(name, 0))})")


def sleep_sampling(rss: RssWatch, seconds: float, until=lambda: False) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end and not until():
        rss.sample()
        time.sleep(min(0.5, max(0.0, end - time.monotonic())))


def place(pid: int, ac: bool) -> None:
    """The AC stands for a box of its own: it gets every CPU but the last. The clients share
    the last CPU with bench/flood.py, as hosts on the access network share the wire."""
    cpus = os.cpu_count() or 1
    if cpus > 1:
        with contextlib.suppress(ProcessLookupError):  # it may have failed already; its log says why
            os.sched_setaffinity(pid, set(range(cpus - 1)) if ac else {cpus - 1})


def scenario_flood(lab: Lab, tmp: Path, args) -> None:
    (tmp / "secrets").write_text(f"* * {SECRET}\n")
    ac_log, held_log, late_log, flood_log = (tmp / n for n in ("ac.log", "held.log", "late.log", "flood.log"))
    ac = start(lab, lab.ac_ns, pppemu("ac", "--iface", "veth0", "--local-ip", "10.78.0.1", "--pool", "10.78.0.0/16",
                                      "--secrets", str(tmp / "secrets"), "-q", "--report", str(tmp / "ac.json")),
               ac_log)
    wait_for(ac_log, "ready", proc=ac)
    held = start(lab, lab.cl_ns, pppemu("client", "--iface", "veth0", "--sessions", "50", "--user", "held{n}",
                                        "--password", SECRET, "--echo-interval", "3", "--echo-failure", "3",
                                        "--timeout", "60", "--report", str(tmp / "held.json")), held_log)
    held_up = watch(held_log, r"(\d+)/50 sessions up", held, 90)
    rss = RssWatch()
    rss.add("AC", ac.pid)
    rss.add("held client", held.pid)
    place(ac.pid, ac=True)
    place(held.pid, ac=False)
    rx_before = link_stats(lab, lab.ac_ns)
    flooder = start(lab, lab.cl_ns, script("flood.py", "--iface", "veth0", "--seconds", f"{args.flood_seconds:g}"),
                    flood_log)
    wait_for(flood_log, "flooding", proc=flooder)
    flood_start = time.monotonic()
    sleep_sampling(rss, 5, lambda: flooder.poll() is not None)
    late = start(lab, lab.cl_ns, pppemu("client", "--iface", "veth0", "--sessions", "100", "--mac-base",
                                        "02:60:60:00:00:01", "--user", "late{n}", "--password", SECRET,
                                        "--timeout", f"{args.flood_seconds + 30:g}", "--duration", "1",
                                        "--report", str(tmp / "late.json")), late_log)
    late_padi = time.monotonic() if watch(late_log, r"sending PADI", late, 30) else None
    rss.add("late client", late.pid)
    place(late.pid, ac=False)
    sleep_sampling(rss, args.flood_seconds + 30, lambda: flooder.poll() is not None)
    flood = json.loads(tail(flood_log, 1)[0])
    flood_end = flood_start + flood["seconds"]
    rx_after = link_stats(lab, lab.ac_ns)
    sleep_sampling(rss, args.flood_seconds + 60, lambda: late.poll() is not None)
    rss.sample()
    held_rc = stop(held)
    stop(ac, timeout=60)
    print_flood(args, flood, held_up, held_rc, read_json(tmp / "held.json"), read_json(tmp / "late.json"),
                (late_padi or flood_start + 5) - flood_start, flood_end - (late_padi or flood_end),
                read_json(tmp / "ac.json"), rss, rx_before, rx_after)


def print_flood(args, flood, held_up, held_rc, held, late, late_start, late_window, ac, rss, rx_before,
                rx_after) -> None:
    lost = [s for s in held.get("sessions", []) if s["setup_ms"] is not None and s["reason"] != "user request"]
    setup = [s["setup_ms"] for s in late.get("sessions", []) if s["setup_ms"] is not None]
    # Every late session starts at once (no --rate), so its setup time is its time from its first PADI.
    during = [ms for ms in setup if ms / 1000 <= late_window]
    reasons = late.get("summary", {}).get("failure_reasons") or {}
    delivered = {k: rx_after.get(k, 0) - rx_before.get(k, 0) for k in ("packets", "dropped")}
    rows = [
        ("offered PADI rate", f"{flood['rate_per_s']:,}/s ({flood['frames']:,} frames in {flood['seconds']} s, "
                              f"batches of {flood['batch_size']}, {flood['send_errors']} send errors)"),
        ("AC's veth0 during the flood", f"{delivered['packets']:,} frames received, "
                                        f"{delivered['dropped']:,} dropped by the kernel"),
        ("held sessions (50) up before", held_up.group(1) if held_up else "never reported"),
        ("held sessions lost", f"{len(lost)}{lost_reasons(lost)} (client exit code {held_rc})"),
        ("late client started", f"{late_start:.1f} s into the flood"),
        ("late sessions up during flood", f"{len(during)}/100 ({ms_figures(during)})"),
        ("late sessions up at all", f"{len(setup)}/100 ({ms_figures(setup)}); failed {reasons or 0}"),
        ("RSS AC", rss.text("AC")),
        ("RSS held client", rss.text("held client")),
        ("RSS late client", rss.text("late client")),
        ("AC counters", interesting_counters(ac) or "-"),
        ("AC link", ac.get("link", "-")),
    ]
    cpus = os.cpu_count() or 1
    if cpus > 1:
        rows.insert(0, ("CPUs", f"AC on CPU 0-{cpus - 2}; flooder and both clients share CPU {cpus - 1}"))
    table(f"flood: PADI flood for {args.flood_seconds:g} s, 50 sessions held, 100 more started 5 s in", rows)


def lost_reasons(lost: list[dict]) -> str:
    return f" {dict(Counter(s['reason'] for s in lost))}" if lost else ""


# ---- kill: the AC dies without a word

def scenario_kill(lab: Lab, tmp: Path, args) -> None:
    (tmp / "secrets").write_text(f"* * {SECRET}\n")
    ac, _ = lab.start_ac("--local-ip", "10.79.0.1", "--pool", "10.79.0.0/24", "--secrets", str(tmp / "secrets"), "-q")
    cmdline = Path(f"/proc/{ac.pid}/cmdline").read_bytes().split(b"\0")
    is_python = any(b"python" in part for part in cmdline[:1]) and b"pppemu" in cmdline
    client, log = lab.start_client("--sessions", "20", "--user", "k{n}", "--password", SECRET,
                                   "--echo-interval", "1", "--echo-failure", "3")
    up = watch(log, r"(\d+)/20 sessions up", client, 60)
    ac.send_signal(signal.SIGKILL)
    killed = time.monotonic()
    try:
        client.wait(timeout=60)
        exited = f"{time.monotonic() - killed:.2f} s after the kill, exit code {client.returncode}"
    except subprocess.TimeoutExpired:
        exited = "still running 60 s after the kill"
    rows = [
        ("sessions up before the kill", up.group(1) if up else "never reported"),
        ("killed pid is the AC's python", f"{is_python} ({b' '.join(cmdline[:4]).decode()} ...)"),
        ("client exited", exited),
        ("expected", "exit code 1 within about echo interval x (failure + 1) = 4 s"),
    ]
    table("kill: SIGKILL to the AC with 20 sessions up (client echo 1 s, failure 3)", rows)
    for line in tail(log, 6):
        print(f"    | {line}")


SCENARIOS = {"padr": scenario_padr, "flood": scenario_flood, "kill": scenario_kill}


def run(name: str, args) -> None:
    with tempfile.TemporaryDirectory(prefix=f"pppemu-hostile-{name}.") as tmp:
        tmp = Path(tmp)
        lab = Lab(tmp, prefix="h")
        try:
            SCENARIOS[name](lab, tmp, args)
        except Exception:
            for log in sorted(tmp.glob("*.log")):
                print(f"--- {log.name}\n{log.read_text()[-2000:]}", file=sys.stderr)
            raise
        finally:
            lab.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scenario", choices=[*SCENARIOS, "all"], default="all")
    parser.add_argument("--flood-seconds", type=float, default=30)
    parser.add_argument("--hold", type=float, default=60, help="padr: seconds the attacker waits for PADTs")
    parser.add_argument("--legit-deadline", type=float, default=60,
                        help="padr: seconds the legitimate client keeps trying")
    args = parser.parse_args()
    print(describe())
    for name in SCENARIOS if args.scenario == "all" else [args.scenario]:
        run(name, args)


if __name__ == "__main__":
    main()
