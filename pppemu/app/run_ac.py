"""`pppemu ac`: serve PPPoE sessions until SIGINT/SIGTERM, then terminate them all."""
from __future__ import annotations

import time
from dataclasses import dataclass, field, replace

from pppemu.app.console import Console
from pppemu.app.pacing import Periodic, setup_rate
from pppemu.app.runner import EXIT_CONFIG, EXIT_OK, Outputs, Runner
from pppemu.errors import ConfigError
from pppemu.io.link import AC_STREAMS, PacketLink
from pppemu.io.tun import Tun
from pppemu.ppp.events import Packet
from pppemu.pppoe.ac import AcConfig, AcRole
from pppemu.pppoe.credentials import Secrets
from pppemu.pppoe.discovery import CookieJar
from pppemu.wire import const as C
from pppemu.wire.const import PPPOE_OVERHEAD
from pppemu.wire.ethernet import mac_str


@dataclass
class AcRun:
    """How `pppemu ac` is run; what it says on the wire is AcConfig."""
    iface: str
    secrets_file: str | None = None   # pppd-style secrets, or one account:
    user: str | None = None
    password: str | None = None
    tun: str | None = None
    status_interval: float = 10.0     # with --quiet: a status line this often
    outputs: Outputs = field(default_factory=Outputs)


# Besides our names, a PADO carries the AC-Cookie and echoes the PADI's Host-Uniq (rarely
# over 16 bytes) and Relay-Session-Id (12 bytes: RFC 2516 has every PADI leave room for it).
HOST_UNIQ_ROOM, RELAY_SESSION_ID_ROOM = 16, 12
PPPOE_HEADER, TAG_HEADER = 6, 4


def pado_size(ac_name: str, services: tuple[str, ...]) -> int:
    """The largest PADO we send (its Ethernet payload): the empty Service-Name of a host that
    asks for any service, every Service-Name offered, the AC-Name, the cookie and the echoes."""
    values = [b"", ac_name.encode(), *(s.encode() for s in services),
              bytes(CookieJar.NONCE + CookieJar.DIGEST), bytes(HOST_UNIQ_ROOM), bytes(RELAY_SESSION_ID_ROOM),
              bytes(2)]  # and RFC 4638's PPP-Max-Payload
    return PPPOE_HEADER + sum(TAG_HEADER + len(v) for v in values)


def load_secrets(plan: AcRun, server: str, needed: bool = True) -> Secrets | None:
    if not needed and not plan.secrets_file and plan.user is None:
        return None  # no authentication: nothing to check against
    if plan.secrets_file:
        return Secrets.load(plan.secrets_file, server=server)
    if plan.user is None or plan.password is None:
        raise ConfigError("give --secrets FILE, or --user and --password")
    return Secrets.single(plan.user, plan.password)


def run(plan: AcRun, config: AcConfig) -> int:
    console = Console(side="ac")
    secrets = load_secrets(plan, config.ac_name, needed=config.ppp.require_auth is not None)
    ppp = config.ppp
    link = PacketLink(plan.iface, AC_STREAMS)
    # A NIC filtering VLANs in hardware drops ids no sub-interface asked for, except in
    # promiscuous mode; frames to other MACs are then dropped by the link's filters.
    link.promiscuous()
    link.require_mtu(ppp.mru + PPPOE_OVERHEAD, f"--mru {ppp.mru}")
    link.require_mtu(pado_size(config.ac_name, config.services), "a PADO with this --ac-name and these --service names")
    # RFC 4638: hosts may ask for payloads up to what this link carries.
    role = AcRole(replace(config, mac=link.mac, max_payload=max(config.max_payload, link.mtu - PPPOE_OVERHEAD),
                          link_mtu=link.mtu),
                  secrets)
    tun = Tun(plan.tun) if plan.tun else None
    if tun is not None:
        assert ppp.local_ip is not None  # the command line requires --local-ip
        tun.configure_ac(ppp.local_ip, role.pool.bounds, ppp.mru)
        for _, address in config.line_addresses:
            tun.route4(f"{address}/32")  # static addresses lie outside the pool's routes
        for block in (config.ra_prefix_pool, config.pd_pool):
            if block:
                tun.route6(block)  # one route per pool: the AC finds the session per packet
        role.data_sink = lambda session, protocol, packet: tun.write(packet)

    def on_event(event):
        if isinstance(event, Packet):
            if tun is not None:
                tun.write(event.data)
            return
        if not plan.outputs.quiet:
            console.event(event)

    runner = Runner(role, link, console, plan.outputs, on_event, tun)
    loop = runner.loop
    if plan.outputs.quiet:
        def status(now: float) -> None:
            up = sum(1 for s in role.sessions.values() if s.up_at is not None)
            console.say(f"sessions: {len(role.sessions)} active ({up} up), "
                        f"{role.counters['sessions.ended']} ended, pool {role.pool.free} free")
        loop.timers.append(Periodic(plan.status_interval, status, time.monotonic()))
    if tun is not None:
        def from_kernel(now: float) -> None:
            for packet in tun.read_all():
                session, protocol = None, C.PROTO_IPV4
                if len(packet) >= 20 and packet[0] >> 4 == 4:
                    session = role.session_for_address(packet[16:20])
                elif len(packet) >= 40 and packet[0] >> 4 == 6:
                    session, protocol = role.session_for_address6(packet[24:40]), C.PROTO_IPV6
                if session is not None and session.ppp is not None and session.ppp.send_packet(protocol, packet):
                    continue
                role.counters["tun.no_session"] += 1
        loop.add_reader(tun, from_kernel)
    console.say(f"AC {config.ac_name!r} ready on {plan.iface} ({mac_str(link.mac)}): gateway {ppp.local_ip}, "
                f"pool {config.pool} ({role.pool.size} addresses), auth {ppp.require_auth or 'none'}")
    with runner:
        try:
            loop.run()
            console.say(f"shutting down: terminating {len(role.sessions)} session(s)")
            role.close(time.monotonic())
            loop.run(until=lambda: not role.sessions, timeout=ppp.restart_timer * ppp.max_terminate + 1)
        finally:
            written = runner.finish({
                "setup_rate": setup_rate(role.every_session()),
                "pool": {"size": role.pool.size, "free": role.pool.free, "in_use": role.pool.in_use}})
    return EXIT_OK if written else EXIT_CONFIG
