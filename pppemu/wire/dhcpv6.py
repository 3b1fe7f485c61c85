"""DHCPv6 messages (RFC 8415) for a requesting router and a server: the UDP payload.

An option is (code, value); the typed pieces below encode to and decode from an option's
value, so a message is built as ``Message(SOLICIT, xid, [(CLIENTID, duid_ll(mac)), ...])``.
"""
from __future__ import annotations

import struct
from collections.abc import Iterable
from dataclasses import dataclass, field

from pppemu.wire.errors import DecodeError

CLIENT_PORT = 546
SERVER_PORT = 547

# Message types (RFC 8415 section 7.3); relay messages (12, 13) decode as any other type.
SOLICIT = 1
ADVERTISE = 2
REQUEST = 3
CONFIRM = 4
RENEW = 5
REBIND = 6
REPLY = 7
RELEASE = 8
DECLINE = 9
RECONFIGURE = 10
INFORMATION_REQUEST = 11

MESSAGE_NAMES = {
    SOLICIT: "Solicit", ADVERTISE: "Advertise", REQUEST: "Request", CONFIRM: "Confirm", RENEW: "Renew",
    REBIND: "Rebind", REPLY: "Reply", RELEASE: "Release", DECLINE: "Decline", RECONFIGURE: "Reconfigure",
    INFORMATION_REQUEST: "Information-Request",
}

# Option codes (RFC 8415 section 21; DNS servers from RFC 3646)
CLIENTID = 1
SERVERID = 2
IA_NA = 3
IAADDR = 5
ORO = 6
PREFERENCE = 7
ELAPSED_TIME = 8
STATUS_CODE = 13
RAPID_COMMIT = 14
DNS_SERVERS = 23
IA_PD = 25
IAPREFIX = 26

# Status codes (RFC 8415 section 21.13)
SUCCESS = 0
UNSPEC_FAIL = 1
NO_ADDRS_AVAIL = 2
NO_BINDING = 3
NOT_ON_LINK = 4
USE_MULTICAST = 5
NO_PREFIX_AVAIL = 6

Options = list[tuple[int, bytes]]

_OPT = struct.Struct("!HH")         # option code, option length
_IA = struct.Struct("!III")         # IAID, T1, T2 (IA_NA and IA_PD)
_IAADDR = struct.Struct("!16sII")   # address, preferred lifetime, valid lifetime
_IAPREFIX = struct.Struct("!IIB16s")  # preferred lifetime, valid lifetime, prefix length, prefix


def encode_options(options: Options) -> bytes:
    return b"".join(_OPT.pack(code, len(value)) + value for code, value in options)


def decode_options(data: bytes) -> Options:
    options = []
    offset = 0
    while offset < len(data):
        if len(data) - offset < 4:
            raise DecodeError("truncated DHCPv6 option header")
        code, length = _OPT.unpack_from(data, offset)
        offset += 4
        if offset + length > len(data):
            raise DecodeError(f"DHCPv6 option {code} length {length} overruns the {len(data) - offset} bytes left")
        options.append((code, bytes(data[offset:offset + length])))
        offset += length
    return options


def _address(address: bytes) -> bytes:
    if len(address) != 16:
        raise ValueError(f"an IPv6 address is 16 bytes, not {len(address)}")
    return address


def _first(options: Options, code: int) -> bytes | None:
    return next((value for c, value in options if c == code), None)


@dataclass(slots=True)
class Message:
    msg_type: int
    transaction_id: int  # 24 bits
    options: Options = field(default_factory=list)

    def option(self, code: int) -> bytes | None:
        """The value of the first option with this code, or None."""
        return _first(self.options, code)

    def all(self, code: int) -> list[bytes]:
        return [value for c, value in self.options if c == code]

    @property
    def name(self) -> str:
        return MESSAGE_NAMES.get(self.msg_type, f"type-{self.msg_type}")


def encode_message(m: Message) -> bytes:
    return bytes((m.msg_type,)) + m.transaction_id.to_bytes(3, "big") + encode_options(m.options)


def decode_message(data: bytes) -> Message:
    if len(data) < 4:
        raise DecodeError("DHCPv6 message shorter than its 4-byte header")
    return Message(data[0], int.from_bytes(data[1:4], "big"), decode_options(data[4:]))


@dataclass(slots=True)
class StatusCode:
    code: int
    message: str = ""


def encode_status_code(s: StatusCode) -> bytes:
    return struct.pack("!H", s.code) + s.message.encode()


def decode_status_code(data: bytes) -> StatusCode:
    if len(data) < 2:
        raise DecodeError("DHCPv6 status code shorter than 2 bytes")
    # The message is for people; bytes that are not UTF-8 are kept visible, not refused.
    return StatusCode(struct.unpack_from("!H", data)[0], data[2:].decode(errors="replace"))


def status_of(options: Options) -> StatusCode | None:
    """The status code among these options (a message's or an IA's), or None."""
    value = _first(options, STATUS_CODE)
    return None if value is None else decode_status_code(value)


@dataclass(slots=True)
class IaAddress:
    address: bytes  # 16 bytes
    preferred: int
    valid: int
    options: Options = field(default_factory=list)


