"""Every conformance rule, broken and kept, on frame sequences built with scapy.

The frames are built here with scapy's own PPPoE/PPP layers (raw bytes only where scapy has
no field for the fault), never with pppemu's codec or engine, so the checker is tested against
an independent reading of the RFCs.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from scapy.layers.dhcp6 import (
    DUID_LL,
    DHCP6_Advertise,
    DHCP6_Rebind,
    DHCP6_Renew,
    DHCP6_Reply,
    DHCP6_Request,
    DHCP6_Solicit,
    DHCP6OptClientId,
    DHCP6OptIA_NA,
    DHCP6OptIA_PD,
    DHCP6OptIAAddress,
    DHCP6OptIAPrefix,
    DHCP6OptRapidCommit,
    DHCP6OptServerId,
)
from scapy.layers.inet import UDP
from scapy.layers.inet6 import ICMPv6EchoRequest, ICMPv6ND_RA, ICMPv6ND_RS, ICMPv6NDOptPrefixInfo, IPv6
from scapy.layers.l2 import Dot1Q, Ether
from scapy.layers.ppp import (
    PPP,
    PPP_CHAP,
    PPP_IPCP,
    PPP_LCP,
    PPP_CHAP_ChallengeResponse,
    PPP_IPCP_Option,
    PPP_IPCP_Option_DNS1,
    PPP_IPCP_Option_DNS2,
    PPP_IPCP_Option_IPAddress,
    PPP_LCP_Auth_Protocol_Option,
    PPP_LCP_Code_Reject,
    PPP_LCP_Configure,
    PPP_LCP_Discard_Request,
    PPP_LCP_Echo,
    PPP_LCP_Magic_Number_Option,
    PPP_LCP_MRU_Option,
    PPP_LCP_Option,
    PPP_LCP_Protocol_Reject,
    PPP_LCP_Terminate,
    PPP_PAP_Request,
    PPP_PAP_Response,
    PPPoE,
    PPPoED,
    PPPoED_Tags,
    PPPoETag,
)
from scapy.packet import Raw

from pppemu.conformance import RULES, Checker, check_frames

HOST = "02:00:00:00:00:01"
AC = "02:ac:00:00:00:01"
BCAST = "ff:ff:ff:ff:ff:ff"
SID = 0x0001
HU = b"\x11\x22\x33\x44"
COOKIE = b"cookie-0123456789abc"
MAGIC_CLIENT = 0x1A2B3C4D
MAGIC_AC = 0x5E6F7081

# PPPoE tags (RFC 2516 Appendix A, RFC 4638)
SN, AC_NAME, HOST_UNIQ, AC_COOKIE, VENDOR, RELAY, MAX_PAYLOAD, SN_ERROR = (
    0x0101, 0x0102, 0x0103, 0x0104, 0x0105, 0x0110, 0x0120, 0x0201)
LCP, PAP, CHAP, IPCP, IPV6CP, CCP, IPV4, IPV6 = 0xC021, 0xC023, 0xC223, 0x8021, 0x8057, 0x80FD, 0x0021, 0x0057

ICMP_ECHO = bytes.fromhex("4500001c0001000040017cd50a0000640a000001") + bytes.fromhex("0800f7ff00000000")


def tags(*pairs) -> PPPoED_Tags:
    return PPPoED_Tags(tag_list=[PPPoETag(tag_type=t, tag_value=v) for t, v in pairs])


def mru(n=1492):
    return PPP_LCP_MRU_Option(max_recv_unit=n)


def magic(n):
    return PPP_LCP_Magic_Number_Option(magic_number=n)


def chap_md5():
    return PPP_LCP_Auth_Protocol_Option(auth_protocol=CHAP, algorithm=5)


def pap_auth():
    return PPP_LCP_Auth_Protocol_Option(auth_protocol=PAP)


def conf(code, ident, options):
    return PPP_LCP_Configure(code=code, id=ident, options=options)


def ipcp(code, ident, options):
    return PPP_IPCP(code=code, id=ident, options=options)


def addr(a):
    return PPP_IPCP_Option_IPAddress(data=a)


def iid_option(iid: bytes) -> bytes:
    return bytes((1, 2 + len(iid))) + iid


def control(code, ident, data=b"") -> bytes:
    """An RFC 1661 control packet by hand, for protocols scapy lacks (IPv6CP, CCP)."""
    return bytes((code, ident)) + (4 + len(data)).to_bytes(2, "big") + data


CLIENT_LCP = [mru(), magic(MAGIC_CLIENT)]


def ac_lcp(auth="chap"):
    opts = [mru()]
    if auth == "chap":
        opts.append(chap_md5())
    elif auth == "pap":
        opts.append(pap_auth())
    return opts + [magic(MAGIC_AC)]


class Exchange:
    """A capture built frame by frame: (timestamp, bytes), numbered from 1 in order."""

    def __init__(self, vlan: int | None = None):
        self.frames: list[tuple[float, bytes]] = []
        self.ts = 100.0
        self.vlan = vlan

    # -- raw frames ------------------------------------------------------------------------------

    def add(self, pkt, dt: float = 0.001) -> int:
        self.ts += dt
        self.frames.append((self.ts, bytes(pkt)))
        return len(self.frames)

    def wait(self, seconds: float) -> None:
        self.ts += seconds

    def eth(self, sender: str, dst: str | None, ethertype: int):
        src, peer = (HOST, AC) if sender == "client" else (AC, HOST)
        if self.vlan is None:
            return Ether(src=src, dst=dst or peer, type=ethertype)
        return Ether(src=src, dst=dst or peer) / Dot1Q(vlan=self.vlan, type=ethertype)

    def disc(self, sender, code, tag_layer, dst=None, sid=0, **hdr) -> int:
        return self.add(self.eth(sender, dst, 0x8863) / PPPoED(code=code, sessionid=sid, **hdr) / tag_layer)

    def ppp(self, sender, proto, payload, sid=SID, dst=None, dt=0.001, **hdr) -> int:
        return self.add(self.eth(sender, dst, 0x8864) / PPPoE(sessionid=sid, **hdr) / PPP(proto=proto) / payload,
                        dt=dt)

    def raw_session(self, sender, ppp_bytes: bytes, sid=SID, dst=None) -> int:
        return self.add(self.eth(sender, dst, 0x8864) / PPPoE(sessionid=sid) / Raw(ppp_bytes))

    def lcp(self, sender, pkt, **kw) -> int:
        return self.ppp(sender, LCP, pkt, **kw)

    # -- discovery -------------------------------------------------------------------------------

    def padi(self, *extra, service=b"", dst=BCAST, sid=0, plain=None) -> int:
        t = plain if plain is not None else [(SN, service), (HOST_UNIQ, HU), *extra]
        return self.disc("client", 0x09, tags(*t), dst=dst, sid=sid)

    def pado(self, *extra, dst=None, sid=0, plain=None, uniq=HU) -> int:
        t = plain if plain is not None else [(AC_NAME, b"ac"), (SN, b""), (AC_COOKIE, COOKIE), (HOST_UNIQ, uniq),
                                             *extra]
        return self.disc("ac", 0x07, tags(*t), dst=dst, sid=sid)

    def padr(self, *extra, dst=None, sid=0, plain=None, cookie=COOKIE) -> int:
        t = plain if plain is not None else [(SN, b""), (HOST_UNIQ, HU), (AC_COOKIE, cookie), *extra]
        return self.disc("client", 0x19, tags(*t), dst=dst, sid=sid)

    def pads(self, *extra, dst=None, sid=SID, plain=None, uniq=HU) -> int:
        t = plain if plain is not None else [(SN, b""), (HOST_UNIQ, uniq), *extra]
        return self.disc("ac", 0x65, tags(*t), dst=dst, sid=sid)

    def padt(self, sender="client", sid=SID, dst=None) -> int:
        return self.disc(sender, 0xA7, tags(), dst=dst, sid=sid)

    def discovery(self) -> None:
        self.padi()
        self.pado()
        self.padr()
        self.pads()

    # -- PPP phases ------------------------------------------------------------------------------

    def lcp_open(self, auth="chap", client_opts=None, ac_opts=None) -> None:
        ac_opts = ac_lcp(auth) if ac_opts is None else ac_opts
        client_opts = CLIENT_LCP if client_opts is None else client_opts
        self.lcp("ac", conf(1, 1, ac_opts))
        self.lcp("client", conf(1, 1, client_opts))
        self.lcp("client", conf(2, 1, ac_opts))
        self.lcp("ac", conf(2, 1, client_opts))

    def authenticate(self, auth="chap") -> None:
        if auth == "chap":
            self.ppp("ac", CHAP, PPP_CHAP_ChallengeResponse(code=1, id=7, value=b"c" * 16, optional_name=b"ac"))
            self.ppp("client", CHAP, PPP_CHAP_ChallengeResponse(code=2, id=7, value=b"r" * 16, optional_name=b"al"))
            self.ppp("ac", CHAP, PPP_CHAP(code=3, id=7, data=b"Access granted"))
        elif auth == "pap":
            self.ppp("client", PAP, PPP_PAP_Request(id=1, username=b"alice", password=b"secret"))
            self.ppp("ac", PAP, PPP_PAP_Response(code=2, id=1, message=b"ok"))

    def ipcp_open(self) -> None:
        self.ppp("ac", IPCP, ipcp(1, 1, [addr("10.0.0.1")]))
        self.ppp("client", IPCP, ipcp(1, 1, [addr("0.0.0.0"), PPP_IPCP_Option_DNS1(data="0.0.0.0"),
                                             PPP_IPCP_Option_DNS2(data="0.0.0.0")]))
        self.ppp("client", IPCP, ipcp(2, 1, [addr("10.0.0.1")]))
        self.ppp("ac", IPCP, ipcp(3, 1, [addr("10.0.0.100"), PPP_IPCP_Option_DNS1(data="10.0.0.53"),
                                         PPP_IPCP_Option_DNS2(data="10.0.0.54")]))
        granted = [addr("10.0.0.100"), PPP_IPCP_Option_DNS1(data="10.0.0.53"), PPP_IPCP_Option_DNS2(data="10.0.0.54")]
        self.ppp("client", IPCP, ipcp(1, 2, granted))
        self.ppp("ac", IPCP, ipcp(2, 2, granted))

    def up(self, auth="chap") -> None:
        self.discovery()
        self.lcp_open(auth)
        self.authenticate(auth)
        self.ipcp_open()

    def ping(self) -> None:
        self.ppp("client", IPV4, Raw(ICMP_ECHO))
        self.ppp("ac", IPV4, Raw(ICMP_ECHO))

    def echo(self, ident=1) -> None:
        self.lcp("client", PPP_LCP_Echo(code=9, id=ident, magic_number=MAGIC_CLIENT))
        self.lcp("ac", PPP_LCP_Echo(code=10, id=ident, magic_number=MAGIC_AC))

    def terminate(self) -> None:
        self.lcp("client", PPP_LCP_Terminate(code=5, id=2, data=b"User request"))
        self.lcp("ac", PPP_LCP_Terminate(code=6, id=2))
        self.padt("client")

    def full(self) -> None:
        self.up()
        self.ping()
        self.echo(1)
        self.wait(1)
        self.echo(2)
        self.terminate()

    def check(self, **kw):
        return check_frames(self.frames, **kw)


# -- the table: one case per rule ----------------------------------------------------------------

@dataclass
class Expect:
    side: str
    frames: tuple[int, ...]
    also: set[str] = field(default_factory=set)  # other rules the scenario cannot avoid breaking


CASES: dict = {}


def case(rule_id):
    def register(fn):
        assert rule_id not in CASES, rule_id
        CASES[rule_id] = fn
        return fn
    return register


# RFC 2516 section 4: headers and tags

@case("rfc2516.header.version_type")
def _(ex, broken):
    ex.disc("client", 0x09, tags((SN, b""), (HOST_UNIQ, HU)), dst=BCAST, version=2 if broken else 1)
    return Expect("client", (1,))


@case("rfc2516.header.length")
def _(ex, broken):
    ex.disc("client", 0x09, tags((SN, b""), (HOST_UNIQ, HU)), dst=BCAST, len=40 if broken else 12)
    return Expect("client", (1,))


@case("rfc2516.tag.length")
def _(ex, broken):
    bad = PPPoED_Tags(tag_list=[PPPoETag(tag_type=SN, tag_value=b""),
                                PPPoETag(tag_type=HOST_UNIQ, tag_len=9 if broken else 4, tag_value=HU)])
    ex.disc("client", 0x09, bad, dst=BCAST)
    return Expect("client", (1,))


@case("rfc2516.discovery.code")
def _(ex, broken):
    ex.disc("client", 0x55 if broken else 0xD3, tags())  # 0xD3 is PADM (RFC 4937)
    return Expect("unknown", (1,))


# RFC 2516 section 5: discovery

@case("rfc2516.padi.broadcast")
def _(ex, broken):
    ex.padi(dst=AC if broken else BCAST)
    return Expect("client", (1,))


@case("rfc2516.padi.size")
def _(ex, broken):
    # header 6 + Service-Name 4 + Host-Uniq 8 + Vendor-Specific 4 + value = 1484 when kept
    ex.padi((VENDOR, b"\0\0\x0d\xe9" + b"v" * (1458 + broken)))
    return Expect("client", (1,))


@case("rfc2516.padi.session_id")
def _(ex, broken):
    ex.padi(sid=5 if broken else 0)
    return Expect("client", (1,))


@case("rfc2516.padi.service_name")
def _(ex, broken):
    ex.padi(plain=[(HOST_UNIQ, HU)] if broken else [(SN, b"isp"), (HOST_UNIQ, HU)])
    return Expect("client", (1,))


@case("rfc2516.pado.unicast")
def _(ex, broken):
    ex.padi()
    ex.pado(dst=BCAST if broken else None)
    return Expect("ac", (2,))


@case("rfc2516.pado.session_id")
def _(ex, broken):
    ex.padi()
    ex.pado(sid=3 if broken else 0)
    return Expect("ac", (2,))


@case("rfc2516.pado.ac_name")
def _(ex, broken):
    ex.padi()
    name = [] if broken else [(AC_NAME, b"ac")]
    ex.pado(plain=[*name, (SN, b""), (AC_COOKIE, COOKIE), (HOST_UNIQ, HU)])
    return Expect("ac", (2,))


@case("rfc2516.pado.service_name")
def _(ex, broken):
    ex.padi(service=b"isp")
    offered = [(SN, b"other")] if broken else [(SN, b"other"), (SN, b"isp")]
    ex.pado(plain=[(AC_NAME, b"ac"), *offered, (HOST_UNIQ, HU)])
    return Expect("ac", (1, 2))


@case("rfc2516.pado.host_uniq")
def _(ex, broken):
    ex.padi()
    ex.pado(uniq=b"\x99\x99" if broken else HU)
    return Expect("ac", (1, 2))


@case("rfc2516.pado.relay_session_id")
def _(ex, broken):
    ex.padi((RELAY, b"relay-1"))
    ex.pado(*([] if broken else [(RELAY, b"relay-1")]))
    return Expect("ac", (1, 2))


@case("rfc2516.padr.unicast")
def _(ex, broken):
    ex.padi()
    ex.pado()
    ex.padr(dst=BCAST if broken else None)
    return Expect("client", (3,))


@case("rfc2516.padr.session_id")
def _(ex, broken):
    ex.padi()
    ex.pado()
    ex.padr(sid=9 if broken else 0)
    return Expect("client", (3,))


@case("rfc2516.padr.service_name")
def _(ex, broken):
    ex.padi()
    ex.pado()
    ex.padr(*([(SN, b"second")] if broken else []))
    return Expect("client", (3,))


@case("rfc2516.padr.ac_cookie")
def _(ex, broken):
    ex.padi()
    ex.pado()
    ex.padr(cookie=b"forged" if broken else COOKIE)
    return Expect("client", (2, 3))


@case("rfc2516.padr.relay_session_id")
def _(ex, broken):
    ex.padi((RELAY, b"relay-1"))
    ex.pado((RELAY, b"relay-1"))
    ex.padr(*([] if broken else [(RELAY, b"relay-1")]))
    return Expect("client", (2, 3))


@case("rfc2516.pads.unicast")
def _(ex, broken):
    ex.padi()
    ex.pado()
    ex.padr()
    ex.pads(dst=BCAST if broken else None)
    return Expect("ac", (4,))


@case("rfc2516.pads.session_id")
def _(ex, broken):
    ex.padi()
    ex.pado()
    ex.padr()
    ex.pads(sid=0xFFFF if broken else 0x1234)
    return Expect("ac", (4,))


@case("rfc2516.pads.error_session_id")
def _(ex, broken):
    ex.padi()
    ex.pado()
    ex.padr()
    ex.pads(plain=[(SN_ERROR, b"no such service"), (HOST_UNIQ, HU)], sid=5 if broken else 0)
    return Expect("ac", (4,))


@case("rfc2516.pads.service_name")
def _(ex, broken):
    ex.padi()
    ex.pado()
    ex.padr()
    ex.pads(plain=[(HOST_UNIQ, HU)] if broken else [(SN, b""), (HOST_UNIQ, HU)])
    return Expect("ac", (4,))


@case("rfc2516.pads.host_uniq")
def _(ex, broken):
    ex.padi()
    ex.pado()
    ex.padr()
    ex.pads(uniq=b"\x55" if broken else HU)
    return Expect("ac", (3, 4))


@case("rfc2516.pads.relay_session_id")
def _(ex, broken):
    ex.padi((RELAY, b"r"))
    ex.pado((RELAY, b"r"))
    ex.padr((RELAY, b"r"))
    ex.pads(*([] if broken else [(RELAY, b"r")]))
    return Expect("ac", (3, 4))


@case("rfc2516.pads.unsolicited")
def _(ex, broken):
    ex.padi()
    ex.pado()
    if not broken:
        ex.padr()
    n = ex.pads()
    return Expect("ac", (n,))


@case("rfc2516.padt.unicast")
def _(ex, broken):
    ex.up()
    n = ex.padt("client", dst=BCAST if broken else None)
    return Expect("client", (n,))


@case("rfc2516.padt.session_id")
def _(ex, broken):
    ex.up()
    n = ex.padt("ac", sid=2 if broken else SID)
    return Expect("ac", (n,))


@case("rfc2516.padt.traffic_after")
def _(ex, broken):
    ex.up()
    padt = ex.padt("ac")
    ex.wait(2.0 if broken else 0.2)
    n = ex.lcp("client", PPP_LCP_Echo(code=9, id=5, magic_number=MAGIC_CLIENT))
    return Expect("client", (padt, n))


@case("rfc2516.vlan.same_stack")
def _(ex, broken):
    ex.vlan = 100
    ex.padi()
    ex.vlan = None if broken else 100  # an untagged PADO to a host that asked on VLAN 100
    ex.pado()
    return Expect("ac", (1, 2))


# RFC 2516 section 6: session stage

@case("rfc2516.session.code")
def _(ex, broken):
    ex.up()
    n = ex.ppp("client", LCP, PPP_LCP_Echo(code=9, id=1, magic_number=MAGIC_CLIENT), code=5 if broken else 0)
    return Expect("client", (n,))


@case("rfc2516.session.id")
def _(ex, broken):
    ex.up()
    n = ex.ppp("client", LCP, PPP_LCP_Echo(code=9, id=1, magic_number=MAGIC_CLIENT), sid=0xFFFF if broken else SID)
    return Expect("client", (n,))


@case("rfc2516.session.unicast")
def _(ex, broken):
    ex.up()
    n = ex.ppp("client", LCP, PPP_LCP_Echo(code=9, id=1, magic_number=MAGIC_CLIENT), dst=BCAST if broken else None)
    return Expect("client", (n,))


@case("rfc2516.session.before_pads")
def _(ex, broken):
    ex.padi()
    ex.pado()
    ex.padr()
    if not broken:
        ex.pads()
    n = ex.lcp("client", conf(1, 1, CLIENT_LCP))
    return Expect("client", (3, n))


# RFC 2516 section 7: LCP over PPPoE

@case("rfc2516.lcp.mru")
def _(ex, broken):
    ex.discovery()
    ex.lcp("client", conf(1, 1, [mru(1500 if broken else 1492), magic(MAGIC_CLIENT)]))
    return Expect("client", (5,))


def _forbidden_option(opt):
    def build(ex, broken):
        ex.discovery()
        ex.lcp("client", conf(1, 1, [mru(), magic(MAGIC_CLIENT), *([opt] if broken else [])]))
        return Expect("client", (5,))
    return build


case("rfc2516.lcp.accm")(_forbidden_option(PPP_LCP_Option(type=2, data=b"\0\0\0\0")))
case("rfc2516.lcp.fcs_alternatives")(_forbidden_option(PPP_LCP_Option(type=9, data=b"\x01")))
case("rfc2516.lcp.acfc")(_forbidden_option(PPP_LCP_Option(type=8, data=b"")))
case("rfc2516.lcp.pfc")(_forbidden_option(PPP_LCP_Option(type=7, data=b"")))


@case("rfc2516.lcp.must_reject")
def _(ex, broken):
    ex.discovery()
    asked = [mru(), magic(MAGIC_CLIENT), PPP_LCP_Option(type=8, data=b"")]
    ex.lcp("client", conf(1, 1, asked))
    n = ex.lcp("ac", conf(2, 1, asked) if broken else conf(4, 1, [PPP_LCP_Option(type=8, data=b"")]))
    return Expect("ac", (n,), also={"rfc2516.lcp.acfc"})


@case("rfc2516.lcp.magic")
def _(ex, broken):
    ex.discovery()
    ex.lcp("client", conf(1, 1, [mru()] if broken else CLIENT_LCP))
    return Expect("client", (5,))


# RFC 4638

@case("rfc4638.reply.unrequested")
def _(ex, broken):
    ex.padi(*([] if broken else [(MAX_PAYLOAD, b"\x05\xdc")]))
    ex.pado((MAX_PAYLOAD, b"\x05\xdc"))
    return Expect("ac", (1, 2))


@case("rfc4638.value")
def _(ex, broken):
    ex.padi((MAX_PAYLOAD, (1400 if broken else 1500).to_bytes(2, "big")))
    return Expect("client", (1,))


@case("rfc4638.mru")
def _(ex, broken):
    pmp = (MAX_PAYLOAD, b"\x05\xdc")
    ex.padi(pmp)
    ex.pado(pmp)
    ex.padr(pmp)
    ex.pads(pmp)
    ex.lcp("client", conf(1, 1, [mru(1508 if broken else 1500), magic(MAGIC_CLIENT)]))
    return Expect("client", (4, 5))


# RFC 1661: framing, formats and options

@case("rfc1661.protocol.field")
def _(ex, broken):
    ex.up()
    n = ex.ppp("client", 0x0020 if broken else 0x0021, Raw(ICMP_ECHO))
    return Expect("client", (n,))


@case("rfc1661.pfc.unnegotiated")
def _(ex, broken):
    ex.discovery()
    pfc = PPP_LCP_Option(type=7, data=b"")
    # Kept: the AC asks for PFC and the client acknowledges, so the client may compress towards it.
    ex.lcp_open(ac_opts=ac_lcp() + ([] if broken else [pfc]))
    ex.authenticate()
    ex.ipcp_open()
    n = ex.raw_session("client", b"\x21" + ICMP_ECHO)
    return Expect("client", (n,), also={"rfc2516.lcp.pfc"})


@case("rfc1661.packet.length")
def _(ex, broken):
    ex.discovery()
    packet = bytes(conf(1, 1, CLIENT_LCP))
    if broken:
        packet = packet[:2] + (len(packet) + 8).to_bytes(2, "big") + packet[4:]
    n = ex.raw_session("client", b"\xc0\x21" + packet)
    return Expect("client", (n,))


@case("rfc1661.option.length")
def _(ex, broken):
    ex.discovery()
    options = bytes(magic(MAGIC_CLIENT)) + (b"\x07\x01" if broken else b"\x07\x02")
    n = ex.raw_session("client", b"\xc0\x21" + control(1, 1, options))
    return Expect("client", (n,), also={"rfc2516.lcp.pfc"})


@case("rfc1661.lcp.option_size")
def _(ex, broken):
    ex.discovery()
    mru_option = b"\x01\x05\x05\xd4\x00" if broken else b"\x01\x04\x05\xd4"
    n = ex.raw_session("client", b"\xc0\x21" + control(1, 1, mru_option + bytes(magic(MAGIC_CLIENT))))
    return Expect("client", (n,))


@case("rfc1661.magic.zero")
def _(ex, broken):
    ex.discovery()
    ex.lcp("client", conf(1, 1, [mru(), magic(0 if broken else MAGIC_CLIENT)]))
    return Expect("client", (5,))


# RFC 1661 section 5: the negotiation

@case("rfc1661.confreq.identifier")
def _(ex, broken):
    ex.discovery()
    ex.lcp("client", conf(1, 1, CLIENT_LCP))
    ex.wait(3)
    ex.lcp("client", conf(1, 1 if broken else 2, [mru(1400), magic(MAGIC_CLIENT)]))
    return Expect("client", (5, 6))


@case("rfc1661.confack.identifier")
def _(ex, broken):
    ex.discovery()
    ex.lcp("ac", conf(1, 1, ac_lcp()))
    n = ex.lcp("client", conf(2, 2 if broken else 1, ac_lcp()))
    return Expect("client", (n,))


@case("rfc1661.confack.options")
def _(ex, broken):
    ex.discovery()
    ex.lcp("ac", conf(1, 1, ac_lcp()))
    acked = list(reversed(ac_lcp())) if broken else ac_lcp()
    n = ex.lcp("client", conf(2, 1, acked))
    return Expect("client", (n,))


@case("rfc1661.confnak.identifier")
def _(ex, broken):
    ex.discovery()
    ex.lcp("client", conf(1, 1, [mru(1400), magic(MAGIC_CLIENT)]))
    n = ex.lcp("ac", conf(3, 9 if broken else 1, [mru(1492)]))
    return Expect("ac", (n,))


@case("rfc1661.confrej.identifier")
def _(ex, broken):
    ex.discovery()
    ex.lcp("client", conf(1, 1, CLIENT_LCP))
    n = ex.lcp("ac", conf(4, 9 if broken else 1, [magic(MAGIC_CLIENT)]))
    return Expect("ac", (n,))


@case("rfc1661.confrej.options")
def _(ex, broken):
    ex.discovery()
    ex.lcp("client", conf(1, 1, CLIENT_LCP))
    n = ex.lcp("ac", conf(4, 1, [magic(MAGIC_CLIENT + 1 if broken else MAGIC_CLIENT)]))
    return Expect("ac", (n,))


@case("rfc1661.confnak.with_reject")
def _(ex, broken):
    ex.discovery()
    ex.lcp("client", conf(1, 1, [mru(1400), magic(MAGIC_CLIENT)]))
    nak = ex.lcp("ac", conf(3, 1, [mru(1492)]))
    if not broken:
        ex.lcp("client", conf(1, 2, [mru(1492), magic(MAGIC_CLIENT)]))
    n = ex.lcp("ac", conf(4, 1 if broken else 2, [magic(MAGIC_CLIENT)]))
    return Expect("ac", (nak, n))


@case("rfc1661.termack.identifier")
def _(ex, broken):
    ex.up()
    tr = ex.lcp("client", PPP_LCP_Terminate(code=5, id=4))
    n = ex.lcp("ac", PPP_LCP_Terminate(code=6, id=5 if broken else 4))
    return Expect("ac", (tr, n))


@case("rfc1661.code_reject.copy")
def _(ex, broken):
    ex.up()
    unknown = control(0x20, 3, b"hello")
    first = ex.raw_session("client", b"\xc0\x21" + unknown)
    copy = control(0x20, 4, b"other") if broken else unknown
    n = ex.lcp("ac", PPP_LCP_Code_Reject(id=1, rejected_packet=copy))
    return Expect("ac", (first, n))


@case("rfc1661.code_reject.known_code")
def _(ex, broken):
    ex.up()
    packet = PPP_LCP_Echo(code=9, id=3, magic_number=MAGIC_CLIENT) if broken else PPP_LCP(code=12, id=3,
                                                                                          data=b"\0\0\0\0hi")
    ex.lcp("client", packet)
    n = ex.lcp("ac", PPP_LCP_Code_Reject(id=1, rejected_packet=bytes(packet)))
    return Expect("ac", (n,))


@case("rfc1661.protocol_reject.opened")
def _(ex, broken):
    ex.discovery()
    ex.lcp("ac", conf(1, 1, ac_lcp()))
    ex.lcp("client", conf(1, 1, CLIENT_LCP))
    ex.lcp("ac", conf(2, 1, CLIENT_LCP))
    if not broken:
        ex.lcp("client", conf(2, 1, ac_lcp()))
    ex.ppp("client", 0x4021, Raw(b"odd protocol"))
    n = ex.lcp("ac", PPP_LCP_Protocol_Reject(id=2, rejected_protocol=0x4021, rejected_information=b"odd protocol"))
    return Expect("ac", (n,))


@case("rfc1661.protocol_reject.lcp")
def _(ex, broken):
    ex.up()
    rejected = LCP if broken else 0x4021
    ex.ppp("client", rejected, Raw(b"\x0c\x01\x00\x08\0\0\0\0"))
    n = ex.lcp("ac", PPP_LCP_Protocol_Reject(id=2, rejected_protocol=rejected,
                                             rejected_information=b"\x0c\x01\x00\x08\0\0\0\0"))
    return Expect("ac", (n,))


@case("rfc1661.protocol_reject.copy")
def _(ex, broken):
    ex.up()
    ccp = control(1, 1, b"\x1a\x04\x78\x00")
    first = ex.ppp("client", CCP, Raw(ccp))
    info = control(1, 7, b"") if broken else ccp
    n = ex.lcp("ac", PPP_LCP_Protocol_Reject(id=2, rejected_protocol=CCP, rejected_information=info))
    return Expect("ac", (first, n))


@case("rfc1661.protocol_reject.honoured")
def _(ex, broken):
    ex.up()
    ccp = control(1, 1, b"\x1a\x04\x78\x00")
    ex.ppp("client", CCP, Raw(ccp))
    pr = ex.lcp("ac", PPP_LCP_Protocol_Reject(id=2, rejected_protocol=CCP, rejected_information=ccp))
    ex.wait(3 if broken else 0.2)  # one more packet may already be in flight
    n = ex.ppp("client", CCP, Raw(control(1, 2, b"\x15\x03\x2f")))
    return Expect("client", (pr, n))


@case("rfc1661.echo.opened")
def _(ex, broken):
    ex.discovery()
    ex.lcp("ac", conf(1, 1, ac_lcp()))
    ex.lcp("client", conf(1, 1, CLIENT_LCP))
    ex.lcp("client", conf(2, 1, ac_lcp()))
    if not broken:
        ex.lcp("ac", conf(2, 1, CLIENT_LCP))
    n = ex.lcp("client", PPP_LCP_Echo(code=9, id=1, magic_number=MAGIC_CLIENT))
    return Expect("client", (n,))


@case("rfc1661.echo.identifier")
def _(ex, broken):
    ex.up()
    ex.lcp("client", PPP_LCP_Echo(code=9, id=1, magic_number=MAGIC_CLIENT))
    n = ex.lcp("ac", PPP_LCP_Echo(code=10, id=2 if broken else 1, magic_number=MAGIC_AC))
    return Expect("ac", (n,))


@case("rfc1661.echo.magic")
def _(ex, broken):
    ex.up()
    ex.lcp("client", PPP_LCP_Echo(code=9, id=1, magic_number=MAGIC_CLIENT))
    n = ex.lcp("ac", PPP_LCP_Echo(code=10, id=1, magic_number=MAGIC_CLIENT if broken else MAGIC_AC))
    ex.lcp("client", PPP_LCP_Discard_Request(id=2, magic_number=MAGIC_CLIENT))
    return Expect("ac", (n,))


# RFC 1661 section 3: phases

@case("rfc1661.phase.ncp_before_lcp")
def _(ex, broken):
    ex.discovery()
    ex.lcp("ac", conf(1, 1, ac_lcp(None)))
    ex.lcp("client", conf(1, 1, CLIENT_LCP))
    ex.lcp("client", conf(2, 1, ac_lcp(None)))
    if not broken:
        ex.lcp("ac", conf(2, 1, CLIENT_LCP))
    n = ex.ppp("client", IPCP, ipcp(1, 1, [addr("0.0.0.0")]))
    return Expect("client", (n,))


@case("rfc1661.phase.auth_before_lcp")
def _(ex, broken):
    ex.discovery()
    ex.lcp("ac", conf(1, 1, ac_lcp()))
    ex.lcp("client", conf(1, 1, CLIENT_LCP))
    if not broken:
        ex.lcp("client", conf(2, 1, ac_lcp()))
    ex.lcp("ac", conf(2, 1, CLIENT_LCP))
    n = ex.ppp("ac", CHAP, PPP_CHAP_ChallengeResponse(code=1, id=7, value=b"c" * 16, optional_name=b"ac"))
    return Expect("ac", (n,))


@case("rfc1661.phase.ncp_before_auth")
def _(ex, broken):
    ex.discovery()
    ex.lcp_open()
    ex.ppp("ac", CHAP, PPP_CHAP_ChallengeResponse(code=1, id=7, value=b"c" * 16, optional_name=b"ac"))
    ex.ppp("client", CHAP, PPP_CHAP_ChallengeResponse(code=2, id=7, value=b"r" * 16, optional_name=b"al"))
    # Broken: the IPCP request goes out before the Success, which is judged when the Success shows.
    first = ex.ppp("ac", CHAP, PPP_CHAP(code=3, id=7, data=b"ok")) if not broken else 0
    ncp = ex.ppp("ac", IPCP, ipcp(1, 1, [addr("10.0.0.1")]))
    success = ex.ppp("ac", CHAP, PPP_CHAP(code=3, id=7, data=b"ok")) if broken else first
    return Expect("ac", (ncp, success))


@case("rfc1661.network.before_ncp")
def _(ex, broken):
    ex.up()
    ccp = [control(1, 1, b""), control(2, 1, b"")]
    ex.ppp("client", CCP, Raw(ccp[0]))
    ex.ppp("ac", CCP, Raw(ccp[0]))
    ex.ppp("ac", CCP, Raw(ccp[1]))
    if not broken:
        ex.ppp("client", CCP, Raw(ccp[1]))
    n = ex.ppp("ac", 0x00FD, Raw(b"compressed"))
    return Expect("ac", (n,))


@case("rfc1332.ip.before_open")
def _(ex, broken):
    ex.discovery()
    ex.lcp_open()
    ex.authenticate()
    ex.ppp("ac", IPCP, ipcp(1, 1, [addr("10.0.0.1")]))
    ex.ppp("client", IPCP, ipcp(1, 1, [addr("10.0.0.100")]))
    ex.ppp("client", IPCP, ipcp(2, 1, [addr("10.0.0.1")]))
    if not broken:
        ex.ppp("ac", IPCP, ipcp(2, 1, [addr("10.0.0.100")]))
    n = ex.ppp("client", IPV4, Raw(ICMP_ECHO))
    return Expect("client", (n,))


@case("rfc5072.ipv6.before_open")
def _(ex, broken):
    ex.up()
    ex.ppp("ac", IPV6CP, Raw(control(1, 1, iid_option(b"\xaa" * 8))))
    ex.ppp("client", IPV6CP, Raw(control(1, 1, iid_option(b"\xbb" * 8))))
    ex.ppp("client", IPV6CP, Raw(control(2, 1, iid_option(b"\xaa" * 8))))
    if not broken:
        ex.ppp("ac", IPV6CP, Raw(control(2, 1, iid_option(b"\xbb" * 8))))
    n = ex.ppp("client", IPV6, Raw(b"\x60" + bytes(39)))
    return Expect("client", (n,))


# RFC 1661 section 4.6: timer and counters

@case("rfc1661.timer.configure")
def _(ex, broken):
    ex.discovery()
    first = ex.lcp("client", conf(1, 1, CLIENT_LCP))
    n = ex.lcp("client", conf(1, 1, CLIENT_LCP), dt=0.2 if broken else 3.0)
    return Expect("client", (first, n))


@case("rfc1661.timer.terminate")
def _(ex, broken):
    ex.up()
    first = ex.lcp("client", PPP_LCP_Terminate(code=5, id=2))
    n = ex.lcp("client", PPP_LCP_Terminate(code=5, id=2), dt=0.2 if broken else 3.0)
    return Expect("client", (first, n))


@case("rfc1661.counter.max_configure")
def _(ex, broken):
    ex.discovery()
    for ident in range(1, 12 if broken else 11):
        n = ex.lcp("client", conf(1, ident, CLIENT_LCP), dt=3.0)
    return Expect("client", (n,))


@case("rfc1661.counter.max_terminate")
def _(ex, broken):
    ex.up()
    for _ in range(4 if broken else 3):
        n = ex.lcp("client", PPP_LCP_Terminate(code=5, id=2), dt=3.0)
    return Expect("client", (n,))


# RFC 1994: CHAP

@case("rfc1994.packet.format")
def _(ex, broken):
    ex.discovery()
    ex.lcp_open()
    challenge = PPP_CHAP_ChallengeResponse(code=1, id=7, value=b"c" * 16, value_size=40 if broken else 16,
                                           optional_name=b"ac")
    n = ex.ppp("ac", CHAP, challenge)
    return Expect("ac", (n,))


@case("rfc1994.negotiated")
def _(ex, broken):
    ex.discovery()
    ex.lcp_open(auth=None if broken else "chap")
    n = ex.ppp("ac", CHAP, PPP_CHAP_ChallengeResponse(code=1, id=7, value=b"c" * 16, optional_name=b"ac"))
    return Expect("ac", (n,))


@case("rfc1994.role")
def _(ex, broken):
    ex.discovery()
    ex.lcp_open()
    n = ex.ppp("client" if broken else "ac", CHAP,
               PPP_CHAP_ChallengeResponse(code=1, id=7, value=b"c" * 16, optional_name=b"x"))
    return Expect("client", (n,))


@case("rfc1994.response.identifier")
def _(ex, broken):
    ex.discovery()
    ex.lcp_open()
    ex.ppp("ac", CHAP, PPP_CHAP_ChallengeResponse(code=1, id=7, value=b"c" * 16, optional_name=b"ac"))
    n = ex.ppp("client", CHAP, PPP_CHAP_ChallengeResponse(code=2, id=8 if broken else 7, value=b"r" * 16,
                                                          optional_name=b"al"))
    return Expect("client", (n,))


@case("rfc1994.response.md5_size")
def _(ex, broken):
    ex.discovery()
    ex.lcp_open()
    ex.ppp("ac", CHAP, PPP_CHAP_ChallengeResponse(code=1, id=7, value=b"c" * 16, optional_name=b"ac"))
    n = ex.ppp("client", CHAP, PPP_CHAP_ChallengeResponse(code=2, id=7, value=b"r" * (20 if broken else 16),
                                                          optional_name=b"al"))
    return Expect("client", (n,))


@case("rfc1994.result.identifier")
def _(ex, broken):
    ex.discovery()
    ex.lcp_open()
    ex.ppp("ac", CHAP, PPP_CHAP_ChallengeResponse(code=1, id=7, value=b"c" * 16, optional_name=b"ac"))
    ex.ppp("client", CHAP, PPP_CHAP_ChallengeResponse(code=2, id=7, value=b"r" * 16, optional_name=b"al"))
    n = ex.ppp("ac", CHAP, PPP_CHAP(code=3, id=9 if broken else 7, data=b"ok"))
    return Expect("ac", (n,))


@case("rfc1994.challenge.unique")
def _(ex, broken):
    ex.up()
    first = ex.ppp("ac", CHAP, PPP_CHAP_ChallengeResponse(code=1, id=8, value=b"v" * 16, optional_name=b"ac"))
    ex.ppp("client", CHAP, PPP_CHAP_ChallengeResponse(code=2, id=8, value=b"r" * 16, optional_name=b"al"))
    ex.ppp("ac", CHAP, PPP_CHAP(code=3, id=8, data=b"ok"))
    ex.wait(60)
    n = ex.ppp("ac", CHAP, PPP_CHAP_ChallengeResponse(code=1, id=9, value=b"v" * 16 if broken else b"w" * 16,
                                                      optional_name=b"ac"))
    return Expect("ac", (first, n))


# RFC 1334: PAP

@case("rfc1334.packet.format")
def _(ex, broken):
    ex.discovery()
    ex.lcp_open(auth="pap")
    request = PPP_PAP_Request(id=1, username=b"alice", password=b"secret", passwd_len=30 if broken else 6)
    n = ex.ppp("client", PAP, request)
    return Expect("client", (n,))


@case("rfc1334.negotiated")
def _(ex, broken):
    ex.discovery()
    ex.lcp_open(auth=None if broken else "pap")
    n = ex.ppp("client", PAP, PPP_PAP_Request(id=1, username=b"alice", password=b"secret"))
    return Expect("client", (n,))


@case("rfc1334.role")
def _(ex, broken):
    ex.discovery()
    ex.lcp_open(auth="pap")
    n = ex.ppp("ac" if broken else "client", PAP, PPP_PAP_Request(id=1, username=b"alice", password=b"secret"))
    return Expect("ac", (n,))


@case("rfc1334.reply.identifier")
def _(ex, broken):
    ex.discovery()
    ex.lcp_open(auth="pap")
    ex.ppp("client", PAP, PPP_PAP_Request(id=1, username=b"alice", password=b"secret"))
    n = ex.ppp("ac", PAP, PPP_PAP_Response(code=2, id=2 if broken else 1, message=b"ok"))
    return Expect("ac", (n,))


# RFC 1332 and RFC 1877: IPCP

@case("rfc1332.codes")
def _(ex, broken):
    ex.up()
    n = ex.ppp("client", IPCP, Raw(control(9 if broken else 7, 3, control(0x20, 1))))
    return Expect("client", (n,), also={"rfc1661.code_reject.copy"})


def _ipcp_request(ex, options, sender="client"):
    ex.discovery()
    ex.lcp_open()
    ex.authenticate()
    return ex.ppp(sender, IPCP, ipcp(1, 1, options))


@case("rfc1332.ip_address.length")
def _(ex, broken):
    n = _ipcp_request(ex, [PPP_IPCP_Option(type=3, data=b"\0\0\0\0\0" if broken else b"\0\0\0\0")])
    return Expect("client", (n,))


@case("rfc1332.ip_address.nak")
def _(ex, broken):
    _ipcp_request(ex, [addr("0.0.0.0")])
    n = ex.ppp("ac", IPCP, ipcp(3, 1, [addr("0.0.0.0" if broken else "10.0.0.100")]))
    return Expect("ac", (n,))


@case("rfc1332.ip_addresses.deprecated")
def _(ex, broken):
    option = PPP_IPCP_Option(type=1, data=bytes(8)) if broken else addr("0.0.0.0")
    n = _ipcp_request(ex, [option])
    return Expect("client", (n,))


@case("rfc1332.compression.length")
def _(ex, broken):
    n = _ipcp_request(ex, [PPP_IPCP_Option(type=2, data=b"\x00\x2d" if broken else b"\x00\x2d\x0f\x01")])
    return Expect("client", (n,))


@case("rfc1332.compression.unknown")
def _(ex, broken):
    compression = PPP_IPCP_Option(type=2, data=b"\x12\x34")
    _ipcp_request(ex, [addr("10.0.0.100"), compression])
    reply = ipcp(2, 1, [addr("10.0.0.100"), compression]) if broken else ipcp(4, 1, [compression])
    n = ex.ppp("ac", IPCP, reply)
    return Expect("ac", (n,))


@case("rfc1877.option.length")
def _(ex, broken):
    n = _ipcp_request(ex, [addr("0.0.0.0"), PPP_IPCP_Option(type=129, data=b"\0\0" if broken else b"\0\0\0\0")])
    return Expect("client", (n,))


@case("rfc1877.nak.address")
def _(ex, broken):
    _ipcp_request(ex, [addr("0.0.0.0"), PPP_IPCP_Option_DNS1(data="0.0.0.0")])
    n = ex.ppp("ac", IPCP, ipcp(3, 1, [addr("10.0.0.100"), PPP_IPCP_Option_DNS1(data="0.0.0.0" if broken
                                                                                    else "10.0.0.53")]))
    return Expect("ac", (n,))


# RFC 5072: IPv6CP

def _ipv6cp_request(ex, iid: bytes, sender="client"):
    ex.up()
    return ex.ppp(sender, IPV6CP, Raw(control(1, 1, iid_option(iid))))


@case("rfc5072.codes")
def _(ex, broken):
    ex.up()
    n = ex.ppp("client", IPV6CP, Raw(control(10 if broken else 6, 3)))
    return Expect("client", (n,))


@case("rfc5072.iid.length")
def _(ex, broken):
    n = _ipv6cp_request(ex, b"\xbb" * (4 if broken else 8))
    return Expect("client", (n,))


@case("rfc5072.iid.ack_zero")
def _(ex, broken):
    _ipv6cp_request(ex, bytes(8))
    reply = control(2, 1, iid_option(bytes(8))) if broken else control(3, 1, iid_option(b"\xcc" * 8))
    n = ex.ppp("ac", IPV6CP, Raw(reply))
    return Expect("ac", (n,))


@case("rfc5072.iid.nak")
def _(ex, broken):
    ex.up()
    ex.ppp("ac", IPV6CP, Raw(control(1, 1, iid_option(b"\xaa" * 8))))
    ex.ppp("client", IPV6CP, Raw(control(1, 1, iid_option(b"\xaa" * 8))))
    n = ex.ppp("ac", IPV6CP, Raw(control(3, 1, iid_option(bytes(8) if broken else b"\xcc" * 8))))
    return Expect("ac", (n,))


@case("rfc5072.iid.distinct")
def _(ex, broken):
    ex.up()
    mine, theirs = b"\xaa" * 8, (b"\xaa" if broken else b"\xbb") * 8
    ex.ppp("ac", IPV6CP, Raw(control(1, 1, iid_option(mine))))
    ex.ppp("client", IPV6CP, Raw(control(1, 1, iid_option(theirs))))
    ex.ppp("client", IPV6CP, Raw(control(2, 1, iid_option(mine))))
    n = ex.ppp("ac", IPV6CP, Raw(control(2, 1, iid_option(theirs))))
    return Expect("ac", (n,))


# IPv6 over the session: ICMPv6 router discovery (RFC 4861, RFC 4443) and DHCPv6 (RFC 8415)

LL_CLIENT, LL_AC = "fe80::bbbb:bbbb:bbbb:bbbb", "fe80::aaaa:aaaa:aaaa:aaaa"
ALL_NODES, ALL_ROUTERS, ALL_DHCP = "ff02::1", "ff02::2", "ff02::1:2"


def ipv6cp_open(ex) -> None:
    ex.ppp("ac", IPV6CP, Raw(control(1, 1, iid_option(b"\xaa" * 8))))
    ex.ppp("client", IPV6CP, Raw(control(1, 1, iid_option(b"\xbb" * 8))))
    ex.ppp("client", IPV6CP, Raw(control(2, 1, iid_option(b"\xaa" * 8))))
    ex.ppp("ac", IPV6CP, Raw(control(2, 1, iid_option(b"\xbb" * 8))))


def v6_up(ex) -> None:
    ex.up()
    ipv6cp_open(ex)


def ip6(ex, sender, pkt) -> int:
    return ex.ppp(sender, IPV6, pkt)


def rs(hlim=255, src=LL_CLIENT, **icmp):
    return IPv6(src=src, dst=ALL_ROUTERS, hlim=hlim) / ICMPv6ND_RS(**icmp)


def ra(src=LL_AC, hlim=255, options=None, **icmp):
    opts = ICMPv6NDOptPrefixInfo(prefix="2001:db8:0:1::", prefixlen=64) if options is None else options
    return IPv6(src=src, dst=ALL_NODES, hlim=hlim) / ICMPv6ND_RA(**icmp) / opts


def client_id(mac=HOST):
    return DHCP6OptClientId(duid=DUID_LL(lladdr=mac))


def server_id():
    return DHCP6OptServerId(duid=DUID_LL(lladdr=AC))


def ia_pd(iaid=1, granted=False):
    inner = [DHCP6OptIAPrefix(prefix="2001:db8:100::", plen=56)] if granted else []
    return DHCP6OptIA_PD(iaid=iaid, iapdopt=inner)


def ia_na(iaid=1, granted=False):
    inner = [DHCP6OptIAAddress(addr="2001:db8:0:1::100")] if granted else []
    return DHCP6OptIA_NA(iaid=iaid, ianaopts=inner)


def dhcp_client(ex, message, sport=546, dport=547, **udp) -> int:
    return ip6(ex, "client", IPv6(src=LL_CLIENT, dst=ALL_DHCP) / UDP(sport=sport, dport=dport, **udp) / message)


def dhcp_server(ex, message, sport=547, dport=546) -> int:
    return ip6(ex, "ac", IPv6(src=LL_AC, dst=LL_CLIENT) / UDP(sport=sport, dport=dport) / message)



def dhcpv6_pd(ex) -> None:
    """Solicit, Advertise, Request, Reply: a delegated prefix, as RFC 8415 §18 runs it."""
    dhcp_client(ex, DHCP6_Solicit(trid=1) / client_id() / ia_pd())
    dhcp_server(ex, DHCP6_Advertise(trid=1) / client_id() / server_id() / ia_pd(granted=True))
    dhcp_client(ex, DHCP6_Request(trid=2) / client_id() / server_id() / ia_pd(granted=True))
    dhcp_server(ex, DHCP6_Reply(trid=2) / client_id() / server_id() / ia_pd(granted=True))


@case("rfc5072.ipv6.packet")
def _(ex, broken):
    v6_up(ex)
    pkt = Raw(b"\x40" + bytes(39)) if broken else IPv6(src=LL_CLIENT, dst=LL_AC) / ICMPv6EchoRequest()
    n = ip6(ex, "client", pkt)
    return Expect("client", (n,))


@case("rfc4861.nd.hop_limit")
def _(ex, broken):
    v6_up(ex)
    n = ip6(ex, "client", rs(hlim=64 if broken else 255))
    return Expect("client", (n,))


@case("rfc4861.nd.code")
def _(ex, broken):
    v6_up(ex)
    ip6(ex, "client", rs())
    n = ip6(ex, "ac", ra(code=1 if broken else 0))
    return Expect("ac", (n,))


@case("rfc4861.nd.options")
def _(ex, broken):
    v6_up(ex)
    n = ip6(ex, "ac", ra(options=ICMPv6NDOptPrefixInfo(len=0 if broken else 4, prefix="2001:db8:0:1::")))
    return Expect("ac", (n,))


@case("rfc4861.ra.source")
def _(ex, broken):
    v6_up(ex)
    n = ip6(ex, "ac", ra(src="2001:db8::1" if broken else LL_AC))
    return Expect("ac", (n,))


@case("rfc4861.ra.from_ac")
def _(ex, broken):
    v6_up(ex)
    n = ip6(ex, "client" if broken else "ac", ra(src=LL_CLIENT if broken else LL_AC))
    return Expect("client", (n,))


@case("rfc4443.checksum")
def _(ex, broken):
    v6_up(ex)
    n = ip6(ex, "client", rs(**({"cksum": 0x1234} if broken else {})))
    return Expect("client", (n,))


@case("rfc8200.udp.checksum")
def _(ex, broken):
    v6_up(ex)
    n = dhcp_client(ex, DHCP6_Solicit(trid=1) / client_id() / ia_pd(), **({"chksum": 0x1234} if broken else {}))
    return Expect("client", (n,))


@case("rfc8415.format")
def _(ex, broken):
    v6_up(ex)
    # A Client Identifier option whose length runs past the end of the message.
    truncated = Raw(bytes.fromhex("01000001") + bytes.fromhex("00010020") + bytes(4))
    n = dhcp_client(ex, truncated if broken else DHCP6_Solicit(trid=1) / client_id())
    return Expect("client", (n,))


@case("rfc8415.udp.ports")
def _(ex, broken):
    v6_up(ex)
    n = dhcp_client(ex, DHCP6_Solicit(trid=1) / client_id() / ia_pd(), dport=548 if broken else 547)
    return Expect("client", (n,))


@case("rfc8415.udp.source_port")
def _(ex, broken):
    v6_up(ex)
    dhcp_client(ex, DHCP6_Solicit(trid=1) / client_id() / ia_pd())
    n = dhcp_server(ex, DHCP6_Advertise(trid=1) / client_id() / server_id() / ia_pd(granted=True),
                    sport=40000 if broken else 547)
    return Expect("ac", (n,))


@case("rfc8415.client.client_id")
def _(ex, broken):
    v6_up(ex)
    n = dhcp_client(ex, DHCP6_Solicit(trid=1) / ia_pd() if broken else DHCP6_Solicit(trid=1) / client_id() / ia_pd())
    return Expect("client", (n,))


@case("rfc8415.solicit.server_id")
def _(ex, broken):
    v6_up(ex)
    dhcpv6_pd(ex)
    rebind = DHCP6_Rebind(trid=3) / client_id() / ia_pd(granted=True)
    n = dhcp_client(ex, rebind / server_id() if broken else rebind)
    return Expect("client", (n,))


@case("rfc8415.request.server_id")
def _(ex, broken):
    v6_up(ex)
    dhcpv6_pd(ex)
    renew = DHCP6_Renew(trid=3) / client_id() / ia_pd(granted=True)
    n = dhcp_client(ex, renew if broken else renew / server_id())
    return Expect("client", (n,))


@case("rfc8415.reply.xid")
def _(ex, broken):
    v6_up(ex)
    dhcp_client(ex, DHCP6_Solicit(trid=0x010203) / client_id() / ia_pd())
    n = dhcp_server(ex, DHCP6_Advertise(trid=0x0A0B0C if broken else 0x010203) / client_id() / server_id()
                    / ia_pd(granted=True))
    return Expect("ac", (n,))


@case("rfc8415.reply.server_id")
def _(ex, broken):
    v6_up(ex)
    dhcp_client(ex, DHCP6_Solicit(trid=1) / client_id() / ia_pd())
    head = DHCP6_Advertise(trid=1) / client_id()
    n = dhcp_server(ex, (head if broken else head / server_id()) / ia_pd(granted=True))
    return Expect("ac", (n,))


@case("rfc8415.reply.client_id")
def _(ex, broken):
    v6_up(ex)
    dhcp_client(ex, DHCP6_Solicit(trid=1) / client_id() / ia_pd())
    echoed = client_id("02:00:00:00:00:99" if broken else HOST)
    n = dhcp_server(ex, DHCP6_Advertise(trid=1) / echoed / server_id() / ia_pd(granted=True))
    return Expect("ac", (n,))


@case("rfc8415.reply.iaid")
def _(ex, broken):
    v6_up(ex)
    # Rapid commit (RFC 8415 §18.3.1): the Reply answers the Solicit, which asked for IA_NA 1 and IA_PD 1.
    dhcp_client(ex, DHCP6_Solicit(trid=1) / client_id() / DHCP6OptRapidCommit() / ia_na() / ia_pd())
    n = dhcp_server(ex, DHCP6_Reply(trid=1) / client_id() / server_id() / DHCP6OptRapidCommit()
                    / ia_na(granted=True) / ia_pd(iaid=2 if broken else 1, granted=True))
    return Expect("ac", (n,))


# -- the tests ------------------------------------------------------------------------------------

def _found(ex: Exchange):
    return ex.check()


@pytest.mark.parametrize("rule_id", sorted(CASES))
def test_breaking_the_rule_is_reported(rule_id):
    ex = Exchange()
    expect = CASES[rule_id](ex, True)
    found = _found(ex)
    mine = [v for v in found if v.rule == rule_id]
    assert mine, f"{rule_id} not reported; found {found}"
    assert {v.rule for v in found} <= {rule_id} | expect.also, found
    v = mine[0]
    assert (v.side, v.frames) == (expect.side, expect.frames), v
    assert (v.rfc, v.level) == (RULES[rule_id].rfc, RULES[rule_id].level)
    assert v.message and "\n" not in v.message


@pytest.mark.parametrize("rule_id", sorted(CASES))
def test_keeping_the_rule_is_not_reported(rule_id):
    ex = Exchange()
    expect = CASES[rule_id](ex, False)
    found = _found(ex)
    assert {v.rule for v in found} <= expect.also - {rule_id}, found


def test_every_rule_has_a_case_and_every_case_a_rule():
    assert set(CASES) == set(RULES)


def test_there_are_enough_rules_and_both_levels():
    assert len(RULES) >= 40
    assert {r.level for r in RULES.values()} == {"MUST", "SHOULD"}
    for r in RULES.values():
        assert r.rfc.startswith("RFC ") and ("§" in r.rfc or "Appendix" in r.rfc) and r.summary, r


@pytest.mark.parametrize("auth", ["chap", "pap"])
def test_a_clean_full_exchange_has_no_violation(auth):
    ex = Exchange()
    ex.up(auth)
    ex.ping()
    ex.echo(1)
    ex.wait(1)
    ex.echo(2)
    ex.terminate()
    assert ex.check() == []


def test_the_same_exchange_inside_a_vlan_has_no_violation():
    ex = Exchange(vlan=100)
    ex.full()
    assert ex.check() == []


def test_an_ac_answering_on_a_tagged_stack_an_untagged_host_is_reported_once_per_kind():
    # Captures show the tags of both directions (from PACKET_AUXDATA), so tags on the AC's frames
    # only mean the AC answers on another stack: once for the PADO, the PADS and the session.
    ex = Exchange(vlan=100)
    ex.full()
    host = bytes.fromhex(HOST.replace(":", ""))
    one_way = [(ts, f[:12] + f[16:] if f[6:12] == host else f) for ts, f in ex.frames]
    found = check_frames(one_way)
    assert [(v.rule, v.side, v.frames) for v in found] == [
        ("rfc2516.vlan.same_stack", "ac", (1, 2)), ("rfc2516.vlan.same_stack", "ac", (3, 4)),
        ("rfc2516.vlan.same_stack", "ac", (4, 5))]


def test_a_fault_inside_a_vlan_is_reported_with_the_vlan():
    ex = Exchange(vlan=100)
    ex.up()
    ex.lcp("client", PPP_LCP_Echo(code=9, id=1, magic_number=MAGIC_CLIENT))
    ex.lcp("ac", PPP_LCP_Echo(code=10, id=1, magic_number=MAGIC_CLIENT))
    (v,) = ex.check()
    assert v.rule == "rfc1661.echo.magic" and v.session.endswith("vlan 100")
    assert v.session.startswith(f"{HOST} <-> {AC} sid 0x0001")


@pytest.mark.parametrize("result", [None, "failure"])
def test_an_ncp_packet_before_the_response_or_after_a_failure_is_reported_at_once(result):
    ex = Exchange()
    ex.discovery()
    ex.lcp_open()
    ex.ppp("ac", CHAP, PPP_CHAP_ChallengeResponse(code=1, id=7, value=b"c" * 16, optional_name=b"ac"))
    if result == "failure":
        ex.ppp("client", CHAP, PPP_CHAP_ChallengeResponse(code=2, id=7, value=b"r" * 16, optional_name=b"al"))
        ex.ppp("ac", CHAP, PPP_CHAP(code=4, id=7, data=b"no"))
    n = ex.ppp("ac", IPCP, ipcp(1, 1, [addr("10.0.0.1")]))
    (v,) = ex.check()
    assert (v.rule, v.side, v.frames) == ("rfc1661.phase.ncp_before_auth", "ac", (n,))


def test_the_peer_waits_for_the_success_too():
    ex = Exchange()
    ex.discovery()
    ex.lcp_open()
    ex.ppp("ac", CHAP, PPP_CHAP_ChallengeResponse(code=1, id=7, value=b"c" * 16, optional_name=b"ac"))
    ex.ppp("client", CHAP, PPP_CHAP_ChallengeResponse(code=2, id=7, value=b"r" * 16, optional_name=b"al"))
    n = ex.ppp("client", IPCP, ipcp(1, 1, [addr("0.0.0.0")]))
    (v,) = ex.check()
    assert (v.rule, v.side, v.frames) == ("rfc1661.phase.ncp_before_auth", "client", (n,))
    assert "the peer's authentication" in v.message


def test_a_success_lost_before_the_capture_point_is_not_taken_for_an_early_ncp_packet():
    # As the client's tap shows it when the AC's first Success was lost on the way.
    ex = Exchange()
    ex.discovery()
    ex.lcp_open()
    ex.ppp("ac", CHAP, PPP_CHAP_ChallengeResponse(code=1, id=7, value=b"c" * 16, optional_name=b"ac"))
    ex.ppp("client", CHAP, PPP_CHAP_ChallengeResponse(code=2, id=7, value=b"r" * 16, optional_name=b"al"))
    ex.ppp("ac", IPCP, ipcp(1, 1, [addr("10.0.0.1")]))
    ex.wait(3)
    ex.ppp("client", CHAP, PPP_CHAP_ChallengeResponse(code=2, id=7, value=b"r" * 16, optional_name=b"al"))
    ex.ppp("ac", IPCP, ipcp(1, 2, [addr("10.0.0.1")]))
    ex.ppp("ac", CHAP, PPP_CHAP(code=3, id=7, data=b"ok"))
    assert ex.check() == []


def test_an_ack_lost_before_the_capture_point_does_not_make_its_sender_look_closed():
    # The AC's tap when the client's Configure-Ack was lost: the client is Opened all the same.
    ex = Exchange()
    ex.discovery()
    ex.lcp("ac", conf(1, 1, ac_lcp()))
    ex.lcp("client", conf(1, 1, CLIENT_LCP))
    ex.lcp("ac", conf(2, 1, CLIENT_LCP))
    ex.lcp("client", PPP_LCP_Echo(code=9, id=0, magic_number=MAGIC_CLIENT))
    ex.wait(3)
    ex.lcp("ac", conf(1, 1, ac_lcp()))
    ex.lcp("client", conf(1, 2, CLIENT_LCP))
    ex.lcp("client", conf(2, 1, ac_lcp()))
    ex.lcp("ac", conf(2, 2, CLIENT_LCP))
    ex.authenticate()
    ex.ipcp_open()
    assert ex.check() == []


def test_live_feeding_matches_check_frames():
    ex = Exchange()
    CASES["rfc1661.echo.magic"](ex, True)
    checker = Checker()
    for ts, frame in ex.frames:
        checker.feed(frame, ts)
    assert checker.violations == ex.check()
    assert checker.finish() == checker.violations


def test_a_clean_dual_stack_exchange_has_no_violation():
    ex = Exchange()
    v6_up(ex)
    ip6(ex, "client", rs())
    ip6(ex, "ac", ra())
    dhcpv6_pd(ex)
    renew = [client_id(), server_id(), ia_pd(granted=True)]
    dhcp_client(ex, DHCP6_Renew(trid=3) / renew[0] / renew[1] / renew[2])
    dhcp_server(ex, DHCP6_Reply(trid=3) / renew[0] / renew[1] / renew[2])
    ip6(ex, "client", IPv6(src=LL_CLIENT, dst=LL_AC) / ICMPv6EchoRequest())
    ex.terminate()
    assert ex.check() == []


def test_a_reply_whose_question_came_before_the_capture_is_not_blamed():
    ex = Exchange()
    v6_up(ex)
    late = Exchange()
    late.frames, late.ts = ex.frames[4:], ex.ts  # from LCP on: the session's start is not in the capture
    dhcp_server(late, DHCP6_Reply(trid=9) / client_id() / server_id() / ia_pd(iaid=5, granted=True))
    assert late.check() == []


def test_a_server_may_answer_the_port_a_client_sent_from():
    ex = Exchange()
    v6_up(ex)
    dhcp_client(ex, DHCP6_Solicit(trid=1) / client_id() / ia_pd(), sport=40000)
    n = dhcp_server(ex, DHCP6_Advertise(trid=1) / client_id() / server_id() / ia_pd(granted=True), dport=40000)
    assert [(v.rule, v.side) for v in ex.check()] == [("rfc8415.udp.source_port", "client")]
    assert n not in {f for v in ex.check() for f in v.frames}


def test_forwarded_icmpv6_is_not_the_forwarders_checksum_to_answer():
    ex = Exchange()
    v6_up(ex)
    ip6(ex, "ac", IPv6(src="2001:db8:ff::1", dst="2001:db8:0:1::100") / ICMPv6EchoRequest(cksum=0x1234))
    assert ex.check() == []
    ip6(ex, "ac", IPv6(src=LL_AC, dst=LL_CLIENT) / ICMPv6EchoRequest(cksum=0x1234))
    assert [v.rule for v in ex.check()] == ["rfc4443.checksum"]
