"""Encode/decode cost per frame: pppemu's struct codec against scapy, on the same frames.

Run: .venv/bin/python bench/codec.py   (or: make bench)
"""
import os
import platform
import struct
import timeit

from scapy.layers.inet import UDP
from scapy.layers.inet6 import ICMPv6ND_RA, ICMPv6NDOptMTU, ICMPv6NDOptPrefixInfo, ICMPv6NDOptRDNSS, IPv6
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
from pppemu.wire import icmpv6, ipv6

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


LL_AC, LL_CLIENT = ipv6.link_local(b"\x00\xac\x00\xff\xfe\x00\x00\x01"), ipv6.link_local(b"\x00" * 7 + b"\x01")
PREFIX, DNS6 = bytes.fromhex("20010db8000100020000000000000000"), bytes.fromhex("20010db8000000000000000000000053")
RA = icmpv6.RouterAdvert(other=True, prefixes=[icmpv6.PrefixInfo(PREFIX, 64)], mtu=1492, rdnss=[DNS6],
                         rdnss_lifetime=1800)


def ours_ipv6_frame(packet):
    return wire.encode_eth(wire.EthFrame(SRC, DST, C.ETH_SESSION, wire.encode_session(7, C.PROTO_IPV6, packet)))


def ours_ipv6_packet(frame):
    return ipv6.decode_ipv6(wire.decode_ppp(wire.decode_session(wire.decode_eth(frame).payload)[1])[1])


def scapy_ipv6_frame(layers):
    return bytes(Ether(dst="02:00:00:00:00:01", src="02:ac:00:00:00:01") / PPPoE(sessionid=7) / PPP(proto=0x57) /
                 layers)


def ours_ra_encode():
    return ours_ipv6_frame(icmpv6.encode_router_advert(LL_AC, ipv6.ALL_NODES, RA))


def ours_ra_decode(frame):
    return icmpv6.decode_router_advert(icmpv6.decode_icmpv6(ours_ipv6_packet(frame))[2])


def scapy_ra_encode():
    return scapy_ipv6_frame(
        IPv6(src="fe80::ac:ff:fe00:1", dst="ff02::1", hlim=255) / ICMPv6ND_RA(chlim=64, O=1, prf=0) /
        ICMPv6NDOptPrefixInfo(prefix="2001:db8:1:2::", validlifetime=86400, preferredlifetime=14400) /
        ICMPv6NDOptMTU(mtu=1492) / ICMPv6NDOptRDNSS(lifetime=1800, dns=["2001:db8::53"]))


def ours_udp6_encode():
    return ours_ipv6_frame(ipv6.encode_udp6(LL_AC, LL_CLIENT, 547, 546, b"\x07" + bytes(40)))


def ours_udp6_decode(frame):
    return ipv6.decode_udp6(ours_ipv6_packet(frame))


def scapy_udp6_encode():
    return scapy_ipv6_frame(IPv6(src="fe80::ac:ff:fe00:1", dst="fe80::1") / UDP(sport=547, dport=546) /
                            (b"\x07" + bytes(40)))


def per_call_us(fn, number):
    return min(timeit.repeat(fn, number=number, repeat=5)) / number * 1e6


def main():
    lcp, padi, ra, udp6 = ours_lcp_encode(), ours_padi_encode(), ours_ra_encode(), ours_udp6_encode()
    assert lcp == scapy_lcp_encode() and padi == scapy_padi_encode(), "codecs disagree on the bytes"
    assert ra == scapy_ra_encode() and udp6 == scapy_udp6_encode(), "codecs disagree on the bytes"
    print(f"machine: {platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}")
    rows = [
        ("LCP Configure-Request encode", lambda: ours_lcp_encode(), scapy_lcp_encode),
        ("LCP Configure-Request decode", lambda: ours_lcp_decode(lcp), lambda: Ether(lcp)),
        ("PADI encode", ours_padi_encode, scapy_padi_encode),
        ("PADI decode", lambda: ours_padi_decode(padi), lambda: Ether(padi)),
        ("Router Advertisement encode", ours_ra_encode, scapy_ra_encode),
        ("Router Advertisement decode", lambda: ours_ra_decode(ra), lambda: Ether(ra)),
        ("UDP/IPv6 encode", ours_udp6_encode, scapy_udp6_encode),
        ("UDP/IPv6 decode", lambda: ours_udp6_decode(udp6), lambda: Ether(udp6)),
    ]
    print(f"{'frame':32} {'pppemu µs':>10} {'scapy µs':>10} {'ratio':>7}")
    for name, ours, theirs in rows:
        a, b = per_call_us(ours, 20000), per_call_us(theirs, 500)
        print(f"{name:32} {a:10.2f} {b:10.1f} {b / a:6.0f}x")


if __name__ == "__main__":
    main()
