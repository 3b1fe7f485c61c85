"""Fixtures for the interop suite: pppemu against the real pppd and rp-pppoe (lab/pppvm)."""
import os

import pytest
from pppvm.peerlab import PeerLab


def pytest_configure(config):
    config.addinivalue_line("markers", "interop: against the real pppd and rp-pppoe (make interop; needs root)")


def pytest_collection_modifyitems(config, items):
    """Minutes of VM boots on a shared machine: these run only when asked for with -m interop."""
    if "interop" in (config.option.markexpr or ""):
        return
    skipped = [item for item in items if item.get_closest_marker("interop")]
    if skipped:
        config.hook.pytest_deselected(items=skipped)
        items[:] = [item for item in items if not item.get_closest_marker("interop")]


@pytest.fixture
def peer_lab(tmp_path):
    """A factory: peer_lab(files) boots the peer with those files (e.g. /etc/ppp secrets) and links
    it to a fresh namespace; everything is removed at the end, pass or fail."""
    if os.geteuid() != 0:
        pytest.skip("interop tests need root for namespaces, taps and raw sockets")
    labs = []

    def make(files: dict[str, str] | None = None, hostname: str = "pppvm") -> PeerLab:
        labs.append(PeerLab(tmp_path, files, hostname))
        return labs[-1]

    yield make
    for lab in labs:
        print(lab.describe())  # pytest shows it when the test failed
        lab.close()
        out = os.popen("ip netns list").read()
        assert lab.ns not in out, f"namespace {lab.ns} left behind"
