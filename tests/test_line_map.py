"""Static addresses by line: the Agent-Circuit-Id in a subscriber's discovery chooses its address."""
import json
import signal

import pytest

from pppemu.ppp.events import SessionDown, SessionUp
from pppemu.pppoe.ac import AcConfig, AcRole
from pppemu.pppoe.discovery import line_id_tag
from pppemu.pppoe.lines import LineMapError, parse_line_map
from pppemu.pppoe.pool import PoolError
from pppemu.testing.lab import wait_for
from pppemu.testing.pair import Pair

LINES = (("olt1 pon 0/1", "192.0.2.10"), ("olt1 pon 0/2", "192.0.2.11"))


def test_a_mapped_line_gets_its_address_and_others_the_pool():
    pair = Pair(ac={"line_addresses": LINES})
    mapped = pair.add(1, extra_tags=(line_id_tag("olt1 pon 0/2"),))[0]
    unmapped = pair.add(1, extra_tags=(line_id_tag("olt9 pon 9/9"),))[0]
    plain = pair.add(1)[0]
    pair.advance(3)
    up = {e.key.number: e.ip for e in pair.events_of(SessionUp)}
    assert up[mapped.key.number] == "192.0.2.11"
    assert up[unmapped.key.number] == "10.0.0.100" and up[plain.key.number] == "10.0.0.101"
    assert pair.ac.lines_in_use == {"192.0.2.11"} and pair.ac.pool.in_use == 2
    pair.client.close_session(mapped, pair.now)
    pair.advance(5)
    assert pair.ac.lines_in_use == set() and pair.ac.pool.in_use == 2


def test_one_session_per_line_at_a_time():
    pair = Pair(ac={"line_addresses": LINES, "max_sessions_per_mac": 0})
    pair.add(2, extra_tags=(line_id_tag("olt1 pon 0/1"),))
    pair.advance(3)
    assert len(pair.events_of(SessionUp)) == 1
    (down,) = pair.events_of(SessionDown)
    assert "no address" in down.reason and pair.ac.counters["address.line_in_use"] == 1


def test_a_static_address_inside_the_pool_is_refused():
    with pytest.raises(PoolError, match="inside the pool"):
        AcRole(AcConfig(line_addresses=(("x", "10.0.0.150"),)))


@pytest.mark.parametrize("text, says", [
    ("olt1 192.0.2.1 extra\n", "expected"), ("olt1 not-an-ip\n", "not an IPv4"),
    ("a 192.0.2.1\na 192.0.2.2\n", "mapped twice"), ("a 192.0.2.1\nb 192.0.2.1\n", "two lines"),
    ("# nothing\n", "no 'circuit-id"), ('"unclosed 192.0.2.1\n', "line map:1"),
])
def test_a_bad_line_map_says_which_line(text, says):
    with pytest.raises(LineMapError, match=says):
        parse_line_map(text)


def test_quoted_circuit_ids_and_comments():
    assert parse_line_map('"olt1 pon 0/1" 192.0.2.10  # the first\n\nb 192.0.2.11\n') == {
        "olt1 pon 0/1": "192.0.2.10", "b": "192.0.2.11"}


@pytest.mark.e2e
def test_the_cli_serves_a_mapped_line(lab):
    (lab.tmp / "lines").write_text('"olt1 pon 0/{n}" 192.0.2.10\n"olt1 pon 0/1" 192.0.2.11\n')
    ac, ac_log = lab.start_ac("--local-ip", "10.0.0.1", "--pool", "10.0.0.100-10.0.0.109", "--user", "lab",
                              "--password", "pw", "--line-map", str(lab.tmp / "lines"),
                              "--report", str(lab.tmp / "ac.json"))
    result = lab.run_client("--user", "lab", "--password", "pw", "--circuit-id", "olt1 pon 0/1", "--duration", "0.3")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "IPCP: opened, address 192.0.2.11" in result.stdout
    wait_for(ac_log, "session down")
    ac.send_signal(signal.SIGTERM)
    assert ac.wait(timeout=15) == 0
    (session,) = json.loads((lab.tmp / "ac.json").read_text())["sessions"]
    assert session["address"] == "192.0.2.11" and session["circuit_id"] == "olt1 pon 0/1"
