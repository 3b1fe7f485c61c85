"""CHAP-MD5 (RFC 1994) and PAP (RFC 1334), both ends, against hand-made packets."""
import hashlib
import random
import struct

import pytest
from frames import Lone, only

from pppemu.ppp import auth
from pppemu.ppp.events import AuthDone, SessionDown
from pppemu.ppp.session import Phase
from pppemu.wire import Chap, Pap, decode_chap, decode_pap, encode_chap, encode_pap
from pppemu.wire import const as C

SECRETS = {b"alice": b"secret", b"bob": b"hunter2"}


def md5(ident, secret, challenge):
    return hashlib.md5(bytes([ident]) + secret + challenge).digest()


def chap_authenticator(**kw):
    sent = []
    a = auth.ChapAuthenticator(lambda info: sent.append(decode_chap(info)), SECRETS.get, random.Random(4),
                               b"bras", **kw)
    return a, sent


def response(ident, value, name=b"alice"):
    return encode_chap(Chap(C.CHAP_RESPONSE, ident, value, name))


def test_chap_challenge_carries_a_16_byte_value_and_our_name():
    a, sent = chap_authenticator()
    a.start(10.0)
    (ch,) = sent
    assert (ch.code, ch.ident, ch.name, len(ch.value)) == (C.CHAP_CHALLENGE, a.ident, b"bras", 16)
    assert ch.value == a.challenge and a.deadline == 13.0


def test_chap_challenges_differ_between_authenticators():
    a, sent_a = chap_authenticator()
    b = auth.ChapAuthenticator(lambda info: None, SECRETS.get, random.Random(5))
    a.start(0.0)
    b.start(0.0)
    assert a.challenge != b.challenge


def test_chap_success_for_the_right_md5_with_the_challenge_identifier():
    a, sent = chap_authenticator()
    a.start(0.0)
    a.receive(response(a.ident, md5(a.ident, b"secret", a.challenge)), 0.5)
    ok = sent[-1]
    assert (ok.code, ok.ident, ok.message) == (C.CHAP_SUCCESS, a.ident, b"Access granted")
    assert a.result is True and a.peer_name == "alice" and a.deadline is None and a.reason == ""


def test_chap_response_with_another_identifier_is_discarded():
    # RFC 1994 section 4.1: the Response's Identifier is copied from the Challenge.
    a, sent = chap_authenticator()
    a.start(0.0)
    other = (a.ident + 1) & 0xFF
    a.receive(response(other, md5(other, b"secret", a.challenge)), 0.5)
    assert len(sent) == 1 and a.result is None and a.deadline == 3.0


def test_chap_failure_for_a_wrong_value_or_an_unknown_name():
    for name, value_secret in ((b"alice", b"wrong"), (b"mallory", b"secret")):
        a, sent = chap_authenticator()
        a.start(0.0)
        a.receive(response(a.ident, md5(a.ident, value_secret, a.challenge), name), 0.5)
        fail = sent[-1]
        assert (fail.code, fail.ident) == (C.CHAP_FAILURE, a.ident) and fail.message == b"Authentication failed"
        assert a.result is False and a.reason == f"CHAP failure for {name.decode()!r}"


def test_chap_md5_over_the_wrong_challenge_fails():
    a, sent = chap_authenticator()
    a.start(0.0)
    a.receive(response(a.ident, md5(a.ident, b"secret", b"\0" * 16)), 0.5)
    assert a.result is False


def test_chap_repeated_response_gets_the_same_answer_again():
    # RFC 1994 section 4.1: a Success may be lost; a repeated Response gets the same reply code.
    a, sent = chap_authenticator()
    a.start(0.0)
    a.receive(response(a.ident, md5(a.ident, b"secret", a.challenge)), 0.5)
    a.receive(response(a.ident, b"garbage-16-bytes"), 0.6)
    assert [p.code for p in sent] == [C.CHAP_CHALLENGE, C.CHAP_SUCCESS, C.CHAP_SUCCESS]
    assert sent[1] == sent[2] and a.result is True


def test_chap_authenticator_ignores_other_codes_and_garbage():
    a, sent = chap_authenticator()
    a.start(0.0)
    a.receive(encode_chap(Chap(C.CHAP_CHALLENGE, a.ident, b"x" * 16, b"n")), 0.1)
    a.receive(encode_chap(Chap(C.CHAP_SUCCESS, a.ident, message=b"")), 0.1)
    a.receive(b"\x02\x01", 0.1)
    assert len(sent) == 1 and a.result is None


