"""Human-facing output: one timestamped line per thing that happened on the wire."""
from __future__ import annotations

import logging
import sys
import time

from pppemu.ppp.events import (
    AuthDone,
    Dhcpv6Bound,
    Dhcpv6Failed,
    DiscoveryDone,
    Ipv6Configured,
    Ipv6Up,
    LinkUp,
    SessionDown,
    SessionKey,
    SessionUp,
)


def printable(text: str) -> str:
    """Text fit for a terminal or a log line: control characters (newlines, ANSI escapes)
    escaped, so text a peer sent (a Terminate reason, a PADT error) cannot forge lines
    or drive the terminal. The JSON report keeps the text as received."""
    return "".join(c if c.isprintable() else f"\\x{ord(c):02x}" if ord(c) < 0x100 else f"\\u{ord(c):04x}"
                   for c in text)


class Console:
    """Timestamped lines for a person watching one end: `side` is "client" or "ac"."""

    def __init__(self, prefix: str = "", stream=None, quiet: bool = False, side: str = "client"):
        self.side = side
        self.start = time.monotonic()
        self.prefix = prefix
        self.stream = stream or sys.stdout
        self.quiet = quiet

    def say(self, text: str) -> None:
        """One line; anything that is not printable in it is escaped."""
        if self.quiet:
            return
        print(f"[{time.monotonic() - self.start:8.3f}] {self.prefix}{printable(text)}", file=self.stream, flush=True)

    def say_lines(self, text: str) -> None:
        for line in text.splitlines():
            self.say(line)

    def label(self, key: SessionKey) -> str:
        """How a session is named: by number on the client, by MAC and session id on the AC."""
        if self.side != "ac":
            return f"#{key.number}"
        return f"{key.mac}{f' vlan {key.vlan}' if key.vlan else ''} sid {key.session_id}"

    def event(self, event, named: bool = True) -> None:
        """Print a session event (data packets are not printed); `named`: say which session."""
        ac = self.side == "ac"
        who = f"{self.label(event.key)}: " if named or ac else ""
        if ac and isinstance(event, DiscoveryDone):
            self.say(f"{who}discovery: PADS sent, session id {event.session_id}")
        elif ac and isinstance(event, SessionUp):
            self.say(f"{who}IPCP: opened, client address {event.gateway}")
        elif isinstance(event, DiscoveryDone):
            name = f" (AC-Name {event.ac_name!r})" if event.ac_name else ""
            vlan = f" on VLAN {event.key.vlan}" if event.key.vlan else ""
            self.say(f"{who}discovery: session id {event.session_id} with {event.peer_mac}{name}{vlan}")
        elif isinstance(event, LinkUp):
            self.say(f"{who}LCP: opened, MRU {event.mru}")
        elif isinstance(event, AuthDone):
            if event.ok:
                self.say(f"{who}auth: ok" + (f" ({event.peer_name})" if event.peer_name else ""))
            else:
                self.say(f"{who}auth: FAILED: {event.reason}")
        elif isinstance(event, SessionUp):
            dns = ", ".join(event.dns) or "none"
            self.say(f"{who}IPCP: opened, address {event.ip}, gateway {event.gateway}, DNS {dns}")
        elif isinstance(event, Ipv6Up):
            self.say(f"{who}IPv6CP: opened, {event.local_link_local} <-> {event.peer_link_local}")
        elif isinstance(event, Ipv6Configured):
            flags = "".join(f for f, on in (("M", event.managed), ("O", event.other)) if on) or "none"
            dns = ", ".join(event.dns) or "none"
            self.say(f"{who}IPv6: address {event.address or 'none (no prefix to autoconfigure)'} by SLAAC "
                     f"from {event.prefix or '-'}, router {event.router}, DNS {dns}, M/O flags {flags}")
        elif isinstance(event, Dhcpv6Bound):
            what = [f"address {event.address}"] if event.address else []
            what += [f"delegated prefix {event.prefix}"] if event.prefix else []
            dns = ", ".join(event.dns) or "none"
            self.say(f"{who}DHCPv6: {'renewed' if event.renewed else 'bound'} {', '.join(what) or 'nothing'}, "
                     f"DNS {dns}")
        elif isinstance(event, Dhcpv6Failed):
            self.say(f"{who}DHCPv6: FAILED: {event.reason}")
        elif isinstance(event, SessionDown):
            self.say(f"{who}session down: {event.reason}")


def setup_logging(verbose: bool) -> None:
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, stream=sys.stderr,
                        format="%(asctime)s %(name)s %(message)s")
    if verbose:
        logging.getLogger("pppemu.wire").setLevel(logging.INFO)
