"""Our client (CLI and Python API) against rp-pppoe's pppoe-server with the real pppd as the AC."""
import json
import subprocess
import time

import netns
import pytest
from interop_checks import ECHO_REPLY, ECHO_REQUEST, TERMINATE_REQUEST, assert_capture_clean, lcp_codes
from pppvm.peerlab import wait_for
from scapy.layers.inet import ICMP, IP

from pppemu import PPPoESession

pytestmark = [pytest.mark.interop, pytest.mark.e2e]

USER, PASSWORD = "lab", "lab-secret"
SECRETS = f"{USER} * {PASSWORD} *\n"
SERVER = "pppoe-server -F -I eth0 -C rp-ac -L 10.0.0.1 -R 10.0.0.100 -N 10"
CLIENT_TIMEOUT = 90  # the VM is slow under load; a session comes up in about a second when idle


class Server:
    """pppoe-server in the peer, its pppd configured for `auth` (chap or pap)."""

    def __init__(self, peer_lab, auth: str = "chap", options: tuple[str, ...] = ()):
        pppd_options = [f"require-{auth}", "ms-dns 10.0.0.53", "debug", "logfile @SHARE@/ac-pppd.log", *options]
        self.lab = peer_lab({"etc/ppp/pppoe-server-options": "\n".join(pppd_options) + "\n",
                             "etc/ppp/chap-secrets": SECRETS, "etc/ppp/pap-secrets": SECRETS})
        self.peer = self.lab.peer
        self.pcap = self.lab.tmp / "client.pcap"
        self.peer.spawn("server", SERVER)
        # Ready once it has a socket for PPPoE discovery (ethertype 0x8863).
        status, out = self.peer.sh("for i in $(seq 1500); do grep -q ' 8863 ' /proc/net/packet && exit 0; "
                                   "sleep 0.02; done; exit 1", timeout=60)
        assert status == 0, f"pppoe-server did not open its socket: {out}"

    def client_args(self, *args: str, password: str = PASSWORD) -> list[str]:
        return self.lab.pppemu("client", "--iface", self.lab.iface, "--user", USER, "--password", password,
                               "--timeout", "60", "--pcap", str(self.pcap), *args)

    def run_client(self, *args: str, password: str = PASSWORD) -> subprocess.CompletedProcess:
        return subprocess.run(self.client_args(*args, password=password), capture_output=True, text=True,
                              timeout=CLIENT_TIMEOUT, stdin=subprocess.DEVNULL)

    def start_client(self, *args: str) -> tuple[subprocess.Popen, object]:
        return self.lab.start_client("--user", USER, "--password", PASSWORD, "--timeout", "60",
                                     "--pcap", str(self.pcap), *args)

    def pppd_log(self) -> str:
        path = self.peer.log("ac-pppd")
        return path.read_text(errors="replace") if path.exists() else ""

    def kill_session_pppd(self) -> None:
        """SIGTERM to the pppd that pppoe-server forked for the session (its child named pppd)."""
        find_child = (f"for stat in /proc/[0-9]*/stat; do read -r pid comm state ppid rest <$stat; "
                      f"[ $ppid = {self.peer.pid('server')} ] && [ $comm = '(pppd)' ] && echo $pid; done")
        status, out = self.peer.sh(f"kill -TERM $({find_child})")
        assert status == 0, out


def explain(result: subprocess.CompletedProcess) -> str:
    return f"exit {result.returncode}\n{result.stdout}\n{result.stderr}"


@pytest.mark.parametrize("auth", ["chap", "pap"])
def test_session_up_then_terminated_by_our_client(peer_lab, auth):
    server = Server(peer_lab, auth)
    result = server.run_client("--auth", auth, "--duration", "3", "--report", str(server.lab.tmp / "client.json"))
    assert result.returncode == 0, explain(result)
    assert "IPCP: opened, address 10.0.0.100, gateway 10.0.0.1, DNS 10.0.0.53" in result.stdout
    assert "auth: ok" in result.stdout and "session down: user request" in result.stdout
    report = json.loads((server.lab.tmp / "client.json").read_text())
    assert report["sessions"][0]["state"] == "closed"
    pppd_log = server.pppd_log()
    assert f"{auth.upper()} peer authentication succeeded for {USER}" in pppd_log or auth == "chap"
    assert "remote IP address 10.0.0.100" in pppd_log and "LCP terminated by peer (user request)" in pppd_log
    assert_capture_clean(server.pcap)


