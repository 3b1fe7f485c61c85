"""A bounded storm on a real link: a PADI flood from random MACs while sessions are held
and a new one comes up. Figures at full scale are bench/hostile.py's; here the point is
that nothing held is lost and a real host still gets in."""
import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from pppemu.testing.lab import wait_for

pytestmark = pytest.mark.e2e
FLOOD = Path(__file__).resolve().parent.parent / "bench" / "flood.py"


def test_a_padi_flood_loses_no_held_session_and_a_new_host_still_comes_up(lab):
    ac, ac_log = lab.start_ac("--local-ip", "10.0.0.1", "--pool", "10.0.0.100-10.0.0.199", "--user", "lab",
                              "--password", "pw", "--echo-interval", "1", "--discovery-rate", "200",
                              "--report", str(lab.tmp / "ac.json"), "--pcap", str(lab.tmp / "ac.pcap"))
    held, held_log = lab.start_client("--sessions", "3", "--user", "lab", "--password", "pw",
                                      "--echo-interval", "1", "--echo-failure", "2", "--duration", "12",
                                      "--report", str(lab.tmp / "held.json"), name="held")
    wait_for(held_log, "3/3 sessions up", proc=held, timeout=30)
    flood = subprocess.Popen(["ip", "netns", "exec", lab.cl_ns, sys.executable, str(FLOOD), "--iface", "veth0",
                              "--seconds", "6", "--cpu", "-2"], stdout=subprocess.PIPE, text=True)
    lab.procs.append(flood)
    assert flood.stdout.readline().strip() == '{"flooding": true}'
    late = lab.run_client("--user", "lab", "--password", "pw", "--mac-base", "02:60:60:00:00:01",
                          "--duration", "0.2", "--timeout", "20")
    assert late.returncode == 0, late.stdout + late.stderr
    sent = json.loads(flood.stdout.readline())
    assert held.wait(timeout=30) == 0, held_log.read_text()
    ac.send_signal(signal.SIGTERM)
    assert ac.wait(timeout=15) == 0
    counters = json.loads((lab.tmp / "ac.json").read_text())["counters"]
    assert sent["frames"] > 10 * counters["rx.PADI"] and counters["padi.rate_limited"] > 0
    report = json.loads((lab.tmp / "held.json").read_text())
    assert report["summary"]["established"] == 3 and report["summary"]["failed"] == 0
    assert all(s["reason"] == "user request" for s in report["sessions"])
