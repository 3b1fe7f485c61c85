"""Bad command lines end in one clear error naming the option, exit 2, never a traceback.

Validation happens before any socket is opened, so these run without root or an interface;
the few checks that need an open interface (the pool, the interface state, TUN names the
kernel refuses) run in a namespace. bench/bad_inputs.py runs all of them, and more, against
the real command.
"""
import os
import struct
import subprocess

import pytest
from typer.testing import CliRunner

from pppemu.cli import app

runner = CliRunner()
CLIENT = ["client", "-i", "nonexistent0", "-u", "alice", "-p", "secret"]
AC = ["ac", "-i", "nonexistent0", "--local-ip", "10.0.0.1", "--pool", "10.0.0.100-10.0.0.199",
      "--user", "alice", "--password", "secret"]


def run(args):
    result = runner.invoke(app, args)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.output


@pytest.mark.parametrize("extra, named", [
    (["--rate", "-1"], "--rate"),
    (["--max-outstanding", "-5"], "--max-outstanding"),
    (["--stop-rate", "-1"], "--stop-rate"),
    (["--timeout", "-3"], "--timeout"),
    (["--timeout", "0"], "--timeout"),
    (["--echo-interval", "-1"], "--echo-interval"),
    (["--echo-failure", "0"], "--echo-failure"),
    (["--ping", "-1"], "--ping"),
    (["--duration", "-1"], "--duration"),
    (["--sessions", "0"], "--sessions"),
    (["--sessions", "1000000000"], "--sessions"),
    (["--mru", "70000"], "--mru"),
    (["--mru", "100"], "--mru"),
    (["--mru", "1500"], "--mru"),
    (["--max-payload", "70000"], "--max-payload"),
    (["--max-payload", "1000"], "--max-payload"),
    (["--max-payload", "-1"], "--max-payload"),
    (["--mac-base", "01:00:5e:00:00:01"], "--mac-base"),
    (["--mac-base", "zz:00"], "--mac-base"),
    (["--circuit-id", "c" * 64], "--circuit-id"),
    (["--remote-id", "r" * 64], "--remote-id"),
    (["--circuit-id", "c" * 60 + "{n}", "--sessions", "10000"], "--circuit-id"),
    (["--user", "u" * 256], "--user"),
    (["--password", "p" * 256], "--password"),
    (["--service", "s" * 256], "--service"),
    (["--report", "/nonexistent-dir/r.json"], "--report"),
    (["--pcap", "/nonexistent-dir/c.pcap"], "--pcap"),
    (["--pcap", "/"], "--pcap"),
    (["--tun", "a-very-long-tun-name"], "--tun"),
    (["--sessions", "2", "--ping", "1"], "--ping"),
    (["--auth", "mschap"], "--auth"),
    (["--auth", "CHAP"], "--auth"),
    (["--auth", ""], "--auth"),
    (["--sessions", "ten"], "--sessions"),
    (["--sessions", "1.5"], "--sessions"),
    (["--mru", "abc"], "--mru"),
    (["--rate", "nan"], "--rate"),
    (["--rate", "fast"], "--rate"),
    (["--max-outstanding", "lots"], "--max-outstanding"),
    (["--timeout", "nan"], "--timeout"),
    (["--echo-interval", "nan"], "--echo-interval"),
    (["--echo-interval", "30s"], "--echo-interval"),
    (["--echo-failure", "256"], "--echo-failure"),
    (["--ping", "1.5"], "--ping"),
    (["--duration", "nan"], "--duration"),
    (["--stop-rate", "nan"], "--stop-rate"),
    (["--mac-base", "02:00:00:00:00:00:01"], "--mac-base"),
    (["--tun", "ppp0", "--sessions", "2"], "--tun"),
    (["--report", "/"], "--report"),
    (["--report", "/etc/hostname/r.json"], "--report"),
    (["--bogus"], "--bogus"),
    (["extra"], "extra"),
])
def test_client_refuses(extra, named):
    code, output = run(CLIENT + extra)
    assert code == 2 and named in output and "Traceback" not in output, output


@pytest.mark.parametrize("extra, named", [
    (["--max-sessions", "-1"], "--max-sessions"),
    (["--max-sessions", "0"], "--max-sessions"),
    (["--max-sessions-per-mac", "-1"], "--max-sessions-per-mac"),
    (["--echo-interval", "-1"], "--echo-interval"),
    (["--echo-failure", "0"], "--echo-failure"),
    (["--mru", "70000"], "--mru"),
    (["--mru", "1500"], "--mru"),
    (["--ac-name", "a" * 300], "--ac-name"),
    (["--service", "s" * 65], "--service"),
    (["--report", "/nonexistent-dir/r.json"], "--report"),
    (["--pcap", "/nonexistent-dir/c.pcap"], "--pcap"),
    (["--dns", "10.0.0.53", "--dns", "10.0.0.54", "--dns", "10.0.0.55"], "DNS"),
    (["--dns", "not-an-ip"], "--dns"),
    (["--auth", "none"], "--auth"),
    (["--auth", "any"], "--auth"),
    (["--local-ip", "gateway"], "--local-ip"),
    (["--local-ip", "10.0.0.256"], "--local-ip"),
    (["--local-ip", "fe80::1"], "--local-ip"),
    (["--local-ip", os.fsdecode(b"\xff\xfe\x80")], "--local-ip"),
    (["--dns", "10.0.0.256"], "--dns"),
    (["--max-sessions", "lots"], "--max-sessions"),
    (["--echo-interval", "nan"], "--echo-interval"),
    (["--echo-failure", "three"], "--echo-failure"),
    (["--mru", "100"], "--mru"),
    (["--tun", "a-very-long-tun-name"], "--tun"),
    (["--service", "s"] * 9, "--service"),
])
def test_ac_refuses(extra, named):
    code, output = run(AC + extra)
    assert code == 2 and named in output and "Traceback" not in output, output


