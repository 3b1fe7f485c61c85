"""Bad command lines against the real CLI: each must end in one clear error line and exit 2.

Runs every case as `python -m pppemu ...` (stdin from /dev/null, a timeout per case)
inside a throwaway network namespace holding a veth pair that is up (veth0/veth1,
MTU 1500), a veth pair with a small MTU (small0/small1, MTU 576) and a veth pair left
down (down0/down1), so that options checked only once the interface is open are
reached too. The namespace is removed whatever happens.

Verdicts: `error (exit 2)` exit code 2, one message line, no traceback;
`traceback` a Python traceback in the output; `unclear (exit 2)` exit code 2 but
no single message line; `accepted` any other exit code, or still running at the
timeout (`accepted (ran)`): the bad input was not refused. A few control cases
(good command lines, such as a /0 pool) must run; they are listed apart.

Prints a Markdown table and `N inputs: T tracebacks, A silently accepted`; exits 1
if any bad input ended in a traceback, was accepted or was unclear. Needs root.

    .venv/bin/python bench/bad_inputs.py [--timeout 20] [--jobs 8] [--only TEXT]
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_PYTHON = ROOT / ".venv" / "bin" / "python"
PYTHON = str(VENV_PYTHON) if VENV_PYTHON.exists() else sys.executable
REFERENCE_PCAP = ROOT / "docs" / "lab-session.pcap"
SMALL_MTU = 576
GARBAGE = os.fsdecode(b"\xff\xfe\x80")  # not UTF-8: reaches pppemu as surrogate escapes
# Capabilities dropped to make a file unreadable even for root (uid 0 bypasses file modes).
NO_DAC = ["setpriv", "--inh-caps", "-all", "--bounding-set", "-dac_override,-dac_read_search"]

CLIENT = ["client", "-i", "veth0", "-u", "alice", "-p", "secret", "--timeout", "3"]
AC = ["ac", "-i", "veth0", "--local-ip", "10.0.0.1", "--pool", "10.0.0.100-10.0.0.199",
      "--user", "alice", "--password", "secret"]


def client(*extra: str, iface: str = "veth0") -> list[str]:
    args = list(CLIENT)
    args[2] = iface
    return args + list(extra)


def ac(*extra: str, iface: str = "veth0", local_ip: str = "10.0.0.1", pool: str = "10.0.0.100-10.0.0.199",
       auth: tuple[str, ...] = ("--user", "alice", "--password", "secret")) -> list[str]:
    return ["ac", "-i", iface, "--local-ip", local_ip, "--pool", pool, *auth, *extra]


@dataclass
class Case:
    kind: str
    args: list[str]
    prefix: list[str] = field(default_factory=list)  # runs before `ip netns exec` (e.g. setpriv)
    control: bool = False  # a good command line that must be accepted (checks the harness too)


@dataclass
class Result:
    case: Case
    exit: int | None  # None: still running at the timeout
    output: str
    first: str
    verdict: str


def fixtures(tmp: Path) -> dict[str, str]:
    """Files the cases point at: secrets files of every bad kind, captures that are not captures."""
    files = {
        "secrets_ok": b"alice * secret\n",
        "secrets_latin1": b"alice * s\xe9cret\n",
        "secrets_empty": b"",
        "secrets_comments": b"# accounts go here\n\n   # none yet\n",
        "secrets_other_server": b"alice other-ac secret\n",
        "secrets_two_fields": b"alice secret\n",
        "secrets_open_quote": b'alice * "secret\n',
        "secrets_unreadable": b"alice * secret\n",
        "text.pcap": b"this is not a capture\n",
        "empty.pcap": b"",
        # A pcap of raw IP (link type 101) with one packet.
        "rawip.pcap": struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 101)
        + struct.pack("<IIII", 0, 0, 20, 20) + bytes(20),
        # A record header announcing a 4 GiB packet that is not there.
        "hugecaplen.pcap": struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)
        + struct.pack("<IIII", 0, 0, 0xFFFFFFFF, 0xFFFFFFFF) + bytes(14),
    }
    paths = {}
    for name, content in files.items():
        path = tmp / name
        path.write_bytes(content)
        paths[name] = str(path)
    os.chmod(paths["secrets_unreadable"], 0)
    reference = REFERENCE_PCAP.read_bytes()
    truncated = tmp / "truncated.pcap"
    truncated.write_bytes(reference[:len(reference) // 2 + 7])
    paths["truncated.pcap"] = str(truncated)
    paths["reference.pcap"] = str(REFERENCE_PCAP)
    folder = tmp / "secrets.d"
    folder.mkdir()
    paths["dir"] = str(folder)
    paths["missing"] = str(tmp / "no-such-file")
    paths["same"] = str(tmp / "same-file")
    return paths


def cases(f: dict[str, str]) -> list[Case]:
    secrets = ("--ac-name", "lab-ac")
    return [
        # --- the interface
        Case("no such interface", client(iface="nosuch0")),
        Case("interface name longer than 15 characters", client(iface="averyveryverylongname0")),
        Case("interface name with a slash", client(iface="eth0/1")),
        Case("empty interface name", client(iface="")),
        Case("interface down (client)", client(iface="down0")),
        Case("interface down (AC)", ac(iface="down0")),
        Case("loopback is not an Ethernet interface (client)", client(iface="lo")),
        Case("loopback is not an Ethernet interface (AC)", ac(iface="lo")),
        Case("--iface missing", ["client", "-u", "alice", "-p", "secret"]),
        # --- client credentials and text fields
        Case("--user without --password (client)", ["client", "-i", "veth0", "-u", "alice"]),
        Case("--user not UTF-8 (client)", client("-u", GARBAGE)),
        Case("--password not UTF-8 (client)", client("-p", GARBAGE)),
        Case("PAP user over 255 bytes", client("--auth", "pap", "-u", "u" * 256)),
        Case("PAP password over 255 bytes", client("--auth", "pap", "-p", "p" * 256)),
        Case("--service over 255 bytes (client)", client("--service", "s" * 256)),
        Case("--circuit-id over 63 bytes", client("--circuit-id", "c" * 64)),
        Case("--remote-id over 63 bytes", client("--remote-id", "r" * 64)),
        Case("--circuit-id over 63 bytes once {n} is expanded",
             client("--circuit-id", "c" * 60 + "{n}", "--sessions", "10000")),
        Case("--circuit-id not UTF-8", client("--circuit-id", GARBAGE)),
        Case("--auth unknown (client)", client("--auth", "mschap")),
        Case("--auth in capitals", client("--auth", "CHAP")),
        Case("--auth empty", client("--auth", "")),
        # --- client numbers
        Case("--sessions not a number", client("--sessions", "ten")),
        Case("--sessions fractional", client("--sessions", "1.5")),
        Case("--sessions 0", client("--sessions", "0")),
        Case("--sessions 1000000000", client("--sessions", "1000000000")),
        Case("--mru not a number (client)", client("--mru", "abc")),
        Case("--mru 1500 without --max-payload", client("--mru", "1500")),
        Case("--mru above what a 576-byte MTU carries", client("--mru", "1492", iface="small0")),
        Case("--max-payload 70000", client("--max-payload", "70000")),
        Case("--max-payload negative", client("--max-payload", "-1")),
        Case("--max-payload 1500 on an interface MTU of 1500 (needs 1508)", client("--max-payload", "1500")),
        Case("--rate negative", client("--rate", "-1")),
        Case("--rate inf", client("--rate", "inf")),
        Case("--rate nan", client("--rate", "nan")),
        Case("--rate not a number", client("--rate", "fast")),
        Case("--max-outstanding negative", client("--max-outstanding", "-5")),
        Case("--max-outstanding not a number", client("--max-outstanding", "lots")),
        Case("--timeout negative", client("--timeout", "-3")),
        Case("--timeout 0", client("--timeout", "0")),
        Case("--timeout nan", client("--timeout", "nan")),
        Case("--echo-interval negative (client)", client("--echo-interval", "-1")),
        Case("--echo-interval nan (client)", client("--echo-interval", "nan")),
        Case("--echo-interval with a unit", client("--echo-interval", "30s")),
        Case("--echo-failure 0 (client)", client("--echo-failure", "0")),
        Case("--echo-failure 256 (client)", client("--echo-failure", "256")),
        Case("--ping negative", client("--ping", "-1")),
        Case("--ping fractional", client("--ping", "1.5")),
        Case("--ping with several sessions", client("--sessions", "2", "--ping", "1")),
        Case("--duration negative", client("--duration", "-1")),
        Case("--duration nan", client("--duration", "nan")),
        Case("--stop-rate negative", client("--stop-rate", "-1")),
        Case("--stop-rate nan", client("--stop-rate", "nan")),
        # --- client MACs
        Case("--mac-base multicast", client("--mac-base", "01:00:5e:00:00:01")),
        Case("--mac-base malformed", client("--mac-base", "zz:00")),
        Case("--mac-base with 7 octets", client("--mac-base", "02:00:00:00:00:00:01")),
        Case("--mac-base all zeros", client("--mac-base", "00:00:00:00:00:00")),
        Case("MACs stepped from --mac-base run into multicast",
             client("--mac-base", "fe:ff:ff:ff:ff:ff", "--sessions", "3")),
        # --- client TUN
        Case("--tun name longer than 15 bytes (client)", client("--tun", "a-very-long-tun-name")),
        Case("--tun name with a slash (client)", client("--tun", "ppp/0")),
        Case("--tun empty name", client("--tun", "")),
        Case("--tun name is a kernel template", client("--tun", "ppp%d")),
        Case("--tun with several sessions", client("--tun", "ppp0", "--sessions", "2")),
        Case("--default-route without --tun", client("--default-route")),
        # --- output files
        Case("--report in a missing directory (client)", client("--report", "/nonexistent-dir/r.json")),
        Case("--report is a directory", client("--report", "/")),
        Case("--report under a regular file", client("--report", "/etc/hostname/r.json")),
        Case("--report where even root cannot create files (client)", client("--report", "/proc/r.json")),
        Case("--pcap in a missing directory (client)", client("--pcap", "/nonexistent-dir/c.pcap")),
        Case("--pcap is a directory", client("--pcap", "/")),
        Case("--pcap where even root cannot create files (client)", client("--pcap", "/proc/c.pcap")),
        Case("--report and --pcap the same file", client("--report", f["same"], "--pcap", f["same"])),
        # --- AC addresses
        Case("--local-ip not an address", ac(local_ip="gateway")),
        Case("--local-ip octet over 255", ac(local_ip="10.0.0.256")),
        Case("--local-ip IPv6", ac(local_ip="fe80::1")),
        Case("--local-ip 0.0.0.0", ac(local_ip="0.0.0.0")),
        Case("--local-ip multicast", ac(local_ip="224.0.0.1")),
        Case("--local-ip broadcast", ac(local_ip="255.255.255.255")),
        Case("--local-ip not UTF-8", ac(local_ip=GARBAGE)),
        Case("--dns not an address", ac("--dns", "not-an-ip")),
        Case("--dns octet over 255", ac("--dns", "10.0.0.256")),
        Case("three --dns", ac("--dns", "10.0.0.53", "--dns", "10.0.0.54", "--dns", "10.0.0.55")),
        Case("--pool range backwards", ac(pool="10.0.0.200-10.0.0.100")),
        Case("--pool prefix /33", ac(pool="10.0.0.0/33")),
        Case("--pool a word", ac(pool="banana")),
        Case("--pool empty", ac(pool="")),
        Case("--pool range without an end", ac(pool="10.0.0.100-")),
        Case("--pool holding only --local-ip", ac(pool="10.0.0.1")),
        Case("--pool multicast addresses", ac(pool="224.0.0.0/24")),
        Case("--pool loopback addresses", ac(pool="127.0.0.0/24")),
        Case("--pool given twice (overlapping)", ac("--pool", "10.0.0.128/25", pool="10.0.0.0/24")),
        # --- AC names, services, auth
        Case("--ac-name over 64 bytes", ac("--ac-name", "a" * 300)),
        Case("--ac-name not UTF-8", ac("--ac-name", GARBAGE)),
        Case("--service over 64 bytes (AC)", ac("--service", "s" * 65)),
        Case("nine --service", ac(*[a for i in range(9) for a in ("--service", f"svc{i}")])),
        Case("AC-Name and Service-Names make a PADO bigger than a 576-byte MTU",
             ac("--mru", "568", "--ac-name", "a" * 64, *[a for i in range(8) for a in ("--service", f"{i}" * 64)],
                iface="small0")),
        Case("--auth unknown (AC)", ac("--auth", "mschap")),
        Case("--auth any (AC demands one)", ac("--auth", "any")),
        Case("--user without --password (AC)", ac(auth=("--user", "alice"))),
        Case("--password without --user (AC)", ac(auth=("--password", "secret"))),
        Case("no --user nor --secrets (AC)", ac(auth=())),
        Case("--user not UTF-8 (AC)", ac(auth=("--user", GARBAGE, "--password", "secret"))),
        Case("--secrets and --user together", ac(auth=("--secrets", f["secrets_ok"], "--user", "alice",
                                                       "--password", "secret"))),
        # --- AC secrets files
        Case("--secrets missing", ac(auth=("--secrets", f["missing"]))),
        Case("--secrets is a directory", ac(auth=("--secrets", f["dir"]))),
        Case("--secrets unreadable", ac(auth=("--secrets", f["secrets_unreadable"])), prefix=NO_DAC),
        Case("--secrets not UTF-8", ac(*secrets, auth=("--secrets", f["secrets_latin1"]))),
        Case("--secrets empty", ac(*secrets, auth=("--secrets", f["secrets_empty"]))),
        Case("--secrets only comments", ac(*secrets, auth=("--secrets", f["secrets_comments"]))),
        Case("--secrets with no entry for this AC", ac(*secrets, auth=("--secrets", f["secrets_other_server"]))),
        Case("--secrets line with two fields", ac(*secrets, auth=("--secrets", f["secrets_two_fields"]))),
        Case("--secrets line with an open quote", ac(*secrets, auth=("--secrets", f["secrets_open_quote"]))),
        # --- AC numbers
        Case("--max-sessions negative", ac("--max-sessions", "-1")),
        Case("--max-sessions 0", ac("--max-sessions", "0")),
        Case("--max-sessions beyond the 65534 PPPoE session ids", ac("--max-sessions", "100000")),
        Case("--max-sessions not a number", ac("--max-sessions", "lots")),
        Case("--max-sessions-per-mac negative", ac("--max-sessions-per-mac", "-1")),
        Case("--echo-interval negative (AC)", ac("--echo-interval", "-1")),
        Case("--echo-interval nan (AC)", ac("--echo-interval", "nan")),
        Case("--echo-interval inf (AC)", ac("--echo-interval", "inf")),
        Case("--echo-failure 0 (AC)", ac("--echo-failure", "0")),
        Case("--echo-failure not a number", ac("--echo-failure", "three")),
        Case("--mru 70000 (AC)", ac("--mru", "70000")),
        Case("--mru 1500 (AC)", ac("--mru", "1500")),
        Case("--mru 100 (AC)", ac("--mru", "100")),
        Case("AC --mru above what a 576-byte MTU carries", ac("--mru", "1492", iface="small0")),
        # --- AC TUN and output files
        Case("--tun name longer than 15 bytes (AC)", ac("--tun", "a-very-long-tun-name")),
        Case("--tun name with a slash (AC)", ac("--tun", "ppp/0")),
        Case("--tun names an existing veth", ac("--tun", "veth1")),
        Case("--report in a missing directory (AC)", ac("--report", "/nonexistent-dir/r.json")),
        Case("--report where even root cannot create files (AC)", ac("--report", "/proc/r.json")),
        Case("--pcap in a missing directory (AC)", ac("--pcap", "/nonexistent-dir/c.pcap")),
        Case("--pcap where even root cannot create files (AC)", ac("--pcap", "/proc/c.pcap")),
        # --- pppemu check
        Case("check: missing file", ["check", f["missing"]]),
        Case("check: a directory", ["check", f["dir"]]),
        Case("check: a text file", ["check", f["text.pcap"]]),
        Case("check: an empty file", ["check", f["empty.pcap"]]),
        Case("check: a truncated pcap", ["check", f["truncated.pcap"]]),
        Case("check: a raw-IP pcap (not Ethernet)", ["check", f["rawip.pcap"]]),
        Case("check: a record claiming 4 GiB", ["check", f["hugecaplen.pcap"]]),
        Case("check: unreadable file", ["check", f["secrets_unreadable"]], prefix=NO_DAC),
        Case("check: --json in a missing directory",
             ["check", f["reference.pcap"], "--json", "/nonexistent-dir/v.json"]),
        Case("check: --json where even root cannot create files", ["check", f["reference.pcap"], "--json",
                                                                  "/proc/v.json"]),
        Case("check: no file given", ["check"]),
        # --- the command line itself
        Case("unknown command", ["server", "-i", "veth0"]),
        Case("unknown option", client("--bogus")),
        Case("extra positional argument", client("extra")),
        Case("--local-ip missing (AC)",
             ["ac", "-i", "veth0", "--pool", "10.0.0.100", "--user", "a", "--password", "b"]),
        # --- controls: good command lines that must run (no AC answers the client, which exits 1)
        Case("control: a plain client", client(), control=True),
        Case("control: --pool 0.0.0.0/0", ac(pool="0.0.0.0/0"), control=True),
        Case("control: --pool 10.0.0.0/8", ac(pool="10.0.0.0/8"), control=True),
        Case("control: --dns inside the pool (left out of the pool)", ac("--dns", "10.0.0.150"), control=True),
    ]


BOX = "│╭╮╰╯─┃━"
NOISE = re.compile(r"^(Usage: |Try '.*--help' for help\.|Error$)")


def message_lines(output: str) -> list[str]:
    """What the user is told: lines without click's usage boilerplate and rich's box drawing."""
    lines = []
    for line in output.splitlines():
        text = line.strip().strip(BOX).strip().strip("─").strip()
        if text and not NOISE.match(text):
            lines.append(text)
    return lines


def verdict(exit_code: int | None, output: str, lines: list[str]) -> str:
    if "Traceback" in output:
        return "traceback"
    if exit_code is None:
        return "accepted (ran)"
    if exit_code == 2:
        return "error (exit 2)" if len(lines) == 1 else f"unclear (exit 2, {len(lines)} lines)"
    return f"accepted (exit {exit_code})"


def run_case(case: Case, ns: str, timeout: float) -> Result:
    command = [*case.prefix, "ip", "netns", "exec", ns, PYTHON, "-m", "pppemu", *case.args]
    env = dict(os.environ, COLUMNS="200", NO_COLOR="1")
    proc = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            cwd=ROOT, env=env)
    try:
        out, err = proc.communicate(timeout=timeout)
        code: int | None = proc.returncode
    except subprocess.TimeoutExpired:
        proc.terminate()  # lets pppemu run its shutdown path (and show what it does there)
        try:
            out, err = proc.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate()
        code = None
    output = err.decode(errors="backslashreplace") + out.decode(errors="backslashreplace")
    lines = message_lines(output)
    first = lines[0] if lines else ""
    return Result(case, code, output, first, verdict(code, output, lines))


def shown(arg: str) -> str:
    """An argument as a shell would take it, long repeats shortened."""
    match = re.fullmatch(r"(.)\1{23,}(.*)", arg)
    if match:
        run = len(arg) - len(match.group(2))
        return f"<{arg[0]}×{run}>{match.group(2)}"
    if any(not c.isprintable() or "\udc80" <= c <= "\udcff" for c in arg):
        return "$'" + "".join(f"\\x{os.fsencode(c)[0]:02x}" if not c.isprintable() or c >= "\udc80"
                              else c for c in arg) + "'"
    if not arg or re.search(r"[^\w@%+=:,./-]", arg):
        return "'" + arg.replace("'", "'\\''") + "'"
    return arg


def command_line(case: Case, tmp: str) -> str:
    text = " ".join(shown(a) for a in case.args).replace(tmp, "$TMP").replace(str(ROOT) + "/", "")
    return "pppemu " + text


def cell(text: str, limit: int = 160) -> str:
    text = text if len(text) <= limit else text[:limit - 1] + "…"
    return text.replace("|", "\\|")


def table(results: list[Result], tmp: str) -> str:
    rows = ["| kind | command | exit | first line | verdict |", "|---|---|---|---|---|"]
    for r in results:
        code = "timeout" if r.exit is None else str(r.exit)
        rows.append(f"| {cell(r.case.kind)} | `{cell(command_line(r.case, tmp), 400)}` | {code} | "
                    f"{cell(r.first)} | {r.verdict} |")
    return "\n".join(rows)


def ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True)


def make_namespace() -> str:
    ns = f"pppemu-bad-{os.getpid()}-{uuid.uuid4().hex[:6]}"
    ip("netns", "add", ns)
    try:
        ip("-n", ns, "link", "set", "lo", "up")
        for a, b, mtu, up in (("veth0", "veth1", 1500, True), ("small0", "small1", SMALL_MTU, True),
                              ("down0", "down1", 1500, False)):
            ip("-n", ns, "link", "add", a, "mtu", str(mtu), "type", "veth", "peer", "name", b, "mtu", str(mtu))
            if up:
                ip("-n", ns, "link", "set", a, "up")
                ip("-n", ns, "link", "set", b, "up")
    except BaseException:
        subprocess.run(["ip", "netns", "del", ns], check=False)
        raise
    return ns


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timeout", type=float, default=20.0, help="seconds before a run counts as accepted")
    parser.add_argument("--jobs", type=int, default=8, help="cases run at once")
    parser.add_argument("--only", help="run only the cases whose kind contains this text")
    parser.add_argument("--show-output", action="store_true", help="print the whole output of failing cases")
    opts = parser.parse_args()
    if os.geteuid() != 0:
        print("bad_inputs: needs root (network namespace, raw sockets)", file=sys.stderr)
        return 2
    missing = [tool for tool in ("ip", "setpriv") if shutil.which(tool) is None]
    if missing:
        print(f"bad_inputs: missing {', '.join(missing)}", file=sys.stderr)
        return 2
    tmp = tempfile.mkdtemp(prefix="pppemu-bad-")
    ns = None
    try:
        files = fixtures(Path(tmp))
        selected = [c for c in cases(files) if not opts.only or opts.only in c.kind]
        kinds = [c.kind for c in selected]
        assert len(kinds) == len(set(kinds)), "two cases share a kind"
        ns = make_namespace()
        with ThreadPoolExecutor(max_workers=opts.jobs) as pool:
            results = list(pool.map(lambda c: run_case(c, ns, opts.timeout), selected))
    finally:
        if ns is not None:
            subprocess.run(["ip", "netns", "del", ns], check=False)
        shutil.rmtree(tmp, ignore_errors=True)
    bad = [r for r in results if not r.case.control]
    controls = [r for r in results if r.case.control]
    print(table(bad, tmp))
    if controls:
        print("\nControls (good command lines, must run):\n")
        print(table(controls, tmp))
    tracebacks = sum(r.verdict == "traceback" for r in bad)
    accepted = sum(r.verdict.startswith("accepted") for r in bad)
    unclear = sum(r.verdict.startswith("unclear") for r in bad)
    broken_controls = [r for r in controls if not r.verdict.startswith("accepted")]
    summary = f"{len(bad)} inputs: {tracebacks} tracebacks, {accepted} silently accepted"
    if unclear:
        summary += f", {unclear} unclear"
    if broken_controls:
        summary += f"; {len(broken_controls)} control(s) refused"
    print("\n" + summary)
    if opts.show_output:
        for r in bad + broken_controls:
            if r.verdict != "error (exit 2)" or r in broken_controls:
                print(f"\n### {r.case.kind} ({r.verdict})\n```\n{r.output.strip()}\n```")
    return 1 if tracebacks or accepted or unclear or broken_controls else 0


if __name__ == "__main__":
    sys.exit(main())
