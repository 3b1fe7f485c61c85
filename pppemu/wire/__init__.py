"""Wire codec: bytes <-> small dataclasses. Pure, struct-based, no I/O.

Every decoder raises :class:`DecodeError` (and nothing else) on bad bytes.
"""
from pppemu.wire import const
from pppemu.wire.auth import Chap, Pap, decode_chap, decode_pap, encode_chap, encode_pap
from pppemu.wire.control import Control, decode_control, decode_options, encode_control, encode_options
from pppemu.wire.errors import DecodeError
from pppemu.wire.ethernet import BROADCAST, EthFrame, decode_eth, encode_eth, encode_tags, mac_bytes, mac_str
from pppemu.wire.pppoe import (
    Discovery,
    decode_discovery,
    decode_ppp,
    decode_session,
    encode_discovery,
    encode_ppp,
    encode_session,
)

__all__ = [
    "DecodeError", "EthFrame", "decode_eth", "encode_eth", "encode_tags", "mac_str", "mac_bytes", "BROADCAST",
    "Discovery", "decode_discovery", "encode_discovery", "decode_session", "encode_session",
    "decode_ppp", "encode_ppp", "Control", "decode_control", "encode_control",
    "decode_options", "encode_options", "Chap", "Pap", "decode_chap", "encode_chap",
    "decode_pap", "encode_pap", "const",
]
