"""`pppemu client`: bring sessions up, optionally ping through them, hold, tear down."""
from __future__ import annotations

import os
import random
import signal
import time
from dataclasses import dataclass, field

from . import icmp, report
from .client import ClientConfig, ClientRole
from .console import Console
from .events import Packet, SessionDown, SessionUp
from .io.link import PacketLink
from .io.loop import EventLoop
from .session import PppConfig
from .wire import const as C

EXIT_OK, EXIT_SESSION_FAILED, EXIT_CONFIG, EXIT_PING_LOST = 0, 1, 2, 3


@dataclass
class ClientOptions:
    iface: str
    user: str
    password: str
    auth: str = "any"
    service: str = ""
    ac_name: str | None = None
    mru: int = C.PPPOE_MRU
    max_payload: int | None = None
    ping: int = 0
    duration: float | None = None
    report: str | None = None
    pcap: str | None = None
    verbose: bool = False
    echo_interval: float = 30.0
    echo_failure: int = 3
    ipv6: bool = False
    setup_timeout: float = 60.0
    quiet: bool = False
    extra_tags: tuple = field(default_factory=tuple)


def accept_auth(auth: str) -> tuple[str, ...]:
    return {"chap": ("chap",), "pap": ("pap",), "any": ("chap", "pap")}[auth]


def run(opts: ClientOptions) -> int:
    console = Console(quiet=opts.quiet)
    link = PacketLink(opts.iface)
    ppp = PppConfig(mru=opts.mru, username=opts.user, password=opts.password,
                    accept_auth=accept_auth(opts.auth), ipv6=opts.ipv6,
                    echo_interval=opts.echo_interval, echo_failure=opts.echo_failure)
    role = ClientRole(ClientConfig(ppp=ppp, service_name=opts.service, ac_name=opts.ac_name,
                                   max_payload=opts.max_payload, extra_tags=opts.extra_tags))
    state = {"up": None, "down": None}
    replies: dict[int, float] = {}
    ping_ident = os.getpid() & 0xFFFF

    def on_event(event):
        console.event(event)
        if isinstance(event, SessionUp):
            state["up"] = event
        elif isinstance(event, SessionDown):
            state["down"] = event.reason
        elif isinstance(event, Packet):
            parsed = icmp.parse_echo_reply(event.data)
            if parsed and parsed[1] == ping_ident:
                replies.setdefault(parsed[2], time.monotonic())

    loop = EventLoop(role, link, on_event, pcap=opts.pcap, verbose=opts.verbose)
    interrupted = []

    def on_signal(signum, frame):
        interrupted.append(signum)
        loop.stop()

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    console.say(f"client on {opts.iface} ({':'.join(f'{b:02x}' for b in link.mac)}): sending PADI")
    session = role.add_session(link.mac, time.monotonic())
    exit_code = EXIT_OK
    try:
        loop.run(until=lambda: state["up"] or state["down"], timeout=opts.setup_timeout)
        if not state["up"]:
            reason = state["down"] or ("interrupted" if interrupted else "session setup timed out")
            console.say(f"FAILED: {reason}")
            return EXIT_SESSION_FAILED
        if opts.ping and not interrupted:
            if not ping(loop, role, session, state["up"], opts.ping, ping_ident, replies, console, interrupted):
                exit_code = EXIT_PING_LOST
        if not interrupted and not state["down"]:
            if opts.duration is None:
                console.say("session up; Ctrl-C to terminate")
            loop.run(until=lambda: bool(state["down"]), timeout=opts.duration)
        if state["down"]:
            console.say(f"session lost: {state['down']}")
            exit_code = EXIT_SESSION_FAILED
        else:
            console.say("terminating: LCP Terminate-Request, then PADT")
            role.close(time.monotonic(), "user request")
            loop.run(until=lambda: role.all_gone, timeout=10)
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
        if opts.report:
            report.write(opts.report, report.build(role, "client", {"link": {"send_errors": link.send_errors}}))
            console.say(f"report written to {opts.report}")
        loop.close()
    return exit_code


def ping(loop, role, session, up, count, ident, replies, console, interrupted) -> bool:
    answered = 0
    for seq in range(1, count + 1):
        sent_at = time.monotonic()
        role.send_packet(session, C.PROTO_IPV4, icmp.echo_request(up.ip, up.gateway, ident, seq))
        loop.flush()
        loop.run(until=lambda: seq in replies, timeout=1.0)
        if seq in replies:
            answered += 1
            console.say(f"ping {up.gateway}: reply seq={seq} time={(replies[seq] - sent_at) * 1000:.2f} ms")
        else:
            console.say(f"ping {up.gateway}: no reply to seq={seq}")
        if interrupted:
            break
        rest = 0.2 - (time.monotonic() - sent_at)
        if rest > 0 and seq < count:
            loop.run(timeout=rest)
    console.say(f"ping {up.gateway}: {answered}/{count} answered")
    return answered == count
