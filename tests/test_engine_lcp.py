"""LCP (RFC 1661 sections 5 and 6, RFC 2516 section 7) on one role, against hand-made packets."""
import struct

import pytest
from frames import PEER_MAGIC, Lone, magic_of, only, up_pair, wire_frames

from pppemu import wire
from pppemu.ppp.events import LinkUp, SessionDown
from pppemu.ppp.fsm import State
from pppemu.wire import const as C

MRU = C.LCP_MRU
MAGIC = C.LCP_MAGIC


def opts(*pairs):
    return wire.encode_options(list(pairs))


def mru(n):
    return (MRU, struct.pack("!H", n))


def magic(n):
    return (MAGIC, struct.pack("!I", n))


def answer(out):
    """The one Configure-Ack/-Nak/-Reject among what was sent (a resent request may precede it)."""
    (reply,) = [f for f in out if f.protocol == C.PROTO_LCP and f.code in (C.CONF_ACK, C.CONF_NAK, C.CONF_REJ)]
    return reply


def test_client_configure_request_asks_for_1492_and_a_magic_number_and_nothing_pppoe_forbids():
    lone = Lone()
    (req,) = only(lone.first, C.PROTO_LCP, C.CONF_REQ)
    options = dict(req.options)
    assert options[MRU] == struct.pack("!H", 1492)
    assert magic_of(req) != 0 and magic_of(req) == lone.ppp.lcp_policy.magic
    assert set(options) == {MRU, MAGIC}  # no ACCM, ACFC, PFC (RFC 2516 section 7), no authentication
    assert req.dst == lone.peer and req.src == lone.me and req.session_id == 0x1234


def test_ac_configure_request_demands_chap_md5():
    lone = Lone("ac")
    (req,) = only(lone.first, C.PROTO_LCP, C.CONF_REQ)
    assert dict(req.options)[C.LCP_AUTH] == b"\xc2\x23\x05"
    assert [o for o, _ in req.options] == [MRU, C.LCP_AUTH, MAGIC]
    lone = Lone("ac", require_auth="pap")
    (req,) = only(lone.first, C.PROTO_LCP, C.CONF_REQ)
    assert dict(req.options)[C.LCP_AUTH] == b"\xc0\x23"


def test_an_acceptable_request_is_acked_with_its_identifier_and_options_unchanged():
    lone = Lone()
    data = opts(mru(1400), magic(PEER_MAGIC))
    ack = answer(lone.lcp(C.CONF_REQ, 0x99, data + b""))
    assert (ack.protocol, ack.code, ack.ctl.ident, ack.ctl.data) == (C.PROTO_LCP, C.CONF_ACK, 0x99, data)
    assert lone.ppp.lcp.state == State.ACK_SENT


def test_peer_mru_limits_what_we_send_and_is_reported_on_link_up():
    lone = Lone()
    lone.open_lcp([mru(1400), magic(PEER_MAGIC)])
    (up,) = lone.of(LinkUp)
    assert up.mru == 1400 and lone.ppp.lcp_policy.tx_mtu == 1400 and lone.ppp.lcp_policy.peer_magic == PEER_MAGIC


def test_a_request_without_mru_means_the_default_1500_capped_by_pppoe():
    lone = Lone()
    lone.open_lcp([magic(PEER_MAGIC)])
    assert lone.ppp.lcp_policy.peer_mru == 1500 and lone.of(LinkUp)[0].mru == 1492


@pytest.mark.parametrize("asked, nak", [(127, 128), (64, 128), (0, 128)])
def test_an_mru_below_128_is_naked_up_to_128(asked, nak):
    lone = Lone()
    reply = answer(lone.lcp(C.CONF_REQ, 3, opts(mru(asked), magic(PEER_MAGIC))))
    assert reply.code == C.CONF_NAK and reply.ctl.ident == 3 and reply.options == [mru(nak)]


def test_an_mru_of_128_is_acked():
    lone = Lone()
    reply = answer(lone.lcp(C.CONF_REQ, 3, opts(mru(128))))
    assert reply.code == C.CONF_ACK


