"""The RFC 1661 automaton driven through its packet interface: what it sends, with which identifiers."""
import pytest

from pppemu.ppp.fsm import Fsm, Policy, State
from pppemu.wire import const as C
from pppemu.wire.control import encode_options


class Recorder(Policy):
    def __init__(self, verdict=C.CONF_ACK):
        self.calls = []
        self.verdict = verdict
        self.naks, self.rejects = [], []

    def reset(self):
        self.calls.append("reset")

    def build_request(self):
        return [(1, b"\x05\xd4")]

    def check_request(self, options, reject_naks):
        if self.verdict == C.CONF_ACK:
            return C.CONF_ACK, options
        return (C.CONF_REJ if reject_naks else self.verdict), options[:1]

    def handle_nak(self, options):
        self.naks.append(options)

    def handle_reject(self, options):
        self.rejects.append(options)

    def up(self):
        self.calls.append("up")

    def down(self):
        self.calls.append("down")

    def finished(self):
        self.calls.append("finished")

    def started(self):
        self.calls.append("started")


def machine(**kw):
    sent = []
    policy = Recorder(kw.pop("verdict", C.CONF_ACK))
    fsm = Fsm(policy, lambda code, ident, data: sent.append((code, ident, data)), **kw)
    return fsm, policy, sent


REQ = encode_options([(1, b"\x05\xd4")])


def opened(**kw):
    fsm, policy, sent = machine(**kw)
    fsm.open(0.0)
    fsm.up(0.0)
    fsm.receive(C.CONF_ACK, sent[-1][1], sent[-1][2], 0.1)
    fsm.receive(C.CONF_REQ, 0x50, REQ, 0.1)
    assert fsm.state == State.OPENED
    sent.clear()
    policy.calls.clear()
    return fsm, policy, sent


def test_packets_before_the_lower_layer_is_up_are_discarded():
    fsm, _, sent = machine()
    fsm.receive(C.CONF_REQ, 1, REQ, 0.0)
    fsm.open(0.0)
    fsm.receive(C.CONF_REQ, 1, REQ, 0.0)
    fsm.receive(C.TERM_REQ, 1, b"", 0.0)
    assert sent == [] and fsm.state == State.STARTING


def test_closed_answers_configure_packets_with_terminate_ack_of_their_identifier():
    # RFC 1661 section 4.1: Closed + RCR/RCA/RCN/RTR -> sta.
    fsm, _, sent = machine()
    fsm.up(0.0)
    assert fsm.state == State.CLOSED
    fsm.receive(C.CONF_REQ, 0x11, REQ, 0.0)
    fsm.receive(C.CONF_ACK, 0x12, REQ, 0.0)
    fsm.receive(C.CONF_NAK, 0x13, REQ, 0.0)
    fsm.receive(C.TERM_REQ, 0x14, b"why", 0.0)
    assert sent == [(C.TERM_ACK, 0x11, b""), (C.TERM_ACK, 0x12, b""), (C.TERM_ACK, 0x13, b""),
                    (C.TERM_ACK, 0x14, b"")]
    assert fsm.state == State.CLOSED and fsm.deadline is None


def test_stopped_answers_a_configure_request_with_a_request_and_an_ack():
    fsm, policy, sent = machine(max_configure=1)
    fsm.open(0.0)
    fsm.up(0.0)
    fsm.tick(3.0)
    assert fsm.state == State.STOPPED and policy.calls[-1] == "finished"
    sent.clear()
    fsm.receive(C.CONF_REQ, 0x21, REQ, 5.0)
    assert [s[0] for s in sent] == [C.CONF_REQ, C.CONF_ACK] and sent[1] == (C.CONF_ACK, 0x21, REQ)
    assert fsm.state == State.ACK_SENT and fsm.deadline == 8.0 and fsm.restart_count == 0
    assert "reset" in policy.calls


