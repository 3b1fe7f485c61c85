"""Sessions without authentication: an AC that asks for none, a client that agrees to none or
insists on being asked."""
import json
import signal

import pytest

from pppemu.ppp.events import AuthDone, SessionDown, SessionUp
from pppemu.testing.lab import wait_for
from pppemu.testing.pair import Pair
from pppemu.wire import const as C


def auth_frames(pair: Pair) -> int:
    return sum(1 for _, f in pair.wire if f[12:14] == b"\x88\x64" and f[20:22] in (b"\xc2\x23", b"\xc0\x23"))


def test_an_ac_that_asks_for_none_brings_the_session_up_without_chap_or_pap():
    pair = Pair(auth=None)
    (cs,) = pair.add(1)
    pair.advance(2)
    assert pair.events_of(SessionUp) and not pair.events_of(AuthDone) and auth_frames(pair) == 0
    (acs,) = pair.ac.sessions.values()
    assert acs.address == "10.0.0.100" and acs.username is None and pair.ac.pool.in_use == 1


def test_a_client_that_insists_ends_a_session_the_ac_did_not_authenticate():
    pair = Pair(auth=None, client_ppp={"insist_auth": True})
    (cs,) = pair.add(1)
    pair.advance(5)
    (down,) = pair.events_of(SessionDown)
    assert "asked for no authentication" in down.reason and not pair.events_of(SessionUp)
    assert pair.ac.pool.in_use == 0


@pytest.mark.parametrize("auth", ["chap", "pap"])
def test_a_client_that_insists_is_content_when_asked(auth):
    pair = Pair(auth=auth, client_ppp={"insist_auth": True})
    pair.add(1)
    pair.advance(2)
    assert pair.events_of(SessionUp)


def test_a_client_that_agrees_to_none_fails_against_an_ac_that_demands_chap():
    pair = Pair(client_ppp={"accept_auth": ()})
    pair.add(1)
    pair.advance(40)
    (down,) = pair.events_of(SessionDown)
    assert not pair.events_of(SessionUp) and pair.ac.pool.in_use == 0
    assert pair.client.counters["tx." + C.PROTO_NAMES[C.PROTO_LCP]] > 0


@pytest.mark.e2e
@pytest.mark.parametrize("client_auth", [["--auth", "none"], ["--auth", "chap", "-u", "x", "-p", "y"]])
def test_auth_none_at_the_ac_serves_a_client_of_either_kind(lab, client_auth):
    ac, ac_log = lab.start_ac("--local-ip", "10.0.0.1", "--pool", "10.0.0.100-10.0.0.109", "--auth", "none",
                              "--report", str(lab.tmp / "ac.json"))
    assert "auth none" in ac_log.read_text()
    result = lab.run_client(*client_auth, "--ping", "1", "--duration", "0.3", "--circuit-id", "olt1 0/1")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "IPCP: opened, address 10.0.0.100" in result.stdout and "auth:" not in result.stdout
    wait_for(ac_log, "session down")
    ac.send_signal(signal.SIGTERM)
    assert ac.wait(timeout=15) == 0
    (session,) = json.loads((lab.tmp / "ac.json").read_text())["sessions"]
    assert session["circuit_id"] == "olt1 0/1" and session["username"] is None