def test_chap_challenge_is_repeated_then_the_authenticator_gives_up():
    a, sent = chap_authenticator(timeout=2.0, max_tries=3)
    a.start(0.0)
    times = [0.0]
    while a.deadline is not None:
        now = a.deadline
        before = len(sent)
        a.tick(now)
        if len(sent) > before:
            times.append(now)
    assert times == [0.0, 2.0, 4.0] and a.retransmits == 2
    assert all(p == sent[0] for p in sent)
    assert a.result is False and a.reason == "no CHAP response from the peer"
    a.tick(100.0)
    assert len(sent) == 3


def test_chap_timer_does_nothing_before_its_deadline():
    a, sent = chap_authenticator()
    a.start(0.0)
    a.tick(2.9)
    assert len(sent) == 1 and a.deadline == 3.0


def chap_peer(**kw):
    sent = []
    p = auth.ChapPeer(lambda info: sent.append(decode_chap(info)), b"alice", b"secret", **kw)
    return p, sent


def challenge(ident, value=b"v" * 16, name=b"bras"):
    return encode_chap(Chap(C.CHAP_CHALLENGE, ident, value, name))


def test_chap_peer_answers_with_md5_of_identifier_secret_and_challenge():
    p, sent = chap_peer()
    p.start(0.0)
    p.receive(challenge(0x3C, b"0123456789abcdef"), 1.0)
    (resp,) = sent
    assert (resp.code, resp.ident, resp.name) == (C.CHAP_RESPONSE, 0x3C, b"alice")
    assert resp.value == md5(0x3C, b"secret", b"0123456789abcdef")
    assert p.peer_name == "bras" and p.deadline == 4.0


def test_chap_peer_answers_a_new_challenge_with_its_identifier():
    p, sent = chap_peer()
    p.start(0.0)
    p.receive(challenge(1), 0.0)
    p.receive(challenge(2, b"w" * 16), 0.5)
    assert [r.ident for r in sent] == [1, 2] and sent[1].value == md5(2, b"secret", b"w" * 16)


def test_chap_peer_repeats_its_response_then_gives_up():
    p, sent = chap_peer(timeout=1.0, max_tries=3)
    p.start(0.0)
    p.receive(challenge(9), 0.0)
    while p.deadline is not None:
        p.tick(p.deadline)
    assert len(sent) == 3 and all(r == sent[0] for r in sent) and p.retransmits == 2
    assert p.result is False and p.reason == "no CHAP challenge or result from the peer"


def test_chap_peer_without_a_challenge_gives_up_after_the_whole_wait():
    p, sent = chap_peer(timeout=2.0, max_tries=5)
    p.start(0.0)
    assert p.deadline == 10.0
    p.tick(9.9)
    assert p.result is None
    p.tick(10.0)
    assert p.result is False and sent == []


def test_chap_peer_success_and_failure():
    p, _ = chap_peer()
    p.start(0.0)
    p.receive(challenge(1), 0.0)
    p.receive(encode_chap(Chap(C.CHAP_SUCCESS, 1, message=b"welcome")), 0.1)
    assert p.result is True and p.deadline is None
    p.receive(challenge(2), 0.2)  # nothing more after the verdict
    p, sent = chap_peer()
    p.start(0.0)
    p.receive(challenge(1), 0.0)
    p.receive(encode_chap(Chap(C.CHAP_FAILURE, 1, message=b"E=691")), 0.1)
    assert p.result is False and p.reason == "CHAP authentication failed: E=691"
    p, _ = chap_peer()
    p.receive(challenge(1), 0.0)
    p.receive(encode_chap(Chap(C.CHAP_FAILURE, 1)), 0.1)
    assert p.reason == "CHAP authentication failed"


def test_chap_peer_after_success_does_not_answer_further_challenges():
    p, sent = chap_peer()
    p.start(0.0)
    p.receive(challenge(1), 0.0)
    p.receive(encode_chap(Chap(C.CHAP_SUCCESS, 1)), 0.1)
    p.receive(challenge(2), 0.2)
    assert len(sent) == 1


def pap_authenticator(**kw):
    sent = []
    a = auth.PapAuthenticator(lambda info: sent.append(decode_pap(info)), SECRETS.get, **kw)
    return a, sent


def pap_request(ident, user=b"alice", password=b"secret"):
    return encode_pap(Pap(C.PAP_REQUEST, ident, peer_id=user, password=password))


def test_pap_ack_copies_the_request_identifier():
    # RFC 1334 section 2.2.2: the Identifier of an Ack/Nak is the request's.
    a, sent = pap_authenticator()
    a.start(0.0)
    a.receive(pap_request(0x44), 0.1)
    (ack,) = sent
    assert (ack.code, ack.ident, ack.message) == (C.PAP_ACK, 0x44, b"Login ok")
    assert a.result is True and a.peer_name == "alice" and a.deadline is None


