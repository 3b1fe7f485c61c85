"""Just enough IPv4/ICMP to answer pings to the AC's own address from user space."""
from __future__ import annotations

import ipaddress
import struct


def checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\x00"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def echo_reply_for(packet: bytes, local_ip: str | None) -> bytes | None:
    """The ICMP Echo Reply to an Echo Request addressed to local_ip, else None."""
    if local_ip is None or len(packet) < 28 or packet[0] >> 4 != 4:
        return None
    ihl = (packet[0] & 0x0F) * 4
    total = struct.unpack_from("!H", packet, 2)[0]
    if packet[9] != 1 or ihl < 20 or total > len(packet) or total < ihl + 8:
        return None
    if packet[16:20] != ipaddress.IPv4Address(local_ip).packed or packet[ihl] != 8:
        return None
    icmp = bytearray(packet[ihl:total])
    icmp[0] = 0  # Echo Reply
    icmp[2:4] = b"\x00\x00"
    icmp[2:4] = struct.pack("!H", checksum(bytes(icmp)))
    header = bytearray(packet[:ihl])
    header[8] = 64  # TTL
    header[12:16], header[16:20] = packet[16:20], packet[12:16]
    header[10:12] = b"\x00\x00"
    header[10:12] = struct.pack("!H", checksum(bytes(header)))
    return bytes(header) + bytes(icmp)


def echo_request(src: str, dst: str, ident: int, seq: int, payload: bytes = b"pppemu") -> bytes:
    icmp = struct.pack("!BBHHH", 8, 0, 0, ident, seq) + payload
    icmp = icmp[:2] + struct.pack("!H", checksum(icmp)) + icmp[4:]
    header = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(icmp), ident, 0, 64, 1, 0,
                         ipaddress.IPv4Address(src).packed, ipaddress.IPv4Address(dst).packed)
    header = header[:10] + struct.pack("!H", checksum(header)) + header[12:]
    return header + icmp


def parse_echo_reply(packet: bytes) -> tuple[str, int, int] | None:
    """(source, identifier, sequence) of an ICMP Echo Reply, else None."""
    if len(packet) < 28 or packet[0] >> 4 != 4 or packet[9] != 1:
        return None
    ihl = (packet[0] & 0x0F) * 4
    if len(packet) < ihl + 8 or packet[ihl] != 0:
        return None
    ident, seq = struct.unpack_from("!HH", packet, ihl + 4)
    return str(ipaddress.IPv4Address(packet[12:16])), ident, seq
