"""`pppemu client`: bring sessions up, optionally ping or carry traffic, hold, tear down."""
from __future__ import annotations

import os
import signal
import sys
import time
from dataclasses import dataclass, field

from pppemu.app import report, verdict
from pppemu.app.console import Console
from pppemu.app.pacing import Pacer, setup_rate
from pppemu.app.progress import Progress
from pppemu.io.link import PacketLink
from pppemu.io.loop import EventLoop
from pppemu.io.tun import Tun
from pppemu.ppp.events import Packet, SessionDown, SessionUp
from pppemu.ppp.lcp import accepted_auth
from pppemu.ppp.session import PppConfig
from pppemu.pppoe.client import ClientConfig, ClientRole
from pppemu.pppoe.discovery import line_id_tag
from pppemu.wire import const as C
from pppemu.wire import icmp
from pppemu.wire.ethernet import mac_bytes, mac_str

EXIT_OK, EXIT_SESSION_FAILED, EXIT_CONFIG, EXIT_PING_LOST = 0, 1, 2, 3
DEFAULT_MAC_BASE = "02:50:50:00:00:01"
PPPOE_OVERHEAD = 8  # the PPPoE header and the PPP protocol field, around every PPP payload


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
    sessions: int = 1
    mac_base: str | None = None
    rate: float = 0.0
    max_outstanding: int = 0
    stop_rate: float = 0.0
    tun: str | None = None
    default_route: bool = False
    circuit_id: str | None = None
    remote_id: str | None = None
    extra_tags: tuple = field(default_factory=tuple)
    conformance: bool = False


def session_mac(base: bytes, n: int) -> bytes:
    return ((int.from_bytes(base, "big") + n) % (1 << 48)).to_bytes(6, "big")


def write_report(path: str, data: dict, console: Console) -> bool:
    """Write the JSON report; on failure say so in one line (the run itself is over)."""
    try:
        report.write(path, data)
    except OSError as exc:
        print(f"pppemu: error: cannot write the report to {path}: {exc.strerror or exc}", file=sys.stderr)
        return False
    console.say(f"report written to {path}")
    return True


class Tracker:
    """Counts what the sessions did; drives the pacer's max-outstanding gate."""

    def __init__(self):
        self.up: dict[int, SessionUp] = {}
        self.failed: dict[int, str] = {}
        self.lost: dict[int, str] = {}
        self.started = 0

    @property
    def in_setup(self) -> int:
        return self.started - len(self.up) - len(self.failed) - len(self.lost)

    @property
    def settled(self) -> int:
        return len(self.up) + len(self.failed) + len(self.lost)

    def on_event(self, event) -> None:
        if isinstance(event, SessionUp):
            self.up[event.key] = event
        elif isinstance(event, SessionDown):
            if event.key in self.up:
                self.lost[event.key] = event.reason
                del self.up[event.key]
            else:
                self.failed[event.key] = event.reason


