"""Our client and our AC through rp-pppoe's pppoe-relay, in three namespaces.

    client ns veth0 --- to-cl  relay ns (pppoe-relay -F -C to-cl -S to-ac)  to-ac --- veth0 AC ns

What pppoe-relay does (rp-pppoe relay.c, and seen here): it adds a 10-byte
Relay-Session-Id (its interface index and the client's MAC) to each PADI and
drops a PADO/PADR/PADS without one; it replaces that tag with its own in the
PADO and the PADR it forwards, strips it from the PADS, renumbers sessions and
sends everything from its own MACs. So each side meets Relay-Session-Id:

- the AC receives it in PADI and PADR and MUST echo it unmodified in PADO and
  PADS (RFC 2516 Appendix A, "If either the Host or Access Concentrator receives
  this TAG they MUST include it unmodified in any discovery packet they send as
  a response");
- the client receives it in the PADO and MUST echo it unmodified in the PADR.

Every subscriber shares the relay's MAC at the AC, hence --max-sessions-per-mac 0
and --mac-discovery-rate 0.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import time

import pytest
from conformance_judge import tshark_findings

from pppemu.conformance import check_pcap, format_report, read_frames
from pppemu.testing.lab import namespaces, wait_for
from pppemu.testing.relay import CLIENT_SIDE, SERVER_SIDE, RelayLab
from pppemu.wire import const as C
from pppemu.wire.ethernet import decode_eth, mac_str
from pppemu.wire.pppoe import Discovery, decode_discovery

pytestmark = pytest.mark.e2e

AC_ARGS = ("--local-ip", "10.0.0.1", "--pool", "10.0.0.100-10.0.0.149", "--dns", "10.0.0.53",
           "--user", "lab", "--password", "lab-secret",
           "--max-sessions-per-mac", "0", "--mac-discovery-rate", "0")
RELAY_TAG_LEN = 10  # pppoe-relay's own: a C int (its interface index) and a MAC


@pytest.fixture
def relay_lab(tmp_path):
    if os.geteuid() != 0:
        pytest.skip("end-to-end tests need root for namespaces and raw sockets")
    if shutil.which("pppoe-relay") is None:
        pytest.skip("pppoe-relay is not installed (make deps installs rp-pppoe)")
    lab = RelayLab(tmp_path)
    try:
        yield lab
    finally:
        lab.close()  # stops pppoe-relay (by pid) with the AC and the clients, whatever happened
        assert not {lab.ac_ns, lab.cl_ns, lab.relay_ns} & namespaces()


def discovery(pcap) -> list[tuple[bytes, bytes, Discovery]]:
    """(src, dst, Discovery) for each PPPoE discovery frame in a capture."""
    found = []
    for _, data in read_frames(pcap):
        eth = decode_eth(data)
        if eth.ethertype == C.ETH_DISCOVERY:
            found.append((eth.src, eth.dst, decode_discovery(eth.payload)))
    return found


def by_host_uniq(frames, code: int) -> dict[bytes | None, Discovery]:
    return {pkt.tag(C.TAG_HOST_UNIQ): pkt for _, _, pkt in frames if pkt.code == code}


def judge(pcap) -> None:
    """No violation at all. In the client's capture pppoe-relay's PADS lacks the Relay-Session-Id of
    the PADR: the relay added that tag to the PADO itself and strips it again (relay.c,
    relayHandlePADS), which the checker tells apart from an AC dropping the tag it received."""
    violations = check_pcap(pcap)
    assert not violations, f"RFC violations in {pcap.name}:\n" + format_report(violations)
    assert not tshark_findings(pcap), f"Wireshark finds errors in {pcap.name}: {tshark_findings(pcap)}"


def assert_relay_session_id_echoed(lab, ac_pcap, client_pcap, sessions: int) -> None:
    relay_ac_mac, relay_cl_mac = lab.mac(lab.relay_ns, SERVER_SIDE), lab.mac(lab.relay_ns, CLIENT_SIDE)
    ac_mac, client_mac = lab.mac(lab.ac_ns, "veth0"), lab.mac(lab.cl_ns, "veth0")

    # The AC's side: everything comes from the relay, each PADI and PADR carries its tag, and the
    # AC's PADO and PADS carry the very same bytes back (one Relay-Session-Id, unmodified).
    at_ac = discovery(ac_pcap)
    received = [(src, pkt) for src, dst, pkt in at_ac if dst in (ac_mac, b"\xff" * 6)]
    assert received and {src for src, _ in received} == {relay_ac_mac}
    padis, pados = by_host_uniq(at_ac, C.PADI), by_host_uniq(at_ac, C.PADO)
    padrs, padss = by_host_uniq(at_ac, C.PADR), by_host_uniq(at_ac, C.PADS)
    assert len(padis) == len(pados) == len(padrs) == len(padss) == sessions, (len(padis), len(padss))
    hosts = {pkt.tag(C.TAG_HOST_UNIQ): src for src, _, pkt in discovery(client_pcap) if pkt.code == C.PADI}
    for uniq, padi in padis.items():
        (relay_id,) = padi.all_tags(C.TAG_RELAY_SESSION_ID)
        assert len(relay_id) == RELAY_TAG_LEN and relay_id.endswith(hosts[uniq])  # names the subscriber
        assert pados[uniq].all_tags(C.TAG_RELAY_SESSION_ID) == [relay_id], "PADO must echo the PADI's"
        (relay_id,) = padrs[uniq].all_tags(C.TAG_RELAY_SESSION_ID)
        assert padss[uniq].all_tags(C.TAG_RELAY_SESSION_ID) == [relay_id], "PADS must echo the PADR's"
        assert padss[uniq].session_id not in (0, 0xFFFF)

    # The client's side: the relay answers as the AC; its PADO carries its own Relay-Session-Id
    # (its AC-side interface and our AC's MAC), which our PADR returns unmodified; its PADS has none.
    at_client = discovery(client_pcap)
    assert {src for src, dst, pkt in at_client if pkt.code in (C.PADO, C.PADS)} == {relay_cl_mac}
    padis, pados = by_host_uniq(at_client, C.PADI), by_host_uniq(at_client, C.PADO)
    padrs, padss = by_host_uniq(at_client, C.PADR), by_host_uniq(at_client, C.PADS)
    assert len(padis) == len(pados) == len(padrs) == len(padss) == sessions
    for uniq, pado in pados.items():
        assert padis[uniq].tag(C.TAG_RELAY_SESSION_ID) is None  # a host adds none of its own
        (relay_id,) = pado.all_tags(C.TAG_RELAY_SESSION_ID)
        assert len(relay_id) == RELAY_TAG_LEN and relay_id.endswith(ac_mac)
        assert padrs[uniq].all_tags(C.TAG_RELAY_SESSION_ID) == [relay_id], "PADR must echo the PADO's"
        assert padss[uniq].tag(C.TAG_RELAY_SESSION_ID) is None  # pppoe-relay strips it
    if sessions == 1:
        assert {src for src, _, pkt in at_client if pkt.code in (C.PADI, C.PADR)} == {client_mac}


def stop_ac(ac, ac_log, report) -> dict:
    ac.send_signal(signal.SIGTERM)
    assert ac.wait(timeout=15) == 0, ac_log.read_text()
    return json.loads(report.read_text())


def wait_for_count(log, text: str, count: int, proc, timeout: float = 10) -> None:
    end = time.monotonic() + timeout
    while log.read_text().count(text) < count:
        assert proc.poll() is None, log.read_text()
        assert time.monotonic() < end, f"{count} x {text!r} not seen in {timeout} s:\n{log.read_text()}"
        time.sleep(0.05)


def test_one_session_through_pppoe_relay_pings_and_ends_cleanly(relay_lab):
    lab = relay_lab
    relay = lab.start_relay()
    ac_pcap, client_pcap, ac_report = lab.tmp / "ac.pcap", lab.tmp / "client.pcap", lab.tmp / "ac.json"
    ac, ac_log = lab.start_ac(*AC_ARGS, "--pcap", str(ac_pcap), "--report", str(ac_report))
    result = lab.run_client("--user", "lab", "--password", "lab-secret", "--ping", "3", "--duration", "0.3",
                            "--timeout", "10", "--pcap", str(client_pcap), "--report", str(lab.tmp / "client.json"),
                            timeout=30)
    assert result.returncode == 0, result.stdout + result.stderr + ac_log.read_text()
    relay_cl_mac = mac_str(lab.mac(lab.relay_ns, CLIENT_SIDE))
    assert f"with {relay_cl_mac}" in result.stdout  # the client's AC is the relay
    assert "IPCP: opened, address 10.0.0.100, gateway 10.0.0.1, DNS 10.0.0.53" in result.stdout
    assert "3/3 answered" in result.stdout
    (session,) = json.loads((lab.tmp / "client.json").read_text())["sessions"]
    assert session["state"] == "closed" and session["peer_mac"] == relay_cl_mac
    wait_for(ac_log, "session down", proc=ac)
    assert relay.poll() is None, "pppoe-relay died"
    report = stop_ac(ac, ac_log, ac_report)

    (ended,) = report["sessions"]
    relay_ac_mac = mac_str(lab.mac(lab.relay_ns, SERVER_SIDE))
    assert ended["state"] == "closed" and ended["mac"] == relay_ac_mac and ended["username"] == "lab"
    assert "user request" in ended["reason"]  # the client ended it, through the relay
    assert report["pool"]["in_use"] == 0 and report["pool"]["free"] == report["pool"]["size"]
    assert report["counters"]["sessions.ended"] == 1
    assert_relay_session_id_echoed(lab, ac_pcap, client_pcap, sessions=1)
    judge(ac_pcap)
    judge(client_pcap)


def test_twenty_sessions_through_pppoe_relay_share_its_mac_at_the_ac(relay_lab):
    lab = relay_lab
    relay = lab.start_relay()
    ac_pcap, client_pcap, ac_report = lab.tmp / "ac.pcap", lab.tmp / "client.pcap", lab.tmp / "ac.json"
    ac, ac_log = lab.start_ac(*AC_ARGS, "--pcap", str(ac_pcap), "--report", str(ac_report))
    # All twenty in discovery at once: at the AC they share the relay's MAC, and the checker tells
    # their PADIs, PADOs, PADRs and PADSes apart by Host-Uniq and Relay-Session-Id.
    result = lab.run_client("--user", "lab", "--password", "lab-secret", "--sessions", "20",
                            "--max-outstanding", "20", "--duration", "0.5", "--timeout", "10",
                            "--pcap", str(client_pcap), "--report", str(lab.tmp / "client.json"), timeout=30)
    assert result.returncode == 0, result.stdout + result.stderr + ac_log.read_text()
    client = json.loads((lab.tmp / "client.json").read_text())
    assert client["summary"]["established"] == 20 and client["summary"]["failed"] == 0
    assert {s["state"] for s in client["sessions"]} == {"closed"}
    assert len({s["address"] for s in client["sessions"]}) == 20
    wait_for_count(ac_log, "session down", 20, proc=ac)
    assert relay.poll() is None, "pppoe-relay died"
    report = stop_ac(ac, ac_log, ac_report)

    relay_ac_mac = mac_str(lab.mac(lab.relay_ns, SERVER_SIDE))
    assert len(report["sessions"]) == 20 and {s["mac"] for s in report["sessions"]} == {relay_ac_mac}
    assert {s["state"] for s in report["sessions"]} == {"closed"}
    assert all("user request" in s["reason"] for s in report["sessions"])
    assert report["pool"]["in_use"] == 0 and report["pool"]["free"] == report["pool"]["size"]
    assert report["counters"]["sessions.ended"] == 20
    assert_relay_session_id_echoed(lab, ac_pcap, client_pcap, sessions=20)
    judge(ac_pcap)
    judge(client_pcap)
