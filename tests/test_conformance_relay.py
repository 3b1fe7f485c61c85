"""Discovery through a relay (RFC 2516 Appendix A, Relay-Session-Id), as rp-pppoe's pppoe-relay does it.

On the host's side of the relay the relay stands in for the AC: its PADO carries a Relay-Session-Id
the host's PADI did not (the relay added it there), the host's PADR echoes it, and the relay takes
it off the PADS again. That is no AC's violation. On the AC's side every host behind the relay
shares the relay's MAC, with many discoveries in flight at once: the checker tells them apart by
Host-Uniq and Relay-Session-Id, never by "the latest" packet, and judges nothing it cannot match.

Frames are built with scapy on the exchanges of test_conformance_rules.
"""
from __future__ import annotations

import random

import pytest
from test_conformance_rules import AC_COOKIE, AC_NAME, HOST_UNIQ, HU, MAX_PAYLOAD, RELAY, SN, Exchange

from pppemu.conformance import Checker
from pppemu.conformance.model import FORGET_WINDOW, IDENTITIES

RELAY_TAG = b"\x00\x00\x00\x02\x02\xac\x00\x00\x00\x01"  # pppoe-relay's: an interface index and a MAC
SESSIONS = 20


def rules(violations) -> list[tuple[str, str, tuple[int, ...]]]:
    return [(v.rule, v.side, v.frames) for v in violations]


# -- the host's side: the relay adds its tag to the PADO and strips it from the PADS -------------

def relayed(ex: Exchange, pads_relay: bytes | None = None, padr_relay: bytes | None = RELAY_TAG) -> None:
    ex.padi()                                          # 1: the host adds no Relay-Session-Id
    ex.pado((RELAY, RELAY_TAG))                        # 2: the relay's own tag
    ex.padr(*([(RELAY, padr_relay)] if padr_relay is not None else []))  # 3
    ex.pads(*([(RELAY, pads_relay)] if pads_relay is not None else []))  # 4


def test_a_relayed_exchange_on_the_host_side_is_clean():
    ex = Exchange()
    relayed(ex)
    ex.lcp_open()
    ex.authenticate()
    ex.ipcp_open()
    ex.ping()
    ex.terminate()
    assert ex.check() == []


def test_a_relayed_exchange_without_host_uniq_on_the_host_side_is_clean():
    ex = Exchange()
    ex.padi(plain=[(SN, b"")])
    ex.pado(plain=[(AC_NAME, b"relay"), (SN, b""), (AC_COOKIE, b"c"), (RELAY, RELAY_TAG)])
    ex.padr(plain=[(SN, b""), (AC_COOKIE, b"c"), (RELAY, RELAY_TAG)])
    ex.pads(plain=[(SN, b"")])
    assert ex.check() == []


def test_a_relayed_pads_on_the_host_side_that_changes_the_tag_is_still_reported():
    ex = Exchange()
    relayed(ex, pads_relay=b"another")
    assert rules(ex.check()) == [("rfc2516.pads.relay_session_id", "ac", (3, 4))]


def test_a_host_dropping_the_relays_tag_from_its_padr_is_still_reported():
    ex = Exchange()
    relayed(ex, padr_relay=None)
    assert rules(ex.check()) == [("rfc2516.padr.relay_session_id", "client", (2, 3))]


def test_an_ac_dropping_the_relay_session_id_the_padr_carried_is_reported():
    # The AC's side: the PADI already carried the tag (the relay put it there before this capture
    # point), so the AC received it and its PADS must echo it.
    ex = Exchange()
    ex.padi((RELAY, RELAY_TAG))
    ex.pado((RELAY, RELAY_TAG))
    ex.padr((RELAY, RELAY_TAG))
    ex.pads()
    assert rules(ex.check()) == [("rfc2516.pads.relay_session_id", "ac", (3, 4))]


