"""Credentials by line: a secrets entry keyed by the Agent-Circuit-Id (``line:ID``) or the
Agent-Remote-Id (``remote:ID``) a subscriber arrives with gives its secret, whatever name it gives."""
import json
import random
import signal
import time

import pytest

from pppemu.ppp.events import AuthDone, SessionDown, SessionUp
from pppemu.pppoe.ac import AcRole
from pppemu.pppoe.credentials import Secrets, SecretsError
from pppemu.pppoe.discovery import line_id_tag
from pppemu.testing.pair import Pair

SECRETS = """
# by line
"line:olt1 pon 0/7"  *  pw7
remote:cpe-42        *  pw42
# by name
alice                *  secret
"""


def pair_with(text: str, auth: str) -> Pair:
    """A Pair whose AC reads this secrets file."""
    pair = Pair(auth=auth)
    pair.ac = AcRole(pair.ac.config, Secrets.parse(text), rng=random.Random(1))
    return pair


def run_one(pair: Pair, circuit: str = "", remote: str = "", **kw) -> tuple[list, list, str | None]:
    """One subscriber (with a line id if given): (SessionUp events, SessionDown events, the AC's username)."""
    extra = (line_id_tag(circuit, remote),) if circuit or remote else ()
    pair.add(1, extra_tags=extra, **kw)
    pair.advance(5)
    (session,) = pair.ac.every_session()
    return pair.events_of(SessionUp), pair.events_of(SessionDown), session.username


@pytest.mark.parametrize("auth", ["chap", "pap"])
@pytest.mark.parametrize("name", ["bob", "alice", "user42@isp"])
def test_the_line_secret_with_any_name_comes_up(auth, name):
    up, down, username = run_one(pair_with(SECRETS, auth), "olt1 pon 0/7", username=name, password="pw7")
    assert up and not down and username == name


@pytest.mark.parametrize("auth", ["chap", "pap"])
def test_a_wrong_secret_on_the_line_fails_and_says_so(auth):
    pair = pair_with(SECRETS, auth)
    up, (down,), _ = run_one(pair, "olt1 pon 0/7", username="bob", password="nope")
    reason = f"{auth.upper()} failure for 'bob': not the secret of circuit id 'olt1 pon 0/7'"
    assert not up and f"{auth.upper()} authentication failed" in down.reason
    (ac_auth,) = pair.events_of(AuthDone, side="ac")
    assert not ac_auth.ok and ac_auth.reason == reason
    (session,) = pair.ac.every_session()
    assert session.down_reason == reason and pair.ac.pool.in_use == 0


@pytest.mark.parametrize("auth", ["chap", "pap"])
def test_the_name_entry_is_not_consulted_on_a_line_with_an_entry(auth):
    up, (down,), _ = run_one(pair_with(SECRETS, auth), "olt1 pon 0/7", username="alice", password="secret")
    assert not up and "authentication failed" in down.reason


@pytest.mark.parametrize("auth", ["chap", "pap"])
@pytest.mark.parametrize("circuit", ["", "olt9 pon 9/9"])
def test_without_a_circuit_id_or_an_entry_for_it_the_name_decides(auth, circuit):
    up, down, username = run_one(pair_with(SECRETS, auth), circuit, username="alice", password="secret")
    assert up and not down and username == "alice"
    pair = pair_with(SECRETS, auth)
    up, (down,), _ = run_one(pair, circuit, username="bob", password="pw7")
    (ac_auth,) = pair.events_of(AuthDone, side="ac")
    assert not up and ac_auth.reason == f"{auth.upper()} failure for 'bob'"  # no line in it


@pytest.mark.parametrize("auth", ["chap", "pap"])
def test_the_remote_id_keys_an_entry_and_the_circuit_id_comes_first(auth):
    up, down, _ = run_one(pair_with(SECRETS, auth), "", "cpe-42", username="x", password="pw42")
    assert up and not down
    up, down, _ = run_one(pair_with(SECRETS, auth), "olt9 pon 9/9", "cpe-42", username="x", password="pw42")
    assert up and not down  # a circuit id without an entry: the remote id's entry
    pair = pair_with(SECRETS, auth)
    up, down, _ = run_one(pair, "olt1 pon 0/7", "cpe-42", username="x", password="pw42")
    (ac_auth,) = pair.events_of(AuthDone, side="ac")
    assert not up and ac_auth.reason.endswith("not the secret of circuit id 'olt1 pon 0/7'")


