"""The DHCPv6 codec: round trips, scapy as an independent oracle both ways, and hostile bytes."""
import contextlib
import ipaddress

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scapy.layers.dhcp6 import (
    DUID_LL,
    DHCP6_Advertise,
    DHCP6_Rebind,
    DHCP6_Release,
    DHCP6_Renew,
    DHCP6_Reply,
    DHCP6_Request,
    DHCP6_Solicit,
    DHCP6OptClientId,
    DHCP6OptDNSServers,
    DHCP6OptElapsedTime,
    DHCP6OptIA_NA,
    DHCP6OptIA_PD,
    DHCP6OptIAAddress,
    DHCP6OptIAPrefix,
    DHCP6OptOptReq,
    DHCP6OptPref,
    DHCP6OptRapidCommit,
    DHCP6OptServerId,
    DHCP6OptStatusCode,
)

from pppemu import wire
from pppemu.wire import dhcpv6 as D

u32 = st.integers(0, 0xFFFFFFFF)
macs = st.binary(min_size=6, max_size=6)
addresses = st.binary(min_size=16, max_size=16)
statuses = st.builds(D.StatusCode, st.integers(0, 6), st.text(max_size=20))
status_options = st.one_of(st.just([]), statuses.map(lambda s: [(D.STATUS_CODE, D.encode_status_code(s))]))
ia_addresses = st.builds(D.IaAddress, addresses, u32, u32, status_options)
ia_prefixes = st.builds(D.IaPrefix, addresses, st.integers(0, 128), u32, u32, status_options)
ia_nas = st.builds(D.IaNa, u32, u32, u32, st.lists(ia_addresses, max_size=3), st.none() | statuses)
ia_pds = st.builds(D.IaPd, u32, u32, u32, st.lists(ia_prefixes, max_size=3), st.none() | statuses)
raw_options = st.lists(st.tuples(st.integers(0, 0xFFFF), st.binary(max_size=30)), max_size=6)

SCAPY_MESSAGES = {D.SOLICIT: DHCP6_Solicit, D.ADVERTISE: DHCP6_Advertise, D.REQUEST: DHCP6_Request,
                  D.RENEW: DHCP6_Renew, D.REBIND: DHCP6_Rebind, D.REPLY: DHCP6_Reply, D.RELEASE: DHCP6_Release}


def ip6(packed: bytes) -> str:
    return str(ipaddress.IPv6Address(packed))


def mac(packed: bytes) -> str:
    return wire.mac_str(packed)


# One message's worth of values, built by us and by scapy in the same option order.
exchanges = st.fixed_dictionaries({
    "msg_type": st.sampled_from(sorted(SCAPY_MESSAGES)), "xid": st.integers(0, 0xFFFFFF), "client": macs,
    "server": st.none() | macs, "ia_na": st.none() | ia_nas, "ia_pd": st.none() | ia_pds,
    "status": st.none() | statuses, "rapid": st.booleans(), "dns": st.lists(addresses, max_size=3),
    "elapsed": st.none() | st.integers(0, 0xFFFF), "oro": st.none() | st.lists(st.integers(0, 0xFFFF), max_size=4),
    "preference": st.none() | st.integers(0, 255),
})


def ours(ex) -> D.Message:
    options = [(D.CLIENTID, D.duid_ll(ex["client"]))]
    if ex["server"] is not None:
        options.append((D.SERVERID, D.duid_ll(ex["server"])))
    if ex["ia_na"] is not None:
        options.append((D.IA_NA, D.encode_ia_na(ex["ia_na"])))
    if ex["ia_pd"] is not None:
        options.append((D.IA_PD, D.encode_ia_pd(ex["ia_pd"])))
    if ex["status"] is not None:
        options.append((D.STATUS_CODE, D.encode_status_code(ex["status"])))
    if ex["rapid"]:
        options.append((D.RAPID_COMMIT, b""))
    if ex["dns"]:
        options.append((D.DNS_SERVERS, D.dns_servers(ex["dns"])))
    if ex["elapsed"] is not None:
        options.append((D.ELAPSED_TIME, D.elapsed_time(ex["elapsed"])))
    if ex["oro"] is not None:
        options.append((D.ORO, D.oro(ex["oro"])))
    if ex["preference"] is not None:
        options.append((D.PREFERENCE, bytes([ex["preference"]])))
    return D.Message(ex["msg_type"], ex["xid"], options)