def test_after_max_failure_naks_the_option_is_rejected_instead():
    # RFC 1661 section 4.6, Max-Failure: Configure-Naks turn into Configure-Rejects.
    lone = Lone(max_failure=3)
    codes = [answer(lone.lcp(C.CONF_REQ, n, opts(mru(64)))).code for n in range(5)]
    assert codes == [C.CONF_NAK, C.CONF_NAK, C.CONF_NAK, C.CONF_REJ, C.CONF_REJ]


def test_options_a_pppoe_link_must_not_use_are_rejected_alone():
    lone = Lone()
    data = opts(mru(1492), (C.LCP_ACCM, b"\0\0\0\0"), (C.LCP_PFC, b""), (C.LCP_ACFC, b""), (C.LCP_QUALITY, b"\xc0\x25"))
    rej = answer(lone.lcp(C.CONF_REQ, 8, data))
    assert rej.code == C.CONF_REJ and rej.ctl.ident == 8
    assert rej.options == [(C.LCP_ACCM, b"\0\0\0\0"), (C.LCP_PFC, b""), (C.LCP_ACFC, b""), (C.LCP_QUALITY, b"\xc0\x25")]


def test_a_reject_wins_over_a_nak_in_the_same_request():
    lone = Lone()
    rej = answer(lone.lcp(C.CONF_REQ, 8, opts(mru(64), (C.LCP_PFC, b""))))
    assert rej.code == C.CONF_REJ and rej.options == [(C.LCP_PFC, b"")]


def test_malformed_mru_and_magic_options_are_rejected():
    lone = Lone()
    rej = answer(lone.lcp(C.CONF_REQ, 8, opts((MRU, b"\x05"), (MAGIC, b"\x01\x02"))))
    assert rej.code == C.CONF_REJ and rej.options == [(MRU, b"\x05"), (MAGIC, b"\x01\x02")]


def test_our_own_magic_number_is_naked_as_a_possible_loop():
    # RFC 1661 section 6.4: a Configure-Request carrying our Magic-Number may mean a looped-back link.
    lone = Lone()
    ours = lone.ppp.lcp_policy.magic
    nak = answer(lone.lcp(C.CONF_REQ, 4, opts(magic(ours))))
    assert nak.code == C.CONF_NAK
    (suggested,) = [struct.unpack("!I", v)[0] for o, v in nak.options if o == MAGIC]
    assert suggested not in (0, ours) and lone.ppp.lcp_policy.looped_back == 1


def test_a_zero_magic_number_is_naked_but_is_no_loop():
    lone = Lone()
    nak = answer(lone.lcp(C.CONF_REQ, 4, opts(magic(0))))
    assert nak.code == C.CONF_NAK and struct.unpack("!I", nak.options[0][1])[0] != 0
    assert lone.ppp.lcp_policy.looped_back == 0


def test_the_suggested_magic_differs_from_ours_even_when_the_generator_repeats_it():
    lone = Lone()
    policy = lone.ppp.lcp_policy
    draws = iter([policy.magic, policy.magic, 77])
    policy.new_magic = lambda: next(draws)
    nak = answer(lone.lcp(C.CONF_REQ, 4, opts(magic(policy.magic))))
    assert nak.options == [magic(77)]


@pytest.mark.parametrize("accept, asked, code, expected", [
    (("chap", "pap"), b"\xc2\x23\x05", C.CONF_ACK, None),
    (("chap", "pap"), b"\xc0\x23", C.CONF_ACK, None),
    (("pap",), b"\xc2\x23\x05", C.CONF_NAK, b"\xc0\x23"),
    (("chap",), b"\xc2\x23\x81", C.CONF_NAK, b"\xc2\x23\x05"),
    (("chap",), b"\xc2", C.CONF_REJ, b"\xc2"),
])
def test_the_authentication_the_peer_demands(accept, asked, code, expected):
    lone = Lone(accept_auth=accept)
    reply = answer(lone.lcp(C.CONF_REQ, 5, opts((C.LCP_AUTH, asked))))
    assert reply.code == code
    if expected is not None:
        assert reply.options == [(C.LCP_AUTH, expected)]


def test_a_client_without_credentials_rejects_any_authentication():
    lone = Lone(username="")
    reply = answer(lone.lcp(C.CONF_REQ, 5, opts((C.LCP_AUTH, b"\xc0\x23"))))
    assert reply.code == C.CONF_REJ and reply.options == [(C.LCP_AUTH, b"\xc0\x23")]


