"""Text a peer sent reaches the terminal escaped: it cannot forge lines or drive the terminal."""
import io

from pppemu.app.console import Console, printable
from pppemu.ppp.events import AuthDone, DiscoveryDone, SessionDown, SessionKey, SessionUp

HOSTILE = "bye\x1b[2J\x1b[31m\n[   0.001] auth: ok\r\x07\x9b"


def test_printable_escapes_every_control_character_and_keeps_the_rest():
    assert printable("Access granted: é ✓") == "Access granted: é ✓"
    out = printable(HOSTILE)
    assert out.isprintable() and "\x1b" not in out and "\n" not in out
    assert out == "bye\\x1b[2J\\x1b[31m\\x0a[   0.001] auth: ok\\x0d\\x07\\x9b"


def test_console_prints_peer_reasons_on_one_escaped_line():
    stream = io.StringIO()
    console = Console(stream=stream)
    key = SessionKey(1, "02:00:00:00:00:01")
    console.event(SessionDown(key, f"peer terminated the link: {HOSTILE}"))
    console.event(AuthDone(key, False, "bob\n", f"CHAP authentication failed: {HOSTILE}"))
    lines = stream.getvalue().splitlines()
    assert len(lines) == 2
    assert all(line.isprintable() for line in lines)
    assert "peer terminated the link: bye\\x1b[2J" in lines[0]


def test_one_printer_names_sessions_as_each_end_knows_them():
    key = SessionKey(7, "02:50:50:00:00:07", session_id=0x1234)
    lines = {}
    for side, named in (("client", False), ("client", True), ("ac", False)):
        stream = io.StringIO()
        console = Console(stream=stream, side=side)
        console.event(DiscoveryDone(key, 0x1234, "02:ac:00:00:00:01", "bras"), named=named)
        console.event(SessionUp(key, "10.0.0.1", "10.0.0.100", []), named=named)
        lines[side, named] = [line.split("] ", 1)[1] for line in stream.getvalue().splitlines()]
    assert lines["client", False] == ["discovery: session id 4660 with 02:ac:00:00:00:01 (AC-Name 'bras')",
                                      "IPCP: opened, address 10.0.0.1, gateway 10.0.0.100, DNS none"]
    assert lines["client", True][0].startswith("#7: discovery: session id 4660")
    assert lines["ac", False] == ["02:50:50:00:00:07 sid 4660: discovery: PADS sent, session id 4660",
                                  "02:50:50:00:00:07 sid 4660: IPCP: opened, client address 10.0.0.100"]
