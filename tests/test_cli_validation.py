"""Bad command lines end in one clear error naming the option, exit 2, never a traceback.

Validation happens before any socket is opened, so these run without root or an interface.
"""
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