def test_pap_nak_for_a_wrong_password_or_unknown_user():
    for user, password in ((b"alice", b"nope"), (b"eve", b"secret")):
        a, sent = pap_authenticator()
        a.start(0.0)
        a.receive(pap_request(3, user, password), 0.1)
        (nak,) = sent
        assert (nak.code, nak.ident, nak.message) == (C.PAP_NAK, 3, b"Login incorrect")
        assert a.result is False and a.reason == f"PAP failure for {user.decode()!r}"


def test_pap_retransmitted_request_gets_the_same_verdict_with_its_new_identifier():
    a, sent = pap_authenticator()
    a.start(0.0)
    a.receive(pap_request(1), 0.1)
    a.receive(pap_request(2, password=b"other"), 0.2)
    assert [(p.code, p.ident) for p in sent] == [(C.PAP_ACK, 1), (C.PAP_ACK, 2)]
    assert sent[1].message == b"Login ok"


def test_pap_authenticator_ignores_acks_naks_and_garbage():
    a, sent = pap_authenticator()
    a.start(0.0)
    a.receive(encode_pap(Pap(C.PAP_ACK, 1)), 0.1)
    a.receive(b"\x01\x01\x00\x09\x05ab", 0.1)
    assert sent == [] and a.result is None


def test_pap_authenticator_waits_timeout_times_tries_then_gives_up():
    a, _ = pap_authenticator(timeout=2.0, max_tries=4)
    a.start(1.0)
    assert a.deadline == 9.0
    a.tick(8.9)
    assert a.result is None
    a.tick(9.0)
    assert a.result is False and a.reason == "no PAP Authenticate-Request from the peer"


def pap_peer(**kw):
    sent = []
    p = auth.PapPeer(lambda info: sent.append(decode_pap(info)), b"alice", b"secret", random.Random(2), **kw)
    return p, sent


def test_pap_peer_sends_its_name_and_password_and_repeats_them():
    p, sent = pap_peer(timeout=1.5, max_tries=3)
    p.start(0.0)
    (req,) = sent
    assert (req.code, req.peer_id, req.password) == (C.PAP_REQUEST, b"alice", b"secret")
    assert p.deadline == 1.5
    while p.deadline is not None:
        p.tick(p.deadline)
    assert len(sent) == 3 and all(r == req for r in sent) and p.retransmits == 2
    assert p.result is False and p.reason == "no PAP answer from the peer"


def test_pap_peer_ignores_an_answer_with_another_identifier():
    # RFC 1334 section 2.2.2: an Ack or Nak answers the request with the same Identifier.
    p, sent = pap_peer()
    p.start(0.0)
    ident = sent[0].ident
    p.receive(encode_pap(Pap(C.PAP_ACK, (ident + 1) & 0xFF, message=b"ok")), 0.1)
    p.receive(encode_pap(Pap(C.PAP_NAK, (ident - 1) & 0xFF, message=b"no")), 0.1)
    assert p.result is None
    p.receive(encode_pap(Pap(C.PAP_ACK, ident, message=b"ok")), 0.2)
    assert p.result is True and p.deadline is None


def test_pap_peer_nak_ends_with_the_message():
    p, sent = pap_peer()
    p.start(0.0)
    p.receive(encode_pap(Pap(C.PAP_NAK, sent[0].ident, message=b"bad user")), 0.1)
    assert p.result is False and p.reason == "PAP authentication failed: bad user"
    p, sent = pap_peer()
    p.start(0.0)
    p.receive(encode_pap(Pap(C.PAP_NAK, sent[0].ident)), 0.1)
    assert p.reason == "PAP authentication failed"


def test_pap_peer_ignores_requests_and_garbage():
    p, sent = pap_peer()
    p.start(0.0)
    p.receive(pap_request(sent[0].ident), 0.1)
    p.receive(b"\x02", 0.1)
    assert p.result is None


# ---- through the roles

def _ac_in_authenticate(**kw):
    lone = Lone("ac", **kw)
    lone.open_lcp([(C.LCP_MRU, struct.pack("!H", 1492)), (C.LCP_MAGIC, struct.pack("!I", 0x1111))])
    assert lone.ppp.phase == Phase.AUTHENTICATE
    return lone


def _chap_frames(out):
    return [decode_chap(f.info) for f in only(out, C.PROTO_CHAP)]