def test_identifiers_of_our_requests_change_and_acks_must_match_them():
    fsm, _, sent = machine()
    fsm.open(0.0)
    fsm.up(0.0)
    fsm.tick(3.0)
    fsm.tick(6.0)
    ids = [ident for code, ident, _ in sent if code == C.CONF_REQ]
    assert len(ids) == 3 and len(set(ids)) == 3 and fsm.retransmits == 2
    fsm.receive(C.CONF_ACK, ids[0], REQ, 6.1)
    assert fsm.state == State.REQ_SENT
    fsm.receive(C.CONF_ACK, ids[2], REQ, 6.1)
    assert fsm.state == State.ACK_RCVD and fsm.deadline == 9.0


def test_timer_fires_only_at_its_deadline():
    fsm, _, sent = machine(restart_timer=2.0)
    fsm.open(0.0)
    fsm.up(0.0)
    fsm.tick(1.99)
    assert len(sent) == 1
    fsm.tick(2.0)
    assert len(sent) == 2 and fsm.deadline == 4.0


def test_identifier_wraps_within_one_octet():
    fsm, _, sent = machine()
    fsm.next_id = 0xFF
    fsm.open(0.0)
    fsm.up(0.0)
    assert sent[-1][1] == 0 and fsm.req_id == 0


def test_a_nak_or_reject_goes_to_the_policy_and_brings_a_new_request():
    fsm, policy, sent = machine()
    fsm.open(0.0)
    fsm.up(0.0)
    first = sent[-1][1]
    fsm.receive(C.CONF_NAK, first, encode_options([(1, b"\x05\x00")]), 0.5)
    assert policy.naks == [[(1, b"\x05\x00")]] and sent[-1][0] == C.CONF_REQ and sent[-1][1] != first
    fsm.receive(C.CONF_REJ, sent[-1][1], encode_options([(1, b"\x05\xd4")]), 0.6)
    assert policy.rejects == [[(1, b"\x05\xd4")]] and fsm.restart_count == fsm.max_configure - 1


def test_malformed_replies_and_requests_are_discarded():
    fsm, policy, sent = machine()
    fsm.open(0.0)
    fsm.up(0.0)
    ident = sent[-1][1]
    fsm.receive(C.CONF_NAK, ident, b"\x01\x09", 0.1)
    fsm.receive(C.CONF_REQ, 3, b"\x01", 0.1)
    assert policy.naks == [] and len(sent) == 1 and fsm.state == State.REQ_SENT
    fsm.receive(C.CONF_ACK, ident, REQ, 0.2)  # the request is still outstanding
    assert fsm.state == State.ACK_RCVD


def test_after_max_failure_naks_sent_the_automaton_asks_for_rejects():
    fsm, policy, sent = machine(verdict=C.CONF_NAK, max_failure=2)
    fsm.open(0.0)
    fsm.up(0.0)
    for n in range(4):
        fsm.receive(C.CONF_REQ, n, REQ, 0.1)
    assert [c for c, _, _ in sent if c != C.CONF_REQ] == [C.CONF_NAK, C.CONF_NAK, C.CONF_REJ, C.CONF_REJ]
    policy.verdict = C.CONF_ACK
    fsm.receive(C.CONF_REQ, 9, REQ, 0.2)
    assert fsm.naks_sent == 0


def test_replies_while_terminating_are_ignored():
    fsm, policy, sent = opened()
    fsm.close(1.0, "bye")
    assert sent == [(C.TERM_REQ, sent[0][1], b"bye")] and fsm.state == State.CLOSING
    fsm.receive(C.CONF_ACK, fsm.req_id, REQ, 1.1)
    fsm.receive(C.CONF_NAK, fsm.req_id, REQ, 1.1)
    fsm.receive(C.CONF_REQ, 7, REQ, 1.1)
    assert len(sent) == 1 and policy.naks == [] and fsm.state == State.CLOSING


def test_terminate_request_in_opened_zeroes_the_counter_and_finishes_after_one_interval():
    fsm, policy, sent = opened(restart_timer=2.0)
    fsm.receive(C.TERM_REQ, 0x66, b"bye", 5.0)
    assert sent == [(C.TERM_ACK, 0x66, b"")] and fsm.state == State.STOPPING
    assert fsm.restart_count == 0 and fsm.deadline == 7.0 and fsm.peer_reason == b"bye"
    assert policy.calls == ["down"]
    fsm.tick(7.0)
    assert fsm.state == State.STOPPED and policy.calls == ["down", "finished"] and len(sent) == 1


