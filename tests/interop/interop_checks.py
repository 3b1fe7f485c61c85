"""What every interop capture must pass: the conformance checker, and tshark's dissectors."""
from __future__ import annotations

import importlib.util
import shutil
import subprocess
from collections import Counter
from pathlib import Path

from scapy.layers.l2 import Ether
from scapy.layers.ppp import PPP, PPPoED
from scapy.utils import rdpcap

PADS = 0x65
IPCP = 0x8021
LCP = 0xC021
TERMINATE_REQUEST, ECHO_REQUEST, ECHO_REPLY = 5, 9, 10
CONFIGURE_ACK = 2
WIRESHARK_ERROR = 0x00800000  # PI_ERROR in Wireshark's expert info


def assert_capture_clean(pcap: Path) -> None:
    assert pcap.exists() and pcap.stat().st_size > 24, f"no frames captured in {pcap}"
    assert_conforms(pcap)
    assert_tshark_clean(pcap)


def assert_conforms(pcap: Path) -> None:
    """No RFC violation by either side, as judged by pppemu.conformance (once it exists)."""
    spec = importlib.util.find_spec("pppemu.conformance")
    if spec is None or spec.origin is None:  # not written yet (or only a directory so far)
        return
    from pppemu.conformance import check_pcap, format_report

    violations = check_pcap(str(pcap))
    assert not violations, f"{pcap.name}:\n{format_report(violations)}"


def assert_tshark_clean(pcap: Path) -> None:
    """Wireshark's own dissectors find no malformed frame and no error-level expert info."""
    if shutil.which("tshark") is None:
        return
    result = subprocess.run(["tshark", "-n", "-r", str(pcap), "-T", "fields", "-e", "frame.number",
                             "-e", "_ws.malformed", "-e", "_ws.expert.severity", "-e", "_ws.expert.message"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    bad = []
    for line in result.stdout.splitlines():
        number, malformed, severities, message = (line.split("\t") + ["", "", ""])[:4]
        if malformed or any(s and int(s) >= WIRESHARK_ERROR for s in severities.split(",")):
            bad.append(f"frame {number}: {malformed} {message}")
    assert not bad, f"tshark on {pcap.name}:\n" + "\n".join(bad)


def pads_to_ipcp_opened(pcap: Path) -> float:
    """Seconds from the PADS to IPCP open at both ends: the later of each side's first Configure-Ack."""
    pads_time, first_ack = None, {}
    for packet in rdpcap(str(pcap)):
        if packet.haslayer(PPPoED) and packet[PPPoED].code == PADS and pads_time is None:
            pads_time = float(packet.time)
        elif packet.haslayer(PPP) and packet[PPP].proto == IPCP and bytes(packet[PPP].payload)[0] == CONFIGURE_ACK:
            first_ack.setdefault(packet[Ether].src, float(packet.time))
    assert pads_time is not None and len(first_ack) == 2, f"no PADS or no IPCP Ack from each side in {pcap.name}"
    return max(first_ack.values()) - pads_time


def lcp_codes(pcap: Path) -> Counter:
    """How many LCP packets of each code each MAC address sent: {(mac, code): count}."""
    counts: Counter = Counter()
    for packet in rdpcap(str(pcap)):
        if packet.haslayer(PPP) and packet[PPP].proto == LCP:
            counts[(packet[Ether].src, bytes(packet[PPP].payload)[0])] += 1
    return counts