@pytest.mark.parametrize("content, says", [
    (b"", "no entry"),
    (b"# only a comment\n\n", "no entry"),
    (b"alice other-ac secret\n", "no entry for server"),
    (b"alice * \xff\xfe\n", "not UTF-8"),
    (b"alice\n", "expected 'client server secret'"),
    (b'alice * "secret\n', "No closing quotation"),
])
def test_ac_refuses_a_secrets_file_nobody_could_log_in_with(tmp_path, content, says):
    path = tmp_path / "chap-secrets"
    path.write_bytes(content)
    code, output = run(["ac", "-i", "nonexistent0", "--local-ip", "10.0.0.1", "--pool", "10.0.0.100",
                        "--ac-name", "lab-ac", "--secrets", str(path)])
    assert code == 2 and says in output and "Traceback" not in output, output


@pytest.mark.parametrize("pool", ["0.0.0.0/0", "10.0.0.0/8"])
def test_a_huge_pool_is_accepted_without_materialising_it(pool):
    code, output = run(["ac", "-i", "nonexistent0", "--local-ip", "10.0.0.1", "--pool", pool,
                        "--user", "a", "--password", "b"])
    assert code == 2 and "nonexistent0" in output  # got as far as opening the interface


@pytest.mark.parametrize("args, named", [
    (["client", "-i", "nonexistent0", "-u", "alice"], "--password"),
    (["client", "-u", "alice", "-p", "secret"], "--iface"),
    (["ac", "-i", "nonexistent0", "--pool", "10.0.0.100", "--user", "a", "--password", "b"], "--local-ip"),
    (AC[:7] + ["--user", "alice"], "--password"),
    (AC[:7] + ["--password", "secret"], "--user"),
    (AC[:7], "--secrets"),
    (["check"], "capture"),
    (["server", "-i", "nonexistent0"], "server"),
])
def test_incomplete_or_unknown_command_lines_are_refused(args, named):
    code, output = run(args)
    assert code == 2 and named in output and "Traceback" not in output, output


def test_ac_refuses_a_secrets_file_it_cannot_read(tmp_path):
    for path in (tmp_path / "missing", tmp_path):
        code, output = run(AC[:7] + ["--secrets", str(path)])
        assert code == 2 and "cannot read secrets file" in output and "Traceback" not in output, output


@pytest.mark.parametrize("content", [
    b"",
    b"this is not a capture\n",
    # a pcap of raw IP (link type 101), not Ethernet
    struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 101) + struct.pack("<IIII", 0, 0, 20, 20) + bytes(20),
])
def test_check_refuses_what_is_not_an_ethernet_capture(tmp_path, content):
    path = tmp_path / "capture.pcap"
    path.write_bytes(content)
    for target in (path, tmp_path):  # the file, and a directory
        code, output = run(["check", str(target)])
        assert code == 2 and "cannot read" in output and "Traceback" not in output, output


@pytest.fixture
def veth(lab):
    """A namespace with veth0 up and down0 (a veth left down)."""
    lab.ns_exec(lab.ac_ns, "ip", "link", "add", "down0", "type", "veth", "peer", "name", "down1", check=True)
    return lab


def run_in(lab, *args):
    result = subprocess.run(lab.command(lab.ac_ns, *args), capture_output=True, text=True, timeout=30,
                            stdin=subprocess.DEVNULL)
    return result.returncode, result.stdout + result.stderr


@pytest.mark.e2e
@pytest.mark.parametrize("args, says", [
    (["client", "-i", "down0", "-u", "a", "-p", "b"], "down0 is down"),
    (["ac", "-i", "down0", "--local-ip", "10.0.0.1", "--pool", "10.0.0.100", "--user", "a", "--password", "b"],
     "down0 is down"),
    (["client", "-i", "veth0", "-u", "a", "-p", "b", "--tun", "ppp/0"], "ppp/0"),
    (AC[:2] + ["veth0"] + AC[3:] + ["--tun", "ppp/0"], "ppp/0"),
    (AC[:2] + ["veth0"] + AC[3:] + ["--tun", "down1"], "down1"),
    *[(AC[:2] + ["veth0"] + AC[3:5] + ["--pool", pool] + AC[7:], "pool")
      for pool in ("10.0.0.200-10.0.0.100", "10.0.0.0/33", "banana", "", "10.0.0.100-", "10.0.0.1")],
])
def test_refusals_that_need_an_interface(veth, args, says):
    code, output = run_in(veth, *args)
    assert code == 2 and says in output and "Traceback" not in output, output
    assert len(output.strip().splitlines()) == 1, output