# ---- replies to our Configure-Request

def _request(lone):
    (req,) = only(lone.first, C.PROTO_LCP, C.CONF_REQ)
    return req


def test_an_ack_with_another_identifier_or_other_options_is_discarded():
    lone = Lone()
    req = _request(lone)
    lone.lcp(C.CONF_ACK, (req.ctl.ident + 1) & 0xFF, req.ctl.data)
    lone.lcp(C.CONF_ACK, req.ctl.ident, opts(mru(1400)))
    assert lone.ppp.lcp.state == State.REQ_SENT
    lone.ack(req)
    assert lone.ppp.lcp.state == State.ACK_RCVD


def test_a_nak_of_the_mru_is_taken_in_the_next_request_with_a_new_identifier():
    lone = Lone()
    req = _request(lone)
    (again,) = lone.lcp(C.CONF_NAK, req.ctl.ident, opts(mru(1400)))
    assert again.code == C.CONF_REQ and again.ctl.ident != req.ctl.ident
    assert dict(again.options)[MRU] == struct.pack("!H", 1400) and magic_of(again) == magic_of(req)


@pytest.mark.parametrize("naked, kept", [(128, 128), (1492, 1492), (127, None), (1493, None), (1500, None)])
def test_a_naked_mru_is_taken_only_within_what_the_link_carries(naked, kept):
    lone = Lone()
    req = _request(lone)
    (again,) = lone.lcp(C.CONF_NAK, req.ctl.ident, opts(mru(naked)))
    got = dict(again.options).get(MRU)
    assert got == (None if kept is None else struct.pack("!H", kept))


def test_a_nak_of_the_magic_number_brings_a_fresh_one():
    lone = Lone()
    req = _request(lone)
    (again,) = lone.lcp(C.CONF_NAK, req.ctl.ident, opts(magic(magic_of(req))))
    assert magic_of(again) not in (0, magic_of(req)) and dict(again.options)[MRU] == struct.pack("!H", 1492)


def test_rejected_options_are_not_asked_for_again():
    lone = Lone()
    req = _request(lone)
    (again,) = lone.lcp(C.CONF_REJ, req.ctl.ident, opts(mru(1492)))
    assert [o for o, _ in again.options] == [MAGIC]
    (third,) = lone.lcp(C.CONF_REJ, again.ctl.ident, opts(magic(magic_of(again))))
    assert third.code == C.CONF_REQ and third.options == []


def test_a_reply_to_an_old_request_is_discarded():
    lone = Lone()
    req = _request(lone)
    (again,) = lone.lcp(C.CONF_NAK, req.ctl.ident, opts(mru(1400)))
    assert lone.lcp(C.CONF_NAK, req.ctl.ident, opts(mru(1300))) == []
    assert lone.lcp(C.CONF_REJ, req.ctl.ident, opts(mru(1400))) == []
    lone.ack(again)
    assert lone.ppp.lcp.state == State.ACK_RCVD


def test_max_configure_requests_then_the_session_fails():
    # RFC 1661 section 4.6: Max-Configure Configure-Requests, one restart interval apart.
    lone = Lone(max_configure=4, restart_timer=2.0)
    sent = lone.advance(60)
    reqs = only(sent, C.PROTO_LCP, C.CONF_REQ)
    assert len(reqs) == 3  # the first went out with the PADS exchange
    assert len({r.ctl.ident for r in reqs + only(lone.first, C.PROTO_LCP, C.CONF_REQ)}) == 4
    (down,) = lone.of(SessionDown)
    assert down.reason == "LCP negotiation failed (no agreement with the peer)"
    (padt,) = [f for f in sent if f.disc is not None]
    assert padt.disc.code == C.PADT and padt.session_id == 0x1234


def test_restart_timer_spaces_the_retransmissions():
    lone = Lone(restart_timer=2.5)
    assert lone.advance(2.4) == []
    assert lone.advance(0.2) and lone.now == pytest.approx(2.6)
    assert lone.advance(2.3) == [] and lone.advance(0.3)


# ---- Echo, Discard, Code-Reject, Protocol-Reject, Terminate

