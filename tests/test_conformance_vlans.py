"""VLAN tag stacks: 1:1 QinQ, N:1, a trunk mixing untagged and tagged subscribers, and an AC that
answers on the wrong stack (rule rfc2516.vlan.same_stack).

Frames are built with scapy (Ether / Dot1AD / Dot1Q / PPPoED / PPPoE / PPP) on the exchanges of
test_conformance_rules: the outer tag of a double stack is an 802.1ad S-tag, inner tags 802.1Q.
"""
from __future__ import annotations

from scapy.layers.l2 import Dot1AD, Dot1Q, Ether
from test_conformance_rules import AC, HOST, HOST_UNIQ, SID, SN, Exchange

from pppemu.conformance import RULES, Checker
from pppemu.conformance.vlan import PER_MAC

RULE = "rfc2516.vlan.same_stack"
QINQ = (100, 7)


class Capture:
    """One capture that several subscriber lines write into, frames numbered from 1 across them."""

    def __init__(self):
        self.frames: list[tuple[float, bytes]] = []
        self.ts = 100.0

    def line(self, host: str = HOST, stack: tuple[int, ...] = (), sid: int = SID) -> Line:
        return Line(self, host, stack, sid)

    def checker(self) -> Checker:
        checker = Checker()
        for ts, frame in self.frames:
            checker.feed(frame, ts)
        checker.finish()
        return checker

    def check(self):
        return self.checker().violations


class Line(Exchange):
    """A subscriber's exchange with the AC on one tag stack; `ac_stack` and `pcp` bend the AC's frames."""

    def __init__(self, capture: Capture, host: str, stack: tuple[int, ...], sid: int):
        super().__init__()
        self.capture, self.frames = capture, capture.frames
        self.host, self.stack, self.sid = host, stack, sid
        self.ac_stack: tuple[int, ...] | None = None  # the AC's frames on this stack instead
        self.pcp = {"client": 0, "ac": 0}

    def add(self, pkt, dt: float = 0.001) -> int:
        self.capture.ts += dt
        self.capture.frames.append((self.capture.ts, bytes(pkt)))
        return len(self.capture.frames)

    def wait(self, seconds: float) -> None:
        self.capture.ts += seconds

    def eth(self, sender, dst, ethertype):
        src, peer = (self.host, AC) if sender == "client" else (AC, self.host)
        stack = self.ac_stack if sender == "ac" and self.ac_stack is not None else self.stack
        return tagged(Ether(src=src, dst=dst or peer), stack, ethertype, self.pcp[sender])

    # every session frame and PADS of this line on its own session id
    def ppp(self, sender, proto, payload, sid=None, **kw) -> int:
        return super().ppp(sender, proto, payload, sid=self.sid if sid is None else sid, **kw)

    def pads(self, *extra, sid=None, **kw) -> int:
        return super().pads(*extra, sid=self.sid if sid is None else sid, **kw)

    def padt(self, sender="client", sid=None, dst=None) -> int:
        return super().padt(sender, sid=self.sid if sid is None else sid, dst=dst)


def tagged(eth: Ether, stack: tuple[int, ...], ethertype: int, pcp: int = 0):
    """S-tag (802.1ad) outermost when there are two or more, C-tags (802.1Q) inside."""
    if not stack:
        eth.type = ethertype
        return eth
    pkt = eth
    for i, vid in enumerate(stack):
        layer = Dot1AD if i == 0 and len(stack) > 1 else Dot1Q
        pkt = pkt / layer(vlan=vid, prio=pcp, type=ethertype if i == len(stack) - 1 else 0x8100)
    return pkt


def mine(found):
    return [v for v in found if v.rule == RULE]


# -- kept: zero violations -----------------------------------------------------------------------

def test_the_rule_is_in_the_catalog():
    r = RULES[RULE]
    assert (r.rfc, r.level) == ("RFC 2516 §5, IEEE 802.1Q", "MUST")


def test_a_clean_qinq_discovery_and_session_has_no_violation():
    cap = Capture()
    line = cap.line(stack=QINQ)
    line.full()
    checker = cap.checker()
    assert checker.violations == []
    (session,) = checker.sessions.values()
    assert session.vlan == QINQ and session.from_start
    assert bytes(line.frames[0][1])[12:14] == b"\x88\xa8"  # the S-tag really is 802.1ad


def test_one_mac_on_two_stacks_is_two_subscribers():
    # 1:1 VLANs may reuse MACs, even session ids; the two discoveries interleave frame by frame.
    cap = Capture()
    a, b = cap.line(stack=(100, 7)), cap.line(stack=(100, 8))
    a.padi()
    b.padi()
    b.pado()
    a.pado()
    a.padr()
    b.padr()
    b.pads()
    a.pads()
    for phase in ("lcp_open", "authenticate", "ipcp_open", "ping", "terminate"):
        getattr(a, phase)()
        getattr(b, phase)()
    checker = cap.checker()
    assert checker.violations == []
    assert sorted(s.vlan for s in checker.sessions.values()) == [(100, 7), (100, 8)]
    assert all(s.padt is not None for s in checker.sessions.values())


