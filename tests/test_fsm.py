"""The RFC 1661 automaton against the RFC's own state table, cell by cell."""
import pytest

from pppemu.ppp.fsm import TABLE, Event, Fsm, Policy, State
from pppemu.wire import const as C
from pppemu.wire.control import Control

# RFC 1661 section 4.1, transcribed as printed ("-" marks an illegal event).
RFC_TABLE = """
      | 0         1         2         3         4         5
 Up   | 2         irc,scr/6 -         -         -         -
 Down | -         -         0         tls/1     0         1
 Open | tls/1     1         irc,scr/6 3r        5r        5r
 Close| 0         tlf/0     2         2         4         4
 TO+  | -         -         -         -         str/4     str/5
 TO-  | -         -         -         -         tlf/2     tlf/3
 RCR+ | -         -         sta/2     irc,scr,sca/8 4     5
 RCR- | -         -         sta/2     irc,scr,scn/6 4     5
 RCA  | -         -         sta/2     sta/3     4         5
 RCN  | -         -         sta/2     sta/3     4         5
 RTR  | -         -         sta/2     sta/3     sta/4     sta/5
 RTA  | -         -         2         3         tlf/2     tlf/3
 RUC  | -         -         scj/2     scj/3     scj/4     scj/5
 RXJ+ | -         -         2         3         4         5
 RXJ- | -         -         tlf/2     tlf/3     tlf/2     tlf/3
 RXR  | -         -         2         3         4         5

      | 6         7         8           9
 Up   | -         -         -           -
 Down | 1         1         1           tld/1
 Open | 6         7         8           9r
 Close| irc,str/4 irc,str/4 irc,str/4   tld,irc,str/4
 TO+  | scr/6     scr/6     scr/8       -
 TO-  | tlf/3p    tlf/3p    tlf/3p      -
 RCR+ | sca/8     sca,tlu/9 sca/8       tld,scr,sca/8
 RCR- | scn/6     scn/7     scn/6       tld,scr,scn/6
 RCA  | irc/7     scr/6x    irc,tlu/9   tld,scr/6x
 RCN  | irc,scr/6 scr/6x    irc,scr/8   tld,scr/6x
 RTR  | sta/6     sta/6     sta/6       tld,zrc,sta/5
 RTA  | 6         6         8           tld,scr/6
 RUC  | scj/6     scj/7     scj/8       scj/9
 RXJ+ | 6         6         8           9
 RXJ- | tlf/3     tlf/3     tlf/3       tld,irc,str/5
 RXR  | 6         7         8           ser/9
"""


def parse_rfc_table():
    cells = {}
    columns = []
    for line in RFC_TABLE.strip("\n").splitlines():
        if not line.strip():
            continue
        head, _, rest = line.partition("|")
        fields = rest.split()
        if not head.strip():
            columns = [State(int(f)) for f in fields]
            continue
        event = head.strip()
        for state, cell in zip(columns, fields, strict=True):
            if cell == "-":
                continue
            actions, _, target = cell.rpartition("/")
            target = target.rstrip("rpx")  # restart/passive/crossed notes need no action
            cells[(state, event)] = (tuple(a for a in actions.split(",") if a), State(int(target)))
    return cells


RFC = parse_rfc_table()


def test_table_matches_the_rfc_exactly():
    assert len(RFC) == len(TABLE)
    for key, expected in RFC.items():
        assert TABLE[key] == expected, key


class Recorder(Policy):
    def __init__(self):
        self.calls = []

    def up(self): self.calls.append("tlu")
    def down(self): self.calls.append("tld")
    def started(self): self.calls.append("tls")
    def finished(self): self.calls.append("tlf")


SENDS = {"scr": C.CONF_REQ, "sca": C.CONF_ACK, "scn": C.CONF_NAK, "str": C.TERM_REQ,
         "sta": C.TERM_ACK, "scj": C.CODE_REJ, "ser": C.ECHO_REPLY}