def test_echo_reply_carries_our_magic_number_and_the_peers_data():
    # RFC 1661 section 5.8: the Magic-Number field of a reply is the sender's own.
    lone = Lone()
    lone.open_lcp()
    (reply,) = lone.lcp(C.ECHO_REQ, 0x21, struct.pack("!I", PEER_MAGIC) + b"payload")
    assert reply.code == C.ECHO_REPLY and reply.ctl.ident == 0x21
    assert reply.ctl.data == struct.pack("!I", lone.ppp.lcp_policy.magic) + b"payload"
    assert lone.ppp.lcp_policy.looped_back == 0


def test_echo_request_with_our_own_magic_is_counted_as_a_loop():
    lone = Lone()
    lone.open_lcp()
    ours = lone.ppp.lcp_policy.magic
    (reply,) = lone.lcp(C.ECHO_REQ, 1, struct.pack("!I", ours))
    assert reply.code == C.ECHO_REPLY and lone.ppp.lcp_policy.looped_back == 1


def test_echo_request_with_magic_zero_is_no_loop_even_when_we_have_none():
    lone = Lone()
    req = _request(lone)
    (again,) = lone.lcp(C.CONF_REJ, req.ctl.ident, opts(magic(magic_of(req))))
    lone.ack(again)
    lone.lcp(C.CONF_REQ, 9, opts(mru(1492)))
    assert lone.ppp.lcp.opened and lone.ppp.lcp_policy.magic == 0
    (reply,) = lone.lcp(C.ECHO_REQ, 2, b"\0\0\0\0")
    assert reply.ctl.data == b"\0\0\0\0" and lone.ppp.lcp_policy.looped_back == 0


def test_echo_request_before_lcp_is_opened_is_discarded():
    lone = Lone()
    assert lone.lcp(C.ECHO_REQ, 1, struct.pack("!I", PEER_MAGIC)) == []


def test_a_truncated_echo_request_gets_no_reply():
    lone = Lone()
    lone.open_lcp()
    assert lone.lcp(C.ECHO_REQ, 1, b"\x01\x02\x03") == []
    assert lone.ppp.lcp.opened


def test_discard_request_is_silently_accepted():
    lone = Lone()
    lone.open_lcp()
    assert lone.lcp(C.DISCARD_REQ, 1, struct.pack("!I", PEER_MAGIC) + b"x") == [] and lone.ppp.lcp.opened


@pytest.mark.parametrize("rejected", [C.ECHO_REQ, C.ECHO_REPLY, C.DISCARD_REQ, C.PROTO_REJ, C.IDENTIFICATION, 0])
def test_code_reject_of_an_optional_code_keeps_the_link(rejected):
    # RFC 1661 section 5.6: a rejected code that is not needed is an RXJ+.
    lone = Lone()
    lone.open_lcp()
    rejected_packet = bytes([rejected, 3, 0, 8]) + b"\0" * 4 if rejected else b""
    assert lone.lcp(C.CODE_REJ, 7, rejected_packet) == []
    assert lone.ppp.lcp.opened and lone.ppp.phase.value == "network"


@pytest.mark.parametrize("rejected", [C.CONF_REQ, C.CONF_ACK, C.TERM_REQ, C.CODE_REJ])
def test_code_reject_of_a_code_lcp_cannot_do_without_takes_the_link_down(rejected):
    lone = Lone()
    lone.open_lcp()
    out = lone.lcp(C.CODE_REJ, 7, bytes([rejected, 3, 0, 4]))
    (term,) = only(out, C.PROTO_LCP, C.TERM_REQ)
    assert lone.ppp.lcp.state == State.STOPPING


def test_unknown_code_is_code_rejected_with_a_fresh_identifier_in_any_active_state():
    lone = Lone()
    (rej,) = lone.lcp(0x40, 0x33, b"zz")
    assert rej.code == C.CODE_REJ and rej.ctl.data == bytes([0x40, 0x33, 0, 6]) + b"zz"
    (rej2,) = lone.lcp(0x41, 0x33, b"")
    assert rej2.ctl.ident != rej.ctl.ident


