"""Subscribers on VLANs, in memory: the plans a client steps through, the stacks an AC serves,
and both roles keeping each session on its own tag stack."""
import pytest
from frames import discovery

from pppemu.ppp.events import SessionUp
from pppemu.pppoe.vlans import VlanError, VlanFilter, VlanMode, VlanPlan, describe_vlans, parse_vid_range, payload_room
from pppemu.testing.pair import Pair, client_mac
from pppemu.wire import const as C
from pppemu.wire.ethernet import encode_tags, tags_end, vlan_ids, vlan_key, vlan_label

QINQ_7 = encode_tags(((0x88A8, 100), (0x8100, 7)))
QINQ_8 = encode_tags(((0x88A8, 100), (0x8100, 8)))
DOT1Q_9 = encode_tags(((0x8100, 9),))


# ---- plans and filters

def test_vid_ranges_are_read_and_checked():
    assert parse_vid_range("100") == (100, 100) and parse_vid_range(" 1-4094 ") == (1, 4094)
    for bad in ("0", "4095", "200-100", "x", "1-", "-5", "10-4095"):
        with pytest.raises(VlanError):
            parse_vid_range(bad, "--outer-vlan")


def test_one_to_one_steps_the_inner_id_fastest_through_the_ranges():
    plan = VlanPlan((100, 109), (1, 100))
    assert plan.stacks == 1000 and plan.tpid == 0x88A8
    assert [vlan_ids(plan.tags(i)) for i in (0, 1, 99, 100, 999)] == [
        (100, 1), (100, 2), (100, 100), (101, 1), (109, 100)]
    assert plan.tags(0) == encode_tags(((0x88A8, 100), (0x8100, 1)))
    plan.check_sessions(1000)
    with pytest.raises(VlanError, match="1001 sessions need 1001 stacks"):
        plan.check_sessions(1001)


def test_one_tag_is_802_1q_by_default_and_carries_the_priority_asked_for():
    plan = VlanPlan((42, 45), priority=5)
    assert plan.tags(3) == encode_tags(((0x8100, 5 << 13 | 45),)) and plan.stacks == 4
    assert VlanPlan((42, 42), outer_tpid=0x88A8).tags(0) == encode_tags(((0x88A8, 42),))
    with pytest.raises(VlanError):
        VlanPlan((42, 42), priority=8)


def test_n_to_one_puts_every_session_on_one_stack_and_refuses_ranges():
    plan = VlanPlan((200, 200), (300, 300), VlanMode.many_to_one)
    assert {plan.tags(i) for i in range(1000)} == {encode_tags(((0x88A8, 200), (0x8100, 300)))}
    plan.check_sessions(100_000)
    with pytest.raises(VlanError, match="single VLAN ids"):
        VlanPlan((200, 201), None, VlanMode.many_to_one)
    assert describe_vlans(plan, 1000) == "VLAN 200.300 (N:1, TPID 0x88a8, priority 0)"
    assert describe_vlans(VlanPlan((100, 109), (1, 100)), 1000) == \
        "VLANs 100.1 to 109.100 (1:1, TPID 0x88a8, priority 0)"


def test_an_ac_filter_serves_what_its_ranges_say_and_everything_without_them():
    anything = VlanFilter()
    assert all(anything.serves(tags) for tags in (b"", DOT1Q_9, QINQ_7))
    outer = VlanFilter((100, 109))
    assert outer.serves(QINQ_7) and outer.serves(encode_tags(((0x8100, 100),)))
    assert not outer.serves(b"") and not outer.serves(DOT1Q_9)
    both = VlanFilter((100, 100), (1, 7))
    assert both.serves(QINQ_7) and not both.serves(QINQ_8) and not both.serves(encode_tags(((0x8100, 100),)))


def test_tag_stacks_are_read_from_frames_and_keyed_without_priority():
    frame = b"\xff" * 12 + QINQ_7 + b"\x88\x63"
    assert tags_end(frame) == 20 and tags_end(b"\xff" * 12 + b"\x88\x63") == 12
    prioritised = encode_tags(((0x88A8, 6 << 13 | 100), (0x8100, 1 << 12 | 7)))  # PCP 6; DEI set
    assert vlan_key(prioritised) == QINQ_7 and vlan_key(QINQ_7) is QINQ_7
    assert vlan_label(QINQ_7) == "100.7" and vlan_label(b"") == "" and vlan_label(DOT1Q_9) == "9"
    assert vlan_label(encode_tags(((0x8100, 100), (0x8100, 7)))) == "100.7 (0x8100.0x8100)"


# ---- both roles

