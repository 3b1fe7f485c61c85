"""The checker never raises and never trips over itself, whatever it is fed; it stays fast with many sessions."""
from __future__ import annotations

import time

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_conformance_rules import AC, HOST, Exchange

from pppemu.conformance import Checker

_ETHERTYPES = st.sampled_from([b"\x88\x63", b"\x88\x64", b"\x81\x00", b"\x88\xa8", b"\x08\x00"])


def _feed_all(frames) -> Checker:
    checker = Checker()
    for ts, frame in frames:
        checker.feed(frame, ts)
    checker.finish()
    return checker


def _reference() -> list[tuple[float, bytes]]:
    ex = Exchange()
    ex.full()
    return ex.frames


REFERENCE = _reference()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.floats(0, 1e6, allow_nan=False), _ETHERTYPES, st.binary(max_size=80)), max_size=40))
def test_random_pppoe_frames_never_raise(frames):
    fed = [(ts, bytes.fromhex(HOST.replace(":", "")) + bytes.fromhex(AC.replace(":", "")) + et + body)
           for ts, et, body in frames]
    checker = _feed_all(fed)
    assert checker.internal_errors == 0


@settings(max_examples=300, deadline=None)
@given(st.lists(st.binary(max_size=64), max_size=30))
def test_arbitrary_bytes_never_raise(blobs):
    checker = _feed_all((float(i), b) for i, b in enumerate(blobs))
    assert checker.internal_errors == 0


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_truncated_and_mutated_exchanges_never_raise(data):
    frames = list(REFERENCE)
    for _ in range(data.draw(st.integers(1, 6))):
        i = data.draw(st.integers(0, len(frames) - 1))
        ts, frame = frames[i]
        how = data.draw(st.sampled_from(["truncate", "flip", "drop", "repeat"] if frame else ["drop", "repeat"]))
        if how == "truncate":
            frames[i] = (ts, frame[:data.draw(st.integers(0, len(frame)))])
        elif how == "flip":
            at = data.draw(st.integers(0, len(frame) - 1))
            frames[i] = (ts, frame[:at] + bytes((frame[at] ^ data.draw(st.integers(1, 255)),)) + frame[at + 1:])
        elif how == "drop":
            del frames[i]
        else:
            frames.insert(i, (ts, frame))
    checker = _feed_all(frames)
    assert checker.internal_errors == 0
    for v in checker.violations:
        assert v.frames and all(1 <= n <= len(frames) for n in v.frames), v


def test_truncating_every_frame_at_every_length_never_raises():
    checker = Checker()
    for ts, frame in REFERENCE:
        for cut in range(len(frame) + 1):
            checker.feed(frame[:cut], ts)
    checker.finish()
    assert checker.internal_errors == 0


def _session_frames(n: int, sid: int) -> list[bytes]:
    """The reference exchange moved to host MAC n and session id `sid`, by patching bytes."""
    host = bytes.fromhex(HOST.replace(":", ""))
    new = b"\x02\x00" + n.to_bytes(4, "big")
    out = []
    for _, frame in REFERENCE:
        frame = frame.replace(host, new)
        if frame[12:14] == b"\x88\x64" or frame[15] in (0x65, 0xA7):  # session frames, PADS and PADT
            frame = frame[:16] + sid.to_bytes(2, "big") + frame[18:]
        out.append(frame)
    return out


def test_thousands_of_interleaved_sessions_are_checked_quickly_and_cleanly():
    sessions = 2000
    per_session = [_session_frames(n + 1, n + 1) for n in range(sessions)]
    frames = []
    for step in range(len(REFERENCE)):
        ts = REFERENCE[step][0]
        frames += [(ts, s[step]) for s in per_session]
    start = time.perf_counter()
    checker = _feed_all(frames)
    elapsed = time.perf_counter() - start
    assert checker.internal_errors == 0
    assert checker.violations == []
    assert len(checker.sessions) == sessions
    assert elapsed < 15, f"{len(frames)} frames took {elapsed:.1f} s"


def test_a_rule_broken_on_every_frame_is_listed_a_few_times_and_counted():
    from scapy.packet import Raw
    from test_conformance_rules import ICMP_ECHO

    from pppemu.conformance.checker import REPEATS

    ex = Exchange()
    ex.discovery()
    for _ in range(50):  # IPv4 before any IPCP negotiation
        ex.ppp("client", 0x0021, Raw(ICMP_ECHO))
    checker = _feed_all(ex.frames)
    assert [v.rule for v in checker.violations] == ["rfc1332.ip.before_open"] * REPEATS
    assert checker.suppressed == 50 - REPEATS
