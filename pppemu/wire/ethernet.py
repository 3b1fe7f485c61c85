"""Ethernet II with optional 802.1Q / QinQ tags."""
from __future__ import annotations

import struct
from dataclasses import dataclass

from pppemu.wire.const import ETH_QINQ, ETH_VLAN
from pppemu.wire.errors import DecodeError

BROADCAST = b"\xff" * 6
_TAG_TPIDS = (ETH_VLAN, ETH_QINQ, 0x9100)
_HDR = struct.Struct("!6s6sH")


@dataclass(slots=True)
class EthFrame:
    dst: bytes
    src: bytes
    ethertype: int
    payload: bytes
    vlans: tuple[tuple[int, int], ...] = ()  # (TPID, TCI) pairs, outermost first


def encode_eth(frame: EthFrame) -> bytes:
    tags = b"".join(struct.pack("!HH", tpid, tci) for tpid, tci in frame.vlans)
    return frame.dst + frame.src + tags + struct.pack("!H", frame.ethertype) + frame.payload


def decode_eth(data: bytes) -> EthFrame:
    if len(data) < 14:
        raise DecodeError(f"ethernet frame too short ({len(data)} bytes)")
    dst, src, ethertype = _HDR.unpack_from(data)
    offset = 14
    vlans = []
    while ethertype in _TAG_TPIDS:
        if len(data) < offset + 4:
            raise DecodeError("truncated VLAN tag")
        tci, inner = struct.unpack_from("!HH", data, offset)
        vlans.append((ethertype, tci))
        ethertype = inner
        offset += 4
    return EthFrame(dst, src, ethertype, bytes(data[offset:]), tuple(vlans))


def mac_str(mac: bytes) -> str:
    return ":".join(f"{b:02x}" for b in mac)


def mac_bytes(text: str) -> bytes:
    parts = text.replace("-", ":").split(":")
    if len(parts) != 6:
        raise ValueError(f"not a MAC address: {text!r}")
    try:
        return bytes(int(p, 16) for p in parts)
    except ValueError:
        raise ValueError(f"not a MAC address: {text!r}") from None
