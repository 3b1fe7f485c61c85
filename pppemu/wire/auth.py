"""CHAP (RFC 1994) and PAP (RFC 1334) packets."""
from __future__ import annotations

import struct
from dataclasses import dataclass

from pppemu.wire.const import CHAP_CHALLENGE, CHAP_RESPONSE, PAP_REQUEST
from pppemu.wire.errors import DecodeError

_HDR = struct.Struct("!BBH")


@dataclass(slots=True)
class Chap:
    code: int
    ident: int
    value: bytes = b""    # Challenge and Response only
    name: bytes = b""     # Challenge and Response only
    message: bytes = b""  # Success and Failure only


@dataclass(slots=True)
class Pap:
    code: int
    ident: int
    peer_id: bytes = b""   # Authenticate-Request only
    password: bytes = b""  # Authenticate-Request only
    message: bytes = b""   # Ack and Nak only


def _split(data: bytes, what: str) -> tuple[int, int, bytes]:
    if len(data) < 4:
        raise DecodeError(f"{what} packet shorter than its header")
    code, ident, length = _HDR.unpack_from(data)
    if length < 4 or length > len(data):
        raise DecodeError(f"{what} length {length} does not fit the {len(data)} bytes present")
    return code, ident, bytes(data[4:length])


def encode_chap(pkt: Chap) -> bytes:
    if pkt.code in (CHAP_CHALLENGE, CHAP_RESPONSE):
        body = bytes((len(pkt.value),)) + pkt.value + pkt.name
    else:
        body = pkt.message
    return _HDR.pack(pkt.code, pkt.ident, 4 + len(body)) + body


def decode_chap(data: bytes) -> Chap:
    code, ident, body = _split(data, "CHAP")
    if code in (CHAP_CHALLENGE, CHAP_RESPONSE):
        if not body or 1 + body[0] > len(body):
            raise DecodeError("CHAP value size overruns the packet")
        size = body[0]
        return Chap(code, ident, value=body[1:1 + size], name=body[1 + size:])
    return Chap(code, ident, message=body)


def encode_pap(pkt: Pap) -> bytes:
    if pkt.code == PAP_REQUEST:
        body = bytes((len(pkt.peer_id),)) + pkt.peer_id + bytes((len(pkt.password),)) + pkt.password
    else:
        body = bytes((len(pkt.message),)) + pkt.message
    return _HDR.pack(pkt.code, pkt.ident, 4 + len(body)) + body


def decode_pap(data: bytes) -> Pap:
    code, ident, body = _split(data, "PAP")
    if code == PAP_REQUEST:
        if not body or 1 + body[0] >= len(body):
            raise DecodeError("PAP Peer-ID overruns the packet")
        id_len = body[0]
        pw_len = body[1 + id_len]
        if 2 + id_len + pw_len > len(body):
            raise DecodeError("PAP password overruns the packet")
        return Pap(code, ident, peer_id=body[1:1 + id_len], password=body[2 + id_len:2 + id_len + pw_len])
    if not body:
        return Pap(code, ident)  # a Msg-Length octet is required, but lenient peers omit it
    if 1 + body[0] > len(body):
        raise DecodeError("PAP message overruns the packet")
    return Pap(code, ident, message=body[1:1 + body[0]])
