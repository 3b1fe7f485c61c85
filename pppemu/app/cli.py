"""The `pppemu` command: `pppemu client ...` and `pppemu ac ...`."""
from __future__ import annotations

import ipaddress
import os
import sys
from dataclasses import replace
from enum import StrEnum
from typing import Annotated

import typer

from pppemu.app.churn import ChurnPlan
from pppemu.app.console import setup_logging
from pppemu.app.run_client import DEFAULT_MAC_BASE, ClientRun
from pppemu.app.runner import Outputs
from pppemu.errors import ConfigError
from pppemu.ppp.lcp import accepted_auth
from pppemu.ppp.session import PppConfig
from pppemu.pppoe.ac import AcConfig
from pppemu.pppoe.client import ClientConfig
from pppemu.pppoe.lines import load_line_map
from pppemu.pppoe.vlans import VlanFilter, VlanMode, VlanPlan, parse_vid_range
from pppemu.wire import const as C

MAX_PAYLOAD = 9192     # RFC 4638 payloads up to a 9200-byte jumbo frame
MAX_SESSIONS = 200_000  # per client process; memory grows with the sessions up
MAX_RATE = 1e6          # sessions (or discovery packets) per second: beyond any link
DAY = 86400.0

app = typer.Typer(add_completion=False, no_args_is_help=True, help=(
    "pppemu: a both-ends PPPoE emulator in user space. `client` brings up a subscriber session "
    "(discovery, LCP, CHAP/PAP, IPCP) against any access concentrator; `ac` serves sessions to any "
    "PPPoE client. Both need root (raw sockets)."))


class ClientAuth(StrEnum):
    chap = "chap"
    pap = "pap"
    any = "any"
    none = "none"


class AcAuth(StrEnum):
    chap = "chap"
    pap = "pap"
    none = "none"


class Tpid(StrEnum):
    dot1q = "0x8100"
    dot1ad = "0x88a8"
    old_qinq = "0x9100"


OUTER_VLAN_HELP = "an id or a range such as 100-199 (1-4094)"


def fail(message: str) -> None:
    print(f"pppemu: error: {message}", file=sys.stderr)
    raise typer.Exit(2)


def check_mac(value: str, option: str, count: int = 1) -> None:
    """A unicast MAC, and so are the `count` MACs stepped by one from it."""
    from pppemu.wire.ethernet import mac_bytes
    try:
        mac = mac_bytes(value)
    except ValueError as exc:
        fail(f"{option}: {exc}")
    if mac[0] & 1:
        fail(f"{option} {value} is a multicast address; a subscriber MAC must be unicast")
    if not any(mac):
        fail(f"{option} {value} is all zeros, which no host may use")
    first = int.from_bytes(mac, "big")
    if (first + count - 1) >> 40 != mac[0]:
        fail(f"{option} {value}: {count} MACs stepped by one from it run past {mac[0]:02x}:ff:ff:ff:ff:ff "
             f"into another first octet (an odd one is multicast); start lower")


def check_text(option: str, value: str | None, limit: int | None = None) -> None:
    """Text that goes on the wire as UTF-8, in a length-limited field if `limit` is given."""
    if value is None:
        return
    try:
        size = len(value.encode())
    except UnicodeEncodeError:
        fail(f"{option} is not valid UTF-8")
    if limit is not None and size > limit:
        fail(f"{option} is {size} bytes long; at most {limit} fit")


def check_tun(name: str | None) -> None:
    if name is None:
        return
    check_text("--tun", name, 15)
    if not name or any(c in "%/:" or c.isspace() for c in name):
        fail(f"--tun {name!r}: an interface name must be 1 to 15 characters without %, /, : or spaces")


def check_writable(option: str, path: str | None) -> None:
    """Fail now, not at exit after the whole run, if an output file cannot be written."""
    if path is None:
        return
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        fail(f"{option} {path}: directory {folder} does not exist")
    created = not os.path.lexists(path)
    try:
        with open(path, "a"):
            pass
    except OSError as exc:
        fail(f"{option} {path}: cannot write there ({exc.strerror or exc})")
    if created:
        os.remove(path)


def check_outputs(report: str | None, pcap: str | None) -> None:
    for option, path in (("--report", report), ("--pcap", pcap)):
        check_writable(option, path)
    if report and pcap and os.path.realpath(report) == os.path.realpath(pcap):
        fail(f"--report and --pcap both name {report}; give each its own file")