def test_n_to_1_many_macs_on_one_stack_have_no_violation():
    cap = Capture()
    lines = [cap.line(host=f"02:00:00:00:01:{n:02x}", stack=(200, 10), sid=n) for n in range(1, 6)]
    for step in ("discovery", "lcp_open", "authenticate", "ipcp_open", "ping", "terminate"):
        for line in lines:
            getattr(line, step)()
    checker = cap.checker()
    assert checker.violations == []
    assert len(checker.sessions) == 5 and {s.vlan for s in checker.sessions.values()} == {(200, 10)}


def test_a_trunk_with_untagged_single_and_double_tagged_subscribers_has_no_violation():
    cap = Capture()
    lines = [cap.line(host="02:00:00:00:00:01", stack=(), sid=1),
             cap.line(host="02:00:00:00:00:01", stack=(300,), sid=2),
             cap.line(host="02:00:00:00:00:02", stack=(300, 42), sid=3)]
    for step in ("discovery", "lcp_open", "authenticate", "ipcp_open", "ping", "terminate"):
        for line in lines:
            getattr(line, step)()
    checker = cap.checker()
    assert checker.violations == []
    assert sorted(s.vlan for s in checker.sessions.values()) == [(), (300,), (300, 42)]


def test_priority_bits_do_not_make_another_stack():
    cap = Capture()
    line = cap.line(stack=QINQ)
    line.pcp["ac"] = 5  # the AC marks its frames, the host does not
    line.full()
    assert cap.check() == []


def test_an_answer_nobody_on_another_stack_asked_for_is_not_blamed():
    # A PADI lost before the capture point: the PADO's Host-Uniq ties it to no request seen.
    cap = Capture()
    cap.line(stack=(100, 7)).padi()
    other = cap.line(stack=(100, 8))
    other.pado(uniq=b"lost")
    assert mine(cap.check()) == []


# -- broken: one violation, on the AC's side, naming both stacks ---------------------------------

def test_an_untagged_pado_to_a_tagged_padi_is_reported_once():
    cap = Capture()
    line = cap.line(stack=QINQ)
    line.padi()
    line.ac_stack = ()
    line.pado()
    line.ac_stack = None
    line.padr()
    line.pads()
    line.lcp_open()
    line.authenticate()
    line.ipcp_open()
    line.terminate()
    (v,) = cap.check()
    assert (v.rule, v.side, v.frames) == (RULE, "ac", (1, 2))
    assert "no VLAN" in v.message and "vlan 100.7" in v.message and v.message.startswith("PADO")
    assert v.session.endswith("vlan 100.7")


def test_a_pads_on_another_inner_vlan_is_reported_once():
    cap = Capture()
    line = cap.line(stack=QINQ)
    line.padi()
    line.pado()
    padr = line.padr()
    line.ac_stack = (100, 8)
    pads = line.pads()
    line.ac_stack = None
    line.lcp_open()
    line.authenticate()
    line.ipcp_open()
    line.ping()
    line.terminate()
    checker = cap.checker()
    (v,) = checker.violations
    assert (v.rule, v.side, v.frames) == (RULE, "ac", (padr, pads))
    assert "vlan 100.8" in v.message and "vlan 100.7" in v.message and v.message.startswith("PADS")
    (session,) = checker.sessions.values()  # the session lives on the host's stack all the same
    assert session.vlan == QINQ and session.padt is not None


def test_a_pado_on_the_stack_of_another_subscriber_with_the_same_mac_is_reported():
    # Two subscribers share a MAC; their Host-Uniqs tell which PADI a PADO answers.
    cap = Capture()
    a, b = cap.line(stack=(100, 7)), cap.line(stack=(100, 8))
    first = a.padi(plain=[(SN, b""), (HOST_UNIQ, b"aaaa")])
    b.padi(plain=[(SN, b""), (HOST_UNIQ, b"bbbb")])
    wrong = b.pado(uniq=b"aaaa")  # a's answer, sent on b's stack
    (v,) = cap.check()
    assert (v.rule, v.side, v.frames) == (RULE, "ac", (first, wrong))


def test_session_frames_from_the_ac_on_the_wrong_stack_are_reported_once():
    cap = Capture()
    line = cap.line(stack=QINQ)
    line.discovery()
    pads = len(cap.frames)
    line.ac_stack = (100, 9)
    line.lcp_open()
    line.authenticate()
    line.ipcp_open()
    line.ping()
    line.echo()
    line.terminate()
    checker = cap.checker()
    (v,) = checker.violations
    assert (v.rule, v.side, v.frames) == (RULE, "ac", (pads, pads + 1))
    assert "session traffic on vlan 100.9" in v.message and "vlan 100.7" in v.message
    (session,) = checker.sessions.values()
    assert session.vlan == QINQ


def test_an_untagged_padt_from_the_ac_for_a_tagged_session_is_reported():
    cap = Capture()
    line = cap.line(stack=QINQ)
    line.up()
    line.ac_stack = ()
    n = line.padt("ac")
    checker = cap.checker()
    (v,) = checker.violations
    assert (v.rule, v.side, v.frames) == (RULE, "ac", (4, n))
    assert v.message.startswith("PADT on no VLAN")
    (session,) = checker.sessions.values()
    assert session.padt is not None  # it still ends the session: no traffic-after-PADT cascade


def test_a_host_mac_keeps_only_its_latest_stacks():
    cap = Capture()
    for vid in range(1, 21):
        cap.line(stack=(vid,)).padi()
    checker = cap.checker()
    (stacks,) = checker.stacks.values()
    assert stacks == tuple((vid,) for vid in range(21 - PER_MAC, 21))
