"""Bad command lines end in one clear error naming the option, exit 2, never a traceback.

Validation happens before any socket is opened, so these run without root or an interface;
the few checks that need an open interface (the pool, the interface's state, type and MTU,
TUN names the kernel refuses) run in a namespace. bench/bad_inputs.py runs all of them, and more, against
the real command.
"""
import os
import struct
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pppemu.app.cli import app
from pppemu.app.console import Console
from pppemu.app.runner import write_report
from pppemu.io.link import LinkError
from pppemu.io.pcap import PcapWriter
from pppemu.ppp.session import PppConfig
from pppemu.pppoe.ac import AcConfig, AcRole
from pppemu.pppoe.pool import AddressPool

runner = CliRunner()
CLIENT = ["client", "-i", "nonexistent0", "-u", "alice", "-p", "secret"]
AC = ["ac", "-i", "nonexistent0", "--local-ip", "10.0.0.1", "--pool", "10.0.0.100-10.0.0.199",
      "--user", "alice", "--password", "secret"]
GARBAGE = os.fsdecode(b"\xff\xfe\x80")  # not UTF-8: how such bytes in argv reach Python
REFERENCE_PCAP = Path(__file__).parent.parent / "docs" / "lab-session.pcap"


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
    *[([option, GARBAGE], option) for option in ("--user", "--password", "--circuit-id", "--remote-id",
                                                  "--service", "--ac-name", "--tun")],
    *[([option, "inf"], option) for option in ("--rate", "--stop-rate", "--timeout", "--duration",
                                               "--echo-interval")],
    (["--mac-base", "00:00:00:00:00:00"], "--mac-base"),
    (["--mac-base", "fe:ff:ff:ff:ff:ff", "--sessions", "3"], "--mac-base"),
    (["--mac-base", "02:ff:ff:ff:ff:ff", "--sessions", "2"], "--mac-base"),
    (["--tun", ""], "--tun"),
    (["--tun", "ppp%d"], "--tun"),
    (["--tun", "ppp/0"], "--tun"),
    (["--tun", "ppp 0"], "--tun"),
    (["--default-route"], "--default-route"),
    (["--ipv6-by-kernel", "--tun", "ppp0"], "--ipv6-by-kernel"),
    (["--ipv6-by-kernel", "--ipv6"], "--ipv6-by-kernel"),
    (["--ipv6-by-kernel", "--ipv6", "--tun", "ppp0", "--dhcpv6", "pd"], "--ipv6-by-kernel"),
    (["--report", "/proc/r.json"], "--report"),
    (["--pcap", "/proc/c.pcap"], "--pcap"),
    (["--inner-vlan", "7"], "--outer-vlan"),
    (["--outer-vlan", "0"], "--outer-vlan"),
    (["--outer-vlan", "4095"], "--outer-vlan"),
    (["--outer-vlan", "100-99"], "--outer-vlan"),
    (["--outer-vlan", "ten"], "--outer-vlan"),
    (["--outer-vlan", "100", "--inner-vlan", "1-"], "--inner-vlan"),
    (["--outer-vlan", "100-101", "--vlan-mode", "N:1"], "N:1"),
    (["--outer-vlan", "100", "--inner-vlan", "1-10", "--sessions", "11"], "1:1"),
    (["--outer-vlan", "100", "--vlan-priority", "8"], "--vlan-priority"),
    (["--outer-vlan", "100", "--vlan-tpid", "0x8000"], "--vlan-tpid"),
    (["--outer-vlan", "100", "--vlan-mode", "2:1"], "--vlan-mode"),
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
    (["--max-sessions", "100000"], "--max-sessions"),
    *[([option, GARBAGE], option) for option in ("--ac-name", "--service", "--user", "--password", "--tun")],
    (["--echo-interval", "inf"], "--echo-interval"),
    # no host holds these: 'this network', multicast, broadcast, loopback, reserved
    *[(["--local-ip", ip], "--local-ip")
      for ip in ("0.0.0.0", "0.1.2.3", "224.0.0.1", "255.255.255.255", "127.0.0.1", "240.0.0.1")],
    (["--dns", "0.0.0.0"], "--dns"),
    (["--dns", "224.0.0.251"], "--dns"),
    (["--pool", "10.0.0.128/25"], "--pool"),
    (["--secrets", "/etc/hostname"], "--secrets"),
    (["--tun", ""], "--tun"),
    (["--tun", "ppp%d"], "--tun"),
    (["--report", "/proc/r.json"], "--report"),
    (["--pcap", "/proc/c.pcap"], "--pcap"),
    (["--ra-prefix-pool", "2001:db8::/48"], "--ipv6"),
    (["--ipv6", "--ra-prefix-pool", "2001:db8::/48", "--pd-pool", "2001:db8::/40"], "overlap"),
    (["--ipv6", "--ra-prefix-pool", "2001:db8::/72"], "--ra-prefix-pool"),
    (["--ipv6", "--pd-pool", "ff00::/8"], "--pd-pool"),
    (["--ipv6", "--dns6", "fe80::1"], "--dns6"),
    (["--outer-vlan", "5000"], "--outer-vlan"),
    (["--inner-vlan", "1-x"], "--inner-vlan"),
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