def test_ipv6cp_with_pppd_as_ac(peer_lab):
    server = Server(peer_lab, options=("+ipv6",))
    result = server.run_client("--ipv6", "--duration", "1")
    assert result.returncode == 0, explain(result)
    assert "IPv6CP: opened, fe80::" in result.stdout
    assert "local  LL address fe80::" in server.pppd_log()
    assert_capture_clean(server.pcap)


def test_pings_through_pppd(peer_lab):
    server = Server(peer_lab)
    result = server.run_client("--ping", "3", "--duration", "0.5")
    assert result.returncode == 0, explain(result)
    assert "3/3 answered" in result.stdout
    assert_capture_clean(server.pcap)


def test_echoes_keep_the_session_up(peer_lab):
    server = Server(peer_lab, options=("lcp-echo-interval 1", "lcp-echo-failure 3"))
    result = server.run_client("--echo-interval", "1", "--echo-failure", "3", "--duration", "6")
    assert result.returncode == 0, explain(result)
    assert "session down: user request" in result.stdout
    counts = lcp_codes(server.pcap)
    macs = {mac for mac, _ in counts}
    assert len(macs) == 2
    for mac in macs:  # each side asked at least 4 times and answered at least 4
        assert counts[(mac, ECHO_REQUEST)] >= 4 and counts[(mac, ECHO_REPLY)] >= 4, counts
    assert_capture_clean(server.pcap)


@pytest.mark.parametrize(("how", "reason"), [("pppd killed", "RP-PPPoE: Child pppd process terminated"),
                                           ("server stopped", "Shutting Down")], ids=["pppd-killed", "server-stopped"])
def test_session_ended_by_the_ac_side(peer_lab, how, reason):
    """Stock pppoe-server ends a session with a PADT only: pppd's Terminate-Request dies with its relay."""
    server = Server(peer_lab)
    client, log = server.start_client()
    wait_for(log, "IPCP: opened", timeout=CLIENT_TIMEOUT, proc=client)
    if how == "pppd killed":
        server.kill_session_pppd()
    else:
        server.peer.kill("server")
    assert client.wait(timeout=30) == 1
    text = log.read_text()
    assert f"session lost: PADT from the access concentrator: {reason}" in text, text
    assert not any(code == TERMINATE_REQUEST for _, code in lcp_codes(server.pcap))
    assert_capture_clean(server.pcap)


def test_wrong_password_fails_with_the_reason(peer_lab):
    server = Server(peer_lab)
    result = server.run_client("--duration", "1", password="wrong")
    assert result.returncode == 1, explain(result)
    assert "authentication failed" in result.stdout.lower(), explain(result)
    assert f"Peer {USER} failed CHAP authentication" in server.pppd_log()
    assert_capture_clean(server.pcap)


def test_python_api_pings_pppd(peer_lab):
    server = Server(peer_lab, auth="pap")
    with netns.NetNS(nsname=server.lab.ns):
        session = PPPoESession(iface=server.lab.iface, username=USER, password=PASSWORD, pcap=str(server.pcap))
    with session as s:
        s.start(timeout=60)
        assert (s.ip(), s.gw(), s.dns()[0]) == ("10.0.0.100", "10.0.0.1", "10.0.0.53")
        reply = None
        for seq in range(1, 4):  # pppd's kernel may drop the first packet while it brings ppp0 up
            s.send_packet(IP(src=s.ip(), dst=s.gw()) / ICMP(id=0x4242, seq=seq) / b"hello")
            reply = s.recv_packet(timeout=2)
            if reply is not None:
                break
        assert reply is not None and reply[IP].src == "10.0.0.1" and reply[ICMP].type == 0
        assert bytes(reply[ICMP].payload) == b"hello"
    assert s.down_reason == "user request"
    time.sleep(0.5)
    assert_capture_clean(server.pcap)