def test_ac_authenticates_with_chap_then_opens_ipcp():
    lone = Lone("ac")
    (req,) = only(lone.first, C.PROTO_LCP, C.CONF_REQ)
    lone.ack(req)
    out = lone.lcp(C.CONF_REQ, 1, b"")
    (ch,) = _chap_frames(out)
    assert ch.code == C.CHAP_CHALLENGE and lone.ppp.phase == Phase.AUTHENTICATE
    assert not only(out, C.PROTO_IPCP)
    wrong_ident = (ch.ident + 1) & 0xFF
    assert lone.feed(C.PROTO_CHAP, response(wrong_ident, md5(wrong_ident, b"secret", ch.value))) == []
    assert lone.ppp.phase == Phase.AUTHENTICATE and not lone.of(AuthDone)
    out = lone.feed(C.PROTO_CHAP, response(ch.ident, md5(ch.ident, b"secret", ch.value)))
    (ok,) = _chap_frames(out)
    assert ok.code == C.CHAP_SUCCESS and lone.ppp.phase == Phase.NETWORK
    assert only(out, C.PROTO_IPCP, C.CONF_REQ)
    (done,) = lone.of(AuthDone)
    assert done.ok is True and done.peer_name == "alice" and lone.session.username == "alice"
    assert done.key == lone.session.key


def test_ac_chap_failure_terminates_the_link_with_the_reason():
    lone = Lone("ac")
    (req,) = only(lone.first, C.PROTO_LCP, C.CONF_REQ)
    lone.ack(req)
    (ch,) = _chap_frames(lone.lcp(C.CONF_REQ, 1, b""))
    out = lone.feed(C.PROTO_CHAP, response(ch.ident, b"\0" * 16))
    assert _chap_frames(out)[0].code == C.CHAP_FAILURE
    (term,) = only(out, C.PROTO_LCP, C.TERM_REQ)
    assert term.ctl.data == b"CHAP failure for 'alice'"
    (done,) = lone.of(AuthDone)
    assert done.ok is False and done.reason == "CHAP failure for 'alice'"
    assert done.peer_name == "alice" and done.key == lone.session.key
    assert lone.ppp.phase == Phase.TERMINATE and not only(out, C.PROTO_IPCP)


def test_ac_with_pap_acks_the_right_password():
    lone = Lone("ac", require_auth="pap")
    (req,) = only(lone.first, C.PROTO_LCP, C.CONF_REQ)
    lone.ack(req)
    assert only(lone.lcp(C.CONF_REQ, 1, b""), C.PROTO_PAP) == []  # PAP: the peer speaks first
    out = lone.feed(C.PROTO_PAP, pap_request(0x21))
    (ack,) = [decode_pap(f.info) for f in only(out, C.PROTO_PAP)]
    assert (ack.code, ack.ident) == (C.PAP_ACK, 0x21) and lone.ppp.phase == Phase.NETWORK


def test_authentication_packets_before_the_authenticate_phase_are_discarded():
    lone = Lone("ac", require_auth="pap")
    assert lone.feed(C.PROTO_PAP, pap_request(1)) == []
    assert lone.ppp.phase == Phase.ESTABLISH and not lone.of(AuthDone)


def test_client_answers_a_chap_challenge_and_goes_to_network_on_success():
    lone = Lone()
    (req,) = only(lone.first, C.PROTO_LCP, C.CONF_REQ)
    lone.ack(req)
    lone.lcp(C.CONF_REQ, 1, b"\x03\x05\xc2\x23\x05")
    assert lone.ppp.phase == Phase.AUTHENTICATE
    out = lone.feed(C.PROTO_CHAP, challenge(0x66, b"c" * 16))
    (resp,) = _chap_frames(out)
    assert resp.ident == 0x66 and resp.value == md5(0x66, b"secret", b"c" * 16) and resp.name == b"alice"
    out = lone.feed(C.PROTO_CHAP, encode_chap(Chap(C.CHAP_SUCCESS, 0x66)))
    assert lone.ppp.phase == Phase.NETWORK and only(out, C.PROTO_IPCP, C.CONF_REQ)
    (done,) = lone.of(AuthDone)
    assert done.ok and done.peer_name == "bras"


def test_client_pap_answer_with_a_wrong_identifier_does_not_open_the_network_phase():
    lone = Lone()
    (req,) = only(lone.first, C.PROTO_LCP, C.CONF_REQ)
    lone.ack(req)
    out = lone.lcp(C.CONF_REQ, 1, b"\x03\x04\xc0\x23")
    (preq,) = [decode_pap(f.info) for f in only(out, C.PROTO_PAP)]
    assert lone.feed(C.PROTO_PAP, encode_pap(Pap(C.PAP_ACK, (preq.ident + 1) & 0xFF))) == []
    assert lone.ppp.phase == Phase.AUTHENTICATE
    out = lone.feed(C.PROTO_PAP, encode_pap(Pap(C.PAP_ACK, preq.ident)))
    assert lone.ppp.phase == Phase.NETWORK and only(out, C.PROTO_IPCP, C.CONF_REQ)