def test_report_and_pcap_must_be_two_files(tmp_path):
    same = str(tmp_path / "out")
    for args in (CLIENT, AC):
        code, output = run(args + ["--report", same, "--pcap", same])
        assert code == 2 and "--report and --pcap" in output and "Traceback" not in output, output


def test_output_files_are_tried_but_not_left_behind(tmp_path):
    report, pcap = tmp_path / "r.json", tmp_path / "c.pcap"
    code, output = run(CLIENT + ["--report", str(report), "--pcap", str(pcap)])
    assert code == 2 and "nonexistent0" in output  # got as far as opening the interface
    assert not report.exists() and not pcap.exists()


def test_a_report_that_cannot_be_written_at_exit_is_one_error_line(tmp_path, capsys):
    assert not write_report(str(tmp_path / "gone" / "r.json"), {}, Console())
    err = capsys.readouterr().err
    assert err.startswith("pppemu: error: cannot write the report") and len(err.splitlines()) == 1, err


def test_a_capture_that_cannot_be_opened_is_a_link_error(tmp_path):
    with pytest.raises(LinkError, match="cannot write the capture"):
        PcapWriter(str(tmp_path / "gone" / "c.pcap"))


@pytest.mark.parametrize("content", [
    REFERENCE_PCAP.read_bytes()[:len(REFERENCE_PCAP.read_bytes()) // 2 + 7],  # cut inside a record
    # a record header announcing a 4 GiB packet that is not there
    struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1) + struct.pack("<IIII", 0, 0, 2**32 - 1, 2**32 - 1)
    + bytes(14),
])
def test_check_refuses_a_damaged_capture(tmp_path, content):
    path = tmp_path / "capture.pcap"
    path.write_bytes(content)
    code, output = run(["check", str(path)])
    assert code == 2 and "damaged capture" in output and "WARNING" not in output, output
    assert len(output.strip().splitlines()) == 1, output


@pytest.mark.parametrize("target, says", [
    ("/nonexistent-dir/v.json", "does not exist"),
    ("/proc/v.json", "cannot write there"),
])
def test_check_refuses_a_json_file_it_cannot_write(target, says):
    code, output = run(["check", str(REFERENCE_PCAP), "--json", target])
    assert code == 2 and f"--json {target}" in output and says in output and "Traceback" not in output, output


def test_a_wide_pool_steps_over_addresses_no_host_holds():
    pool = AddressPool("126.255.255.254-128.0.0.1")  # the edge of loopback's 127.0.0.0/8
    assert pool.size == 4
    assert [pool.allocate() for _ in range(5)] == ["126.255.255.254", "126.255.255.255", "128.0.0.0", "128.0.0.1",
                                                   None]


def test_the_ac_never_hands_out_its_dns_servers():
    role = AcRole(AcConfig(pool="10.0.0.100-10.0.0.103", ppp=PppConfig(local_ip="10.0.0.1", dns=("10.0.0.101",))))
    assert role.pool.size == 3
    assert [role.pool.allocate() for _ in range(4)] == ["10.0.0.100", "10.0.0.102", "10.0.0.103", None]


@pytest.fixture
def veth(lab):
    """A namespace with veth0 up, down0 (a veth left down) and small0 (up, MTU 576)."""
    lab.ns_exec(lab.ac_ns, "ip", "link", "add", "down0", "type", "veth", "peer", "name", "down1", check=True)
    lab.ns_exec(lab.ac_ns, "ip", "link", "add", "small0", "mtu", "576", "type", "veth", "peer", "name", "small1",
                "mtu", "576", check=True)
    for name in ("small0", "small1"):
        lab.ns_exec(lab.ac_ns, "ip", "link", "set", name, "up", check=True)
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
      for pool in ("10.0.0.200-10.0.0.100", "10.0.0.0/33", "banana", "", "10.0.0.100-", "10.0.0.1",
                   "224.0.0.0/24", "127.0.0.0/24")],
    (["client", "-i", "lo", "-u", "a", "-p", "b"], "lo is not Ethernet"),
    (AC[:2] + ["lo"] + AC[3:], "lo is not Ethernet"),
    (["client", "-i", "small0", "-u", "a", "-p", "b"], "--mru 1492 needs an interface MTU of 1500; small0 has 576"),
    (["client", "-i", "veth0", "-u", "a", "-p", "b", "--max-payload", "1500"],
     "--max-payload 1500 needs an interface MTU of 1508"),
    (AC[:2] + ["small0"] + AC[3:], "--mru 1492 needs an interface MTU of 1500; small0 has 576"),
    (AC[:2] + ["small0"] + AC[3:] + ["--mru", "568", "--ac-name", "a" * 64]
     + [a for i in range(8) for a in ("--service", f"{i}" * 64)], "a PADO with this --ac-name"),
])
def test_refusals_that_need_an_interface(veth, args, says):
    code, output = run_in(veth, *args)
    assert code == 2 and says in output and "Traceback" not in output, output
    assert len(output.strip().splitlines()) == 1, output


def test_ac_refuses_a_line_map_it_cannot_use(tmp_path):
    bad = tmp_path / "lines"
    bad.write_text("olt1 not-an-ip\n")
    for path, says in ((tmp_path / "missing", "cannot read line map"), (bad, "not an IPv4 address")):
        code, output = run(AC + ["--line-map", str(path)])
        assert code == 2 and "--line-map" in output and says in output and "Traceback" not in output, output
