"""LCP/IPCP/IPv6CP control packets: code, identifier, length, data (RFC 1661 section 5)."""
from __future__ import annotations

import struct
from dataclasses import dataclass

from pppemu.wire.const import CODE_NAMES
from pppemu.wire.errors import DecodeError

_HDR = struct.Struct("!BBH")

Options = list[tuple[int, bytes]]


@dataclass(slots=True)
class Control:
    code: int
    ident: int
    data: bytes = b""

    @property
    def name(self) -> str:
        return CODE_NAMES.get(self.code, f"code-{self.code}")


def encode_control(pkt: Control) -> bytes:
    return _HDR.pack(pkt.code, pkt.ident, 4 + len(pkt.data)) + pkt.data


def decode_control(data: bytes) -> Control:
    if len(data) < 4:
        raise DecodeError("control packet shorter than its 4-byte header")
    code, ident, length = _HDR.unpack_from(data)
    if length < 4 or length > len(data):
        raise DecodeError(f"control packet length {length} does not fit the {len(data)} bytes present")
    # Octets past `length` are padding and are ignored (RFC 1661 section 5).
    return Control(code, ident, bytes(data[4:length]))


def encode_options(options: Options) -> bytes:
    return b"".join(bytes((t, len(v) + 2)) + v for t, v in options)


def decode_options(data: bytes) -> Options:
    options = []
    offset = 0
    while offset < len(data):
        if len(data) - offset < 2:
            raise DecodeError("truncated option header")
        opt_type, opt_len = data[offset], data[offset + 1]
        if opt_len < 2 or offset + opt_len > len(data):
            raise DecodeError(f"option {opt_type} has bad length {opt_len}")
        options.append((opt_type, bytes(data[offset + 2:offset + opt_len])))
        offset += opt_len
    return options
