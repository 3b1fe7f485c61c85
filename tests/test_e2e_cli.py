"""Both ends for real: the CLI in two namespaces joined by a veth pair."""
import json
import signal
import subprocess

import pytest

from pppemu.testing.lab import wait_for

pytestmark = pytest.mark.e2e
AC_ARGS = ("--local-ip", "10.0.0.1", "--pool", "10.0.0.100-10.0.0.109", "--dns", "10.0.0.53",
           "--user", "lab", "--password", "lab-secret")


@pytest.mark.parametrize("auth", ["chap", "pap"])
def test_session_comes_up_pings_and_terminates(lab, auth):
    ac, ac_log = lab.start_ac(*AC_ARGS, "--auth", auth, "--report", str(lab.tmp / "ac.json"))
    result = lab.run_client("--user", "lab", "--password", "lab-secret", "--auth", auth, "--ping", "3",
                            "--duration", "0.5", "--report", str(lab.tmp / "client.json"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "IPCP: opened, address 10.0.0.100, gateway 10.0.0.1, DNS 10.0.0.53" in result.stdout
    assert "3/3 answered" in result.stdout
    report = json.loads((lab.tmp / "client.json").read_text())
    (session,) = report["sessions"]
    assert session["state"] == "closed" and session["address"] == "10.0.0.100"
    assert session["setup_ms"] > 0 and report["counters"]["tx.PADT"] == 1
    wait_for(ac_log, "session down")
    ac.send_signal(signal.SIGTERM)
    assert ac.wait(timeout=15) == 0
    ac_report = json.loads((lab.tmp / "ac.json").read_text())
    assert ac_report["pool"]["in_use"] == 0
    assert ac_report["sessions"][0]["username"] == "lab"
    assert "auth: ok (lab)" in ac_log.read_text()


def test_conformance_judges_the_live_exchange_at_both_ends(lab):
    ac, ac_log = lab.start_ac(*AC_ARGS, "--conformance", "--report", str(lab.tmp / "ac.json"))
    result = lab.run_client("--user", "lab", "--password", "lab-secret", "--ping", "1", "--duration", "0.5",
                            "--conformance", "--report", str(lab.tmp / "client.json"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "conformance: no RFC violations seen (either side)" in result.stdout
    client = json.loads((lab.tmp / "client.json").read_text())["conformance"]
    assert client == {"violations": 0, "by_side": {}, "by_rule": {}, "details": []}
    wait_for(ac_log, "session down")
    ac.send_signal(signal.SIGTERM)
    assert ac.wait(timeout=15) == 0
    assert "conformance: no RFC violations seen" in ac_log.read_text()
    assert json.loads((lab.tmp / "ac.json").read_text())["conformance"]["violations"] == 0


def test_wrong_password_fails_with_the_reason(lab):
    lab.start_ac(*AC_ARGS)
    result = lab.run_client("--user", "lab", "--password", "wrong", "--duration", "1")
    assert result.returncode == 1
    assert "authentication failed" in result.stdout.lower()


def test_ac_stopped_with_sigterm_is_seen_by_the_client(lab):
    ac, _ = lab.start_ac(*AC_ARGS)
    client, client_log = lab.start_client("--user", "lab", "--password", "lab-secret",
                                          "--report", str(lab.tmp / "client.json"))
    wait_for(client_log, "IPCP: opened", proc=client)
    ac.send_signal(signal.SIGTERM)
    assert ac.wait(timeout=15) == 0
    assert client.wait(timeout=15) == 1
    text = client_log.read_text()
    assert "session lost" in text and ("terminated" in text or "PADT" in text)
    report = json.loads((lab.tmp / "client.json").read_text())
    assert report["sessions"][0]["reason"] in text


def test_killed_client_is_detected_by_echo_and_its_address_freed(lab):
    ac, ac_log = lab.start_ac(*AC_ARGS, "--echo-interval", "0.5", "--echo-failure", "2",
                              "--report", str(lab.tmp / "ac.json"))
    client, client_log = lab.start_client("--user", "lab", "--password", "lab-secret")
    wait_for(client_log, "IPCP: opened", proc=client)
    client.kill()
    client.wait()
    wait_for(ac_log, "peer not responding", timeout=20)
    ac.send_signal(signal.SIGTERM)
    assert ac.wait(timeout=15) == 0
    report = json.loads((lab.tmp / "ac.json").read_text())
    assert report["pool"]["in_use"] == 0 and report["pool"]["free"] == report["pool"]["size"]
    assert "not responding" in report["sessions"][0]["reason"]


def test_configuration_errors_give_one_line_and_exit_2(lab):
    lab.ns_exec(lab.cl_ns, "ip", "link", "set", "veth0", "down")
    result = lab.run_client("--user", "u", "--password", "p")
    assert result.returncode == 2 and result.stderr.strip().count("\n") == 0
    assert "veth0 is down" in result.stderr and "Traceback" not in result.stderr
    result = subprocess.run(lab.command(lab.ac_ns, "ac", "--iface", "nope0", *AC_ARGS),
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 2 and "no such interface: nope0" in result.stderr
    result = subprocess.run(lab.command(lab.ac_ns, "ac", "--iface", "veth0", "--local-ip", "10.0.0.1",
                                        "--pool", "10.0.0.9-10.0.0.1", "--user", "a", "--password", "b"),
                            capture_output=True, text=True, timeout=30)
    assert result.returncode == 2 and "bad address pool" in result.stderr