def check_ip(value: str, option: str) -> str:
    """A unicast IPv4 address a host may hold."""
    from pppemu.pppoe.pool import not_a_host
    try:
        address = ipaddress.IPv4Address(value)
    except ValueError:
        fail(f"{option} is not an IPv4 address: {value!r}")
    reserved = not_a_host(int(address))
    if reserved:
        fail(f"{option} {address} is a {reserved[0]} address; it must be one a host can hold")
    return str(address)


# Every default is the engine's or the run's own, shown in --help from there.
PPP = PppConfig()
AC = AcConfig()
CLIENT_RUN = ClientRun(iface="")
CHURN = ChurnPlan(session_time=0)
CONFORMANCE_HELP = ("Judge every frame sent and received against the RFCs (RFC 2516, 1661, 1994, 1334, 1332, "
                    "1877, 5072, 4638); print the violations of both sides at exit and add them to the JSON report.")
Report = Annotated[str | None, typer.Option(help="Write a JSON report here at exit.")]
Pcap = Annotated[str | None, typer.Option(help="Write every frame sent and received to this pcap file.")]
Conformance = Annotated[bool, typer.Option(help=CONFORMANCE_HELP)]
Verbose = Annotated[bool, typer.Option("--verbose", "-v", help="Log every frame, decoded.")]


def check_ip6(value: str, option: str) -> str:
    """A global or unique-local unicast IPv6 address."""
    try:
        address = ipaddress.IPv6Address(value)
    except ValueError:
        fail(f"{option} is not an IPv6 address: {value!r}")
    if address.is_multicast or address.is_unspecified or address.is_loopback or address.is_link_local:
        fail(f"{option} {address}: give a global or unique-local unicast address")
    return str(address)


def check_prefix_pool(option: str, value: str, length: int) -> None:
    """An IPv6 block that /`length` prefixes can be carved from."""
    try:
        block = ipaddress.IPv6Network(value)
    except ValueError as exc:
        fail(f"{option} {value!r}: {exc}")
    if block.prefixlen > length:
        fail(f"{option} {value}: a /{block.prefixlen} holds no /{length}; give a /{length} or shorter")
    if block.is_multicast or block.is_link_local or block.is_loopback or block.is_unspecified:
        fail(f"{option} {value}: give a global or unique-local block")


