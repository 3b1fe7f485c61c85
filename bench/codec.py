"""Encode/decode cost per frame: pppemu's struct codec against scapy, on the same frames.

Run: .venv/bin/python bench/codec.py   (or: make bench)
"""
import os
import platform
import struct
import timeit

from scapy.layers.l2 import Ether
from scapy.layers.ppp import (
    PPP,
    PPP_LCP_Configure,
    PPP_LCP_Magic_Number_Option,
    PPP_LCP_MRU_Option,
    PPPoE,
    PPPoED,
    PPPoED_Tags,
    PPPoETag,
)

from pppemu import wire
from pppemu.wire import const as C

DST, SRC = b"\x02\xac\x00\x00\x00\x01", b"\x02\x00\x00\x00\x00\x01"


def ours_lcp_encode():
    opts = wire.encode_options([(C.LCP_MRU, struct.pack("!H", 1492)), (C.LCP_MAGIC, struct.pack("!I", 0x1234))])
    info = wire.encode_control(wire.Control(C.CONF_REQ, 1, opts))
    return wire.encode_eth(wire.EthFrame(DST, SRC, C.ETH_SESSION, wire.encode_session(7, C.PROTO_LCP, info)))


def ours_lcp_decode(frame):
    eth = wire.decode_eth(frame)
    _, ppp = wire.decode_session(eth.payload)
    _, info = wire.decode_ppp(ppp)
    return wire.decode_options(wire.decode_control(info).data)


def scapy_lcp_encode():
    return bytes(Ether(dst="02:ac:00:00:00:01", src="02:00:00:00:00:01") / PPPoE(sessionid=7) / PPP() /
                 PPP_LCP_Configure(id=1, options=[PPP_LCP_MRU_Option(max_recv_unit=1492),
                                                  PPP_LCP_Magic_Number_Option(magic_number=0x1234)]))


def ours_padi_encode():
    pkt = wire.Discovery(C.PADI, 0, [(C.TAG_SERVICE_NAME, b""), (C.TAG_HOST_UNIQ, b"12345678")])
    return wire.encode_eth(wire.EthFrame(wire.BROADCAST, SRC, C.ETH_DISCOVERY, wire.encode_discovery(pkt)))


def ours_padi_decode(frame):
    return wire.decode_discovery(wire.decode_eth(frame).payload)


def scapy_padi_encode():
    return bytes(Ether(dst="ff:ff:ff:ff:ff:ff", src="02:00:00:00:00:01") / PPPoED(code=C.PADI) /
                 PPPoED_Tags(tag_list=[PPPoETag(tag_type=0x0101, tag_value=b""),
                                       PPPoETag(tag_type=0x0103, tag_value=b"12345678")]))


def per_call_us(fn, number):
    return min(timeit.repeat(fn, number=number, repeat=5)) / number * 1e6


def main():
    lcp, padi = ours_lcp_encode(), ours_padi_encode()
    assert lcp == scapy_lcp_encode() and padi == scapy_padi_encode(), "codecs disagree on the bytes"
    print(f"machine: {platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}")
    rows = [
        ("LCP Configure-Request encode", lambda: ours_lcp_encode(), scapy_lcp_encode),
        ("LCP Configure-Request decode", lambda: ours_lcp_decode(lcp), lambda: Ether(lcp)),
        ("PADI encode", ours_padi_encode, scapy_padi_encode),
        ("PADI decode", lambda: ours_padi_decode(padi), lambda: Ether(padi)),
    ]
    print(f"{'frame':32} {'pppemu µs':>10} {'scapy µs':>10} {'ratio':>7}")
    for name, ours, theirs in rows:
        a, b = per_call_us(ours, 20000), per_call_us(theirs, 500)
        print(f"{name:32} {a:10.2f} {b:10.1f} {b / a:6.0f}x")


if __name__ == "__main__":
    main()