def run(opts: ClientOptions) -> int:
    console = Console(quiet=opts.quiet)
    link = PacketLink(opts.iface)
    link.require_mtu(opts.mru + PPPOE_OVERHEAD, f"--mru {opts.mru}")
    if opts.max_payload:
        link.require_mtu(opts.max_payload + PPPOE_OVERHEAD, f"--max-payload {opts.max_payload}")
    many = opts.sessions > 1
    mac_base = mac_bytes(opts.mac_base) if opts.mac_base else (mac_bytes(DEFAULT_MAC_BASE) if many else None)
    if mac_base is not None and mac_base != link.mac:
        link.promiscuous()
    link.accept_only(mac_base or link.mac, opts.sessions)
    tun = Tun(opts.tun) if opts.tun else None
    ppp = PppConfig(mru=opts.mru, username=opts.user, password=opts.password,
                    accept_auth=accepted_auth(opts.auth), ipv6=opts.ipv6,
                    echo_interval=opts.echo_interval, echo_failure=opts.echo_failure)
    role = ClientRole(ClientConfig(ppp=ppp, service_name=opts.service, ac_name=opts.ac_name,
                                   max_payload=opts.max_payload, extra_tags=opts.extra_tags))
    tracker = Tracker()
    replies: dict[int, float] = {}
    ping_ident = os.getpid() & 0xFFFF
    progress = Progress(opts.sessions) if many and not opts.quiet else None

    def on_event(event):
        if isinstance(event, Packet):
            if tun is not None:
                tun.write(event.data)
            else:
                parsed = icmp.parse_echo_reply(event.data)
                if parsed and parsed[1] == ping_ident:
                    replies.setdefault(parsed[2], time.monotonic())
            return
        if not many or opts.verbose:
            console.event(event, named=many)
        elif isinstance(event, SessionDown) and event.key in tracker.up:
            console.say(f"#{event.key.number}: lost: {event.reason}")  # losses always show, even in a crowd
        tracker.on_event(event)
        if isinstance(event, (SessionUp, SessionDown)):
            pacer.poke(time.monotonic())
        if isinstance(event, SessionUp) and tun is not None:
            session = role.sessions[event.key.number]
            tun.configure_client(event.ip, event.gateway, session.ppp.lcp_policy.tx_mtu, opts.default_route)
            console.say(f"TUN {tun.name}: {event.ip} peer {event.gateway}, MTU {session.ppp.lcp_policy.tx_mtu}"
                        + (", default route" if opts.default_route else ""))

    def start_session(n: int, now: float) -> None:
        mac = link.mac if mac_base is None else session_mac(mac_base, n)
        user = opts.user.replace("{n}", str(n + 1))
        password = opts.password.replace("{n}", str(n + 1))
        tags = ()
        if opts.circuit_id or opts.remote_id:
            tags = (line_id_tag((opts.circuit_id or "").replace("{n}", str(n + 1)),
                                (opts.remote_id or "").replace("{n}", str(n + 1))),)
        role.add_session(mac, now, username=user, password=password, extra_tags=tags)
        tracker.started += 1

    max_out = opts.max_outstanding
    pacer = Pacer(opts.sessions, opts.rate, start_session,
                  may_act=(lambda: tracker.in_setup < max_out) if max_out else (lambda: True))
    checker = verdict.live_checker(opts.conformance)
    loop = EventLoop(role, link, on_event, pcap=opts.pcap, verbose=opts.verbose, checker=checker)
    loop.timers.append(pacer)
    if tun is not None:
        role.data_sink = lambda session, protocol, packet: tun.write(packet)

        def from_kernel(now: float) -> None:
            session = role.sessions.get(1)  # the one session
            for packet in tun.read_all():
                if session is not None and packet:
                    role.send_packet(session, C.PROTO_IPV6 if packet[0] >> 4 == 6 else C.PROTO_IPV4, packet)
        loop.add_reader(tun, from_kernel)

    interrupted = []

    def on_signal(signum, frame):
        interrupted.append(signum)
        loop.stop()

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    who = f"{opts.sessions} sessions from {mac_str(mac_base)} up" if many else mac_str(mac_base or link.mac)
    console.say(f"client on {opts.iface} ({who}): sending PADI")
    exit_code = EXIT_OK
    report_written = True
    first_start = time.monotonic()
    try:
        pacer.start(first_start)
        setup_budget = opts.setup_timeout + (opts.sessions / opts.rate if opts.rate else 0)

        def settled() -> bool:
            if progress:
                progress.update(len(tracker.up), len(tracker.failed), tracker.in_setup, len(tracker.lost))
            return pacer.finished and tracker.settled >= opts.sessions
        loop.run(until=settled, timeout=setup_budget)
        if progress:
            progress.update(len(tracker.up), len(tracker.failed), tracker.in_setup, len(tracker.lost), force=True)
        if not tracker.up:
            reason = next(iter(tracker.failed.values()), None) or (
                "interrupted" if interrupted else "session setup timed out")
            console.say(f"FAILED: {reason}")
            return EXIT_SESSION_FAILED
        if many:
            summary = setup_rate(role.sessions.values())
            console.say(f"{len(tracker.up)}/{opts.sessions} sessions up, {len(tracker.failed)} failed; "
                        f"{summary['overall_per_s']} sessions/s")
            if tracker.failed:
                exit_code = EXIT_SESSION_FAILED
        if opts.ping and not interrupted:
            (up,) = tracker.up.values()
            if not ping(loop, role, role.sessions[1], up, opts.ping, ping_ident, replies, console, interrupted):
                exit_code = EXIT_PING_LOST
        if not interrupted and not tracker.lost:
            if opts.duration is None:
                console.say("up; Ctrl-C to terminate")
            # One session: stop at its loss. Many: stop when none is left up.
            loop.run(until=lambda: bool(tracker.lost) and (not many or not tracker.up), timeout=opts.duration)
        if tracker.lost:
            for key, reason in list(tracker.lost.items())[:5]:
                console.say(f"session{'' if not many else f' #{key.number}'} lost: {reason}")
            exit_code = EXIT_SESSION_FAILED
        teardown(loop, role, opts, console)
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
        extra = {"setup_rate": setup_rate(role.sessions.values()), "link": {"send_errors": link.send_errors}}
        if checker is not None:
            violations = checker.finish()
            console.say_lines(verdict.summary(violations))
            extra["conformance"] = verdict.report_section(violations)
        if opts.report:
            report_written = write_report(opts.report, report.build(role, "client", extra), console)
        loop.close()
        if tun is not None:
            tun.close()
    return exit_code if report_written else exit_code or EXIT_CONFIG


