"""Option policies, secrets and the pool, in isolation."""
import random
import struct

import pytest

from pppemu.ppp.ipcp import IpcpPolicy
from pppemu.ppp.lcp import AUTH_VALUES, LcpPolicy
from pppemu.pppoe.credentials import Secrets, SecretsError
from pppemu.pppoe.pool import AddressPool, PoolError
from pppemu.wire import const as C


def lcp(**kw):
    return LcpPolicy(lambda *a: None, random.Random(3), **kw)


def test_lcp_rejects_options_forbidden_over_pppoe():
    policy = lcp()
    code, reply = policy.check_request([(C.LCP_ACCM, b"\0\0\0\0"), (C.LCP_PFC, b""), (C.LCP_ACFC, b""),
                                        (C.LCP_MRU, b"\x05\xd4")], False)
    assert code == C.CONF_REJ and [o for o, _ in reply] == [C.LCP_ACCM, C.LCP_PFC, C.LCP_ACFC]


@pytest.mark.parametrize("mru", [1492, 1280, 576, 128])
def test_lcp_acks_any_sane_mru(mru):
    code, _ = lcp().check_request([(C.LCP_MRU, struct.pack("!H", mru))], False)
    assert code == C.CONF_ACK


@pytest.mark.parametrize("mru", [1493, 1500, 9000])
def test_lcp_naks_an_mru_above_what_pppoe_carries(mru):
    # RFC 2516 section 7: not above 1492, unless RFC 4638 raised the limit in discovery
    assert lcp().check_request([(C.LCP_MRU, struct.pack("!H", mru))], False) == \
        (C.CONF_NAK, [(C.LCP_MRU, struct.pack("!H", 1492))])
    with_rfc4638 = lcp(max_mru=1500).check_request([(C.LCP_MRU, struct.pack("!H", mru))], False)
    assert with_rfc4638 == ((C.CONF_ACK, [(C.LCP_MRU, struct.pack("!H", mru))]) if mru <= 1500
                            else (C.CONF_NAK, [(C.LCP_MRU, struct.pack("!H", 1500))]))


def test_lcp_naks_a_tiny_mru_and_rejects_after_max_failure():
    policy = lcp()
    assert policy.check_request([(C.LCP_MRU, b"\x00\x20")], False) == (C.CONF_NAK, [(C.LCP_MRU, b"\x00\x80")])
    assert policy.check_request([(C.LCP_MRU, b"\x00\x20")], True)[0] == C.CONF_REJ


def test_lcp_naks_own_magic_as_loopback():
    policy = lcp()
    code, reply = policy.check_request([(C.LCP_MAGIC, struct.pack("!I", policy.magic))], False)
    assert code == C.CONF_NAK and reply[0][1] != struct.pack("!I", policy.magic)
    assert policy.looped_back == 1


@pytest.mark.parametrize("accept,asked,expect", [
    (("chap", "pap"), "chap", C.CONF_ACK),
    (("pap",), "chap", C.CONF_NAK),
    (("chap",), "pap", C.CONF_NAK),
    ((), "pap", C.CONF_REJ),
])
def test_lcp_authentication_choice(accept, asked, expect):
    policy = lcp(accept_auth=accept)
    code, reply = policy.check_request([(C.LCP_AUTH, AUTH_VALUES[asked])], False)
    assert code == expect
    if code == C.CONF_NAK:
        assert reply == [(C.LCP_AUTH, AUTH_VALUES[accept[0]])]


def test_lcp_naks_ms_chap_to_md5():
    policy = lcp(accept_auth=("chap",))
    code, reply = policy.check_request([(C.LCP_AUTH, b"\xc2\x23\x81")], False)
    assert (code, reply) == (C.CONF_NAK, [(C.LCP_AUTH, b"\xc2\x23\x05")])


@pytest.mark.parametrize("demand, offered", [("chap", "pap"), ("pap", "chap")])
def test_authenticator_never_downgrades_on_nak(demand, offered):
    policy = lcp(require_auth=demand)
    policy.handle_nak([(C.LCP_AUTH, AUTH_VALUES[offered])])
    assert policy.want_auth == demand
    assert policy.fatal and f"will not authenticate with {demand.upper()}" in policy.fatal