def test_a_file_with_only_line_entries_is_accepted(tmp_path):
    path = tmp_path / "chap-secrets"
    path.write_text('"line:olt1 pon 0/7" * pw7\n')
    secrets = Secrets.load(str(path))
    assert len(secrets) == 1 and secrets.lookup(b"olt1 pon 0/7") is None
    entry = secrets.for_line({"circuit_id": "olt1 pon 0/7"})
    assert entry is not None and entry(b"anyone") == b"pw7" and entry.keyed_by == "circuit id 'olt1 pon 0/7'"
    assert secrets.for_line({"circuit_id": "olt1 pon 0/8"}) is None and secrets.for_line({}) is None


def test_line_entries_for_another_server_do_not_count(tmp_path):
    path = tmp_path / "chap-secrets"
    path.write_text('"line:olt1 pon 0/7" other-ac pw7\n')
    with pytest.raises(SecretsError, match="no entry for server 'lab-ac'.*line:CIRCUIT-ID"):
        Secrets.load(str(path), server="lab-ac")
    assert Secrets.load(str(path), server="other-ac").for_line({"circuit_id": "olt1 pon 0/7"}) is not None


@pytest.mark.parametrize("client", ["line:", "remote:", '"line:"'])
def test_an_empty_line_id_is_refused(client):
    with pytest.raises(SecretsError, match="secrets:2: .* names no line"):
        Secrets.parse(f"alice * secret\n{client} * pw\n")


def test_the_first_entry_for_a_line_wins():
    secrets = Secrets.parse("line:a * one\nline:a * two\n")
    entry = secrets.for_line({"circuit_id": "a"})
    assert entry is not None and entry.secret == b"one"


@pytest.mark.e2e
def test_the_cli_authenticates_by_line(lab):
    (lab.tmp / "secrets").write_text('"line:olt1 pon 0/7" * pw7\nalice * secret\n')
    ac, ac_log = lab.start_ac("--local-ip", "10.0.0.1", "--pool", "10.0.0.100-10.0.0.109",
                              "--secrets", str(lab.tmp / "secrets"), "--report", str(lab.tmp / "ac.json"))
    by_line = lab.run_client("--user", "whoever", "--password", "pw7", "--circuit-id", "olt1 pon 0/7",
                             "--duration", "0.3")
    assert by_line.returncode == 0, by_line.stdout + by_line.stderr
    wrong = lab.run_client("--user", "alice", "--password", "secret", "--circuit-id", "olt1 pon 0/7",
                           "--duration", "0.3")
    assert wrong.returncode == 1 and "authentication failed" in wrong.stdout + wrong.stderr
    by_name = lab.run_client("--user", "alice", "--password", "secret", "--duration", "0.3")
    assert by_name.returncode == 0, by_name.stdout + by_name.stderr
    for _ in range(200):  # all three ended at the AC too
        if ac_log.read_text().count("session down") >= 3:
            break
        time.sleep(0.05)
    assert "auth: FAILED: CHAP failure for 'alice': not the secret of circuit id 'olt1 pon 0/7'" in ac_log.read_text()
    ac.send_signal(signal.SIGTERM)
    assert ac.wait(timeout=15) == 0
    sessions = json.loads((lab.tmp / "ac.json").read_text())["sessions"]
    got = [(s["username"], s["circuit_id"], s["setup_ms"] is not None, s["reason"]) for s in sessions]
    bye = "peer terminated the link: user request"
    assert got == [  # a session that failed authentication has no username in the report, its reason names it
        ("whoever", "olt1 pon 0/7", True, bye),
        (None, "olt1 pon 0/7", False, "CHAP failure for 'alice': not the secret of circuit id 'olt1 pon 0/7'"),
        ("alice", None, True, bye),
    ], got