def test_protocol_reject_of_ipv6cp_stops_ipv6cp_only():
    lone = Lone(ipv6=True)
    lone.open_lcp()
    assert lone.ppp.ipv6cp.state == State.REQ_SENT and lone.ppp.ipcp.state == State.REQ_SENT
    out = lone.lcp(C.PROTO_REJ, 5, struct.pack("!H", C.PROTO_IPV6CP) + b"\x01\x01\x00\x04")
    assert out == [] and lone.ppp.ipv6cp.state == State.STOPPED and lone.ppp.ipv6cp.deadline is None
    assert lone.ppp.ipcp.state == State.REQ_SENT and lone.ppp.lcp.opened
    assert not only(lone.advance(10), C.PROTO_IPV6CP)


def test_protocol_reject_of_lcp_itself_is_catastrophic():
    lone = Lone()
    lone.open_lcp()
    out = lone.lcp(C.PROTO_REJ, 5, struct.pack("!H", C.PROTO_LCP))
    assert only(out, C.PROTO_LCP, C.TERM_REQ) and lone.ppp.lcp.state == State.STOPPING


def test_a_truncated_protocol_reject_is_ignored():
    lone = Lone(ipv6=True)
    lone.open_lcp()
    assert lone.lcp(C.PROTO_REJ, 5, b"\x80") == [] and lone.ppp.ipv6cp.state == State.REQ_SENT


def test_unknown_protocol_is_protocol_rejected_truncated_to_the_peer_mru():
    # RFC 1661 section 5.7: the Rejected-Information is truncated to the peer's MRU.
    lone = Lone()
    lone.open_lcp([mru(1000), magic(PEER_MAGIC)])
    info = bytes(range(256)) * 8
    (rej,) = lone.feed(0x8281, info)
    assert rej.protocol == C.PROTO_LCP and rej.code == C.PROTO_REJ
    assert len(rej.info) == 1000 and rej.ctl.data == struct.pack("!H", 0x8281) + info[:994]
    (rej2,) = lone.feed(0x8281, b"ab")
    assert rej2.ctl.data == b"\x82\x81ab" and rej2.ctl.ident != rej.ctl.ident
    assert lone.ppp.protocol_rejects_sent == 2


def test_unknown_protocol_before_lcp_is_opened_is_dropped():
    lone = Lone()
    assert lone.feed(0x8281, b"ab") == [] and lone.ppp.unknown_dropped == 1


def test_terminate_request_is_acked_with_its_identifier_and_ends_the_session():
    lone = Lone()
    lone.open_lcp()
    (ack,) = lone.lcp(C.TERM_REQ, 0x5A, b"going away")
    assert ack.code == C.TERM_ACK and ack.ctl.ident == 0x5A
    assert lone.ppp.lcp.state == State.STOPPING
    assert not lone.of(SessionDown)
    sent = lone.advance(5)  # one restart interval later LCP finishes (zrc)
    (down,) = lone.of(SessionDown)
    assert down.reason == "peer terminated the link: going away"
    assert [f.disc.code for f in sent if f.disc is not None] == [C.PADT]


def test_terminate_request_without_text_gives_a_plain_reason():
    lone = Lone()
    lone.open_lcp()
    lone.lcp(C.TERM_REQ, 1)
    lone.advance(5)
    assert lone.of(SessionDown)[0].reason == "peer terminated the link"


def test_our_close_sends_terminate_requests_max_terminate_times():
    lone = Lone(max_terminate=3, restart_timer=1.0)
    lone.open_lcp()
    lone.role.close(lone.now, "bye")
    sent = lone.advance(10)
    terms = only(sent, C.PROTO_LCP, C.TERM_REQ)
    assert len(terms) == 3 and all(t.ctl.data == b"bye" for t in terms)
    (down,) = lone.of(SessionDown)
    assert down.reason == "bye"


def test_a_terminate_ack_ends_our_close_at_once():
    lone = Lone()
    lone.open_lcp()
    lone.role.close(lone.now, "bye")
    lone.advance(0.1)
    out = lone.lcp(C.TERM_ACK, lone.ppp.lcp.next_id)
    assert lone.of(SessionDown) and [f.disc.code for f in out if f.disc is not None] == [C.PADT]


