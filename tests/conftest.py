import os

import pytest
from conformance_judge import judge_pair, tshark_findings

from pppemu.conformance import check_pcap, format_report
from pppemu.testing.lab import Lab, namespaces
from pppemu.testing.pair import CREATED


@pytest.fixture(autouse=True)
def judge_every_exchange():
    """Every client<->AC exchange made in memory goes through the conformance checker."""
    CREATED.clear()
    yield
    pairs, CREATED[:] = list(CREATED), []
    for pair in pairs:
        violations = judge_pair(pair)
        assert not violations, "RFC violations in the exchange:\n" + format_report(violations)


@pytest.fixture
def lab(tmp_path):
    if os.geteuid() != 0:
        pytest.skip("end-to-end tests need root for namespaces and raw sockets")
    lab = Lab(tmp_path)
    try:
        yield lab
    finally:
        lab.close()
        assert lab.ac_ns not in namespaces() and lab.cl_ns not in namespaces()
    # Both ends capture to pcap; each capture must satisfy the checker and Wireshark.
    for pcap in lab.pcaps:
        if pcap.exists() and pcap.stat().st_size > 24:
            violations = check_pcap(pcap)
            assert not violations, f"RFC violations in {pcap.name}:\n" + format_report(violations)
            assert not tshark_findings(pcap), f"Wireshark finds errors in {pcap.name}: {tshark_findings(pcap)}"