def test_code_reject_uses_a_fresh_identifier_and_quotes_the_packet():
    fsm, _, sent = opened()
    fsm.next_id = 0x30
    fsm.receive(0x42, 0x99, b"data", 1.0)
    assert sent == [(C.CODE_REJ, 0x31, b"\x42\x99\x00\x08data")]


@pytest.mark.parametrize("rejected, survives", [(1, False), (7, False), (8, True), (0, True), (255, True)])
def test_code_reject_is_catastrophic_only_for_codes_1_to_7(rejected, survives):
    fsm, policy, sent = opened()
    fsm.receive(C.CODE_REJ, 1, bytes([rejected, 1, 0, 4]), 1.0)
    assert (fsm.state == State.OPENED) is survives
    assert (sent == []) is survives


def test_protocol_rejected_stops_without_sending():
    fsm, policy, sent = opened()
    fsm.protocol_rejected()
    assert fsm.state == State.STOPPED and fsm.deadline is None and sent == []
    assert policy.calls == ["down", "finished"]
    fsm, policy, sent = machine()
    fsm.open(0.0)
    fsm.up(0.0)
    policy.calls.clear()
    fsm.protocol_rejected()
    assert fsm.state == State.STOPPED and policy.calls == ["finished"]
    fsm, policy, _ = machine()
    fsm.up(0.0)
    fsm.protocol_rejected()
    assert fsm.state == State.CLOSED and policy.calls == []


def test_renegotiation_from_opened_resets_the_policy():
    fsm, policy, sent = opened()
    fsm.receive(C.CONF_REQ, 0x51, REQ, 2.0)
    assert policy.calls == ["down", "reset"]
    assert [c for c, _, _ in sent] == [C.CONF_REQ, C.CONF_ACK] and fsm.state == State.ACK_SENT


def test_a_retransmitted_request_does_not_reset_the_policy():
    fsm, policy, _ = machine()
    fsm.open(0.0)
    fsm.up(0.0)
    assert policy.calls.count("reset") == 1
    fsm.tick(3.0)
    assert policy.calls.count("reset") == 1


def test_close_from_req_sent_sends_terminate_request_max_terminate_times():
    fsm, policy, sent = machine(max_terminate=3, restart_timer=1.0)
    fsm.open(0.0)
    fsm.up(0.0)
    fsm.close(0.5, "stop")
    while fsm.deadline is not None:
        fsm.tick(fsm.deadline)
    terms = [s for s in sent if s[0] == C.TERM_REQ]
    assert len(terms) == 3 and all(t[2] == b"stop" for t in terms) and len({t[1] for t in terms}) == 3
    assert fsm.state == State.CLOSED and policy.calls[-1] == "finished"


def test_down_from_opened_tells_the_policy_and_waits_in_starting():
    fsm, policy, sent = opened()
    fsm.down(1.0)
    assert fsm.state == State.STARTING and policy.calls == ["down"] and fsm.deadline is None
    fsm.up(2.0)
    assert fsm.state == State.REQ_SENT and sent[-1][0] == C.CONF_REQ and fsm.restart_count == fsm.max_configure - 1


def test_a_new_negotiation_counts_max_failure_afresh():
    fsm, policy, sent = machine(verdict=C.CONF_NAK, max_failure=2)
    fsm.open(0.0)
    fsm.up(0.0)
    for n in range(3):
        fsm.receive(C.CONF_REQ, n, REQ, 0.1)
    assert fsm.naks_sent == 2  # the third was rejected
    fsm.down(0.2)  # the link drops before any Ack, then comes back: a new negotiation
    fsm.up(0.3)
    sent.clear()
    fsm.receive(C.CONF_REQ, 7, REQ, 0.4)
    assert [c for c, _, _ in sent if c != C.CONF_REQ] == [C.CONF_NAK]