@app.command()
def client(
    iface: Annotated[str, typer.Option("--iface", "-i", help="Ethernet interface facing the access concentrator.")],
    user: Annotated[str | None, typer.Option("--user", "-u", help=(
        "Username for CHAP/PAP (required unless --auth none)."))] = None,
    password: Annotated[str | None, typer.Option("--password", "-p", help="Password (CHAP secret).")] = None,
    auth: Annotated[ClientAuth, typer.Option(help=(
        "Authentication we agree to do when the AC asks ('none': refuse to authenticate)."))] = ClientAuth.any,
    insist_auth: Annotated[bool, typer.Option(help=(
        "End the session if the AC asks for no authentication (an AC that lost its AAA, say)."))] = False,
    service: Annotated[str, typer.Option(help="Service-Name to request (empty: any).")] = "",
    ac_name: Annotated[str | None, typer.Option(help="Only accept a PADO from this AC-Name.")] = None,
    mru: Annotated[int, typer.Option(min=128, max=MAX_PAYLOAD, help=(
        "MRU to request (1492 is the PPPoE maximum without RFC 4638; more needs --max-payload)."))] = PPP.mru,
    max_payload: Annotated[int | None, typer.Option(min=1493, max=MAX_PAYLOAD, help=(
        "Ask for RFC 4638 PPP-Max-Payload (e.g. 1500; needs an interface MTU of payload+8)."))] = None,
    ping: Annotated[int, typer.Option(min=0, max=10000, help=(
        "Ping the gateway this many times through the session. A probe counts as answered if any of up to "
        "3 transmissions, 1 s apart, gets a reply (a peer may drop the first echo while it brings its "
        "interface up)."))] = CLIENT_RUN.ping,
    duration: Annotated[float | None, typer.Option(min=0, max=365 * DAY, help=(
        "Seconds to hold the session up (default: until Ctrl-C)."))] = CLIENT_RUN.duration,
    echo_interval: Annotated[float, typer.Option(min=0, max=DAY, help=(
        "Seconds between LCP Echo-Requests (0: off)."))] = PPP.echo_interval,
    echo_failure: Annotated[int, typer.Option(min=1, max=255, help=(
        "Unanswered echoes before the peer is declared dead."))] = PPP.echo_failure,
    ipv6: Annotated[bool, typer.Option(help=(
        "Also negotiate IPv6CP; then solicit a Router Advertisement and take an address by SLAAC."))] = PPP.ipv6,
    dhcpv6: Annotated[str, typer.Option(help=(
        "With --ipv6: ask DHCPv6 for these, comma-separated: 'na' (an address), 'pd' (a delegated prefix), "
        "'na,pd'; started once a Router Advertisement sets M or O, as CPEs do. Empty: no DHCPv6."))] = "",
    rapid_commit: Annotated[bool, typer.Option(help=(
        "Offer DHCPv6 Rapid Commit (Solicit -> Reply); the server may still answer with Advertise."))] = True,
    ipv6_by_kernel: Annotated[bool, typer.Option(help=(
        "With --ipv6 and --tun: negotiate IPv6CP only and pass every IPv6 packet through the TUN device, "
        "which gets the IPv6CP link-local address; the kernel solicits Router Advertisements and does "
        "SLAAC itself, and a DHCPv6 client of your choice may run on the device."))] = False,
    timeout: Annotated[float, typer.Option(min=0.001, max=DAY, help=(
        "Seconds allowed for the session to come up."))] = CLIENT_RUN.setup_timeout,
    sessions: Annotated[int, typer.Option(min=1, max=MAX_SESSIONS, help=(
        f"Number of subscribers to emulate, each with its own MAC (at most {MAX_SESSIONS:,}: about 11 KiB "
        f"each while up)."))] = CLIENT_RUN.sessions,
    mac_base: Annotated[str | None, typer.Option(help=(
        f"First subscriber MAC, stepped by one per session (default: the interface's MAC for one session, "
        f"{DEFAULT_MAC_BASE} for several)."))] = None,
    rate: Annotated[float, typer.Option(min=0, max=MAX_RATE, help=(
        "Sessions started per second (0: as fast as possible)."))] = CLIENT_RUN.rate,
    max_outstanding: Annotated[int, typer.Option(min=0, help=(
        "Sessions in setup at once (0: no limit)."))] = CLIENT_RUN.max_outstanding,
    stop_rate: Annotated[float, typer.Option(min=0, max=MAX_RATE, help=(
        "Sessions terminated per second at the end (0: all at once)."))] = CLIENT_RUN.stop_rate,
    tun: Annotated[str | None, typer.Option(help=(
        "Create this TUN device with the session's address, so ordinary tools run over the session "
        "(one session only)."))] = None,
    default_route: Annotated[bool, typer.Option(help=(
        "With --tun: route everything through the session."))] = CLIENT_RUN.default_route,
    session_time: Annotated[float | None, typer.Option(min=1, max=365 * DAY, help=(
        "Soak runs: end each session this many seconds after it came up (give or take --session-jitter); "
        "a line of counters every --churn-interval; the JSON report's 'churn' covers the whole run."))] = None,
    session_jitter: Annotated[float, typer.Option(min=0, max=0.5, help=(
        "With --session-time: vary each session's time by up to this fraction."))] = CHURN.jitter,
    reconnect: Annotated[bool, typer.Option(help=(
        "With --session-time: start a subscriber again after its session ended (its time, a loss or a "
        "failure), until --duration or Ctrl-C."))] = CHURN.reconnect,
    reconnect_delay: Annotated[float, typer.Option(min=0, max=DAY, help=(
        "Seconds from a session's end to its subscriber's next PADI."))] = CHURN.reconnect_delay,
    churn_interval: Annotated[float, typer.Option(min=1, max=DAY, help=(
        "Seconds per line of churn counters."))] = CHURN.interval,
    outer_vlan: Annotated[str | None, typer.Option(help=(
        f"Put the sessions on VLANs, tagged in user space on the raw interface (no sub-interfaces): the "
        f"outer (S-)VLAN, or the only one, {OUTER_VLAN_HELP}."))] = None,
    inner_vlan: Annotated[str | None, typer.Option(help=(
        f"With --outer-vlan: an inner (C-)VLAN too (QinQ), {OUTER_VLAN_HELP}."))] = None,
    vlan_mode: Annotated[VlanMode, typer.Option(help=(
        "1:1: each session on its own tag stack, the inner id stepping fastest through the ranges; N:1: every "
        "session on one stack (single ids), told apart by MAC."))] = VlanMode.one_to_one,
    vlan_tpid: Annotated[Tpid | None, typer.Option(help=(
        "TPID of the outer tag (default: 0x88a8, 802.1ad, above an inner VLAN; 0x8100, 802.1Q, "
        "alone). Inner tags are 0x8100."))] = None,
    vlan_priority: Annotated[int, typer.Option(min=0, max=7, help=(
        "802.1p priority (PCP) of every tag."))] = 0,
    circuit_id: Annotated[str | None, typer.Option(help=(
        "Agent-Circuit-Id sent in PADI/PADR (TR-101 Vendor-Specific tag); may contain {n}."))] = None,
    remote_id: Annotated[str | None, typer.Option(help="Agent-Remote-Id sent likewise; may contain {n}.")] = None,
    report: Report = None,
    pcap: Pcap = None,
    conformance: Conformance = False,
    verbose: Verbose = False,
):
    """Bring up subscriber sessions, print each phase, optionally ping the gateway, then terminate.

    With --sessions N, usernames and passwords may contain {n} (the session number, from 1):
    --user 'user{n}@lab'. Exit codes: 0 every session came up (every ping was answered) and was
    closed by us; 1 a session failed or was lost (the reason is printed); 2 bad configuration;
    3 the session came up but a ping probe went unanswered after its 3 tries.
    """
    from pppemu.app import run_client
    setup_logging(verbose)
    if auth != ClientAuth.none and (user is None or password is None):
        fail(f"{'--user' if user is None else '--password'} is required (unless --auth none)")
    if auth == ClientAuth.none and insist_auth:
        fail("--insist-auth and --auth none contradict each other")
    if mru > (max_payload or C.PPPOE_MRU):
        fail(f"--mru {mru} is more than PPPoE carries: at most 1492, or --max-payload with RFC 4638")
    if session_time is None and reconnect:
        fail("--reconnect works with --session-time")
    if session_time is not None and (tun or ping):
        fail("--session-time starts sessions over and over: not with --tun or --ping")
    if sessions > 1 and (tun or ping):
        fail("--tun and --ping work with a single session")
    if default_route and tun is None:
        fail("--default-route routes through the --tun device: give --tun too")
    if mac_base is not None:
        check_mac(mac_base, "--mac-base", sessions)
    last = str(sessions)  # {n} at its longest
    for option, value, limit in (("--user", user, 255), ("--password", password, 255),
                                 ("--service", service, 255), ("--circuit-id", circuit_id, 63),
                                 ("--remote-id", remote_id, 63)):
        check_text(option, value and value.replace("{n}", last), limit)
    check_text("--ac-name", ac_name)
    check_tun(tun)
    check_outputs(report, pcap)
    wanted = tuple(part for part in dhcpv6.replace(" ", "").split(",") if part)
    if any(part not in ("na", "pd") for part in wanted) or len(set(wanted)) != len(wanted):
        fail(f"--dhcpv6 {dhcpv6!r}: give 'na', 'pd' or 'na,pd'")
    if wanted and not ipv6:
        fail("--dhcpv6 runs above IPv6CP: give --ipv6 too")
    if ipv6_by_kernel and not (ipv6 and tun):
        fail("--ipv6-by-kernel leaves IPv6 above IPv6CP to the kernel on the TUN device: give --ipv6 and --tun")
    if ipv6_by_kernel and wanted:
        fail("--ipv6-by-kernel leaves DHCPv6 to a client on the TUN device: drop --dhcpv6")
    ppp = PppConfig(mru=mru, username=user or "", password=password or "", accept_auth=accepted_auth(auth.value),
                    insist_auth=insist_auth, ipv6=ipv6,
                    echo_interval=echo_interval, echo_failure=echo_failure)
    config = ClientConfig(ppp=ppp, service_name=service, ac_name=ac_name, max_payload=max_payload, dhcpv6=wanted,
                          rapid_commit=rapid_commit, ipv6_by_kernel=ipv6_by_kernel)
    if inner_vlan is not None and outer_vlan is None:
        fail("--inner-vlan sits under an outer VLAN: give --outer-vlan too")
    vlans = None
    if outer_vlan is not None:
        try:
            vlans = VlanPlan(parse_vid_range(outer_vlan, "--outer-vlan"),
                             parse_vid_range(inner_vlan, "--inner-vlan") if inner_vlan is not None else None,
                             vlan_mode, int(vlan_tpid.value, 16) if vlan_tpid else None, vlan_priority)
            vlans.check_sessions(sessions)
        except ConfigError as exc:
            fail(str(exc))
    plan = run_client.ClientRun(
        iface=iface, sessions=sessions, mac_base=mac_base, rate=rate, max_outstanding=max_outstanding,
        stop_rate=stop_rate, setup_timeout=timeout, duration=duration, ping=ping, tun=tun,
        default_route=default_route, circuit_id=circuit_id, remote_id=remote_id, vlans=vlans,
        churn=ChurnPlan(session_time, session_jitter, reconnect, reconnect_delay, churn_interval)
        if session_time is not None else None,
        outputs=Outputs(report=report, pcap=pcap, verbose=verbose, conformance=conformance))
    try:
        code = run_client.run(plan, config)
    except ConfigError as exc:
        fail(str(exc))
    raise typer.Exit(code)


