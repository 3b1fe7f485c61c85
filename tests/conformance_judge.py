"""The conformance checker as the judge of every exchange the tests produce.

In memory: each side is judged on its own capture (Pair.seen), as a tap on its
interface would record it: what it sent and what reached it. Only that side's
violations count there, so frames a test injects or loses on purpose cannot be
blamed on the side that never saw them. End to end: every pcap the lab wrote.
A test that makes one of our sides misbehave on purpose names the violations it
provokes (Pair.expected_violations); they must then be reported. A fuzz test whose
injected frames are random mutations turns judging off for its Pair (judged=False).
"""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from pppemu.conformance import Violation, check_frames


def judge_pair(pair) -> list[Violation]:
    """Our client's violations in the client's capture and our AC's in the AC's."""
    if not pair.judged:
        return []
    found = []
    for side, capture in pair.seen.items():
        violations = check_frames((when, frame) for when, frame, _ in capture)
        found += [v for v in violations if v.side in (side, "unknown")]
    missing = pair.expected_violations - {(v.rule, v.side) for v in found}
    assert not missing, f"violations the test provoked were not reported: {sorted(missing)}"
    return [v for v in found if (v.rule, v.side) not in pair.expected_violations]


def tshark_findings(path: Path) -> list[str]:
    """Frames Wireshark's own dissectors call malformed or flag at error level."""
    if shutil.which("tshark") is None:
        return ["tshark is not installed (make test installs it)"]
    out = subprocess.run(["tshark", "-n", "-r", str(path), "-T", "fields", "-e", "frame.number",
                          "-e", "_ws.malformed", "-e", "_ws.expert.severity", "-e", "_ws.expert.message"],
                         capture_output=True, text=True, timeout=120)
    if out.returncode != 0:
        return [f"tshark could not read {path}: {out.stderr.strip()}"]
    findings = []
    for line in out.stdout.splitlines():
        number, malformed, severity, message = (line.split("\t") + ["", "", ""])[:4]
        # Severity is a bit field; 0x00800000 is "error" (PI_ERROR).
        levels = [int(x, 0) for x in severity.split(",") if x]
        if malformed or any(level >= 0x00800000 for level in levels):
            findings.append(f"frame {number}: {message or 'malformed'}")
    return findings
