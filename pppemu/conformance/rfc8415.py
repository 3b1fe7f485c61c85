"""DHCPv6 (RFC 8415) between the client and the AC: ports, identifiers, transaction ids and IAs.

A server's answer is judged against the latest client message with its transaction id, which
every capture point shows before the answer; in a capture that began after the session did, the
question may be missing, so only the answer's own contents are judged there.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pppemu.conformance.catalog import MUST, SHOULD, rule
from pppemu.conformance.packet import Ppp
from pppemu.conformance.tracking import put_bounded
from pppemu.wire import DecodeError
from pppemu.wire.dhcpv6 import (
    ADVERTISE,
    CLIENT_PORT,
    CLIENTID,
    CONFIRM,
    DECLINE,
    IA_NA,
    IA_PD,
    INFORMATION_REQUEST,
    REBIND,
    RECONFIGURE,
    RELEASE,
    RENEW,
    REPLY,
    REQUEST,
    SERVER_PORT,
    SERVERID,
    SOLICIT,
    Message,
    decode_message,
)
from pppemu.wire.ipv6 import Ipv6Packet

if TYPE_CHECKING:
    from pppemu.conformance.checker import Checker

FORMAT = rule("rfc8415.format", "RFC 8415 §8, §21.1", MUST,
              "a DHCPv6 message is a 4-octet header followed by whole options")
PORTS = rule("rfc8415.udp.ports", "RFC 8415 §7.2", MUST,
             "a client message goes to UDP port 547, a server message to the client's port 546")
SOURCE_PORT = rule("rfc8415.udp.source_port", "RFC 8415 §7.2", SHOULD,
                   "a client sends from port 546 and a server from port 547, the ports each listens on "
                   "(the pppemu reading)")
CLIENT_ID = rule("rfc8415.client.client_id", "RFC 8415 §16.2, §16.4-§16.9", MUST,
                 "every client message but Information-Request carries a Client Identifier")
NO_SERVER_ID = rule("rfc8415.solicit.server_id", "RFC 8415 §16.2, §16.5, §16.7", MUST,
                    "a Solicit, Confirm or Rebind carries no Server Identifier")
SERVER_ID_NEEDED = rule("rfc8415.request.server_id", "RFC 8415 §16.4, §16.6, §16.8, §16.9", MUST,
                        "a Request, Renew, Decline or Release carries a Server Identifier")
XID = rule("rfc8415.reply.xid", "RFC 8415 §16.3, §16.10", MUST,
           "an Advertise answers a Solicit and a Reply a client message of the session, by transaction id")
REPLY_SERVER_ID = rule("rfc8415.reply.server_id", "RFC 8415 §16.3, §16.10", MUST,
                       "an Advertise or Reply carries a Server Identifier")
REPLY_CLIENT_ID = rule("rfc8415.reply.client_id", "RFC 8415 §16.3, §16.10", MUST,
                       "an Advertise or Reply echoes the Client Identifier of the client message it answers")
IAID = rule("rfc8415.reply.iaid", "RFC 8415 §18.3", MUST,
            "the IA_NAs and IA_PDs of an Advertise or Reply are IAs the client sent in the message it answers")

CLIENT_MESSAGES = {SOLICIT, REQUEST, CONFIRM, RENEW, REBIND, RELEASE, DECLINE, INFORMATION_REQUEST}
SERVER_MESSAGES = {ADVERTISE, REPLY, RECONFIGURE}
_NO_SERVER_ID = {SOLICIT, CONFIRM, REBIND}
_SERVER_ID = {REQUEST, RENEW, DECLINE, RELEASE}
_IAID = struct.Struct("!I")


@dataclass(slots=True)
class Asked:
    """A client message, as far as the server's answer is judged against it."""
    msg_type: int
    client_id: bytes | None
    ias: dict[int, set[int]]  # IA_NA or IA_PD -> the IAIDs it sent
    sport: int