def encode_ia_address(a: IaAddress) -> bytes:
    return _IAADDR.pack(_address(a.address), a.preferred, a.valid) + encode_options(a.options)


def decode_ia_address(data: bytes) -> IaAddress:
    if len(data) < _IAADDR.size:
        raise DecodeError(f"DHCPv6 IA address shorter than {_IAADDR.size} bytes")
    address, preferred, valid = _IAADDR.unpack_from(data)
    return IaAddress(address, preferred, valid, decode_options(data[_IAADDR.size:]))


@dataclass(slots=True)
class IaPrefix:
    prefix: bytes  # 16 bytes
    length: int
    preferred: int
    valid: int
    options: Options = field(default_factory=list)


def encode_ia_prefix(p: IaPrefix) -> bytes:
    return _IAPREFIX.pack(p.preferred, p.valid, p.length, _address(p.prefix)) + encode_options(p.options)


def decode_ia_prefix(data: bytes) -> IaPrefix:
    if len(data) < _IAPREFIX.size:
        raise DecodeError(f"DHCPv6 IA prefix shorter than {_IAPREFIX.size} bytes")
    preferred, valid, length, prefix = _IAPREFIX.unpack_from(data)
    if length > 128:
        raise DecodeError(f"DHCPv6 IA prefix length {length} is over 128")
    return IaPrefix(prefix, length, preferred, valid, decode_options(data[_IAPREFIX.size:]))


@dataclass(slots=True)
class IaNa:
    iaid: int
    t1: int
    t2: int
    addresses: list[IaAddress] = field(default_factory=list)
    status: StatusCode | None = None


@dataclass(slots=True)
class IaPd:
    iaid: int
    t1: int
    t2: int
    prefixes: list[IaPrefix] = field(default_factory=list)
    status: StatusCode | None = None


def _encode_ia(iaid: int, t1: int, t2: int, inner: Options, status: StatusCode | None) -> bytes:
    if status is not None:
        inner = [*inner, (STATUS_CODE, encode_status_code(status))]
    return _IA.pack(iaid, t1, t2) + encode_options(inner)


def _decode_ia(data: bytes, kind: str) -> tuple[int, int, int, Options]:
    if len(data) < _IA.size:
        raise DecodeError(f"DHCPv6 {kind} shorter than {_IA.size} bytes")
    return (*_IA.unpack_from(data), decode_options(data[_IA.size:]))


def encode_ia_na(ia: IaNa) -> bytes:
    return _encode_ia(ia.iaid, ia.t1, ia.t2, [(IAADDR, encode_ia_address(a)) for a in ia.addresses], ia.status)


def decode_ia_na(data: bytes) -> IaNa:
    """An IA_NA's value; options other than addresses and the status code are skipped."""
    iaid, t1, t2, inner = _decode_ia(data, "IA_NA")
    addresses = [decode_ia_address(v) for c, v in inner if c == IAADDR]
    return IaNa(iaid, t1, t2, addresses, status_of(inner))


def encode_ia_pd(ia: IaPd) -> bytes:
    return _encode_ia(ia.iaid, ia.t1, ia.t2, [(IAPREFIX, encode_ia_prefix(p)) for p in ia.prefixes], ia.status)


def decode_ia_pd(data: bytes) -> IaPd:
    """An IA_PD's value; options other than prefixes and the status code are skipped."""
    iaid, t1, t2, inner = _decode_ia(data, "IA_PD")
    prefixes = [decode_ia_prefix(v) for c, v in inner if c == IAPREFIX]
    return IaPd(iaid, t1, t2, prefixes, status_of(inner))


def duid_ll(mac: bytes) -> bytes:
    """A DUID-LL (RFC 8415 section 11.4) for an Ethernet MAC: the client's or the server's identifier."""
    if len(mac) != 6:
        raise ValueError(f"a MAC is 6 bytes, not {len(mac)}")
    return struct.pack("!HH", 3, 1) + mac


def dns_servers(addresses: Iterable[bytes]) -> bytes:
    """The DNS recursive name server option's value (RFC 3646): 16-byte addresses back to back."""
    return b"".join(_address(a) for a in addresses)


def parse_dns_servers(data: bytes) -> list[bytes]:
    if len(data) % 16:
        raise DecodeError(f"DHCPv6 DNS servers option of {len(data)} bytes is not a list of addresses")
    return [bytes(data[i:i + 16]) for i in range(0, len(data), 16)]


def elapsed_time(centiseconds: int) -> bytes:
    """The elapsed time option's value; 0xFFFF stands for anything longer (RFC 8415 section 21.9)."""
    return struct.pack("!H", max(0, min(centiseconds, 0xFFFF)))


def oro(codes: Iterable[int]) -> bytes:
    """The option request option's value: the option codes wanted in the answer."""
    return b"".join(struct.pack("!H", c) for c in codes)


def parse_oro(data: bytes) -> list[int]:
    if len(data) % 2:
        raise DecodeError(f"DHCPv6 option request option of odd length {len(data)}")
    return [c for (c,) in struct.iter_unpack("!H", data)]