def test_a_tag_first_seen_in_the_padr_must_still_come_back_in_the_pads():
    # No PADO carried it: nothing says an agent on the host's side of this capture point added it.
    ex = Exchange()
    ex.padi()
    ex.pado()
    ex.padr((RELAY, RELAY_TAG))
    ex.pads()
    assert rules(ex.check()) == [("rfc2516.pads.relay_session_id", "ac", (3, 4))]


# -- the AC's side: many hosts behind one relay MAC, interleaved ---------------------------------

class Behind:
    """Discoveries of SESSIONS hosts behind one relay MAC (the Exchange's HOST), interleaved."""

    def __init__(self, uniq: bool = True, relay: bool = True, n: int = SESSIONS, seed: int = 7):
        assert uniq or relay
        self.ex = Exchange()
        self.n, self.uniq, self.relay = n, uniq, relay
        self.rng = random.Random(seed)
        self.frames: dict[tuple[str, int], int] = {}

    def ids(self, i: int) -> list[tuple[int, bytes]]:
        return ([(HOST_UNIQ, b"hu-%02d" % i)] if self.uniq else []) + \
               ([(RELAY, b"\x00\x00\x00\x02\x02\x50\x00\x00\x00" + bytes([i]))] if self.relay else [])

    def shuffled(self) -> list[int]:
        order = list(range(self.n))
        self.rng.shuffle(order)
        return order

    def padis(self) -> None:
        for i in range(self.n):
            self.frames["padi", i] = self.ex.padi(plain=[(SN, b""), *self.ids(i)])

    def pados(self) -> None:
        for i in self.shuffled():
            self.frames["pado", i] = self.ex.pado(
                plain=[(AC_NAME, b"ac"), (SN, b""), (AC_COOKIE, b"cookie-%02d" % i), *self.ids(i)])

    def padrs(self, cookie: dict[int, bytes] | None = None, drop_relay: int | None = None) -> None:
        for i in self.shuffled():
            ids = [t for t in self.ids(i) if not (i == drop_relay and t[0] == RELAY)]
            c = (cookie or {}).get(i, b"cookie-%02d" % i)
            self.frames["padr", i] = self.ex.padr(plain=[(SN, b""), (AC_COOKIE, c), *ids])

    def padss(self, drop_relay: int | None = None) -> None:
        for i in self.shuffled():
            ids = [t for t in self.ids(i) if not (i == drop_relay and t[0] == RELAY)]
            self.frames["pads", i] = self.ex.pads(plain=[(SN, b""), *ids], sid=0x100 + i)

    def run(self, **broken) -> list[tuple[str, str, tuple[int, ...]]]:
        self.padis()
        self.pados()
        self.padrs(cookie=broken.get("cookie"), drop_relay=broken.get("padr_drop_relay"))
        self.padss(drop_relay=broken.get("pads_drop_relay"))
        return rules(self.ex.check())


@pytest.mark.parametrize(("uniq", "relay"), [(True, True), (True, False), (False, True)],
                         ids=["host-uniq+relay-id", "host-uniq", "relay-id"])
def test_many_interleaved_discoveries_from_one_mac_are_told_apart(uniq, relay):
    assert Behind(uniq, relay).run() == []


def test_one_mac_with_the_same_host_uniq_behind_a_relay_is_told_apart_by_the_relay_id():
    # pppd's rp-pppoe plugin, say, on several hosts: the same Host-Uniq, told apart by the relay's tag.
    b = Behind(uniq=False, relay=True)
    b.ids = lambda i: [(HOST_UNIQ, HU), (RELAY, b"relay-%02d" % i)]  # type: ignore[method-assign]
    assert b.run() == []


@pytest.mark.parametrize(("uniq", "relay"), [(True, True), (True, False), (False, True)])
def test_a_padr_with_a_wrong_cookie_among_many_is_reported_against_its_own_pado(uniq, relay):
    b = Behind(uniq, relay)
    found = b.run(cookie={5: b"forged"})
    assert found == [("rfc2516.padr.ac_cookie", "client", (b.frames["pado", 5], b.frames["padr", 5]))]


