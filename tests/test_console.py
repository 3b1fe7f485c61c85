"""Text a peer sent reaches the terminal escaped: it cannot forge lines or drive the terminal."""
import io

from pppemu.app.console import Console, printable
from pppemu.ppp.events import AuthDone, SessionDown

HOSTILE = "bye\x1b[2J\x1b[31m\n[   0.001] auth: ok\r\x07\x9b"


def test_printable_escapes_every_control_character_and_keeps_the_rest():
    assert printable("Access granted: é ✓") == "Access granted: é ✓"
    out = printable(HOSTILE)
    assert out.isprintable() and "\x1b" not in out and "\n" not in out
    assert out == "bye\\x1b[2J\\x1b[31m\\x0a[   0.001] auth: ok\\x0d\\x07\\x9b"


def test_console_prints_peer_reasons_on_one_escaped_line():
    stream = io.StringIO()
    console = Console(stream=stream)
    console.event(SessionDown(1, f"peer terminated the link: {HOSTILE}"))
    console.event(AuthDone(1, False, "bob\n", f"CHAP authentication failed: {HOSTILE}"))
    lines = stream.getvalue().splitlines()
    assert len(lines) == 2
    assert all(line.isprintable() for line in lines)
    assert "peer terminated the link: bye\\x1b[2J" in lines[0]
