"""`pppemu client`: bring sessions up, optionally ping or carry traffic, hold, tear down."""
from __future__ import annotations

import ipaddress
import os
import random
import time
from dataclasses import dataclass, field, replace

from pppemu.app.churn import Churn, ChurnPlan
from pppemu.app.console import Console
from pppemu.app.pacing import Pacer, setup_rate
from pppemu.app.progress import Progress
from pppemu.app.runner import EXIT_CONFIG, EXIT_OK, EXIT_PING_LOST, EXIT_SESSION_FAILED, Outputs, Runner
from pppemu.io.link import HOST_STREAMS, ONE_HOST_STREAMS, PacketLink
from pppemu.io.loop import EventLoop
from pppemu.io.tun import Tun
from pppemu.ppp.events import Dhcpv6Bound, Ipv6Configured, Ipv6Up, Packet, SessionDown, SessionKey, SessionUp
from pppemu.pppoe.client import ClientConfig, ClientRole
from pppemu.pppoe.discovery import line_id_tag
from pppemu.pppoe.vlans import VlanPlan, describe_vlans, payload_room
from pppemu.wire import const as C
from pppemu.wire import icmp
from pppemu.wire.const import PPPOE_OVERHEAD
from pppemu.wire.ethernet import mac_bytes, mac_str

DEFAULT_MAC_BASE = "02:50:50:00:00:01"


@dataclass
class ClientRun:
    """How `pppemu client` drives its subscribers; what they say on the wire is ClientConfig."""
    iface: str
    sessions: int = 1
    mac_base: str | None = None       # None: the interface's MAC for one session, DEFAULT_MAC_BASE for more
    rate: float = 0.0                 # sessions started per second (0: no limit)
    max_outstanding: int = 0          # sessions in setup at once (0: no limit)
    stop_rate: float = 0.0            # sessions terminated per second at the end (0: all at once)
    setup_timeout: float = 60.0       # seconds allowed for the sessions to come up
    duration: float | None = None     # seconds to hold them (None: until a signal)
    ping: int = 0                     # probes to the gateway through the one session
    tun: str | None = None
    default_route: bool = False
    circuit_id: str | None = None     # Agent-Circuit-Id / Agent-Remote-Id templates ({n}: the number)
    remote_id: str | None = None
    churn: ChurnPlan | None = None    # soak runs: session time, reconnect
    vlans: VlanPlan | None = None     # the sessions' VLAN tag stacks (None: untagged)
    outputs: Outputs = field(default_factory=Outputs)


def session_mac(base: bytes, n: int) -> bytes:
    return ((int.from_bytes(base, "big") + n) % (1 << 48)).to_bytes(6, "big")


class Tracker:
    """Counts what the sessions did; drives the pacer's max-outstanding gate."""

    def __init__(self) -> None:
        self.up: dict[SessionKey, SessionUp] = {}
        self.failed: dict[SessionKey, str] = {}
        self.lost: dict[SessionKey, str] = {}
        self.closed = 0
        self.closing = False  # we are terminating them: a session going down now is no loss
        self.started = 0

    @property
    def in_setup(self) -> int:
        return self.started - self.settled

    @property
    def settled(self) -> int:
        return len(self.up) + len(self.failed) + len(self.lost) + self.closed

    def on_event(self, event, ended_by_us: bool = False) -> None:
        if isinstance(event, SessionUp):
            self.up[event.key] = event
        elif isinstance(event, SessionDown):
            if event.key in self.up:
                if self.closing or ended_by_us:
                    self.closed += 1
                else:
                    self.lost[event.key] = event.reason
                del self.up[event.key]
            else:
                self.failed[event.key] = event.reason