def scapy_status(s: D.StatusCode):
    return DHCP6OptStatusCode(statuscode=s.code, statusmsg=s.message.encode())


def scapy_nested(options):
    return [scapy_status(D.decode_status_code(v)) for _, v in options]


def theirs(ex):
    pkt = SCAPY_MESSAGES[ex["msg_type"]](trid=ex["xid"]) / DHCP6OptClientId(duid=DUID_LL(lladdr=mac(ex["client"])))
    if ex["server"] is not None:
        pkt /= DHCP6OptServerId(duid=DUID_LL(lladdr=mac(ex["server"])))
    if (ia := ex["ia_na"]) is not None:
        inner = [DHCP6OptIAAddress(addr=ip6(a.address), preflft=a.preferred, validlft=a.valid,
                                   iaaddropts=scapy_nested(a.options)) for a in ia.addresses]
        pkt /= DHCP6OptIA_NA(iaid=ia.iaid, T1=ia.t1, T2=ia.t2,
                             ianaopts=inner + ([scapy_status(ia.status)] if ia.status else []))
    if (ia := ex["ia_pd"]) is not None:
        inner = [DHCP6OptIAPrefix(prefix=ip6(p.prefix), plen=p.length, preflft=p.preferred, validlft=p.valid,
                                  iaprefopts=scapy_nested(p.options)) for p in ia.prefixes]
        pkt /= DHCP6OptIA_PD(iaid=ia.iaid, T1=ia.t1, T2=ia.t2,
                             iapdopt=inner + ([scapy_status(ia.status)] if ia.status else []))
    if ex["status"] is not None:
        pkt /= scapy_status(ex["status"])
    if ex["rapid"]:
        pkt /= DHCP6OptRapidCommit()
    if ex["dns"]:
        pkt /= DHCP6OptDNSServers(dnsservers=[ip6(a) for a in ex["dns"]])
    if ex["elapsed"] is not None:
        pkt /= DHCP6OptElapsedTime(elapsedtime=ex["elapsed"])
    if ex["oro"] is not None:
        pkt /= DHCP6OptOptReq(reqopts=ex["oro"])
    if ex["preference"] is not None:
        pkt /= DHCP6OptPref(prefval=ex["preference"])
    return pkt


def assert_scapy_status(opt, s: D.StatusCode):
    assert (opt.statuscode, opt.statusmsg) == (s.code, s.message.encode())


def assert_scapy_nested(opts, options):
    assert len(opts) == len(options)
    for opt, (_, value) in zip(opts, options, strict=True):
        assert_scapy_status(opt, D.decode_status_code(value))


def assert_scapy_ia(opts, ia, kind):
    items = ia.addresses if kind == "na" else ia.prefixes
    assert len(opts) == len(items) + (ia.status is not None)
    for opt, item in zip(opts, items, strict=False):
        if kind == "na":
            assert (opt.addr, opt.preflft, opt.validlft) == (ip6(item.address), item.preferred, item.valid)
            assert_scapy_nested(opt.iaaddropts, item.options)
        else:
            assert (opt.prefix, opt.plen, opt.preflft, opt.validlft) == (ip6(item.prefix), item.length,
                                                                         item.preferred, item.valid)
            assert_scapy_nested(opt.iaprefopts, item.options)
    if ia.status is not None:
        assert_scapy_status(opts[-1], ia.status)


