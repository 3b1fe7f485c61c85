"""Many subscribers, the session limit, and TUN at both ends, in real namespaces."""
import hashlib
import json
import signal
import socket
import subprocess
import sys

import netns
import pytest

from pppemu.testing.lab import wait_for

pytestmark = pytest.mark.e2e


def test_200_chap_sessions_with_distinct_addresses_and_a_full_pool_after(lab):
    secrets = lab.tmp / "chap-secrets"
    secrets.write_text("".join(f"user{n}@lab * pw{n}\n" for n in range(1, 201)))
    ac, _ = lab.start_ac("--local-ip", "10.100.0.1", "--pool", "10.100.0.0/16", "--secrets", str(secrets),
                         "-q", "--report", str(lab.tmp / "ac.json"))
    result = lab.run_client("--sessions", "200", "--user", "user{n}@lab", "--password", "pw{n}",
                            "--max-outstanding", "100", "--duration", "1", "--circuit-id", "olt1 pon 0/{n}",
                            "--report", str(lab.tmp / "client.json"))
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads((lab.tmp / "client.json").read_text())
    assert report["summary"]["established"] == 200 and report["summary"]["failed"] == 0
    addresses = [s["address"] for s in report["sessions"]]
    assert len(set(addresses)) == 200 and all(a.startswith("10.100.") for a in addresses)
    assert len({s["mac"] for s in report["sessions"]}) == 200
    assert all(s["state"] == "closed" and s["reason"] == "user request" for s in report["sessions"])
    assert report["setup_rate"]["overall_per_s"] > 0
    assert report["summary"]["setup_ms"]["p50"] <= report["summary"]["setup_ms"]["p99"]
    ac.send_signal(signal.SIGTERM)
    assert ac.wait(timeout=15) == 0
    ac_report = json.loads((lab.tmp / "ac.json").read_text())
    assert ac_report["pool"]["in_use"] == 0 and ac_report["pool"]["free"] == ac_report["pool"]["size"]
    assert sorted(s["username"] for s in ac_report["sessions"]) == sorted(f"user{n}@lab" for n in range(1, 201))
    assert all(s["state"] == "closed" for s in ac_report["sessions"])
    by_user = {s["username"]: s["circuit_id"] for s in ac_report["sessions"]}
    assert by_user["user7@lab"] == "olt1 pon 0/7" and len(set(by_user.values())) == 200


def test_session_limit_refuses_the_extra_one_and_serves_the_rest(lab):
    ac, ac_log = lab.start_ac("--local-ip", "10.0.0.1", "--pool", "10.0.0.100-10.0.0.199", "--user", "lab",
                              "--password", "pw", "--max-sessions", "3", "--report", str(lab.tmp / "ac.json"))
    result = lab.run_client("--sessions", "4", "--user", "lab", "--password", "pw", "--duration", "0.5",
                            "--timeout", "30", "--report", str(lab.tmp / "client.json"))
    assert result.returncode == 1
    report = json.loads((lab.tmp / "client.json").read_text())
    assert report["summary"]["established"] == 3 and report["summary"]["failed"] == 1
    (reason,) = report["summary"]["failure_reasons"]
    assert "AC-System-Error" in reason or "no PADO" in reason
    # The AC goes on serving: a new session comes up once the others are gone.
    result = lab.run_client("--user", "lab", "--password", "pw", "--duration", "0.2")
    assert result.returncode == 0, result.stdout


def test_tun_at_both_ends_carries_ping_and_tcp(lab):
    ac, ac_log = lab.start_ac("--local-ip", "10.0.0.1", "--pool", "10.0.0.100-10.0.0.199", "--user", "lab",
                              "--password", "pw", "--tun", "pppac")
    client, client_log = lab.start_client("--user", "lab", "--password", "pw", "--tun", "ppp0")
    wait_for(client_log, "TUN ppp0", proc=client)
    ping = lab.ns_exec(lab.cl_ns, "ping", "-c", "3", "-i", "0.2", "-W", "2", "10.0.0.1")
    assert ping.returncode == 0 and "3 received" in ping.stdout, ping.stdout + ping.stderr

    # TCP: a server in the AC's namespace hashes what it receives; we send 4 MB through the session.
    server = subprocess.Popen(["ip", "netns", "exec", lab.ac_ns, sys.executable, "-c", TCP_SERVER],
                              stdout=subprocess.PIPE, text=True)
    lab.procs.append(server)
    assert server.stdout.readline().strip() == "listening"
    payload = bytes(range(256)) * 16384
    with netns.NetNS(nsname=lab.cl_ns):
        conn = socket.create_connection(("10.0.0.1", 5201), timeout=10)
    with conn:
        conn.sendall(payload)
        conn.shutdown(socket.SHUT_WR)
        digest = conn.recv(64).decode()
    assert digest == hashlib.sha256(payload).hexdigest()
    assert server.wait(timeout=10) == 0


TCP_SERVER = """
import hashlib, socket
srv = socket.create_server(("10.0.0.1", 5201))
print("listening", flush=True)
conn, _ = srv.accept()
h = hashlib.sha256()
while chunk := conn.recv(65536):
    h.update(chunk)
conn.sendall(h.hexdigest().encode())
conn.close()
"""


def test_a_many_session_client_reports_total_loss_and_exits_1(lab):
    ac_pcap = lab.tmp / "ac.pcap"
    ac, _ = lab.start_ac("--local-ip", "10.0.0.1", "--pool", "10.0.0.0/24", "--user", "lab", "--password", "pw",
                         "-q", "--pcap", str(ac_pcap))
    client, client_log = lab.start_client("--sessions", "20", "--user", "lab", "--password", "pw",
                                          "--echo-interval", "1", "--echo-failure", "2")
    wait_for(client_log, "20/20 sessions up", proc=client)
    ac.kill()  # SIGKILL: no Terminate-Request, no PADT; only the echoes can tell
    ac.wait()
    lab.pcaps.remove(ac_pcap)  # a killed process leaves its capture cut short
    assert client.wait(timeout=15) == 1  # within the echo window (1 s x 2, spread), not at Ctrl-C
    log = client_log.read_text()
    assert log.count(": lost: peer not responding") == 20, log