def run(plan: ClientRun, config: ClientConfig) -> int:
    console = Console(quiet=plan.outputs.quiet)
    many = plan.sessions > 1
    link = PacketLink(plan.iface, HOST_STREAMS if many else ONE_HOST_STREAMS)
    link.require_mtu(config.ppp.mru + PPPOE_OVERHEAD, f"--mru {config.ppp.mru}")
    if config.max_payload:
        link.require_mtu(config.max_payload + PPPOE_OVERHEAD, f"--max-payload {config.max_payload}")
    mac_base = mac_bytes(plan.mac_base) if plan.mac_base else (mac_bytes(DEFAULT_MAC_BASE) if many else None)
    send_room: int | None = None  # the largest PPP payload the interface sends, if tags limit it
    if plan.vlans is not None:
        # The tags take room in each frame: ask the AC for no more than the interface takes in.
        stack = plan.vlans.tags(0)  # every session's stack is as long
        send_room, receive_room = payload_room(link.mtu, stack)
        if receive_room < config.ppp.mru:
            console.say(f"VLAN tags take {len(stack)} bytes of each frame: MRU {receive_room} on "
                        f"{plan.iface}'s MTU of {link.mtu} (raise the MTU for {config.ppp.mru})")
            config = replace(config, ppp=replace(config.ppp, mru=receive_room, max_mru=min(config.ppp.max_mru,
                                                                                            receive_room)))
    if mac_base is not None and mac_base != link.mac or plan.vlans is not None:
        link.promiscuous()  # other MACs; and a NIC filtering VLANs in hardware passes all in this mode
    link.accept_only(mac_base or link.mac, plan.sessions)
    tun = Tun(plan.tun, config.ipv6_by_kernel) if plan.tun else None
    role = ClientRole(replace(config, forget_ended=plan.churn is not None))
    tracker = Tracker()
    churn: Churn | None = None
    replies: dict[int, float] = {}
    ping_ident = os.getpid() & 0xFFFF
    progress = Progress(plan.sessions) if many and not plan.outputs.quiet else None

    def on_event(event):
        if isinstance(event, Packet):
            if tun is not None:
                tun.write(event.data)
            else:
                parsed = icmp.parse_echo_reply(event.data)
                if parsed and parsed[1] == ping_ident:
                    replies.setdefault(parsed[2], time.monotonic())
            return
        ours = False
        if churn is not None and isinstance(event, SessionUp) and event.key not in tracker.up:
            churn.up(event.key, time.monotonic())
        elif churn is not None and isinstance(event, SessionDown) and not tracker.closing:
            ours = churn.down(event.key, event.reason, event.key in tracker.up, time.monotonic())
        if not many or plan.outputs.verbose:
            console.event(event, named=many)
        elif isinstance(event, SessionDown) and event.key in tracker.up and not tracker.closing and not ours:
            console.say(f"#{event.key.number}: lost: {event.reason}")  # losses always show, even in a crowd
        tracker.on_event(event, ended_by_us=ours)
        if isinstance(event, (SessionUp, SessionDown)):
            pacer.poke(time.monotonic())
        first = isinstance(event, Ipv6Configured) or (isinstance(event, Dhcpv6Bound) and not event.renewed)
        if first and tun is not None:
            address = event.address  # by SLAAC, or DHCPv6's IA_NA
            if address:
                tun.add_address6(address)
                tun.route6(str(ipaddress.IPv6Network(f"{address}/64", strict=False)))
                if plan.default_route:
                    tun.route6("default")
                console.say(f"TUN {tun.name}: {address}" + (", IPv6 default route" if plan.default_route else ""))
        if isinstance(event, Ipv6Up) and tun is not None and config.ipv6_by_kernel and event.local_link_local:
            tun.add_link_local(event.local_link_local)
            console.say(f"TUN {tun.name}: {event.local_link_local}; router discovery, SLAAC and DHCPv6 "
                        f"left to the kernel and its tools")
        if isinstance(event, SessionUp) and tun is not None:
            mtu = role.sessions[event.key.number].ppp.lcp_policy.tx_mtu
            mtu = min(mtu, send_room) if send_room is not None else mtu
            tun.configure_client(event.ip, event.gateway, mtu, plan.default_route)
            console.say(f"TUN {tun.name}: {event.ip} peer {event.gateway}, MTU {mtu}"
                        + (", default route" if plan.default_route else ""))

    def start_session(n: int, now: float) -> None:
        number = str(n + 1)  # what {n} stands for
        mac = link.mac if mac_base is None else session_mac(mac_base, n)
        tags: tuple[tuple[int, bytes], ...] = ()
        if plan.circuit_id or plan.remote_id:
            tags = (line_id_tag((plan.circuit_id or "").replace("{n}", number),
                                (plan.remote_id or "").replace("{n}", number)),)
        session = role.add_session(mac, now, username=config.ppp.username.replace("{n}", number),
                                   password=config.ppp.password.replace("{n}", number), extra_tags=tags,
                                   vlan_tags=plan.vlans.tags(n) if plan.vlans else b"")
        tracker.started += 1
        if churn is not None:
            churn.started(session.key.number, n)

    max_out = plan.max_outstanding
    pacer = Pacer(plan.sessions, plan.rate, start_session,
                  may_act=(lambda: tracker.in_setup < max_out) if max_out else (lambda: True))
    runner = Runner(role, link, console, plan.outputs, on_event, tun)
    loop = runner.loop
    loop.timers.append(pacer)
    if plan.churn is not None:
        def end_for_session_time(key: SessionKey, now: float) -> None:
            session = role.sessions.get(key.number)
            if session is not None:
                role.close_session(session, now, "session time reached")
        churn = Churn(plan.churn, end_for_session_time, start_session, console.say, random.Random(), time.monotonic())
        loop.timers.append(churn)
    if tun is not None:
        role.data_sink = lambda session, protocol, packet: tun.write(packet)

        def from_kernel(now: float) -> None:
            session = role.sessions.get(1)  # the one session
            for packet in tun.read_all():
                if session is not None and packet:
                    role.send_packet(session, C.PROTO_IPV6 if packet[0] >> 4 == 6 else C.PROTO_IPV4, packet)
        loop.add_reader(tun, from_kernel)

    first = mac_base or link.mac
    who = f"{plan.sessions} sessions from {mac_str(first)} up" if many else mac_str(first)
    if plan.vlans is not None:
        who += f", {describe_vlans(plan.vlans, plan.sessions)}"
    console.say(f"client on {plan.iface} ({who}): sending PADI")
    exit_code = EXIT_OK
    with runner:
        try:
            pacer.start(time.monotonic())
            setup_budget = plan.setup_timeout + (plan.sessions / plan.rate if plan.rate else 0)

            def settled() -> bool:
                if progress:
                    progress.update(len(tracker.up), len(tracker.failed), tracker.in_setup, len(tracker.lost))
                return pacer.finished and tracker.settled >= plan.sessions
            loop.run(until=settled, timeout=setup_budget)
            if progress:
                progress.update(len(tracker.up), len(tracker.failed), tracker.in_setup, len(tracker.lost),
                                force=True)
            if not tracker.up:
                reason = next(iter(tracker.failed.values()), None) or (
                    "interrupted" if runner.interrupted else "session setup timed out")
                console.say(f"FAILED: {reason}")
                exit_code = EXIT_SESSION_FAILED
            else:
                exit_code = hold(plan, role, runner, tracker, replies, ping_ident, console)
                tracker.closing = True
                if churn is not None:
                    loop.timers.remove(churn)  # no session ends or starts again while we close them all
                teardown(loop, role, plan, console)
        finally:
            extra: dict = {"setup_rate": setup_rate(role.every_session())}
            if churn is not None:
                extra["churn"] = churn.summary()
                if churn.totals["lost"] or churn.totals["failed"]:
                    exit_code = exit_code or EXIT_SESSION_FAILED
            written = runner.finish(extra)
    return exit_code if written else exit_code or EXIT_CONFIG


