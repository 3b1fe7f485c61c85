"""The `pppemu` command: `pppemu client ...` and `pppemu ac ...`."""
from __future__ import annotations

import ipaddress
import sys
from enum import Enum
from typing import Optional

import typer

from .console import setup_logging
from .io.link import LinkError
from .pool import PoolError
from .secrets import SecretsError

app = typer.Typer(add_completion=False, no_args_is_help=True, help=(
    "pppemu: a both-ends PPPoE emulator in user space. `client` brings up a subscriber session "
    "(discovery, LCP, CHAP/PAP, IPCP) against any access concentrator; `ac` serves sessions to any "
    "PPPoE client. Both need root (raw sockets)."))


class ClientAuth(str, Enum):
    chap = "chap"
    pap = "pap"
    any = "any"


class AcAuth(str, Enum):
    chap = "chap"
    pap = "pap"


def fail(message: str) -> None:
    print(f"pppemu: error: {message}", file=sys.stderr)
    raise typer.Exit(2)


def check_ip(value: str, what: str) -> str:
    try:
        return str(ipaddress.IPv4Address(value))
    except ValueError:
        fail(f"{what} is not an IPv4 address: {value!r}")


@app.command()
def client(
    iface: str = typer.Option(..., "--iface", "-i", help="Ethernet interface facing the access concentrator."),
    user: str = typer.Option(..., "--user", "-u", help="Username for CHAP/PAP."),
    password: str = typer.Option(..., "--password", "-p", help="Password (CHAP secret)."),
    auth: ClientAuth = typer.Option(ClientAuth.any, help="Authentication we agree to do when the AC asks."),
    service: str = typer.Option("", help="Service-Name to request (empty: any)."),
    ac_name: Optional[str] = typer.Option(None, help="Only accept a PADO from this AC-Name."),
    mru: int = typer.Option(1492, help="MRU to request (1492 is the PPPoE maximum without RFC 4638)."),
    max_payload: Optional[int] = typer.Option(None, help="Ask for RFC 4638 PPP-Max-Payload (e.g. 1500; "
                                              "needs an interface MTU of payload+8)."),
    ping: int = typer.Option(0, help="Ping the gateway this many times through the session."),
    duration: Optional[float] = typer.Option(None, help="Seconds to hold the session up (default: until Ctrl-C)."),
    echo_interval: float = typer.Option(30.0, help="Seconds between LCP Echo-Requests (0: off)."),
    echo_failure: int = typer.Option(3, help="Unanswered echoes before the peer is declared dead."),
    ipv6: bool = typer.Option(False, help="Also negotiate IPv6CP (interface identifiers)."),
    timeout: float = typer.Option(60.0, help="Seconds allowed for the session to come up."),
    report: Optional[str] = typer.Option(None, help="Write a JSON report here at exit."),
    pcap: Optional[str] = typer.Option(None, help="Write every frame sent and received to this pcap file."),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Log every frame, decoded."),
):
    """Bring up one subscriber session, print each phase, optionally ping the gateway, then terminate.

    Exit codes: 0 the session came up (and every ping was answered) and was closed by us;
    1 the session failed or was lost (the reason is printed); 2 bad configuration;
    3 the session came up but pings went unanswered.
    """
    from . import cmd_client
    setup_logging(verbose)
    if not 128 <= mru <= 65535:
        fail(f"--mru {mru} is out of range (128..65535)")
    opts = cmd_client.ClientOptions(
        iface=iface, user=user, password=password, auth=auth.value, service=service, ac_name=ac_name,
        mru=mru, max_payload=max_payload, ping=ping, duration=duration, report=report, pcap=pcap,
        verbose=verbose, echo_interval=echo_interval, echo_failure=echo_failure, ipv6=ipv6,
        setup_timeout=timeout)
    try:
        code = cmd_client.run(opts)
    except LinkError as exc:
        fail(str(exc))
    raise typer.Exit(code)


@app.command()
def ac(
    iface: str = typer.Option(..., "--iface", "-i", help="Ethernet interface facing the clients."),
    local_ip: str = typer.Option(..., help="The AC's own address: the clients' gateway."),
    pool: str = typer.Option(..., help="Client addresses: a range 10.0.0.100-10.0.0.199 or a CIDR 10.100.0.0/16."),
    dns: list[str] = typer.Option([], help="DNS server handed out by IPCP (repeat for a second one)."),
    ac_name: str = typer.Option("pppemu", help="AC-Name in PADO/PADS, and the CHAP name."),
    service: list[str] = typer.Option([], help="Service-Name offered (repeat; default: accept any)."),
    auth: AcAuth = typer.Option(AcAuth.chap, help="Authentication demanded of clients."),
    secrets: Optional[str] = typer.Option(None, help="pppd-style secrets file: 'client server secret' lines."),
    user: Optional[str] = typer.Option(None, help="A single accepted username (instead of --secrets)."),
    password: Optional[str] = typer.Option(None, help="Its password."),
    echo_interval: float = typer.Option(30.0, help="Seconds between LCP Echo-Requests per session (0: off)."),
    echo_failure: int = typer.Option(3, help="Unanswered echoes before a session is dropped."),
    max_sessions: int = typer.Option(65534, help="Refuse sessions beyond this many."),
    max_sessions_per_mac: int = typer.Option(0, help="Refuse a MAC more sessions than this (0: no limit)."),
    mru: int = typer.Option(1492, help="MRU to request."),
    ipv6: bool = typer.Option(False, help="Also negotiate IPv6CP."),
    report: Optional[str] = typer.Option(None, help="Write a JSON report here at exit."),
    pcap: Optional[str] = typer.Option(None, help="Write every frame sent and received to this pcap file."),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Log every frame, decoded."),
):
    """Serve PPPoE sessions until SIGINT/SIGTERM, then send Terminate-Request and PADT to each and exit 0.

    Answers ICMP echo requests to --local-ip from user space, so clients can ping their gateway.
    """
    from . import cmd_ac
    setup_logging(verbose)
    if len(dns) > 2:
        fail("IPCP carries at most two DNS servers")
    opts = cmd_ac.AcOptions(
        iface=iface, local_ip=check_ip(local_ip, "--local-ip"), pool=pool,
        dns=tuple(check_ip(d, "--dns") for d in dns), ac_name=ac_name, services=tuple(service),
        auth=auth.value, secrets_file=secrets, user=user, password=password, echo_interval=echo_interval,
        echo_failure=echo_failure, max_sessions=max_sessions, max_sessions_per_mac=max_sessions_per_mac,
        mru=mru, ipv6=ipv6, report=report, pcap=pcap, verbose=verbose)
    try:
        code = cmd_ac.run(opts)
    except (LinkError, PoolError, SecretsError, cmd_ac.ConfigError) as exc:
        fail(str(exc))
    raise typer.Exit(code)


def main() -> None:
    app(prog_name="pppemu")