def test_a_padr_dropping_the_relay_id_among_many_is_reported_against_its_own_pado():
    b = Behind()
    found = b.run(padr_drop_relay=11)
    assert found == [("rfc2516.padr.relay_session_id", "client", (b.frames["pado", 11], b.frames["padr", 11]))]


def test_an_ac_dropping_the_relay_id_among_many_is_reported_against_its_own_padr():
    b = Behind()
    found = b.run(pads_drop_relay=13)
    assert found == [("rfc2516.pads.relay_session_id", "ac", (b.frames["padr", 13], b.frames["pads", 13]))]


def test_a_retransmitted_padi_answered_twice_the_padr_may_take_either_cookie():
    ex = Exchange()
    ex.padi()
    ex.pado()  # COOKIE
    ex.wait(1)
    ex.padi()
    ex.pado(plain=[(AC_NAME, b"ac"), (SN, b""), (AC_COOKIE, b"second"), (HOST_UNIQ, HU)])
    ex.padr()  # the first PADO's cookie
    ex.pads()
    assert ex.check() == []


def test_an_ambiguous_answer_is_not_judged():
    # Two PADIs with different Host-Uniqs; a PADO carrying neither could answer either: no verdict.
    ex = Exchange()
    ex.padi(plain=[(SN, b""), (HOST_UNIQ, b"one")])
    ex.padi(plain=[(SN, b""), (HOST_UNIQ, b"two")])
    ex.pado(plain=[(AC_NAME, b"ac"), (SN, b""), (AC_COOKIE, b"c")])
    assert ex.check() == []


# -- bounded memory ------------------------------------------------------------------------------

def flood(ex: Exchange, n: int) -> None:
    for i in range(n):
        ex.padi(plain=[(SN, b""), (HOST_UNIQ, b"h%05d" % i), (RELAY, b"r%05d" % i)])


def test_a_padi_flood_from_one_mac_keeps_memory_bounded_and_blames_no_one():
    ex = Exchange()
    n = 2000
    flood(ex, n)
    ex.padi(plain=[(SN, b""), (HOST_UNIQ, b"h%05d" % (n - 1)), (RELAY, b"r%05d" % (n - 1))])  # once more
    # The AC answers the first PADI, long forgotten, correctly: not judged against another one.
    ex.pado(plain=[(AC_NAME, b"ac"), (SN, b""), (HOST_UNIQ, b"h00000"), (RELAY, b"r00000")])
    # ... and the latest, which is remembered, with a tag it did not ask for: still reported.
    bad = ex.pado(plain=[(AC_NAME, b"ac"), (SN, b""), (HOST_UNIQ, b"h%05d" % (n - 1)), (RELAY, b"r%05d" % (n - 1)),
                         (MAX_PAYLOAD, (1500).to_bytes(2, "big"))])
    checker = Checker()
    for ts, frame in ex.frames:
        checker.feed(frame, ts)
    assert rules(checker.finish()) == [("rfc4638.reply.unrequested", "ac", (n + 1, bad))]
    (host,) = checker.hosts.values()
    assert len(host.padis.by_id) == IDENTITIES
    assert sum(len(q) for q in host.padis.by_id.values()) == IDENTITIES + 1  # the repeat kept beside it


def test_after_a_flood_only_exact_answers_are_judged_until_the_forgotten_requests_are_stale():
    # A PADO dropping the Relay-Session-Id of the latest PADI: right after the flood the PADI it
    # answers may be one forgotten with that Host-Uniq and no tag, so it is not judged; once no
    # forgotten request can still be answered, it is.
    for wait, expected in ((0.0, []), (FORGET_WINDOW + 1, ["rfc2516.pado.relay_session_id"])):
        ex = Exchange()
        flood(ex, IDENTITIES + 5)
        ex.wait(wait)
        ex.pado(plain=[(AC_NAME, b"ac"), (SN, b""), (HOST_UNIQ, b"h%05d" % (IDENTITIES + 4))])
        assert [v.rule for v in ex.check()] == expected, wait