@settings(max_examples=300, deadline=None)
@given(ex=exchanges)
def test_we_encode_scapy_dissects(ex):
    pkt = SCAPY_MESSAGES[ex["msg_type"]](D.encode_message(ours(ex)))
    assert (pkt.msgtype, pkt.trid) == (ex["msg_type"], ex["xid"])
    duid = pkt[DHCP6OptClientId].duid
    assert (duid.type, duid.hwtype, duid.lladdr) == (3, 1, mac(ex["client"]))
    if ex["server"] is None:
        assert not pkt.haslayer(DHCP6OptServerId)
    else:
        assert pkt[DHCP6OptServerId].duid.lladdr == mac(ex["server"])
    if ex["ia_na"] is not None:
        opt = pkt[DHCP6OptIA_NA]
        assert (opt.iaid, opt.T1, opt.T2) == (ex["ia_na"].iaid, ex["ia_na"].t1, ex["ia_na"].t2)
        assert_scapy_ia(opt.ianaopts, ex["ia_na"], "na")
    if ex["ia_pd"] is not None:
        opt = pkt[DHCP6OptIA_PD]
        assert (opt.iaid, opt.T1, opt.T2) == (ex["ia_pd"].iaid, ex["ia_pd"].t1, ex["ia_pd"].t2)
        assert_scapy_ia(opt.iapdopt, ex["ia_pd"], "pd")
    if ex["status"] is not None:
        # the message's own status code comes after the IAs' nested ones
        top = [o for o in pkt.iterpayloads() if isinstance(o, DHCP6OptStatusCode)]
        assert_scapy_status(top[0], ex["status"])
    assert pkt.haslayer(DHCP6OptRapidCommit) == ex["rapid"]
    if ex["dns"]:
        assert pkt[DHCP6OptDNSServers].dnsservers == [ip6(a) for a in ex["dns"]]
    if ex["elapsed"] is not None:
        assert pkt[DHCP6OptElapsedTime].elapsedtime == ex["elapsed"]
    if ex["oro"] is not None:
        assert pkt[DHCP6OptOptReq].reqopts == ex["oro"]
    if ex["preference"] is not None:
        assert pkt[DHCP6OptPref].prefval == ex["preference"]


def typed(m: D.Message, code: int, decode):
    value = m.option(code)
    return None if value is None else decode(value)


@settings(max_examples=300, deadline=None)
@given(ex=exchanges)
def test_scapy_builds_we_decode(ex):
    m = D.decode_message(bytes(theirs(ex)))
    assert m == ours(ex)
    assert m.option(D.CLIENTID) == b"\x00\x03\x00\x01" + ex["client"]
    assert m.option(D.SERVERID) == (None if ex["server"] is None else D.duid_ll(ex["server"]))
    assert typed(m, D.IA_NA, D.decode_ia_na) == ex["ia_na"]
    assert typed(m, D.IA_PD, D.decode_ia_pd) == ex["ia_pd"]
    assert D.status_of(m.options) == ex["status"]
    assert (m.option(D.RAPID_COMMIT) == b"") == ex["rapid"]
    assert D.parse_dns_servers(m.option(D.DNS_SERVERS) or b"") == ex["dns"]
    if ex["elapsed"] is not None:
        assert int.from_bytes(m.option(D.ELAPSED_TIME), "big") == ex["elapsed"]
    if ex["oro"] is not None:
        assert D.parse_oro(m.option(D.ORO)) == ex["oro"]


@pytest.mark.parametrize("msg_type", range(1, 14))
@settings(max_examples=50, deadline=None)
@given(xid=st.integers(0, 0xFFFFFF), options=raw_options)
def test_every_message_type_round_trips(msg_type, xid, options):
    m = D.Message(msg_type, xid, options)
    assert D.decode_message(D.encode_message(m)) == m


@settings(max_examples=200, deadline=None)
@given(ia_na=ia_nas, ia_pd=ia_pds, address=ia_addresses, prefix=ia_prefixes, status=statuses,
       dns=st.lists(addresses, max_size=4), codes=st.lists(st.integers(0, 0xFFFF), max_size=6))
def test_every_option_kind_round_trips(ia_na, ia_pd, address, prefix, status, dns, codes):
    assert D.decode_ia_na(D.encode_ia_na(ia_na)) == ia_na
    assert D.decode_ia_pd(D.encode_ia_pd(ia_pd)) == ia_pd
    assert D.decode_ia_address(D.encode_ia_address(address)) == address
    assert D.decode_ia_prefix(D.encode_ia_prefix(prefix)) == prefix
    assert D.decode_status_code(D.encode_status_code(status)) == status
    assert D.status_of([(D.STATUS_CODE, D.encode_status_code(status))]) == status
    assert D.parse_dns_servers(D.dns_servers(dns)) == dns
    assert D.parse_oro(D.oro(codes)) == codes