@app.command()
def ac(
    iface: Annotated[str, typer.Option("--iface", "-i", help="Ethernet interface facing the clients.")],
    local_ip: Annotated[str, typer.Option(help="The AC's own address: the clients' gateway.")],
    pool: Annotated[list[str], typer.Option(help=(
        "Client addresses: a range 10.0.0.100-10.0.0.199 or a CIDR 10.100.0.0/16, given once. Addresses no "
        "host holds (loopback, multicast, reserved) are skipped."))],
    dns: Annotated[list[str], typer.Option(help=(
        "DNS server handed out by IPCP (repeat for a second one)."))] = [],  # noqa: B006 (typer copies it)
    ac_name: Annotated[str, typer.Option(help="AC-Name in PADO/PADS, and the CHAP name.")] = AC.ac_name,
    service: Annotated[list[str], typer.Option(help=(
        "Service-Name offered (repeat; default: accept any)."))] = [],  # noqa: B006
    auth: Annotated[AcAuth, typer.Option(help=(
        "Authentication demanded of clients ('none': the MAC or the line id identifies the subscriber; "
        "no secrets needed; the pool and limits still apply)."))] = AcAuth.chap,
    secrets: Annotated[str | None, typer.Option(help=(
        "pppd-style secrets file: 'client server secret' lines. A client written line:CIRCUIT-ID "
        "(remote:REMOTE-ID) gives the secret of a subscriber arriving with that Agent-Circuit-Id "
        "(Agent-Remote-Id), whatever name it gives; others are looked up by name."))] = None,
    user: Annotated[str | None, typer.Option(help="A single accepted username (instead of --secrets).")] = None,
    password: Annotated[str | None, typer.Option(help="Its password.")] = None,
    echo_interval: Annotated[float, typer.Option(min=0, max=DAY, help=(
        "Seconds between LCP Echo-Requests per session (0: off)."))] = AC.ppp.echo_interval,
    echo_failure: Annotated[int, typer.Option(min=1, max=255, help=(
        "Unanswered echoes before a session is dropped."))] = AC.ppp.echo_failure,
    max_sessions: Annotated[int, typer.Option(min=1, max=65534, help=(
        "Refuse sessions beyond this many."))] = AC.max_sessions,
    max_sessions_per_mac: Annotated[int, typer.Option(min=0, help=(
        "Refuse a MAC more sessions than this (0: no limit). A CPE needs one, two while an old session times "
        "out after a reconnect; 4 stops one host from taking the pool. Behind a PPPoE relay every host shares "
        "the relay's MAC: raise it or turn it off there."))] = AC.max_sessions_per_mac,
    max_setup: Annotated[int, typer.Option(min=0, help=(
        "Sessions in setup (PADR to IPCP up) at once; beyond it PADIs and PADRs go unanswered and the hosts "
        "retransmit (0: no limit). Enough for a load test at 1000 setups/s, few enough that half-open sessions "
        "cannot pile up."))] = AC.max_setup,
    setup_timeout: Annotated[float, typer.Option(min=1, max=3600, help=(
        "Seconds from PADR to IPCP up; a session not up by then is ended with a PADT and frees everything it "
        "held, whatever the peer keeps acknowledging. 30 s covers LCP's 10 Configure-Requests 3 s "
        "apart."))] = AC.setup_timeout,
    discovery_rate: Annotated[float, typer.Option(min=0, max=MAX_RATE, help=(
        "PADIs answered per second, and PADRs, overall (token buckets; 0: no limit). A host that retransmits "
        "its PADI is served before first-time MACs, so a flood from random MACs cannot lock real hosts "
        "out."))] = AC.discovery_rate,
    mac_discovery_rate: Annotated[float, typer.Option(min=0, max=MAX_RATE, help=(
        "PADIs + PADRs per second from one MAC, in bursts of 10 (0: no limit). A host retransmits at most "
        "once a second."))] = AC.mac_discovery_rate,
    mru: Annotated[int, typer.Option(min=128, max=C.PPPOE_MRU, help=(
        "MRU to request (at most 1492, RFC 2516 section 7)."))] = AC.ppp.mru,
    ipv6: Annotated[bool, typer.Option(help=(
        "Also negotiate IPv6CP; then send Router Advertisements over each session."))] = AC.ppp.ipv6,
    ra_prefix_pool: Annotated[str | None, typer.Option(help=(
        "With --ipv6: a /64 per session from this block (e.g. 2001:db8:100::/40), advertised in its Router "
        "Advertisements for SLAAC and given back when the session ends. Without it the advertisements carry "
        "no prefix."))] = AC.ra_prefix_pool,
    dns6: Annotated[list[str], typer.Option(help=(
        "IPv6 DNS server advertised in Router Advertisements (RDNSS, RFC 8106); repeat for more."))] = [],  # noqa: B006
    pd_pool: Annotated[str | None, typer.Option(help=(
        "With --ipv6: delegate a prefix per session from this block by DHCPv6 IA_PD (e.g. 2001:db8:200::/40), "
        "given back at Release, expiry or the end of the session."))] = AC.pd_pool,
    pd_length: Annotated[int, typer.Option(min=48, max=64, help="Length of each delegated prefix.")] = AC.pd_length,
    ra_interval: Annotated[float, typer.Option(min=4, max=1800, help=(
        "Seconds between unsolicited Router Advertisements per session (the first three 16 s apart, "
        "Router Solicitations answered at once)."))] = AC.ra_interval,
    outer_vlan: Annotated[str | None, typer.Option(help=(
        f"Serve only subscribers whose outer VLAN is {OUTER_VLAN_HELP} (default: any tag stack, untagged "
        f"too). Each session is answered on the stack it came on."))] = None,
    inner_vlan: Annotated[str | None, typer.Option(help=(
        f"Serve only subscribers whose inner VLAN is {OUTER_VLAN_HELP}."))] = None,
    line_map: Annotated[str | None, typer.Option(help=(
        "A file of 'circuit-id address' lines: a subscriber whose discovery carries that Agent-Circuit-Id "
        "(TR-101) gets that IPv4 address, outside --pool, one session per line at a time."))] = None,
    tun: Annotated[str | None, typer.Option(help=(
        "Create this TUN device holding --local-ip with routes to the pool: the AC becomes a real gateway for "
        "its subscribers."))] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help=(
        "No line per session event (for thousands); a status line every 10 s instead."))] = False,
    keep_ended: Annotated[int, typer.Option(min=0, max=10_000_000, help=(
        "Ended sessions kept for the JSON report, the newest (about 1.8 KiB each); older ones are only "
        "counted. 0 for soak runs: memory comes back when the sessions go."))] = AC.keep_ended,
    report: Report = None,
    pcap: Pcap = None,
    conformance: Conformance = False,
    verbose: Verbose = False,
):
    """Serve PPPoE sessions until SIGINT/SIGTERM, then send Terminate-Request and PADT to each and exit 0.

    Answers ICMP echo requests to --local-ip from user space, so clients can ping their gateway.
    """
    from pppemu.app import run_ac
    setup_logging(verbose)
    if len(dns) > 2:
        fail("IPCP carries at most two DNS servers")
    if len(pool) > 1:
        fail(f"--pool given {len(pool)} times; give one range or CIDR")
    if secrets is not None and (user is not None or password is not None):
        fail("--secrets or --user/--password: give one, not both")
    check_text("--ac-name", ac_name, 64)
    for name in service:
        check_text("--service", name, 64)
    if len(service) > 8:
        fail("--service: at most 8 Service-Names (each goes into every PADO)")
    check_text("--user", user, 255)
    check_text("--password", password, 255)
    check_tun(tun)
    check_outputs(report, pcap)
    if (ra_prefix_pool or dns6 or pd_pool) and not ipv6:
        fail("--ra-prefix-pool, --pd-pool and --dns6 work above IPv6CP: give --ipv6 too")
    if ra_prefix_pool is not None:
        check_prefix_pool("--ra-prefix-pool", ra_prefix_pool, 64)
    if pd_pool is not None:
        check_prefix_pool("--pd-pool", pd_pool, pd_length)
    if ra_prefix_pool and pd_pool and ipaddress.IPv6Network(ra_prefix_pool).overlaps(ipaddress.IPv6Network(pd_pool)):
        fail(f"--ra-prefix-pool {ra_prefix_pool} and --pd-pool {pd_pool} overlap: a delegated prefix would hold "
             "other sessions' /64s")
    ppp = replace(AC.ppp, mru=mru, require_auth=None if auth == AcAuth.none else auth.value, auth_name=ac_name,
                  local_ip=check_ip(local_ip, "--local-ip"), dns=tuple(check_ip(d, "--dns") for d in dns),
                  ipv6=ipv6, echo_interval=echo_interval, echo_failure=echo_failure)
    try:
        lines = tuple(load_line_map(line_map).items()) if line_map else ()
    except ConfigError as exc:
        fail(f"--line-map: {exc}")
    try:
        served = VlanFilter(parse_vid_range(outer_vlan, "--outer-vlan") if outer_vlan is not None else None,
                            parse_vid_range(inner_vlan, "--inner-vlan") if inner_vlan is not None else None)
    except ConfigError as exc:
        fail(str(exc))
    config = AcConfig(ac_name=ac_name, services=tuple(service), pool=pool[0], ppp=ppp, max_sessions=max_sessions,
                      max_sessions_per_mac=max_sessions_per_mac, max_setup=max_setup, setup_timeout=setup_timeout,
                      discovery_rate=discovery_rate, mac_discovery_rate=mac_discovery_rate,
                      ra_prefix_pool=ra_prefix_pool, dns6=tuple(check_ip6(d, "--dns6") for d in dns6),
                      ra_interval=ra_interval, pd_pool=pd_pool, pd_length=pd_length,
                      line_addresses=lines, vlans=served, keep_ended=keep_ended)
    plan = run_ac.AcRun(iface=iface, secrets_file=secrets, user=user, password=password, tun=tun,
                        outputs=Outputs(report=report, pcap=pcap, verbose=verbose, conformance=conformance,
                                        quiet=quiet))
    try:
        code = run_ac.run(plan, config)
    except ConfigError as exc:
        fail(str(exc))
    raise typer.Exit(code)


