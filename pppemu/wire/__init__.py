"""Wire codec: bytes <-> small dataclasses. Pure, struct-based, no I/O.

Every decoder raises :class:`DecodeError` (and nothing else) on bad bytes.
"""
from . import const
from .auth import Chap, Pap, decode_chap, decode_pap, encode_chap, encode_pap
from .control import Control, decode_control, decode_options, encode_control, encode_options
from .errors import DecodeError
from .ethernet import BROADCAST, EthFrame, decode_eth, encode_eth, mac_bytes, mac_str
from .pppoe import (
    Discovery,
    decode_discovery,
    decode_ppp,
    decode_session,
    encode_discovery,
    encode_ppp,
    encode_session,
)

__all__ = [
    "DecodeError", "EthFrame", "decode_eth", "encode_eth", "mac_str", "mac_bytes", "BROADCAST",
    "Discovery", "decode_discovery", "encode_discovery", "decode_session", "encode_session",
    "decode_ppp", "encode_ppp", "Control", "decode_control", "encode_control",
    "decode_options", "encode_options", "Chap", "Pap", "decode_chap", "encode_chap",
    "decode_pap", "encode_pap", "const",
]