def stacks_on_wire(pair: Pair) -> dict[bytes, set[bytes]]:
    """For each subscriber MAC, the tag stacks (priority aside) of every frame to or from it."""
    seen: dict[bytes, set[bytes]] = {}
    for direction, frame in pair.wire:
        mac = frame[6:12] if direction == "c2a" else frame[0:6]
        if mac != b"\xff" * 6:
            seen.setdefault(mac, set()).add(vlan_key(frame[12:tags_end(frame)]))
    return seen


def test_an_ac_answers_each_subscriber_on_the_stack_it_came_on():
    pair = Pair()
    stacks = [b"", DOT1Q_9, QINQ_7, QINQ_8, encode_tags(((0x88A8, 9),))]
    sessions = [pair.client.add_session(client_mac(n + 1), 0.0, vlan_tags=tags) for n, tags in enumerate(stacks)]
    pair.advance(3)
    assert all(s.ppp is not None and s.ppp.is_up for s in sessions)
    assert stacks_on_wire(pair) == {client_mac(n + 1): {tags} for n, tags in enumerate(stacks)}
    ac_stacks = {(s.peer_mac, s.tags) for s in pair.ac.sessions.values()}
    assert ac_stacks == {(client_mac(n + 1), tags) for n, tags in enumerate(stacks)}
    assert sorted(e.key.vlan for e in pair.events_of(SessionUp, "ac")) == ["", "100.7", "100.8", "9", "9 (0x88a8)"]
    assert len({s.vlan_key for s in pair.ac.sessions.values()}) == 5  # 0x8100/9 and 0x88a8/9 differ


def test_one_mac_on_two_lines_is_two_subscribers_with_two_addresses():
    pair = Pair()
    mac = client_mac(1)
    first = pair.client.add_session(mac, 0.0, vlan_tags=QINQ_7)
    second = pair.client.add_session(mac, 0.0, vlan_tags=QINQ_8)
    pair.advance(3)
    assert first.ppp.is_up and second.ppp.is_up and first.address != second.address
    assert len(pair.ac.sessions) == 2 and pair.ac.pool.in_use == 2
    pair.client.close_session(second, pair.now)
    pair.advance(3)
    assert first.ppp.is_up and len(pair.ac.sessions) == 1 and pair.ac.pool.in_use == 1
    (left,) = pair.ac.sessions.values()
    assert left.tags == QINQ_7


def test_priority_bits_do_not_split_a_session():
    pair = Pair()
    session = pair.client.add_session(client_mac(1), 0.0, vlan_tags=encode_tags(((0x8100, 5 << 13 | 9),)))
    pair.advance(3)
    assert session.ppp.is_up
    (ac_session,) = pair.ac.sessions.values()
    # the AC answers with the tag as it came, priority included
    assert ac_session.tags == session.tags and ac_session.vlan_key == DOT1Q_9


def test_a_cookie_is_good_on_the_stack_it_was_offered_on_only():
    pair = Pair()
    pair.filter = lambda direction, frame: not (direction == "c2a" and frame[tags_end(frame) + 3] == C.PADR)
    pair.client.add_session(client_mac(1), 0.0, vlan_tags=QINQ_7)
    pair.advance(0.5)
    padr = next(f for d, f in pair.wire if d == "c2a" and f[tags_end(f) + 3] == C.PADR)
    pair.inject("ac", padr[:12] + QINQ_8 + padr[20:])  # the same PADR, replayed on another line
    assert pair.ac.counters["padr.bad_cookie"] == 1 and not pair.ac.sessions
    pair.judged = False  # the replay is the test's, not a role's


def test_an_ac_serves_only_its_ranges_when_given():
    pair = Pair(ac={"vlans": VlanFilter((100, 100), (7, 7))}, client={"discovery": _quick_discovery()})
    served = pair.client.add_session(client_mac(1), 0.0, vlan_tags=QINQ_7)
    others = [pair.client.add_session(client_mac(n), 0.0, vlan_tags=tags) for n, tags in
              ((2, QINQ_8), (3, b""), (4, DOT1Q_9))]
    pair.advance(10)
    assert served.ppp.is_up and all(s.gone and "PADO" in s.down_reason for s in others)
    assert pair.ac.counters["rx.vlan_not_served"] >= 3 and len(pair.ac.sessions) == 1