@app.command()
def check(
    capture: str = typer.Argument(..., help="A pcap or pcapng file of PPPoE traffic (Ethernet, VLAN tags allowed)."),
    json_out: str | None = typer.Option(None, "--json", help="Also write the violations to this JSON file."),
):
    """Judge a capture against the RFCs and print every violation, per session and per side.

    Sides are told apart by discovery: the MAC that sends PADI/PADR is the client, the one that
    sends PADO/PADS the access concentrator. Each violation names the RFC section, MUST or SHOULD,
    the frame numbers (as Wireshark counts them) and what was wrong. Exit codes: 0 no violation,
    1 violations found, 2 the file cannot be read.
    """
    from pppemu.app import verdict
    from pppemu.conformance import CaptureError, check_pcap
    check_writable("--json", json_out)
    try:
        violations = check_pcap(capture)
    except (CaptureError, OSError) as exc:
        fail(f"cannot read {capture}: {exc}")
    from pppemu.app.console import printable
    for line in verdict.summary(violations).replace("conformance: ", f"{capture}: ", 1).splitlines():
        print(printable(line))
    if json_out:
        from pppemu.app import report
        try:
            report.write(json_out, verdict.report_section(violations))
        except OSError as exc:
            fail(f"--json {json_out}: cannot write there ({exc.strerror or exc})")
    raise typer.Exit(1 if violations else 0)


def main() -> None:
    app(prog_name="pppemu")
