"""Subscribers on VLANs over one veth pair: 1:1 QinQ, N:1, and an AC on a trunk serving
untagged, single- and double-tagged subscribers at once. The tags are written and read in
user space; the captures (tags included, as on the wire) show every session on its own stack
both ways."""
import json
import signal
from pathlib import Path

import pytest

from pppemu.conformance.pcap import read_frames
from pppemu.wire.ethernet import mac_bytes, tags_end, vlan_ids

pytestmark = pytest.mark.e2e
AC_ARGS = ("--local-ip", "10.100.0.1", "--pool", "10.100.0.0/16", "--user", "lab", "--password", "pw", "-q")
BROADCAST = b"\xff" * 6


def stacks_by_subscriber(pcap: Path, ac_mac: bytes) -> dict[bytes, dict[str, set[tuple[int, ...]]]]:
    """For each subscriber MAC in a capture: the VLAN id stacks of its frames, to and from the AC."""
    seen: dict[bytes, dict[str, set[tuple[int, ...]]]] = {}
    for _, frame in read_frames(pcap):
        dst, src = frame[0:6], frame[6:12]
        if src == ac_mac:
            mac, way = dst, "from_ac"
        elif dst in (ac_mac, BROADCAST):
            mac, way = src, "to_ac"
        else:
            continue
        stacks = seen.setdefault(mac, {"from_ac": set(), "to_ac": set()})
        stacks[way].add(vlan_ids(frame[12:tags_end(frame)]))
    return seen


def ac_mac_of(log: Path) -> bytes:
    """The AC prints its MAC in its ready line."""
    line = next(line for line in log.read_text().splitlines() if "ready on" in line)
    return mac_bytes(line.split("(")[1].split(")")[0])


def stop(ac) -> None:
    ac.send_signal(signal.SIGTERM)
    assert ac.wait(timeout=20) == 0


