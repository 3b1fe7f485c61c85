"""`pppemu check FILE`: exit 0 for a clean capture, 1 with the RFC named for a violation, 2 if unreadable."""
import json

from scapy.layers.l2 import Ether
from scapy.layers.ppp import PPPoED, PPPoED_Tags, PPPoETag
from scapy.utils import wrpcap
from typer.testing import CliRunner

from pppemu.app.cli import app

runner = CliRunner()
HOST, AC = "02:00:00:00:00:01", "02:ac:00:00:00:01"


def padi(dst: str):
    tags = [PPPoETag(tag_type=0x0101, tag_value=b""), PPPoETag(tag_type=0x0103, tag_value=b"hu")]
    return Ether(src=HOST, dst=dst, type=0x8863) / PPPoED(code=0x09, sessionid=0) / PPPoED_Tags(tag_list=tags)


def test_the_reference_lab_capture_is_clean():
    result = runner.invoke(app, ["check", "docs/lab-session.pcap"])
    assert result.exit_code == 0, result.output
    assert "no RFC violations" in result.output


def test_a_violation_is_reported_with_its_rfc_section_and_exit_1(tmp_path):
    capture = tmp_path / "unicast-padi.pcap"
    wrpcap(str(capture), [padi(AC)])  # RFC 2516 section 5.1: a PADI goes to the broadcast address
    out = tmp_path / "v.json"
    result = runner.invoke(app, ["check", str(capture), "--json", str(out)])
    assert result.exit_code == 1, result.output
    assert "RFC 2516 §5.1" in result.output and "MUST" in result.output and "client" in result.output
    report = json.loads(out.read_text())
    assert report["violations"] >= 1 and report["details"][0]["frames"] == [1]
    clean = tmp_path / "broadcast-padi.pcap"
    wrpcap(str(clean), [padi("ff:ff:ff:ff:ff:ff")])
    assert runner.invoke(app, ["check", str(clean)]).exit_code == 0


def test_an_unreadable_file_is_one_line_and_exit_2(tmp_path):
    garbage = tmp_path / "not-a-capture.pcap"
    garbage.write_bytes(b"this is not a capture file at all")
    for path in (garbage, tmp_path / "missing.pcap"):
        result = runner.invoke(app, ["check", str(path)])
        assert result.exit_code == 2
        assert "cannot read" in result.output and "Traceback" not in result.output