def test_client_that_is_never_challenged_gives_up():
    lone = Lone()
    (req,) = only(lone.first, C.PROTO_LCP, C.CONF_REQ)
    lone.ack(req)
    lone.lcp(C.CONF_REQ, 1, b"\x03\x05\xc2\x23\x05")
    lone.advance(40)
    (done,) = lone.of(AuthDone)
    assert not done.ok and done.reason == "no CHAP challenge or result from the peer"
    (down,) = lone.of(SessionDown)
    assert down.reason == done.reason


@pytest.mark.parametrize("code", [C.CHAP_SUCCESS, C.CHAP_FAILURE])
def test_chap_verdict_codes_are_not_mistaken_for_each_other(code):
    p, _ = chap_peer()
    p.start(0.0)
    p.receive(challenge(0), 0.0)
    p.receive(encode_chap(Chap(code, 0)), 0.0)
    assert p.result is (code == C.CHAP_SUCCESS)


def test_chap_peer_takes_a_verdict_only_with_its_responses_identifier():
    # RFC 1994 section 4.2: Success and Failure copy the identifier of the Response they answer
    sent = []
    peer = auth.ChapPeer(sent.append, b"alice", b"secret")
    peer.start(0.0)
    peer.receive(encode_chap(Chap(C.CHAP_SUCCESS, 7, message=b"early")), 0.1)
    assert peer.result is None  # no Response sent yet: nothing to succeed
    peer.receive(encode_chap(Chap(C.CHAP_CHALLENGE, 7, b"c" * 16, b"ac")), 0.2)
    for ident in (6, 8):
        peer.receive(encode_chap(Chap(C.CHAP_SUCCESS, ident, message=b"forged")), 0.3)
        peer.receive(encode_chap(Chap(C.CHAP_FAILURE, ident, message=b"forged")), 0.3)
    assert peer.result is None
    peer.receive(encode_chap(Chap(C.CHAP_SUCCESS, 7, message=b"ok")), 0.4)
    assert peer.result is True


class _Top(random.Random):
    def randrange(self, start, stop=None, step=1):
        return (start if stop is None else stop) - 1


def test_identifiers_drawn_at_random_stay_within_one_octet():
    a = auth.ChapAuthenticator(lambda info: None, SECRETS.get, _Top(1))
    assert a.ident == 255
    a.start(0.0)
    p = auth.PapPeer(lambda info: None, b"u", b"p", _Top(1))
    assert p.request.ident == 255
    p.start(0.0)


def test_names_and_messages_that_are_not_utf8_are_still_reported():
    a, sent = chap_authenticator()
    a.start(0.0)
    a.receive(response(a.ident, b"\0" * 16, b"al\xff"), 0.1)
    assert a.peer_name == "al\ufffd" and a.reason == "CHAP failure for 'al\ufffd'"
    p, _ = chap_peer()
    p.start(0.0)
    p.receive(challenge(1, name=b"br\xff"), 0.0)
    assert p.peer_name == "br\ufffd"
    p.receive(encode_chap(Chap(C.CHAP_FAILURE, 1, message=b"no\xff")), 0.1)
    assert p.reason == "CHAP authentication failed: no\ufffd"
    q, sent = pap_peer()
    q.start(0.0)
    q.receive(encode_pap(Pap(C.PAP_NAK, sent[0].ident, message=b"x\xff")), 0.1)
    assert q.reason == "PAP authentication failed: x\ufffd"
    b, _ = pap_authenticator()
    b.start(0.0)
    b.receive(pap_request(1, b"e\xff", b"pw"), 0.1)
    assert b.peer_name == "e\ufffd"


def test_the_challenge_carries_the_configured_authenticator_name():
    lone = Lone("ac", auth_name="bras7")
    (req,) = only(lone.first, C.PROTO_LCP, C.CONF_REQ)
    lone.ack(req)
    (ch,) = _chap_frames(lone.lcp(C.CONF_REQ, 1, b""))
    assert ch.name == b"bras7"


def test_without_authentication_no_name_and_no_auth_event():
    lone = Lone()
    lone.open_lcp()
    assert lone.ppp.phase == Phase.NETWORK and lone.ppp.peer_name == "" and not lone.of(AuthDone)
    assert lone.ppp.authenticator is None and lone.ppp.auth_peer is None
