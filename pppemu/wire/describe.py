"""One readable line per frame, for -v logs: what a network engineer wants to see."""
from __future__ import annotations

import struct

from pppemu.wire import const as C
from pppemu.wire.auth import decode_chap, decode_pap
from pppemu.wire.control import decode_control, decode_options
from pppemu.wire.errors import DecodeError
from pppemu.wire.ethernet import decode_eth, mac_str
from pppemu.wire.pppoe import decode_discovery, decode_ppp, decode_session

TAG_NAMES = {
    C.TAG_SERVICE_NAME: "Service-Name", C.TAG_AC_NAME: "AC-Name", C.TAG_HOST_UNIQ: "Host-Uniq",
    C.TAG_AC_COOKIE: "AC-Cookie", C.TAG_VENDOR_SPECIFIC: "Vendor-Specific",
    C.TAG_RELAY_SESSION_ID: "Relay-Session-Id", C.TAG_PPP_MAX_PAYLOAD: "PPP-Max-Payload",
    C.TAG_SERVICE_NAME_ERROR: "Service-Name-Error", C.TAG_AC_SYSTEM_ERROR: "AC-System-Error",
    C.TAG_GENERIC_ERROR: "Generic-Error",
}
TEXT_TAGS = (C.TAG_SERVICE_NAME, C.TAG_AC_NAME, C.TAG_SERVICE_NAME_ERROR, C.TAG_AC_SYSTEM_ERROR,
             C.TAG_GENERIC_ERROR)
LCP_OPTIONS = {C.LCP_MRU: "MRU", C.LCP_ACCM: "ACCM", C.LCP_AUTH: "Auth", C.LCP_QUALITY: "Quality",
               C.LCP_MAGIC: "Magic", C.LCP_PFC: "PFC", C.LCP_ACFC: "ACFC"}
IPCP_OPTIONS = {C.IPCP_ADDRESSES: "IP-Addresses", C.IPCP_COMPRESSION: "IP-Compression",
                C.IPCP_ADDRESS: "IP-Address", C.IPCP_DNS1: "DNS1", C.IPCP_NBNS1: "NBNS1",
                C.IPCP_DNS2: "DNS2", C.IPCP_NBNS2: "NBNS2"}
CHAP_CODES = {1: "Challenge", 2: "Response", 3: "Success", 4: "Failure"}
PAP_CODES = {1: "Authenticate-Request", 2: "Authenticate-Ack", 3: "Authenticate-Nak"}


def _tag(tag_type: int, value: bytes) -> str:
    name = TAG_NAMES.get(tag_type, f"0x{tag_type:04x}")
    if tag_type in TEXT_TAGS:
        return f"{name}={value.decode(errors='replace')!r}"
    if tag_type == C.TAG_PPP_MAX_PAYLOAD and len(value) == 2:
        return f"{name}={struct.unpack('!H', value)[0]}"
    return f"{name}={value.hex()}"


def _option(protocol: int, opt: int, value: bytes) -> str:
    if protocol == C.PROTO_LCP:
        name = LCP_OPTIONS.get(opt, str(opt))
        if opt == C.LCP_MRU and len(value) == 2:
            return f"MRU={struct.unpack('!H', value)[0]}"
        if opt == C.LCP_AUTH and len(value) >= 2:
            proto = struct.unpack_from("!H", value)[0]
            return f"Auth={C.PROTO_NAMES.get(proto, hex(proto))}" + (f"/{value[2]}" if len(value) > 2 else "")
        if opt == C.LCP_MAGIC and len(value) == 4:
            return f"Magic=0x{value.hex()}"
        return f"{name}={value.hex()}" if value else name
    if protocol == C.PROTO_IPCP and len(value) == 4:
        return f"{IPCP_OPTIONS.get(opt, str(opt))}={'.'.join(str(b) for b in value)}"
    if protocol == C.PROTO_IPV6CP and opt == C.IPV6CP_IFACE_ID:
        return f"Interface-Id={value.hex()}"
    return f"{IPCP_OPTIONS.get(opt, str(opt))}={value.hex()}"


def _ppp(protocol: int, info: bytes) -> str:
    name = C.PROTO_NAMES.get(protocol, f"0x{protocol:04x}")
    if protocol in (C.PROTO_LCP, C.PROTO_IPCP, C.PROTO_IPV6CP):
        pkt = decode_control(info)
        text = f"{name} {pkt.name} id={pkt.ident}"
        if pkt.code in (C.CONF_REQ, C.CONF_ACK, C.CONF_NAK, C.CONF_REJ):
            text += " " + " ".join(_option(protocol, o, v) for o, v in decode_options(pkt.data))
        elif pkt.code in (C.ECHO_REQ, C.ECHO_REPLY) and len(pkt.data) >= 4:
            text += f" magic=0x{pkt.data[:4].hex()}"
        elif pkt.code in (C.TERM_REQ, C.TERM_ACK) and pkt.data:
            text += f" {pkt.data.decode(errors='replace')!r}"
        elif pkt.code == C.PROTO_REJ and len(pkt.data) >= 2:
            text += f" rejected=0x{pkt.data[:2].hex()}"
        return text.rstrip()
    if protocol == C.PROTO_CHAP:
        chap = decode_chap(info)
        extra = f" name={chap.name.decode(errors='replace')!r}" if chap.code in (1, 2) else \
            f" {chap.message.decode(errors='replace')!r}"
        return f"CHAP {CHAP_CODES.get(chap.code, chap.code)} id={chap.ident}{extra}"
    if protocol == C.PROTO_PAP:
        pap = decode_pap(info)
        extra = f" peer-id={pap.peer_id.decode(errors='replace')!r}" if pap.code == 1 else \
            f" {pap.message.decode(errors='replace')!r}"
        return f"PAP {PAP_CODES.get(pap.code, pap.code)} id={pap.ident}{extra}"
    return f"{name} {len(info)} bytes"


def describe_frame(frame: bytes) -> str:
    try:
        eth = decode_eth(frame)
        head = f"{mac_str(eth.src)} > {mac_str(eth.dst)}"
        if eth.ethertype == C.ETH_DISCOVERY:
            pkt = decode_discovery(eth.payload)
            tags = " ".join(_tag(t, v) for t, v in pkt.tags)
            return f"{head} {pkt.name} sid=0x{pkt.session_id:04x} {tags}".rstrip()
        if eth.ethertype == C.ETH_SESSION:
            session_id, ppp = decode_session(eth.payload)
            return f"{head} sid=0x{session_id:04x} {_ppp(*decode_ppp(ppp))}"
        return f"{head} ethertype 0x{eth.ethertype:04x}"
    except DecodeError as exc:
        return f"malformed frame ({exc})"