def test_a_configure_request_while_opened_renegotiates_and_drops_the_network_layer():
    # RFC 1661 section 4.1, Opened + RCR: tld, scr, sca.
    lone = Lone()
    lone.open_lcp()
    assert lone.ppp.phase.value == "network"
    out = lone.lcp(C.CONF_REQ, 0x70, opts(mru(1492), magic(PEER_MAGIC)))
    assert [f.code for f in out if f.protocol == C.PROTO_LCP] == [C.CONF_REQ, C.CONF_ACK]
    assert lone.ppp.phase.value == "establish" and lone.ppp.ipcp.state == State.STARTING
    assert not lone.ppp.is_up and not lone.of(SessionDown)


def test_the_keepalive_sends_echo_requests_with_our_magic_and_counts_replies():
    pair, cs, acs = up_pair(client_ppp={"echo_interval": 10, "echo_failure": 2}, ac_ppp={"echo_interval": 0})
    pair.advance(60)
    echoes = only(wire_frames(pair, "c2a"), C.PROTO_LCP, C.ECHO_REQ)
    replies = only(wire_frames(pair, "a2c"), C.PROTO_LCP, C.ECHO_REPLY)
    assert len(echoes) >= 5 and len(replies) == len(echoes)
    assert {e.ctl.data for e in echoes} == {struct.pack("!I", cs.ppp.lcp_policy.magic)}
    assert {r.ctl.data for r in replies} == {struct.pack("!I", acs.ppp.lcp_policy.magic)}
    assert [r.ctl.ident for r in replies] == [e.ctl.ident for e in echoes]
    assert len({e.ctl.ident for e in echoes}) == len(echoes)
    assert cs.ppp.echoes_outstanding == 0 and cs.ppp.is_up


def test_echo_replies_keep_the_link_up_and_their_absence_takes_it_down():
    lone = Lone(echo_interval=5, echo_failure=2, max_configure=50)  # IPCP keeps trying meanwhile
    lone.open_lcp()
    for _ in range(4):
        (echo,) = only(lone.advance(5), C.PROTO_LCP, C.ECHO_REQ)
        lone.lcp(C.ECHO_REPLY, echo.ctl.ident, struct.pack("!I", PEER_MAGIC))
        assert lone.ppp.echoes_outstanding == 0
    sent = lone.advance(15)  # two echoes go unanswered; the third deadline finds them missing
    assert len(only(sent, C.PROTO_LCP, C.ECHO_REQ)) == 2
    # one Terminate-Request, and down at once: no waiting for a dead peer's Terminate-Ack
    (term,) = only(sent, C.PROTO_LCP, C.TERM_REQ)
    assert term.ctl.data == b"peer not responding"
    (down,) = lone.of(SessionDown)
    assert down.reason == "peer not responding: 2 LCP echoes unanswered" and down.key == lone.session.key
    assert lone.ppp.phase.value == "dead" and lone.role.next_deadline() is None


@pytest.mark.parametrize("interval", [0.5, 10.0])
def test_the_first_echo_comes_between_half_and_one_interval_after_the_link_opens(interval):
    for seed in range(8):
        lone = Lone(echo_interval=interval, max_configure=1000)
        lone.ppp.rng.seed(seed)
        lone.open_lcp()
        opened_at = lone.now
        sent = []
        while not sent:
            sent = only(lone.advance(interval / 20), C.PROTO_LCP, C.ECHO_REQ)
        assert interval / 2 <= lone.now - opened_at <= interval + interval / 20


def test_terminate_text_that_is_not_utf8_is_still_reported():
    lone = Lone()
    lone.open_lcp()
    lone.lcp(C.TERM_REQ, 1, b"bye\xff")
    lone.advance(5)
    assert lone.of(SessionDown)[0].reason == "peer terminated the link: bye\ufffd"


def test_an_ac_whose_mru_is_rejected_keeps_demanding_authentication():
    lone = Lone("ac")
    (req,) = only(lone.first, C.PROTO_LCP, C.CONF_REQ)
    (again,) = only(lone.lcp(C.CONF_REJ, req.ctl.ident, opts(mru(1492))), C.PROTO_LCP, C.CONF_REQ)
    assert [o for o, _ in again.options] == [C.LCP_AUTH, MAGIC] and lone.ppp.lcp_policy.fatal is None
