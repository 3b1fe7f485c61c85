"""Discovery against an independent implementation: rp-pppoe's client and server.

rp-pppoe hands PPP to pppd, which needs kernel PPP (not on these machines), so
these tests stop where pppd would start: discovery, and rp-pppoe's PADT after it.
"""
import re

import pytest

from pppemu.testing.lab import wait_for

pytestmark = pytest.mark.e2e


def test_rp_pppoe_client_discovers_our_ac(lab):
    _, ac_log = lab.start_ac("--local-ip", "10.0.0.1", "--pool", "10.0.0.100-10.0.0.109", "--user", "u",
                             "--password", "p", "--ac-name", "emu-ac", "--service", "internet")
    offers = lab.ns_exec(lab.cl_ns, "pppoe", "-I", "veth0", "-A", timeout=30)
    assert "Access-Concentrator: emu-ac" in offers.stdout and "Service-Name: internet" in offers.stdout
    assert "Got a cookie" in offers.stdout
    session = lab.ns_exec(lab.cl_ns, "pppoe", "-I", "veth0", "-S", "internet", "-d", timeout=30)
    match = re.fullmatch(r"(\d+):([0-9a-f:]{17})", session.stdout.strip())
    assert match, session.stdout + session.stderr
    assert f"PADS sent, session id {match.group(1)}" in wait_for(ac_log, "PADS sent")
    refused = lab.ns_exec(lab.cl_ns, "pppoe", "-I", "veth0", "-S", "voice", "-d", "-t", "1", timeout=60)
    assert "Timeout waiting for PADO" in refused.stderr  # an AC that cannot serve it stays silent


def test_our_client_against_rp_pppoe_server(lab):
    server = lab.spawn(lab.ac_ns, "pppoe-server", "-I", "veth0", "-F", "-C", "rp-ac", "-S", "isp")
    result = lab.run_client("--user", "u", "--password", "p", "--service", "isp", "--timeout", "20", "-v")
    assert server.poll() is None
    assert "discovery: session id 1 with" in result.stdout and "(AC-Name 'rp-ac')" in result.stdout
    # rp-pppoe forks pppd for the session; without it the server ends the session with a PADT.
    assert result.returncode == 1
    assert "PADT from the access concentrator: RP-PPPoE" in result.stdout
    assert "PADO sid=0x0000 AC-Name='rp-ac' Service-Name='isp'" in result.stderr