def test_small_helpers():
    assert D.duid_ll(b"\x02\x00\x00\x00\x00\x01") == bytes.fromhex("00030001020000000001")
    assert D.elapsed_time(250) == b"\x00\xfa"
    assert D.elapsed_time(10**6) == b"\xff\xff"  # "longer than 0xFFFF" (RFC 8415 section 21.9)
    assert D.status_of([(D.CLIENTID, b"x")]) is None
    m = D.Message(D.REPLY, 1, [(D.DNS_SERVERS, b"a" * 16), (D.DNS_SERVERS, b"b" * 16)])
    assert m.option(D.DNS_SERVERS) == b"a" * 16 and m.all(D.DNS_SERVERS) == [b"a" * 16, b"b" * 16]
    assert m.option(D.SERVERID) is None and m.all(D.SERVERID) == []
    assert (m.name, D.Message(12, 0).name) == ("Reply", "type-12")
    assert D.decode_ia_na(D.encode_ia_na(D.IaNa(1, 2, 3)) + bytes.fromhex("00990000")) == D.IaNa(1, 2, 3)
    for bad in (lambda: D.duid_ll(b"\x02"), lambda: D.dns_servers([b"\0" * 4]),
                lambda: D.encode_ia_address(D.IaAddress(b"\0" * 4, 0, 0))):
        with pytest.raises(ValueError):
            bad()


@pytest.mark.parametrize("decoder, bad", [
    (D.decode_message, b"\x01\x00\x00"),                          # short header
    (D.decode_message, b"\x01\x00\x00\x01\x00\x01\x00\x05abcd"),  # option runs past the end
    (D.decode_message, b"\x01\x00\x00\x01\x00\x0e\x00\x00\x00"),  # trailing garbage after the last option
    (D.decode_ia_na, b"\0" * 11),
    (D.decode_ia_pd, b"\0" * 12 + b"\x00\x1a\x00\x01"),           # nested option overruns
    (D.decode_ia_pd, b"\0" * 12 + b"\x00\x1a\x00\x01\x00"),       # nested prefix too short
    (D.decode_ia_address, b"\0" * 23),
    (D.decode_ia_prefix, b"\0" * 24),
    (D.decode_ia_prefix, b"\0" * 8 + b"\x81" + b"\0" * 16),       # prefix length 129
    (D.decode_status_code, b"\x00"),
    (D.parse_dns_servers, b"\0" * 17),
    (D.parse_oro, b"\x00\x17\x00"),
])
def test_lying_lengths(decoder, bad):
    with pytest.raises(wire.DecodeError):
        decoder(bad)


def test_status_message_not_utf8_is_kept_visible():
    assert D.decode_status_code(b"\x00\x01\xffok") == D.StatusCode(1, "\ufffdok")


DECODERS = {D.IA_NA: D.decode_ia_na, D.IA_PD: D.decode_ia_pd, D.IAADDR: D.decode_ia_address,
            D.IAPREFIX: D.decode_ia_prefix, D.STATUS_CODE: D.decode_status_code,
            D.DNS_SERVERS: D.parse_dns_servers, D.ORO: D.parse_oro}


def decode_deep(data: bytes) -> None:
    for code, value in D.decode_message(data).options:
        DECODERS.get(code, bytes)(value)


@pytest.mark.parametrize("decoder", [decode_deep, D.decode_options, *DECODERS.values()])
@settings(max_examples=300, deadline=None)
@given(data=st.binary(max_size=80))
def test_random_bytes_raise_only_decode_error(decoder, data):
    with contextlib.suppress(wire.DecodeError):
        decoder(data)


@settings(max_examples=200, deadline=None)
@given(ex=exchanges, cut=st.integers(0, 10_000))
def test_truncated_message_decodes_to_its_whole_options_or_raises(ex, cut):
    m = ours(ex)
    data = D.encode_message(m)
    cut %= len(data)
    ends = {4}
    for _, value in m.options:
        ends.add(max(ends) + 4 + len(value))
    if cut in ends:
        assert D.decode_message(data[:cut]).options == m.options[:sorted(ends).index(cut)]
    else:
        with pytest.raises(wire.DecodeError):
            D.decode_message(data[:cut])


@settings(max_examples=300, deadline=None)
@given(ex=exchanges, flips=st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 255)), min_size=1, max_size=4))
def test_mutated_messages_raise_nothing_but_decode_error(ex, flips):
    data = bytearray(D.encode_message(ours(ex)))
    for at, value in flips:
        data[at % len(data)] = value
    with contextlib.suppress(wire.DecodeError):
        decode_deep(bytes(data))
