"""Ethernet II with optional 802.1Q / QinQ tags."""
from __future__ import annotations

import struct
from dataclasses import dataclass

from pppemu.wire.const import ETH_QINQ, ETH_VLAN
from pppemu.wire.errors import DecodeError

BROADCAST = b"\xff" * 6
_TAG_TPIDS = (ETH_VLAN, ETH_QINQ, 0x9100)
TAG_TPIDS = tuple(t.to_bytes(2, "big") for t in _TAG_TPIDS)  # as they sit in a frame
_HDR = struct.Struct("!6s6sH")


@dataclass(slots=True)
class EthFrame:
    dst: bytes
    src: bytes
    ethertype: int
    payload: bytes
    vlans: tuple[tuple[int, int], ...] = ()  # (TPID, TCI) pairs, outermost first


def encode_eth(frame: EthFrame) -> bytes:
    return frame.dst + frame.src + encode_tags(frame.vlans) + struct.pack("!H", frame.ethertype) + frame.payload


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


def tags_end(frame: bytes) -> int:
    """Where the ethertype of a frame begins: 12, plus 4 for each VLAN tag (at most two)."""
    end = 12
    while frame[end:end + 2] in TAG_TPIDS and end < 20:
        end += 4
    return end


def encode_tags(stack: tuple[tuple[int, int], ...]) -> bytes:
    """(TPID, TCI) pairs, outermost first, as the bytes they are in a frame."""
    return b"".join(struct.pack("!HH", tpid, tci) for tpid, tci in stack)


def vlan_key(tags: bytes) -> bytes:
    """A tag stack without its priority and DEI bits, and without priority-only tags (VLAN id
    0, IEEE 802.1Q: untagged with a priority): what tells one subscriber's line from another's
    (a CPE may send control and data at different priorities)."""
    if not tags or not any(tags[i] & 0xF0 or not (tags[i] | tags[i + 1]) for i in range(2, len(tags), 4)):
        return tags
    key = b""
    for i in range(0, len(tags), 4):
        if (tags[i + 2] & 0x0F) | tags[i + 3]:
            key += tags[i:i + 2] + bytes((tags[i + 2] & 0x0F, tags[i + 3]))
    return key


def vlan_ids(tags: bytes) -> tuple[int, ...]:
    """The VLAN ids of a tag stack, outermost first."""
    return tuple(((tags[i] & 0x0F) << 8) | tags[i + 1] for i in range(2, len(tags), 4))


def vlan_label(tags: bytes) -> str:
    """A tag stack as people write it: "100.7" (S-VLAN.C-VLAN), "" untagged; with its TPIDs
    when they are not the usual ones (802.1Q alone or inside, 802.1ad outside): "9 (0x88a8)"."""
    tpids = tuple(int.from_bytes(tags[i:i + 2], "big") for i in range(0, len(tags), 4))
    usual = (ETH_VLAN,) if len(tpids) == 1 else (ETH_QINQ,) + (ETH_VLAN,) * (len(tpids) - 1)
    ids = ".".join(str(vid) for vid in vlan_ids(tags))
    return ids if tpids == usual or not tags else f"{ids} ({'.'.join(f'0x{t:04x}' for t in tpids)})"


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