def hold(plan: ClientRun, role: ClientRole, runner: Runner, tracker: Tracker, replies: dict[int, float],
         ping_ident: int, console: Console) -> int:
    """The sessions are up: report, ping, hold them until the duration, a signal or their loss."""
    loop, many, exit_code = runner.loop, plan.sessions > 1, EXIT_OK
    if many:
        summary = setup_rate(role.sessions.values())
        console.say(f"{len(tracker.up)}/{plan.sessions} sessions up, {len(tracker.failed)} failed; "
                    f"{summary['overall_per_s']} sessions/s")
        if tracker.failed:
            exit_code = EXIT_SESSION_FAILED
    if plan.ping and not runner.interrupted:
        (up,) = tracker.up.values()
        if not ping(loop, role, role.sessions[1], up, plan.ping, ping_ident, replies, console, runner.interrupted):
            exit_code = EXIT_PING_LOST
    if plan.churn is not None:
        # Churn: losses are counted as they come, and with reconnect their subscribers start
        # again; hold for the duration (or, without reconnect, until every session has ended).
        if not runner.interrupted:
            reconnect = plan.churn.reconnect
            loop.run(until=lambda: not reconnect and not tracker.up, timeout=plan.duration)
        return exit_code
    if not runner.interrupted and not tracker.lost:
        if plan.duration is None:
            console.say("up; Ctrl-C to terminate")
        # One session: stop at its loss. Many: stop when none is left up.
        loop.run(until=lambda: bool(tracker.lost) and (not many or not tracker.up), timeout=plan.duration)
    if tracker.lost:
        for key, reason in list(tracker.lost.items())[:5]:
            console.say(f"session{'' if not many else f' #{key.number}'} lost: {reason}")
        exit_code = EXIT_SESSION_FAILED
    return exit_code


def teardown(loop: EventLoop, role: ClientRole, plan: ClientRun, console: Console) -> None:
    live = [s for s in role.sessions.values() if not s.gone]
    if not live:
        return
    console.say(f"terminating {len(live)} session(s): LCP Terminate-Request, then PADT")
    stopper = Pacer(len(live), plan.stop_rate, lambda i, now: role.close_session(live[i], now, "user request"))
    loop.timers.append(stopper)
    stopper.start(time.monotonic())
    budget = 10 + (len(live) / plan.stop_rate if plan.stop_rate else 0)
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