def test_authenticator_gives_up_on_reject():
    policy = lcp(require_auth="chap")
    policy.handle_reject([(C.LCP_AUTH, AUTH_VALUES["chap"])])
    assert policy.fatal == "peer refused to authenticate"


def test_ipcp_ac_naks_to_assigned_address_and_dns():
    policy = IpcpPolicy(local_ip="10.0.0.1", assign_ip="10.0.0.7", request_dns=False, dns=("9.9.9.9",))
    code, reply = policy.check_request([(C.IPCP_ADDRESS, b"\0" * 4), (C.IPCP_DNS1, b"\0" * 4)], False)
    assert code == C.CONF_NAK and reply == [(C.IPCP_ADDRESS, bytes([10, 0, 0, 7])), (C.IPCP_DNS1, bytes([9] * 4))]
    code, _ = policy.check_request([(C.IPCP_ADDRESS, bytes([10, 0, 0, 7])), (C.IPCP_DNS1, bytes([9] * 4))], False)
    assert code == C.CONF_ACK and policy.gateway == "10.0.0.7"
    code, reply = policy.check_request([(C.IPCP_COMPRESSION, b"\x00\x2d\x0f\x01")], False)
    assert code == C.CONF_REJ


def test_ipcp_client_takes_naks_and_survives_dns_reject():
    policy = IpcpPolicy()
    policy.handle_nak([(C.IPCP_ADDRESS, bytes([10, 1, 2, 3])), (C.IPCP_DNS1, bytes([1, 1, 1, 1]))])
    policy.handle_reject([(C.IPCP_DNS2, b"\0" * 4)])
    assert policy.address == "10.1.2.3" and policy.dns == ["1.1.1.1"]
    assert policy.build_request() == [(C.IPCP_ADDRESS, bytes([10, 1, 2, 3])), (C.IPCP_DNS1, bytes([1, 1, 1, 1]))]


def test_secrets_file_format_and_wildcard():
    secrets = Secrets.parse('# client server secret\nalice * "pa ss"\n"bob" pppemu bobpw 10.0.0.9\n* * guest\n')
    assert secrets.lookup(b"alice") == b"pa ss"
    assert secrets.lookup(b"bob") == b"bobpw"
    assert secrets.lookup(b"mallory") == b"guest"
    with pytest.raises(SecretsError, match="secrets:1: expected"):
        Secrets.parse("alice *\nbroken\n")


def test_secrets_without_wildcard_do_not_match_strangers():
    assert Secrets.parse("alice * pw").lookup(b"bob") is None


def test_pool_range_cidr_exhaustion_and_release():
    pool = AddressPool("10.0.0.1-10.0.0.3", exclude=("10.0.0.2",))
    got = [pool.allocate(), pool.allocate(), pool.allocate()]
    assert got == ["10.0.0.1", "10.0.0.3", None]
    pool.release("10.0.0.1")
    assert pool.free == 1 and pool.allocate() == "10.0.0.1"
    assert AddressPool("10.100.0.0/16").size == 65534
    for bad in ("10.0.0.9-10.0.0.1", "banana", "10.0.0.1-"):
        with pytest.raises(PoolError):
            AddressPool(bad)


def test_pool_costs_memory_for_what_is_in_use_not_its_size():
    import tracemalloc
    tracemalloc.start()
    pool = AddressPool("0.0.0.0/0")
    got = [pool.allocate() for _ in range(1000)]
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    size = 2**32 - 2**25 - 2**29  # 0/8, 127/8, 224/4 and 240/4 hold no host: skipped
    assert pool.size == size and pool.in_use == 1000 and pool.free == size - 1000
    assert got[0] == "1.0.0.0" and got[-1] == "1.0.3.231"
    assert peak < 1 << 20  # a thousand addresses, not four billion


def test_pool_reuses_a_released_address_only_after_the_fresh_ones():
    pool = AddressPool("10.0.0.1-10.0.0.3")
    first = pool.allocate()
    pool.release(first)
    assert [pool.allocate(), pool.allocate(), pool.allocate(), pool.allocate()] == \
        ["10.0.0.2", "10.0.0.3", first, None]
    pool.release("10.0.0.9")  # not from this pool: ignored
    assert pool.free == 0 and pool.in_use == 3