# The answer each event carries for the table to send (sta answers any of them with Terminate-Ack).
ANSWERS = {"RCR-": C.CONF_NAK, "RUC": C.CODE_REJ, "RXR": C.ECHO_REPLY}


@pytest.mark.parametrize("state", list(State))
@pytest.mark.parametrize("event", list(Event))
def test_every_cell_runs_its_actions(state, event):
    """Put the automaton in each state, fire each event, observe what it does."""
    policy, sent = Recorder(), []
    fsm = Fsm(policy, lambda code, ident, data: sent.append(code))
    fsm.state = state
    fsm.restart_count = 5
    fsm._event(event, 100.0, Control(ANSWERS.get(event, C.CONF_ACK), 1))
    cell = RFC.get((state, event))
    if cell is None:
        assert fsm.state == state and fsm.illegal_events == 1 and not sent and not policy.calls
        return
    actions, target = cell
    assert fsm.state == target
    assert policy.calls == [a for a in actions if a.startswith("tl")]
    assert sent == [SENDS[a] for a in actions if a in SENDS]
    if "irc" in actions and "scr" not in actions and "str" not in actions:
        expected = fsm.max_terminate if target in (State.CLOSING, State.STOPPING) else fsm.max_configure
        assert fsm.restart_count == expected
    if "zrc" in actions:
        assert fsm.restart_count == 0
    timer_states = {State.CLOSING, State.STOPPING, State.REQ_SENT, State.ACK_RCVD, State.ACK_SENT}
    if target not in timer_states:
        assert fsm.deadline is None
    elif {"scr", "str", "zrc"} & set(actions):
        assert fsm.deadline == 100.0 + fsm.restart_timer


def test_max_configure_then_tlf():
    policy, sent = Recorder(), []
    fsm = Fsm(policy, lambda code, ident, data: sent.append(code), max_configure=4)
    fsm.open(0.0)
    fsm.up(0.0)
    now = 0.0
    while fsm.deadline is not None:
        now = fsm.deadline
        fsm.tick(now)
    assert sent == [C.CONF_REQ] * 4
    assert fsm.state == State.STOPPED and policy.calls == ["tls", "tlf"]
    assert now == pytest.approx(4 * 3.0)


def test_max_terminate_then_closed():
    policy, sent = Recorder(), []
    fsm = Fsm(policy, lambda code, ident, data: sent.append(code))
    fsm.state = State.OPENED
    fsm.close(0.0, "bye")
    while fsm.deadline is not None:
        fsm.tick(fsm.deadline)
    assert sent == [C.TERM_REQ, C.TERM_REQ]
    assert fsm.state == State.CLOSED and policy.calls == ["tld", "tlf"]


def test_stale_and_duplicate_acks_are_discarded():
    policy, sent = Recorder(), []
    fsm = Fsm(policy, lambda code, ident, data: sent.append((code, ident, data)))
    fsm.open(0.0)
    fsm.up(0.0)
    req_id = sent[-1][1]
    fsm.receive(C.CONF_ACK, (req_id + 1) & 0xFF, b"", 0.1)
    assert fsm.state == State.REQ_SENT
    fsm.receive(C.CONF_ACK, req_id, b"", 0.1)
    assert fsm.state == State.ACK_RCVD
    fsm.receive(C.CONF_ACK, req_id, b"", 0.2)  # a duplicate must not trigger the crossed-Ack row
    assert fsm.state == State.ACK_RCVD


def test_unknown_code_is_code_rejected_with_the_packet():
    sent = []
    fsm = Fsm(Recorder(), lambda code, ident, data: sent.append((code, ident, data)))
    fsm.state = State.OPENED
    fsm.receive(42, 7, b"xyz", 0.0)
    code, _, data = sent[-1]
    assert code == C.CODE_REJ and data == bytes([42, 7, 0, 7]) + b"xyz"
    assert fsm.state == State.OPENED