def dhcpv6(chk: Checker, p: Ppp, ip: Ipv6Packet, sport: int, dport: int, payload: bytes) -> None:
    try:
        m = decode_message(payload)
    except DecodeError as e:
        chk.report_ppp(FORMAT, p, f"DHCPv6 message: {e}")
        return
    if m.msg_type in CLIENT_MESSAGES:
        _client(chk, p, m, sport, dport)
    elif m.msg_type in SERVER_MESSAGES:
        _server(chk, p, m, sport, dport)


def _client(chk: Checker, p: Ppp, m: Message, sport: int, dport: int) -> None:
    if dport != SERVER_PORT:
        chk.report_ppp(PORTS, p, f"{m.name} to UDP port {dport}, not {SERVER_PORT}")
    if sport != CLIENT_PORT:
        chk.report_ppp(SOURCE_PORT, p, f"{m.name} from UDP port {sport}, not {CLIENT_PORT}")
    client_id = m.option(CLIENTID)
    if client_id is None and m.msg_type != INFORMATION_REQUEST:
        chk.report_ppp(CLIENT_ID, p, f"{m.name} without a Client Identifier")
    has_server = m.option(SERVERID) is not None
    if has_server and m.msg_type in _NO_SERVER_ID:
        chk.report_ppp(NO_SERVER_ID, p, f"{m.name} with a Server Identifier")
    elif not has_server and m.msg_type in _SERVER_ID:
        chk.report_ppp(SERVER_ID_NEEDED, p, f"{m.name} without a Server Identifier")
    put_bounded(p.session.dhcpv6, m.transaction_id, Asked(m.msg_type, client_id, _iaids(m), sport))


def _server(chk: Checker, p: Ppp, m: Message, sport: int, dport: int) -> None:
    asked: Asked | None = p.session.dhcpv6.get(m.transaction_id)
    if dport != CLIENT_PORT and (asked is None or dport != asked.sport):
        chk.report_ppp(PORTS, p, f"{m.name} to UDP port {dport}, not {CLIENT_PORT}")
    if sport != SERVER_PORT:
        chk.report_ppp(SOURCE_PORT, p, f"{m.name} from UDP port {sport}, not {SERVER_PORT}")
    if m.msg_type == RECONFIGURE:
        return
    if m.option(SERVERID) is None:
        chk.report_ppp(REPLY_SERVER_ID, p, f"{m.name} without a Server Identifier")
    client_id = m.option(CLIENTID)
    if asked is None:
        if p.session.from_start:
            chk.report_ppp(XID, p, f"{m.name} with transaction id 0x{m.transaction_id:06x}, which no client "
                                   "message of the session had")
        elif client_id is None and m.msg_type == ADVERTISE:
            chk.report_ppp(REPLY_CLIENT_ID, p, "Advertise without a Client Identifier")
        return
    if m.msg_type == ADVERTISE and asked.msg_type != SOLICIT:
        chk.report_ppp(XID, p, f"Advertise with the transaction id 0x{m.transaction_id:06x} of a "
                               f"{_name(asked.msg_type)}, not of a Solicit")
    if asked.client_id is not None or m.msg_type == ADVERTISE:
        if client_id is None:
            chk.report_ppp(REPLY_CLIENT_ID, p, f"{m.name} without the client's Client Identifier")
        elif client_id != asked.client_id:
            chk.report_ppp(REPLY_CLIENT_ID, p, f"{m.name} with Client Identifier {client_id.hex()}, not the "
                                               f"{(asked.client_id or b'').hex()} the client sent")
    for kind, iaids in _iaids(m).items():
        foreign = iaids - asked.ias.get(kind, set())
        if foreign:
            listed = ", ".join(f"0x{i:08x}" for i in sorted(foreign))
            chk.report_ppp(IAID, p, f"{m.name} with {_IA_NAMES[kind]} IAID {listed}, which the client's "
                                    f"{_name(asked.msg_type)} did not hold")


_IA_NAMES = {IA_NA: "IA_NA", IA_PD: "IA_PD"}


def _iaids(m: Message) -> dict[int, set[int]]:
    return {kind: {_IAID.unpack_from(v)[0] for v in m.all(kind) if len(v) >= 4} for kind in _IA_NAMES}


def _name(msg_type: int) -> str:
    return Message(msg_type, 0).name
