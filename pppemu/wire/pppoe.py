"""PPPoE discovery and session headers (RFC 2516) and the PPP protocol field."""
from __future__ import annotations

import struct
from dataclasses import dataclass, field

from pppemu.wire.const import DISCOVERY_NAMES, ERROR_TAGS, TAG_END_OF_LIST
from pppemu.wire.errors import DecodeError

_HDR = struct.Struct("!BBHH")  # ver/type, code, session id, length
_VER_TYPE = 0x11


@dataclass(slots=True)
class Discovery:
    code: int
    session_id: int = 0
    tags: list[tuple[int, bytes]] = field(default_factory=list)

    def tag(self, tag_type: int) -> bytes | None:
        """The value of the first tag of this type, or None."""
        for t, v in self.tags:
            if t == tag_type:
                return v
        return None

    def all_tags(self, tag_type: int) -> list[bytes]:
        return [v for t, v in self.tags if t == tag_type]

    def error(self) -> tuple[int, bytes] | None:
        """The first error tag (Service-Name-Error, AC-System-Error, Generic-Error)."""
        for t, v in self.tags:
            if t in ERROR_TAGS:
                return t, v
        return None

    @property
    def name(self) -> str:
        return DISCOVERY_NAMES.get(self.code, f"code-0x{self.code:02x}")


def encode_discovery(pkt: Discovery) -> bytes:
    body = b"".join(struct.pack("!HH", t, len(v)) + v for t, v in pkt.tags)
    return _HDR.pack(_VER_TYPE, pkt.code, pkt.session_id, len(body)) + body


def decode_discovery(data: bytes) -> Discovery:
    if len(data) < 6:
        raise DecodeError("PPPoE header too short")
    ver_type, code, session_id, length = _HDR.unpack_from(data)
    if ver_type != _VER_TYPE:
        raise DecodeError(f"PPPoE version/type 0x{ver_type:02x} is not 0x11")
    if 6 + length > len(data):
        raise DecodeError(f"PPPoE length {length} exceeds the {len(data) - 6} bytes present")
    tags = []
    offset, end = 6, 6 + length
    while offset < end:
        if end - offset < 4:
            raise DecodeError("truncated PPPoE tag header")
        tag_type, tag_len = struct.unpack_from("!HH", data, offset)
        offset += 4
        if offset + tag_len > end:
            raise DecodeError(f"PPPoE tag 0x{tag_type:04x} length {tag_len} overruns the packet")
        if tag_type == TAG_END_OF_LIST:
            break
        tags.append((tag_type, bytes(data[offset:offset + tag_len])))
        offset += tag_len
    return Discovery(code, session_id, tags)


_SESSION_HDR = struct.Struct("!BBHHH")  # ver/type, code 0, session id, length, PPP protocol


def encode_session(session_id: int, protocol: int, info: bytes) -> bytes:
    return _SESSION_HDR.pack(_VER_TYPE, 0, session_id, len(info) + 2, protocol) + info


def decode_session(data: bytes) -> tuple[int, bytes]:
    """Return (session id, PPP frame = protocol field + information)."""
    if len(data) < 6:
        raise DecodeError("PPPoE session header too short")
    ver_type, code, session_id, length = _HDR.unpack_from(data)
    if ver_type != _VER_TYPE or code != 0:
        raise DecodeError("PPPoE session header with bad version/type or non-zero code")
    if 6 + length > len(data):
        raise DecodeError(f"PPPoE length {length} exceeds the {len(data) - 6} bytes present")
    return session_id, bytes(data[6:6 + length])


def encode_ppp(protocol: int, info: bytes) -> bytes:
    return struct.pack("!H", protocol) + info


def decode_ppp(data: bytes) -> tuple[int, bytes]:
    """Split a PPP frame into (protocol, information); accepts a compressed (PFC) field."""
    if not data:
        raise DecodeError("empty PPP frame")
    if data[0] & 1:  # a one-byte protocol field (RFC 1661 section 6.5)
        return data[0], bytes(data[1:])
    if len(data) < 2:
        raise DecodeError("truncated PPP protocol field")
    protocol = (data[0] << 8) | data[1]
    if not protocol & 1:
        raise DecodeError(f"PPP protocol 0x{protocol:04x} is not odd")
    return protocol, bytes(data[2:])