def test_1000_sessions_in_one_to_one_qinq_each_on_its_own_stack_both_ways(lab):
    ac, ac_log = lab.start_ac(*AC_ARGS, "--max-sessions-per-mac", "1", "--report", str(lab.tmp / "ac.json"))
    result = lab.run_client("--sessions", "1000", "--user", "lab", "--password", "pw", "--outer-vlan", "100-109",
                            "--inner-vlan", "1-100", "--vlan-priority", "2", "--max-outstanding", "250",
                            "--duration", "1", "--report", str(lab.tmp / "client.json"), timeout=120)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "VLANs 100.1 to 109.100 (1:1, TPID 0x88a8, priority 2)" in result.stdout
    stop(ac)
    client = json.loads((lab.tmp / "client.json").read_text())
    assert client["summary"]["established"] == 1000 and client["summary"]["failed"] == 0
    expected = {mac_bytes(s["mac"]): (100 + (s["number"] - 1) // 100, 1 + (s["number"] - 1) % 100)
                for s in client["sessions"]}
    assert all(tuple(s["vlan"]) == expected[mac_bytes(s["mac"])] for s in client["sessions"])
    assert len(set(expected.values())) == 1000
    served = json.loads((lab.tmp / "ac.json").read_text())
    assert {mac_bytes(s["mac"]): tuple(s["vlan"]) for s in served["sessions"]} == expected
    assert served["pool"]["in_use"] == 0
    # What went over the wire, in both captures: each subscriber on its stack, both ways.
    ac_mac = ac_mac_of(ac_log)
    for pcap in lab.pcaps:
        seen = stacks_by_subscriber(pcap, ac_mac)
        assert set(seen) == set(expected), pcap.name
        for mac, ways in seen.items():
            assert ways == {"from_ac": {expected[mac]}, "to_ac": {expected[mac]}}, (pcap.name, mac.hex(), ways)


def test_1000_sessions_n_to_one_on_one_stack_told_apart_by_mac(lab):
    ac, ac_log = lab.start_ac(*AC_ARGS, "--report", str(lab.tmp / "ac.json"))
    result = lab.run_client("--sessions", "1000", "--user", "lab", "--password", "pw", "--outer-vlan", "200",
                            "--inner-vlan", "300", "--vlan-mode", "N:1", "--vlan-tpid", "0x8100",
                            "--max-outstanding", "250", "--duration", "1", "--report", str(lab.tmp / "client.json"),
                            timeout=120)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    stop(ac)
    client = json.loads((lab.tmp / "client.json").read_text())
    assert client["summary"]["established"] == 1000
    served = json.loads((lab.tmp / "ac.json").read_text())
    assert len({s["mac"] for s in served["sessions"]}) == 1000
    assert len({s["address"] for s in served["sessions"]}) == 1000
    assert {tuple(s["vlan"]) for s in served["sessions"]} == {(200, 300)}
    assert {tuple(s["vlan_tpids"]) for s in served["sessions"]} == {("0x8100", "0x8100")}
    ac_mac = ac_mac_of(ac_log)
    for pcap in lab.pcaps:
        seen = stacks_by_subscriber(pcap, ac_mac)
        assert len(seen) == 1000
        assert all(ways == {"from_ac": {(200, 300)}, "to_ac": {(200, 300)}} for ways in seen.values())
    # the outer tag is 802.1Q as asked: the AC's capture shows the TPID it received
    (_, first), *_ = read_frames(lab.pcaps[0])
    assert first[12:14] == b"\x81\x00"


def test_an_ac_on_a_trunk_serves_untagged_single_and_double_tagged_subscribers_at_once(lab):
    ac, ac_log = lab.start_ac(*AC_ARGS, "--report", str(lab.tmp / "ac.json"))
    runs = {"untagged": ("--mac-base", "02:10:00:00:00:01"),
            "single": ("--mac-base", "02:20:00:00:00:01", "--outer-vlan", "10"),
            "double": ("--mac-base", "02:30:00:00:00:01", "--outer-vlan", "20", "--inner-vlan", "30-79")}
    clients = {name: lab.start_client("--sessions", "50", "--user", "lab", "--password", "pw", "--vlan-mode",
                                      "1:1" if name == "double" else "N:1", "--duration", "2",
                                      "--report", str(lab.tmp / f"{name}.json"), *args, name=name)[0]
               for name, args in runs.items()}
    for name, proc in clients.items():
        assert proc.wait(timeout=60) == 0, (lab.tmp / f"{name}.log").read_text()[-3000:]
    stop(ac)
    served = json.loads((lab.tmp / "ac.json").read_text())["sessions"]
    assert len(served) == 150 and all(s["state"] == "closed" for s in served)
    by_prefix: dict[str, set] = {}
    for s in served:
        by_prefix.setdefault(s["mac"][:5], set()).add(tuple(s["vlan"] or ()))
    assert by_prefix == {"02:10": {()}, "02:20": {(10,)}, "02:30": {(20, inner) for inner in range(30, 80)}}
    for name in runs:
        report = json.loads((lab.tmp / f"{name}.json").read_text())
        assert report["summary"]["established"] == 50, name


def test_an_ac_given_ranges_serves_them_only(lab):
    ac, ac_log = lab.start_ac(*AC_ARGS, "--outer-vlan", "100", "--inner-vlan", "1-10",
                              "--report", str(lab.tmp / "ac.json"))
    ok = lab.run_client("--user", "lab", "--password", "pw", "--outer-vlan", "100", "--inner-vlan", "10",
                        "--duration", "0.2")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    for stack in ((), ("--outer-vlan", "100", "--inner-vlan", "11"), ("--outer-vlan", "100")):
        refused = lab.run_client("--user", "lab", "--password", "pw", "--timeout", "2", *stack)
        assert refused.returncode == 1 and "FAILED" in refused.stdout, refused.stdout
    stop(ac)
    report = json.loads((lab.tmp / "ac.json").read_text())
    assert [tuple(s["vlan"]) for s in report["sessions"]] == [(100, 10)]
    assert report["counters"]["rx.vlan_not_served"] >= 3


def test_one_mac_on_two_vlans_is_two_subscribers(lab):
    ac, ac_log = lab.start_ac(*AC_ARGS, "--max-sessions-per-mac", "1", "--report", str(lab.tmp / "ac.json"))
    # Both clients see each other's frames (same MAC): neither may take the other's. Their
    # captures hold the other's frames too, so only the AC's is judged.
    clients = [lab.start_client("--user", "lab", "--password", "pw", "--mac-base", "02:40:00:00:00:01",
                                "--outer-vlan", vlan, "--duration", "1.5", name=f"vlan{vlan}", capture=False)[0]
               for vlan in ("41", "42")]
    for proc in clients:
        assert proc.wait(timeout=30) == 0
    stop(ac)
    served = json.loads((lab.tmp / "ac.json").read_text())["sessions"]
    assert sorted((s["mac"], tuple(s["vlan"])) for s in served) == [("02:40:00:00:00:01", (41,)),
                                                                   ("02:40:00:00:00:01", (42,))]
    assert len({s["address"] for s in served}) == 2


def test_qinq_on_an_mtu_of_1500_gives_up_8_bytes_and_full_size_packets_still_pass(lab):
    from pppemu.testing.lab import wait_for
    lab.start_ac(*AC_ARGS)
    client, log = lab.start_client("--user", "lab", "--password", "pw", "--outer-vlan", "100", "--inner-vlan", "7",
                                   "--tun", "ppp0")
    wait_for(log, "TUN ppp0", proc=client)
    text = log.read_text()
    assert "MRU 1488 on veth0's MTU of 1500" in text and "LCP: opened, MRU 1488" in text, text
    assert "mtu 1484 " in lab.ns_exec(lab.cl_ns, "ip", "link", "show", "ppp0").stdout
    # 1484-byte packets with Don't Fragment: the largest a QinQ frame carries on this link
    ping = lab.ns_exec(lab.cl_ns, "ping", "-c", "2", "-i", "0.2", "-W", "2", "-M", "do", "-s", "1456", "10.100.0.1")
    assert ping.returncode == 0 and "2 received" in ping.stdout, ping.stdout + ping.stderr
