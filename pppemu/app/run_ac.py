"""`pppemu ac`: serve PPPoE sessions until SIGINT/SIGTERM, then terminate them all."""
from __future__ import annotations

import signal
import time
from dataclasses import dataclass

from pppemu.app import report, verdict
from pppemu.app.console import Console
from pppemu.app.pacing import Periodic, setup_rate
from pppemu.app.run_client import EXIT_CONFIG, PPPOE_OVERHEAD, write_report
from pppemu.io.link import AC_STREAMS, PacketLink
from pppemu.io.loop import EventLoop
from pppemu.io.tun import Tun
from pppemu.ppp.events import Packet
from pppemu.ppp.session import PppConfig
from pppemu.pppoe.ac import AcConfig, AcRole
from pppemu.pppoe.credentials import Secrets
from pppemu.pppoe.discovery import CookieJar
from pppemu.wire import const as C
from pppemu.wire.ethernet import mac_str


@dataclass
class AcOptions:
    iface: str
    local_ip: str
    pool: str
    dns: tuple[str, ...] = ()
    ac_name: str = "pppemu"
    services: tuple[str, ...] = ()
    auth: str = "chap"
    secrets_file: str | None = None
    user: str | None = None
    password: str | None = None
    echo_interval: float = 30.0
    echo_failure: int = 3
    max_sessions: int = 65534
    max_sessions_per_mac: int = 4
    max_setup: int = 1000
    setup_timeout: float = 30.0
    discovery_rate: float = 2000.0
    mac_discovery_rate: float = 2.0
    mru: int = C.PPPOE_MRU
    ipv6: bool = False
    tun: str | None = None
    report: str | None = None
    pcap: str | None = None
    verbose: bool = False
    quiet: bool = False
    status_interval: float = 10.0
    conformance: bool = False


class ConfigError(Exception):
    pass


# Besides our names, a PADO carries the AC-Cookie and echoes the PADI's Host-Uniq (rarely
# over 16 bytes) and Relay-Session-Id (12 bytes: RFC 2516 has every PADI leave room for it).
HOST_UNIQ_ROOM, RELAY_SESSION_ID_ROOM = 16, 12
PPPOE_HEADER, TAG_HEADER = 6, 4


def pado_size(ac_name: str, services: tuple[str, ...]) -> int:
    """The largest PADO we send (its Ethernet payload): the empty Service-Name of a host that
    asks for any service, every Service-Name offered, the AC-Name, the cookie and the echoes."""
    values = [b"", ac_name.encode(), *(s.encode() for s in services),
              bytes(CookieJar.NONCE + CookieJar.DIGEST), bytes(HOST_UNIQ_ROOM), bytes(RELAY_SESSION_ID_ROOM)]
    return PPPOE_HEADER + sum(TAG_HEADER + len(v) for v in values)


def load_secrets(opts: AcOptions) -> Secrets:
    if opts.secrets_file:
        return Secrets.load(opts.secrets_file, server=opts.ac_name)
    if opts.user is None or opts.password is None:
        raise ConfigError("give --secrets FILE, or --user and --password")
    return Secrets.single(opts.user, opts.password)


def run(opts: AcOptions) -> int:
    console = Console(side="ac")
    secrets = load_secrets(opts)
    report_written = True
    ppp = PppConfig(mru=opts.mru, require_auth=opts.auth, auth_name=opts.ac_name, accept_auth=(),
                    local_ip=opts.local_ip, request_dns=False, dns=opts.dns, ipv6=opts.ipv6,
                    echo_interval=opts.echo_interval, echo_failure=opts.echo_failure)
    link = PacketLink(opts.iface, AC_STREAMS)
    link.require_mtu(opts.mru + PPPOE_OVERHEAD, f"--mru {opts.mru}")
    link.require_mtu(pado_size(opts.ac_name, opts.services), "a PADO with this --ac-name and these --service names")
    config = AcConfig(mac=link.mac, ac_name=opts.ac_name, services=opts.services, pool=opts.pool, ppp=ppp,
                      max_sessions=opts.max_sessions, max_sessions_per_mac=opts.max_sessions_per_mac,
                      max_setup=opts.max_setup, setup_timeout=opts.setup_timeout,
                      discovery_rate=opts.discovery_rate, mac_discovery_rate=opts.mac_discovery_rate)
    role = AcRole(config, secrets)
    tun = Tun(opts.tun) if opts.tun else None
    if tun is not None:
        tun.configure_ac(opts.local_ip, role.pool.bounds, opts.mru)
        role.data_sink = lambda session, protocol, packet: tun.write(packet)
    quiet_sessions = opts.quiet

    def on_event(event):
        if isinstance(event, Packet):
            if tun is not None:
                tun.write(event.data)
            return
        if not quiet_sessions:
            console.event(event)

    checker = verdict.live_checker(opts.conformance)
    loop = EventLoop(role, link, on_event, pcap=opts.pcap, verbose=opts.verbose, checker=checker)
    if opts.quiet:
        def status(now: float) -> None:
            up = sum(1 for s in role.sessions.values() if s.up_at is not None)
            console.say(f"sessions: {len(role.sessions)} active ({up} up), "
                        f"{role.counters['sessions.ended']} ended, pool {role.pool.free} free")
        loop.timers.append(Periodic(opts.status_interval, status, time.monotonic()))
    if tun is not None:
        def from_kernel(now: float) -> None:
            for packet in tun.read_all():
                if len(packet) >= 20 and packet[0] >> 4 == 4:
                    session = role.session_for_address(packet[16:20])
                    if session is not None:
                        session.ppp.send_packet(C.PROTO_IPV4, packet)
                        continue
                role.counters["tun.no_session"] += 1
        loop.add_reader(tun, from_kernel)
    signal_seen = []

    def on_signal(signum, frame):
        signal_seen.append(signum)
        loop.stop()

    for s in (signal.SIGINT, signal.SIGTERM):
        signal.signal(s, on_signal)
    console.say(f"AC {opts.ac_name!r} ready on {opts.iface} ({mac_str(link.mac)}): gateway {opts.local_ip}, "
                f"pool {opts.pool} ({role.pool.size} addresses), auth {opts.auth}")
    try:
        loop.run()
        active = len(role.sessions)
        console.say(f"shutting down: terminating {active} session(s)")
        role.close(time.monotonic())
        loop.run(until=lambda: not role.sessions, timeout=ppp.restart_timer * ppp.max_terminate + 1)
    finally:
        extra = {"setup_rate": setup_rate(list(role.sessions.values()) + list(role.ended)),
                 "pool": {"size": role.pool.size, "free": role.pool.free, "in_use": role.pool.in_use},
                 "link": {"send_errors": link.send_errors}}
        if checker is not None:
            violations = checker.finish()
            console.say_lines(verdict.summary(violations))
            extra["conformance"] = verdict.report_section(violations)
        if opts.report:
            report_written = write_report(opts.report, report.build(role, "ac", extra), console)
        loop.close()
        if tun is not None:
            tun.close()
    return 0 if report_written else EXIT_CONFIG
