import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parent.parent / "lab"))

from nslab import Lab, namespaces  # noqa: E402


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
