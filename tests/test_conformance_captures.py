"""The checker on captures: our reference lab capture, pcap and pcapng files, unreadable files,
the report, and our own client and AC piped together in memory."""
from __future__ import annotations

import struct
from pathlib import Path

import pytest
from scapy.layers.l2 import Ether
from scapy.layers.ppp import PPP_LCP_Echo
from scapy.utils import wrpcap, wrpcapng
from test_conformance_rules import AC, CLIENT_LCP, HOST, MAGIC_CLIENT, Exchange, ac_lcp, conf

from pppemu.conformance import CaptureError, Checker, Violation, check_frames, check_pcap, format_report
from pppemu.conformance.pcap import read_frames
from pppemu.testing.pair import Pair

LAB_PCAP = Path(__file__).parent.parent / "docs" / "lab-session.pcap"


def test_our_reference_lab_capture_is_clean():
    checker = Checker()
    for ts, frame in read_frames(LAB_PCAP):
        checker.feed(frame, ts)
    assert checker.finish() == []
    assert checker.count == 32 and checker.internal_errors == 0
    (session,) = checker.sessions.values()
    assert session.from_start and session.client and session.ac
    assert check_pcap(LAB_PCAP) == []


def _write(path: Path, frames, writer=wrpcap) -> Path:
    packets = []
    for ts, frame in frames:
        p = Ether(frame)
        p.time = ts
        packets.append(p)
    writer(str(path), packets)
    return path


@pytest.mark.parametrize("writer", [wrpcap, wrpcapng], ids=["pcap", "pcapng"])
def test_pcap_and_pcapng_files_are_read_with_their_timestamps(tmp_path, writer):
    ex = Exchange()
    ex.full()
    path = _write(tmp_path / "clean.cap", ex.frames, writer)
    assert [round(ts, 6) for ts, _ in read_frames(path)] == [round(ts, 6) for ts, _ in ex.frames]
    assert check_pcap(path) == []
    # Traffic 2 s after the PADT (not a frame already in flight) is told by the timestamps alone.
    ex.wait(2)
    ex.lcp("client", PPP_LCP_Echo(code=9, id=9, magic_number=MAGIC_CLIENT))
    broken = _write(tmp_path / "broken.cap", ex.frames, writer)
    (v,) = check_pcap(broken)
    assert v.rule == "rfc2516.padt.traffic_after" and v.frames == (len(ex.frames) - 1, len(ex.frames))


def _pcap_header(linktype: int) -> bytes:
    return struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, linktype)


@pytest.mark.parametrize("content, words", [
    (None, "No such file"),
    (b"", "not a readable"),
    (b"this is not a capture at all", "not a readable"),
    (_pcap_header(113) + struct.pack("<IIII", 1, 0, 4, 4) + b"\0" * 4, "link type 113"),
])
def test_an_unreadable_capture_raises_one_clear_error(tmp_path, content, words):
    path = tmp_path / "file.pcap"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(CaptureError) as info:
        check_pcap(path)
    message = str(info.value)
    assert words in message and str(path) in message and "\n" not in message


def test_the_report_groups_by_session_and_side_and_names_the_rfc_section():
    ex = Exchange()
    ex.up()
    ex.lcp("client", PPP_LCP_Echo(code=9, id=1, magic_number=0x0BADBAD0))
    ex.lcp("ac", PPP_LCP_Echo(code=10, id=3, magic_number=MAGIC_CLIENT))
    violations = ex.check()
    assert {v.rule for v in violations} == {"rfc1661.echo.magic", "rfc1661.echo.identifier"}
    text = format_report(violations)
    lines = text.splitlines()
    assert lines[0].startswith("3 RFC violations (3 MUST, 0 SHOULD) in 1 session")
    assert f"{HOST} <-> {AC} sid 0x0001" in lines
    assert lines.index("  client (PPPoE host):") < lines.index("  access concentrator:")
    assert "RFC 1661 §5.8 rfc1661.echo.magic" in text and "frame " in text
    assert format_report([]) == "No RFC violations found."


def test_the_report_accepts_violations_from_anywhere():
    v = Violation("rfc2516.padi.broadcast", "RFC 2516 §5.1", "MUST", (1,), "a <-> b", "client", "PADI unicast")
    w = Violation("rfc2516.lcp.magic", "RFC 2516 §7", "SHOULD", (), "c <-> d sid 0x0002", "unknown", "no magic")
    text = format_report([v, w])
    assert "(1 MUST, 1 SHOULD) in 2 sessions" in text and "side unknown" in text and "(frame -)" in text


# -- our own client and AC, in memory ---------------------------------------------------------------

def _judge_whole_tap(pair: Pair, side: str) -> list:
    """Every violation on one side's tap, whoever committed it (no frame is lost in these runs)."""
    return check_frames((when, frame) for when, frame, _ in pair.seen[side])


@pytest.mark.parametrize("auth", ["chap", "pap"])
def test_our_client_and_ac_agree_with_the_rfcs(auth):
    pair = Pair(auth=auth)
    sessions = pair.add(3)
    pair.advance(40)  # up, then echoes
    pair.client.close_session(sessions[0], pair.now)
    pair.advance(10)
    for side in ("client", "ac"):
        assert _judge_whole_tap(pair, side) == [], format_report(_judge_whole_tap(pair, side))
    assert len(pair.seen["ac"]) > 60


def test_a_session_joined_midway_learns_its_sides_from_authentication_and_never_crashes():
    ex = Exchange()
    ex.full()
    tail = ex.frames[8:]  # from the CHAP Challenge on: no discovery, no LCP negotiation
    checker = Checker()
    for ts, frame in tail:
        checker.feed(frame, ts)
    assert checker.finish() == [] and checker.internal_errors == 0
    (session,) = checker.sessions.values()
    assert not session.from_start
    assert (session.client, session.ac) == (bytes.fromhex(HOST.replace(":", "")), bytes.fromhex(AC.replace(":", "")))


def test_a_repeated_pads_confirms_the_live_session_without_restarting_it():
    ex = Exchange()
    ex.padi()
    ex.pado()
    ex.padr()
    ex.pads()
    ex.lcp("ac", conf(1, 1, ac_lcp()))
    ex.padr()  # the host did not hear the PADS in time and asks again
    ex.pads()
    ex.lcp("client", conf(1, 1, CLIENT_LCP))
    ex.lcp("client", conf(2, 1, ac_lcp()))
    ex.lcp("ac", conf(2, 1, CLIENT_LCP))
    ex.authenticate()
    ex.ipcp_open()
    assert ex.check() == []