def test_a_client_takes_no_answer_from_another_stack():
    # An AC that answers tagged subscribers untagged (a BRAS on a trunk without VLAN
    # support): load testers matching by MAC alone would not notice; our client does.
    pair = Pair(client={"discovery": _quick_discovery()})
    untag = pair.ac.frames_to_send

    def untagged() -> list[bytes]:
        return [f[:12] + f[tags_end(f):] for f in untag()]
    pair.ac.frames_to_send = untagged
    session = pair.client.add_session(client_mac(1), 0.0, vlan_tags=QINQ_7)
    pair.advance(10)
    assert session.gone and session.ppp is None and "PADO" in session.down_reason
    assert pair.client.counters["rx.wrong_vlan"] >= 1
    pair.expected_violations.add(("rfc2516.vlan.same_stack", "ac"))


def _quick_discovery():
    from pppemu.pppoe.discovery import DiscoveryTimers
    return DiscoveryTimers(padi_tries=2, rounds=1)


# ---- what a hostile or odd access network sends

def test_three_tags_are_a_counted_drop_and_spend_no_budget():
    pair = Pair(ac={"discovery_rate": 10.0, "mac_discovery_rate": 1.0})
    three = ((0x88A8, 100), (0x8100, 7), (0x8100, 55))
    for _ in range(100):
        pair.inject("ac", discovery(b"\xff" * 6, client_mac(1), C.PADI, 0, [(C.TAG_SERVICE_NAME, b"")], three))
    assert pair.ac.frames_to_send() == [] and pair.ac.counters["rx.too_many_vlan_tags"] == 100
    pair.judged = False  # the frames are the test's


def test_priority_bits_do_not_multiply_a_macs_discovery_budget():
    pair = Pair(ac={"discovery_rate": 0.0, "mac_discovery_rate": 1.0})
    for n in range(80):
        stack = ((0x8100, (n % 8) << 13 | 9),)
        pair.inject("ac", discovery(b"\xff" * 6, client_mac(1), C.PADI, 0, [(C.TAG_SERVICE_NAME, b"")], stack))
    answered = [f for f in pair.ac.frames_to_send() if f[tags_end(f) + 3] == C.PADO]
    assert len(answered) == 10  # one burst of a single host, whatever its priorities
    pair.judged = False


def test_a_stack_the_ac_does_not_serve_spends_no_budget_and_leaves_no_state():
    pair = Pair(ac={"vlans": VlanFilter((100, 100)), "discovery_rate": 10.0})
    for n in range(1000):
        pair.inject("ac", discovery(b"\xff" * 6, client_mac(n + 1), C.PADI, 0, [(C.TAG_SERVICE_NAME, b"")],
                                    ((0x8100, 200),)))
    assert pair.ac.counters["rx.vlan_not_served"] == 1000 and not pair.ac.guard.per_mac
    assert pair.ac.frames_to_send() == []
    served = pair.client.add_session(client_mac(5000), pair.now, vlan_tags=encode_tags(((0x8100, 100),)))
    pair.advance(3)
    assert served.ppp.is_up  # the flood on VLAN 200 took nothing from VLAN 100


def test_priority_only_tags_are_the_untagged_line_and_the_reserved_id_is_never_served():
    assert vlan_key(encode_tags(((0x8100, 5 << 13),))) == b""
    assert vlan_key(encode_tags(((0x88A8, 100), (0x8100, 0)))) == encode_tags(((0x88A8, 100),))
    assert not VlanFilter().serves(encode_tags(((0x8100, 4095),)))
    pair = Pair()
    session = pair.client.add_session(client_mac(1), 0.0, vlan_tags=encode_tags(((0x8100, 3 << 13),)))
    pair.advance(3)
    (ac_session,) = pair.ac.sessions.values()
    assert session.ppp.is_up and ac_session.vlan_key == b"" and ac_session.key.vlan == "0"  # as on the wire


@pytest.mark.parametrize("stack, sent, received", [
    ((), 1492, 1496), (((0x8100, 9),), 1492, 1492), (((0x88A8, 9),), 1488, 1492),
    (((0x88A8, 100), (0x8100, 7)), 1484, 1488), (((0x8100, 100), (0x8100, 7)), 1488, 1488)])
def test_the_room_tags_leave_in_a_frame_follows_what_linux_sends_and_takes(stack, sent, received):
    assert payload_room(1500, encode_tags(stack)) == (sent, received)


def test_an_ac_asks_qinq_subscribers_for_what_its_mtu_takes_in():
    pair = Pair(ac={"link_mtu": 1500})
    qinq = pair.client.add_session(client_mac(1), 0.0, vlan_tags=QINQ_7)
    plain = pair.client.add_session(client_mac(2), 0.0)
    pair.advance(3)
    assert qinq.ppp.is_up and plain.ppp.is_up
    assert qinq.ppp.lcp_policy.tx_mtu == 1488 and plain.ppp.lcp_policy.tx_mtu == 1492