def teardown(loop, role, opts, console) -> None:
    live = [s for s in role.sessions.values() if not s.gone]
    if not live:
        return
    console.say(f"terminating {len(live)} session(s): LCP Terminate-Request, then PADT")
    stopper = Pacer(len(live), opts.stop_rate, lambda i, now: role.close_session(live[i], now, "user request"))
    loop.timers.append(stopper)
    stopper.start(time.monotonic())
    budget = 10 + (len(live) / opts.stop_rate if opts.stop_rate else 0)
    loop.run(until=lambda: stopper.finished and role.all_gone, timeout=budget)


PING_TRIES = 3        # transmissions per probe before it counts as unanswered
PING_WAIT = 1.0       # seconds to wait for the reply to one transmission


def ping(loop, role, session, up, count, ident, replies, console, interrupted) -> bool:
    """Ping the gateway `count` times; True if every probe was answered.

    A peer may bring its interface up a moment after IPCP opens (pppd does) and drop
    the first echo, so an unanswered probe is sent again, with a new ICMP sequence
    number, up to PING_TRIES times; a reply to any of its transmissions answers it.
    """
    answered = 0
    seq = 0
    for probe in range(1, count + 1):
        sent: dict[int, float] = {}
        for _ in range(PING_TRIES):
            seq += 1
            sent[seq] = time.monotonic()
            role.send_packet(session, C.PROTO_IPV4, icmp.echo_request(up.ip, up.gateway, ident, seq))
            loop.flush()
            loop.run(until=lambda sent=sent: any(s in replies for s in sent), timeout=PING_WAIT)
            if any(s in replies for s in sent) or interrupted:
                break
        got = [s for s in sent if s in replies]
        if got:
            answered += 1
            rtt = (replies[got[0]] - sent[got[0]]) * 1000
            retry = f" (try {len(sent)})" if len(sent) > 1 else ""
            console.say(f"ping {up.gateway}: reply seq={got[0]} time={rtt:.2f} ms{retry}")
        else:
            console.say(f"ping {up.gateway}: no reply to probe {probe} after {len(sent)} tries")
        if interrupted:
            break
        rest = 0.2 - (time.monotonic() - sent[seq])
        if rest > 0 and probe < count:
            loop.run(timeout=rest)
    console.say(f"ping {up.gateway}: {answered}/{count} answered")
    return answered == count
